"""Three-valued checks of one response condition, each with the words of what was compared.

A check is *unknown* (never false) when the data to decide it are missing: no baseline, no
number, no reference limit, units that do not convert, or a negative M-protein result
whose method is not immunofixation.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.compare import fmt
from ..engine.logic import F, T, Truth, U, all_of, any_of
from ..model import Finding, Measurement
from .course import Course, Point, TimePoint
from .definitions import Amount, Condition, NegativeBy

__all__ = ["Context", "check", "describe", "percent_change", "signed_percent"]


@dataclass(frozen=True, slots=True)
class Context:
    """What one definition is judged on at one time point."""

    course: Course
    concept: str
    specimen: str | None
    baseline: Point | None
    follow: Point | None
    timepoint: TimePoint


def describe(course: Course, point: Point | None) -> str:
    """``serum VEGF 548 pg/mL (5 months after transplant (T2))``."""
    if point is None:
        return "no value"
    obs = point.obs
    label = course.label(obs.concept)
    if isinstance(obs, Finding):
        return f"{label} {obs.status} ({point.label})"
    spec = f"{obs.specimen} " if obs.specimen else ""
    if obs.value is not None:
        shown = f"{spec}{label} {fmt(obs.value)} {obs.unit or ''}".rstrip()
    else:
        method = f" by {obs.method}" if obs.method else ""
        shown = f"{spec}{label} {obs.result}{method}"
    return f"{shown} ({point.label})"


def signed_percent(pct: float) -> str:
    """``-67.8`` → ``−68 %`` (a true minus sign); ``87.5`` → ``+88 %``."""
    rounded = round(pct)
    if rounded == 0:
        return "±0 %"
    return f"{'+' if rounded > 0 else '−'}{abs(rounded)} %"


def percent_change(course: Course, base: Point | None, follow: Point | None) -> float | None:
    """Change from baseline in %, converting the baseline to the follow-up's unit."""
    pair = _numbers(course, base, follow)
    if pair is None or pair[0] == 0:
        return None
    b, f = pair
    return (f - b) / b * 100.0


def _numbers(
    course: Course, base: Point | None, follow: Point | None
) -> tuple[float, float] | None:
    if base is None or follow is None:
        return None
    b, f = base.obs, follow.obs
    if not isinstance(b, Measurement) or not isinstance(f, Measurement):
        return None
    if b.value is None or f.value is None or b.unit is None or f.unit is None:
        return None
    bv = course.convert(f.concept, b.value, b.unit, f.unit)
    return None if bv is None else (bv, f.value)


def _amount_in(course: Course, point: Point, amount: Amount) -> float | None:
    """``point``'s value in ``amount``'s unit."""
    m = point.obs
    if not isinstance(m, Measurement) or m.value is None or m.unit is None:
        return None
    return course.convert(m.concept, m.value, m.unit, amount.unit)


def check(cond: Condition, ctx: Context) -> tuple[Truth, str]:
    """Evaluate ``cond``; returns the truth and a one-line explanation."""
    kind = cond.kind
    if kind in ("all_of", "any_of"):
        parts = (cond.all_of if kind == "all_of" else cond.any_of) or []
        results = [check(c, ctx) for c in parts]
        combine = all_of if kind == "all_of" else any_of
        truth = combine(t for t, _ in results)
        # Say only what decided it: the false parts of a false "all", the true parts of a
        # true "any", the unknown parts of an unknown one.
        decisive = (
            [s for t, s in results if t is truth] if truth is not T or kind == "any_of" else []
        )
        texts = decisive or [s for _, s in results]
        return truth, "; ".join(dict.fromkeys(texts))
    if kind in ("below_uln", "above_uln"):
        return _vs_uln(ctx, below=kind == "below_uln")
    if kind == "below":
        assert cond.below is not None
        return _below(ctx, cond.below)
    if kind in ("change_at_most", "change_at_least"):
        limit = cond.change_at_most if kind == "change_at_most" else cond.change_at_least
        assert limit is not None
        return _percent(ctx, limit, at_most=kind == "change_at_most")
    if kind == "increase_at_least":
        assert cond.increase_at_least is not None
        return _increase(ctx, cond.increase_at_least)
    if kind in ("points_at_most", "points_at_least"):
        limit = cond.points_at_most if kind == "points_at_most" else cond.points_at_least
        assert limit is not None
        return _points(ctx, limit, at_most=kind == "points_at_most")
    if kind == "measurable":
        assert cond.measurable is not None
        return _measurable(ctx, cond.measurable)
    if kind == "negative_by":
        assert cond.negative_by is not None
        return _negative_by(ctx, cond.negative_by)
    assert cond.finding_absent is not None
    return _finding_absent(ctx, cond.finding_absent)


