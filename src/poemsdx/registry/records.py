"""What the registry hands back: frozen records, never live database rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AuditEntry",
    "CaseSummary",
    "CaseVersionInfo",
    "ObservationRecord",
    "Reproduction",
    "StoredAssessment",
]


@dataclass(frozen=True, slots=True)
class CaseSummary:
    id: str  # the registry's id
    external_id: str  # Case.id as given by the caller
    title: str | None
    current_version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class CaseVersionInfo:
    case_id: str
    version: int
    change: str  # created | changed | observations_added
    case_sha256: str
    created_at: dt.datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    """One stored evaluation. ``result`` is a copy: changing it changes nothing stored."""

    id: str
    case_id: str
    case_version: int
    created_at: dt.datetime
    actor: str
    knowledge_version: str
    engine_version: str
    parameters: dict[str, Any]
    input_sha256: str
    result_sha256: str
    result: dict[str, Any] = field(repr=False)

    @property
    def criteria(self) -> list[str]:
        return list(self.parameters.get("criteria", []))

    @property
    def params(self) -> dict[str, str]:
        return dict(self.parameters.get("params", {}))


@dataclass(frozen=True, slots=True)
class Reproduction:
    """The outcome of re-evaluating a stored assessment's case and parameters."""

    assessment_id: str
    input_intact: bool  # the stored case version and parameters still hash to input_sha256
    result_intact: bool  # the stored result still hashes to result_sha256
    same_versions: bool  # this knowledge base and engine are the ones that produced it
    stored_result_sha256: str
    new_result_sha256: str | None
    reproduced: bool  # same versions and the new result hash equals the stored one
    reason: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str  # created | changed | evaluated | exported | deleted
    case_id: str | None
    case_version: int | None
    assessment_id: str | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ObservationRecord:
    """One row of the normalised observation table."""

    case_id: str
    version: int
    position: int
    concept: str
    kind: str
    status: str | None
    value: float | None
    unit: str | None
    specimen: str | None
    time_label: str | None
    date: dt.date | None
    phase: str | None
