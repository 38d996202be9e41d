"""Schemas of the knowledge files: concepts, parameters, tests and criteria-set headers.

Validation is strict (unknown keys are errors) and every error is reported against the
YAML line it came from (see ``validate``). Criteria logic itself is parsed by
``knowledge.criteria`` into the engine's AST.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from ..errors import KnowledgeError
from .yamlload import locate

Verification = Literal["VERIFIED", "CORROBORATED", "UNVERIFIED"]
LANGUAGES = ("en", "ja", "zh")
CODE_PATTERNS: dict[str, str] = {
    "HPO": r"^HP:\d{7}$",
    "LOINC": r"^\d{1,7}-\d$",
    "ORPHA": r"^ORPHA:\d+$",
    "MONDO": r"^MONDO:\d{7}$",
    "OMIM": r"^\d{6}$",
    "ICD10": r"^[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$",
    "ICD10CM": r"^[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$",
    "ICD11": r"^[0-9A-Z.]+$",
    "SNOMEDCT": r"^\d{6,18}$",
    "UCUM": r"^\S+$",
}


def _as_text(v: Any) -> Any:
    return {"en": v} if isinstance(v, str) else v


def _check_text(v: dict[str, str]) -> dict[str, str]:
    if "en" not in v:
        raise ValueError("text needs an English ('en') version")
    unknown = set(v) - set(LANGUAGES)
    if unknown:
        raise ValueError(f"unknown language {sorted(unknown)}; allowed: {', '.join(LANGUAGES)}")
    return v


Text = Annotated[dict[str, str], BeforeValidator(_as_text)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Code(Strict):
    system: Literal[
        "HPO", "LOINC", "ORPHA", "MONDO", "OMIM", "ICD10", "ICD10CM", "ICD11", "SNOMEDCT", "UCUM"
    ]
    code: str
    verification: Verification
    source: str | None = None
    display: str | None = None

    @field_validator("code")
    @classmethod
    def _str(cls, v: str) -> str:
        return str(v)


class FallbackRange(Strict):
    """A default reference range used only when the lab gives none; always sourced."""

    low: float | None = None
    high: float | None = None
    unit: str
    specimen: str | None = None
    sex: Literal["male", "female"] | None = None
    source: str
    verification: Verification


class DefinedBy(Strict):
    """A finding that a measurement defines (thrombocytosis: platelets above the ULN)."""

    measurement: str
    comparator: Literal["above", "below"]
    limit: Literal["ULN", "LLN"]
    source: str
    verification: Verification


class Concept(Strict):
    kind: Literal["finding", "measurement", "disease", "treatment", "procedure", "group"]
    names: dict[str, list[str]]
    description: str | None = None
    codes: list[Code] = []
    parents: list[str] = []
    absence_implies: list[str] = []
    normal_implies_absent: list[str] = []
    unit: str | None = None
    specimens: list[str] = []
    specimen_required: bool = False
    reference_ranges: list[FallbackRange] = []
    defined_by: DefinedBy | None = None
    disease_directed: bool | None = None
    molar_mass_g_per_mol: float | None = Field(default=None, gt=0)
    negative_needs_method: list[str] = []
    # a negative rules a positive out only when every one of these specimens is negative
    negative_needs_specimens: list[str] = []
    # A response to treatment is observed after treatment by definition, so it stays
    # usable outside the diagnostic window (e.g. the steroid response of ICDC).
    treatment_response: bool = False

    @field_validator("names")
    @classmethod
    def _names(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        if not v.get("en"):
            raise ValueError("a concept needs at least one English name")
        unknown = set(v) - set(LANGUAGES)
        if unknown:
            raise ValueError(f"unknown language {sorted(unknown)}; allowed: {', '.join(LANGUAGES)}")
        return v

    def name(self, lang: str = "en") -> str:
        return (self.names.get(lang) or self.names["en"])[0]


class ConceptFile(Strict):
    schema_version: Literal[1]
    id: str
    concepts: dict[str, Concept]


class ParameterValue(Strict):
    label: Text
    source: str | None = None
    verification: Verification | None = None


class Parameter(Strict):
    label: Text
    description: Text | None = None
    default: str
    values: dict[str, ParameterValue]


class ParameterFile(Strict):
    schema_version: Literal[1]
    id: str
    parameters: dict[str, Parameter]


class TestSpec(Strict):
    label: Text
    settles: list[str]
    note: Text | None = None


class TestFile(Strict):
    schema_version: Literal[1]
    id: str
    tests: dict[str, TestSpec]


class CategorySpec(Strict):
    id: str
    label: Text
    logic: Any
    source: str | None = None
    verification: Verification | None = None


class ItemSpec(Strict):
    label: Text
    role: str | None = None
    logic: Any
    note: Text | None = None
    tests: list[str] = []


class ParameterUse(Strict):
    default: str | None = None


class CriteriaFile(Strict):
    """The header of a criteria set; ``items``/``logic``/``categories`` hold rule trees."""

    schema_version: Literal[1]
    id: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    title: Text
    short_title: str | None = None
    order: int = 100  # display order in reports (lower first); ties by id
    disease: str
    kind: Literal["diagnostic", "classification", "heuristic", "exclusion"] = "diagnostic"
    version: str
    citation: list[str]
    verification: Verification
    notes: Text | None = None
    parameters: dict[str, ParameterUse] = {}
    items: dict[str, ItemSpec]
    logic: Any = None
    categories: list[CategorySpec] = []


class DiseaseSpec(Strict):
    criteria: list[str] = []


class DiscriminatorSpec(Strict):
    id: str
    label: Text
    when: Any
    favours: list[str] = []
    disfavours: list[str] = []
    figure: Text
    source: str
    verification: Verification


class DifferentialFile(Strict):
    schema_version: Literal[1]
    id: str
    diseases: dict[str, DiseaseSpec]
    discriminators: list[DiscriminatorSpec]


class FragmentSpec(Strict):
    label: Text
    logic: Any
    note: Text | None = None


class FragmentFile(Strict):
    schema_version: Literal[1]
    id: str
    fragments: dict[str, FragmentSpec]


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any, filename: str) -> M:
    """Validate loaded YAML against ``model``; the first error becomes a located
    ``KnowledgeError`` that names the allowed keys when a key is unknown."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        where = locate(data, loc, filename)
        if err["type"] == "extra_forbidden":
            allowed = allowed_keys(model, loc[:-1])
            hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
            raise KnowledgeError(f"unknown key '{loc[-1]}'{hint}", where) from None
        if err["type"] == "missing":
            raise KnowledgeError(f"missing required key '{loc[-1]}'", where) from None
        msg = re.sub(r"^(Value error|Assertion failed), ", "", err["msg"])
        raise KnowledgeError(msg, where) from None


def allowed_keys(model: type[BaseModel], path: list[Any]) -> list[str]:
    """Field names of the model reached by following ``path`` from ``model``."""
    current: Any = model
    for step in path:
        current = _step(current, step)
        if current is None:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _step(tp: Any, step: Any) -> Any:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(step) if isinstance(step, str) else None
        return field.annotation if field else None
    origin = get_origin(tp)
    if origin in (list, tuple):
        return get_args(tp)[0]
    if origin is dict:
        return get_args(tp)[1]
    if origin is typing.Union:
        return None
    return None
