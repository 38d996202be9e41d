"""Placing observations before or after the first disease-directed treatment.

Dates may be partial (``2010-01``), so a time resolves to the range of days it can
mean. An observation with no time belongs to the diagnostic work-up; one whose time
cannot be resolved is also kept in the diagnostic window (and says so in its evidence).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..knowledge.registry import Knowledge
from ..model import Case, Event, When
from ..model.time import date_bounds, duration_days

Bounds = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Placement:
    phase: str  # "before_treatment" | "after_treatment" | "uncertain"
    bounds: Bounds | None
    reason: str


class Timeline:
    """Resolves ``When`` values of one case against its anchors and events."""

    def __init__(self, case: Case, kb: Knowledge) -> None:
        self.case = case
        self._events = {e.id: e for e in case.events}
        self._cache: dict[tuple[str | None, str | None, str | None], Bounds | None] = {}
        treatments = [e for e in case.events if _disease_directed(e, kb)]
        self.treatments = tuple(treatments)
        dated = [(self.event_bounds(e), e) for e in treatments]
        known = [(b, e) for b, e in dated if b is not None]
        if known:
            b, e = min(known, key=lambda x: x[0][0])
            self.first_treatment: Event | None = e
            self.first_bounds: Bounds | None = b
        else:
            self.first_treatment = treatments[0] if treatments else None
            self.first_bounds = None

    def event_bounds(self, event: Event) -> Bounds | None:
        return self.bounds(event.start) if event.start else None

    def bounds(self, when: When, _depth: int = 0) -> Bounds | None:
        """The first and last day ``when`` can mean, or None when it cannot be resolved."""
        key = (when.date, when.anchor, when.offset)
        if key in self._cache:
            return self._cache[key]
        result = self._bounds(when, _depth)
        self._cache[key] = result
        return result

    def _bounds(self, when: When, _depth: int) -> Bounds | None:
        if when.date:
            return date_bounds(when.date)
        if when.anchor is None or _depth > 10:
            return None
        base: Bounds | None = None
        if when.anchor in self.case.anchors:
            base = self.bounds(self.case.anchors[when.anchor], _depth + 1)
        elif when.anchor in self._events:
            start = self._events[when.anchor].start
            base = self.bounds(start, _depth + 1) if start else None
        if base is None:
            return None
        shift = duration_days(when.offset) if when.offset else 0.0
        return base[0] + shift, base[1] + shift

    def sort_key(self, when: When | None) -> float:
        """Chronological key; unresolvable times sort first (as the diagnostic work-up)."""
        if when is None:
            return float("-inf")
        b = self.bounds(when)
        return (b[0] + b[1]) / 2 if b else float("-inf")

    def place(self, when: When | None) -> Placement:
        """Before or after the first disease-directed treatment, or ``uncertain`` when the
        dates overlap it; only ``before_treatment`` enters the diagnostic window."""
        if when is None:
            return Placement("before_treatment", None, "no time given: part of the work-up")
        if when.phase:
            return Placement(when.phase, self.bounds(when), "phase stated")
        if not self.treatments:
            return Placement("before_treatment", self.bounds(when), "no disease-directed treatment")
        b = self.bounds(when)
        anchor = self._events.get(when.anchor or "")
        if anchor is not None and anchor in self.treatments:
            after = when.offset is None or duration_days(when.offset) >= 0
            if after:
                return Placement("after_treatment", b, f"at or after {when.anchor}")
            if anchor is self.first_treatment:
                return Placement(
                    "before_treatment", b, f"before {when.anchor}, the first treatment"
                )
        if b is None or self.first_bounds is None:
            if anchor is not None and anchor in self.treatments:
                return Placement("uncertain", b, f"before {when.anchor}, but maybe after the first")
            return Placement("before_treatment", b, "time not resolvable: kept in the work-up")
        lo, hi = b
        tx_lo, tx_hi = self.first_bounds
        if hi < tx_lo:
            return Placement("before_treatment", b, "dated before the first treatment")
        if lo > tx_hi:
            return Placement("after_treatment", b, "dated after the first treatment")
        return Placement("uncertain", b, "dated in the same period as the first treatment")


def _disease_directed(event: Event, kb: Knowledge) -> bool:
    if event.disease_directed is not None:
        return event.disease_directed
    concept = kb.concepts.get(event.concept)
    return bool(concept and concept.disease_directed)
