"""Sentences and clauses, per language.

CJK sentences end at 。．！？ (and "." or "!" after a CJK character); English ones at
". " / "! " / "? " unless the full stop belongs to an abbreviation ("Fig.", "Rt.", "e.g.",
"Dr.", an initial), a decimal or a list number. A blank line always ends a sentence, and
so does a section boundary (sentences never cross sections).

Clauses matter for the scope of context cues: ";" and ":" end a clause in every
language; in Japanese "，、," separate clauses *or* list items (``context`` tells them
apart); in Chinese "，" ends a clause while "、" separates list items; in English a comma
ends nothing (ConText scopes run to the sentence end or a termination cue).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .language import Language, detect
from .sections import Section

_CJK_END = "。．！？"
# "[。．！？]+[」』）)]*|[.!?]+[\"'”’)\]]*(?=\s|$|[\u3000-\u9fff])|\n[ \t]*\n|\n", written
# to begin with one character class so that the regex engine skips to candidate positions
_RE_BOUNDARY = re.compile(
    r"[。．！？.!?\n](?:(?<=[。．！？])[。．！？]*[」』）)]*"
    r"|(?<=[.!?])[.!?]*[\"'”’)\]]*(?=\s|$|[\u3000-\u9fff])|(?<=\n)[ \t]*\n|(?<=\n))"
)
# two or more blanks between two non-blanks ("\S[ \t]{2,}\S"), found from the blanks
_RE_COLUMNS = re.compile(r"[ \t](?<=\S[ \t])[ \t]+(?=\S)")
_RE_ITEM = re.compile(r"[ \t]*(?:[-•*·・■●◆]|\d{1,2}[.)．、])[ \t]")
_SHORT_LINE = 50
_RE_LABEL = re.compile(r"[ \t]*[A-Za-z][A-Za-z /&()-]{0,24}:[ \t]")
# fmt: off
_ABBREVIATIONS = frozenset((
    "fig", "figs", "no", "nos", "vs", "dr", "mr", "mrs", "ms", "prof", "st", "rt", "lt", "e.g",
    "i.e", "etc", "approx", "al", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "ref", "refs", "vol", "pp", "ca", "cf", "resp", "min", "max", "mg", "pt",
    "pts", "dept", "univ", "inc", "ltd", "co", "med", "m.d", "ph.d", "b.i.d", "t.i.d", "q.d",
    "p.o", "i.v",
))
# fmt: on
_RE_LAST_WORD = re.compile(r"([A-Za-z][A-Za-z.]*)\.?$")
_RE_CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff]")


@dataclass(slots=True)  # not frozen: made by the hundred, and a frozen one costs 4x
class Sentence:
    start: int
    end: int
    section: int  # index into the section list
    language: Language


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the "." at ``dot`` ends an abbreviation, initial or number rather than a
    sentence."""
    before = text[max(0, dot - 12) : dot]
    m = _RE_LAST_WORD.search(before)
    if m is None:
        return (
            dot > 0 and text[dot - 1].isdigit() and dot + 1 < len(text) and text[dot + 1].isdigit()
        )
    word = m.group(1).lower()
    if word.rstrip(".") in _ABBREVIATIONS or word in _ABBREVIATIONS:
        return True
    if len(word) == 1 and m.group(1).isupper():
        return True  # an initial: "J. Smith", "C. D."
    nxt = text[dot + 1 : dot + 3].lstrip()
    return bool(nxt) and nxt[0].islower()


def split_sentences(text: str, sections: list[Section], prior: Language) -> list[Sentence]:
    """Sentences of ``text`` inside each section, with the language of each."""
    out: list[Sentence] = []
    for index, sec in enumerate(sections):
        pos = sec.start
        for m in _RE_BOUNDARY.finditer(text, sec.start, sec.end):
            stop = m.end()
            token = m.group()
            if token == "\n":
                if not _line_break_ends(text, m.start(), sec.end):
                    continue
            elif token[0] == ".":
                if _is_abbreviation(text, m.start()):
                    continue
            elif token[0] in "!?" and (
                not (m.end() >= len(text) or text[m.end()].isspace())
                or (m.start() > 0 and text[m.start() - 1] in " \t:(")
            ):
                continue  # "? CIDP": a question mark before a word is a cue, not an end
            _emit(text, pos, stop, index, prior, out)
            pos = stop
        _emit(text, pos, sec.end, index, prior, out)
    return out


def _line_break_ends(text: str, pos: int, stop: int) -> bool:
    """A single line break ends a statement in a table, before a list item or a label
    ("Nodes: none"), or after a short line followed by a capital or CJK character (terse
    notes: "Abd: soft" / "No edema"); in wrapped prose, or before a number or a lower-case
    word that continues the line ("β2-microglobulin\n2.2mg/l"), it does not."""
    line_start = text.rfind("\n", 0, pos) + 1
    line = text[line_start:pos].strip()
    nxt_end = text.find("\n", pos + 1)
    nxt = text[pos + 1 : stop if nxt_end < 0 else min(nxt_end, stop)]
    if _RE_COLUMNS.search(line) or _RE_COLUMNS.search(nxt) or _RE_ITEM.match(nxt):
        return True
    if _RE_LABEL.match(nxt):
        return True
    first = nxt.lstrip()[:1]
    if not first or not (first.isupper() or _RE_CJK.match(first)):
        return False
    return (
        0 < len(line) < _SHORT_LINE
        and line[-1] not in ",-(/&"
        and not line.endswith((" and", " or", " with"))
    )


def _emit(
    text: str, start: int, end: int, section: int, prior: Language, out: list[Sentence]
) -> None:
    piece = text[start:end]
    body = piece.strip()  # (what str.isspace calls a space)
    if body:
        start += len(piece) - len(piece.lstrip())
        out.append(Sentence(start, start + len(body), section, detect(body, prior)))


_RE_BREAK = {
    "ja": re.compile(r"[;；:：#]|[，、,]"),
    "zh": re.compile(r"[;；:：#]|[，,]"),
    "en": re.compile(r"[;；:：#]"),
}


def clause_breaks(
    text: str, start: int, end: int, language: Language
) -> tuple[list[int], list[int]]:
    """Positions of strong (";", ":", "#") and soft clause separators in
    ``text[start:end]``. Soft ones are "，、," in Japanese, "，," in Chinese (its "、" joins
    list items) and none in English. A colon between digits (10:30) and a comma inside a
    number (1,700) separate nothing."""
    strong: list[int] = []
    soft: list[int] = []
    for m in _RE_BREAK[language].finditer(text, start, end):
        i = m.start()
        ch = text[i]
        between_digits = (
            i > start and i + 1 < end and text[i - 1].isdigit() and text[i + 1].isdigit()
        )
        if ch in ":：," and between_digits:
            continue
        if ch in ";；:：#":
            strong.append(i)
        else:
            soft.append(i)
    return strong, soft


def is_cjk(ch: str) -> bool:
    return bool(_RE_CJK.match(ch))
