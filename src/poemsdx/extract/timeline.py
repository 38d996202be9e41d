"""Time expressions and treatment events.

Absolute dates: "2009年10月初旬" → 2009-10, "11月下旬" → the year last mentioned,
"2010-01-15", "March 2010", "2021年3月". Relative times name an anchor and an ISO 8601
offset: "治療5カ月後" / "5 months after treatment" / "治疗后3个月" → the first
disease-directed treatment + P5M / P3M; "自己末梢血幹細胞移植…3カ月後" → that event + P3M;
"治療開始直前" → −P1D; "入院時" / "on admission" → admission; "after ASCT" (no amount) →
that event, after treatment; a bare "3カ月後" refers to the anchor last used; a
transplant day ("day +9", "+11天") → the transplant + P9D (day 0 is the infusion).
The source words are kept as ``When.label``.

Treatment mentions become ``Event``s (one per treatment concept, dated by an absolute
date in the same sentence). Words and grammar live in ``lexicons/<lang>/time.yaml``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import ahocorasick

from .alternation import alternation
from .lexicon import Lexicon

TREATMENT = "@treatment"  # the first disease-directed treatment, resolved later
PREVIOUS = "@previous"  # the anchor used last
_MARK = "\u0001"  # stands for a treatment mention in the working copy of a sentence
_NUM = r"\d{1,3}(?:\.\d)?"


@dataclass(frozen=True, slots=True)
class TimeExpr:
    start: int
    end: int
    date: str | None = None
    anchor: str | None = None  # admission | onset | TREATMENT | PREVIOUS | a treatment concept
    offset: str | None = None
    phase: str | None = None


def _alt(words: list[str]) -> str:
    return alternation(words)


def _needs(words: list[str]) -> tuple[str, ...]:
    """The words of which one must occur for an alternation of ``words`` to match: those
    that contain no shorter one ("月" stands for "カ月" and "个月"). Empty when an
    alternative is empty (then nothing is needed)."""
    out: list[str] = []
    for w in sorted(set(words), key=len):
        if not any(o in w for o in out):
            out.append(w)
    return () if not out or "" in out else tuple(out)


@dataclass(frozen=True, slots=True, eq=False)
class _Pattern:
    kind: str
    pattern: re.Pattern[str]
    needs: tuple[int, ...]  # word sets (``TimeRules.words``) one word of each must occur
    gates: tuple[int, ...]  # regexes (``TimeRules.gates``) each of which must match
    mask: int  # the word sets as bits


@dataclass(frozen=True, slots=True, eq=False)
class TimeRules:
    patterns: tuple[_Pattern, ...]
    words: tuple[re.Pattern[str], ...]  # finds a word of each set
    gates: tuple[re.Pattern[str], ...]
    needed: Any  # pyahocorasick automaton: each word of a set -> (length, bits of its sets)
    always: int  # bits of the sets that need nothing
    marked: int  # bits of the sets _MARK (a treatment mention) is a word of
    runs: tuple[tuple[_Pattern, ...], ...]  # the patterns whose sets are all in a mask
    units: dict[str, str]
    numbers: dict[str, int]
    months: dict[str, int]
    after: frozenset[str]
    before: frozenset[str]
    just_before: frozenset[str]
    just_after: frozenset[str]
    admission: frozenset[str]
    onset: frozenset[str]
    ongoing_from: re.Pattern[str]  # matches at the end of the text before a date
    transplant: str | None  # the treatment whose infusion is day 0 of "day +9"


@lru_cache(maxsize=8)
def compile_time(lexicons: tuple[Lexicon, ...]) -> TimeRules:
    words: dict[str, list[str]] = {}
    ongoing: list[str] = []
    day_before: list[str] = []  # "day" of "day +9"
    day_after: list[str] = []  # "天" of "+11天"
    transplant: str | None = None
    units: dict[str, str] = {}
    unit_letter: str
    numbers: dict[str, int] = {}
    months: dict[str, int] = {}
    for lex in lexicons:
        t = lex.time
        for key in ("early", "middle", "late", "after", "before", "just_before", "just_after",
                    "at", "treatment", "admission", "onset"):  # fmt: skip
            words.setdefault(key, []).extend(getattr(t, key))
        for unit_letter, ws in t.units.items():
            units.update({w.lower(): unit_letter for w in ws})
        for n, ws in t.numbers.items():
            numbers.update({w.lower(): n for w in ws})
        for mo, ws in t.months.items():
            months.update({w.lower(): mo for w in ws})
        ongoing += t.ongoing_from
        if t.transplant_days is not None:
            transplant = transplant or t.transplant_days.anchor
            day_before += [w.lower() for w in t.transplant_days.before]
            day_after += [w.lower() for w in t.transplant_days.after]
    a = {k: _alt([x.lower() for x in v]) for k, v in words.items()}
    unit = _alt(list(units))
    num = rf"(?:{_NUM}|{_alt(list(numbers))})" if numbers else _NUM
    # a run of _MARK is taken whole, from its start (nothing after it in a pattern can be a
    # _MARK, so backing off into the run, or starting inside it, never matches): without
    # this, a long treatment mention made matching quadratic in its length. (The look-behind
    # follows the first _MARK: a pattern that begins with literals lets the regex engine
    # skip to where they are.)
    m2 = _MARK * 2
    ev = rf"(?P<ev>{_MARK}(?<!{m2}){_MARK}*+|{a['treatment']}|{a['admission']}|{a['onset']})"
    direction = rf"(?P<dir>{a['after']}|{a['before']})"
    rel = rf"(?P<rel>{a['just_before']}|{a['just_after']}|{a['at']}|{a['after']}|{a['before']})"
    part = rf"(?:\s?(?P<part>{a['early']}|{a['middle']}|{a['late']}))?"
    mon = _alt([m.lower() for m in months])
    filler = r"(?:\s?(?:の|を|に|开始|開始|施行|start of|the|his|her|initiation of|starting)\s?)*"
    y4 = r"(?P<y>(?:19|20)\d{2})"
    # a year after no digit: "(?<!\d)" + y4, the look-behind two characters on (see ``ev``)
    y4_alone = r"(?P<y>(?:19|20)(?<!\d..)\d{2})"
    amt = rf"(?<![\d.])(?P<n>{num})"
    u = rf"(?P<u>{unit})"
    seasons = rf"(?P<part>{a['early']}|{a['middle']}|{a['late']})"
    day_en = r"(?:st|nd|rd|th)?"
    sources = {
        "iso": rf"{y4_alone}[-/.](?P<m>\d{{1,2}})(?:[-/.](?P<d>\d{{1,2}}))?(?!\d|\.\d)",
        # "since 02/2025": a two-digit month and a four-digit year, which no day/month
        # reading fits (not a piece of a longer date such as 12/03/2025; one digit before
        # the slash is more often a dilution, 1/2000, than a month)
        "month_year": r"(?<![\d/.:])(?P<m>1[0-2]|0[1-9])/(?P<y>(?:19|20)\d{2})(?![\d/])",
        "cjk_date": rf"(?:{y4}\s?年\s?)?(?<![\d.カヵかヶケ个個])(?P<m>1[0-2]|0?[1-9])\s?月"
        rf"(?:\s?(?P<d>[1-3]?\d)\s?日)?{part}",
        "cjk_year": rf"{y4}\s?年(?!\s?\d{{1,2}}\s?月)(?!\s?(?:前|后|後))",
        "en_range": rf"(?P<mon>{mon})\.?\s?(?:-|–|to|through|until)\s?(?:{mon})\.?,?\s{y4}",
        "en_date": rf"(?:{seasons}\s)?(?:(?P<d>[1-3]?\d){day_en}\s)?(?P<mon>{mon})\.?,?\s"
        rf"(?:(?P<d2>[1-3]?\d){day_en},?\s)?{y4}",
        "en_year": rf"\b(?:in|since|from|during|until)\s{y4}\b",
        # "day +9", "D+30", "(day 0)", "+11天": a signed number of days from the infusion
        "transplant_day": (
            rf"(?<![a-z/])(?:{_alt(day_before)})\s?(?:(?P<sign>[+\-−])(?P<n>\d{{1,3}})|(?P<zero>0))"
            rf"(?!\d|\.\d)|(?<![\d.+\-−])(?P<sign2>[+\-−])(?P<n2>\d{{1,3}})\s?(?:{_alt(day_after)})"
        ),
        "event_amount": rf"{ev}{filler}\s?{amt}\s?{u}\s?{direction}",
        "event_dir_amount": rf"{ev}{filler}{direction}\s?{amt}\s?{u}",
        "amount_event": rf"{amt}[\s-]?{u}\s{direction}\s{filler}{ev}",
        "event_rel": rf"{ev}{filler}{rel}",
        # "after ASCT"; a word that ends in "-" joins its event: "pre-ASCT"
        "rel_event": rf"{rel}(?:\s|(?<=-)){filler}{ev}",
        "amount": rf"{amt}\s?{u}\s?{direction}",
    }
    never = re.compile(r"(?!)")
    # Each pattern runs only on sentences that contain what it cannot do without (a
    # year, 月, a unit of time, an event word): most sentences need none of them. Words
    # are looked for first; the regexes then confirm a year and an amount.
    low = {k: [x.lower() for x in v] for k, v in words.items()}
    need_words = [
        _needs(["19", "20"]),
        _needs(["月"]),
        _needs(["年"]),
        _needs(list(months)),
        _needs(["in", "since", "from", "during", "until"]),
        _needs([_MARK] + low["treatment"] + low["admission"] + low["onset"]),  # = the event
        _needs(list(units)),
        _needs(low["after"] + low["before"]),
        _needs(low["just_before"] + low["just_after"] + low["at"] + low["after"] + low["before"]),
        # "day" and a sign or 0 ("day +9", "D+30", "day 0"), or "天" after the number
        _needs([w + gap + c for w in day_before for gap in ("", " ") for c in "+-−0"] + day_after),
    ]
    year_, month_, nen_, mon_, in_, event_, unit_, dir_, rel_, day_ = range(len(need_words))
    needs = tuple(re.compile("|".join(map(re.escape, found)) or "") for found in need_words)
    bits: dict[str, int] = {}
    for k, found in enumerate(need_words):
        for word in found:
            bits[word] = bits.get(word, 0) | 1 << k
    needed = ahocorasick.Automaton()
    for word, b in bits.items():
        needed.add_word(word, (len(word), b))
    needed.make_automaton()
    always = sum(1 << k for k, ws in enumerate(need_words) if not ws)
    marked = bits.get(_MARK, 0)
    year = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
    amount = (
        re.compile(rf"(?:\d|\b(?:{_alt(list(numbers))})\b)\s?(?:{unit})")
        if numbers
        else re.compile(rf"\d\s?(?:{unit})")
    )
    requires: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
        "iso": ((year_,), (0,)),
        "month_year": ((year_,), (0,)),
        "cjk_date": ((month_,), ()),
        "cjk_year": ((nen_,), ()),
        "en_range": ((year_, mon_), (0,)),
        "en_date": ((year_, mon_), (0,)),
        "en_year": ((year_, in_), (0,)),
        "transplant_day": ((day_,), (2,)),
        "event_amount": ((unit_, event_, dir_), (1,)),
        "event_dir_amount": ((unit_, event_, dir_), (1,)),
        "amount_event": ((unit_, event_, dir_), (1,)),
        "event_rel": ((event_, rel_), ()),
        "rel_event": ((event_, rel_), ()),
        "amount": ((unit_, dir_), (1,)),
    }
    # the gate of transplant_day: a sign before a digit, or "day 0"
    day0 = rf"(?<![a-z/])(?:{_alt(day_before)})\s?0(?!\d|\.\d)" if day_before else "(?!)"
    signed = re.compile(rf"[+\-−]\d|{day0}")
    patterns = tuple(
        _Pattern(
            kind,
            never
            if ("mon>" in src and not mon) or (kind == "transplant_day" and transplant is None)
            else re.compile(src),
            *requires[kind],
            sum(1 << k for k in requires[kind][0]),
        )
        for kind, src in sources.items()
    )
    runs = tuple(
        tuple(p for p in patterns if p.mask & mask == p.mask) for mask in range(1 << len(needs))
    )
    fs = frozenset
    return TimeRules(
        patterns, needs, (year, amount, signed), needed, always, marked, runs, units, numbers,
        months,
        fs(w.lower() for w in words["after"]), fs(w.lower() for w in words["before"]),
        fs(w.lower() for w in words["just_before"]), fs(w.lower() for w in words["just_after"]),
        fs(w.lower() for w in words["admission"]), fs(w.lower() for w in words["onset"]),
        re.compile(rf"\b(?:{_alt(ongoing)})\s?$", re.I) if ongoing else re.compile(r"(?!)"),
        transplant,
    )  # fmt: skip


def find_times(
    rules: TimeRules,
    text: str,
    start: int,
    end: int,
    treatments: list[tuple[int, int, str]],
    year: int | None,
) -> tuple[list[TimeExpr], int | None]:
    """Time expressions in ``text[start:end]`` (non-overlapping, in order) and the year
    to carry on; ``treatments`` are the sentence's treatment mentions (start, end, concept)."""
    w = text[start:end]
    if treatments:
        work = list(w)
        for s, e, _ in treatments:
            for i in range(max(s, start), min(e, end)):
                work[i - start] = _MARK
        w = "".join(work)
    low = w.lower()
    if len(low) == len(w):
        w = low  # the patterns are written in lower case
    has: list[bool | None] = [None] * len(rules.words)
    passed: list[bool | None] = [None] * len(rules.gates)
    runs = [p for p in rules.patterns if _required(rules, p, w, has, passed)]
    return _read(rules, text, w, start, runs, treatments, year)


