"""What the FHIR and Phenopacket adapters share: codes both ways, the import report, times.

Codes map to concepts through the ``codes`` of ``data/concepts.yaml`` plus the table in
``data/interop/codes.yaml`` (specimens, qualitative results, treatments, a few extra
LOINC codes), each with its verification tag. Where no standard code exists, poemsdx
writes its own: a FHIR code system under the table's ``canonical_base``, or the
``POEMSDX:`` prefix in a Phenopacket.

An import never drops an element silently: whatever it cannot use is recorded in an
``ImportReport`` with its JSON path and the reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import InputError, KnowledgeError, Location
from ..knowledge.registry import Knowledge
from ..knowledge.schema import Verification
from ..knowledge.yamlload import load_yaml, locate
from ..model import (
    Case,
    Document,
    Event,
    Evidence,
    Finding,
    Measurement,
    Observation,
    Patient,
    When,
)
from ..model.observations import FindingStatus

EXPORTED = ("VERIFIED", "CORROBORATED")


# --------------------------------------------------------------------------------------
# The code table (data/interop/codes.yaml)
# --------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PhenopacketResource(_Strict):
    id: str
    name: str
    prefix: str
    url: str
    iri_prefix: str
    version: str


class SystemSpec(_Strict):
    fhir: list[str] = []
    fhir_code: Literal["curie", "local"] = "local"
    phenopacket: PhenopacketResource | None = None
    verification: Verification
    source: str


class ConceptCode(_Strict):
    concept: str
    system: str
    code: str
    display: str
    method: str | None = None
    specimen: str | None = None
    verification: Verification
    source: str


class AgeCode(_Strict):
    system: str
    code: str
    display: str
    unit: str
    verification: Verification
    source: str


class SpecimenSpec(_Strict):
    v2_0487: str | None = None
    v2_display: str | None = None
    uberon: str | None = None
    uberon_label: str | None = None
    verification: Verification
    source: str


class ResultSpec(_Strict):
    snomed: str
    display: str
    interpretation: str
    verification: Verification
    source: str
    words: list[str]


class CodeTable(_Strict):
    schema_version: Literal[1]
    id: str
    canonical_base: str
    systems: dict[str, SystemSpec]
    concept_codes: list[ConceptCode]
    age: AgeCode
    specimens: dict[str, SpecimenSpec]
    results: dict[str, ResultSpec]
    interpretation_aliases: dict[str, str]
    treatments: dict[str, Literal["Procedure", "MedicationStatement"]]
    cds_test_priority: list[str] = []


def _table_path() -> Path:
    return Path(str(resources.files("poemsdx") / "data" / "interop" / "codes.yaml"))


@cache
def code_table() -> CodeTable:
    """The interop code table, loaded once and checked strictly."""
    path = _table_path()
    text = path.read_text(encoding="utf-8")
    data = load_yaml(text, str(path))
    try:
        return CodeTable.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise KnowledgeError(err["msg"], locate(data, list(err["loc"]), str(path))) from None


# --------------------------------------------------------------------------------------
# Concepts ↔ codes
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodeRef:
    """One code of a concept in a code system of concepts.yaml (HPO, LOINC, ORPHA, …)."""

    system: str
    code: str
    display: str | None
    verification: str
    method: str | None = None
    specimen: str | None = None


def _norm_code(system: str, code: str) -> str:
    code = code.strip()
    if system == "ORPHA":
        return code if code.upper().startswith("ORPHA:") else f"ORPHA:{code}"
    if system in ("HPO", "MONDO"):
        return code.upper()
    return code


def normalize_text(text: str) -> str:
    """Casefolded NFKC text with single spaces, for matching names and displays."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-]+", " ", text).strip()


