"""Names both directions of the FHIR adapter share: code systems, extensions, statuses.

poemsdx's own extensions (``case-time``, ``case-anchor``, ``disease-directed``) carry
what FHIR has no element for: a time relative to an anchor ("5 months after the
transplant"), a named time point of the case, an explicit override of whether a
treatment is disease-directed. Standard elements (``effectiveDateTime``,
``performedDateTime``) are filled as well wherever an absolute date is known.
"""

from __future__ import annotations

from typing import Any

from ...model import When
from ..interop import CodeMap

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
V2_0487 = "http://terminology.hl7.org/CodeSystem/v2-0487"

# Value sets poemsdx relies on (fhir.resources does not enforce bindings).
STATUS_VALUES: dict[str, frozenset[str]] = {
    "Observation": frozenset(
        {
            "registered",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "cancelled",
            "entered-in-error",
            "unknown",
        }
    ),
    "DiagnosticReport": frozenset(
        {
            "registered",
            "partial",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "appended",
            "cancelled",
            "entered-in-error",
            "unknown",
        }
    ),
    "Procedure": frozenset(
        {
            "preparation",
            "in-progress",
            "not-done",
            "on-hold",
            "stopped",
            "completed",
            "entered-in-error",
            "unknown",
        }
    ),
    "MedicationStatement": frozenset(
        {
            "active",
            "completed",
            "entered-in-error",
            "intended",
            "stopped",
            "on-hold",
            "unknown",
            "not-taken",
        }
    ),
    "MedicationAdministration": frozenset(
        {
            "in-progress",
            "not-done",
            "on-hold",
            "completed",
            "entered-in-error",
            "stopped",
            "unknown",
        }
    ),
    "DocumentReference": frozenset({"current", "superseded", "entered-in-error"}),
}
CLINICAL_STATUS = frozenset(
    {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
)
VERIFICATION_STATUS = frozenset(
    {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}
)
GENDERS = frozenset({"male", "female", "other", "unknown"})

# Statuses whose resource holds no usable result or never happened.
UNUSABLE_STATUS: dict[str, frozenset[str]] = {
    "Observation": frozenset({"registered", "cancelled", "entered-in-error"}),
    "DiagnosticReport": frozenset({"registered", "cancelled", "entered-in-error"}),
    "Procedure": frozenset({"preparation", "not-done", "entered-in-error"}),
    "MedicationStatement": frozenset({"intended", "not-taken", "entered-in-error"}),
    "MedicationAdministration": frozenset({"not-done", "entered-in-error"}),
    "DocumentReference": frozenset({"entered-in-error"}),
}


class Names:
    """URIs of poemsdx's own code systems, identifiers and extensions."""

    def __init__(self, cm: CodeMap) -> None:
        self.concept = cm.local("CodeSystem/concept")
        self.test = cm.local("CodeSystem/test")
        self.criteria = cm.local("CodeSystem/criteria")
        self.component = cm.local("CodeSystem/component")
        self.specimen = cm.local("CodeSystem/specimen")
        self.document_kind = cm.local("CodeSystem/document-kind")
        self.case_id = cm.local("identifier/case")
        self.event_id = cm.local("identifier/event")
        self.observation_id = cm.local("identifier/observation")
        self.document_id = cm.local("identifier/document")
        self.ext_time = cm.local("StructureDefinition/case-time")
        self.ext_time_end = cm.local("StructureDefinition/case-time-end")
        self.ext_anchor = cm.local("StructureDefinition/case-anchor")
        self.ext_disease_directed = cm.local("StructureDefinition/disease-directed")


def time_extension(url: str, when: When, name: str | None = None) -> dict[str, Any]:
    """A complex extension holding a ``When`` (and, for an anchor, its name)."""
    subs: list[dict[str, Any]] = []
    if name is not None:
        subs.append({"url": "name", "valueString": name})
    if when.date:
        subs.append({"url": "date", "valueDate": when.date})
    if when.anchor:
        subs.append({"url": "anchor", "valueString": when.anchor})
    if when.offset:
        subs.append({"url": "offset", "valueString": when.offset})
    if when.phase:
        subs.append({"url": "phase", "valueCode": when.phase})
    if when.label:
        subs.append({"url": "label", "valueString": when.label})
    return {"url": url, "extension": subs}


def read_time_extension(ext: dict[str, Any]) -> dict[str, str]:
    """The sub-extension values of a ``case-time``/``case-anchor`` extension."""
    out: dict[str, str] = {}
    for sub in ext.get("extension") or []:
        key = sub.get("url")
        for vkey in ("valueString", "valueDate", "valueCode"):
            if isinstance(key, str) and vkey in sub:
                out[key] = str(sub[vkey])
    return out


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out
