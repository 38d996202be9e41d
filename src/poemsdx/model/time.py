"""Time on a case: partial dates, anchors and offsets, and the diagnostic window.

An observation is placed by an absolute (possibly partial) date, or relative to an anchor
(``admission``, an event id such as ``asct``) with an ISO 8601 offset (``P5M``, ``-P2W``),
or by an explicit phase. Diagnostic criteria use the *diagnostic window*: everything before
the first disease-directed treatment; an observation with no time at all belongs to the
diagnostic work-up.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Literal

from pydantic import field_validator, model_validator

from ._base import Frozen

Phase = Literal["before_treatment", "after_treatment"]

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_DURATION = re.compile(
    r"^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?$"
)
_DAYS_PER_MONTH = 30.4375


@lru_cache(maxsize=4096)
def date_bounds(text: str) -> tuple[float, float]:
    """The first and last day (as ordinals) a partial date ``YYYY[-MM[-DD]]`` can mean."""
    m = _PARTIAL_DATE.match(text)
    if not m:
        raise ValueError(f"'{text}' is not a date; expected YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m[1]), m[2], m[3]
    if month is None:
        return float(date(year, 1, 1).toordinal()), float(date(year, 12, 31).toordinal())
    mo = int(month)
    if day is None:
        first = date(year, mo, 1)
        nxt = date(year + (mo == 12), 1 if mo == 12 else mo + 1, 1)
        return float(first.toordinal()), float(nxt.toordinal() - 1)
    d = date(year, mo, int(day)).toordinal()
    return float(d), float(d)


@lru_cache(maxsize=1024)
def duration_days(text: str) -> float:
    """Days in a signed ISO 8601 duration such as ``P5M``, ``-P2W`` or ``P1Y2M10D``."""
    m = _DURATION.match(text)
    if not m or text in ("P", "-P"):
        raise ValueError(f"'{text}' is not a duration; expected ISO 8601 such as P5M, P2W, -P3D")
    years, months, weeks, days = (float(g) if g else 0.0 for g in m.groups()[1:])
    total = years * 365.25 + months * _DAYS_PER_MONTH + weeks * 7 + days
    return -total if m[1] else total


class When(Frozen):
    """A point in the patient's course; any of the fields may be given.

    ``date`` is absolute; ``anchor`` + ``offset`` is relative (to ``admission``, ``diagnosis``
    or the id of an event); ``phase`` states the side of treatment when nothing else does;
    ``label`` keeps the words of the source ("治療5カ月後").
    """

    date: str | None = None
    anchor: str | None = None
    offset: str | None = None
    phase: Phase | None = None
    label: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, v: object) -> object:
        # YAML reads 2010-01-15 as a date object; keep dates as ISO text.
        return v.isoformat() if isinstance(v, date) else v

    @field_validator("date")
    @classmethod
    def _valid_date(cls, v: str | None) -> str | None:
        if v is not None:
            date_bounds(v)
        return v

    @field_validator("offset")
    @classmethod
    def _valid_offset(cls, v: str | None) -> str | None:
        if v is not None:
            duration_days(v)
        return v

    @model_validator(mode="after")
    def _offset_needs_anchor(self) -> When:
        if self.offset is not None and self.anchor is None:
            raise ValueError("an offset needs an anchor (e.g. anchor: admission)")
        return self

    def describe(self) -> str:
        """Short human text: the source's words if kept, else the date or anchor."""
        if self.label:
            return self.label
        if self.date:
            return self.date
        if self.anchor:
            return f"{self.anchor} {self.offset}" if self.offset else self.anchor
        return self.phase.replace("_", " ") if self.phase else "undated"
