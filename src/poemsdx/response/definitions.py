"""The response definitions (``data/response.yaml``): schema, strict loading, cross-checks.

The file is validated with the knowledge base's strict loader, so a duplicate or unknown
key is a ``KnowledgeError`` with ``file:line:col``; every concept, test and category it
names is checked against the loaded knowledge base.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..errors import KnowledgeError, Location
from ..knowledge.registry import Knowledge
from ..knowledge.schema import LANGUAGES, Strict, Text, Verification, validate
from ..knowledge.yamlload import load_yaml

__all__ = [
    "Amount",
    "Condition",
    "Definition",
    "Domain",
    "ResponseDefinitions",
    "Rule",
    "condition_concepts",
    "load_definitions",
]

Category = Literal[
    "complete",
    "partial",
    "stable",
    "progression",
    "not_complete",
    "improvement",
    "worsening",
    "undetermined",
    "not_applicable",
    "depends_on_definition",
]
DOMAINS = ("vegf", "hematologic", "clinical", "radiologic")


class Amount(Strict):
    value: float
    unit: str


class NegativeBy(Strict):
    """Every listed specimen negative by ``method`` (any of ``concepts``) at the time point."""

    method: str
    concepts: list[str] = Field(min_length=1)
    specimens: list[str] = Field(min_length=1)


class Condition(Strict):
    """Exactly one test; ``all`` / ``any`` combine tests (Kleene logic)."""

    model_config = Strict.model_config | {"populate_by_name": True}

    below_uln: Literal[True] | None = None
    above_uln: Literal[True] | None = None
    below: Amount | None = None
    change_at_most: float | None = None
    change_at_least: float | None = None
    increase_at_least: Amount | None = None
    points_at_most: float | None = None
    points_at_least: float | None = None
    measurable: Amount | None = None
    negative_by: NegativeBy | None = None
    finding_absent: str | None = None
    all_of: list[Condition] | None = Field(default=None, alias="all")
    any_of: list[Condition] | None = Field(default=None, alias="any")

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            names = ", ".join(f.alias or n for n, f in type(self).model_fields.items())
            raise ValueError(f"a condition needs exactly one of: {names}; got {len(given)}")
        return self

    @property
    def kind(self) -> str:
        for name in type(self).model_fields:
            if getattr(self, name) is not None:
                return name
        raise AssertionError("validated condition has no test")  # pragma: no cover


class Rule(Strict):
    category: Category
    label: Text
    when: Condition
    source: str
    verification: Verification


class Otherwise(Strict):
    category: Category
    label: Text
    source: str
    verification: Verification


class Marker(Strict):
    """The followed value: a concept and the specimens a definition applies to
    (empty: any specimen, e.g. a clinical score)."""

    concept: str
    specimens: list[str] = Field(default_factory=list)


class Definition(Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    label: Text
    marker: Marker
    note: Text | None = None
    rules: list[Rule]
    otherwise: Otherwise


class FindingsSpec(Strict):
    concepts: list[str]


class Domain(Strict):
    label: Text
    source: str
    verification: Verification
    tests: list[str] = Field(default_factory=list)
    note: Text | None = None
    definitions: list[Definition] = Field(min_length=1)
    findings: FindingsSpec | None = None


class LocalConcept(Strict):
    names: dict[str, list[str]]
    unit: str | None = None

    @field_validator("names")
    @classmethod
    def _names(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        if not v.get("en"):
            raise ValueError("a concept needs at least one English name")
        unknown = set(v) - set(LANGUAGES)
        if unknown:
            raise ValueError(f"unknown language {sorted(unknown)}; allowed: {', '.join(LANGUAGES)}")
        return v


class DiscordanceMarker(Strict):
    concept: str
    tracks: str
    better: Literal["lower", "higher"] = "lower"


class DiscordanceSpec(Strict):
    threshold_percent: float = Field(gt=0)
    source: str
    verification: Verification
    explanation: Text
    markers: list[DiscordanceMarker]


class PlotSpec(Strict):
    priority: list[str] = Field(default_factory=list)


class ResponseFile(Strict):
    schema_version: Literal[1]
    id: str
    version: str
    citation: list[str]
    concepts: dict[str, LocalConcept] = Field(default_factory=dict)
    categories: dict[Category, Text]
    domains: dict[Literal["vegf", "hematologic", "clinical", "radiologic"], Domain]
    discordance: DiscordanceSpec
    plot: PlotSpec = PlotSpec()


class ResponseDefinitions:
    """The loaded definitions plus label lookup for the concepts they add."""

    def __init__(self, spec: ResponseFile, digest: str, filename: str) -> None:
        self.spec = spec
        self.digest = digest
        self.filename = filename

    @property
    def version(self) -> str:
        """``<version>+<sha256 prefix>``: changes whenever the file changes."""
        return f"{self.spec.version}+{self.digest}"

    @property
    def domains(self) -> dict[str, Domain]:
        return {str(name): d for name, d in self.spec.domains.items()}

    def category_label(self, category: str) -> dict[str, str]:
        for cid, label in self.spec.categories.items():
            if cid == category:
                return dict(label)
        return {"en": category}

    def names(self, kb: Knowledge, concept: str) -> dict[str, str]:
        """Preferred name per language, from the catalogue or this file's own concepts."""
        local = self.spec.concepts.get(concept)
        if local is not None:
            return {lang: ns[0] for lang, ns in local.names.items() if ns}
        return kb.names(concept)

    def unit(self, kb: Knowledge, concept: str) -> str | None:
        local = self.spec.concepts.get(concept)
        if local is not None:
            return local.unit
        c = kb.concepts.get(concept)
        return c.unit if c else None

    def check(self, kb: Knowledge) -> None:
        """Every concept, test and tracked disease named here must exist."""
        spec, where = self.spec, Location(self.filename)
        for cid in spec.concepts:
            if cid in kb.concepts:
                raise KnowledgeError(
                    f"concept '{cid}' is defined both here and in concepts.yaml; keep one",
                    Location(self.filename, path=f"concepts.{cid}"),
                )
        known = set(kb.concepts) | set(spec.concepts)
        for name, domain in spec.domains.items():
            for test in domain.tests:
                if test not in kb.tests:
                    raise KnowledgeError(
                        f"unknown test '{test}' in domain '{name}'; known: {', '.join(kb.tests)}",
                        Location(self.filename, path=f"domains.{name}.tests"),
                    )
            refs = list(domain.findings.concepts) if domain.findings else []
            for d in domain.definitions:
                refs.append(d.marker.concept)
                for rule in d.rules:
                    refs.extend(condition_concepts(rule.when))
            for cid in refs:
                if cid not in known:
                    raise KnowledgeError(
                        f"unknown concept '{cid}' in domain '{name}'",
                        Location(self.filename, path=f"domains.{name}"),
                    )
        for m in spec.discordance.markers:
            for cid in (m.concept, m.tracks):
                if cid not in known:
                    raise KnowledgeError(f"unknown concept '{cid}' in discordance markers", where)
        for cid in spec.plot.priority:
            if cid not in known:
                raise KnowledgeError(f"unknown concept '{cid}' in plot.priority", where)


