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
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
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
_RE_SPACE_RUNS = re.compile(r"( {2,})")


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


_ASCII_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def is_word_char(ch: str) -> bool:
    return ch in _ASCII_ALNUM  # ch.isascii() and ch.isalnum()


def needs_exact_case(form: str) -> bool:
    """Abbreviations keep their case: two capitals ("IgG", "PLT") or a short form with a
    capital ("Ca", "Hb", "E2")."""
    upper = sum(1 for c in form if c.isascii() and c.isupper())
    return upper >= 2 or (upper >= 1 and len(form) <= 4)


@dataclass(slots=True)  # not frozen: made by the hundred, and a frozen one costs 4x
class Match(Generic[P]):
    start: int
    end: int
    payload: P


# Characters frequent in clinical text, most frequent first. pyahocorasick finds the child
# of a node by a linear search in the order the children were added, and every character
# that starts no key is looked up among all the root's children (hundreds, with CJK
# forms): adding these first, as keys that never match (they end in a noncharacter),
# keeps the lookups of common characters short. Only speed depends on this list.
_FREQUENT = (
    " etaoinsrlhdcmupgfybwvkxzjq0123456789.,:;()/-%+'"
    "、。・（）：【】のにはをたがでしてとるいなかもれあり"
    "性血病症院患者神経经白蛋骨月年日下大肢腫肿水体型化胞疫免诊断查検"
)
_FILLER_END = "\U0010fffe"
_WORD = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")  # word characters, folded
# CJK and beyond, but not the two CJK marks folding makes of Latin ones ("、" of ",")
_CJK = re.compile("[\u2e80-\u3000\u3002-\u30fa\u30fc-\U0010ffff]")


