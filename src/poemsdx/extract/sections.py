"""Section headers of case reports and notes in three languages, and what each section
means for extraction.

A header is a known label at the start of a line, standing alone ("考察", "DISCUSSION")
or followed by a colon ("現病歴：", "Course:"), optionally numbered or bracketed
("1. 症例"); after a sentence end a label with a colon also starts a section
("…なし．現病歴：…"). A bracketed line start ("【入院後経過】", "■検査") is a header
whatever it says; its role comes from the known label it contains (経過 → course), else
it is a plain section. SOAP letters ("S）", "A:") open history, examination, assessment
and plan. Figure and table captions ("Fig. 2", "図3", "表1") open a *legend* that ends at
the next blank line, after which the interrupted section resumes (PDF extraction drops
captions in the middle of the text); a past- or family-history label followed by text on
its line ("既往歴：虫垂炎") covers that line only.

Roles decide how statements are read (see ``pipeline``): patient sections (history,
examination, investigations, course, assessment, abstract, legends) give findings; past
and family history mark theirs as such; a plan holds no findings or treatments given;
the introduction, references and keywords are skipped; in a discussion only statements
about *this* patient count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .alternation import grouped
from .lexicon import Lexicon

SKIPPED = frozenset({"introduction", "references", "keywords", "acknowledgements", "plan"})
DISCUSSION = frozenset({"discussion", "conclusion"})
AT_ADMISSION = frozenset({"examination", "investigations"})
_ONE_LINE = frozenset({"past_history", "family_history"})

_RE_LEGEND = re.compile(
    r"^[ \t]*(?:Fig(?:ure)?s?\.?|FIG(?:URE)?\.?|Table|TABLE|Tab\.|図|表|图)[ \t]*\d+", re.M
)
_RE_BRACKET = re.compile(
    r"^[ \t]*(?:【(?P<a>[^】\n]{1,24})】|■[ \t]*(?P<b>[^\n：:]{1,16})(?=[：:\n]))", re.M
)
_RE_SOAP = re.compile(r"^[ \t]*(?P<h>[SOAP])[)）:：][ \t]*", re.M)
_SOAP = {"S": "history", "O": "examination", "A": "assessment", "P": "plan"}
# The three in one pass (what each finds starts a line with a character of its own: 【■,
# SOAP, FT図表图, so no two find the same line)
_LEAD = "^[ \\t]*"
_RE_LINE_MARKS = re.compile(
    rf"{_LEAD}(?:{_RE_BRACKET.pattern.removeprefix(_LEAD)}|{_RE_SOAP.pattern.removeprefix(_LEAD)}"
    rf"|(?P<legend>{_RE_LEGEND.pattern.removeprefix(_LEAD)}))",
    re.M,
)
_CJK_CHAR = re.compile("[\u3040-\u30ff\u3400-\u9fff]")


@dataclass(slots=True)  # not frozen: made by the hundred, and a frozen one costs 4x
class Section:
    start: int  # where the section's text begins (after the header)
    end: int
    role: str | None  # None: text before any header, or an unknown header
    header: tuple[int, int] | None = None


def _label_pattern(label: str) -> str:
    """A header label as a regex: spaces optional between CJK characters, any run of
    spaces between Latin words, case-insensitive for Latin."""
    label = label.strip()
    if _CJK_CHAR.search(label):
        return "[ \\t\u3000]*".join(re.escape(ch) for ch in label if not ch.isspace())
    return r"[ \t]+".join(re.escape(w) for w in label.split())


def _label_parts(label: str) -> tuple[str, str]:
    """``_label_pattern(label)`` as its first character and a regex of the rest."""
    label = label.strip()
    if _CJK_CHAR.search(label):
        chars = [ch for ch in label if not ch.isspace()]
        return chars[0], "".join("[ \\t\u3000]*" + re.escape(ch) for ch in chars[1:])
    if not label:
        return "", ""
    first, *others = label.split()
    return first[0], re.escape(first[1:]) + "".join(r"[ \t]+" + re.escape(w) for w in others)


@dataclass(frozen=True, slots=True, eq=False)
class _Rules:
    line: re.Pattern[str]
    inline: re.Pattern[str]
    roles: dict[str, str]
    by_length: tuple[str, ...]  # label keys, longest first (for bracketed headers)
    first: str  # the characters labels begin with, for a character class


@lru_cache(maxsize=8)
def _rules(lexicons: tuple[Lexicon, ...]) -> _Rules:
    roles: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for lex in lexicons:
        for role, labels in lex.sections.sections.items():
            for label in labels:
                roles.setdefault(_key(label), role)
                spelled.setdefault(_key(label), label)
    ordered = sorted(spelled.values(), key=len, reverse=True)
    alternation = grouped([_label_parts(lbl) for lbl in ordered], ignore_case=True)
    numbering = r"(?:[0-9IVX]{1,4}[.)．、][ \t]*|[【\[■●◆〈<＜(（][ \t]*)?"
    closing = r"[ \t]*[】\]〉>＞)）]?[ \t]*"
    # a label's first character, looked ahead for, spares trying every label where none
    # can start
    first = _first_characters(ordered)
    line = re.compile(
        rf"^(?=[ \t\u3000]*{numbering}[{first}])"
        rf"[ \t\u3000]*{numbering}(?P<h>{alternation}){closing}(?P<end>[:：][ \t]*|$)",
        re.M | re.I,
    )
    # after a sentence end (matched, not looked behind for, so that the regex engine can skip
    # to the full stops; only the groups' positions are used)
    inline = re.compile(
        rf"[。．.](?=[ \t]*[{first}])[ \t]*(?P<h>{alternation})[ \t]*(?P<end>[:：][ \t]*)", re.I
    )
    return _Rules(line, inline, roles, tuple(sorted(roles, key=len, reverse=True)), first)


def _first_characters(labels: list[str]) -> str:
    """The characters labels begin with, escaped for a character class."""
    return "".join(sorted({re.escape(lbl.strip()[0]) for lbl in labels if lbl.strip()}))


def _key(label: str) -> str:
    return "".join(label.lower().split())


def keep_line_pattern(lexicons: tuple[Lexicon, ...]) -> re.Pattern[str]:
    """Labels that must stay at a line start when normalisation joins lines."""
    rules = _rules(lexicons)
    line = rules.line.pattern.removeprefix("^")
    legend = _RE_LEGEND.pattern.removeprefix("^")
    # what the first character after the blanks can be (a label's, a numbering's, a
    # legend's, a bracket or a SOAP letter), looked ahead for so that a line that starts
    # with anything else is passed over at once
    first = rules.first + r"0-9IVX【\[■●◆〈<＜(（FT図表图SOAP"
    return re.compile(
        rf"(?=[ \t\u3000]*[{first}])(?:(?:{line})|{legend}|[ \t]*[【■]|[ \t]*[SOAP][)）:：])",
        re.M | re.I,
    )


def _bracket_role(rules: _Rules, label: str) -> str | None:
    key = _key(label)
    if key in rules.roles:
        return rules.roles[key]
    for known in rules.by_length:
        if len(known) >= 2 and known in key:
            return rules.roles[known]
    return None


_Mark = tuple[int, int, int, str | None, str]  # header start, header end, body start, role, kind


def _marks(text: str, rules: _Rules) -> list[_Mark]:
    marks: list[_Mark] = []
    for m in rules.line.finditer(text):
        # A header whose folded form is not a known label (e.g. "İ" lower-cases to two
        # characters) is not a section mark.
        role = rules.roles.get(_key(m.group("h")))
        if role is None:
            continue
        inline = m.group("end").strip() != "" and text[m.end() : m.end() + 1] not in ("\n", "")
        kind = "line" if role in _ONE_LINE and inline else "header"
        marks.append((m.start(), m.end("h"), m.end(), role, kind))
    for m in rules.inline.finditer(text):
        role = rules.roles.get(_key(m.group("h")))
        if role is None:
            continue
        marks.append(
            (m.start("h"), m.end("h"), m.end(), role, "line" if role in _ONE_LINE else "header")
        )
    for m in _RE_LINE_MARKS.finditer(text):
        if m.group("legend") is not None:
            marks.append((m.start(), m.end(), m.start(), "legend", "legend"))
        elif m.group("h") is not None:
            marks.append((m.start(), m.end("h"), m.end(), _SOAP[m.group("h")], "header"))
        else:
            label = m.group("a") or m.group("b") or ""
            marks.append((m.start(), m.end(), m.end(), _bracket_role(rules, label), "header"))
    marks.sort(key=lambda x: (x[0], -x[2]))
    return marks


def find_sections(text: str, lexicons: tuple[Lexicon, ...]) -> list[Section]:
    """Sections covering ``text`` end to end, in order."""
    marks = _marks(text, _rules(lexicons))
    sections: list[Section] = []
    pos = 0
    role: str | None = None
    kind = "header"
    header: tuple[int, int] | None = None
    resume: str | None = None
    for h_start, h_end, body, new_role, new_kind in marks:
        if h_start < pos:
            continue
        if kind in ("legend", "line"):
            # a legend ends at its first blank line, a one-line history at its line end;
            # the interrupted section resumes there
            stop = text.find("\n\n" if kind == "legend" else "\n", pos, h_start)
            if stop >= 0:
                sections.append(Section(pos, stop, role, header))
                pos, role, kind, header = stop, resume, "header", None
        sections.append(Section(pos, h_start, role, header))
        if new_kind in ("legend", "line") and kind not in ("legend", "line"):
            resume = role
        pos, role, kind, header = body, new_role, new_kind, (h_start, h_end)
    if kind in ("legend", "line"):
        stop = text.find("\n\n" if kind == "legend" else "\n", pos)
        if stop >= 0:
            sections.append(Section(pos, stop, role, header))
            pos, role, header = stop, resume, None
    sections.append(Section(pos, len(text), role, header))
    return [s for s in sections if s.end > s.start or s.header is not None]
