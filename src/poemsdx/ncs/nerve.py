"""One nerve-conduction row judged against its limits and the demyelinating thresholds.

Every judgement is three-valued: a parameter is *true* (in the demyelinating range),
*false* (measured and outside it, or the rule does not apply to this nerve), or
*unknown* (not measured, no limit to compare with, or a caveat the table cannot settle —
a median distal latency in range may be carpal tunnel syndrome).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..engine.logic import F, T, Truth, U, any_of
from ..model import NerveConduction
from .limits import DemyelinationCriteria, Limit, LimitName, NcsKnowledge

ParameterName = Literal[
    "distal_latency",
    "conduction_velocity",
    "f_wave_latency",
    "f_wave_absence",
    "conduction_block",
    "temporal_dispersion",
    "distal_cmap_duration",
]
# The parameters that count on their own in one nerve (a, b, c, e, f of the guidelines);
# absent F-waves and distal CMAP duration count only together with another nerve.
SINGLE_NERVE_PARAMETERS: tuple[ParameterName, ...] = (
    "distal_latency",
    "conduction_velocity",
    "f_wave_latency",
    "conduction_block",
    "temporal_dispersion",
)
_EPS = 1e-9


def pct(value: float, limit: float) -> float:
    return value / limit * 100.0


def fmt_pct(p: float) -> str:
    return f"{p:.0f}%"


def fmt_num(v: float) -> str:
    return f"{v:g}"


def _ge(a: float, b: float) -> bool:
    return a >= b - _EPS


def _le(a: float, b: float) -> bool:
    return a <= b + _EPS


@dataclass(frozen=True, slots=True)
class Measure:
    """One measured value of a row beside its normal limit."""

    name: Literal["distal_latency", "amplitude", "conduction_velocity", "f_wave_latency"]
    value: float | None
    unit: str
    limit: Limit | None
    kind: Literal["ULN", "LLN"]

    @property
    def percent(self) -> float | None:
        if self.value is None or self.limit is None:
            return None
        return pct(self.value, self.limit.value)

    @property
    def abnormal(self) -> Truth:
        """Beyond the normal limit (above the ULN, below the LLN); unknown without data."""
        if self.value is None or self.limit is None:
            return U
        if self.kind == "ULN":
            return T if self.value > self.limit.value + _EPS else F
        return T if self.value < self.limit.value - _EPS else F

    def describe(self) -> str:
        if self.value is None:
            return "—"
        text = f"{fmt_num(self.value)} {self.unit}"
        if self.percent is not None and self.limit is not None:
            text += f" ({fmt_pct(self.percent)} of {self.kind} {fmt_num(self.limit.value)})"
        return text

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"value": self.value, "unit": self.unit, "limit_kind": self.kind}
        if self.limit is not None:
            d["limit"] = self.limit.value
            d["limit_origin"] = self.limit.origin
            d["limit_source"] = self.limit.source
            if self.limit.verification:
                d["limit_verification"] = self.limit.verification
        if self.percent is not None:
            d["percent_of_limit"] = round(self.percent, 1)
        d["abnormal"] = self.abnormal.value
        return d


@dataclass(frozen=True, slots=True)
class Parameter:
    """One demyelinating parameter of a motor row, judged."""

    name: ParameterName
    truth: Truth
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.truth.value, "text": self.text}


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
        """Sensory row outside normal limits (latency, amplitude or velocity); absent SNAP counts."""
        if self.row.modality != "sensory":
            return F
        if self.row.not_recordable:
            return T
        return any_of(
            self.measures[n].abnormal for n in ("distal_latency", "amplitude", "conduction_velocity")
        )

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
    index: int | None, row: NerveConduction, kb: NcsKnowledge, rules: DemyelinationCriteria
) -> NerveResult:
    """Measures, percentages and (motor) demyelinating parameters of one row."""
    amp_unit = kb.amplitude_unit(row)

    def measure(name: Any, value: float | None, unit: str, lim: LimitName, kind: Any) -> Measure:
        return Measure(name, value, unit, kb.limit(row, lim), kind)

    amplitude = 0.0 if row.not_recordable and row.amplitude is None else row.amplitude
    measures = {
        "distal_latency": measure("distal_latency", row.distal_latency_ms, "ms", "distal_latency_uln_ms", "ULN"),
        "amplitude": measure("amplitude", amplitude, amp_unit, "amplitude_lln", "LLN"),
        "conduction_velocity": measure(
            "conduction_velocity", row.conduction_velocity_m_s, "m/s", "conduction_velocity_lln_m_s", "LLN"
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
    params = _parameters(row, measures, rules, block, dispersion)
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


def _parameters(
    row: NerveConduction,
    m: dict[str, Measure],
    rules: DemyelinationCriteria,
    block: float | None,
    dispersion: float | None,
) -> dict[ParameterName, Parameter]:
    out: dict[ParameterName, Parameter] = {}

    def put(name: ParameterName, truth: Truth, text: str) -> None:
        out[name] = Parameter(name, truth, text)

    cmap, cmap_pct = m["amplitude"], m["amplitude"].percent
    if row.not_recordable:
        for name in ("distal_latency", "conduction_velocity", "f_wave_latency", "temporal_dispersion", "distal_cmap_duration"):
            put(name, U, "no response recorded: cannot be judged in this nerve")  # type: ignore[arg-type]
        put("f_wave_absence", F, "no response recorded: absent F-waves need a distal CMAP ≥ 20% of LLN")
        put("conduction_block", F, "no response recorded: block needs a distal CMAP")
        return out

    # (a) distal motor latency
    rule_dl = rules.distal_latency
    dl, p = m["distal_latency"], m["distal_latency"].percent
    if p is None:
        put("distal_latency", U, _missing(dl, "distal latency"))
    else:
        need = rule_dl.at_least_percent_of_uln
        text = f"DML {dl.describe()}; range ≥ {need:g}% of ULN"
        if not _ge(p, need):
            put("distal_latency", F, text + ": not reached")
        elif row.nerve == "median" and rule_dl.exclude_median_at_wrist:
            put(
                "distal_latency",
                U,
                text + ": reached, but counts only once median neuropathy at the wrist "
                "(carpal tunnel syndrome) is excluded",
            )
        else:
            put("distal_latency", T, text + ": in the demyelinating range")

    # (b) motor conduction velocity
    cv, p = m["conduction_velocity"], m["conduction_velocity"].percent
    need = rules.conduction_velocity.at_most_percent_of_lln
    if p is None:
        put("conduction_velocity", U, _missing(cv, "conduction velocity"))
    else:
        text = f"CV {cv.describe()}; range ≤ {need:g}% of LLN"
        ok = _le(p, need)
        put("conduction_velocity", T if ok else F, text + (": in the demyelinating range" if ok else ": not reached"))

    # (c) F-wave latency, and (d) absent F-waves
    fw, rule_f = m["f_wave_latency"], rules.f_wave_latency
    min_cmap = rules.f_wave_absence.min_cmap_percent_of_lln
    if row.f_wave_absent:
        put("f_wave_latency", F, "F-waves absent (judged as absence)")
        if cmap_pct is None:
            put("f_wave_absence", U, f"F-waves absent; distal CMAP or its LLN unknown (must be ≥ {min_cmap:g}% of LLN)")
        elif _ge(cmap_pct, min_cmap):
            put("f_wave_absence", T, f"F-waves absent with distal CMAP {cmap.describe()} (≥ {min_cmap:g}% of LLN)")
        else:
            put("f_wave_absence", F, f"F-waves absent, but distal CMAP {cmap.describe()} is below {min_cmap:g}% of LLN")
    else:
        p = fw.percent
        if p is None:
            put("f_wave_latency", U, _missing(fw, "F-wave latency"))
            put("f_wave_absence", U if row.f_wave_absent is None else F, "F-waves not recorded")
        else:
            put("f_wave_absence", F, "F-waves present")
            base, low = rule_f.at_least_percent_of_uln, rule_f.low_cmap_at_least_percent_of_uln
            text = f"F-wave {fw.describe()}"
            if cmap_pct is None:
                if _ge(p, low):
                    put("f_wave_latency", T, text + f": ≥ {low:g}% of ULN, in range whatever the CMAP")
                elif not _ge(p, base):
                    put("f_wave_latency", F, text + f": below {base:g}% of ULN")
                else:
                    put("f_wave_latency", U, text + f": range is {base:g}% or {low:g}% of ULN depending on the distal CMAP, which is unknown")
            else:
                low_cmap = cmap_pct < rule_f.low_cmap_below_percent_of_lln - _EPS
                need = low if low_cmap else base
                why = f"distal CMAP {fmt_pct(cmap_pct)} of LLN"
                ok = _ge(p, need)
                put("f_wave_latency", T if ok else F, f"{text}; range ≥ {need:g}% of ULN ({why})" + (": in the demyelinating range" if ok else ": not reached"))

    # (e) conduction block
    rule_b = rules.conduction_block
    if row.nerve in rule_b.excluded_nerves:
        put("conduction_block", F, f"conduction block is not judged in the {row.nerve} nerve")
    elif block is None:
        put("conduction_block", U, "no proximal CMAP amplitude: conduction block not assessable")
    else:
        need = rule_b.at_least_reduction_percent
        text = f"proximal CMAP {fmt_num(row.proximal_amplitude or 0)} vs distal {fmt_num(row.amplitude or 0)}: {block:.0f}% reduction; range ≥ {need:g}%"
        if not _ge(block, need):
            put("conduction_block", F, text + ": not reached")
        elif cmap_pct is None:
            put("conduction_block", U, text + f": reached, but distal CMAP ≥ {rule_b.min_cmap_percent_of_lln:g}% of LLN cannot be checked")
        elif _ge(cmap_pct, rule_b.min_cmap_percent_of_lln):
            put("conduction_block", T, text + ": conduction block")
        else:
            put("conduction_block", F, text + f", but distal CMAP is below {rule_b.min_cmap_percent_of_lln:g}% of LLN")

    # (f) temporal dispersion
    rule_td = rules.temporal_dispersion
    if dispersion is None:
        put("temporal_dispersion", U, "CMAP durations (distal and proximal) not given: dispersion not assessable")
    else:
        special = rule_td.nerve_at_least_increase_percent.get(row.nerve)
        if special is not None:
            ok, need_text = _ge(dispersion, special), f"≥ {special:g}% in the {row.nerve} nerve"
        else:
            ok, need_text = dispersion > rule_td.above_increase_percent + _EPS, f"> {rule_td.above_increase_percent:g}%"
        text = f"duration {fmt_num(row.distal_duration_ms or 0)} → {fmt_num(row.proximal_duration_ms or 0)} ms: {dispersion:.0f}% increase; range {need_text}"
        put("temporal_dispersion", T if ok else F, text + (": temporal dispersion" if ok else ": not reached"))

    # (g) distal CMAP duration
    rule_d = rules.distal_cmap_duration
    lim = rule_d.limits_ms.get(row.nerve)
    if lim is None:
        put("distal_cmap_duration", F, f"no distal CMAP duration limit for the {row.nerve} nerve")
    elif row.distal_duration_ms is None:
        put("distal_cmap_duration", U, "distal CMAP duration not given")
    else:
        d = row.distal_duration_ms
        ok = d > lim + _EPS if rule_d.comparator == "above" else _ge(d, lim)
        op = ">" if rule_d.comparator == "above" else "≥"
        text = f"distal CMAP duration {fmt_num(d)} ms; range {op} {lim:g} ms (low-frequency filter {rule_d.low_frequency_filter_hz:g} Hz assumed)"
        put("distal_cmap_duration", T if ok else F, text + (": prolonged" if ok else ": not reached"))
    return out


def _missing(m: Measure, what: str) -> str:
    if m.value is None:
        return f"{what} not given"
    return f"{what} {fmt_num(m.value)} {m.unit}: no normal limit to compare with"


__all__ = [
    "SINGLE_NERVE_PARAMETERS",
    "Measure",
    "NerveResult",
    "Parameter",
    "ParameterName",
    "judge_row",
    "terminal_latency_index",
]
