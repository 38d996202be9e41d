"""A GA4GH Phenopacket v2 → ``Case``.

The packet is parsed with the official schema first, then checked against poemsdx's own
rules (ids, CURIEs, units); both kinds of problem are ``InputError`` naming the JSON
path. Terms and assays poemsdx does not know, units that do not fit the analyte, a VEGF
without a specimen, and poemsdx's own conclusions (diseases pointed at by a
``POEMSDX:assessment.*`` reference) are listed in the ``ImportReport``.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ...errors import InputError, Location, UnitError
from ...knowledge.registry import Knowledge
from ...model import (
    Case,
    Document,
    Event,
    Evidence,
    Finding,
    Measurement,
    NcsLimits,
    NerveConduction,
    Observation,
    Patient,
    ReferenceRange,
    When,
)
from ...model.observations import FindingStatus
from ...model.time import duration_days
from ...units import convert
from ..case import WELL_KNOWN_ANCHORS
from ..interop import (
    NCS_FIELDS,
    CodeMap,
    ImportReport,
    NotAFinding,
    assemble_case,
    check_unit,
    code_map,
    json_path,
    parse_time_code,
    specimen_from_loinc_name,
    specimen_from_text,
    stated_observation,
    typing_from_text,
)
from ._common import LOCAL, Json, read_description, read_time_element, to_json_dict, to_proto
from ._validate import validate_phenopacket
from ._write import NCS_LIMITS, NCS_UNITS

_SEX = {"MALE": "male", "FEMALE": "female", "OTHER_SEX": "other", "UNKNOWN_SEX": "unknown"}
_CURIE_SYSTEMS = {"HP": "HPO", "ORPHA": "ORPHA", "MONDO": "MONDO", "LOINC": "LOINC"}


class _Skip(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


class Reader:
    def __init__(self, kb: Knowledge, report: ImportReport, source: str) -> None:
        self.kb = kb
        self.cm: CodeMap = code_map(kb)
        self.report = report
        self.source = source
        self.observations: list[Observation] = []
        self.events: list[Event] = []
        self.anchors: dict[str, When] = {}
        self.documents: list[Document] = []
        self.derived: dict[str, str] = {}
        self.event_refs: dict[str, tuple[str, dict[str, list[str]]]] = {}

    def _where(self, path: str) -> Location:
        return Location(self.source, path=path)

    def _time(self, te: Json | None, path: str) -> When | None:
        return read_time_element(te, self._where(path), self.report.notes)

    def _concept(self, oc: Json | None) -> str | None:
        if not oc:
            return None
        curie = str(oc.get("id", ""))
        prefix, _, local = curie.partition(":")
        if prefix == LOCAL and local in self.kb.concepts:
            return local
        system = _CURIE_SYSTEMS.get(prefix) or self.cm.system_for_prefix(prefix)
        if system is not None:
            found = self.cm.concept_for(system, local if system == "LOINC" else curie)
            if found:
                return found
        label = oc.get("label")
        return self.cm.concept_by_name(str(label)) if label else None

    def _evidence(self, path: str, notes: list[str]) -> tuple[Evidence, ...]:
        if not notes:
            return (Evidence(path=path, extractor="phenopacket"),)
        return tuple(Evidence(path=path, extractor="phenopacket", note=n) for n in notes)

    # -- entry point -------------------------------------------------------------------------
    def read(self, data: Json) -> Case:
        meta = data.get("metaData") or {}
        for i, ref in enumerate(meta.get("externalReferences") or []):
            self._reference(json_path("metaData", "externalReferences", i), ref)
        subject = data.get("subject") or {}
        sex = _SEX.get(str(subject.get("sex", "UNKNOWN_SEX")))
        age = None
        te = subject.get("timeAtLastEncounter") or {}
        if isinstance(te.get("age"), dict) and te["age"].get("iso8601duration"):
            try:
                age = round(
                    duration_days(str(te["age"]["iso8601duration"]).split("T")[0]) / 365.25, 2
                )
            except ValueError as exc:
                raise InputError(str(exc), self._where("subject.timeAtLastEncounter.age")) from exc
        if subject.get("dateOfBirth"):
            self.anchors["birth"] = When(date=str(subject["dateOfBirth"])[:10], label="birth")
        sections = (
            ("phenotypicFeatures", self._feature),
            ("measurements", self._measurement),
            ("diseases", self._disease),
            ("medicalActions", self._action),
            ("files", self._file),
        )
        for key, handler in sections:
            for i, item in enumerate(data.get(key) or []):
                try:
                    handler(json_path(key, i), item)
                except _Skip as skip:
                    self.report.skip(skip.path, skip.reason)
        for key in ("biosamples", "interpretations"):
            for i, _ in enumerate(data.get(key) or []):
                self.report.skip(json_path(key, i), f"{key} are not used by poemsdx")
        self._place_ages()
        return assemble_case(
            self.kb,
            case_id=str(data.get("id") or "phenopacket"),
            patient=Patient(age=age, sex=sex),
            anchors=self.anchors,
            observations=self.observations,
            events=self.events,
            documents=self.documents,
            source=self.source,
            what="the phenopacket",
        )

    def _reference(self, path: str, ref: Json) -> None:
        rid = str(ref.get("id", ""))
        if not rid.startswith(f"{LOCAL}:"):
            return
        kind, _, name = rid[len(LOCAL) + 1 :].partition(".")
        if kind == "anchor":
            self.anchors[name] = parse_time_code(
                str(ref.get("reference", "")), ref.get("description"), self._where(path)
            )
        elif kind == "event" and ref.get("reference"):
            self.event_refs[str(ref["reference"])] = (
                name,
                read_description(ref.get("description")),
            )
        elif kind == "assessment" and ref.get("reference"):
            key = str(ref["reference"])
            verdict = str(ref.get("description") or name)
            self.derived[key] = (
                f"{self.derived[key]}; {verdict}" if key in self.derived else verdict
            )
        elif kind == "uncertain":
            fields = read_description(ref.get("description"))
            cid = self._concept({"id": ref.get("reference"), "label": _one(fields, "uncertain")})
            if cid is None:
                self.report.skip(path, f"unknown term '{ref.get('reference')}'")
                return
            time = _one(fields, "time")
            when = (
                parse_time_code(time, _one(fields, "time_label"), self._where(path))
                if time
                else None
            )
            self.observations.append(
                Finding(
                    concept=cid,
                    status="uncertain",
                    site=_one(fields, "site"),
                    time=when,
                    evidence=self._evidence(path, []),
                )
            )

    # -- features and diseases -----------------------------------------------------------------
    def _feature(self, path: str, f: Json) -> None:
        cid = self._concept(f.get("type"))
        if cid is None:
            raise _Skip(json_path(path, "type"), f"unknown term {_show(f.get('type'))}")
        fields = read_description(f.get("description"))
        when = self._time(f.get("onset"), json_path(path, "onset"))
        status: FindingStatus = "absent" if f.get("excluded") else "present"
        evidence = self._evidence(path, fields.get("note", []))
        try:
            stated = stated_observation(
                self.kb, cid, status, site=_one(fields, "site"), time=when, evidence=evidence
            )
        except NotAFinding as exc:
            raise _Skip(json_path(path, "type"), str(exc)) from None
        self.observations.append(stated)
        if not isinstance(stated, Finding):
            return
        resolved = self._time(f.get("resolution"), json_path(path, "resolution"))
        if resolved is not None and status == "present":
            self.observations.append(
                Finding(concept=cid, status="absent", time=resolved, evidence=evidence)
            )

    def _disease(self, path: str, d: Json) -> None:
        if path in self.derived:
            raise _Skip(
                path,
                f"poemsdx's own conclusion ({self.derived[path]}), not an observation;"
                " poemsdx re-evaluates instead of reading it",
            )
        cid = self._concept(d.get("term"))
        if cid is None:
            raise _Skip(json_path(path, "term"), f"unknown disease {_show(d.get('term'))}")
        if self.kb.concepts[cid].kind not in ("disease", "finding", "group"):
            raise _Skip(json_path(path, "term"), f"'{cid}' is not a disease")
        self.observations.append(
            Finding(
                concept=cid,
                status="absent" if d.get("excluded") else "present",
                time=self._time(d.get("onset"), json_path(path, "onset")),
                evidence=self._evidence(path, []),
            )
        )

    # -- measurements --------------------------------------------------------------------------
    def _measurement(self, path: str, m: Json) -> None:
        assay = m.get("assay") or {}
        if assay.get("id") == f"{LOCAL}:nerve_conduction":
            self.observations.append(self._ncs(path, m))
            return
        cid = self._concept(assay)
        if cid is None:
            raise _Skip(json_path(path, "assay"), f"unknown assay {_show(assay)}")
        concept = self.kb.concepts[cid]
        if concept.kind != "measurement":
            raise _Skip(json_path(path, "assay"), f"'{cid}' is a {concept.kind}, not a measurement")
        fields = read_description(m.get("description"))
        value = unit = result = None
        rr = None
        v = m.get("value") or {}
        if "quantity" in v:
            q = v["quantity"]
            value = float(q.get("value", 0.0))
            unit = self._unit(json_path(path, "value", "quantity", "unit"), q.get("unit"), cid)
            rr = self._range(json_path(path, "value", "quantity", "referenceRange"), q, fields, cid)
            result = _one(fields, "result")
        elif "ontologyClass" in v:
            oc = v["ontologyClass"]
            prefix, _, code = str(oc.get("id", "")).partition(":")
            result = self.cm.result_for_snomed(code) if prefix == "SNOMEDCT" else None
            result = result or self.cm.result_for_word(str(oc.get("label", "")))
            if result is None:
                raise _Skip(
                    json_path(path, "value", "ontologyClass"), f"result {_show(oc)} not understood"
                )
        elif "complexValue" in m:
            raise _Skip(
                json_path(path, "complexValue"), "complex values are read only for nerve conduction"
            )
        info = None
        if str(assay.get("id", "")).startswith("LOINC:"):
            info = self.cm.code_info("LOINC", str(assay["id"]).split(":", 1)[1])
        proc = m.get("procedure") or {}
        specimen = self._specimen(proc.get("bodySite")) or (info.specimen if info else None)
        specimen = specimen or specimen_from_loinc_name([str(assay.get("label", ""))])
        if specimen and concept.specimens and specimen not in concept.specimens:
            raise _Skip(
                json_path(path, "procedure", "bodySite"),
                f"specimen '{specimen}' does not fit {cid}",
            )
        if concept.specimen_required and specimen is None:
            raise _Skip(
                path,
                f"{self.kb.label(cid)} without a specimen: serum and plasma values differ about"
                " tenfold, so poemsdx does not guess one (give procedure.bodySite)",
            )
        proc_code = proc.get("code") or {}
        method = None
        if proc_code.get("id", "") != f"{LOCAL}:specimen_collection" and proc_code.get("label"):
            method = str(proc_code["label"])
        method = method or (info.method if info else None)
        heavy, light = typing_from_text(_one(fields, "typing") or "")
        try:
            self.observations.append(
                Measurement(
                    concept=cid,
                    value=value,
                    unit=unit,
                    result=result,
                    specimen=specimen,
                    reference_range=rr,
                    method=method,
                    heavy_chain=heavy,
                    light_chain=light,
                    time=self._time(m.get("timeObserved"), json_path(path, "timeObserved")),
                    evidence=self._evidence(path, fields.get("note", [])),
                )
            )
        except ValidationError as exc:
            raise _Skip(path, exc.errors()[0]["msg"].removeprefix("Value error, ")) from exc

    def _unit(self, path: str, oc: Json | None, cid: str) -> str:
        oc = oc or {}
        curie = str(oc.get("id", ""))
        unit = curie.split(":", 1)[1] if curie.startswith("UCUM:") else str(oc.get("label") or "")
        try:
            return check_unit(self.kb, unit, cid)
        except UnitError as exc:
            raise _Skip(path, exc.message) from exc

    def _range(
        self, path: str, q: Json, fields: dict[str, list[str]], cid: str
    ) -> ReferenceRange | None:
        rr = q.get("referenceRange")
        if rr is None:
            low_text = _one(fields, "reference_low")
            if low_text:
                value, _, unit = low_text.partition(" ")
                return ReferenceRange(low=float(value), unit=unit or None)
            return None
        low, high = float(rr.get("low", 0.0)), float(rr.get("high", 0.0))
        if high == 0.0:
            if low == 0.0:
                self.report.skip(path, "reference range 0–0 carries no limits")
                return None
            high_value = None  # only a lower limit was given
        else:
            high_value = high
        try:
            unit = self._unit(json_path(path, "unit"), rr.get("unit"), cid)
        except _Skip as skip:
            self.report.skip(skip.path, skip.reason + " (reference range not used)")
            return None
        try:
            return ReferenceRange(
                low=low, high=high_value, unit=unit, text=_one(fields, "reference_text")
            )
        except ValidationError as exc:
            self.report.skip(path, exc.errors()[0]["msg"].removeprefix("Value error, "))
            return None

    def _specimen(self, oc: Json | None) -> str | None:
        if not oc:
            return None
        curie = str(oc.get("id", ""))
        if curie.startswith(f"{LOCAL}:specimen."):
            name = curie.split(".", 1)[1]
            return name if name in self.cm.table.specimens else None
        for name, spec in self.cm.table.specimens.items():
            if spec.uberon and spec.uberon == curie:
                return name
        return specimen_from_text(str(oc.get("label", "")))

    def _ncs(self, path: str, m: Json) -> NerveConduction:
        proc = m.get("procedure") or {}
        modality = str((proc.get("code") or {}).get("id", "")).rpartition(".")[2]
        site = str((proc.get("bodySite") or {}).get("id", "")).removeprefix(f"{LOCAL}:nerve.")
        nerve, _, side = site.partition(".")
        fields: dict[str, Any] = {"nerve": nerve, "modality": modality, "side": side or None}
        limits: dict[str, float] = {}
        amp = "mV" if modality == "motor" else "uV"
        for i, tq in enumerate((m.get("complexValue") or {}).get("typedQuantities") or []):
            tpath = json_path(path, "complexValue", "typedQuantities", i)
            key = str((tq.get("type") or {}).get("id", "")).removeprefix(f"{LOCAL}:ncs.")
            q = tq.get("quantity") or {}
            value = float(q.get("value", 0.0))
            unit = str((q.get("unit") or {}).get("id", "")).removeprefix("UCUM:")
            target = NCS_UNITS.get(key, amp)
            if target not in ("1",) and unit and unit != target:
                try:
                    value = convert(value, unit, target)
                except UnitError as exc:
                    self.report.skip(tpath, exc.message)
                    continue
            if key in ("f_wave_absent", "not_recordable"):
                fields[key] = value >= 0.5
            elif key in NCS_FIELDS:
                fields[key] = value
            elif key.startswith("limit.") and key[6:] in NCS_LIMITS:
                limits[key[6:]] = value
            else:
                self.report.skip(tpath, f"nerve-conduction value '{key}' not understood")
        notes = read_description(m.get("description")).get("note", [])
        try:
            return NerveConduction(
                time=self._time(m.get("timeObserved"), json_path(path, "timeObserved")),
                evidence=self._evidence(path, notes),
                limits=NcsLimits(**limits) if limits else None,
                **fields,
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise _Skip(path, f"nerve-conduction row: {where}: {err['msg']}") from exc

    # -- treatments and files --------------------------------------------------------------------
    def _action(self, path: str, a: Json) -> None:
        start = end = None
        eid = None
        notes: list[str] = []
        directed = None
        if "therapeuticRegimen" in a:
            reg = a["therapeuticRegimen"]
            rpath = json_path(path, "therapeuticRegimen")
            oc = reg.get("ontologyClass") or {}
            cpath = json_path(rpath, "ontologyClass")
            start = self._time(reg.get("startTime"), json_path(rpath, "startTime"))
            end = self._time(reg.get("endTime"), json_path(rpath, "endTime"))
        elif "treatment" in a:
            oc, cpath = a["treatment"].get("agent") or {}, json_path(path, "treatment", "agent")
            intervals = a["treatment"].get("doseIntervals") or []
            if intervals:
                iv = (
                    {"interval": intervals[0].get("interval")}
                    if intervals[0].get("interval")
                    else None
                )
                start = self._time(iv, json_path(path, "treatment", "doseIntervals", 0))
        elif "procedure" in a:
            oc, cpath = a["procedure"].get("code") or {}, json_path(path, "procedure", "code")
            start = self._time(
                a["procedure"].get("performed"), json_path(path, "procedure", "performed")
            )
        else:
            oc, cpath = {"id": f"{LOCAL}:radiotherapy", "label": "radiotherapy"}, path
        cid = self._concept(oc)
        if cid is None:
            raise _Skip(cpath, f"not a treatment poemsdx knows {_show(oc)}")
        if self.kb.concepts[cid].kind != "treatment":
            raise _Skip(cpath, f"'{cid}' is a {self.kb.concepts[cid].kind}, not a treatment")
        if path in self.event_refs:
            eid, fields = self.event_refs[path]
            notes = fields.get("note", [])
            flag = _one(fields, "disease_directed")
            directed = None if flag is None else flag == "true"
        taken = {e.id for e in self.events} | set(self.anchors) | set(WELL_KNOWN_ANCHORS)
        if eid is None or eid in taken:
            eid, n = cid, 2
            while eid in taken:
                eid, n = f"{cid}_{n}", n + 1
        self.events.append(
            Event(
                id=eid,
                concept=cid,
                start=start,
                end=end,
                disease_directed=directed,
                evidence=self._evidence(path, notes),
            )
        )

    def _file(self, path: str, f: Json) -> None:
        attrs = f.get("fileAttributes") or {}
        doc_id = attrs.get("poemsdx_document_id")
        if not doc_id:
            raise _Skip(path, "file references are not read (no text in a Phenopacket)")
        uri = str(f.get("uri", ""))
        try:
            doc = Document.model_validate(
                {
                    "id": str(doc_id),
                    "kind": attrs.get("kind", "patient_record"),
                    "language": attrs.get("language"),
                    "title": attrs.get("title"),
                    "source": None if uri.startswith("urn:poemsdx:document:") else uri,
                }
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            raise _Skip(
                json_path(path, "fileAttributes"), f"{err['loc'][0]}: {err['msg']}"
            ) from exc
        self.documents.append(doc)

    def _place_ages(self) -> None:
        """Times given as ages: without a birth date they cannot be placed on a calendar,
        so each is put before or after the first disease-directed treatment by its age."""
        if "birth" in self.anchors and self.anchors["birth"].date:
            return
        uses_age = any(
            o.time is not None and o.time.anchor == "birth" for o in self.observations
        ) or any(e.start is not None and e.start.anchor == "birth" for e in self.events)
        if not uses_age:
            return
        self.anchors["birth"] = When(label="birth (date not given)")
        starts = [
            duration_days(e.start.offset)
            for e in self.events
            if e.start is not None
            and e.start.anchor == "birth"
            and e.start.offset
            and (
                e.disease_directed
                if e.disease_directed is not None
                else bool(self.kb.concepts[e.concept].disease_directed)
            )
        ]
        if not starts:
            return
        first = min(starts)
        placed: list[Observation] = []
        for o in self.observations:
            t = o.time
            if t is not None and t.anchor == "birth" and t.offset and t.phase is None:
                phase = "before_treatment" if duration_days(t.offset) < first else "after_treatment"
                o = o.model_copy(update={"time": t.model_copy(update={"phase": phase})})
            placed.append(o)
        self.observations = placed
        self.report.note(
            "times given as ages were placed before or after the first treatment by age"
        )


def _one(fields: dict[str, list[str]], key: str) -> str | None:
    values = fields.get(key)
    return values[0] if values else None


def _show(oc: Any) -> str:
    if isinstance(oc, dict):
        label = f" ({oc['label']})" if oc.get("label") else ""
        return f"{oc.get('id')}{label}"
    return repr(oc)


def read_phenopacket(data: Any, kb: Knowledge, source: str) -> tuple[Case, ImportReport]:
    if not isinstance(data, dict):
        raise InputError(
            f"a Phenopacket is a JSON object, not {type(data).__name__}", Location(source)
        )
    # Read the schema's own rendering of the packet: nulls, wrong shapes and missing
    # scalars are settled by the parser, and list positions (JSON paths) are unchanged.
    data = to_json_dict(to_proto(data, source))
    problems = validate_phenopacket(data, source)
    if problems:
        raise problems[0]
    report = ImportReport(source)
    return Reader(kb, report, source).read(data), report