class TimeReader:
    """``find_times`` over the sentences of one text, for a text read sentence by sentence:
    the words the patterns need are looked for once in the whole text (a sentence without
    treatment mentions is a slice of the lower-cased text, so what it holds is what the
    whole text holds between its ends)."""

    def __init__(self, rules: TimeRules, text: str, low: str | None = None) -> None:
        """``low``: ``text.lower()`` when that is ``text`` lower-cased character by
        character, as the pipeline already has it."""
        self.rules, self.text = rules, text
        if low is None:
            low = text.lower()
        # lower-casing is character by character except for a final sigma and for İ
        self.low = low if len(low) == len(text) and "Σ" not in text else None
        # (start, end, bits) of each word, in the automaton's order: by end
        self.found: list[tuple[int, int, int]] = []
        self.ends: list[int] = []
        if self.low is not None:
            self.found = [(p - n + 1, p + 1, b) for p, (n, b) in rules.needed.iter(self.low)]
            self.ends = [f[1] for f in self.found]

    def find(
        self, start: int, end: int, treatments: list[tuple[int, int, str]], year: int | None
    ) -> tuple[list[TimeExpr], int | None]:
        """``find_times(rules, text, start, end, treatments, year)``."""
        rules, low = self.rules, self.low
        if low is None:
            return find_times(rules, self.text, start, end, treatments, year)
        # the sentence's treatment mentions become _MARK (and hide the words under them)
        marks = _marks(treatments, start, end) if treatments else []
        mask = rules.always | (rules.marked if marks else 0)
        found = self.found
        n = len(found)
        k = bisect_right(self.ends, start)  # the words that end after start …
        while k < n:
            s, e, b = found[k]
            if e > end:
                break  # … and no later than end, that start no sooner than start
            if s >= start and not (marks and any(s < me and ms < e for ms, me in marks)):
                mask |= b
            k += 1
        candidates = rules.runs[mask]
        if not candidates:
            return [], year
        w = low[start:end]
        if marks:
            work = list(w)
            for s, e in marks:
                work[s - start : e - start] = _MARK * (e - s)
            w = "".join(work)
        passed: list[bool | None] = [None] * len(rules.gates)
        runs = [p for p in candidates if _gates_pass(rules, p, w, passed)]
        return _read(rules, self.text, w, start, runs, treatments, year)


