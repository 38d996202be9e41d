"""The response report: plain frozen records with ``to_dict`` (the JSON contract).

Category ids are stable (``complete``, ``partial``, ``stable``, ``progression``,
``not_complete``, ``improvement``, ``worsening``, ``undetermined``, ``not_applicable``,
``depends_on_definition``); labels come in en/ja/zh from ``data/response.yaml``. Reasons
are English sentences naming the values compared, like the engine's evidence text.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DefinitionResult",
    "Discordance",
    "DomainResponse",
    "FindingChange",
    "JsonRecord",
    "MarkerChange",
    "ResponseReport",
    "TimePointResponse",
    "TreatmentRef",
    "ValueRef",
]

Label = dict[str, str]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class JsonRecord:
    """Base of the frozen records here: ``to_dict`` gives plain JSON-ready data."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        out = _plain(self)
        assert isinstance(out, dict)
        return out


@dataclass(frozen=True, slots=True)
class ValueRef(JsonRecord):
    """One observed value: where it is in the case and when it was taken."""

    observation: int
    time: str
    date: str | None
    value: float | None
    result: str | None
    unit: str | None
    specimen: str | None
    method: str | None = None


@dataclass(frozen=True, slots=True)
class TreatmentRef(JsonRecord):
    event: str
    concept: str
    label: Label
    date: str | None


@dataclass(frozen=True, slots=True)
class DefinitionResult(JsonRecord):
    """One definition's category at one time point, with the rule, source and tag behind it."""

    definition: str
    label: Label
    specimen: str | None
    category: str
    category_label: Label
    rule: Label | None
    source: str | None
    verification: str | None
    reason: str
    caveats: tuple[str, ...] = ()  # earlier (better) categories that could not be judged
    ruled_out: tuple[str, ...] = ()  # earlier categories that do not hold, and why
    note: Label | None = None
    baseline: ValueRef | None = None
    follow_up: ValueRef | None = None
    change_percent: float | None = None


@dataclass(frozen=True, slots=True)
class FindingChange(JsonRecord):
    """A stated finding followed from before treatment: an observation, not a verdict."""

    concept: str
    label: Label
    before: str | None
    after: str
    # resolved | persists | new | still_absent | reported_present | reported_absent | uncertain
    change: str
    direction: str  # improved | worse | unchanged | unknown
    time: str
    baseline_time: str | None
    observation: int


@dataclass(frozen=True, slots=True)
class DomainResponse(JsonRecord):
    domain: str
    label: Label
    status: str
    status_label: Label
    summary: str
    results: tuple[DefinitionResult, ...]
    findings: tuple[FindingChange, ...]
    notes: tuple[Label, ...]
    tests: tuple[str, ...]
    test_labels: tuple[Label, ...]
    source: str
    verification: str
    assessed: bool

    def result(self, definition: str) -> DefinitionResult:
        for r in self.results:
            if r.definition == definition:
                return r
        raise KeyError(definition)


@dataclass(frozen=True, slots=True)
class MarkerChange(JsonRecord):
    """A followed marker's course from baseline to this time point."""

    concept: str
    label: Label
    specimen: str | None
    tracks: str
    tracks_label: Label
    baseline: ValueRef
    follow_up: ValueRef
    change_percent: float | None
    direction: str  # improving | worsening | unchanged | unknown
    text: str


@dataclass(frozen=True, slots=True)
class Discordance(JsonRecord):
    """Markers moving in opposite directions at one time point: consider a second process."""

    improving: tuple[MarkerChange, ...]
    worsening: tuple[MarkerChange, ...]
    text: str
    explanation: Label
    source: str
    verification: str
    kind: str = "observation"  # never a verdict


@dataclass(frozen=True, slots=True)
class TimePointResponse(JsonRecord):
    label: str
    date: str | None
    months_after_treatment: float | None
    domains: tuple[DomainResponse, ...]
    markers: tuple[MarkerChange, ...]
    discordance: Discordance | None

    def domain(self, name: str) -> DomainResponse:
        for d in self.domains:
            if d.domain == name:
                return d
        raise KeyError(name)

    def marker(self, concept: str) -> MarkerChange:
        for m in self.markers:
            if m.concept == concept:
                return m
        raise KeyError(concept)


@dataclass(frozen=True, slots=True)
class ResponseReport(JsonRecord):
    """Response per follow-up time point after the first disease-directed treatment."""

    case_id: str
    treatment: TreatmentRef | None
    baseline_rule: str
    timepoints: tuple[TimePointResponse, ...]
    definitions_version: str
    knowledge_version: str
    engine_version: str
    notes: tuple[str, ...] = ()

    def at(self, months: float, tolerance: float = 0.5) -> TimePointResponse:
        """The time point about ``months`` after treatment (``KeyError`` if none)."""
        for tp in self.timepoints:
            if (
                tp.months_after_treatment is not None
                and abs(tp.months_after_treatment - months) <= tolerance
            ):
                return tp
        raise KeyError(f"no follow-up time point at {months:g} months")
