"""FHIR Observations → measurements, nerve-conduction rows, findings and the age."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ...errors import UnitError
from ...model import Finding, Measurement, NcsLimits, NerveConduction, ReferenceRange, When
from ...units import convert
from ..interop import (
    check_unit,
    json_path,
    normalize_text,
    specimen_from_loinc_name,
    specimen_from_text,
    typing_from_text,
)
from ._common import INTERPRETATION, V2_0487
from ._reader_base import Json, ReaderBase, _first, _is_ucum, _num, _Skip, _texts

_NCS_QUANTITIES = {
    "distal_latency_ms": "ms",
    "amplitude": None,
    "conduction_velocity_m_s": "m/s",
    "f_wave_latency_ms": "ms",
    "proximal_amplitude": None,
    "distal_duration_ms": "ms",
    "proximal_duration_ms": "ms",
    "distal_distance_mm": "mm",
}
_NCS_LIMITS = {
    "limit_distal_latency_uln_ms": ("distal_latency_uln_ms", "ms"),
    "limit_amplitude_lln": ("amplitude_lln", None),
    "limit_conduction_velocity_lln_m_s": ("conduction_velocity_lln_m_s", "m/s"),
    "limit_f_wave_latency_uln_ms": ("f_wave_latency_uln_ms", "ms"),
}


class ObservationReader(ReaderBase):
    """Reads Observation resources (mixed into the full reader)."""

    def _observation(self, path: str, res: Json) -> None:
        self._unusable(path, res)
        code = res.get("code")
        codings = self._codings(code, json_path(path, "code"))
        age = self.cm.table.age
        if any(s == age.system and c == age.code for s, c, _ in codings):
            self._age(path, res)
            return
        cid, system, code_value = self._concept(code, json_path(path, "code"))
        if cid is None:
            raise _Skip(
                json_path(path, "code"),
                f"unknown code ({self._describe_code(code)}): no poemsdx concept has it",
            )
        concept = self.kb.concepts[cid]
        when = self._when(res, "effectiveDateTime", "effectivePeriod", "effectiveInstant")
        if cid == "nerve_conduction":
            self.observations.append(self._ncs(path, res, when))
            return
        if concept.kind in ("finding", "disease", "group"):
            self.observations.append(self._finding_from_observation(path, res, cid, when))
            return
        if concept.kind != "measurement":
            raise _Skip(json_path(path, "code"), f"'{cid}' is a {concept.kind}, not a result")
        self.observations.append(self._measurement(path, res, cid, system, code_value, when))

    def _age(self, path: str, res: Json) -> None:
        q = res.get("valueQuantity") or {}
        unit = str(q.get("code") or q.get("unit") or "a")
        if q.get("value") is None:
            raise _Skip(json_path(path, "value[x]"), "age observation without a value")
        try:
            years = convert(_num(q["value"]), unit, "a")
        except UnitError as exc:
            raise _Skip(json_path(path, "valueQuantity"), exc.message) from exc
        self.age = round(years, 2)

    def _value(self, path: str, res: Json) -> tuple[float | None, str | None, str | None]:
        """(value, unit, qualitative result) of an Observation or component."""
        if "valueQuantity" in res:
            q = res["valueQuantity"]
            if q.get("comparator"):
                raise _Skip(
                    json_path(path, "valueQuantity", "comparator"),
                    f"value '{q['comparator']}{q.get('value')}' is a bound, not a value;"
                    " poemsdx needs the measured value",
                )
            if q.get("value") is None:
                raise _Skip(json_path(path, "valueQuantity"), "quantity without a value")
            unit = q.get("code") if q.get("code") and _is_ucum(q.get("system")) else q.get("unit")
            unit = unit or q.get("code")
            if not unit:
                raise _Skip(json_path(path, "valueQuantity"), "quantity without a unit")
            return _num(q["value"]), str(unit), None
        if "valueCodeableConcept" in res:
            cc = res["valueCodeableConcept"]
            result = self._result(cc)
            if result is None:
                raise _Skip(
                    json_path(path, "valueCodeableConcept"),
                    f"qualitative value not understood ({self._describe_code(cc)})",
                )
            return None, None, result
        if "valueString" in res:
            text = str(res["valueString"])
            result = self.cm.result_for_word(text) or self._result_in_text(text)
            if result is None:
                raise _Skip(
                    json_path(path, "valueString"), f"text value '{text[:60]}' not understood"
                )
            return None, None, result
        if "valueBoolean" in res:
            return None, None, "positive" if res["valueBoolean"] else "negative"
        if "valueInteger" in res:
            raise _Skip(json_path(path, "valueInteger"), "integer value without a unit")
        for key in res:
            if key.startswith("value"):
                raise _Skip(json_path(path, key), f"{key} is not a supported kind of value")
        interp = self._interpretation(res)
        if interp is not None:
            return None, None, interp
        reason = _texts(res.get("dataAbsentReason"))
        why = f": {reason[0]}" if reason else ""
        raise _Skip(json_path(path, "value[x]"), f"no value{why}")

    def _result(self, cc: Json) -> str | None:
        for c in cc.get("coding") or []:
            system, code = str(c.get("system") or ""), str(c.get("code") or "")
            if self.cm.system_for_uri(system) == "SNOMEDCT":
                found = self.cm.result_for_snomed(code)
                if found:
                    return found
            if system == INTERPRETATION:
                found = self.cm.result_for_interpretation(code)
                if found:
                    return found
        for text in _texts(cc):
            found = self.cm.result_for_word(text) or self._result_in_text(text)
            if found:
                return found
        return None

    def _result_in_text(self, text: str) -> str | None:
        low = normalize_text(text)
        for phrase in ("not detected", "no monoclonal", "negative"):
            if phrase in low:
                return "negative"
        for phrase in ("detected", "positive", "monoclonal band", "m spike"):
            if phrase in low:
                return "positive"
        return None

    def _interpretation(self, res: Json) -> str | None:
        for cc in res.get("interpretation") or []:
            for c in cc.get("coding") or []:
                if c.get("system") == INTERPRETATION and c.get("code"):
                    found = self.cm.result_for_interpretation(str(c["code"]))
                    if found:
                        return found
        return None

    def _measurement(
        self,
        path: str,
        res: Json,
        cid: str,
        system: str | None,
        code: str | None,
        when: When | None,
    ) -> Measurement:
        concept = self.kb.concepts[cid]
        value, unit, result = self._value(path, res)
        if value is not None and unit is not None:
            unit = self._check_unit(json_path(path, "valueQuantity"), unit, cid)
            result = self._interpretation(res)  # the lab's flag (H, L, POS…) next to the value
        info = self.cm.code_info(system, code) if system and code else None
        specimen = self._specimen(path, res, info.specimen if info else None)
        if specimen and concept.specimens and specimen not in concept.specimens:
            raise _Skip(
                json_path(path, "specimen"),
                f"specimen '{specimen}' does not fit {self.kb.label(cid)} (expected"
                f" {', '.join(concept.specimens)})",
            )
        if concept.specimen_required and specimen is None:
            raise _Skip(
                path,
                f"{self.kb.label(cid)} without a specimen: serum and plasma values differ"
                " about tenfold, so poemsdx does not guess one (give Observation.specimen"
                " or a code whose specimen is stated)",
            )
        method = _first(_texts(res.get("method"))) or (info.method if info else None)
        heavy = light = None
        for i, comp in enumerate(res.get("component") or []):
            key = self._component_key(comp)
            text = _first(_texts(comp.get("valueCodeableConcept"))) or comp.get("valueString")
            if key == "heavy_chain" and text:
                heavy = str(text)
            elif key == "light_chain" and text:
                light = str(text)
            else:
                self.report.skip(json_path(path, "component", i), "component not used")
        if cid == "m_protein" and heavy is None and light is None:
            typing = " ".join(
                [*_texts(res.get("valueCodeableConcept")), str(res.get("valueString") or "")]
            )
            heavy, light = typing_from_text(typing)
        try:
            return Measurement(
                id=self._identifier(res, self.n.observation_id),
                concept=cid,
                value=value,
                result=result,
                unit=unit,
                specimen=specimen,
                reference_range=self._range(path, res, cid),
                method=method,
                heavy_chain=heavy,
                light_chain=light,
                time=when,
                evidence=self._evidence(path, res),
            )
        except ValidationError as exc:
            raise _Skip(path, exc.errors()[0]["msg"].removeprefix("Value error, ")) from exc

    def _check_unit(self, path: str, unit: str, cid: str) -> str:
        try:
            return check_unit(self.kb, unit, cid)
        except UnitError as exc:
            raise _Skip(path, exc.message) from exc

    def _range(self, path: str, res: Json, cid: str) -> ReferenceRange | None:
        for i, rr in enumerate(res.get("referenceRange") or []):
            rpath = json_path(path, "referenceRange", i)
            if rr.get("appliesTo") or rr.get("age"):
                self.report.skip(rpath, "reference range for a sub-population not used")
                continue
            low, high = rr.get("low") or {}, rr.get("high") or {}
            unit = None
            for q in (low, high):
                u = q.get("code") if _is_ucum(q.get("system")) else q.get("unit")
                unit = unit or u or q.get("code")
            if unit:
                try:
                    unit = self._check_unit(rpath, str(unit), cid)
                except _Skip as skip:
                    self.report.skip(skip.path, skip.reason + " (reference range not used)")
                    return None
            try:
                return ReferenceRange(
                    low=_num(low["value"]) if low.get("value") is not None else None,
                    high=_num(high["value"]) if high.get("value") is not None else None,
                    unit=str(unit) if unit else None,
                    text=rr.get("text"),
                )
            except ValidationError as exc:
                self.report.skip(rpath, exc.errors()[0]["msg"].removeprefix("Value error, "))
                return None
        return None

    def _specimen(self, path: str, res: Json, implied: str | None) -> str | None:
        spec = self._resolve(res.get("specimen"), res)
        if spec is not None:
            for c in (spec.get("type") or {}).get("coding") or []:
                if c.get("system") == V2_0487:
                    for name, s in self.cm.table.specimens.items():
                        if s.v2_0487 == c.get("code"):
                            return name
                if c.get("system") == self.n.specimen and c.get("code") in self.cm.table.specimens:
                    return str(c["code"])
            for text in _texts(spec.get("type")):
                found = specimen_from_text(text)
                if found:
                    return found
            self.report.note(f"{json_path(path, 'specimen')}: specimen type not understood")
        elif res.get("specimen"):
            self.report.note(f"{json_path(path, 'specimen')}: specimen not in the bundle")
        if implied:
            return implied
        return specimen_from_loinc_name(_texts(res.get("code")))

    def _component_key(self, comp: Json) -> str | None:
        for c in (comp.get("code") or {}).get("coding") or []:
            if c.get("system") == self.n.component:
                return str(c.get("code"))
        return None

    def _ncs(self, path: str, res: Json, when: When | None) -> NerveConduction:
        fields: dict[str, Any] = {}
        limits: dict[str, float] = {}
        for i, comp in enumerate(res.get("component") or []):
            key = self._component_key(comp)
            cpath = json_path(path, "component", i)
            if key in ("nerve", "side", "modality"):
                text = _first(
                    [
                        str(c.get("code"))
                        for c in (comp.get("valueCodeableConcept") or {}).get("coding") or []
                    ]
                ) or comp.get("valueString")
                fields[key] = text
            elif key in ("f_wave_absent", "not_recordable") and "valueBoolean" in comp:
                fields[key] = bool(comp["valueBoolean"])
            elif key in _NCS_QUANTITIES or key in _NCS_LIMITS:
                q = comp.get("valueQuantity") or {}
                if q.get("value") is None:
                    self.report.skip(cpath, "component without a value")
                    continue
                unit = str(q.get("code") or q.get("unit") or "")
                target = _NCS_QUANTITIES.get(key) if key in _NCS_QUANTITIES else _NCS_LIMITS[key][1]
                value = _num(q["value"])
                if target and unit and unit != target:
                    try:
                        value = convert(value, unit, target)
                    except UnitError as exc:
                        self.report.skip(cpath, exc.message)
                        continue
                if key in _NCS_LIMITS:
                    limits[_NCS_LIMITS[key][0]] = value
                else:
                    fields[key] = value
            else:
                self.report.skip(cpath, "component not understood")
        try:
            return NerveConduction(
                id=self._identifier(res, self.n.observation_id),
                time=when,
                evidence=self._evidence(path, res),
                limits=NcsLimits(**limits) if limits else None,
                **fields,
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            raise _Skip(
                path, f"nerve-conduction row: {err['loc'][0] if err['loc'] else ''} {err['msg']}"
            ) from exc

    def _finding_from_observation(
        self, path: str, res: Json, cid: str, when: When | None
    ) -> Finding:
        status = "present"
        if "valueBoolean" in res:
            status = "present" if res["valueBoolean"] else "absent"
        elif any(k.startswith("value") for k in res) or res.get("interpretation"):
            _, _, result = self._value(path, res)
            if result in ("negative", "normal"):
                status = "absent"
            elif result == "equivocal":
                status = "uncertain"
        return Finding(
            concept=cid,
            status=status,
            time=when,
            evidence=self._evidence(path, res),
        )

    # -- Condition --------------------------------------------------------------------------
