"""Comparing one measurement with a threshold, and saying in words what was compared.

Limits (ULN/LLN) come from the reporting lab's range first, then from the catalogue's
sourced fallback for that specimen and sex; with neither, the comparison is unknown.
A qualitative "high"/"low"/"normal" answers a limit comparison but not an absolute one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UnitError
from ..model import Measurement
from ..units import convert, convert_molar, is_compatible
from .ast import Threshold
from .logic import F, T, Truth, U

if TYPE_CHECKING:
    from .facts import Facts

_OPS = {"above": ">", "at_least": "≥", "below": "<", "at_most": "≤"}


def fmt(value: float) -> str:
    """1700.0 → '1,700'; 4.6 → '4.6'."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6g}"


def _holds(value: float, comparator: str, limit: float) -> bool:
    v, lim = round(value, 9), round(limit, 9)
    if comparator == "above":
        return v > lim
    if comparator == "at_least":
        return v >= lim
    if comparator == "below":
        return v < lim
    return v <= lim


def describe_value(m: Measurement, label: str) -> str:
    spec = f"{m.specimen} " if m.specimen else ""
    when = f" ({m.time.describe()})" if m.time else ""
    if m.value is not None:
        return f"{spec}{label} {fmt(m.value)} {m.unit or ''}".rstrip() + when
    return f"{spec}{label} {m.result}{when}"


def to_unit(facts: Facts, concept: str, value: float, src: str, dst: str) -> float:
    """Convert ``value`` for ``concept``, through its molar mass when the kinds differ."""
    if is_compatible(src, dst):
        return convert(value, src, dst)
    c = facts.kb.concepts.get(concept)
    mass = c.molar_mass_g_per_mol if c else None
    if mass is None:
        raise UnitError(f"'{src}' does not convert to '{dst}'")
    return convert_molar(value, src, dst, mass)


def compare_to_limit(
    facts: Facts,
    m: Measurement,
    comparator: str,
    limit: str,
    multiple: float,
    offset: tuple[float, str] | None = None,
) -> tuple[Truth, str]:
    """``m`` against ``multiple`` × the lab's ULN or LLN, plus an optional fixed offset."""
    label = facts.kb.label(m.concept)
    shown = describe_value(m, label)
    upper = limit == "ULN"
    if m.value is None:
        if offset is not None:
            return U, f"{shown}: no value to compare with the limit {offset[0]:+g} {offset[1]}"
        return _qualitative_vs_limit(m, comparator, upper, multiple, shown)
    rr, origin = m.reference_range, "lab range"
    bound = (rr.high if upper else rr.low) if rr else None
    if bound is None:
        fb = facts.fallback_range(m.concept, m.specimen)
        if fb is not None:
            rr, origin = fb[0], f"default range, {fb[1]}"
            bound = rr.high if upper else rr.low
    if bound is None or rr is None:
        return U, f"{shown}: no {limit} known for this lab or specimen"
    bound_unit = rr.unit or m.unit
    try:
        if bound_unit and m.unit and bound_unit != m.unit:
            bound = to_unit(facts, m.concept, bound, bound_unit, m.unit)
    except UnitError as exc:
        return U, f"{shown}: reference range unit does not fit ({exc.message})"
    target = bound * multiple
    k = "" if multiple == 1 else f"{multiple:g} × "
    shift = ""
    if offset is not None:
        try:
            delta = to_unit(facts, m.concept, offset[0], offset[1], m.unit) if m.unit else offset[0]
        except UnitError as exc:
            return U, f"{shown}: offset unit does not fit ({exc.message})"
        target += delta
        shift = f" {'+' if delta >= 0 else '−'} {fmt(abs(delta))}"
    ratio = f"; {m.value / bound:.1f} × {limit}" if bound else ""
    holds = _holds(m.value, comparator, target)
    text = (
        f"{shown} {_OPS[comparator] if holds else 'not ' + _OPS[comparator]} "
        f"{k}{limit} {fmt(bound)}{shift} {m.unit or ''} ({origin}{ratio})"
    )
    return (T if holds else F), " ".join(text.split())


def _qualitative_vs_limit(
    m: Measurement, comparator: str, upper: bool, multiple: float, shown: str
) -> tuple[Truth, str]:
    wants_high = comparator in ("above", "at_least")
    if upper != wants_high:
        return U, f"{shown}: a qualitative result cannot answer this comparison"
    if m.result == "normal":
        return F, f"{shown}: within the lab's range"
    if multiple <= 1 and ((upper and m.result == "high") or (not upper and m.result == "low")):
        return T, f"{shown}: reported {'above' if upper else 'below'} the lab's range"
    if (upper and m.result == "low") or (not upper and m.result == "high"):
        return F, f"{shown}: reported on the other side of the range"
    return U, f"{shown}: no value to compare with {multiple:g} × the limit"


def compare_to_value(facts: Facts, m: Measurement, threshold: Threshold) -> tuple[Truth, str]:
    """``m`` against an absolute threshold, converting units (molar via the catalogue)."""
    label = facts.kb.label(m.concept)
    shown = describe_value(m, label)
    assert threshold.value is not None and threshold.unit is not None
    if m.value is None:
        return U, f"{shown}: no number to compare with {threshold.describe()}"
    try:
        if m.unit is None:
            raise UnitError("no unit")
        value = to_unit(facts, m.concept, m.value, m.unit, threshold.unit)
    except UnitError as exc:
        return U, f"{shown}: cannot compare ({exc.message})"
    holds = _holds(value, threshold.comparator, threshold.value)
    conv = "" if m.unit == threshold.unit else f" (= {fmt(value)} {threshold.unit})"
    op = _OPS[threshold.comparator]
    text = f"{shown}{conv} {op if holds else 'not ' + op} {fmt(threshold.value)} {threshold.unit}"
    return (T if holds else F), text
