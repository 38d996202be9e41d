"""From assessed mentions to a ``Case``: observations, events, times, merging.

Decisions made here, after the whole text is read:

* times: relative anchors are resolved to events ("治療" = the first disease-directed
  treatment); with no such event a relative time keeps only its side of treatment;
* a VEGF without specimen takes the specimen of the document's other VEGF values when
  they all share one (the report calls it "VEGF値" after stating "血清 VEGF"), with an
  *inferred* evidence entry saying so; otherwise it stays without specimen;
* a qualitative "high/low/normal" of an analyte that also has a number in the document
  restates the number and is dropped ("高VEGF血症" next to "VEGF 777pg/ml");
* repeated statements (abstract, body, discussion) merge into one observation with all
  their evidence; a statement without time merges into the first timed one;
* sensory symptoms + weakness + reduced reflexes in the patient's sections, with no
  stated sensorimotor polyneuropathy, give one *inferred* finding of it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from pydantic import ValidationError

from ..knowledge.registry import Knowledge
from ..model import (
    Case,
    Document,
    Evidence,
    Patient,
    ReferenceRange,
    When,
)
from ..model.observations import NerveConduction
from .context import Cue, Modifiers
from .labs import Typing, Value
from .normalise import Normalised
from .patient import find_patient
from .resources import Entry, Resources
from .sentences import Sentence
from .timeline import PREVIOUS, TimeExpr

_X = "poemsdx.extract."
_RE_OPEN_BRACKET = re.compile(r"\s*[(（]\s*")  # a treatment, then "(" and its date
_RE_SIMPLE = re.compile(r"^(-?)P(\d+(?:\.\d+)?)([YMWD])$")
_QUALITATIVE_RESTATED = frozenset({"high", "low", "normal", "abnormal"})
TYPED_RESULTS = frozenset(
    {"m_protein", "bence_jones_protein"}
)  # results that carry a clone's chains


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    entry: Entry
    lead: int = -1  # where the phrase begins when something precedes the term ("IgG-λ型M蛋白")

    @property
    def phrase_start(self) -> int:
        return self.lead if 0 <= self.lead < self.start else self.start


@dataclass(slots=True)
class _Obs:
    pos: int
    concept: str
    kind: str  # finding | measurement
    time: TimeExpr | None
    evidence: list[Evidence]
    status: str | None = None
    result: str | None = None
    value: float | None = None
    unit: str | None = None
    reference: object = None
    specimen: str | None = None
    heavy: str | None = None
    light: str | None = None
    method: str | None = None
    note: str | None = None


@dataclass(slots=True)
class _Event:
    pos: int
    concept: str
    date: TimeExpr | None
    evidence: list[Evidence] = field(default_factory=list)


class Builder:
    """Collects what the pipeline reads, then builds the ``Case``."""

    def __init__(self, kb: Knowledge, res: Resources, norm: Normalised, doc_id: str) -> None:
        self.kb, self.res, self.norm, self.doc_id = kb, res, norm, doc_id
        self.obs: list[_Obs] = []
        self.rows: list[NerveConduction] = []
        self.events: dict[str, list[_Event]] = {}  # courses of each treatment
        self.anchors: dict[str, When] = {}
        self.patient = Patient()
        self.typed: dict[tuple[int, int], tuple[Typing, str | None]] = {}
        self.signs: dict[str, list[Evidence]] = {}
        self.treatment_mentions: list[tuple[int, int, str, int]] = []
        self.sheet_specimen: str | None = None  # "Specimen: serum" at the top of a lab sheet

    # -- evidence and time ------------------------------------------------------------
    def evidence(self, start: int, end: int, module: str, **kw: object) -> Evidence:
        s, e = self.norm.source_span(start, end)
        return Evidence(
            document_id=self.doc_id, start=s, end=e, quote=self.norm.original[s:e],
            extractor=_X + module, **kw,
        )  # fmt: skip

    def label(self, t: TimeExpr) -> str | None:
        return self.norm.quote(t.start, t.end) if t.start >= 0 else None

    def resolve_previous(self, t: TimeExpr, prev: TimeExpr | None) -> TimeExpr:
        """A bare "3カ月後" counts from the anchor used last."""
        if t.anchor != PREVIOUS:
            return t
        if prev is None or (prev.anchor is None and prev.date is None):
            return TimeExpr(t.start, t.end)
        if prev.date is not None:
            name = f"date-{prev.date}"
            self.anchors.setdefault(name, When(date=prev.date, label=self.label(prev)))
            return TimeExpr(t.start, t.end, anchor=name, offset=t.offset)
        return TimeExpr(t.start, t.end, anchor=prev.anchor, offset=_add(prev.offset, t.offset))

    def admission(self, t: TimeExpr) -> None:
        if "admission" not in self.anchors and t.date:
            self.anchors["admission"] = When(date=t.date, label=self.label(t))

    # -- collecting ---------------------------------------------------------------------
    def add_rows(self, rows: list[NerveConduction]) -> None:
        self.rows.extend(rows)

    def attach_typing(
        self, mentions: list[Mention], typings: list[Typing], text: str, start: int, end: int
    ) -> list[Mention]:
        """Give each M-protein typing ("IgG-λ型") to the M-protein mention next to it, or
        make one when a word such as "monoclonal" says the typing is of an M-protein."""
        out = list(mentions)
        for ty in typings:
            near = [
                m for m in out if m.entry.concept in TYPED_RESULTS and -2 <= m.start - ty.end <= 25
            ]
            near += [
                m for m in out if m.entry.concept in TYPED_RESULTS and 0 <= ty.start - m.end <= 20
            ]
            near.sort(key=lambda m: m.start - ty.end if m.start >= ty.end else ty.start - m.end)
            out = [
                m
                for m in out
                if not (m.start < ty.end and ty.start < m.end) or m.entry.concept in TYPED_RESULTS
            ]
            if near:
                self.typed[(near[0].start, near[0].end)] = (ty, None)
                near[0].lead = min(ty.start, near[0].phrase_start)
                continue
            window = text[max(start, ty.start - 25) : min(end, ty.end + 25)]
            bracketed = (
                text[ty.start - 1 : ty.start] in "(（" and text[ty.end : ty.end + 1] in ")）"
            )
            if bracketed or self.res.labs.monoclonal.search(window):
                entry = Entry(
                    "m_protein", text[ty.start : ty.end], "", "en", False, result="positive"
                )
                synthetic = Mention(ty.start, ty.end, entry)
                self.typed[(ty.start, ty.end)] = (ty, None)
                out.append(synthetic)
        out.sort(key=lambda m: m.start)
        return out

    def mention(
        self,
        m: Mention,
        mods: Modifiers,
        role: str | None,
        when: TimeExpr | None,
        specimen: str | None,
        sent: Sentence,
        times: list[TimeExpr],
        neighbours: Sequence[Mention] = (),
    ) -> None:
        """``neighbours`` are the sentence's mentions (a treatment's date is sought past
        the other treatments of its list, not past a finding)."""
        kind = self.res.kinds.get(m.entry.concept)
        cats = categories(mods, role)
        if kind == "treatment":
            self._treatment(m, cats, sent, times, when, neighbours)
            return
        if kind in FINDING_KINDS:
            status = finding_status(cats)
            if status is None:
                return
            cue = _near(m, _governing(mods, ("negation", "resolved", "uncertainty", "historical")))
            start = min(m.start, cue.start) if cue else m.start
            end = max(m.end, cue.end) if cue else m.end
            note = None
            ev = [self.evidence(start, end, "context")]
            self.obs.append(
                _Obs(m.start, m.entry.concept, "finding", when, ev, status=status, note=note)
            )  # fmt: skip
        elif kind == "measurement":
            result = self._result(m, mods, cats)
            if result is None:
                return
            typing = self.typed.get((m.start, m.end))
            cue = _near(m, mods.result or _governing(mods, ("negation", "resolved")))
            start = min(m.phrase_start, cue.start) if cue else m.phrase_start
            end = max(m.end, cue.end) if cue else m.end
            if typing:
                start, end = min(start, typing[0].start), max(end, typing[0].end)
            sentence = self.norm.text[sent.start : sent.end]
            method = "immunofixation" if self.res.labs.immunofixation.search(sentence) else None
            ty = typing[0] if typing else None
            obs = _Obs(
                m.start, m.entry.concept, "measurement", when, [self.evidence(start, end, "labs")]
            )
            obs.result, obs.method = result, method
            obs.specimen = self._specimen(m.entry.concept, specimen)
            obs.heavy, obs.light = (ty.heavy, ty.light) if ty else (None, None)
            self.obs.append(obs)

    def _result(self, m: Mention, mods: Modifiers, cats: set[str]) -> str | None:
        if cats & {"family", "hypothetical", "historical", "improved", "uncertainty"}:
            return None
        presence = m.entry.concept in self.res.presence
        if "negation" in cats or "resolved" in cats:
            return "negative" if presence or m.entry.result == "positive" else "normal"
        result = m.entry.result or (mods.result.defn.value if mods.result else None)
        if (
            result is None
            and presence
            and ("affirmation" in cats or (m.start, m.end) in self.typed)
        ):
            result = "positive"  # a typed clone ("an IgG-λ monoclonal protein") is a detected one
        if presence and result in ("high", "abnormal"):
            if mods.result is not None and self._polyclonal(m, mods.result):
                return None  # "免疫固定电泳：多克隆增高": a polyclonal rise, no M-protein
            return "positive"  # "elevated M-protein", "IgG-λ M蛋白血症 … elevated"
        if presence and result in ("low", "normal"):
            return "negative"
        return result

    def _polyclonal(self, m: Mention, cue: Cue) -> bool:
        """Whether "polyclonal" stands between a mention and its result word."""
        start, end = (m.end, cue.start) if cue.start >= m.end else (cue.end, m.start)
        return self.res.labs.polyclonal.search(self.norm.text, start, end) is not None

    def _treatment(
        self,
        m: Mention,
        cats: set[str],
        sent: Sentence,
        times: list[TimeExpr],
        when: TimeExpr | None,
        neighbours: Sequence[Mention],
    ) -> None:
        """A treatment given: a new course when it is dated to another month than the
        courses already seen ("lenalidomide + dexamethasone (Mar-Aug 2023)" and
        "lenalidomide maintenance since January 2024"), else the same course."""
        if cats & {"negation", "family", "hypothetical", "uncertainty"}:
            return
        concept = m.entry.concept
        self.treatment_mentions.append((m.start, m.end, concept, sent.start))
        date = self._course_date(m, sent.language, times, neighbours)
        courses = self.events.setdefault(concept, [])
        if date is None and not courses and when is not None and when.date and when.start >= 0:
            date = when  # the narrative's current date, for a first mention only
        evidence = self.evidence(m.start, m.end, "timeline")
        month = date.date[:7] if date and date.date else None
        for ev in courses:
            ev_month = ev.date.date[:7] if ev.date and ev.date.date else None
            if month is None or ev_month is None or ev_month == month:
                if ev.date is None and date is not None:
                    ev.date = date
                if len(ev.evidence) < 5:
                    ev.evidence.append(evidence)
                return
        courses.append(_Event(m.start, concept, date, [evidence]))

    def _course_date(
        self, m: Mention, language: str, times: list[TimeExpr], neighbours: Sequence[Mention]
    ) -> TimeExpr | None:
        """The date a treatment mention is given: one in brackets right after it
        ("ステロイドパルス療法（2023年8月）", "dexamethasone (June 2023)"). In English the
        first after it within 30 characters ("HDM-ASCT in October 2023"), or within 60
        with only other treatments, doses and schedule between ("thalidomide 100 mg/day
        with dexamethasone from July 2020"), else the last before it. In CJK the last
        before it ("2010年1月に…移植"), else one within 30 characters after it. None when
        the mention is the reference point of a relative time ("pre-ASCT")."""
        if any(t.anchor and t.start <= m.start < t.end for t in times):
            return None  # named as a reference point ("pre-ASCT", "3 months after ASCT")
        text = self.norm.text
        dated = (self._dated(t) for t in times if not (t.start <= m.start < t.end))
        dates = [t for t in dated if t is not None]
        after = [t for t in dates if t.start >= m.end]
        if after and _RE_OPEN_BRACKET.fullmatch(text, m.end, after[0].start):
            return after[0]
        before = [t for t in dates if t.end <= m.start]
        if language != "en":
            if before:
                return before[-1]
            return after[0] if after and after[0].start - m.end <= 30 else None
        if after and after[0].start - m.end <= 30:  # "HDM-ASCT for POEMS in October 2023"
            return after[0]
        if after and after[0].start - m.end <= 60:
            t = after[0]
            kinds = self.res.kinds
            blocked = ";" in text[m.end : t.start] or any(
                m.end <= o.start < t.start and kinds.get(o.entry.concept) != "treatment"
                for o in neighbours
            )
            if not blocked:
                return t
        return before[-1] if before else None

    def _dated(self, t: TimeExpr) -> TimeExpr | None:
        """``t`` with a date: its own, or worked out from a dated course of the treatment
        it counts from ("day +9" of a transplant on 18 Oct 2023 is 27 Oct 2023)."""
        if t.date or t.anchor is None or t.offset is None:
            return t if t.date else None
        base = next((ev.date.date for ev in self.events.get(t.anchor, ()) if ev.date), None)
        moved = _shift(base, t.offset) if base else None
        return TimeExpr(t.start, t.end, date=moved) if moved else None

    def value(
        self,
        m: Mention,
        v: Value,
        role: str | None,
        when: TimeExpr | None,
        specimen: str | None,
        mods: Modifiers | None,
        reference: ReferenceRange | None = None,
    ) -> None:
        cats = set(mods.categories) if mods else set()
        if role == "family_history" or cats & {"family", "hypothetical"}:
            return
        if v.censored is not None:
            return  # "> 2,000" or "< 0.5" is a bound, not a value the model can hold
        unit = v.unit or ("1" if self.res.units.get(m.entry.concept) == "1" else None)
        if unit is None:
            return  # a number without a unit is not guessed into one
        note = None
        self.obs.append(
            _Obs(v.start, m.entry.concept, "measurement", when,
                 [self.evidence(min(m.start, v.start), max(m.end, v.end), "labs")],
                 value=v.number, unit=unit, reference=v.range or reference,
                 specimen=self._specimen(m.entry.concept, specimen), note=note)
        )  # fmt: skip

    def sign(self, s: Mention, mods: Modifiers, role: str | None) -> None:
        if (
            role in ("past_history", "family_history")
            or finding_status(set(mods.categories)) != "present"
        ):
            return
        self.signs.setdefault(s.entry.concept, []).append(
            self.evidence(s.start, s.end, "pipeline", assertion="inferred")
        )

    def _specimen(self, concept: str, specimen: str | None) -> str | None:
        allowed = self.res.specimens.get(concept, ())
        if specimen is not None and allowed and specimen not in allowed:
            specimen = None
        if specimen is None and len(allowed) == 1:
            return allowed[0]
        if specimen is None and self.sheet_specimen in allowed:
            return self.sheet_specimen  # the sheet states its specimen once for all tests
        return specimen

    def label_results(
        self, cues: list[Cue], mentions: list[Mention], times: list[TimeExpr]
    ) -> None:
        """Results listed after a label, each with its own date: "免疫固定电泳：2021-12
        IgG-λ型阳性；2022-11 阴性". A result word that no mention's scope reached
        belongs to a measurement written just before a colon in the same sentence."""
        text = self.norm.text
        labels = [
            m
            for m in mentions
            if self.res.kinds.get(m.entry.concept) == "measurement"
            and text[m.end : m.end + 3].lstrip(" )）(（")[:1] in ":："
        ]
        if not labels:
            return
        label = labels[0]
        for cue in cues:
            if cue.defn.category != "result" or cue.start < label.end:
                continue
            if any(
                o.concept == label.entry.concept and o.evidence and self._covers(o, cue)
                for o in self.obs
            ):
                continue
            before = [t for t in times if t.end <= cue.start]
            when = before[-1] if before else None
            result = cue.defn.value
            if label.entry.concept in self.res.presence and result in ("high", "abnormal"):
                if self._polyclonal(label, cue):
                    continue  # "免疫固定电泳：多克隆增高": a polyclonal rise, no M-protein
                result = "positive"
            self.obs.append(
                _Obs(cue.start, label.entry.concept, "measurement", when,
                     [self.evidence(cue.start, cue.end, "labs")], result=result,
                     specimen=self._specimen(label.entry.concept, label.entry.specimen))
            )  # fmt: skip

    def _covers(self, o: _Obs, cue: Cue) -> bool:
        s, e = self.norm.source_span(cue.start, cue.end)
        return any(
            ev.start is not None and ev.end is not None and ev.start <= s and e <= ev.end
            for ev in o.evidence
        )

    def demographics(self, text: str, ranges: list[tuple[int, int]]) -> None:
        self.patient = find_patient(text, ranges)

    # -- building -------------------------------------------------------------------------
    def build(self, doc: Document) -> Case:
        from .merge import finalise

        return finalise(self, doc)


FINDING_KINDS = frozenset({"finding", "disease", "group"})


def categories(mods: Modifiers, role: str | None) -> set[str]:
    """The context categories of a mention: its cues', and history or family from a
    section that is all history ("PMH:", 既往歴) or all family (家族歴)."""
    cats = set(mods.categories)
    if role == "past_history":
        cats.add("historical")
    elif role == "family_history":
        cats.add("family")
    return cats


def finding_status(cats: set[str]) -> str | None:
    """A finding's status from its cues (family, hypothetical and un-negated history are
    not the patient's present findings; "improved" still means present)."""
    if cats & {"family", "hypothetical"}:
        return None
    if "negation" in cats:
        return "uncertain" if "uncertainty" in cats else "absent"
    if "historical" in cats:
        return None
    if "resolved" in cats:
        return "absent"
    if "uncertainty" in cats:
        return "uncertain"
    return "present"


def _governing(mods: Modifiers, order: tuple[str, ...]) -> Cue | None:
    for cat in order:
        if cat in mods.categories:
            return mods.categories[cat]
    return None


def _near(m: Mention, cue: Cue | None, gap: int = 16) -> Cue | None:
    """The cue, if close enough to quote together with the mention."""
    if cue is None:
        return None
    distance = cue.start - m.end if cue.start >= m.end else m.phrase_start - cue.end
    return cue if distance <= gap else None


def _shift(day: str, offset: str) -> str | None:
    """An ISO date moved by a whole-number ISO duration, kept to the date's precision
    ("2023-10-18" + "P9D" = "2023-10-27"; "2023-10" + "P3M" = "2024-01"); None when the
    date is too coarse for the unit (a month and a number of days) or the offset not simple."""
    m = _RE_SIMPLE.match(offset)
    if m is None or "." in m.group(2):
        return None
    n = int(m.group(2)) * (-1 if m.group(1) else 1)
    unit = m.group(3)
    parts = [int(x) for x in day.split("-")]
    if unit in "DW":
        if len(parts) < 3:
            return None
        moved = date(*parts) + timedelta(days=n * (7 if unit == "W" else 1))
        return moved.isoformat()
    if len(parts) < 2:
        return f"{parts[0] + n:04d}" if unit == "Y" else None
    months = parts[0] * 12 + parts[1] - 1 + n * (12 if unit == "Y" else 1)
    y, mo = divmod(months, 12)
    if len(parts) == 2:
        return f"{y:04d}-{mo + 1:02d}"
    last = calendar.monthrange(y, mo + 1)[1]
    return date(y, mo + 1, min(parts[2], last)).isoformat()


def _add(a: str | None, b: str | None) -> str | None:
    """Sum of two simple ISO durations in the same unit ("P5M" + "P3M" = "P8M")."""
    if a is None or b is None:
        return b or a
    ma, mb = _RE_SIMPLE.match(a), _RE_SIMPLE.match(b)
    if ma is None or mb is None or ma.group(3) != mb.group(3):
        return b
    total = (-1 if ma.group(1) else 1) * float(ma.group(2)) + (-1 if mb.group(1) else 1) * float(
        mb.group(2)
    )
    return f"{'-' if total < 0 else ''}P{abs(total):g}{ma.group(3)}"


__all__ = ["Builder", "Mention", "ValidationError"]
