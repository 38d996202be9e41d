"""ConText-style assertion: is a mentioned finding present, absent, uncertain, historical,
in a relative, hypothetical — or not about this patient at all?

Cues come from ``lexicons/<lang>/cues.yaml`` (and result words from ``labs.yaml``); each
has a category and a direction. Its scope runs from the cue to the end of its clause:

* forward cues (English "no", "without"; Chinese 无/未见/否认) govern what follows, up to
  the sentence end, a ";" or ":", a termination cue ("but", 但, しかし) and, in Chinese, a
  "，" (its "、" joins list items and keeps the scope open);
* backward cues (Japanese 〜はなかった/〜を認めず/〜なし/陰性, English "was negative")
  govern what precedes them. In Japanese a comma may separate list items
  ("肝腫大，脾腫はなかった": both negated) or clauses ("腫大していたが，肝脾腫はなかった":
  only 肝脾腫); the scope extends over a comma only when the text before it ends with a
  mention (optionally followed by や/と/及び …), i.e. it is a list item.

Pseudo-cues are longer forms that contain a cue but are not one ("に変化はなかった" is
about change, "not only", "ないし" means "to"); the longest-first matcher makes them win,
and they govern nothing. Cues inside a mention ("陽性" in "IgG4陽性形質細胞") are ignored.

Sentence-level markers say whose the statement is: *generic* (about a disease in general:
"〜を特徴とする", "is characterized by", 常见), *literature* (报道, 既報, "has been reported")
and *patient* (本例, "this patient", 该患者).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from .lexicon import Language, Lexicon
from .sentences import Sentence, clause_breaks
from .terms import Automaton, boundary_ok, fold_form

CATEGORIES = (
    "negation", "uncertainty", "historical", "family", "hypothetical", "resolved",
    "improved", "affirmation",
)  # fmt: skip
MARKERS = ("generic", "literature", "patient")
_RE_HIRAGANA = re.compile("[\u3041-\u3096]")
# what may follow the last mention of a list item, or a topic ("Xは，…否定した")
_LIST_JOINERS = frozenset(
    {"", "や", "と", "も", "及び", "および", "または", "又は", "ないし", "・", "とも", "は"}
)


@dataclass(frozen=True, slots=True)
class CueDef:
    category: str  # a CATEGORIES entry, "pseudo", "termination" or "result"
    direction: str  # forward | backward | both | none
    value: str = ""  # the result for category "result"
    form: str = ""
    key: str = ""  # the folded form


@dataclass(slots=True)  # not frozen: made by the hundred, and a frozen one costs 4x
class Cue:
    start: int
    end: int
    defn: CueDef


@dataclass(slots=True)
class Modifiers:
    """The cues that govern one mention."""

    categories: dict[str, Cue] = field(default_factory=dict)
    result: Cue | None = None

    def has(self, category: str) -> bool:
        return category in self.categories


@dataclass(frozen=True, slots=True, eq=False)
class CueRules:
    language: str
    cues: Automaton[tuple[CueDef, ...]]  # context cues and sentence markers together


@lru_cache(maxsize=16)
def compile_cues(lex: Lexicon) -> CueRules:
    """The cue and marker automata of one language (built once)."""
    items: list[tuple[str, CueDef]] = []
    c = lex.cues
    for cat in CATEGORIES:
        d = getattr(c, cat)
        for direction in ("forward", "backward", "both"):
            items += [(f, CueDef(cat, direction, form=f)) for f in getattr(d, direction)]
    items += [(f, CueDef("pseudo", "none", form=f)) for f in c.pseudo]
    items += [(f, CueDef("termination", "none", form=f)) for f in c.termination]
    for result, words in lex.labs.results.items():
        items += [(f, CueDef("result", "both", result, form=f)) for f in words]
    for cat in MARKERS:
        items += [(f, CueDef(cat, "none", form=f)) for f in getattr(c, cat)]
    return CueRules(lex.language, _grouped(items))


def _grouped(items: list[tuple[str, CueDef]]) -> Automaton[tuple[CueDef, ...]]:
    """One automaton entry per form, carrying every definition of that form (a word can
    be a result and an affirmation at once: 陽性, "detected")."""
    by_key: dict[str, list[CueDef]] = {}
    forms: dict[str, str] = {}
    for form, defn in items:
        key = fold_form(form)
        keyed = CueDef(defn.category, defn.direction, defn.value, defn.form, key)
        if keyed not in by_key.setdefault(key, []):
            by_key[key].append(keyed)
        forms.setdefault(key, form)
    return Automaton((forms[k], tuple(v)) for k, v in by_key.items())


Accept = Callable[[int, int, list[tuple[CueDef, ...]]], tuple[tuple[CueDef, ...], int] | None]


def _accept(text: str) -> Accept:
    def accept(
        start: int, end: int, payloads: list[tuple[CueDef, ...]]
    ) -> tuple[tuple[CueDef, ...], int] | None:
        defs = payloads[0]
        stop = boundary_ok(text, start, end, defs[0].key)
        return None if stop is None else (defs, stop)

    return accept


def find_cues(
    rules: CueRules, text: str, folded: str, start: int, end: int
) -> tuple[list[Cue], set[str]]:
    """Context cues in ``text[start:end]`` (leftmost-longest), and which sentence markers
    (generic / literature / patient) the sentence carries."""
    matches = rules.cues.scan(folded, _accept(text), start, end)
    cues = [Cue(m.start, m.end, d) for m in matches for d in m.payload if d.category not in MARKERS]
    markers = {d.category for m in matches for d in m.payload if d.category in MARKERS}
    return cues, markers


def find_cues_each(
    rules: dict[Language, CueRules], text: str, folded: str, sentences: Sequence[Sentence]
) -> list[tuple[list[Cue], set[str]]]:
    """``find_cues`` for each sentence, with the cues of the sentence's language."""
    out: list[tuple[list[Cue], set[str]]] = [([], set()) for _ in sentences]
    accept = _accept(text)
    for lang, lang_rules in rules.items():
        indexes = [k for k, s in enumerate(sentences) if s.language == lang]
        if not indexes:
            continue
        ranges = [(sentences[k].start, sentences[k].end) for k in indexes]
        found = lang_rules.cues.scan_each(folded, accept, ranges)
        for k, matches in zip(indexes, found, strict=True):
            if matches:
                out[k] = _cues_and_markers(matches)
    return out


