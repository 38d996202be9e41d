"""The nerve-conduction knowledge file (``data/ncs_limits.yaml``): schema, loader, lookups.

The file holds default adult normal limits, the demyelinating thresholds of the CIDP
guidelines, the study protocol behind "not in the demyelinating range", and the terminal
latency index cut-off. Every number carries its source and verification tag. Loading is
strict: an unknown or duplicate key is a ``KnowledgeError`` naming ``file:line``.

A row's own limits (``NerveConduction.limits``, the reporting lab's) win over the defaults,
field by field; ``Limit.origin`` says which was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from ..errors import KnowledgeError
from ..knowledge.schema import Strict, Verification, validate
from ..knowledge.yamlload import load_yaml
from ..model import NerveConduction
from ..model.observations import Nerve

Modality = Literal["motor", "sensory"]
_Positive = Annotated[float, Field(gt=0)]
_Percent = Annotated[float, Field(gt=0, le=1000)]


class SourcedValue(Strict):
    value: _Positive
    source: str = Field(min_length=1)
    verification: Verification


class NerveLimits(Strict):
    recording: str | None = None
    amplitude_unit: Literal["mV", "uV"]
    distal_latency_uln_ms: SourcedValue | None = None
    amplitude_lln: SourcedValue | None = None
    conduction_velocity_lln_m_s: SourcedValue | None = None
    f_wave_latency_uln_ms: SourcedValue | None = None


class _Sourced(Strict):
    source: str = Field(min_length=1)
    verification: Verification


class DistalLatencyRule(_Sourced):
    at_least_percent_of_uln: _Percent
    exclude_median_at_wrist: bool


class VelocityRule(_Sourced):
    at_most_percent_of_lln: _Percent


class FWaveRule(_Sourced):
    at_least_percent_of_uln: _Percent
    low_cmap_below_percent_of_lln: _Percent
    low_cmap_at_least_percent_of_uln: _Percent


class FWaveAbsenceRule(_Sourced):
    min_cmap_percent_of_lln: _Percent


class BlockRule(_Sourced):
    at_least_reduction_percent: _Percent
    min_cmap_percent_of_lln: _Percent
    excluded_nerves: list[Nerve]


class DispersionRule(_Sourced):
    above_increase_percent: _Percent
    nerve_at_least_increase_percent: dict[Nerve, _Percent]


class DurationRule(_Sourced):
    low_frequency_filter_hz: _Positive
    comparator: Literal["above", "at_least"]
    limits_ms: dict[Nerve, _Positive]


class DemyelinationCriteria(Strict):
    title: str
    citation: list[str]
    verification: Verification
    note: str | None = None
    distal_latency: DistalLatencyRule
    conduction_velocity: VelocityRule
    f_wave_latency: FWaveRule
    f_wave_absence: FWaveAbsenceRule
    conduction_block: BlockRule
    temporal_dispersion: DispersionRule
    distal_cmap_duration: DurationRule


class StudyProtocol(_Sourced):
    motor_nerves: list[Nerve] = Field(min_length=1)
    sensory_nerves: list[Nerve] = Field(min_length=1)
    sides: list[Literal["left", "right"]] = Field(min_length=1)


class TliCutoff(_Sourced):
    at_least: _Positive
    sensitivity_percent: _Percent
    specificity_percent: _Percent


class TerminalLatencyIndex(Strict):
    formula_source: str
    formula_verification: Verification
    poems_favouring: dict[Nerve, TliCutoff]


class DemyelinativeSlowing(_Sourced):
    conduction_velocity_below_percent_of_lln: _Percent
    low_cmap_conduction_velocity_below_percent_of_lln: _Percent
    distal_latency_above_percent_of_uln: _Percent
    low_cmap_distal_latency_above_percent_of_uln: _Percent
    low_cmap_below_percent_of_lln: _Percent


class PatternSource(Strict):
    citation: str
    verification: Verification


class NcsKnowledgeFile(Strict):
    schema_version: Literal[1]
    id: str
    normal_limits: dict[Nerve, dict[Modality, NerveLimits]]
    demyelination_criteria: dict[str, DemyelinationCriteria]
    study_protocol: StudyProtocol
    terminal_latency_index: TerminalLatencyIndex
    demyelinative_slowing: DemyelinativeSlowing
    pattern_sources: dict[str, PatternSource]


LimitName = Literal[
    "distal_latency_uln_ms", "amplitude_lln", "conduction_velocity_lln_m_s", "f_wave_latency_uln_ms"
]


@dataclass(frozen=True, slots=True)
class Limit:
    """One normal limit as used: its value and where it came from."""

    value: float
    origin: Literal["lab", "default"]
    source: str
    verification: Verification | None

    def describe(self) -> str:
        if self.origin == "lab":
            return "lab limit"
        return f"default limit, {self.verification}"


@dataclass(frozen=True)
class NcsKnowledge:
    """The loaded file, with lookups."""

    data: NcsKnowledgeFile
    filename: str

    def criteria(self, rules: str) -> DemyelinationCriteria:
        try:
            return self.data.demyelination_criteria[rules]
        except KeyError:
            known = ", ".join(self.data.demyelination_criteria)
            raise KnowledgeError(
                f"unknown nerve-conduction rule set '{rules}'; known: {known}"
            ) from None

    def defaults(self, nerve: Nerve, modality: Modality) -> NerveLimits | None:
        by_modality = self.data.normal_limits.get(nerve)
        if by_modality is None:
            return None
        return by_modality.get(modality)

    def limit(self, row: NerveConduction, name: LimitName) -> Limit | None:
        """The limit for one parameter of a row: the lab's if given, else the default."""
        lab = getattr(row.limits, name, None) if row.limits is not None else None
        if lab is not None:
            return Limit(float(lab), "lab", "reporting laboratory", None)
        defaults = self.defaults(row.nerve, row.modality)
        value = getattr(defaults, name, None) if defaults is not None else None
        if value is None:
            return None
        return Limit(value.value, "default", value.source, value.verification)

    def amplitude_unit(self, row: NerveConduction) -> str:
        defaults = self.defaults(row.nerve, row.modality)
        if defaults is not None:
            return "µV" if defaults.amplitude_unit == "uV" else "mV"
        return "mV" if row.modality == "motor" else "µV"


def load_ncs_knowledge(path: str | Path | None = None) -> NcsKnowledge:
    """Load ``ncs_limits.yaml`` (default: the shipped file), strictly."""
    if path is None:
        return _default()
    return _load(Path(path))


@cache
def _default() -> NcsKnowledge:
    return _load(Path(str(resources.files("poemsdx") / "data" / "ncs_limits.yaml")))


def _load(path: Path) -> NcsKnowledge:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"cannot read {path.name}: {exc}") from exc
    raw = load_yaml(text, str(path))
    data = validate(NcsKnowledgeFile, raw, str(path))
    return NcsKnowledge(data, str(path))