def _vs_uln(ctx: Context, below: bool) -> tuple[Truth, str]:
    course, follow = ctx.course, ctx.follow
    shown = describe(course, follow)
    if follow is None or not isinstance(follow.obs, Measurement):
        return U, f"{course.label(ctx.concept)}: not measured at this time point"
    m = follow.obs
    if m.value is None:
        if m.result == "normal":
            return (T if below else F), f"{shown}: within the lab's range"
        if m.result == "high":
            return (F if below else T), f"{shown}: above the lab's range"
        return U, f"{shown}: no number to compare with the upper limit"
    limit = course.upper_limit(follow)
    if limit is None:
        return U, f"{shown}: no upper limit known for this test and specimen"
    holds = m.value < limit.value if below else m.value > limit.value
    op = "<" if below else ">"
    verb = op if holds else f"not {op}"
    ratio = f"; {m.value / limit.value:.1f} × ULN" if limit.value else ""
    return (T if holds else F), f"{shown} {verb} {limit.describe()}{ratio}"


def _below(ctx: Context, amount: Amount) -> tuple[Truth, str]:
    course, follow = ctx.course, ctx.follow
    if follow is None:
        return U, f"{course.label(ctx.concept)}: not measured at this time point"
    shown = describe(course, follow)
    value = _amount_in(course, follow, amount)
    if value is None:
        return U, f"{shown}: no number in a unit comparable with {amount.unit}"
    holds = value < amount.value
    conv = ""
    if isinstance(follow.obs, Measurement) and follow.obs.unit != amount.unit:
        conv = f" (= {fmt(value)} {amount.unit})"
    op = "<" if holds else "not <"
    return (T if holds else F), f"{shown}{conv} {op} {fmt(amount.value)} {amount.unit}"


def _change_text(ctx: Context) -> str:
    course = ctx.course
    b, f = ctx.baseline, ctx.follow
    pct = percent_change(course, b, f)
    assert b is not None and f is not None
    bm, fm = b.obs, f.obs
    assert isinstance(bm, Measurement) and isinstance(fm, Measurement)
    assert bm.value is not None and fm.value is not None
    spec = f"{fm.specimen} " if fm.specimen else ""
    change = f" ({signed_percent(pct)})" if pct is not None else ""
    return (
        f"{spec}{course.label(ctx.concept)} {fmt(bm.value)} {bm.unit or ''} ({b.label}) → "
        f"{fmt(fm.value)} {fm.unit or ''} ({f.label}){change}"
    ).replace("  ", " ")


def _missing_pair(ctx: Context) -> str | None:
    label = ctx.course.label(ctx.concept)
    if ctx.follow is None:
        return f"{label}: not measured at this time point"
    if ctx.baseline is None:
        spec = f" {ctx.specimen}" if ctx.specimen else ""
        return f"{label}: no{spec} value before treatment to compare with"
    if _numbers(ctx.course, ctx.baseline, ctx.follow) is None:
        return (
            f"{describe(ctx.course, ctx.baseline)} and {describe(ctx.course, ctx.follow)}: "
            "not two numbers in convertible units"
        )
    return None


def _percent(ctx: Context, limit: float, at_most: bool) -> tuple[Truth, str]:
    missing = _missing_pair(ctx)
    if missing:
        return U, missing
    pct = percent_change(ctx.course, ctx.baseline, ctx.follow)
    if pct is None:
        return U, f"{_change_text(ctx)}: baseline is zero, no relative change"
    holds = round(pct, 9) <= limit if at_most else round(pct, 9) >= limit
    word = "fall" if limit < 0 else "rise"
    target = f"a {word} of ≥ {abs(limit):g} %"
    return (T if holds else F), f"{_change_text(ctx)}: {'' if holds else 'not '}{target}"