def _cues_and_markers(
    matches: list[tuple[int, int, tuple[CueDef, ...]]],
) -> tuple[list[Cue], set[str]]:
    cues = [Cue(s, e, d) for s, e, defs in matches for d in defs if d.category not in MARKERS]
    markers = {d.category for _, _, defs in matches for d in defs if d.category in MARKERS}
    return cues, markers


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


class Spanned(Protocol):
    """Anything with a span: a ``Span``, a mention."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


def assign(
    text: str,
    sent_start: int,
    sent_end: int,
    language: Language,
    mentions: Sequence[Spanned],
    cues: list[Cue],
    breaks: tuple[list[int], list[int]] | None = None,
) -> list[Modifiers]:
    """The governing cues of each mention (same order as ``mentions``); ``breaks`` are the
    sentence's clause separators when the caller has them already."""
    if not cues or not mentions:
        return [Modifiers() for _ in mentions]
    cues = [c for c in cues if not any(m.start <= c.start and c.end <= m.end for m in mentions)]
    strong, soft = breaks or clause_breaks(text, sent_start, sent_end, language)
    terminations = [c for c in cues if c.defn.category == "termination"]
    active = [c for c in cues if c.defn.direction in ("forward", "backward", "both")]
    cue_starts = sorted({c.start for c in active})
    out = [Modifiers() for _ in mentions]
    # the mentions by start, to take those a scope holds by bisection
    order = sorted(range(len(mentions)), key=lambda k: mentions[k].start)
    starts = [mentions[k].start for k in order]
    for cue in active:
        lo, hi = _scope(
            text,
            cue,
            sent_start,
            sent_end,
            language,
            strong,
            soft,
            terminations,
            mentions,
            cue_starts,
        )
        for k in order[bisect_left(starts, lo) : bisect_left(starts, hi)]:
            m = mentions[k]  # lo <= m.start < hi
            if m.end > hi or (m.start < cue.end and cue.start < m.end):
                continue  # not wholly in the scope, or the cue is part of it
            mod = out[k]
            cat = cue.defn.category
            if cat == "result":
                if mod.result is None or _distance(cue, m) < _distance(mod.result, m):
                    mod.result = cue
            elif cat not in mod.categories or _distance(cue, m) < _distance(mod.categories[cat], m):
                mod.categories[cat] = cue
    return out