class CodeMap:
    """Concepts by code and by name, and codes by concept, for one knowledge base."""

    def __init__(self, kb: Knowledge) -> None:
        self.kb = kb
        self.table = code_table()
        self.base = self.table.canonical_base.rstrip("/")
        self._by_code: dict[tuple[str, str], str] = {}
        self._refs: dict[str, list[CodeRef]] = {}
        self._by_name: dict[str, str] = {}
        for cid, c in kb.concepts.items():
            for code in c.codes:
                ref = CodeRef(code.system, code.code, code.display, code.verification)
                self._add(cid, ref)
            for names in c.names.values():
                for name in names:
                    self._by_name.setdefault(normalize_text(name), cid)
            self._by_name.setdefault(normalize_text(cid), cid)
        for extra in self.table.concept_codes:
            if extra.concept in kb.concepts:
                self._add(
                    extra.concept,
                    CodeRef(
                        extra.system,
                        extra.code,
                        extra.display,
                        extra.verification,
                        extra.method,
                        extra.specimen,
                    ),
                )
        self._uri_to_system: dict[str, str] = {}
        for name, spec in self.table.systems.items():
            for uri in spec.fhir:
                self._uri_to_system[uri.rstrip("/")] = name
        self._curie_to_system = {
            spec.phenopacket.prefix: name
            for name, spec in self.table.systems.items()
            if spec.phenopacket
        }
        self._extra = {
            (r.system, _norm_code(r.system, r.code)): r
            for r in (
                CodeRef(x.system, x.code, x.display, x.verification, x.method, x.specimen)
                for x in self.table.concept_codes
            )
        }

    def _add(self, cid: str, ref: CodeRef) -> None:
        self._by_code.setdefault((ref.system, _norm_code(ref.system, ref.code)), cid)
        self._refs.setdefault(cid, []).append(ref)

    # -- lookups --------------------------------------------------------------------------
    def concept_for(self, system: str, code: str) -> str | None:
        """The concept a code names (``system`` as in concepts.yaml: HPO, LOINC, …)."""
        return self._by_code.get((system, _norm_code(system, code)))

    def code_info(self, system: str, code: str) -> CodeRef | None:
        """Extra facts a code carries (method, specimen), from the interop table."""
        return self._extra.get((system, _norm_code(system, code)))

    def concept_by_name(self, text: str) -> str | None:
        """A concept whose name (any language) or id equals ``text``, ignoring case."""
        return self._by_name.get(normalize_text(text))

    def codes(self, cid: str, system: str | None = None, *, exported: bool = True) -> list[CodeRef]:
        """Codes of a concept (only VERIFIED/CORROBORATED ones unless ``exported=False``)."""
        out = self._refs.get(cid, [])
        if system is not None:
            out = [r for r in out if r.system == system]
        if exported:
            out = [r for r in out if r.verification in EXPORTED]
        return out

    # -- systems --------------------------------------------------------------------------
    def system_for_uri(self, uri: str) -> str | None:
        return self._uri_to_system.get(uri.rstrip("/"))

    def uri(self, system: str) -> str:
        return self.table.systems[system].fhir[0]

    def fhir_code(self, ref: CodeRef) -> str:
        """How a code is written in FHIR: ``HP:0001271`` keeps its prefix, Orphanet drops it."""
        spec = self.table.systems[ref.system]
        if spec.fhir_code == "local" and ":" in ref.code:
            return ref.code.split(":", 1)[1]
        return ref.code

    def system_for_prefix(self, prefix: str) -> str | None:
        return self._curie_to_system.get(prefix)

    def curie(self, ref: CodeRef) -> str:
        """A code as a Phenopacket CURIE: ``HP:0001271``, ``LOINC:2469-5``, ``ORPHA:2905``."""
        spec = self.table.systems[ref.system]
        prefix = spec.phenopacket.prefix if spec.phenopacket else ref.system
        if ref.code.upper().startswith(prefix.upper() + ":"):
            return prefix + ref.code[len(prefix) :]
        return f"{prefix}:{ref.code}"

    # -- poemsdx's own code systems -------------------------------------------------------
    def local(self, name: str) -> str:
        """URI of a poemsdx code system or extension, e.g. ``CodeSystem/concept``."""
        return f"{self.base}/{name}"

    def result_for_word(self, text: str) -> str | None:
        """A qualitative result named by ``text`` (positive, 陰性, not detected, …)."""
        key = normalize_text(text).strip(" .")
        for result, spec in self.table.results.items():
            if key == result or key in (normalize_text(w) for w in spec.words):
                return result
        return None

    def result_for_snomed(self, code: str) -> str | None:
        for result, spec in self.table.results.items():
            if spec.snomed == code:
                return result
        return None

    def result_for_interpretation(self, code: str) -> str | None:
        code = code.strip().upper()
        for result, spec in self.table.results.items():
            if spec.interpretation == code:
                return result
        return self.table.interpretation_aliases.get(code)


_MAPS: dict[tuple[str, str], CodeMap] = {}


def code_map(kb: Knowledge) -> CodeMap:
    """The (cached) code map of a knowledge base."""
    key = (kb.root, kb.version)
    found = _MAPS.get(key)
    if found is None:
        found = _MAPS[key] = CodeMap(kb)
    return found