def _marks(treatments: list[tuple[int, int, str]], start: int, end: int) -> list[tuple[int, int]]:
    """The parts of the treatment mentions inside ``[start, end)``."""
    clipped = ((max(s, start), min(e, end)) for s, e, _ in treatments)
    return [(s, e) for s, e in clipped if s < e]


def _read(
    rules: TimeRules,
    text: str,
    w: str,
    start: int,
    runs: Sequence[_Pattern],
    treatments: list[tuple[int, int, str]],
    year: int | None,
) -> tuple[list[TimeExpr], int | None]:
    """The time expressions the patterns ``runs`` find in ``w`` (the sentence at ``start``
    as the patterns read it)."""
    found: list[TimeExpr] = []
    taken: list[tuple[int, int]] = []
    for p in runs:
        for m in p.pattern.finditer(w):
            s, e = m.start() + start, m.end() + start
            if any(s < te and ts < e for ts, te in taken):
                continue
            expr = _build(rules, p.kind, m, s, e, treatments, year)
            if expr is None:
                continue
            if expr.date:
                year = int(expr.date[:4])
            found.append(expr)
            taken.append((s, e))
    found.sort(key=lambda x: x.start)
    return _ranges(text, found), year


def _required(
    rules: TimeRules, p: _Pattern, w: str, has: list[bool | None], passed: list[bool | None]
) -> bool:
    """Whether ``w`` has what pattern ``p`` needs (each answer is worked out once)."""
    return _all_found(p.needs, rules.words, has, w) and _gates_pass(rules, p, w, passed)


