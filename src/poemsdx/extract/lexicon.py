"""The language resources of the extractor: ``data/lexicons/<lang>/*.yaml``, loaded strictly.

Every language has the same five files, so adding a language is adding a folder:

* ``terms.yaml``    concept id → surface forms beyond the names in ``concepts.yaml``;
  a form may need a word in the same sentence (``requires``: 悪性腫瘍 counts as a
  pancreatic malignancy only next to 膵), imply a result (高VEGF血症 → high) or a
  specimen; ``unless`` drops a concept's mention in sentences about something else
  (endoneurial 浮腫 in a nerve biopsy is not oedema); ``signs`` feed the neuropathy pattern.
* ``cues.yaml``     ConText cues per category and direction, pseudo-cues, scope ends,
  and the sentence-level markers of generic, literature and patient statements.
* ``sections.yaml`` section headers by role, and the headings of disease descriptions.
* ``labs.yaml``     reference-range labels, result words, specimens, nerve-table words.
* ``time.yaml``     words of the time grammar (months, "after", "treatment", "admission").

Loading is strict (unknown or duplicate keys fail with ``file:line``) and every concept id
must exist in the knowledge base, so a renamed concept cannot silently stop matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field

from ..errors import KnowledgeError, Location
from ..knowledge.registry import Knowledge
from ..knowledge.schema import Strict, validate
from ..knowledge.yamlload import load_yaml, locate

_T = TypeVar("_T")
Language = Literal["en", "ja", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "ja", "zh")
FILES = ("terms.yaml", "cues.yaml", "sections.yaml", "labs.yaml", "time.yaml")

Result = Literal["positive", "negative", "equivocal", "normal", "abnormal", "high", "low"]
SpecimenName = Literal[
    "serum", "plasma", "blood", "urine", "csf", "bone_marrow", "tissue", "lymph_node"
]
NerveName = Literal[
    "median", "ulnar", "radial", "tibial", "peroneal", "sural", "superficial_peroneal",
    "musculocutaneous", "axillary", "femoral",
]  # fmt: skip
SectionRole = Literal[
    "abstract", "introduction", "case", "chief_complaint", "history", "past_history",
    "family_history", "examination", "investigations", "course", "treatment", "assessment",
    "plan", "discussion", "conclusion", "references", "legend", "keywords", "acknowledgements",
]  # fmt: skip


class _File(Strict):
    schema_version: Literal[1]
    id: str
    language: Language


class TermForm(Strict):
    """A surface form with conditions or implications (a plain string has none)."""

    form: str = Field(min_length=1)
    requires: list[str] = Field(default_factory=list)
    result: Result | None = None
    specimen: SpecimenName | None = None


class Signs(Strict):
    sensory: list[str] = Field(default_factory=list)
    motor: list[str] = Field(default_factory=list)
    reflex: list[str] = Field(default_factory=list)


class TermsFile(_File):
    terms: dict[str, list[str | TermForm]]
    unless: dict[str, list[str]] = Field(default_factory=dict)
    part_of: dict[str, list[str]] = Field(default_factory=dict)
    signs: Signs = Field(default_factory=Signs)


class Directional(Strict):
    """Cues of one category; ``forward`` governs text after it, ``backward`` before it."""

    forward: list[str] = Field(default_factory=list)
    backward: list[str] = Field(default_factory=list)
    both: list[str] = Field(default_factory=list)


class CuesFile(_File):
    negation: Directional
    uncertainty: Directional
    historical: Directional
    family: Directional
    hypothetical: Directional
    resolved: Directional
    improved: Directional
    affirmation: Directional
    pseudo: list[str]
    termination: list[str]
    generic: list[str]
    literature: list[str]
    patient: list[str]


class SectionsFile(_File):
    sections: dict[SectionRole, list[str]]
    encyclopedia: list[str]


class LabsFile(_File):
    reference_labels: list[str]
    results: dict[Result, list[str]]
    specimens: dict[SpecimenName, list[str]]
    # tests whose name says the specimen ("SPEP", 血清免疫固定法): the specimen of an
    # M-protein reported by them later in the clause
    specimen_methods: dict[SpecimenName, list[str]] = Field(default_factory=dict)
    nerves: dict[NerveName, list[str]]
    sides: dict[Literal["left", "right"], list[str]]
    modalities: dict[Literal["motor", "sensory"], list[str]]
    columns: dict[Literal["latency", "amplitude", "velocity", "f_wave"], list[str]]
    not_recordable: list[str]
    presence: list[str]
    monoclonal: list[str]
    # a rise said to be polyclonal ("多克隆增高") is no M-protein
    polyclonal: list[str] = Field(default_factory=list)
    immunofixation: list[str]


class TransplantDays(Strict):
    """Days counted from a transplant's stem-cell infusion, day 0 ("day +9", "D+30",
    "+11天"): the treatment they count from, and the words written before the signed
    number ("day") or after it ("天")."""

    anchor: str
    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)


class TimeFile(_File):
    months: dict[int, list[str]] = Field(default_factory=dict)
    numbers: dict[int, list[str]] = Field(default_factory=dict)
    early: list[str]
    middle: list[str]
    late: list[str]
    after: list[str]
    before: list[str]
    just_before: list[str]
    just_after: list[str]
    at: list[str]
    treatment: list[str]
    admission: list[str]
    onset: list[str]
    units: dict[Literal["Y", "M", "W", "D"], list[str]]
    # words before a date that make it the start of an ongoing state ("since 02/2025"):
    # such a date is not the time of what the text says next
    ongoing_from: list[str] = Field(default_factory=list)
    transplant_days: TransplantDays | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Lexicon:
    """One language's resources (hashed by identity: loaded once, used as a cache key)."""

    language: Language
    terms: TermsFile
    cues: CuesFile
    sections: SectionsFile
    labs: LabsFile
    time: TimeFile