# --------------------------------------------------------------------------------------
# The import report
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Skipped:
    """One element of the input that was not used, where it is, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(slots=True)
class ImportReport:
    """What an import could not use (``skipped``) and what it inferred (``notes``)."""

    source: str
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append(Skipped(path, reason))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def warnings(self) -> list[str]:
        """One line per skipped element, for the CLI's stderr."""
        return [f"skipped {s}" for s in self.skipped]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------
# Time codes: a ``When`` as one short string, for places with no structured slot
# --------------------------------------------------------------------------------------

_TIME_PART = re.compile(
    r"^(?:@(?P<anchor>[^+\-~@;]+)(?P<offset>[+-]P[0-9YMWD.]+)?|~(?P<phase>[a-z_]+)|(?P<date>\d{4}(?:-\d{2}){0,2}))$"
)


def time_code(when: When) -> str:
    """``2009-11``, ``@admission``, ``@asct-P1D``, ``@asct+P5M``, ``~before_treatment``, or
    several of these joined by ``;`` (the label is not part of the code)."""
    parts: list[str] = []
    if when.date:
        parts.append(when.date)
    if when.anchor:
        offset = ""
        if when.offset:
            offset = when.offset if when.offset.startswith("-") else f"+{when.offset}"
        parts.append(f"@{when.anchor}{offset}")
    if when.phase:
        parts.append(f"~{when.phase}")
    return ";".join(parts)


def parse_time_code(code: str, label: str | None, where: Location) -> When:
    """Inverse of :func:`time_code`; an unreadable code is an ``InputError`` at ``where``."""
    fields: dict[str, str] = {}
    for part in code.split(";"):
        m = _TIME_PART.match(part.strip())
        if not m:
            raise InputError(
                f"unreadable poemsdx time '{code}'; expected e.g. 2009-11, @admission,"
                " @asct+P5M or ~before_treatment",
                where,
            )
        for key, value in m.groupdict().items():
            if value is not None:
                fields[key] = value.removeprefix("+") if key == "offset" else value
    try:
        return When(label=label or None, **fields)
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise InputError(f"invalid poemsdx time '{code}': {msg}", where) from None


#: the numeric fields of a ``NerveConduction`` row, as both exchange formats write them
NCS_FIELDS = (
    "distal_latency_ms",
    "amplitude",
    "conduction_velocity_m_s",
    "f_wave_latency_ms",
    "proximal_amplitude",
    "distal_duration_ms",
    "proximal_duration_ms",
    "distal_distance_mm",
)


class NotAFinding(ValueError):
    """A coded statement whose concept cannot be a finding (a treatment, a test...)."""


def stated_observation(
    kb: Knowledge,
    cid: str,
    status: FindingStatus,
    *,
    site: str | None = None,
    time: When | None = None,
    evidence: Sequence[Evidence] = (),
) -> Finding | Measurement:
    """A coded yes/no statement as an observation: a ``Finding``, or for a measurement
    concept (HPO "Paraproteinemia": an M-protein stated without value or method) an
    untyped positive or negative result. Raises ``NotAFinding`` for other kinds and for
    an uncertain result."""
    kind = kb.concepts[cid].kind
    if kind == "measurement":
        if status == "uncertain":
            raise NotAFinding(f"uncertain {kb.label(cid)} is not a result")
        result = "positive" if status == "present" else "negative"
        return Measurement(concept=cid, result=result, time=time, evidence=tuple(evidence))
    if kind not in ("finding", "disease", "group"):
        raise NotAFinding(f"'{cid}' is a {kind}, not a finding")
    return Finding(concept=cid, status=status, site=site, time=time, evidence=tuple(evidence))


def json_path(*parts: str | int) -> str:
    """``entry[3].resource.code`` from ``("entry", 3, "resource", "code")``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif out:
            out += f".{p}"
        else:
            out = p
    return out


def check_unit(kb: Knowledge, unit: str, cid: str) -> str:
    """``unit`` if it parses and can be converted to the concept's unit; else ``UnitError``."""
    from ..errors import UnitError
    from ..units import convert_molar, is_compatible, parse_unit

    concept = kb.concepts[cid]
    parse_unit(unit)
    if concept.unit and not is_compatible(unit, concept.unit):
        if concept.molar_mass_g_per_mol is None:
            raise UnitError(
                f"unit '{unit}' cannot be converted to {concept.unit} for {kb.label(cid)}"
            )
        convert_molar(1.0, unit, concept.unit, concept.molar_mass_g_per_mol)
    return unit


# --------------------------------------------------------------------------------------
# Reading specimens and M-protein typing from names and text
# --------------------------------------------------------------------------------------

