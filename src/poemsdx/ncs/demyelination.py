"""The demyelinating parameters of one motor row (guideline items a–g), three-valued.

A parameter is *true* when in the demyelinating range, *false* when measured outside it (or
when the rule does not apply to this nerve), and *unknown* when not measured, when there is
no limit to compare with, or when a caveat the table cannot settle applies (a median distal
latency in range may be carpal tunnel syndrome).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..engine.logic import F, T, Truth, U
from ..model import NerveConduction
from .limits import DemyelinationCriteria
from .measure import EPS, Measure, fmt_num, fmt_pct, ge, le

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


@dataclass(frozen=True, slots=True)
class Parameter:
    """One demyelinating parameter of a motor row, judged."""

    name: ParameterName
    truth: Truth
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.truth.value, "text": self.text}


Judgement = tuple[Truth, str]


def judge_parameters(
    row: NerveConduction,
    m: dict[str, Measure],
    rules: DemyelinationCriteria,
    block: float | None,
    dispersion: float | None,
    carpal_tunnel: Truth = U,
) -> dict[ParameterName, Parameter]:
    """Items a–g of the guideline for one motor row. ``carpal_tunnel`` is whether carpal
    tunnel syndrome is present (it decides whether a median distal latency counts)."""
    if row.not_recordable:
        need = rules.f_wave_absence.min_cmap_percent_of_lln
        judged: dict[ParameterName, Judgement] = {
            name: (U, "no response recorded: cannot be judged in this nerve")
            for name in _UNJUDGEABLE
        }
        judged["f_wave_absence"] = (F, f"no response recorded: needs a CMAP ≥ {need:g}% of LLN")
        judged["conduction_block"] = (F, "no response recorded: block needs a distal CMAP")
    else:
        latency, absence = _f_wave(row, m, rules)
        judged = {
            "distal_latency": _distal_latency(row, m, rules, carpal_tunnel),
            "conduction_velocity": _velocity(m, rules),
            "f_wave_latency": latency,
            "f_wave_absence": absence,
            "conduction_block": _block(row, m, rules, block),
            "temporal_dispersion": _dispersion(row, rules, dispersion),
            "distal_cmap_duration": _duration(row, rules),
        }
    return {name: Parameter(name, t, text) for name, (t, text) in judged.items()}


_UNJUDGEABLE: tuple[ParameterName, ...] = (
    "distal_latency",
    "conduction_velocity",
    "f_wave_latency",
    "temporal_dispersion",
    "distal_cmap_duration",
)


def _verdict(ok: bool, text: str, yes: str = "in the demyelinating range") -> Judgement:
    return (T, f"{text}: {yes}") if ok else (F, f"{text}: not reached")


def _distal_latency(
    row: NerveConduction, m: dict[str, Measure], rules: DemyelinationCriteria, cts: Truth
) -> Judgement:
    """(a) distal motor latency ≥ x% of ULN; a median value counts only without carpal
    tunnel syndrome (median neuropathy at the wrist)."""
    rule, dl = rules.distal_latency, m["distal_latency"]
    p = dl.percent
    if p is None:
        return U, _missing(dl, "distal latency")
    text = f"DML {dl.describe()}; range ≥ {rule.at_least_percent_of_uln:g}% of ULN"
    reached = ge(p, rule.at_least_percent_of_uln)
    if reached and row.nerve == "median" and rule.exclude_median_at_wrist:
        if cts is T:
            return F, f"{text}: reached, but not counted — carpal tunnel syndrome is present"
        if cts is U:
            return U, (
                f"{text}: reached, but counts only once median neuropathy at the wrist"
                " (carpal tunnel syndrome) is excluded"
            )
        return T, f"{text}: in the demyelinating range (carpal tunnel syndrome stated absent)"
    return _verdict(reached, text)


def _velocity(m: dict[str, Measure], rules: DemyelinationCriteria) -> Judgement:
    """(b) motor conduction velocity ≤ x% of LLN."""
    cv, need = m["conduction_velocity"], rules.conduction_velocity.at_most_percent_of_lln
    p = cv.percent
    if p is None:
        return U, _missing(cv, "conduction velocity")
    return _verdict(le(p, need), f"CV {cv.describe()}; range ≤ {need:g}% of LLN")


def _f_wave(
    row: NerveConduction, m: dict[str, Measure], rules: DemyelinationCriteria
) -> tuple[Judgement, Judgement]:
    """(c) F-wave latency (threshold rises when the CMAP is low) and (d) absent F-waves."""
    fw, cmap, rule = m["f_wave_latency"], m["amplitude"], rules.f_wave_latency
    cmap_pct, min_cmap = cmap.percent, rules.f_wave_absence.min_cmap_percent_of_lln
    if row.f_wave_absent:
        latency: Judgement = (F, "F-waves absent (judged as absence)")
        if cmap_pct is None:
            absence: Judgement = (
                U,
                f"F-waves absent; distal CMAP or its LLN unknown (must be ≥ {min_cmap:g}% of LLN)",
            )
        elif ge(cmap_pct, min_cmap):
            absence = (
                T,
                f"F-waves absent with distal CMAP {cmap.describe()} (≥ {min_cmap:g}% of LLN)",
            )
        else:
            absence = (
                F,
                f"F-waves absent, but distal CMAP {cmap.describe()} is below {min_cmap:g}% of LLN",
            )
        return latency, absence
    p = fw.percent
    if p is None:
        absence = (U if row.f_wave_absent is None else F, "F-waves not recorded")
        return (U, _missing(fw, "F-wave latency")), absence
    absence = (F, "F-waves present")
    base, low = rule.at_least_percent_of_uln, rule.low_cmap_at_least_percent_of_uln
    text = f"F-wave {fw.describe()}"
    if cmap_pct is None:
        if ge(p, low):
            return (T, f"{text}: ≥ {low:g}% of ULN, in range whatever the CMAP"), absence
        if not ge(p, base):
            return (F, f"{text}: below {base:g}% of ULN"), absence
        return (
            U,
            f"{text}: range is {base:g}% or {low:g}% of ULN depending on the distal CMAP,"
            " which is unknown",
        ), absence
    need = low if cmap_pct < rule.low_cmap_below_percent_of_lln - EPS else base
    why = f"distal CMAP {fmt_pct(cmap_pct)} of LLN"
    return _verdict(ge(p, need), f"{text}; range ≥ {need:g}% of ULN ({why})"), absence


def _block(
    row: NerveConduction, m: dict[str, Measure], rules: DemyelinationCriteria, block: float | None
) -> Judgement:
    """(e) ≥ x% proximal CMAP amplitude reduction, distal CMAP ≥ y% of LLN, not tibial."""
    rule, cmap_pct = rules.conduction_block, m["amplitude"].percent
    if row.nerve in rule.excluded_nerves:
        return F, f"conduction block is not judged in the {row.nerve} nerve"
    if block is None:
        return U, "no proximal CMAP amplitude: conduction block not assessable"
    need, min_cmap = rule.at_least_reduction_percent, rule.min_cmap_percent_of_lln
    prox, dist = fmt_num(row.proximal_amplitude or 0), fmt_num(row.amplitude or 0)
    text = f"proximal CMAP {prox} vs distal {dist}: {block:.0f}% reduction; range ≥ {need:g}%"
    if not ge(block, need):
        return F, f"{text}: not reached"
    if cmap_pct is None:
        return U, f"{text}: reached, but distal CMAP ≥ {min_cmap:g}% of LLN cannot be checked"
    if not ge(cmap_pct, min_cmap):
        return F, f"{text}, but distal CMAP is below {min_cmap:g}% of LLN"
    return T, f"{text}: conduction block"


def _dispersion(
    row: NerveConduction, rules: DemyelinationCriteria, dispersion: float | None
) -> Judgement:
    """(f) proximal CMAP duration > x% longer than distal (a nerve may need more)."""
    rule = rules.temporal_dispersion
    if dispersion is None:
        return U, "CMAP durations (distal and proximal) not given: dispersion not assessable"
    special = rule.nerve_at_least_increase_percent.get(row.nerve)
    if special is not None:
        ok, need_text = ge(dispersion, special), f"≥ {special:g}% in the {row.nerve} nerve"
    else:
        ok = dispersion > rule.above_increase_percent + EPS
        need_text = f"> {rule.above_increase_percent:g}%"
    d0, d1 = fmt_num(row.distal_duration_ms or 0), fmt_num(row.proximal_duration_ms or 0)
    text = f"duration {d0} → {d1} ms: {dispersion:.0f}% increase; range {need_text}"
    return _verdict(ok, text, "temporal dispersion")


def _duration(row: NerveConduction, rules: DemyelinationCriteria) -> Judgement:
    """(g) distal CMAP duration above the nerve's limit (for the filter setting assumed)."""
    rule = rules.distal_cmap_duration
    lim = rule.limits_ms.get(row.nerve)
    if lim is None:
        return F, f"no distal CMAP duration limit for the {row.nerve} nerve"
    if row.distal_duration_ms is None:
        return U, "distal CMAP duration not given"
    d = row.distal_duration_ms
    above = rule.comparator == "above"
    ok = d > lim + EPS if above else ge(d, lim)
    text = (
        f"distal CMAP duration {fmt_num(d)} ms; range {'>' if above else '≥'} {lim:g} ms"
        f" (low-frequency filter {rule.low_frequency_filter_hz:g} Hz assumed)"
    )
    return _verdict(ok, text, "prolonged")


def _missing(m: Measure, what: str) -> str:
    if m.value is None:
        return f"{what} not given"
    return f"{what} {fmt_num(m.value)} {m.unit}: no normal limit to compare with"


__all__ = ["SINGLE_NERVE_PARAMETERS", "Parameter", "ParameterName", "judge_parameters"]