class Automaton(Generic[P]):
    """Aho–Corasick over folded forms; each form carries payloads (several forms may share
    one key, e.g. the same word in two languages).

    The C automaton (pyahocorasick) finds every occurrence in one pass; choosing the
    leftmost-longest candidate that the caller accepts is done here, over those few
    occurrences only. Runs of spaces in the text are collapsed (with an offset map) so that
    a space in a form matches any run of spaces.

    Automata that read the same documents can ``share`` one C automaton: a text is then
    read once for all of them (terms, signs and the cues of every language). A Latin key
    found inside a longer word of the folded text (see ``boundary_ok``) is no candidate at
    all: ``accept`` is asked only about keys at word boundaries.
    """

    def __init__(self, items: Iterable[tuple[str, P]]) -> None:
        grouped: dict[str, list[P]] = {}
        for form, payload in items:
            key = fold_form(form)
            if key:
                grouped.setdefault(key, []).append(payload)
        self.size = sum(len(v) for v in grouped.values())
        self._keys = grouped
        self._group = _Group((self,))
        # the occurrences in the last two texts scanned (a document and a line of it)
        self._seen: tuple[tuple[str, _Occurrences[P]], ...] = ()

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

        The automaton runs once over the whole of ``folded`` (the texts scanned last are
        remembered), and each call picks the occurrences that lie inside its range: a
        sentence-by-sentence caller costs one pass over the document, not one per sentence.
        """
        stop = len(folded) if end is None else end
        return [Match(*m) for m in self.scan_each(folded, accept, [(start, stop)])[0]]

    def whole(self, folded: str) -> list[P] | None:
        """The payloads of the key that is all of ``folded`` (runs of spaces as one), if
        one is: what ``scan`` would find from start to end of ``folded``, whatever else it
        found, as the longest candidate at its start."""
        return self._keys.get(_RE_SPACES.sub(" ", folded))

    def scan_each(
        self,
        folded: str,
        accept: Callable[[int, int, list[P]], tuple[P, int] | None],
        ranges: Sequence[tuple[int, int]],
    ) -> list[list[tuple[int, int, P]]]:
        """The matches ``scan(folded, accept, start, end)`` finds for each ``(start, end)``
        of ``ranges``, as ``(start, end, payload)``."""
        if not self._keys:
            return [[] for _ in ranges]
        starts, found = self._occurrences(folded)
        return [_pick(starts, found, accept, start, end) for start, end in ranges]

    def _occurrences(self, folded: str) -> _Occurrences[P]:
        """Every occurrence of every key in ``folded``, grouped by start, longest first."""
        for text, occurrences in self._seen:
            if text is folded:
                return occurrences
        group = self._group
        found = group.read(folded)
        for member, occurrences in zip(group.members, found, strict=True):
            member._seen = ((folded, occurrences), *member._seen[:1])
        return found[group.members.index(self)]


def _pick(
    starts: list[int],
    found: list[tuple[int, int, list[P]]],
    accept: Callable[[int, int, list[P]], tuple[P, int] | None],
    start: int,
    stop: int,
) -> list[tuple[int, int, P]]:
    """The leftmost-longest accepted occurrences in ``[start, stop)``."""
    out: list[tuple[int, int, P]] = []
    pos = start
    k = bisect_left(starts, start)
    n = len(starts)
    while k < n:
        i, neg_end, payloads = found[k]  # by start, the longest first
        if i >= stop:
            break
        k += 1
        if i < pos or -neg_end > stop:
            continue  # inside the last match (or one accepted at i), or past the range
        picked = accept(i, -neg_end, payloads)
        if picked is not None:
            out.append((i, picked[1], picked[0]))
            pos = picked[1]  # > i: the other candidates at i are passed over
    return out


def share(automata: Sequence[Automaton[Any]]) -> None:
    """Let ``automata`` read texts with one C automaton: a text scanned by any of them is
    read once, and each gets the occurrences of its own keys."""
    group = _Group(tuple(automata))
    for a in automata:
        a._group = group
        a._seen = ()


# (start, -end, payloads) of every occurrence, sorted (by start, the longest first), and
# the starts alone, for bisection
_Occurrences = tuple[list[int], list[tuple[int, int, list[P]]]]


class _Group:
    """One pyahocorasick automaton over the keys of several ``Automaton`` objects."""

    def __init__(self, members: tuple[Automaton[Any], ...]) -> None:
        self.members = members
        owners: dict[str, list[tuple[int, list[Any]]]] = {}
        for m, member in enumerate(members):
            for key, payloads in member._keys.items():
                owners.setdefault(key, []).append((m, payloads))
        # A one-letter key ("T", "K") is found by a regular expression instead: in the
        # automaton every such letter of every word would be an occurrence to look at.
        self.letters = {k: v for k, v in owners.items() if len(k) == 1 and k in _WORD}
        self.letter_re = _letter_pattern(self.letters)
        owners = {k: v for k, v in owners.items() if k not in self.letters}
        self.ac = _compile(owners)
        # a text without CJK characters holds no key with one: it is read with the other
        # keys alone (a far smaller automaton)
        self.ac_latin = _compile({k: v for k, v in owners.items() if not _CJK.search(k)})

    def read(self, folded: str) -> list[_Occurrences[Any]]:
        """The occurrences of each member's keys in ``folded``."""
        found: list[list[tuple[int, int, list[Any]]]] = [[] for _ in self.members]
        ac = self.ac if _CJK.search(folded) else self.ac_latin
        if ac is not None:
            _read_keys(ac, folded, found)
        if self.letter_re is not None:
            for match in self.letter_re.finditer(folded):
                i = match.start()
                for m, payloads in self.letters[match.group()]:
                    found[m].append((i, -i - 1, payloads))
        out: list[_Occurrences[Any]] = []
        for occurrences in found:
            # by start, the longest first; no two occurrences of one member share a span,
            # so the payloads are never compared
            occurrences.sort()
            out.append(([o[0] for o in occurrences], occurrences))
        return out


def _letter_pattern(letters: dict[str, Any]) -> re.Pattern[str] | None:
    """A word of one letter (or digit) of ``letters``: the letter, no word character before
    it (looked behind for after it, so that the search skips to the letters) or after it."""
    if not letters:
        return None
    return re.compile(f"[{''.join(sorted(letters))}](?<![0-9a-z].)(?![0-9a-z])")


def _read_keys(ac: Any, folded: str, found: list[list[tuple[int, int, list[Any]]]]) -> None:
    """Add the occurrences the automaton ``ac`` finds in ``folded`` to ``found`` (one list
    per member)."""
    squeezed, kept, dropped = _squeeze(folded)
    runs = len(kept)
    r = 0  # the runs of spaces before ``last`` (which only grows)
    n = len(squeezed)
    for last, value in ac.iter(squeezed):
        if value is None:
            continue  # a filler key (the text holds a noncharacter)
        length, owned, latin_start, latin_end, plural = value
        j = last + 1
        i = j - length
        # A Latin key inside a longer word is no candidate (see boundary_ok; in the folded
        # text the ASCII letters and digits are the text's, lower-cased). Squeezing keeps
        # what is next to a word, so this is judged before mapping back.
        if latin_start and i and squeezed[i - 1] in _WORD:
            continue
        if (
            latin_end
            and j < n
            and squeezed[j] in _WORD
            and not (plural and _plural_end(squeezed, j))
        ):
            continue
        if runs:  # back to positions in ``folded``, past the dropped spaces
            while r < runs and kept[r] < last:
                r += 1
            if r:
                j += dropped[r - 1]
                if kept[r - 1] < i:
                    i += dropped[r - 1]
                else:  # a run inside the match
                    k = bisect_left(kept, i)
                    if k:
                        i += dropped[k - 1]
        for m, payloads in owned:
            found[m].append((i, -j, payloads))