_TYPING = re.compile(
    r"\b(IgG|IgA|IgM|IgD|IgE)?[\s\-‐]*(kappa|lambda|κ|λ)(?![A-Za-z])", re.IGNORECASE
)
_LOINC_SYSTEM_AXIS = {
    "ser": "serum",
    "plas": "plasma",
    "bld": "blood",
    "urine": "urine",
    "csf": "csf",
    "bone mar": "bone_marrow",
    "tiss": "tissue",
}
_LONG_NAME_SPECIMEN: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"\bin serum or plasma\b", re.I), None),
    (re.compile(r"\bin serum\b", re.I), "serum"),
    (re.compile(r"\bin plasma\b", re.I), "plasma"),
    (re.compile(r"\bin (?:whole )?blood\b", re.I), "blood"),
    (re.compile(r"\bin urine\b", re.I), "urine"),
    (re.compile(r"\bin cerebral spinal fluid\b", re.I), "csf"),
    (re.compile(r"\bin bone marrow\b", re.I), "bone_marrow"),
)
_SPECIMEN_WORDS = {
    "serum": "serum",
    "血清": "serum",
    "plasma": "plasma",
    "血漿": "plasma",
    "血浆": "plasma",
    "whole blood": "blood",
    "blood": "blood",
    "全血": "blood",
    "urine": "urine",
    "尿": "urine",
    "cerebrospinal fluid": "csf",
    "csf": "csf",
    "髄液": "csf",
    "脑脊液": "csf",
    "bone marrow": "bone_marrow",
    "marrow": "bone_marrow",
    "骨髄": "bone_marrow",
    "tissue": "tissue",
    "lymph node": "lymph_node",
}


def specimen_from_text(text: str) -> str | None:
    """A specimen named in words ("serum", "血漿", "Whole blood"), or None."""
    return _SPECIMEN_WORDS.get(normalize_text(text))


_SEMANTIC_TAG = re.compile(
    r"\s*\((?:disorder|finding|procedure|regime/therapy|qualifier value|observable entity"
    r"|substance|product|medicinal product|morphologic abnormality)\)\s*$",
    re.IGNORECASE,
)


def analyte_name(text: str) -> str:
    """The bare name in a code's display: 'Vascular endothelial growth factor [Mass/volume]
    in Serum' → 'Vascular endothelial growth factor'; 'Polyneuropathy (disorder)' →
    'Polyneuropathy' (a SNOMED CT semantic tag is dropped)."""
    text = _SEMANTIC_TAG.sub("", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.split(r"\b(?:in|by)\b", text, maxsplit=1)[0]
    return text.split(":")[0].strip()


def specimen_from_loinc_name(texts: list[str]) -> str | None:
    """The specimen a LOINC name states: the system axis of a fully specified name
    (``…:MCnc:Pt:Ser:Qn``) or a long name ("… in Serum"). "Ser/Plas" and "in Serum or
    Plasma" state none, and nothing is guessed."""
    for text in texts:
        parts = text.split(":")
        if len(parts) >= 5:
            return _LOINC_SYSTEM_AXIS.get(parts[3].strip().lower())
        for pattern, specimen in _LONG_NAME_SPECIMEN:
            if pattern.search(text):
                return specimen
    return None


def typing_from_text(text: str) -> tuple[str | None, str | None]:
    """Heavy and light chain named in text: "IgG lambda", "IgG-λ", "κ" → (IgG, lambda)."""
    m = _TYPING.search(text)
    if not m:
        return None, None
    heavy = m.group(1)
    heavy = "Ig" + heavy[2:].upper() if heavy else None
    light = {"κ": "kappa", "λ": "lambda"}.get(m.group(2), m.group(2).lower())
    return heavy, light


def assemble_case(
    kb: Knowledge,
    *,
    case_id: str,
    patient: Patient,
    anchors: dict[str, When],
    observations: list[Observation],
    events: list[Event],
    documents: list[Document],
    source: str,
    what: str,
) -> Case:
    """The Case an import adapter read, checked like any case file; ``what`` names the
    input in the message ("the resources", "the phenopacket")."""
    try:
        case = Case(
            id=case_id,
            patient=patient,
            anchors=anchors,
            observations=tuple(observations),
            events=tuple(events),
            documents=tuple(documents),
        )
    except ValidationError as exc:
        raise InputError(
            f"{what} cannot be made into a valid case: {exc.errors()[0]['msg']}",
            Location(source),
        ) from exc
    from .case import check_case

    check_case(case, kb, filename=source)
    return case
