"""An ``Evaluation`` → a FHIR R4 Bundle (type ``collection``).

The bundle holds the Patient; an Observation per measurement (LOINC where the concept has
a VERIFIED or CORROBORATED code, UCUM quantities, the lab's reference range, the specimen
as a contained Specimen) and per nerve-conduction row (one component per value); a
Condition per finding (refuted when absent, provisional when uncertain); a Procedure or
MedicationStatement per treatment; a DocumentReference per source document; a
ClinicalImpression per criteria set (its verdict, one finding per criteria item, the
supporting resources); and a ServiceRequest (intent ``proposal``) per test that would
settle an undetermined item. Ids are derived from the case id, so the same case always
gives the same bundle.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from ...engine.result import Assessment, NodeResult
from ...errors import PoemsdxError
from ...evaluation import Evaluation
from ...knowledge.registry import Knowledge
from ...model import Case, Event, Finding, Measurement, NerveConduction, When
from ...units import parse_unit
from ..interop import NCS_FIELDS, CodeMap, code_map
from ._common import (
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    INTERPRETATION,
    OBSERVATION_CATEGORY,
    V2_0487,
    Names,
    coding,
    time_extension,
)

Json = dict[str, Any]
UCUM = "http://unitsofmeasure.org"
_TRUTH_WORD = {"true": "yes", "false": "no", "unknown": "unknown"}
_NCS_UNITS = {
    "distal_latency_ms": "ms",
    "conduction_velocity_m_s": "m/s",
    "f_wave_latency_ms": "ms",
    "distal_duration_ms": "ms",
    "proximal_duration_ms": "ms",
    "distal_distance_mm": "mm",
}
_NCS_LIMIT_UNITS = {
    "distal_latency_uln_ms": "ms",
    "conduction_velocity_lln_m_s": "m/s",
    "f_wave_latency_uln_ms": "ms",
}


def verdict_text(a: Assessment) -> str:
    """``met``, ``met (definite)``, ``not met`` or ``undetermined``."""
    text = a.status.replace("_", " ")
    return f"{text} ({a.category})" if a.category else text


class Writer:
    def __init__(self, evaluation: Evaluation, kb: Knowledge, lang: str) -> None:
        self.ev = evaluation
        self.case: Case = evaluation.case
        self.kb = kb
        self.lang = lang
        self.cm: CodeMap = code_map(kb)
        self.n = Names(self.cm)
        self.entries: list[Json] = []
        self.obs_urls: dict[int, str] = {}
        self.patient_ref: Json = {}

    # -- ids ------------------------------------------------------------------------------
    def _id(self, key: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.cm.base}/case/{self.case.id}/{key}"))

    def _add(self, key: str, resource: Json) -> str:
        rid = self._id(key)
        resource = {"resourceType": resource.pop("resourceType"), "id": rid, **resource}
        url = f"urn:uuid:{rid}"
        self.entries.append({"fullUrl": url, "resource": resource})
        return url

    def _label(self, cid: str) -> str:
        return self.kb.label(cid, self.lang)

    # -- codes ----------------------------------------------------------------------------
    def _code(self, cid: str, systems: tuple[str, ...]) -> Json:
        codings = []
        for system in systems:
            for ref in self.cm.codes(cid, system):
                if ref.method or ref.specimen:
                    continue  # e.g. 25700-6 names an immunofixation, not the concept itself
                codings.append(coding(self.cm.uri(system), self.cm.fhir_code(ref), ref.display))
        codings.append(coding(self.n.concept, cid, self.kb.label(cid)))
        return {"coding": codings, "text": self._label(cid)}

    def _quantity(self, value: float, unit: str) -> Json:
        return {"value": value, "unit": unit, "system": UCUM, "code": parse_unit(unit).ucum}

    def _time(self, resource: Json, when: When | None, date_key: str) -> None:
        if when is None:
            return
        resource.setdefault("extension", []).append(time_extension(self.n.ext_time, when))
        absolute = self._absolute(when)
        if absolute:
            resource[date_key] = absolute

    def _absolute(self, when: When) -> str | None:
        """The calendar date a time means, where it is exactly a (partial) date."""
        if when.date:
            return when.date
        if when.anchor and not when.offset:
            anchor = self.case.anchors.get(when.anchor)
            if anchor is not None and anchor.date:
                return anchor.date
            for ev in self.case.events:
                if ev.id == when.anchor and ev.start is not None and ev.start.date:
                    return ev.start.date
        return None

    def _notes(self, evidence: tuple[Any, ...], extra: str | None = None) -> list[Json]:
        texts = [e.quote or e.note for e in evidence if e.quote or e.note]
        if extra:
            texts.append(extra)
        return [{"text": t} for t in texts]

    # -- resources ------------------------------------------------------------------------
    def patient(self) -> None:
        p = self.case.patient
        res: Json = {
            "resourceType": "Patient",
            "identifier": [{"system": self.n.case_id, "value": self.case.id}],
        }
        if p.sex:
            res["gender"] = p.sex
        anchors = [
            time_extension(self.n.ext_anchor, when, name)
            for name, when in self.case.anchors.items()
        ]
        if anchors:
            res["extension"] = anchors
        url = self._add("patient", res)
        self.patient_ref = {"reference": url}
        if p.age is not None:
            age = self.cm.table.age
            self._add(
                "age",
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [coding(self.cm.uri(age.system), age.code, age.display)]},
                    "subject": self.patient_ref,
                    "valueQuantity": self._quantity(p.age, age.unit),
                },
            )

    def observations(self) -> None:
        for i, obs in enumerate(self.case.observations):
            if isinstance(obs, Measurement):
                res = self._measurement(obs)
            elif isinstance(obs, NerveConduction):
                res = self._ncs(obs)
            else:
                res = self._condition(obs)
            if obs.id:
                res["identifier"] = [{"system": self.n.observation_id, "value": obs.id}]
            self.obs_urls[i] = self._add(f"observation/{i}", res)

    def _measurement(self, m: Measurement) -> Json:
        res: Json = {
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [coding(OBSERVATION_CATEGORY, "laboratory", "Laboratory")]}],
            "code": self._code(m.concept, ("LOINC",)),
            "subject": self.patient_ref,
        }
        self._time(res, m.time, "effectiveDateTime")
        results = self.cm.table.results
        if m.value is not None and m.unit:
            res["valueQuantity"] = self._quantity(m.value, m.unit)
            if m.result:
                spec = results[m.result]
                res["interpretation"] = [
                    {"coding": [coding(INTERPRETATION, spec.interpretation, spec.display)]}
                ]
        elif m.result:
            spec = results[m.result]
            res["valueCodeableConcept"] = {
                "coding": [coding(self.cm.uri("SNOMEDCT"), spec.snomed, spec.display)],
                "text": m.result,
            }
        if m.method:
            res["method"] = {"text": m.method}
        if m.specimen:
            res["contained"] = [self._specimen(m.specimen)]
            res["specimen"] = {"reference": "#specimen"}
        comps = []
        for key, value in (("heavy_chain", m.heavy_chain), ("light_chain", m.light_chain)):
            if value:
                comps.append(
                    {
                        "code": {
                            "coding": [coding(self.n.component, key)],
                            "text": key.replace("_", " "),
                        },
                        "valueCodeableConcept": {"text": value},
                    }
                )
        if comps:
            res["component"] = comps
        rr = m.reference_range
        if rr is not None and (rr.low is not None or rr.high is not None or rr.text):
            unit = rr.unit or m.unit
            rng: Json = {}
            if rr.low is not None:
                rng["low"] = self._quantity(rr.low, unit) if unit else {"value": rr.low}
            if rr.high is not None:
                rng["high"] = self._quantity(rr.high, unit) if unit else {"value": rr.high}
            if rr.text:
                rng["text"] = rr.text
            res["referenceRange"] = [rng]
        notes = self._notes(m.evidence, m.note)
        if notes:
            res["note"] = notes
        return res

    def _specimen(self, name: str) -> Json:
        spec = self.cm.table.specimens.get(name)
        codings = []
        if spec is not None and spec.v2_0487 and spec.verification != "UNVERIFIED":
            codings.append(coding(V2_0487, spec.v2_0487, spec.v2_display))
        codings.append(coding(self.n.specimen, name))
        return {
            "resourceType": "Specimen",
            "id": "specimen",
            "type": {"coding": codings, "text": name.replace("_", " ")},
            "subject": self.patient_ref,
        }

    def _ncs(self, r: NerveConduction) -> Json:
        comps: list[Json] = []

        def comp(key: str, **value: Any) -> None:
            comps.append(
                {
                    "code": {
                        "coding": [coding(self.n.component, key)],
                        "text": key.replace("_", " "),
                    },
                    **value,
                }
            )

        comp(
            "nerve",
            valueCodeableConcept={"coding": [coding(self.n.component, r.nerve)], "text": r.nerve},
        )
        comp(
            "modality",
            valueCodeableConcept={
                "coding": [coding(self.n.component, r.modality)],
                "text": r.modality,
            },
        )
        if r.side:
            comp(
                "side",
                valueCodeableConcept={"coding": [coding(self.n.component, r.side)], "text": r.side},
            )
        amp_unit = "mV" if r.modality == "motor" else "uV"
        for key in NCS_FIELDS:
            value = getattr(r, key)
            if value is not None:
                comp(key, valueQuantity=self._quantity(value, _NCS_UNITS.get(key, amp_unit)))
        if r.f_wave_absent is not None:
            comp("f_wave_absent", valueBoolean=r.f_wave_absent)
        if r.not_recordable:
            comp("not_recordable", valueBoolean=True)
        if r.limits is not None:
            for key in (
                "distal_latency_uln_ms",
                "amplitude_lln",
                "conduction_velocity_lln_m_s",
                "f_wave_latency_uln_ms",
            ):
                value = getattr(r.limits, key)
                if value is not None:
                    comp(
                        f"limit_{key}",
                        valueQuantity=self._quantity(value, _NCS_LIMIT_UNITS.get(key, amp_unit)),
                    )
        side = f"{r.side} " if r.side else ""
        res: Json = {
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [coding(OBSERVATION_CATEGORY, "procedure", "Procedure")]}],
            "code": {
                "coding": [coding(self.n.concept, "nerve_conduction", "nerve conduction")],
                "text": f"nerve conduction, {side}{r.nerve} nerve ({r.modality})",
            },
            "subject": self.patient_ref,
            "bodySite": {"text": f"{side}{r.nerve} nerve".replace("_", " ")},
            "component": comps,
        }
        self._time(res, r.time, "effectiveDateTime")
        notes = self._notes(r.evidence, r.note)
        if notes:
            res["note"] = notes
        return res

    def _condition(self, f: Finding) -> Json:
        res: Json = {"resourceType": "Condition"}
        if f.status != "absent":
            res["clinicalStatus"] = {"coding": [coding(CONDITION_CLINICAL, "active", "Active")]}
        ver = {"present": "confirmed", "absent": "refuted", "uncertain": "provisional"}[f.status]
        res["verificationStatus"] = {
            "coding": [coding(CONDITION_VERIFICATION, ver, ver.capitalize())]
        }
        res["code"] = self._code(
            f.concept, ("HPO", "ORPHA", "MONDO", "ICD10", "ICD10CM", "SNOMEDCT")
        )
        if f.site:
            res["bodySite"] = [{"text": f.site}]
        res["subject"] = self.patient_ref
        self._time(res, f.time, "recordedDate")
        notes = self._notes(f.evidence, f.note)
        if notes:
            res["note"] = notes
        return res

    def events(self) -> None:
        for i, ev in enumerate(self.case.events):
            self._add(f"event/{i}", self._event(ev))

    def _event(self, ev: Event) -> Json:
        kind = self.cm.table.treatments.get(ev.concept, "Procedure")
        res: Json = {"resourceType": kind}
        res["identifier"] = [{"system": self.n.event_id, "value": ev.id}]
        res["status"] = "completed"
        systems = ("RXNORM",) if kind == "MedicationStatement" else ("SNOMEDCT",)
        code = self._code(ev.concept, systems)
        date_key = "performedDateTime" if kind == "Procedure" else "effectiveDateTime"
        period_key = "performedPeriod" if kind == "Procedure" else "effectivePeriod"
        if kind == "Procedure":
            res["code"] = code
        else:
            res["medicationCodeableConcept"] = code
        res["subject"] = self.patient_ref
        exts: list[Json] = []
        if ev.start is not None:
            exts.append(time_extension(self.n.ext_time, ev.start))
        if ev.end is not None:
            exts.append(time_extension(self.n.ext_time_end, ev.end))
        if ev.disease_directed is not None:
            exts.append({"url": self.n.ext_disease_directed, "valueBoolean": ev.disease_directed})
        if exts:
            res["extension"] = exts
        start = self._absolute(ev.start) if ev.start else None
        end = self._absolute(ev.end) if ev.end else None
        if end:
            res[period_key] = {"start": start, "end": end} if start else {"end": end}
        elif start:
            res[date_key] = start
        notes = self._notes(ev.evidence, ev.note)
        if notes:
            res["note"] = notes
        return res

    def documents(self) -> None:
        for i, doc in enumerate(self.case.documents):
            att: Json = {"contentType": "text/plain; charset=utf-8"}
            if doc.language:
                att["language"] = doc.language
            if doc.source:
                att["title"] = doc.source
            if doc.text:
                att["data"] = base64.b64encode(doc.text.encode("utf-8")).decode("ascii")
            res: Json = {
                "resourceType": "DocumentReference",
                "identifier": [{"system": self.n.document_id, "value": doc.id}],
                "status": "current",
                "category": [{"coding": [coding(self.n.document_kind, doc.kind)]}],
                "subject": self.patient_ref,
                "content": [{"attachment": att}],
            }
            if doc.title:
                res["description"] = doc.title
            self._add(f"document/{i}", res)

    # -- assessments ----------------------------------------------------------------------
    def assessments(self) -> None:
        requests: dict[str, tuple[Json, list[str]]] = {}
        for a in self.ev.assessments:
            url = self._add(f"assessment/{a.criteria_id}", self._impression(a))
            for t in a.next_tests:
                entry = requests.setdefault(t.id, (self._request(t), []))
                entry[1].append(url)
        for tid, (res, urls) in requests.items():
            res["supportingInfo"] = [{"reference": u} for u in urls]
            self._add(f"request/{tid}", res)

    def _impression(self, a: Assessment) -> Json:
        title = a.title.get(self.lang) or a.title["en"]
        findings: list[Json] = []
        support: list[str] = []
        for node in a.tree.walk():
            if node.kind != "item" or not node.item_id:
                continue
            label = (
                (node.label or {}).get(self.lang) or (node.label or {}).get("en") or node.item_id
            )
            refs = self._supporting(node)
            support += [r for r in refs if r not in support]
            evidence = "; ".join(e.text for n in node.walk() for e in n.evidence)
            basis = _TRUTH_WORD[node.truth.value] + (f" — {evidence}" if evidence else "")
            findings.append(
                {
                    "itemCodeableConcept": {
                        "coding": [
                            coding(self.n.criteria, f"{a.criteria_id}/{node.item_id}", label)
                        ],
                        "text": label,
                    },
                    "basis": basis,
                }
            )
        notes = []
        if a.missing:
            notes.append("missing: " + "; ".join(m.label for m in a.missing))
        for alt in a.alternatives:
            if alt.status != a.status or alt.category != a.category:
                notes.append(
                    f"under {alt.parameter}={alt.value}: {alt.status.replace('_', ' ')}"
                    + (f" ({alt.category})" if alt.category else "")
                )
        if a.unverified:
            notes.append("unverified thresholds: " + "; ".join(a.unverified))
        res: Json = {
            "resourceType": "ClinicalImpression",
            "status": "completed",
            "code": {
                "coding": [coding(self.n.criteria, a.criteria_id, a.title["en"])],
                "text": title,
            },
            "description": "; ".join(
                [f"{title} ({a.version})", *a.citation[:1], f"criteria set {a.verification}"]
            ),
            "subject": self.patient_ref,
            "summary": f"{a.criteria_id}: {verdict_text(a)}",
        }
        if findings:
            res["finding"] = findings
        if support:
            res["supportingInfo"] = [{"reference": r} for r in support]
        if notes:
            res["note"] = [{"text": t} for t in notes]
        return res

    def _supporting(self, node: NodeResult) -> list[str]:
        out: list[str] = []
        for n in node.walk():
            for e in n.evidence:
                if e.observation is not None and e.observation in self.obs_urls:
                    url = self.obs_urls[e.observation]
                    if url not in out:
                        out.append(url)
        return out

    def _request(self, test: Any) -> Json:
        label = test.label.get(self.lang) or test.label["en"]
        res: Json = {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "proposal",
            "code": {"coding": [coding(self.n.test, test.id, test.label["en"])], "text": label},
            "subject": self.patient_ref,
            "reasonCode": [{"text": "would settle: " + ", ".join(test.settles)}],
        }
        if test.note:
            res["note"] = [{"text": test.note.get(self.lang) or test.note["en"]}]
        return res


def export_fhir(
    evaluation: Evaluation, kb: Knowledge, *, lang: str = "en", timestamp: str | None = None
) -> dict[str, Any]:
    """A FHIR R4 Bundle (type ``collection``) of the case and its assessments, checked
    against the R4B models before it is returned."""
    w = Writer(evaluation, kb, lang)
    w.patient()
    w.observations()
    w.events()
    w.documents()
    w.assessments()
    bundle: Json = {
        "resourceType": "Bundle",
        "id": w._id("bundle"),
        "type": "collection",
    }
    if timestamp:
        bundle["timestamp"] = timestamp
    bundle["entry"] = w.entries
    _check(bundle)
    return bundle


def _check(bundle: Json) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:  # a bug in this writer, not bad input
        raise PoemsdxError(
            f"internal error: the exported bundle is not valid FHIR R4: {exc}"
        ) from exc
