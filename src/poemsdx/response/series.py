"""Followed values as plottable series: one per test and specimen, with the lab's band.

``timeline(case, kb)`` returns, for each followed lab (by default every test measured at
two or more times, or on both sides of the first treatment), its points in order — time
label, approximate date and day ordinal, value or qualitative result, unit, and whether the
point is before or after the first disease-directed treatment — plus the reference band
to shade. Values are converted to one unit per series; a value that does not convert is
kept without a number and the series says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..knowledge.registry import Knowledge
from ..model import Case, Measurement
from .course import Course, Point, iso_day
from .definitions import ResponseDefinitions, load_definitions
from .report import JsonRecord, Label

__all__ = ["Band", "Series", "SeriesPoint", "TreatmentMark", "timeline", "treatment_marks"]


@dataclass(frozen=True, slots=True)
class SeriesPoint(JsonRecord):
    time: str
    date: str | None  # ISO, the middle of the days the time can mean
    ordinal: float | None  # day ordinal of that middle, for plotting
    approximate: bool  # the time is a range (a month, an offset from a month)
    value: float | None
    result: str | None
    unit: str | None
    phase: str  # before_treatment | after_treatment
    observation: int


@dataclass(frozen=True, slots=True)
class Band(JsonRecord):
    """The reference band to shade; either limit may be missing."""

    low: float | None
    high: float | None
    unit: str | None
    origin: str  # "lab range" or "default range, <source> [<TAG>]"


@dataclass(frozen=True, slots=True)
class Series(JsonRecord):
    concept: str
    specimen: str | None
    names: Label
    unit: str | None
    points: tuple[SeriesPoint, ...]
    band: Band | None
    qualitative: bool
    notes: tuple[str, ...] = ()

    def name(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.names.get("en") or self.concept


@dataclass(frozen=True, slots=True)
class TreatmentMark(JsonRecord):
    event: str
    concept: str
    names: Label
    short_names: Label
    date: str | None
    ordinal: float | None
    first: bool


def timeline(
    case: Case,
    kb: Knowledge,
    concepts: Iterable[str] | None = None,
    definitions: ResponseDefinitions | None = None,
) -> list[Series]:
    """Plottable series of followed measurements (all of ``concepts`` when given)."""
    defs = definitions or load_definitions(kb)
    extra = {cid: defs.names(kb, cid) for cid in defs.spec.concepts}
    course = Course(case, kb, extra)
    groups: dict[tuple[str, str | None], list[Point]] = defaultdict(list)
    for p in course.points:
        if isinstance(p.obs, Measurement):
            groups[(p.obs.concept, p.specimen)].append(p)
    wanted = list(dict.fromkeys(concepts)) if concepts is not None else None
    keys = [k for k in groups if (k[0] in wanted if wanted is not None else _followed(groups[k]))]
    priority = {c: i for i, c in enumerate(wanted or defs.spec.plot.priority)}
    keys.sort(key=lambda k: (priority.get(k[0], len(priority)), k[0], k[1] or ""))
    return [
        _series(course, defs, concept, specimen, groups[(concept, specimen)])
        for concept, specimen in keys
    ]


def treatment_marks(case: Case, kb: Knowledge) -> list[TreatmentMark]:
    """Disease-directed treatments with their dates, for vertical markers on a plot."""
    course = Course(case, kb)
    out = []
    for ev in course.timeline.treatments:
        b = course.timeline.event_bounds(ev)
        day = (b[0] + b[1]) / 2 if b else None
        out.append(
            TreatmentMark(
                event=ev.id,
                concept=ev.concept,
                names=kb.names(ev.concept),
                short_names=_short_names(kb, ev.concept),
                date=iso_day(day),
                ordinal=day,
                first=ev is course.treatment,
            )
        )
    return out


def _short_names(kb: Knowledge, concept: str) -> Label:
    c = kb.concepts.get(concept)
    if c is None:
        return {"en": concept}
    return {lang: min(ns, key=len) for lang, ns in c.names.items() if ns}


def _followed(points: list[Point]) -> bool:
    days = {round(p.day) if p.day is not None else p.label for p in points}
    phases = {p.phase for p in points}
    return len(days) >= 2 or len(phases) == 2


def _series(
    course: Course,
    defs: ResponseDefinitions,
    concept: str,
    specimen: str | None,
    points: list[Point],
) -> Series:
    kb = course.kb
    numeric = [p.obs for p in points if isinstance(p.obs, Measurement) and p.obs.value is not None]
    unit = defs.unit(kb, concept)
    if unit is None or any(
        m.unit and course.convert(concept, 1.0, m.unit, unit) is None for m in numeric
    ):
        unit = next((m.unit for m in numeric if m.unit), None)
    notes: list[str] = []
    out: list[SeriesPoint] = []
    for p in points:
        m = p.obs
        assert isinstance(m, Measurement)
        value = m.value
        if value is not None and m.unit and unit and m.unit != unit:
            value = course.convert(concept, value, m.unit, unit)
            if value is None:
                notes.append(f"{m.value:g} {m.unit} ({p.label}) does not convert to {unit}")
        out.append(
            SeriesPoint(
                time=p.label,
                date=iso_day(p.day),
                ordinal=p.day,
                approximate=p.approximate,
                value=value,
                result=m.result,
                unit=unit if value is not None else m.unit,
                phase=p.phase,
                observation=p.index,
            )
        )
    undated = [p.label for p in points if p.day is None]
    if undated:
        notes.append(f"no date for {', '.join(undated)}: not placed on the time axis")
    if not numeric:
        unit = None
    band = _band(course, concept, specimen, points, unit, notes) if numeric else None
    return Series(
        concept=concept,
        specimen=specimen,
        names=defs.names(kb, concept),
        unit=unit,
        points=tuple(out),
        band=band,
        qualitative=not numeric,
        notes=tuple(notes),
    )


def _band(
    course: Course,
    concept: str,
    specimen: str | None,
    points: list[Point],
    unit: str | None,
    notes: list[str],
) -> Band | None:
    ranges = []
    for p in points:
        m = p.obs
        assert isinstance(m, Measurement)
        rr = m.reference_range
        if rr is not None and (rr.low is not None or rr.high is not None):
            ranges.append((rr.low, rr.high, rr.unit or m.unit))
    origin = "lab range"
    if not ranges:
        fb = course.facts.fallback_range(concept, specimen)
        if fb is None:
            return None
        ranges.append((fb[0].low, fb[0].high, fb[0].unit))
        origin = f"default range, {fb[1]}"
    elif len(set(ranges)) > 1:
        notes.append("the lab's range differs between values; the band shows the latest")
    low, high, runit = ranges[-1]
    if unit and runit and runit != unit:
        low = None if low is None else course.convert(concept, low, runit, unit)
        high = None if high is None else course.convert(concept, high, runit, unit)
        if low is None and high is None:
            return None
        runit = unit
    return Band(low=low, high=high, unit=runit or unit, origin=origin)
