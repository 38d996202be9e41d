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


def judge_parameters(
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
        for name in (
            "distal_latency",
            "conduction_velocity",
            "f_wave_latency",
            "temporal_dispersion",
            "distal_cmap_duration",
        ):
            put(name, U, "no response recorded: cannot be judged in this nerve")
        put(
            "f_wave_absence",
            F,
            "no response recorded: absent F-waves need a distal CMAP ≥ 20% of LLN",
        )
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
        if not ge(p, need):
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
        ok = le(p, need)
        put(
            "conduction_velocity",
            T if ok else F,
            text + (": in the demyelinating range" if ok else ": not reached"),
        )

    # (c) F-wave latency, and (d) absent F-waves
    fw, rule_f = m["f_wave_latency"], rules.f_wave_latency
    min_cmap = rules.f_wave_absence.min_cmap_percent_of_lln
    if row.f_wave_absent:
        put("f_wave_latency", F, "F-waves absent (judged as absence)")
        if cmap_pct is None:
            put(
                "f_wave_absence",
                U,
                f"F-waves absent; distal CMAP or its LLN unknown (must be ≥ {min_cmap:g}% of LLN)",
            )
        elif ge(cmap_pct, min_cmap):
            put(
                "f_wave_absence",
                T,
                f"F-waves absent with distal CMAP {cmap.describe()} (≥ {min_cmap:g}% of LLN)",
            )
        else:
            put(
                "f_wave_absence",
                F,
                f"F-waves absent, but distal CMAP {cmap.describe()} is below {min_cmap:g}% of LLN",
            )
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
                if ge(p, low):
                    put(
                        "f_wave_latency",
                        T,
                        text + f": ≥ {low:g}% of ULN, in range whatever the CMAP",
                    )
                elif not ge(p, base):
                    put("f_wave_latency", F, text + f": below {base:g}% of ULN")
                else:
                    put(
                        "f_wave_latency",
                        U,
                        f"{text}: range is {base:g}% or {low:g}% of ULN depending on the"
                        " distal CMAP, which is unknown",
                    )
            else:
                low_cmap = cmap_pct < rule_f.low_cmap_below_percent_of_lln - EPS
                need = low if low_cmap else base
                why = f"distal CMAP {fmt_pct(cmap_pct)} of LLN"
                ok = ge(p, need)
                put(
                    "f_wave_latency",
                    T if ok else F,
                    f"{text}; range ≥ {need:g}% of ULN ({why})"
                    + (": in the demyelinating range" if ok else ": not reached"),
                )

    # (e) conduction block
    rule_b = rules.conduction_block
    if row.nerve in rule_b.excluded_nerves:
        put("conduction_block", F, f"conduction block is not judged in the {row.nerve} nerve")
    elif block is None:
        put("conduction_block", U, "no proximal CMAP amplitude: conduction block not assessable")
    else:
        need = rule_b.at_least_reduction_percent
        prox, dist = fmt_num(row.proximal_amplitude or 0), fmt_num(row.amplitude or 0)
        text = f"proximal CMAP {prox} vs distal {dist}: {block:.0f}% reduction; range ≥ {need:g}%"
        if not ge(block, need):
            put("conduction_block", F, text + ": not reached")
        elif cmap_pct is None:
            put(
                "conduction_block",
                U,
                f"{text}: reached, but distal CMAP ≥ {rule_b.min_cmap_percent_of_lln:g}% of LLN"
                " cannot be checked",
            )
        elif ge(cmap_pct, rule_b.min_cmap_percent_of_lln):
            put("conduction_block", T, text + ": conduction block")
        else:
            put(
                "conduction_block",
                F,
                text + f", but distal CMAP is below {rule_b.min_cmap_percent_of_lln:g}% of LLN",
            )

    # (f) temporal dispersion
    rule_td = rules.temporal_dispersion
    if dispersion is None:
        put(
            "temporal_dispersion",
            U,
            "CMAP durations (distal and proximal) not given: dispersion not assessable",
        )
    else:
        special = rule_td.nerve_at_least_increase_percent.get(row.nerve)
        if special is not None:
            ok, need_text = ge(dispersion, special), f"≥ {special:g}% in the {row.nerve} nerve"
        else:
            ok, need_text = (
                dispersion > rule_td.above_increase_percent + EPS,
                f"> {rule_td.above_increase_percent:g}%",
            )
        d0, d1 = fmt_num(row.distal_duration_ms or 0), fmt_num(row.proximal_duration_ms or 0)
        text = f"duration {d0} → {d1} ms: {dispersion:.0f}% increase; range {need_text}"
        put(
            "temporal_dispersion",
            T if ok else F,
            text + (": temporal dispersion" if ok else ": not reached"),
        )

    # (g) distal CMAP duration
    rule_d = rules.distal_cmap_duration
    lim = rule_d.limits_ms.get(row.nerve)
    if lim is None:
        put("distal_cmap_duration", F, f"no distal CMAP duration limit for the {row.nerve} nerve")
    elif row.distal_duration_ms is None:
        put("distal_cmap_duration", U, "distal CMAP duration not given")
    else:
        d = row.distal_duration_ms
        ok = d > lim + EPS if rule_d.comparator == "above" else ge(d, lim)
        op = ">" if rule_d.comparator == "above" else "≥"
        lff = rule_d.low_frequency_filter_hz
        text = (
            f"distal CMAP duration {fmt_num(d)} ms; range {op} {lim:g} ms"
            f" (low-frequency filter {lff:g} Hz assumed)"
        )
        put(
            "distal_cmap_duration",
            T if ok else F,
            text + (": prolonged" if ok else ": not reached"),
        )
    return out


def _missing(m: Measure, what: str) -> str:
    if m.value is None:
        return f"{what} not given"
    return f"{what} {fmt_num(m.value)} {m.unit}: no normal limit to compare with"


__all__ = ["SINGLE_NERVE_PARAMETERS", "Parameter", "ParameterName", "judge_parameters"]
