"""Alternations of words as regular expressions, written for the speed of the regex engine.

``a|b|c`` over hundreds of words makes the engine try every word at every place it looks;
with the words that begin with the same character gathered in one branch
("ma(?:rch|y|r)") it tries one branch per first character. The words keep their order
inside a branch, and words that begin with different characters never match at the same
place, so the order of the branches changes nothing: the alternation matches what the
plain one matches, and picks the same word.

Under IGNORECASE the branches gather first characters that differ only in case. A few
letters match more than their own two cases (IGNORECASE takes ſ for s, the Kelvin sign for
k, ı for i): when a word begins with a cased character outside ASCII, the words are left in
one plain alternation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def alternation(words: Iterable[str], ignore_case: bool = False) -> str:
    """The words as one alternation, the longest first (and each once)."""
    ordered = sorted(set(words), key=len, reverse=True)
    return grouped([(w[:1], re.escape(w[1:])) for w in ordered], ignore_case)


def grouped(alternatives: list[tuple[str, str]], ignore_case: bool = False) -> str:
    """``"|".join(re.escape(first) + rest for first, rest in alternatives)``, with the
    alternatives that begin with the same character in one branch. ``first`` is the
    character an alternative begins with ("" for an empty one), ``rest`` the regex of what
    follows it."""
    if ignore_case and not all(_plain_case(first) for first, _ in alternatives):
        return "|".join(re.escape(first) + rest for first, rest in alternatives)
    by_first: dict[str, list[str]] = {}
    for first, rest in alternatives:
        by_first.setdefault(first.lower() if ignore_case else first, []).append(rest)
    return "|".join(
        re.escape(first) + (rests[0] if len(rests) == 1 else f"(?:{'|'.join(rests)})")
        for first, rests in by_first.items()
    )


def _plain_case(ch: str) -> bool:
    """Whether IGNORECASE matches ``ch`` to its own upper and lower case only: an ASCII
    character, or one without case (a digit, a CJK character)."""
    return ch.isascii() or ch.lower() == ch.upper()