def _increase(ctx: Context, amount: Amount) -> tuple[Truth, str]:
    missing = _missing_pair(ctx)
    if missing:
        return U, missing
    assert ctx.baseline is not None and ctx.follow is not None
    b = _amount_in(ctx.course, ctx.baseline, amount)
    f = _amount_in(ctx.course, ctx.follow, amount)
    if b is None or f is None:
        return U, f"{_change_text(ctx)}: not convertible to {amount.unit}"
    holds = f - b >= amount.value
    return (T if holds else F), (
        f"{_change_text(ctx)}: rise {'≥' if holds else '<'} {fmt(amount.value)} {amount.unit}"
    )


def _points(ctx: Context, limit: float, at_most: bool) -> tuple[Truth, str]:
    missing = _missing_pair(ctx)
    if missing:
        return U, missing
    pair = _numbers(ctx.course, ctx.baseline, ctx.follow)
    assert pair is not None
    diff = pair[1] - pair[0]
    holds = diff <= limit if at_most else diff >= limit
    op = "≤" if at_most else "≥"
    return (T if holds else F), (
        f"{_change_text(ctx)}: change {diff:+g} points {op if holds else 'not ' + op} {limit:+g}"
    )


def _measurable(ctx: Context, amount: Amount) -> tuple[Truth, str]:
    course, base = ctx.course, ctx.baseline
    label = course.label(ctx.concept)
    if base is None:
        return U, f"{label}: no value before treatment; measurability unknown"
    m = base.obs
    assert isinstance(m, Measurement)
    if m.value is None:
        if m.result in ("negative", "normal"):
            return F, f"{describe(course, base)}: nothing to measure"
        return F, (
            f"{describe(course, base)}: reported without a quantity, so not measurable "
            f"(≥ {fmt(amount.value)} {amount.unit} needed)"
        )
    value = _amount_in(course, base, amount)
    if value is None:
        return U, f"{describe(course, base)}: unit not comparable with {amount.unit}"
    holds = value >= amount.value
    op = "≥" if holds else "<"
    return (T if holds else F), (
        f"{describe(course, base)}: {op} {fmt(amount.value)} {amount.unit} "
        f"({'measurable' if holds else 'not measurable'})"
    )


def _negative_by(ctx: Context, spec: NegativeBy) -> tuple[Truth, str]:
    course, tp = ctx.course, ctx.timepoint
    method = spec.method.lower()
    truths: list[Truth] = []
    texts: list[str] = []
    for specimen in spec.specimens:
        found = [
            p
            for p in tp.points
            if isinstance(p.obs, Measurement)
            and p.obs.concept in spec.concepts
            and p.obs.specimen == specimen
        ]
        if not found:
            truths.append(U)
            texts.append(f"{specimen}: no {method} result at this time point")
            continue
        positive = [p for p in found if _is_positive(p.obs)]
        by_method = [
            p
            for p in found
            if isinstance(p.obs, Measurement)
            and p.obs.result == "negative"
            and (p.obs.method or "").lower() == method
        ]
        if positive:
            truths.append(F)
            texts.append(f"{describe(course, positive[-1])}: still detectable")
        elif by_method:
            truths.append(T)
            texts.append(f"{describe(course, by_method[-1])}")
        else:
            truths.append(U)
            m = found[-1].obs
            assert isinstance(m, Measurement)
            how = f"by {m.method}" if m.method else "with no method stated"
            texts.append(
                f"{describe(course, found[-1])}: reported {how}, not a negative {method} — "
                f"undetermined pending {method}"
            )
    return all_of(truths), "; ".join(texts)


def _is_positive(obs: Finding | Measurement) -> bool:
    if not isinstance(obs, Measurement):
        return False
    if obs.result in ("positive", "high", "abnormal"):
        return True
    return obs.value is not None and obs.value > 0


def _finding_absent(ctx: Context, concept: str) -> tuple[Truth, str]:
    course, tp = ctx.course, ctx.timepoint
    found = [p for p in tp.points if isinstance(p.obs, Finding) and p.obs.concept == concept]
    if not found:
        return U, f"{course.label(concept)}: not reported at this time point"
    last = found[-1]
    assert isinstance(last.obs, Finding)
    if last.obs.status == "absent":
        return T, describe(course, last)
    if last.obs.status == "present":
        return F, describe(course, last)
    return U, describe(course, last)
