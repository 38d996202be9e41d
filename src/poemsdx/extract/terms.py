"""Longest-first dictionary matching with a character trie, built once per lexicon set.

Thousands of surface forms in three languages are matched in one left-to-right pass:
at each position where some form can start, the trie is walked as far as the text
allows, and the longest candidate that passes the caller's check wins (leftmost-longest,
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

P = TypeVar("P")

_FOLD = str.maketrans(
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
    }
)
_RE_SPACES = re.compile(r" {2,}")


def fold(text: str) -> str:
    """The matching key of ``text``: same length, case- and punctuation-folded."""
    low = text.lower()
    if len(low) != len(text):  # a few characters lower-case to two (İ)
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return low.translate(_FOLD)


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
    """A trie over folded forms; each form carries payloads (several forms may share one
    key, e.g. the same word in two languages)."""

    def __init__(self, items: Iterable[tuple[str, P]]) -> None:
        self._root: dict[str, Any] = {}
        first: set[str] = set()
        size = 0
        for form, payload in items:
            key = fold_form(form)
            if not key:
                continue
            node: dict[str, Any] = self._root
            for ch in key:
                node = node.setdefault(ch, {})
            ends: list[P] = node.setdefault(_END, [])
            ends.append(payload)
            first.add(key[0])
            size += 1
        self.size = size
        chars = "".join(sorted(first))
        self._starts = re.compile("[" + re.escape(chars) + "]") if chars else None

    def scan(
        self,
        folded: str,
        accept: Callable[[int, int, list[P]], tuple[P, int] | None],
        start: int = 0,
        end: int | None = None,
    ) -> list[Match[P]]:
        """Leftmost-longest matches in ``folded[start:end]``; ``accept(start, end,
        payloads)`` returns the payload to keep and the match's end (a plural may extend
        it), or None to reject the candidate."""
        out: list[Match[P]] = []
        if self._starts is None:
            return out
        stop = len(folded) if end is None else end
        pos = start
        root = self._root
        end_key = _END
        for m in self._starts.finditer(folded, start, stop):
            i = m.start()
            if i < pos:
                continue
            node = root[folded[i]]
            j = i + 1
            candidates: list[tuple[int, list[P]]] | None = None
            if end_key in node:
                candidates = [(j, node[end_key])]
            while j < stop:
                nxt = node.get(folded[j])
                if nxt is None:
                    break
                node = nxt
                j += 1
                if folded[j - 1] == " ":
                    while j < stop and folded[j] == " ":
                        j += 1
                if end_key in node:
                    if candidates is None:
                        candidates = []
                    candidates.append((j, node[end_key]))
            if candidates is None:
                continue
            for cand_end, payloads in reversed(candidates):
                picked = accept(i, cand_end, payloads)
                if picked is not None:
                    out.append(Match(i, picked[1], picked[0]))
                    pos = picked[1]
                    break
        return out


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
