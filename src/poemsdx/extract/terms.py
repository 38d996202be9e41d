"""Longest-first dictionary matching with an Aho–Corasick automaton, built once per lexicon set.

Thousands of surface forms in three languages are matched in one left-to-right pass,
and the longest candidate that passes the caller's check wins (leftmost-longest,
non-overlapping). A loop of one regular expression per term would cost a pass per term.

Matching is on a *folded* copy of the text, of the same length so positions agree:
lower case; hyphens, dashes and line breaks count as spaces ("IgG4-related" =
"IgG4 related"); a space in a form matches any run of spaces; CJK and Latin commas,
middle dots and wave dashes fold to one character each. Latin forms must start and end
at word boundaries (an English plural "s"/"es" is allowed); forms that are abbreviations
("Ca", "PLT", "AIP", "IgG") match only with their exact case.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import ahocorasick

P = TypeVar("P")

_FOLD_PAIRS = tuple(
    {
        "\n": " ",
        "\t": " ",
        "\r": " ",
        "-": " ",
        "‐": " ",
        "‑": " ",
        "‒": " ",
        "–": " ",
        "—": " ",
        "―": " ",
        "−": " ",
        "_": " ",
        "，": "、",
        ",": "、",
        "､": "、",
        "･": "・",
        "〜": "~",
        "～": "~",
        "’": "'",
    }.items()
)  # no replacement is itself replaced, so one pass per character equals a translate
_RE_SPACES = re.compile(r" {2,}")


def fold(text: str) -> str:
    """The matching key of ``text``: same length, case- and punctuation-folded."""
    low = text.lower()
    if len(low) != len(text):  # a few characters lower-case to two (İ)
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    for a, b in _FOLD_PAIRS:  # str.replace is many times faster than a translate table
        if a in low:
            low = low.replace(a, b)
    return low


def fold_form(form: str) -> str:
    """The key of a lexicon form (runs of spaces become one)."""
    return _RE_SPACES.sub(" ", fold(form).strip())


def is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def needs_exact_case(form: str) -> bool:
    """Abbreviations keep their case: two capitals ("IgG", "PLT") or a short form with a
    capital ("Ca", "Hb", "E2")."""
    upper = sum(1 for c in form if c.isascii() and c.isupper())
    return upper >= 2 or (upper >= 1 and len(form) <= 4)


@dataclass(frozen=True, slots=True)
class Match(Generic[P]):
    start: int
    end: int
    payload: P


_END = ""


class Automaton(Generic[P]):
    """Aho–Corasick over folded forms; each form carries payloads (several forms may share
    one key, e.g. the same word in two languages).

    The C automaton (pyahocorasick) finds every occurrence in one pass; choosing the
    leftmost-longest candidate that the caller accepts is done here, over those few
    occurrences only. Runs of spaces in the text are collapsed (with an offset map) so that
    a space in a form matches any run of spaces.
    """

    def __init__(self, items: Iterable[tuple[str, P]]) -> None:
        grouped: dict[str, list[P]] = {}
        for form, payload in items:
            key = fold_form(form)
            if key:
                grouped.setdefault(key, []).append(payload)
        self.size = sum(len(v) for v in grouped.values())
        self._ac: Any = None
        self._last: tuple[str, _Occurrences[P]] | None = None  # the last text scanned
        if grouped:
            ac = ahocorasick.Automaton()
            for key, payloads in grouped.items():
                ac.add_word(key, (len(key), payloads))
            ac.make_automaton()
            self._ac = ac

    def scan(
        self,
        folded: str,
        accept: Callable[[int, int, list[P]], tuple[P, int] | None],
        start: int = 0,
        end: int | None = None,
    ) -> list[Match[P]]:
        """Leftmost-longest matches in ``folded[start:end]``; ``accept(start, end,
        payloads)`` returns the payload to keep and the match's end (a plural may extend
        it), or None to reject the candidate.

        The automaton runs once over the whole of ``folded`` (the last text scanned is
        remembered), and each call picks the occurrences that lie inside its range: a
        sentence-by-sentence caller costs one pass over the document, not one per sentence.
        """
        out: list[Match[P]] = []
        if self._ac is None:
            return out
        stop = len(folded) if end is None else end
        starts, candidates = self._occurrences(folded)
        pos = start
        k = bisect_left(starts, start)
        n = len(starts)
        while k < n:
            i = starts[k]
            if i >= stop:
                break
            found = candidates[k]
            k += 1
            if i < pos:
                continue
            for cand_end, payloads in found:  # longest first
                if cand_end > stop:
                    continue
                picked = accept(i, cand_end, payloads)
                if picked is not None:
                    out.append(Match(i, picked[1], picked[0]))
                    pos = picked[1]
                    break
        return out

    def _occurrences(self, folded: str) -> _Occurrences[P]:
        """Every occurrence of every key in ``folded``, grouped by start, longest first."""
        cached = self._last
        if cached is not None and cached[0] is folded:
            return cached[1]
        squeezed, index = _squeeze(folded)
        by_start: dict[int, list[tuple[int, list[P]]]] = {}
        for last, (length, payloads) in self._ac.iter(squeezed):
            i = index[last - length + 1]
            found = by_start.get(i)
            if found is None:
                by_start[i] = [(index[last] + 1, payloads)]
            else:
                found.append((index[last] + 1, payloads))
        starts = sorted(by_start)
        candidates = []
        for i in starts:
            found = by_start[i]
            if len(found) > 1:
                found.sort(key=_neg_end)
            candidates.append(found)
        occurrences = (starts, candidates)
        self._last = (folded, occurrences)
        return occurrences


_Occurrences = tuple[list[int], list[list[tuple[int, list[P]]]]]


def _neg_end(candidate: tuple[int, object]) -> int:
    return -candidate[0]


_SQUEEZED: list[tuple[str, str, list[int]]] = [("", "", [0])]


def _squeeze(folded: str) -> tuple[str, list[int]]:
    """``folded`` with runs of spaces made single, and each kept char's original index.

    Every automaton scans the same folded document, so the last result is kept, shared by
    all automata (read and replaced whole, so threads cannot mix two documents).
    """
    cached = _SQUEEZED[0]
    if cached[0] is folded:
        return cached[1], cached[2]
    index: list[int] = []
    last = 0
    for m in _RE_SPACES.finditer(folded):
        a, b = m.span()
        index.extend(range(last, a + 1))  # keep the first space of the run
        last = b
    index.extend(range(last, len(folded) + 1))
    squeezed = _RE_SPACES.sub(" ", folded)
    _SQUEEZED[0] = (folded, squeezed, index)
    return squeezed, index


def boundary_ok(text: str, start: int, end: int, form_key: str) -> int | None:
    """The match end after word-boundary checks (extended over an English plural), or
    None when a Latin form sits inside a longer word."""
    if (
        form_key[:1].isascii()
        and form_key[:1].isalnum()
        and start > 0
        and is_word_char(text[start - 1])
    ):
        return None
    last = form_key[-1:]
    if last.isascii() and last.isalnum() and end < len(text) and is_word_char(text[end]):
        if last.isalpha() and len(form_key) >= 4:
            for suffix in ("s", "es"):
                stop = end + len(suffix)
                if text[end:stop].lower() == suffix and (
                    stop >= len(text) or not is_word_char(text[stop])
                ):
                    return stop
        return None
    return end


def same_case(text: str, form: str) -> bool:
    """Whether ``text`` keeps the case that makes ``form`` an abbreviation: a short form
    must match exactly ("Ca" is not "CA"); in a longer one the capitals must be capitals,
    the rest may start a sentence ("Anti-MAG antibodies" is "anti-MAG antibodies")."""
    a = [c for c in text if c.isalnum()]
    b = [c for c in form if c.isalnum()]
    if len(b) <= 3 or len(a) != len(b):
        return a == b
    return all(x == y or (y.islower() and x.lower() == y) for x, y in zip(a, b, strict=True))
