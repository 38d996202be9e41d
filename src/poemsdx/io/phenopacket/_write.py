"""An ``Evaluation`` → a GA4GH Phenopacket v2 (camelCase JSON).

* findings present/absent → ``phenotypicFeatures`` (HPO where the concept has a VERIFIED or
  CORROBORATED term, else ``POEMSDX:<concept>``; ``excluded: true`` when absent); findings
  that are diseases → ``diseases``; uncertain findings are not features: they are listed
  in ``metaData.externalReferences`` (``POEMSDX:uncertain.N``) with their label and time;
* measurements → ``measurements`` (LOINC assay where known, UCUM unit, the lab's range
  with zero limits kept; the specimen as ``procedure.bodySite``, the method as
  ``procedure.code``; M-protein typing in ``description``); nerve-conduction rows →
  measurements with a ``complexValue`` (one typed quantity per value);
* treatments → ``medicalActions`` (a ``therapeuticRegimen`` with start and end times);
* assessments that are met → ``diseases`` with the Orphanet (else Mondo) code, each
  pointed at by a ``POEMSDX:assessment.<criteria id>`` external reference so an import
  knows it is poemsdx's conclusion, not an observation;
* named time points of the case → ``POEMSDX:anchor.<name>`` external references;
* source documents → ``files`` (no text: a Phenopacket carries file references only).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ...evaluation import Evaluation
from ...knowledge.registry import Knowledge
from ...model import Case, Event, Finding, Measurement, NerveConduction
from ...units import parse_unit
from ..fhir._write import verdict_text
from ..interop import NCS_FIELDS, CodeMap, code_map, time_code
from ._common import LOCAL, SCHEMA_VERSION, Json, describe, time_element, to_json_dict, to_proto

_SEX = {"male": "MALE", "female": "FEMALE", "other": "OTHER_SEX", "unknown": "UNKNOWN_SEX"}
NCS_UNITS = {
    "distal_latency_ms": "ms",
    "conduction_velocity_m_s": "m/s",
    "f_wave_latency_ms": "ms",
    "distal_duration_ms": "ms",
    "proximal_duration_ms": "ms",
    "distal_distance_mm": "mm",
    "limit.distal_latency_uln_ms": "ms",
    "limit.conduction_velocity_lln_m_s": "m/s",
    "limit.f_wave_latency_uln_ms": "ms",
    "f_wave_absent": "1",
    "not_recordable": "1",
}
NCS_LIMITS = (
    "distal_latency_uln_ms",
    "amplitude_lln",
    "conduction_velocity_lln_m_s",
    "f_wave_latency_uln_ms",
)


def age_duration(age: float) -> str:
    years = int(age)
    months = round((age - years) * 12)
    if months == 12:
        years, months = years + 1, 0
    return f"P{years}Y{months}M" if months else f"P{years}Y"


class Writer:
    def __init__(self, evaluation: Evaluation, kb: Knowledge, lang: str) -> None:
        self.ev = evaluation
        self.case: Case = evaluation.case
        self.kb = kb
        self.lang = lang
        self.cm: CodeMap = code_map(kb)
        self.refs: list[Json] = []

    def _label(self, cid: str) -> str:
        return self.kb.label(cid, self.lang)

    def _term(self, cid: str, systems: tuple[str, ...]) -> Json:
        for system in systems:
            for ref in self.cm.codes(cid, system):
                if not (ref.method or ref.specimen):
                    return {"id": self.cm.curie(ref), "label": self._label(cid)}
        return {"id": f"{LOCAL}:{cid}", "label": self._label(cid)}

    def _unit(self, unit: str) -> Json:
        code = parse_unit(unit).ucum
        return {"id": f"UCUM:{code}", "label": unit}

    def _evidence_lines(
        self, ev: tuple[Any, ...], note: str | None
    ) -> list[tuple[str, str | None]]:
        lines: list[tuple[str, str | None]] = [("note", e.quote or e.note) for e in ev]
        lines.append(("note", note))
        return lines

    # -- findings ----------------------------------------------------------------------------
    def findings(self) -> tuple[list[Json], list[Json]]:
        features: list[Json] = []
        diseases: list[Json] = []
        for obs in self.case.observations:
            if not isinstance(obs, Finding):
                continue
            kind = self.kb.concepts[obs.concept].kind
            term = self._term(obs.concept, ("ORPHA", "MONDO") if kind == "disease" else ("HPO",))
            if obs.status == "uncertain":
                self.refs.append(
                    {
                        "id": f"{LOCAL}:uncertain.{len(self.refs)}",
                        "reference": term["id"],
                        "description": describe(
                            [
                                ("uncertain", term["label"]),
                                ("site", obs.site),
                                ("time", time_code(obs.time) if obs.time else None),
                                ("time_label", obs.time.label if obs.time else None),
                            ]
                        ),
                    }
                )
                continue
            onset = time_element(obs.time)
            if kind == "disease":
                d: Json = {"term": term, "excluded": obs.status == "absent"}
                if onset:
                    d["onset"] = onset
                diseases.append(d)
                continue
            f: Json = {"type": term, "excluded": obs.status == "absent"}
            text = describe([("site", obs.site), *self._evidence_lines(obs.evidence, obs.note)])
            if text:
                f["description"] = text
            if onset:
                f["onset"] = onset
            features.append(f)
        return features, diseases

    # -- measurements ------------------------------------------------------------------------
    def measurements(self) -> list[Json]:
        out: list[Json] = []
        for obs in self.case.observations:
            if isinstance(obs, Measurement):
                out.append(self._measurement(obs))
            elif isinstance(obs, NerveConduction):
                out.append(self._ncs(obs))
        return out

    def _measurement(self, m: Measurement) -> Json:
        res: Json = {"assay": self._term(m.concept, ("LOINC",))}
        lines: list[tuple[str, str | None]] = []
        if m.value is not None and m.unit:
            q: Json = {"unit": self._unit(m.unit), "value": m.value}
            rr = m.reference_range
            if rr is not None and rr.high is not None:
                q["referenceRange"] = {
                    "unit": self._unit(rr.unit or m.unit),
                    "low": rr.low if rr.low is not None else 0.0,
                    "high": rr.high,
                }
            elif rr is not None and rr.low is not None:
                lines.append(("reference_low", f"{rr.low:g} {rr.unit or m.unit}"))
            if rr is not None and rr.text:
                lines.append(("reference_text", rr.text))
            res["value"] = {"quantity": q}
            lines.append(("result", m.result))
        elif m.result:
            spec = self.cm.table.results[m.result]
            res["value"] = {
                "ontologyClass": {"id": f"SNOMEDCT:{spec.snomed}", "label": spec.display}
            }
        typing = " ".join(x for x in (m.heavy_chain, m.light_chain) if x)
        lines.insert(0, ("typing", typing or None))
        lines += self._evidence_lines(m.evidence, m.note)
        text = describe(lines)
        if text:
            res["description"] = text
        when = time_element(m.time)
        if when:
            res["timeObserved"] = when
        if m.method or m.specimen:
            proc: Json = {
                "code": (
                    {"id": f"{LOCAL}:method.{_slug(m.method)}", "label": m.method}
                    if m.method
                    else {"id": f"{LOCAL}:specimen_collection", "label": "specimen collection"}
                )
            }
            if m.specimen:
                proc["bodySite"] = self._specimen(m.specimen)
            res["procedure"] = proc
        return res

    def _specimen(self, name: str) -> Json:
        spec = self.cm.table.specimens.get(name)
        if spec is not None and spec.uberon and spec.verification != "UNVERIFIED":
            return {"id": spec.uberon, "label": spec.uberon_label or name}
        return {"id": f"{LOCAL}:specimen.{name}", "label": name.replace("_", " ")}

    def _ncs(self, r: NerveConduction) -> Json:
        amp = "mV" if r.modality == "motor" else "uV"
        typed: list[Json] = []

        def add(key: str, value: float, unit: str) -> None:
            typed.append(
                {
                    "type": {"id": f"{LOCAL}:ncs.{key}", "label": key.replace("_", " ")},
                    "quantity": {"unit": self._unit(unit), "value": value},
                }
            )

        for key in NCS_FIELDS:
            value = getattr(r, key)
            if value is not None:
                add(key, value, NCS_UNITS.get(key, amp))
        if r.f_wave_absent is not None:
            add("f_wave_absent", 1.0 if r.f_wave_absent else 0.0, "1")
        if r.not_recordable:
            add("not_recordable", 1.0, "1")
        for key in NCS_LIMITS:
            value = getattr(r.limits, key) if r.limits else None
            if value is not None:
                add(f"limit.{key}", value, NCS_UNITS.get(f"limit.{key}", amp))
        side = f"{r.side} " if r.side else ""
        site = f"{r.nerve}.{r.side}" if r.side else r.nerve
        res: Json = {
            "assay": {"id": f"{LOCAL}:nerve_conduction", "label": "nerve conduction"},
            "complexValue": {"typedQuantities": typed},
            "procedure": {
                "code": {
                    "id": f"{LOCAL}:ncs.{r.modality}",
                    "label": f"{r.modality} nerve conduction",
                },
                "bodySite": {
                    "id": f"{LOCAL}:nerve.{site}",
                    "label": f"{side}{r.nerve.replace('_', ' ')} nerve",
                },
            },
        }
        text = describe(self._evidence_lines(r.evidence, r.note))
        if text:
            res["description"] = text
        when = time_element(r.time)
        if when:
            res["timeObserved"] = when
        return res

    # -- treatments, conclusions, anchors ------------------------------------------------------
    def actions(self) -> list[Json]:
        return [self._action(i, ev) for i, ev in enumerate(self.case.events)]

    def _action(self, i: int, ev: Event) -> Json:
        """A treatment as a therapeutic regimen; its event id (the anchor other times are
        relative to) and notes go in a ``POEMSDX:event.<id>`` external reference."""
        reg: Json = {
            "ontologyClass": {"id": f"{LOCAL}:{ev.concept}", "label": self._label(ev.concept)},
            "regimenStatus": "COMPLETED" if ev.end is not None else "STARTED",
        }
        ref: Json = {"id": f"{LOCAL}:event.{ev.id}", "reference": f"medicalActions[{i}]"}
        directed = None if ev.disease_directed is None else str(ev.disease_directed).lower()
        text = describe(
            [("disease_directed", directed), *self._evidence_lines(ev.evidence, ev.note)]
        )
        if text:
            ref["description"] = text
        self.refs.append(ref)
        start, end = time_element(ev.start), time_element(ev.end)
        if start:
            reg["startTime"] = start
        if end:
            reg["endTime"] = end
        return {"therapeuticRegimen": reg}

    def conclusions(self, diseases: list[Json]) -> None:
        placed: dict[str, int] = {}
        for a in self.ev.assessments:
            ref: Json = {
                "id": f"{LOCAL}:assessment.{a.criteria_id}",
                "description": f"{a.criteria_id}: {verdict_text(a)}",
            }
            if a.status == "met" and a.disease in self.kb.concepts:
                if a.disease not in placed:
                    placed[a.disease] = len(diseases)
                    diseases.append({"term": self._term(a.disease, ("ORPHA", "MONDO"))})
                ref["reference"] = f"diseases[{placed[a.disease]}]"
            self.refs.append(ref)

    def anchors(self) -> None:
        for name, when in self.case.anchors.items():
            ref: Json = {"id": f"{LOCAL}:anchor.{name}", "reference": time_code(when)}
            if when.label:
                ref["description"] = when.label
            self.refs.append(ref)

    def files(self) -> list[Json]:
        out = []
        for doc in self.case.documents:
            attrs = {"poemsdx_document_id": doc.id, "kind": doc.kind}
            for key in ("language", "title"):
                value = getattr(doc, key)
                if value:
                    attrs[key] = value
            out.append(
                {"uri": doc.source or f"urn:poemsdx:document:{doc.id}", "fileAttributes": attrs}
            )
        return out

    def meta(self, used: set[str], created: datetime) -> Json:
        resources = []
        for spec in self.cm.table.systems.values():
            p = spec.phenopacket
            if p is not None and p.prefix in used:
                resources.append(
                    {
                        "id": p.id,
                        "name": p.name,
                        "url": p.url,
                        "version": p.version,
                        "namespacePrefix": p.prefix,
                        "iriPrefix": p.iri_prefix,
                    }
                )
                used.discard(p.prefix)
        if LOCAL in used:
            resources.append(
                {
                    "id": "poemsdx",
                    "name": "poemsdx concepts, times and criteria",
                    "url": f"{self.cm.base}/CodeSystem/concept",
                    "version": self.ev.knowledge_version,
                    "namespacePrefix": LOCAL,
                    "iriPrefix": f"{self.cm.base}/CodeSystem/concept#",
                }
            )
        return {
            "created": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "createdBy": f"poemsdx {self.ev.engine_version}",
            "resources": resources,
            "phenopacketSchemaVersion": SCHEMA_VERSION,
            "externalReferences": self.refs,
        }


def _slug(text: str | None) -> str:
    return "_".join((text or "").lower().split()) or "unspecified"


def _used_prefixes(value: Any, out: set[str]) -> None:
    if isinstance(value, dict):
        if (
            set(value) <= {"id", "label"}
            and isinstance(value.get("id"), str)
            and ":" in value["id"]
        ):
            out.add(value["id"].split(":", 1)[0])
        for v in value.values():
            _used_prefixes(v, out)
    elif isinstance(value, list):
        for v in value:
            _used_prefixes(v, out)


def export_phenopacket(
    evaluation: Evaluation,
    kb: Knowledge,
    *,
    lang: str = "en",
    created: datetime | None = None,
) -> dict[str, Any]:
    """A Phenopacket v2 of the case and its met assessments, as a JSON object (camelCase;
    zero-valued limits kept). Checked with the official schema and poemsdx's own rules."""
    from ._validate import validate_phenopacket

    w = Writer(evaluation, kb, lang)
    case = w.case
    subject: Json = {"id": case.id}
    if case.patient.sex:
        subject["sex"] = _SEX[case.patient.sex]
    if case.patient.age is not None:
        subject["timeAtLastEncounter"] = {
            "age": {"iso8601duration": age_duration(case.patient.age)}
        }
    features, diseases = w.findings()
    w.conclusions(diseases)
    w.anchors()
    packet: Json = {
        "id": case.id,
        "subject": subject,
        "phenotypicFeatures": features,
        "measurements": w.measurements(),
        "diseases": diseases,
        "medicalActions": w.actions(),
        "files": w.files(),
    }
    used: set[str] = set()
    _used_prefixes(packet, used)
    packet["metaData"] = w.meta(used, created or datetime.now(UTC))
    out = to_json_dict(to_proto(packet, "<export>"))
    problems = validate_phenopacket(out, "<export>")
    if problems:  # a bug in this writer, not bad input
        from ...errors import PoemsdxError

        raise PoemsdxError(f"internal error: the exported phenopacket breaks a rule: {problems[0]}")
    return out
