"""FHIR R4 resources → ``Case``: Patient, Observation, Condition, DiagnosticReport,
Procedure, MedicationStatement and MedicationAdministration.

Structure is checked with the ``fhir.resources`` R4B models, then the code values poemsdx
relies on (statuses, code-system URIs) are checked here, because the models do not
enforce value sets. Each resource is mapped on its own; whatever cannot be used (an
unknown code, a unit that does not fit the analyte, a VEGF without a specimen) is
recorded in the ``ImportReport`` with its JSON path and never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError

from ...errors import InputError, Location
from ...model import (
    Case,
    Document,
    Event,
    Evidence,
    Finding,
    Patient,
    When,
)
from ...model.observations import FindingStatus
from ...model.time import date_bounds
from ..case import WELL_KNOWN_ANCHORS
from ..interop import NotAFinding, assemble_case, json_path, stated_observation
from ._common import (
    CLINICAL_STATUS,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    GENDERS,
    VERIFICATION_STATUS,
    read_time_extension,
)
from ._observations import ObservationReader
from ._reader_base import Json, _attachment_text, _first, _Skip, _texts

# --------------------------------------------------------------------------------------
# the reader
# --------------------------------------------------------------------------------------


#: resources read only when a result refers to them
SUPPORTING = ("Specimen", "Medication")


class Reader(ObservationReader):
    """Builds one ``Case`` from the resources of one patient."""

    # -- entry point ----------------------------------------------------------------------
    def read(self, resources: Sequence[tuple[str, Json]]) -> Case:
        for path, res in resources:
            self._index(path, res)
        for path, res in resources:
            if res.get("resourceType") == "Patient":
                self.path = path
                self._patient(path, res)
        supporting: list[tuple[str, Json]] = []
        for path, res in resources:
            self.path = path
            rtype = res.get("resourceType")
            if rtype == "Patient":
                continue
            handler = _HANDLERS.get(str(rtype))
            if handler is None:
                if rtype in SUPPORTING:
                    supporting.append((path, res))
                elif rtype != "OperationOutcome":
                    self.report.skip(path, f"{rtype} resources are not used by poemsdx")
                continue
            self._check_status(path, res)
            try:
                handler(self, path, res)
            except _Skip as skip:
                self.report.skip(skip.path, skip.reason)
        for path, res in supporting:
            if id(res) not in self._used:
                self.report.skip(path, f"{res.get('resourceType')} not referenced by any result")
        return self._case()

    def _patient(self, path: str, res: Json) -> None:
        self._patients += 1
        if self._patients > 1:
            raise InputError(
                "more than one Patient; give one patient per bundle",
                Location(self.source, path=path),
            )
        gender = res.get("gender")
        if gender is not None:
            if gender not in GENDERS:
                raise InputError(
                    f"invalid Patient.gender '{gender}'; allowed: {', '.join(sorted(GENDERS))}",
                    Location(self.source, path=json_path(path, "gender")),
                )
            self.sex = str(gender)
        if res.get("birthDate"):
            self.birth_date = str(res["birthDate"])
        self.case_id = self._identifier(res, self.n.case_id) or self.case_id
        for i, ext in enumerate(res.get("extension") or []):
            if ext.get("url") == self.n.ext_anchor:
                fields = read_time_extension(ext)
                name = fields.pop("name", None)
                if not name:
                    self.report.skip(json_path(path, "extension", i), "case-anchor without a name")
                    continue
                try:
                    self.anchors[name] = When.model_validate(fields)
                except ValidationError as exc:
                    raise InputError(
                        f"invalid case-anchor '{name}': {exc.errors()[0]['msg']}",
                        Location(self.source, path=json_path(path, "extension", i)),
                    ) from exc

    # -- Observation ------------------------------------------------------------------------
    def _condition(self, path: str, res: Json) -> None:
        clinical = self._status_code(
            path, res, "clinicalStatus", CONDITION_CLINICAL, CLINICAL_STATUS
        )
        verification = self._status_code(
            path, res, "verificationStatus", CONDITION_VERIFICATION, VERIFICATION_STATUS
        )
        if verification == "entered-in-error":
            raise _Skip(path, "Condition entered in error")
        cid, _, _ = self._concept(res.get("code"), json_path(path, "code"))
        if cid is None:
            raise _Skip(
                json_path(path, "code"),
                f"unknown code ({self._describe_code(res.get('code'))}): no poemsdx concept has it",
            )
        status: FindingStatus = "present"
        if verification == "refuted":
            status = "absent"
        elif verification in ("provisional", "differential", "unconfirmed"):
            status = "uncertain"
        when = self._when(res, "onsetDateTime", "onsetPeriod", "recordedDate")
        evidence = self._evidence(path, res)
        site = _first(_texts(_first(res.get("bodySite") or [])))
        try:
            stated = stated_observation(
                self.kb, cid, status, site=site, time=when, evidence=evidence
            )
        except NotAFinding as exc:
            raise _Skip(json_path(path, "code"), str(exc)) from None
        self.observations.append(stated)
        if not isinstance(stated, Finding):
            return
        if status == "present" and clinical in ("inactive", "remission", "resolved"):
            ended = self._when(res, "abatementDateTime", "abatementPeriod")
            if ended is not None:
                self.observations.append(
                    Finding(concept=cid, status="absent", time=ended, evidence=evidence)
                )

    def _status_code(
        self, path: str, res: Json, key: str, system: str, allowed: frozenset[str]
    ) -> str | None:
        cc = res.get(key)
        if not cc:
            return None
        for i, c in enumerate(cc.get("coding") or []):
            if c.get("system") == system:
                code = c.get("code")
                if code not in allowed:
                    raise InputError(
                        f"invalid Condition.{key} '{code}'; allowed: {', '.join(sorted(allowed))}",
                        Location(self.source, path=json_path(path, key, "coding", i, "code")),
                    )
                return str(code)
        self.report.note(f"{json_path(path, key)}: no code from {system}; ignored")
        return None

    # -- treatments -------------------------------------------------------------------------
    def _treatment(self, path: str, res: Json) -> None:
        self._unusable(path, res)
        rtype = res.get("resourceType")
        if rtype == "Procedure":
            cc, cpath = res.get("code"), json_path(path, "code")
        else:
            cc, cpath = (
                res.get("medicationCodeableConcept"),
                json_path(path, "medicationCodeableConcept"),
            )
            med = self._resolve(res.get("medicationReference"), res)
            if cc is None and med is not None:
                cc, cpath = med.get("code"), json_path(path, "medicationReference")
        cid, _, _ = self._concept(cc, cpath)
        if cid is None:
            raise _Skip(cpath, f"not a treatment poemsdx knows ({self._describe_code(cc)})")
        kind = self.kb.concepts[cid].kind
        if kind != "treatment":
            raise _Skip(cpath, f"'{cid}' is a {kind}, not a treatment")
        keys = (
            ("performedDateTime", "performedPeriod")
            if rtype == "Procedure"
            else ("effectiveDateTime", "effectivePeriod")
        )
        start = self._when(res, *keys)
        end = self._when(res, ext_url=self.n.ext_time_end)
        period = res.get("performedPeriod") or res.get("effectivePeriod") or {}
        if end is None and period.get("end"):
            end = When(date=str(period["end"])[:10])
        directed = None
        for ext in res.get("extension") or []:
            if ext.get("url") == self.n.ext_disease_directed and "valueBoolean" in ext:
                directed = bool(ext["valueBoolean"])
        eid = self._identifier(res, self.n.event_id) or self._event_id(cid)
        notes = [str(n["text"]) for n in res.get("note") or [] if n.get("text")]
        self.events.append(
            Event(
                id=eid,
                concept=cid,
                start=start,
                end=end,
                disease_directed=directed,
                note="\n".join(notes) or None,
                evidence=(Evidence(path=path, extractor="fhir"),),
            )
        )

    def _event_id(self, cid: str) -> str:
        taken = {e.id for e in self.events} | set(self.anchors) | set(WELL_KNOWN_ANCHORS)
        eid, n = cid, 2
        while eid in taken:
            eid, n = f"{cid}_{n}", n + 1
        return eid

    # -- narrative --------------------------------------------------------------------------
    def _report(self, path: str, res: Json) -> None:
        self._unusable(path, res)
        texts: list[tuple[str, str]] = []
        if res.get("conclusion"):
            texts.append((json_path(path, "conclusion"), str(res["conclusion"])))
        for i, att in enumerate(res.get("presentedForm") or []):
            text = _attachment_text(att)
            if text is None:
                self.report.skip(
                    json_path(path, "presentedForm", i),
                    f"attachment of type '{att.get('contentType')}' is not plain text",
                )
            else:
                texts.append((json_path(path, "presentedForm", i), text))
        if not texts:
            self.report.note(f"{path}: DiagnosticReport without conclusion or text")
        for tpath, text in texts:
            self._narrative(tpath, text)

    def _narrative(self, path: str, text: str) -> None:
        """Read narrative text with the text extractor; its observations keep their quotes."""
        try:
            from ...extract import extract_text
        except ImportError:
            self.report.skip(
                path, "narrative text not read: text extraction is not available in this build"
            )
            return
        doc_id = f"narrative-{len(self.documents) + 1}"
        try:
            extracted = extract_text(text, self.kb, document_id=doc_id, source=path)
        except Exception as exc:  # another module's failure must not lose the whole import
            self.report.skip(path, f"narrative text could not be read: {type(exc).__name__}: {exc}")
            return
        if not extracted.describes_a_patient:
            self.report.skip(path, "narrative describes a disease, not this patient")
            return
        taken = set(self.anchors) | {e.id for e in self.events}
        clash = (set(extracted.anchors) | {e.id for e in extracted.events}) & taken
        kept = [o for o in extracted.observations if o.time is None or o.time.anchor not in clash]
        if len(kept) < len(extracted.observations):
            self.report.skip(
                path,
                f"{len(extracted.observations) - len(kept)} observation(s) of the narrative refer"
                f" to time points already named in the bundle ({', '.join(sorted(clash))})",
            )
        self.anchors.update({k: v for k, v in extracted.anchors.items() if k not in clash})
        self.events += [e for e in extracted.events if e.id not in clash]
        self.observations += kept
        self.documents += list(extracted.documents)
        self.report.note(f"{path}: {len(kept)} observation(s) read from narrative text")

    def _document(self, path: str, res: Json) -> None:
        self._unusable(path, res)
        kind = None
        for cc in res.get("category") or []:
            for c in cc.get("coding") or []:
                if c.get("system") == self.n.document_kind:
                    kind = c.get("code")
        doc_id = self._identifier(res, self.n.document_id)
        if kind is None or doc_id is None:
            for i, content in enumerate(res.get("content") or []):
                text = _attachment_text(content.get("attachment") or {})
                if text is not None:
                    self._narrative(json_path(path, "content", i, "attachment"), text)
                else:
                    self.report.skip(json_path(path, "content", i), "attachment is not plain text")
            return
        att = ((res.get("content") or [{}])[0]).get("attachment") or {}
        self.documents.append(
            Document(
                id=doc_id,
                kind=kind,
                language=att.get("language"),
                title=res.get("description"),
                source=att.get("title"),
                text=_attachment_text(att),
            )
        )

    def _ours(self, path: str, res: Json) -> None:
        self._conclusions.setdefault(str(res.get("resourceType")), []).append(path)

    def _report_conclusions(self) -> None:
        for rtype, paths in self._conclusions.items():
            more = f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""
            self.report.skip(
                paths[0],
                f"{rtype}{more}: conclusions and proposals are not patient data;"
                " poemsdx re-evaluates instead of reading them",
            )

    # -- the case -----------------------------------------------------------------------------
    def _case(self) -> Case:
        self._report_conclusions()
        age = self._age_from_birth()
        if age is None:
            age = self.age
        return assemble_case(
            self.kb,
            case_id=self.case_id or "fhir-case",
            patient=Patient(age=age, sex=self.sex),
            anchors=self.anchors,
            observations=self.observations,
            events=self.events,
            documents=self.documents,
            source=self.source,
            what="the resources",
        )

    def _age_from_birth(self) -> float | None:
        if not self.birth_date:
            return None
        try:
            born = date.fromordinal(int(sum(date_bounds(self.birth_date[:10])) / 2))
        except ValueError:
            self.report.skip("Patient.birthDate", f"unreadable birth date '{self.birth_date}'")
            return None
        ref = self.reference_date
        if ref is None and self.dates:
            ref = date.fromordinal(int(max(date_bounds(d)[1] for d in self.dates)))
        if ref is None:
            self.report.note("Patient.birthDate: no dated result to reckon the age from")
            return None
        years = ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))
        if years < 0:
            self.report.skip("Patient.birthDate", "birth date after the results")
            return None
        return float(years)


_HANDLERS = {
    "Observation": Reader._observation,
    "Condition": Reader._condition,
    "Procedure": Reader._treatment,
    "MedicationStatement": Reader._treatment,
    "MedicationAdministration": Reader._treatment,
    "DiagnosticReport": Reader._report,
    "DocumentReference": Reader._document,
    "ClinicalImpression": Reader._ours,
    "ServiceRequest": Reader._ours,
}


#: every resource type the reader uses: Patient, the handled ones and their supports
READ_TYPES = ("Patient", *_HANDLERS, *SUPPORTING)


def without_nulls(value: Any) -> Any:
    """The JSON with every ``null`` member removed (FHIR JSON has no nulls; the models
    accept them as absent, so the reader does too)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def bundle_resources(data: Json) -> list[tuple[str, Json]]:
    """(JSON path, resource) of every entry; the fullUrl is kept for references."""
    out: list[tuple[str, Json]] = []
    for i, entry in enumerate(data.get("entry") or []):
        res = entry.get("resource")
        if not isinstance(res, dict):
            continue
        res = without_nulls(res)
        if entry.get("fullUrl"):
            res["_fullUrl"] = entry["fullUrl"]
        out.append((json_path("entry", i, "resource"), res))
    return out
