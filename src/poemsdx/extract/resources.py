"""Everything the extractor compiles from the knowledge base and the lexicons, built once
per knowledge folder and shared by every call (the automata take a few milliseconds to
build; extraction of a case report takes about as long)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from ..knowledge.registry import Knowledge
from .context import CueRules, compile_cues
from .labs import LabRules, compile_labs
from .lexicon import LANGUAGES, Language, Lexicon, load_lexicons
from .ncs import NcsRules, compile_ncs
from .sections import keep_line_pattern
from .terms import Automaton, fold_form, needs_exact_case, share
from .timeline import TimeRules, compile_time


@dataclass(frozen=True, slots=True)
class Entry:
    """One surface form of a concept."""

    concept: str
    form: str
    key: str  # folded form
    language: Language
    exact_case: bool
    requires: tuple[str, ...] = ()  # folded words, one of which must be in the sentence
    result: str | None = None
    specimen: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Resources:
    lexicons: dict[Language, Lexicon]
    ordered: tuple[Lexicon, ...]
    terms: Automaton[tuple[Entry, ...]]
    signs: Automaton[tuple[Entry, ...]]
    cues: dict[Language, CueRules]
    labs: LabRules
    ncs: NcsRules
    time: TimeRules
    keep_line: re.Pattern[str]
    unless: dict[str, tuple[str, ...]]
    part_of: dict[str, frozenset[str]]
    presence: frozenset[str]
    kinds: dict[str, str]
    units: dict[str, str | None]
    specimens: dict[str, tuple[str, ...]]
    specimen_required: frozenset[str]
    directed: frozenset[str]
    molar: frozenset[str]


_lock = threading.Lock()
_cache: dict[tuple[str, str, int], Resources] = {}


def resources(kb: Knowledge) -> Resources:
    """The compiled resources for ``kb`` (cached)."""
    key = (kb.root, kb.version, id(kb.concepts))
    found = _cache.get(key)
    if found is None:
        with _lock:
            found = _cache.get(key)
            if found is None:
                found = _build(kb)
                _cache[key] = found
    return found


def _entry(
    concept: str,
    form: str,
    lang: Language,
    requires: list[str] | None = None,
    result: str | None = None,
    specimen: str | None = None,
) -> Entry:
    words = tuple(fold_form(w) for w in requires or ())
    return Entry(
        concept, form, fold_form(form), lang, needs_exact_case(form), words, result, specimen
    )


def _grouped(entries: list[Entry]) -> Automaton[tuple[Entry, ...]]:
    """One automaton entry per spelling with all its entries, in lexicon order."""
    by_key: dict[str, list[Entry]] = {}
    for e in entries:
        by_key.setdefault(e.key, []).append(e)
    return Automaton((group[0].form, tuple(group)) for group in by_key.values())


def _build(kb: Knowledge) -> Resources:
    lexicons = load_lexicons(kb)
    ordered = tuple(lexicons[lang] for lang in LANGUAGES)
    entries: list[Entry] = []
    sign_entries: list[Entry] = []
    unless: dict[str, list[str]] = {}
    part_of: dict[str, set[str]] = {}
    presence: set[str] = set()
    for lang in LANGUAGES:
        t = lexicons[lang].terms
        for cid, forms in t.terms.items():
            for f in forms:
                if isinstance(f, str):
                    entries.append(_entry(cid, f, lang))
                else:
                    entries.append(_entry(cid, f.form, lang, f.requires, f.result, f.specimen))
        for cls in ("sensory", "motor", "reflex"):
            sign_entries += [_entry(cls, w, lang) for w in getattr(t.signs, cls)]
        for cid, words in t.unless.items():
            unless.setdefault(cid, []).extend(fold_form(w) for w in words)
        for cid, wholes in t.part_of.items():
            part_of.setdefault(cid, set()).update(wholes)
        presence.update(lexicons[lang].labs.presence)
    # concepts.yaml names after the lexicon forms: where both spell a form the same way,
    # the lexicon's (which may carry a result or specimen) is tried first
    for cid, concept in kb.concepts.items():
        for lang in LANGUAGES:
            for name in concept.names.get(lang, []):
                entries.append(_entry(cid, name, lang))
    concepts = kb.concepts
    terms, signs = _grouped(entries), _grouped(sign_entries)
    cues = {lang: compile_cues(lexicons[lang]) for lang in LANGUAGES}
    share([terms, signs, *(c.cues for c in cues.values())])  # one pass over a text for all
    return Resources(
        lexicons=lexicons,
        ordered=ordered,
        terms=terms,
        signs=signs,
        cues=cues,
        labs=compile_labs(ordered),
        ncs=compile_ncs(ordered),
        time=compile_time(ordered),
        keep_line=keep_line_pattern(ordered),
        unless={k: tuple(v) for k, v in unless.items()},
        part_of={k: frozenset(v) for k, v in part_of.items()},
        presence=frozenset(presence),
        kinds={cid: c.kind for cid, c in concepts.items()},
        units={cid: c.unit for cid, c in concepts.items()},
        specimens={cid: tuple(c.specimens) for cid, c in concepts.items()},
        specimen_required=frozenset(cid for cid, c in concepts.items() if c.specimen_required),
        directed=frozenset(cid for cid, c in concepts.items() if c.disease_directed),
        molar=frozenset(cid for cid, c in concepts.items() if c.molar_mass_g_per_mol),
    )
