"""The nerve-conduction pattern that separates POEMS syndrome from CIDP, as observations.

Mauermann et al. (JNNP 2012; 138 POEMS vs 69 CIDP) found POEMS to have uniform slowing of
the intermediate nerve segments with less distal latency prolongation (a higher terminal
latency index), less conduction block and temporal dispersion, more axonal loss (lower CMAP
amplitudes) and no sural sparing. This module states, for one study, what it shows on each
of these points, with the source — never a diagnosis.

``leans`` is set only where the observation points one way with some strength: a median TLI
against the published 0.38 cut-off; conduction block or temporal dispersion present (CIDP);
sural sparing present (against POEMS); slowing confined to the distal or to the
intermediate segments. Uniformity, axonal loss and the absence of block or of sural sparing
differ between the groups on average but are common to both, so they are described without
a leaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..engine.logic import T
from .limits import NcsKnowledge
from .measure import fmt_num, fmt_pct
from .nerve import NerveResult

Leaning = Literal["POEMS", "CIDP"]
_UPPER = ("median", "ulnar", "radial")
_CTS = "; a median neuropathy at the wrist (carpal tunnel syndrome) has the same effect"
_CTS_TLI = "; carpal tunnel syndrome also lowers the median TLI"
_LOWER = ("peroneal", "tibial")


@dataclass(frozen=True, slots=True)
class PatternObservation:
    """One explained observation about the POEMS-versus-CIDP pattern."""

    id: str
    text: str
    leans: Leaning | None
    source: str
    verification: str
    values: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "leans": self.leans,
            "source": self.source,
            "verification": self.verification,
            "values": self.values,
        }


def observe(results: Sequence[NerveResult], kb: NcsKnowledge) -> list[PatternObservation]:
    motor = [r for r in results if r.row.modality == "motor" and not r.row.not_recordable]
    sensory = [r for r in results if r.row.modality == "sensory"]
    src = kb.data.pattern_sources["mauermann_2012"]
    out: list[PatternObservation] = []
    out += _tli(motor, kb)
    sl = _slowing(motor, kb)
    found = [
        _segments(sl, src.citation, src.verification),
        _uniformity(sl, src.citation, src.verification),
        _block_dispersion(motor, src.citation, src.verification),
        _axonal(motor, src.citation, src.verification),
    ]
    out += [o for o in found if o is not None]
    sural = _sural_sparing(sensory, src.citation, src.verification)
    if sural is not None:
        out.append(sural)
    return out


def _tli(motor: Sequence[NerveResult], kb: NcsKnowledge) -> list[PatternObservation]:
    spec = kb.data.terminal_latency_index
    out = []
    for r in motor:
        if r.tli is None:
            continue
        cut = spec.poems_favouring.get(r.row.nerve)
        values = {"tli": round(r.tli, 3), "distal_distance_mm": r.row.distal_distance_mm}
        row = r.row
        d, cv = fmt_num(row.distal_distance_mm or 0), fmt_num(row.conduction_velocity_m_s or 0)
        formula = f"{d} mm / ({cv} m/s × {fmt_num(row.distal_latency_ms or 0)} ms)"
        if cut is None:
            out.append(
                PatternObservation(
                    f"tli:{r.name}",
                    f"{r.name}: terminal latency index {r.tli:.2f} = {formula}; no published "
                    "POEMS/CIDP cut-off for this nerve (a high TLI means relatively short "
                    "distal latency)",
                    None,
                    spec.formula_source,
                    spec.formula_verification,
                    values,
                )
            )
            continue
        high = r.tli >= cut.at_least - 1e-9
        lean: Leaning = "POEMS" if high else "CIDP"
        verb = "at or above" if high else "below"
        out.append(
            PatternObservation(
                f"tli:{r.name}",
                f"{r.name}: terminal latency index {r.tli:.2f} = {formula}, "
                f"{verb} {cut.at_least:g}; "
                f"TLI ≥ {cut.at_least:g} favoured POEMS over CIDP (sensitivity "
                f"{cut.sensitivity_percent:g}%, specificity {cut.specificity_percent:g}%). "
                f"Formula: {spec.formula_verification}"
                + (_CTS_TLI if r.row.nerve == "median" and not high else ""),
                lean,
                cut.source,
                cut.verification,
                values | {"cutoff": cut.at_least},
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class _Slowing:
    """Which motor rows show slowing beyond what axonal loss explains (AAN 1991)."""

    rows: list[NerveResult]
    intermediate: list[NerveResult]
    distal: list[NerveResult]
    source: str


def _slowing(motor: Sequence[NerveResult], kb: NcsKnowledge) -> _Slowing:
    rule = kb.data.demyelinative_slowing
    rows = [
        r
        for r in motor
        if r.measures["distal_latency"].percent is not None
        and r.measures["conduction_velocity"].percent is not None
    ]
    inter, dist = [], []
    for r in rows:
        cmap = r.measures["amplitude"].percent
        low = cmap is not None and cmap < rule.low_cmap_below_percent_of_lln
        cv_limit = (
            rule.low_cmap_conduction_velocity_below_percent_of_lln
            if low
            else rule.conduction_velocity_below_percent_of_lln
        )
        dl_limit = (
            rule.low_cmap_distal_latency_above_percent_of_uln
            if low
            else rule.distal_latency_above_percent_of_uln
        )
        if (r.measures["conduction_velocity"].percent or 0.0) < cv_limit:
            inter.append(r)
        if (r.measures["distal_latency"].percent or 0.0) > dl_limit:
            dist.append(r)
    return _Slowing(rows, inter, dist, f"{rule.source} [{rule.verification}]")


def _names(rs: Sequence[NerveResult]) -> str:
    return ", ".join(r.name for r in rs)


def _segments(sl: _Slowing, source: str, ver: str) -> PatternObservation | None:
    if not sl.rows:
        return None
    dl = [r.measures["distal_latency"].percent or 0.0 for r in sl.rows]
    cv = [r.measures["conduction_velocity"].percent or 0.0 for r in sl.rows]
    text = (
        f"in {len(sl.rows)} motor nerves distal latency is {fmt_pct(min(dl))}–{fmt_pct(max(dl))}"
        f" of ULN and velocity {fmt_pct(min(cv))}–{fmt_pct(max(cv))} of LLN. Slowing beyond"
        " what axonal loss explains (AAN 1991 definition): intermediate segments in"
        f" {len(sl.intermediate)}, distal segments in {len(sl.distal)}"
    )
    lean: Leaning | None = None
    if sl.intermediate and not sl.distal:
        lean = "POEMS"
        text += (
            f" ({_names(sl.intermediate)}). Slowing of the intermediate segments with relatively"
            " spared distal latencies is the pattern described in POEMS"
        )
    elif sl.distal and not sl.intermediate:
        text += (
            f" ({_names(sl.distal)}). Disproportionate distal slowing (distal accentuation) is"
            " more typical of CIDP, and of anti-MAG neuropathy, than of POEMS"
        )
        if all(r.row.nerve == "median" for r in sl.distal):
            text += _CTS + ", so no leaning"
        else:
            lean = "CIDP"
    elif sl.distal:
        text += ". Both distal and intermediate segments are slowed: no leaning"
    else:
        text += ". No demyelinative slowing by this definition: no leaning"
    values = {
        "nerves": len(sl.rows),
        "intermediate": [r.name for r in sl.intermediate],
        "distal": [r.name for r in sl.distal],
        "definition": sl.source,
    }
    return PatternObservation("segments", text, lean, source, ver, values)


def _uniformity(sl: _Slowing, source: str, ver: str) -> PatternObservation | None:
    if len(sl.rows) < 2 or not sl.intermediate:
        return None
    n, k = len(sl.rows), len(sl.intermediate)
    if k == n:
        text = f"velocity slowed beyond what axonal loss explains in all {n} motor nerves"
    else:
        spared = [r for r in sl.rows if r not in sl.intermediate]
        text = (
            f"velocity slowed beyond what axonal loss explains in {k} of {n} motor nerves,"
            f" not in {_names(spared)}"
        )
    text += (
        ". Uniform slowing was described in POEMS and multifocal slowing in CIDP, but diffuse"
        " slowing is common in CIDP too: no leaning"
    )
    values = {"nerves": n, "slowed": [r.name for r in sl.intermediate], "definition": sl.source}
    return PatternObservation("uniformity", text, None, source, ver, values)


def _block_dispersion(
    motor: Sequence[NerveResult], source: str, ver: str
) -> PatternObservation | None:
    judged = [r for r in motor if r.block_percent is not None or r.dispersion_percent is not None]
    if not judged:
        return PatternObservation(
            "block_dispersion",
            "conduction block and temporal dispersion not assessable (no proximal CMAP "
            "amplitudes or durations); both are less frequent in POEMS than in CIDP",
            None,
            source,
            ver,
            {"nerves": 0},
        )
    cb = [r.name for r in judged if r.truth("conduction_block") is T]
    td = [r.name for r in judged if r.truth("temporal_dispersion") is T]
    if cb or td:
        parts = []
        if cb:
            parts.append(f"conduction block in {', '.join(cb)}")
        if td:
            parts.append(f"temporal dispersion in {', '.join(td)}")
        text = "; ".join(parts) + " — both are more frequent in CIDP than in POEMS"
        lean: Leaning | None = "CIDP"
    else:
        text = (
            f"no conduction block or temporal dispersion in {len(judged)} motor nerves "
            "assessed, as is usual in POEMS and common in CIDP too: no leaning"
        )
        lean = None
    return PatternObservation(
        "block_dispersion",
        text,
        lean,
        source,
        ver,
        {"nerves": len(judged), "block": cb, "dispersion": td},
    )


def _axonal(motor: Sequence[NerveResult], source: str, ver: str) -> PatternObservation | None:
    amp = [r for r in motor if r.measures["amplitude"].percent is not None]
    if not amp:
        return None
    low = [r for r in amp if r.measures["amplitude"].abnormal is T]

    def mean(rs: list[NerveResult]) -> float | None:
        vals = [r.measures["amplitude"].percent or 0.0 for r in rs]
        return sum(vals) / len(vals) if vals else None

    upper = mean([r for r in amp if r.row.nerve in _UPPER])
    lower = mean([r for r in amp if r.row.nerve in _LOWER])
    text = f"distal CMAP below LLN in {len(low)} of {len(amp)} motor nerves"
    if upper is not None and lower is not None:
        text += f" (mean {fmt_pct(upper)} of LLN in the arms, {fmt_pct(lower)} in the legs)"
    if low:
        text += (
            "; more severe, length-dependent axonal loss was described in POEMS than in CIDP,"
            " but axonal loss is common to both: no leaning"
        )
    return PatternObservation(
        "axonal_loss",
        text,
        None,
        source,
        ver,
        {
            "nerves": len(amp),
            "low": len(low),
            "mean_upper_percent": upper,
            "mean_lower_percent": lower,
        },
    )


def _sural_sparing(
    sensory: Sequence[NerveResult], source: str, ver: str
) -> PatternObservation | None:
    def low(r: NerveResult) -> bool | None:
        if r.row.not_recordable:
            return True
        a = r.measures["amplitude"].abnormal
        return None if not a.known else a is T

    sural = [r for r in sensory if r.row.nerve == "sural"]
    arm = [r for r in sensory if r.row.nerve in ("median", "ulnar", "radial")]
    if not sural or not arm:
        return None
    arm_low = [r for r in arm if low(r)]
    sural_low = [r for r in sural if low(r)]
    sural_known = [r for r in sural if low(r) is not None]
    if not arm_low or not sural_known:
        return PatternObservation(
            "sural_sparing",
            "sural sparing cannot be judged (upper-limb sensory amplitudes normal or sural "
            "amplitude unknown)",
            None,
            source,
            ver,
            {},
        )
    if sural_low:
        text = (
            "no sural sparing: sural and upper-limb sensory amplitudes are both reduced, as"
            " described in POEMS; length-dependent neuropathies of any cause look the same:"
            " no leaning"
        )
        lean: Leaning | None = None
    else:
        text = (
            "sural sparing: reduced upper-limb sensory amplitudes "
            f"({', '.join(r.name for r in arm_low)}) "
            "with a normal sural amplitude, typical of acquired demyelinating neuropathy "
            "(CIDP) and not seen in POEMS; carpal tunnel syndrome can also lower median"
            " amplitudes"
        )
        lean = "CIDP"
    return PatternObservation(
        "sural_sparing",
        text,
        lean,
        source,
        ver,
        {"upper_low": [r.name for r in arm_low], "sural_low": [r.name for r in sural_low]},
    )