def _gates_pass(rules: TimeRules, p: _Pattern, w: str, passed: list[bool | None]) -> bool:
    return _all_found(p.gates, rules.gates, passed, w)


def _all_found(
    indexes: tuple[int, ...], regexes: tuple[re.Pattern[str], ...], memo: list[bool | None], w: str
) -> bool:
    """Whether each of ``regexes[k]`` for k in ``indexes`` finds something in ``w``; the
    answers are kept in ``memo`` (shared by the patterns of one sentence)."""
    for k in indexes:
        seen = memo[k]
        if seen is None:
            seen = memo[k] = regexes[k].search(w) is not None
        if not seen:
            return False
    return True


_RE_RANGE_JOIN = re.compile(r"^\s?(?:[〜~\-–—至到]|to|through|until|から)\s?$")


def _ranges(text: str, found: list[TimeExpr]) -> list[TimeExpr]:
    """ "2022/04〜2022/09", "2022年1月—2022年6月": a period, dated by its start."""
    out: list[TimeExpr] = []
    for t in found:
        if out and out[-1].date and t.date and _RE_RANGE_JOIN.match(text[out[-1].end : t.start]):
            first = out[-1]
            out[-1] = TimeExpr(first.start, t.end, date=first.date)
            continue
        out.append(t)
    return out


