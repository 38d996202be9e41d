"""Section headers of case reports and notes in three languages, and what each section
means for extraction.

A header is a known label at the start of a line, standing alone ("考察", "DISCUSSION")
or followed by a colon ("現病歴：", "Course:"), optionally numbered or bracketed
("1. 症例", "【検査所見】"); after a sentence end a label with a colon also starts a
section ("…なし．現病歴：…"). Figure and table captions ("Fig. 2", "図3", "表1") open a
*legend* that ends at the next blank line, after which the interrupted section resumes
(PDF extraction drops captions in the middle of the text).

Roles decide how statements are read (see ``pipeline``): patient sections (history,
examination, investigations, course, abstract, legends) give findings; past and family
history mark their findings as such; the introduction, references and keywords are
skipped; in a discussion only statements about *this* patient count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import Language, Lexicon

SKIPPED = frozenset({"introduction", "references", "keywords", "acknowledgements"})
DISCUSSION = frozenset({"discussion", "conclusion"})
AT_ADMISSION = frozenset({"examination", "investigations"})

_RE_LEGEND = re.compile(
    r"^[ \t]*(?:Fig(?:ure)?s?\.?|FIG(?:URE)?\.?|Table|TABLE|Tab\.|図|表|图)[ \t]*\d+", re.M
)
_CJK_CHAR = re.compile("[\u3040-\u30ff\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class Section:
    start: int  # where the section's text begins (after the header)
    end: int
    role: str | None  # None: text before any header
    header: tuple[int, int] | None = None


def _label_pattern(label: str) -> str:
    """A header label as a regex: spaces optional between CJK characters, any run of
    spaces between Latin words, case-insensitive for Latin."""
    label = label.strip()
    if _CJK_CHAR.search(label):
        return "[ \\t\u3000]*".join(re.escape(ch) for ch in label if not ch.isspace())
    return r"[ \t]+".join(re.escape(w) for w in label.split())


@lru_cache(maxsize=8)
def _patterns(lexicons: tuple[Lexicon, ...]) -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    roles: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for lex in lexicons:
        for role, labels in lex.sections.sections.items():
            for label in labels:
                roles.setdefault(_key(label), role)
                spelled.setdefault(_key(label), label)
    ordered = sorted(spelled.values(), key=len, reverse=True)
    alternation = "|".join(_label_pattern(lbl) for lbl in ordered)
    numbering = r"(?:[0-9IVX]{1,4}[.)．、][ \t]*|[【\[■●◆〈<＜(（][ \t]*)?"
    closing = r"[ \t]*[】\]〉>＞)）]?[ \t]*"
    line = re.compile(
        rf"^[ \t\u3000]*{numbering}(?P<h>{alternation}){closing}(?P<end>[:：][ \t]*|$)",
        re.M | re.I,
    )
    inline = re.compile(rf"(?<=[。．.])[ \t]*(?P<h>{alternation})[ \t]*(?P<end>[:：][ \t]*)", re.I)
    return line, inline, roles


def _key(label: str) -> str:
    return "".join(label.lower().split())


def keep_line_pattern(lexicons: tuple[Lexicon, ...]) -> re.Pattern[str]:
    """Labels that must stay at a line start when normalisation joins lines."""
    line, _, _ = _patterns(lexicons)
    return re.compile(rf"(?:{line.pattern.removeprefix('^')})|{_RE_LEGEND.pattern.removeprefix('^')}", re.M | re.I)


def find_sections(text: str, lexicons: tuple[Lexicon, ...]) -> list[Section]:
    """Sections covering ``text`` end to end, in order."""
    line, inline, roles = _patterns(lexicons)
    marks: list[tuple[int, int, int, str]] = []  # (header start, header end, body start, role)
    for m in line.finditer(text):
        marks.append((m.start(), m.end("h"), m.end(), roles[_key(m.group("h"))]))
    for m in inline.finditer(text):
        marks.append((m.start("h"), m.end("h"), m.end(), roles[_key(m.group("h"))]))
    for m in _RE_LEGEND.finditer(text):
        marks.append((m.start(), m.end(), m.start(), "legend"))
    marks.sort()
    sections: list[Section] = []
    pos = 0
    role: str | None = None
    header: tuple[int, int] | None = None
    resume: str | None = None
    for h_start, h_end, body, new_role in marks:
        if h_start < pos:
            continue
        if role == "legend":
            # a legend ends at its first blank line; the interrupted section resumes there
            blank = text.find("\n\n", pos, h_start)
            if blank >= 0:
                sections.append(Section(pos, blank, role, header))
                pos, role, header = blank, resume, None
        sections.append(Section(pos, h_start, role, header))
        if new_role == "legend" and role != "legend":
            resume = role
        pos, role, header = body, new_role, (h_start, h_end)
    if role == "legend":
        blank = text.find("\n\n", pos)
        if blank >= 0:
            sections.append(Section(pos, blank, role, header))
            pos, role, header = blank, resume, None
    sections.append(Section(pos, len(text), role, header))
    return [s for s in sections if s.end > s.start or s.header is not None]


def headers_of(lexicons: dict[Language, Lexicon]) -> tuple[Lexicon, ...]:
    """The lexicons in a fixed order (a cache key)."""
    return tuple(lexicons[lang] for lang in sorted(lexicons))
