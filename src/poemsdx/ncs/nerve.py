"""One nerve-conduction row judged: its values as percentages of their limits (the lab's or
the shipped defaults), its demyelinating parameters (motor rows), the conduction-block and
dispersion percentages and the terminal latency index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..engine.logic import F, T, Truth, U, any_of
from ..model import NerveConduction
from .demyelination import (
    SINGLE_NERVE_PARAMETERS,
    Parameter,
    ParameterName,
    judge_parameters,
)
from .limits import DemyelinationCriteria, LimitName, NcsKnowledge
from .measure import Measure


@dataclass(frozen=True, slots=True)
class NerveResult:
    """A row, its measures, and (for motor rows) its demyelinating parameters."""

    index: int | None
    row: NerveConduction
    measures: dict[str, Measure]
    parameters: dict[ParameterName, Parameter] = field(default_factory=dict)
    block_percent: float | None = None
    dispersion_percent: float | None = None
    tli: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        side = f"{self.row.side} " if self.row.side else ""
        return f"{side}{self.row.nerve.replace('_', ' ')} {self.row.modality}"

    @property
    def group(self) -> tuple[str, str | None, str]:
        """Rows with the same nerve, side and modality are one nerve when counting."""
        return (self.row.nerve, self.row.side, self.row.modality)

    def truth(self, name: ParameterName) -> Truth:
        p = self.parameters.get(name)
        return p.truth if p is not None else U

    @property
    def in_demyelinating_range(self) -> Truth:
        """At least one single-nerve parameter in range (motor rows only)."""
        if self.row.modality != "motor":
            return F
        return any_of(self.truth(n) for n in SINGLE_NERVE_PARAMETERS)

    @property
    def sensory_abnormal(self) -> Truth:
        """Sensory row outside normal limits (latency, amplitude or velocity); no SNAP counts."""
        if self.row.modality != "sensory":
            return F
        if self.row.not_recordable:
            return T
        return any_of(
            self.measures[n].abnormal
            for n in ("distal_latency", "amplitude", "conduction_velocity")
        )

    def summary(self) -> str:
        """One line for evidence: what is abnormal in this row, with its percentages."""
        if self.row.not_recordable:
            return f"{self.name}: no response recorded"
        if self.row.modality == "sensory":
            bad = [
                f"{label} {m.describe()}"
                for label, m in (
                    ("latency", self.measures["distal_latency"]),
                    ("SNAP", self.measures["amplitude"]),
                    ("CV", self.measures["conduction_velocity"]),
                )
                if m.abnormal is T
            ]
            if bad:
                return f"{self.name}: " + "; ".join(bad) + " — outside normal limits"
            return f"{self.name}: within normal limits"
        hits = [p.text for p in self.parameters.values() if p.truth is T]
        if hits:
            return f"{self.name}: " + "; ".join(hits)
        return f"{self.name}: no parameter in the demyelinating range"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "nerve": self.row.nerve,
            "side": self.row.side,
            "modality": self.row.modality,
            "name": self.name,
            "not_recordable": self.row.not_recordable,
            "measures": {k: m.to_dict() for k, m in self.measures.items()},
        }
        if self.index is not None:
            d["observation"] = self.index
        if self.parameters:
            d["demyelinating_parameters"] = {k: p.to_dict() for k, p in self.parameters.items()}
            d["in_demyelinating_range"] = self.in_demyelinating_range.value
        if self.row.modality == "sensory":
            d["abnormal"] = self.sensory_abnormal.value
        for key in ("block_percent", "dispersion_percent", "tli"):
            v = getattr(self, key)
            if v is not None:
                d[key] = round(v, 3)
        if self.notes:
            d["notes"] = list(self.notes)
        return d


def judge_row(
    index: int | None,
    row: NerveConduction,
    kb: NcsKnowledge,
    rules: DemyelinationCriteria,
    carpal_tunnel: Truth = U,
) -> NerveResult:
    """Measures, percentages and (motor) demyelinating parameters of one row."""
    amp_unit = kb.amplitude_unit(row)

    def measure(name: Any, value: float | None, unit: str, lim: LimitName, kind: Any) -> Measure:
        return Measure(name, value, unit, kb.limit(row, lim), kind)

    amplitude = 0.0 if row.not_recordable and row.amplitude is None else row.amplitude
    measures = {
        "distal_latency": measure(
            "distal_latency", row.distal_latency_ms, "ms", "distal_latency_uln_ms", "ULN"
        ),
        "amplitude": measure("amplitude", amplitude, amp_unit, "amplitude_lln", "LLN"),
        "conduction_velocity": measure(
            "conduction_velocity",
            row.conduction_velocity_m_s,
            "m/s",
            "conduction_velocity_lln_m_s",
            "LLN",
        ),
    }
    notes: list[str] = []
    if row.modality == "sensory":
        for name, m in measures.items():
            if m.value is not None and m.limit is None:
                notes.append(f"no normal limit for {name.replace('_', ' ')} of {row.nerve} sensory")
        return NerveResult(index, row, measures, notes=tuple(notes))
    measures["f_wave_latency"] = measure(
        "f_wave_latency", row.f_wave_latency_ms, "ms", "f_wave_latency_uln_ms", "ULN"
    )
    for name, m in measures.items():
        if m.value is not None and m.limit is None:
            notes.append(f"no normal limit for {name.replace('_', ' ')} of {row.nerve} motor")
    block = _reduction(row)
    dispersion = _increase(row)
    tli = terminal_latency_index(row)
    params = judge_parameters(row, measures, rules, block, dispersion, carpal_tunnel)
    return NerveResult(index, row, measures, params, block, dispersion, tli, tuple(notes))


def terminal_latency_index(row: NerveConduction) -> float | None:
    """distal distance (mm) / (CV (m/s) × DML (ms)); None unless all three are given."""
    d, cv, dml = row.distal_distance_mm, row.conduction_velocity_m_s, row.distal_latency_ms
    if d is None or not cv or not dml or row.modality != "motor":
        return None
    return d / (cv * dml)


def _reduction(row: NerveConduction) -> float | None:
    if row.proximal_amplitude is None or not row.amplitude:
        return None
    return (1.0 - row.proximal_amplitude / row.amplitude) * 100.0


def _increase(row: NerveConduction) -> float | None:
    if row.proximal_duration_ms is None or row.distal_duration_ms is None:
        return None
    return (row.proximal_duration_ms / row.distal_duration_ms - 1.0) * 100.0


__all__ = ["NerveResult", "judge_row", "terminal_latency_index"]
