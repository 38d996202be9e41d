"""Request and response models of the REST API (``/api/v1``), documented in its OpenAPI.

Requests are strict (unknown fields are refused, so a typo is an error rather than a
silent default). The evaluation itself is documented here at its top level only; its
nested trees are the JSON contract of DESIGN.md, produced by ``Evaluation.to_dict``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AssessmentOut",
    "AssessmentRequest",
    "CaseList",
    "CaseOut",
    "CaseRequest",
    "CaseSummaryOut",
    "CaseVersionOut",
    "ErrorBody",
    "ErrorOut",
    "EvaluateRequest",
    "EvaluationOut",
    "ExtractRequest",
    "ObservationsRequest",
    "SavedOut",
    "StoredAssessmentOut",
    "TimelineOut",
    "Verdict",
]

Language = Literal["en", "ja", "zh"]
MAX_TEXT = 2_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Input(_Strict):
    case: dict[str, Any] | None = Field(
        None,
        description="A case (the JSON form of a case file), a FHIR R4 Bundle or a "
        "Phenopacket v2, recognised by its keys.",
    )
    text: str | None = Field(
        None, max_length=MAX_TEXT, description="A clinical note or case report (en, ja or zh)."
    )
    language: Language | None = Field(None, description="Language of `text` (default: detected).")

    @model_validator(mode="after")
    def _one_input(self) -> _Input:
        if (self.case is None) == (self.text is None):
            raise ValueError("give exactly one of 'case' or 'text'")
        return self


class EvaluateRequest(_Input):
    criteria: list[str] | None = Field(None, description="Criteria ids (default: all shipped).")
    params: dict[str, str] = Field(default_factory=dict, description="Parameter overrides.")
    lenient: bool = Field(False, description="Keep values the engine cannot judge.")


class ExtractRequest(_Strict):
    text: str = Field(max_length=MAX_TEXT, description="A clinical note or case report.")
    language: Language | None = None
    document_id: str = Field("note", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")


class CaseRequest(_Input):
    title: str | None = Field(None, max_length=200, description="Replaces the case's title.")
    evaluate: bool = Field(True, description="Evaluate the stored version and keep the result.")


class ObservationsRequest(_Strict):
    observations: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=1000,
        description="Observations as in a case file (kind: finding | measurement | "
        "nerve_conduction); e.g. a follow-up serum VEGF.",
    )


class AssessmentRequest(_Strict):
    criteria: list[str] | None = None
    params: dict[str, str] = Field(default_factory=dict)


class Verdict(BaseModel):
    criteria_id: str
    status: Literal["met", "not_met", "undetermined"]
    category: str | None = None


class AssessmentOut(BaseModel):
    """One criteria set's result; ``items`` is the evaluated tree."""

    model_config = ConfigDict(extra="allow")
    criteria_id: str
    status: Literal["met", "not_met", "undetermined"]
    category: str | None
    items: dict[str, Any]
    missing: list[dict[str, Any]]
    next_tests: list[dict[str, Any]]


class EvaluationOut(BaseModel):
    """The case as understood (with evidence) and every assessment (DESIGN.md contract)."""

    model_config = ConfigDict(extra="allow")
    case: dict[str, Any]
    assessments: list[AssessmentOut]
    parameters: dict[str, str]
    differential: dict[str, Any] | None
    knowledge_version: str
    engine_version: str
    notes: list[str] = Field(default_factory=list, description="What an import skipped.")


class SavedOut(BaseModel):
    id: str
    version: int
    assessment_id: str | None = None
    verdicts: list[Verdict] = Field(default_factory=list)


class CaseSummaryOut(BaseModel):
    id: str
    external_id: str
    title: str | None
    current_version: int
    created_at: str
    updated_at: str


class CaseList(BaseModel):
    items: list[CaseSummaryOut]
    total: int
    limit: int
    offset: int


class CaseVersionOut(BaseModel):
    version: int
    change: str
    created_at: str
    created_by: str


class CaseOut(BaseModel):
    id: str
    version: int
    versions: list[CaseVersionOut]
    case: dict[str, Any]


class StoredAssessmentOut(BaseModel):
    id: str
    case_version: int
    created_at: str
    actor: str
    knowledge_version: str
    engine_version: str
    verdicts: list[Verdict]


class TimelineOut(BaseModel):
    series: list[dict[str, Any]]
    treatments: list[dict[str, Any]]


class ErrorBody(BaseModel):
    code: str
    message: str
    where: str | None


class ErrorOut(BaseModel):
    """Every 4xx and 5xx of the API has this shape."""

    error: ErrorBody