_MODELS: dict[str, type[_File]] = {
    "terms.yaml": TermsFile,
    "cues.yaml": CuesFile,
    "sections.yaml": SectionsFile,
    "labs.yaml": LabsFile,
    "time.yaml": TimeFile,
}


def lexicon_root(kb: Knowledge | None = None) -> Path:
    """``lexicons/`` next to the knowledge base's files, else the shipped one."""
    if kb is not None:
        candidate = Path(kb.root) / "lexicons"
        if candidate.is_dir():
            return candidate
    return Path(str(resources.files("poemsdx") / "data" / "lexicons"))


def load_lexicons(kb: Knowledge) -> dict[Language, Lexicon]:
    """All languages' lexicons for ``kb``, loaded once per knowledge folder."""
    return _load(str(lexicon_root(kb)), tuple(sorted(kb.concepts)))


@cache
def _load(root: str, concepts: tuple[str, ...]) -> dict[Language, Lexicon]:
    known = frozenset(concepts)
    out: dict[Language, Lexicon] = {}
    for lang in LANGUAGES:
        parsed: dict[str, _File] = {}
        for name in FILES:
            path = Path(root) / lang / name
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise KnowledgeError(
                    f"cannot read lexicon file: {exc}", Location(str(path))
                ) from exc
            data = load_yaml(text, str(path))
            model = validate(_MODELS[name], data, str(path))
            if model.language != lang:
                raise KnowledgeError(
                    f"language '{model.language}' does not match the folder '{lang}'",
                    locate(data, ["language"], str(path)),
                )
            if isinstance(model, TermsFile):
                _check_concepts(model, data, str(path), known)
            days = model.transplant_days if isinstance(model, TimeFile) else None
            if days is not None and days.anchor not in known:
                raise KnowledgeError(
                    f"unknown concept '{days.anchor}' (not in concepts.yaml)",
                    locate(data, ["transplant_days", "anchor"], str(path)),
                )
            if isinstance(model, LabsFile):
                for i, cid in enumerate(model.presence):
                    if cid not in known:
                        raise KnowledgeError(
                            f"unknown concept '{cid}' (not in concepts.yaml)",
                            locate(data, ["presence", i], str(path)),
                        )
            parsed[name] = model
        out[lang] = Lexicon(
            lang,
            _as(parsed["terms.yaml"], TermsFile),
            _as(parsed["cues.yaml"], CuesFile),
            _as(parsed["sections.yaml"], SectionsFile),
            _as(parsed["labs.yaml"], LabsFile),
            _as(parsed["time.yaml"], TimeFile),
        )
    return out


def _as(value: object, kind: type[_T]) -> _T:
    if not isinstance(value, kind):  # pragma: no cover - guarded by _MODELS
        raise TypeError(kind.__name__)
    return value


def _check_concepts(model: TermsFile, data: object, filename: str, known: frozenset[str]) -> None:
    for key in ("terms", "unless", "part_of"):
        for cid in getattr(model, key):
            if cid not in known:
                raise KnowledgeError(
                    f"unknown concept '{cid}' (not in concepts.yaml)",
                    locate(data, [key, cid], filename),
                )
