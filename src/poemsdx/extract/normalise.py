"""Text normalisation that remembers where every character came from.

Case reports reach us through PDF extraction: full-width digits and brackets
("１，７００ｐｇ／ｍｌ（基準値＜２２０）"), a "/" lost to U+FFFD ("mg\\ufffddl"), words and
numbers broken across lines ("vas-\\ncular", "735\\n\\nmg/dl"), and spaces that PDF tools
put between CJK and Latin text ("57 歳", "IgG4 陽性"). Matching and parsing are far simpler
on clean text, but evidence must quote the *original* characters, so every edit is
recorded and :meth:`Normalised.source_span` maps a span back.

Two layers, each a list of non-overlapping edits found by regular expressions (fast on
long texts; untouched stretches map one to one):

1. characters — NFKC, except that the CJK comma and full stop "，．" are kept (they end
   clauses and sentences; between digits they become "," and "."); U+FFFD between unit
   parts becomes "/"; soft hyphens and zero-width characters go; CR LF becomes LF.
2. layout — spaces next to CJK characters go; a line break inside a CJK sentence, after
   "/" or before ")", or a hyphenated word break, is removed; a blank line between a
   number and its unit, or before a line that starts with a particle, is a page break
   inside a sentence and is removed too. Line breaks before a section label
   (``keep_line_before``) and after a sentence end stay, so headers stay at line starts.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

# Characters that never change under NFKC and need no other treatment: ASCII printables
# (CR is handled on its own), CJK punctuation except the ideographic space, kana
# (except the combining and spacing voicing marks), CJK ideographs, Hangul, Greek; first
# without the digits.
_SAFE_NO_DIGIT = (
    "\t\n\x20-\x2f\x3a-\x7e\u3001-\u303f\u3041-\u3096\u309d-\u30fe\u4e00-\u9fff"
    "\uac00-\ud7af\u0391-\u03a9\u03b1-\u03c9"
)
_SAFE = _SAFE_NO_DIGIT + "0-9"
_RE_UNSAFE = re.compile(f"[\u3040-\u30ff][\u3099\u309a]|\r\n?|[^{_SAFE}]+")
# the same without combining voicing marks in the text, begun with one character class so
# that the regex engine skips the safe characters quickly; and "，" or "．" after a safe
# character other than a digit, which stays as it is (see _run_edits), starts no run
_RE_UNSAFE_PLAIN = re.compile(
    f"[^{_SAFE}](?<![{_SAFE_NO_DIGIT}][\uff0c\uff0e])(?:(?<=\r)\n?|[^{_SAFE}]*)"
)
_DELETE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")
_KEEP_CJK_PUNCT = {"\uff0c": ",", "\uff0e": "."}  # kept, except between digits
_FFFD = "\ufffd"

_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff01-\uff0f\uff1a-\uff20\uff5b-\uff65"
)
# A lone space or tab after or before a CJK character (the runs of blanks that
# "(?<=[CJK])[ \t]+|[ \t]+(?=[CJK])" finds, when one long), and line breaks with the
# blanks around them ("[ \t]*\n(?:[ \t]*\n)*[ \t]*"). Both are written to begin with a
# character class, which lets the regex engine skip quickly to candidate positions.
_RE_CJK_SPACE = re.compile(f"[ \\t](?:(?<=[{_CJK}][ \\t])(?![ \\t])|(?<![ \\t][ \\t])(?=[{_CJK}]))")
_RE_LINEBREAK = re.compile(r"[ \t\n](?:(?<=\n)|[ \t]*\n)(?:[ \t]*\n)*[ \t]*")
_RE_IS_CJK = re.compile(f"[{_CJK}]")
_RE_HIRAGANA = re.compile("[\u3041-\u3096]")
_RE_UNIT_START = re.compile(r"(?:[munpfμk]?g|[mμud]?[lL]|I?U|mm3?|mEq|mmol)(?![A-Za-z])|%|/")
_SENTENCE_END = frozenset("。．.!?！？")
_JOIN_AFTER = frozenset("/<>≤≥≦≧~〜(=+")
_JOIN_BEFORE = frozenset(")~〜/")


@dataclass(slots=True)
class _Map:
    """Piecewise map from positions in an edited text to positions in its source."""

    dst: list[int] = field(default_factory=list)  # segment starts in the edited text
    src: list[int] = field(default_factory=list)  # segment starts in the source
    src_len: list[int] = field(default_factory=list)  # -1: identity segment
    dst_len: int = 0
    plain: bool = False  # no edits: every position maps to itself

    def start(self, pos: int) -> int:
        i = bisect_right(self.dst, pos) - 1
        if i < 0:
            return pos
        if self.src_len[i] < 0:
            return self.src[i] + (pos - self.dst[i])
        return self.src[i]

    def end(self, pos: int) -> int:
        if pos <= 0:
            return self.start(pos)
        i = bisect_right(self.dst, pos - 1) - 1
        if i < 0:
            return pos
        if self.src_len[i] < 0:
            return self.src[i] + (pos - self.dst[i])
        return self.src[i] + self.src_len[i]


def _apply(text: str, edits: list[tuple[int, int, str]]) -> tuple[str, _Map]:
    """Apply sorted, non-overlapping ``(start, end, replacement)`` edits.

    A one-character replacement of one character ("１" → "1") maps positions exactly as no
    edit does, so it extends the identity segment around it instead of making its own: a
    text of full-width digits keeps a map of few segments. (Not at the very end, where the
    position after the text maps to the start of a last edit.)"""
    out: list[str] = []
    m = _Map()
    src_pos = 0
    dst_pos = 0
    plain = True  # the map so far is one identity segment (or none)
    for start, end, repl in edits:
        if end - start == 1 and len(repl) == 1 and end < len(text):
            if not m.src_len or m.src_len[-1] >= 0:  # open an identity segment
                m.dst.append(dst_pos)
                m.src.append(src_pos)
                m.src_len.append(-1)
            out.append(text[src_pos:start])
            out.append(repl)
            dst_pos += end - src_pos
            src_pos = end
            continue
        plain = False
        if start > src_pos:
            if not m.src_len or m.src_len[-1] >= 0:
                m.dst.append(dst_pos)
                m.src.append(src_pos)
                m.src_len.append(-1)
            out.append(text[src_pos:start])
            dst_pos += start - src_pos
        m.dst.append(dst_pos)
        m.src.append(start)
        m.src_len.append(end - start)
        out.append(repl)
        dst_pos += len(repl)
        src_pos = end
    if src_pos < len(text):
        if not m.src_len or m.src_len[-1] >= 0:
            m.dst.append(dst_pos)
            m.src.append(src_pos)
            m.src_len.append(-1)
        out.append(text[src_pos:])
        dst_pos += len(text) - src_pos
    m.dst_len = dst_pos
    m.plain = plain
    return "".join(out), m


@lru_cache(maxsize=8192)
def _nfkc(piece: str) -> str:
    return unicodedata.normalize("NFKC", piece)


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _char_edits(text: str) -> list[tuple[int, int, str]]:
    edits: list[tuple[int, int, str]] = []
    n = len(text)
    voiced = "\u3099" in text or "\u309a" in text
    for m in (_RE_UNSAFE if voiced else _RE_UNSAFE_PLAIN).finditer(text):
        run = m.group()
        if run[0] == "\r":
            edits.append((m.start(), m.end(), "\n"))
            continue
        if len(run) == 2 and run[1] in "\u3099\u309a":
            composed = _nfkc(run)
            if composed != run:
                edits.append((m.start(), m.end(), composed))
            continue
        base, stop = m.span()
        if _FFFD in run:  # a lost slash is judged on the text around it
            edits += _run_edits(text, base, run)
            continue
        if "\uff0c" in run or "\uff0e" in run or "\u3000" in run:
            # what becomes of these depends on the characters around the run ("，" in "1，7")
            prev = text[base - 1] if base else ""
            nxt = text[stop] if stop < n else ""
            found = _edits_between(prev, run, nxt)
        else:
            found = _edits_between("", run, "")  # the run alone decides
        for a, b, repl in found:
            edits.append((base + a, base + b, repl))
    return edits


@lru_cache(maxsize=8192)
def _edits_between(prev: str, run: str, nxt: str) -> tuple[tuple[int, int, str], ...]:
    """The edits of ``run`` (no U+FFFD in it) between ``prev`` and ``nxt`` ("" at the text's
    ends), relative to its start."""
    shift = len(prev)
    return tuple((a - shift, b - shift, r) for a, b, r in _run_edits(prev + run + nxt, shift, run))


def _run_edits(text: str, base: int, run: str) -> list[tuple[int, int, str]]:
    """The edits of the characters of ``run``, which is at ``base`` in ``text``."""
    edits: list[tuple[int, int, str]] = []
    n = len(text)
    for k, ch in enumerate(run):
        pos = base + k
        if ch in _DELETE:
            edits.append((pos, pos + 1, ""))
        elif ch in _KEEP_CJK_PUNCT:
            prev = text[pos - 1] if pos else ""
            nxt = text[pos + 1] if pos + 1 < n else ""
            if _is_digit(_nfkc(prev) if prev else "") and _is_digit(_nfkc(nxt) if nxt else ""):
                edits.append((pos, pos + 1, _KEEP_CJK_PUNCT[ch]))
        elif "\u2460" <= ch <= "\u2473":
            edits.append((pos, pos + 1, f"({ord(ch) - 0x245F})"))  # ① → (1), not a bare "1"
        elif ch == "\u3000" and (pos == 0 or text[pos - 1] in "\n\u3000"):
            edits.append((pos, pos + 1, "  "))  # an indented line: keep it a line
        elif ch == _FFFD:
            if _lost_slash(text, pos):
                edits.append((pos, pos + 1, "/"))
        else:
            out = _nfkc(ch)
            if out != ch:
                edits.append((pos, pos + 1, out))
    return edits


def _lost_slash(text: str, pos: int) -> bool:
    """U+FFFD between a number or unit and a unit: "mg\\ufffddl", "2\\ufffd\\nmm3"."""
    if pos == 0:
        return False
    prev = _nfkc(text[pos - 1])
    if not (prev.isascii() and prev.isalnum()) and prev not in "μµ万千":
        return False
    j = pos + 1
    while j < len(text) and text[j] in " \t\r\n":
        j += 1
    if j >= len(text):
        return False
    nxt = _nfkc(text[j])[:1]
    return (nxt.isascii() and nxt.isalpha()) or nxt in "μµ"


def _layout_edits(
    text: str, keep_line_before: re.Pattern[str] | None
) -> list[tuple[int, int, str]]:
    edits: list[tuple[int, int, str]] = []
    columns: set[int] | None = None  # starts of the lines that have columns (found once)
    # a PDF tool's space (two or more separate columns), looked for only where there are CJK
    # characters for it to be next to
    if _RE_IS_CJK.search(text):
        edits += [(m.start(), m.end(), "") for m in _RE_CJK_SPACE.finditer(text)]
    for m in _RE_LINEBREAK.finditer(text):
        start, end = m.span()
        if start == 0 or end >= len(text):
            continue
        prev, nxt = text[start - 1], text[end]
        brk = m.group()
        blank = brk.count("\n") > 1
        if (
            not blank
            and prev == "-"
            and start >= 2
            and text[start - 2].islower()
            and text[start - 2].isascii()
            and nxt.islower()
            and nxt.isascii()
        ):
            edits.append((start - 1, end, ""))  # "vas-\ncular" -> "vascular"
            continue
        if prev in _SENTENCE_END or brk.endswith("  "):
            continue  # a sentence ends here; an indented line stays a line
        prev_cjk = _RE_IS_CJK.match(prev) is not None
        if blank:  # a page break inside a sentence
            join = (prev_cjk and _RE_HIRAGANA.match(nxt) is not None) or (
                _is_digit(prev) and _RE_UNIT_START.match(text, end) is not None
            )
        else:  # "IgA 620\nmg/dl": a value and its unit
            join = (
                prev_cjk
                or _RE_IS_CJK.match(nxt) is not None
                or prev in _JOIN_AFTER
                or nxt in _JOIN_BEFORE
                or (_is_digit(prev) and _RE_UNIT_START.match(text, end) is not None)
            )
        # the costlier tests last: a section label and the rows of a table stay lines
        if not join or (keep_line_before is not None and keep_line_before.match(text, end)):
            continue
        if columns is None:
            columns = _column_lines(text)
        if not _tabular(text, start, end, columns):
            edits.append((start, end, ""))
    edits.sort()
    merged: list[tuple[int, int, str]] = []
    for e in edits:
        if merged and e[0] < merged[-1][1]:
            continue  # a space edit inside a line-break edit
        merged.append(e)
    return merged


# Two or more blanks between two non-blanks ("\S[ \t]{2,}\S"), found from the blanks.
_RE_COLUMN_GAP = re.compile(r"[ \t](?<=\S[ \t])[ \t]+(?=\S)")


def _column_lines(text: str) -> set[int]:
    """Where the lines that have columns (runs of two or more spaces) start."""
    return {text.rfind("\n", 0, m.start()) + 1 for m in _RE_COLUMN_GAP.finditer(text)}


def _tabular(text: str, start: int, end: int, columns: set[int]) -> bool:
    """Whether the line before or after a break has columns; ``text[start:end]`` is the
    break (blanks and line feeds), so the line after it starts after its last line feed."""
    return (text.rfind("\n", 0, start) + 1) in columns or (text.rfind("\n", 0, end) + 1) in columns


@dataclass(frozen=True, slots=True)
class Normalised:
    """Normalised text and the way back to the original."""

    text: str
    original: str
    _maps: tuple[_Map, ...]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind ``text[start:end]``."""
        s, e = start, max(start, end)
        for m in reversed(self._maps):
            if not m.plain:
                s, e = m.start(s), m.end(e) if e > s else m.start(s)
        return s, max(s, e)

    def quote(self, start: int, end: int) -> str:
        s, e = self.source_span(start, end)
        return self.original[s:e]


def normalise(text: str, keep_line_before: re.Pattern[str] | None = None) -> Normalised:
    """Normalise ``text``; ``keep_line_before`` matches labels that must stay at a line
    start (section headers such as 現病歴：)."""
    first, map1 = _apply(text, _char_edits(text))
    second, map2 = _apply(first, _layout_edits(first, keep_line_before))
    return Normalised(second, text, (map1, map2))