def _build(
    rules: TimeRules,
    kind: str,
    m: re.Match[str],
    s: int,
    e: int,
    treatments: list[tuple[int, int, str]],
    year: int | None,
) -> TimeExpr | None:
    g = m.groupdict()
    if kind in ("iso", "month_year", "cjk_date", "en_date", "en_range", "cjk_year", "en_year"):
        y = int(g["y"]) if g.get("y") else year
        if y is None:
            return None
        month = _month(rules, g)
        day = g.get("d") or g.get("d2")
        if month is None:
            return TimeExpr(s, e, date=f"{y:04d}")
        if not 1 <= month <= 12:
            return None
        if day and _valid_day(y, month, int(day)):
            return TimeExpr(s, e, date=f"{y:04d}-{month:02d}-{int(day):02d}")
        return TimeExpr(s, e, date=f"{y:04d}-{month:02d}")
    if kind == "transplant_day":
        sign, n = (g["sign"], g["n"]) if g.get("n") else (g.get("sign2"), g.get("n2") or "0")
        days = int(n)
        return TimeExpr(
            s,
            e,
            anchor=rules.transplant,
            offset=f"{'-' if sign in ('-', '−') and days else ''}P{days}D",
        )
    anchor = _anchor(rules, g.get("ev"), m, s, treatments)
    if g.get("n") is not None:
        offset = _offset(rules, g["n"], g["u"], g["dir"])
        if offset is None:
            return None
        return TimeExpr(s, e, anchor=anchor, offset=offset)
    relation = (g.get("rel") or "").lower()
    if anchor is None:
        return None
    if relation in rules.just_before:
        return TimeExpr(s, e, anchor=anchor, offset="-P1D")
    if relation in rules.just_after:
        return TimeExpr(s, e, anchor=anchor, offset="P1D")
    if anchor in ("admission", "onset"):
        return TimeExpr(s, e, anchor=anchor)
    if relation in rules.before:
        return TimeExpr(s, e, anchor=anchor, phase="before_treatment")
    if relation in rules.after:
        return TimeExpr(s, e, anchor=anchor, phase="after_treatment")
    return TimeExpr(s, e, anchor=anchor)


def _valid_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _month(rules: TimeRules, g: dict[str, str | None]) -> int | None:
    if g.get("m"):
        return int(g["m"] or 0)
    if g.get("mon"):
        return rules.months.get((g["mon"] or "").lower().rstrip("."))
    return None


def _anchor(
    rules: TimeRules,
    ev: str | None,
    m: re.Match[str],
    s: int,
    treatments: list[tuple[int, int, str]],
) -> str | None:
    if ev is None:
        return PREVIOUS
    if ev.startswith(_MARK):
        pos = s + (m.start("ev") - m.start())
        for ts, te, concept in treatments:
            if ts <= pos < te:
                return concept
        return TREATMENT
    low = ev.lower()
    if low in rules.admission:
        return "admission"
    if low in rules.onset:
        return "onset"
    return TREATMENT


def _offset(rules: TimeRules, n: str, unit: str, direction: str) -> str | None:
    amount = rules.numbers.get(n.lower())
    if amount is None:
        try:
            value = float(n)
        except ValueError:
            return None
        if not 0 < value <= 600:
            return None
        amount_text = f"{value:g}"
    else:
        amount_text = str(amount)
    letter = rules.units.get(unit.lower())
    if letter is None:
        return None
    sign = "-" if direction.lower() in rules.before else ""
    return f"{sign}P{amount_text}{letter}"