def condition_concepts(cond: Condition) -> list[str]:
    """Concepts a condition reads besides the definition's marker."""
    out: list[str] = []
    if cond.negative_by is not None:
        out.extend(cond.negative_by.concepts)
    if cond.finding_absent is not None:
        out.append(cond.finding_absent)
    for sub in (cond.all_of or []) + (cond.any_of or []):
        out.extend(condition_concepts(sub))
    return out


def load_definitions(kb: Knowledge, path: str | Path | None = None) -> ResponseDefinitions:
    """Load ``response.yaml`` (default: the shipped one) and check it against ``kb``."""
    if path is None:
        return _shipped(kb)
    return _load(Path(path), kb)


def _shipped(kb: Knowledge) -> ResponseDefinitions:
    defs = _parse_shipped()
    defs.check(kb)  # cheap; the knowledge base may be a test's own folder
    return defs


@cache
def _parse_shipped() -> ResponseDefinitions:
    return _parse(Path(str(resources.files("poemsdx") / "data" / "response.yaml")))


def _load(path: Path, kb: Knowledge) -> ResponseDefinitions:
    defs = _parse(path)
    defs.check(kb)
    return defs


def _parse(path: Path) -> ResponseDefinitions:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"cannot read {path.name}: {exc}", Location(str(path))) from exc
    data: Any = load_yaml(text, str(path))
    spec = validate(ResponseFile, data, str(path))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return ResponseDefinitions(spec, digest, str(path))
