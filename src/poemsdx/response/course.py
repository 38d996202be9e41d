"""A case's course around its first disease-directed treatment: baselines, follow-up time
points, and the reference limit each value is read against.

* **Baseline** of a test is its last value before the first disease-directed treatment, on
  the same specimen (serum and plasma VEGF are different tests).
* **Follow-up time points** group the observations after that treatment by the day they
  resolve to (a partial date or an anchor with an offset resolves to a range of days; its
  middle is used), or by their time label when they do not resolve.
* **Upper limit**: the lab range given with the value; else the range the same test on the
  same specimen carried at another time in this case (assumed the same laboratory, and
  said so); else the catalogue's sourced fallback for the specimen and sex.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ..engine.compare import fmt, to_unit
from ..engine.facts import Facts
from ..engine.timeline import Bounds
from ..errors import UnitError
from ..knowledge.registry import Knowledge
from ..model import Case, Event, Finding, Measurement, NerveConduction, When
from ..model.time import duration_days

__all__ = ["Course", "Limit", "Point", "TimePoint", "iso_day", "months_between"]

_DAYS_PER_MONTH = duration_days("P1M")


def iso_day(ordinal: float | None) -> str | None:
    """The ISO date of a (possibly fractional) day ordinal."""
    if ordinal is None:
        return None
    return date.fromordinal(round(ordinal)).isoformat()


def months_between(start: float | None, end: float | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start) / _DAYS_PER_MONTH, 1)


@dataclass(frozen=True, slots=True)
class Point:
    """One observation placed on the course."""

    index: int  # position in case.observations
    obs: Finding | Measurement
    phase: str  # "before_treatment" | "after_treatment"
    bounds: Bounds | None
    label: str

    @property
    def day(self) -> float | None:
        """Middle of the days the time can mean (an ordinal), or None."""
        return (self.bounds[0] + self.bounds[1]) / 2 if self.bounds else None

    @property
    def approximate(self) -> bool:
        return self.bounds is None or self.bounds[0] != self.bounds[1]

    @property
    def specimen(self) -> str | None:
        return self.obs.specimen if isinstance(self.obs, Measurement) else None


@dataclass(frozen=True, slots=True)
class TimePoint:
    """A follow-up time point: every observation after treatment that falls on it."""

    key: str
    label: str
    day: float | None
    months_after: float | None
    points: tuple[Point, ...]

    @property
    def date(self) -> str | None:
        return iso_day(self.day)


@dataclass(frozen=True, slots=True)
class Limit:
    """A reference limit in the unit of the value it is compared with."""

    value: float
    unit: str | None
    origin: str

    def describe(self, name: str = "ULN") -> str:
        return f"{name} {fmt(self.value)} {self.unit or ''}".rstrip() + f" ({self.origin})"


class Course:
    """Indexes one case's measurements and findings around its first treatment."""

    def __init__(
        self, case: Case, kb: Knowledge, extra_names: Mapping[str, Mapping[str, str]] | None = None
    ) -> None:
        self.case = case
        self.kb = kb
        self._extra_names = dict(extra_names or {})
        self.facts = Facts(case, kb)
        self.timeline = self.facts.timeline
        self.treatment: Event | None = self.timeline.first_treatment
        tb = self.timeline.first_bounds
        self.treatment_day: float | None = (tb[0] + tb[1]) / 2 if tb else None
        self.points: list[Point] = []
        for i, obs in enumerate(case.observations):
            if isinstance(obs, NerveConduction):
                continue
            placement = self.timeline.place(obs.time)
            self.points.append(Point(i, obs, placement.phase, placement.bounds, _label(obs.time)))
        self.points.sort(key=lambda p: (self.timeline.sort_key(p.obs.time), p.index))
        self._by_concept: dict[str, list[Point]] = defaultdict(list)
        for p in self.points:
            self._by_concept[p.obs.concept].append(p)

    def label(self, concept: str, lang: str = "en") -> str:
        """A concept's preferred name, from the catalogue or the response definitions."""
        extra = self._extra_names.get(concept)
        if extra is not None:
            return extra.get(lang) or extra.get("en") or concept
        return self.kb.label(concept, lang)

    # -- selection ------------------------------------------------------------------------
    def series(
        self, concept: str, specimen: str | None = None, any_specimen: bool = False
    ) -> list[Point]:
        """Measurements of ``concept`` (one specimen, or all), oldest first."""
        return [
            p
            for p in self._by_concept.get(concept, [])
            if isinstance(p.obs, Measurement) and (any_specimen or p.specimen == specimen)
        ]

    def findings(self, concept: str) -> list[Point]:
        return [p for p in self._by_concept.get(concept, []) if isinstance(p.obs, Finding)]

    def baseline(
        self, concept: str, specimen: str | None, any_specimen: bool = False
    ) -> Point | None:
        """The last value before the first treatment (same specimen unless ``any_specimen``)."""
        before = [
            p for p in self.series(concept, specimen, any_specimen) if p.phase == "before_treatment"
        ]
        return before[-1] if before else None

    def baseline_finding(self, concept: str) -> Point | None:
        before = [p for p in self.findings(concept) if p.phase == "before_treatment"]
        return before[-1] if before else None

    def timepoints(self) -> list[TimePoint]:
        """Follow-up time points, in order; empty without a disease-directed treatment."""
        if self.treatment is None:
            return []
        groups: dict[str, list[Point]] = defaultdict(list)
        order: dict[str, float] = {}
        for p in self.points:
            if p.phase != "after_treatment":
                continue
            day = p.day
            key = f"day:{round(day)}" if day is not None else f"label:{p.label}"
            groups[key].append(p)
            order.setdefault(key, day if day is not None else float("inf"))
        out = []
        for key in sorted(groups, key=lambda k: (order[k], k)):
            pts = groups[key]
            label = Counter(p.label for p in pts).most_common(1)[0][0]
            day = pts[0].day
            out.append(
                TimePoint(key, label, day, months_between(self.treatment_day, day), tuple(pts))
            )
        return out

    # -- limits ---------------------------------------------------------------------------
    def upper_limit(self, point: Point) -> Limit | None:
        """The upper reference limit for a measurement, in its unit (see module doc)."""
        m = point.obs
        if not isinstance(m, Measurement) or m.unit is None:
            return None
        rr = m.reference_range
        if rr is not None and rr.high is not None:
            return self._limit(m, rr.high, rr.unit, "lab range")
        others = [
            p
            for p in self.series(m.concept, m.specimen)
            if p.index != point.index
            and isinstance(p.obs, Measurement)
            and p.obs.reference_range is not None
            and p.obs.reference_range.high is not None
        ]
        if others:
            earlier = [p for p in others if self._before(p, point)]
            src = earlier[-1] if earlier else others[0]
            assert isinstance(src.obs, Measurement) and src.obs.reference_range is not None
            rr = src.obs.reference_range
            assert rr.high is not None
            origin = f"lab range given with the {src.label} value; same laboratory assumed"
            return self._limit(m, rr.high, rr.unit or src.obs.unit, origin)
        fb = self.facts.fallback_range(m.concept, m.specimen)
        if fb is not None and fb[0].high is not None:
            return self._limit(m, fb[0].high, fb[0].unit, f"default range, {fb[1]}")
        return None

    def _before(self, a: Point, b: Point) -> bool:
        ka, kb_ = self.timeline.sort_key(a.obs.time), self.timeline.sort_key(b.obs.time)
        return (ka, a.index) < (kb_, b.index)

    def _limit(self, m: Measurement, bound: float, unit: str | None, origin: str) -> Limit | None:
        if unit and m.unit and unit != m.unit:
            try:
                bound = to_unit(self.facts, m.concept, bound, unit, m.unit)
            except UnitError:
                return None
        return Limit(bound, m.unit, origin)

    def convert(self, concept: str, value: float, src: str, dst: str) -> float | None:
        """``value`` in ``dst``, or None when the units do not convert."""
        if src == dst:
            return value
        try:
            return to_unit(self.facts, concept, value, src, dst)
        except UnitError:
            return None


def _label(when: When | None) -> str:
    return when.describe() if when is not None else "undated (work-up)"