def _plural_end(folded: str, end: int) -> bool:
    """Whether an English plural ending ("s", "es") and a word boundary follow ``end``."""
    n = len(folded)
    for suffix in ("s", "es"):
        stop = end + len(suffix)
        if folded[end:stop] == suffix and (stop >= n or folded[stop] not in _WORD):
            return True
    return False


def _compile(owners: dict[str, list[tuple[int, list[Any]]]]) -> Any:
    """A pyahocorasick automaton: each key -> (its length, ((member, payloads), ...), and
    its ``_edges``)."""
    if not owners:
        return None
    ac = ahocorasick.Automaton()
    # The root's children in order: the characters of _FREQUENT, then every other character
    # of the keys, the commonest in them first (a character of a key that starts none is
    # still a common one of the text). A filler's value None marks it.
    in_keys = Counter(ch for key in owners for ch in key)
    for ch in dict.fromkeys([*_FREQUENT, *(ch for ch, _ in in_keys.most_common())]):
        ac.add_word(ch + _FILLER_END, None)
    for key, owned in owners.items():
        ac.add_word(key, (len(key), tuple(owned), *_edges(key)))
    ac.make_automaton()
    return ac


_Squeezed = tuple[str, str, list[int], list[int]]
_SQUEEZED: list[_Squeezed] = [("", "", [], [])]


def _squeeze(folded: str) -> tuple[str, list[int], list[int]]:
    """``folded`` with runs of spaces made single; where each run's kept space is in the
    squeezed text, and how many spaces were dropped up to and including that run.

    Every automaton scans the same folded document, so the last result is kept (read and
    replaced whole, so threads cannot mix two documents).
    """
    cached = _SQUEEZED[0]
    if cached[0] is folded:
        return cached[1], cached[2], cached[3]
    parts = _RE_SPACE_RUNS.split(folded)  # text, run, text, run, …, text
    kept: list[int] = []
    dropped: list[int] = []
    at = total = 0
    for k in range(1, len(parts), 2):
        at += len(parts[k - 1])
        kept.append(at)
        at += 1
        total += len(parts[k]) - 1
        dropped.append(total)
    squeezed = " ".join(parts[0::2]) if kept else folded
    _SQUEEZED[0] = (folded, squeezed, kept, dropped)
    return squeezed, kept, dropped


@lru_cache(maxsize=8192)
def _edges(form_key: str) -> tuple[bool, bool, bool]:
    """Whether a form starts and ends with a Latin letter or digit (so needs a word
    boundary there), and whether it may take an English plural."""
    first, last = form_key[:1], form_key[-1:]
    latin_end = last.isascii() and last.isalnum()
    return (
        first.isascii() and first.isalnum(),
        latin_end,
        latin_end and last.isalpha() and len(form_key) >= 4,
    )


def boundary_ok(text: str, start: int, end: int, form_key: str) -> int | None:
    """The match end after word-boundary checks (extended over an English plural), or
    None when a Latin form sits inside a longer word."""
    latin_start, latin_end, plural = _edges(form_key)
    if latin_start and start > 0 and text[start - 1] in _ASCII_ALNUM:
        return None
    if latin_end and end < len(text) and text[end] in _ASCII_ALNUM:
        if plural:
            for suffix in ("s", "es"):
                stop = end + len(suffix)
                if text[end:stop].lower() == suffix and (
                    stop >= len(text) or text[stop] not in _ASCII_ALNUM
                ):
                    return stop
        return None
    return end


def same_case(text: str, form: str) -> bool:
    """Whether ``text`` keeps the case that makes ``form`` an abbreviation: a short form
    must match exactly ("Ca" is not "CA"); in a longer one the capitals must be capitals,
    the rest may start a sentence ("Anti-MAG antibodies" is "anti-MAG antibodies")."""
    if text == form:
        return True  # (the form as written: the commonest case)
    a = [c for c in text if c.isalnum()]
    b = [c for c in form if c.isalnum()]
    if len(b) <= 3 or len(a) != len(b):
        return a == b
    return all(x == y or (y.islower() and x.lower() == y) for x, y in zip(a, b, strict=True))