def _distance(cue: Cue, m: Spanned) -> int:
    return cue.start - m.end if cue.start >= m.end else m.start - cue.end


def _scope(
    text: str,
    cue: Cue,
    sent_start: int,
    sent_end: int,
    language: str,
    strong: list[int],
    soft: list[int],
    terminations: list[Cue],
    mentions: Sequence[Spanned],
    cue_starts: list[int],
) -> tuple[int, int]:
    lo, hi = cue.start, cue.end
    open_at, close_at = _parentheses(text, cue.start, sent_start, sent_end)
    if cue.defn.direction in ("forward", "both"):
        hi = sent_end
        for b in strong:
            if b >= cue.end:
                hi = min(hi, b)
                break
        for t in terminations:
            if t.start >= cue.end:
                hi = min(hi, t.start)
                break
        if language in ("zh", "ja"):
            for b in soft:
                if b >= cue.end:
                    hi = min(hi, b)
                    break
    if cue.defn.direction in ("backward", "both"):
        lo = sent_start
        for b in strong:
            if b < cue.start and not (text[b] in ":：" and not text[b + 1 : cue.start].strip()):
                lo = max(lo, b + 1)  # but "Edema: none", "浮腫：なし" label their own line
        for t in terminations:
            if t.end <= cue.start:
                lo = max(lo, t.end)
        if language in ("ja", "zh"):
            lo = _back_over_lists(text, cue.start, lo, soft, mentions, language, cue_starts)
    if open_at >= 0:  # a cue inside "(…)" governs only the parenthesis: "(ソーセージ様)"
        lo, hi = max(lo, open_at + 1), min(hi, close_at)
    return lo, hi


_RE_BRACKET = re.compile(r"[()（）\[\]]")
_RE_CLOSING = re.compile(r"[)）\]]")


def _parentheses(text: str, pos: int, start: int, end: int) -> tuple[int, int]:
    """The innermost parenthesis around ``pos`` within the sentence, or (-1, -1)."""
    depth = 0
    for b in reversed([m.start() for m in _RE_BRACKET.finditer(text, start, pos)]):
        if text[b] in ")）]":
            depth += 1
        elif depth == 0:  # an opening bracket not closed before pos
            close = _RE_CLOSING.search(text, pos, end)
            return b, end if close is None else close.start()
        else:
            depth -= 1
    return -1, -1


def _back_over_lists(
    text: str,
    cue_start: int,
    lo: int,
    soft: list[int],
    mentions: Sequence[Spanned],
    language: str,
    cue_starts: list[int],
) -> int:
    """Extend a backward scope over commas that separate list items, not clauses."""
    seps = [b for b in soft if lo <= b < cue_start]
    if not seps:
        return lo
    if language == "zh":
        return seps[-1] + 1  # Chinese "，" ends a clause; "、" is not a separator here
    for k in range(len(seps) - 1, -1, -1):
        b = seps[k]
        seg_start = seps[k - 1] + 1 if k > 0 else lo
        ends = [m.end for m in mentions if seg_start <= m.start and m.end <= b]
        if not ends:
            item = text[seg_start:b].strip()
            if len(item) > 8 or _RE_HIRAGANA.search(item):
                return b + 1  # a clause, not a bare noun such as 凝固系 in a list
            continue
        tail = text[max(ends) : b].strip()
        if any(max(ends) <= c < b for c in cue_starts):
            return b + 1  # "色素沈着(+)，剛毛(−)": the item has its own cue
        if tail not in _LIST_JOINERS and not (tail.startswith("(") and tail.endswith(")")):
            return b + 1
    return lo
