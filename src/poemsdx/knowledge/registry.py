"""The loaded knowledge base: concepts, parameters, tests, fragments and criteria sets.

Loaded once from ``poemsdx/data`` (or another folder, for lint and tests) and frozen.
Cross-references are checked at load: a criteria set naming a concept, parameter, test
or criteria set that does not exist is a ``KnowledgeError`` with its file and line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from ..engine import ast
from ..errors import InputError, KnowledgeError
from .criteria import CriteriaSet, Differential, parse_criteria, parse_differential, parse_fragments
from .schema import (
    Concept,
    ConceptFile,
    Parameter,
    ParameterFile,
    TestFile,
    TestSpec,
    validate,
)
from .yamlload import load_yaml, locate

KNOWLEDGE_FILES = ("concepts.yaml", "parameters.yaml", "tests.yaml")


@dataclass(frozen=True)
class Knowledge:
    """Everything the engine knows; immutable once loaded."""

    concepts: Mapping[str, Concept]
    parameters: Mapping[str, Parameter]
    tests: Mapping[str, TestSpec]
    criteria: Mapping[str, CriteriaSet]
    fragments: Mapping[str, ast.Fragment]
    version: str
    root: str
    differential: Differential | None = None
    _raw: Mapping[str, Any] = field(repr=False, default_factory=dict)

    # -- concepts -------------------------------------------------------------------------
    def concept(self, cid: str) -> Concept:
        try:
            return self.concepts[cid]
        except KeyError:
            raise KnowledgeError(f"unknown concept '{cid}'") from None

    @cached_property
    def _ancestors(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}

        def walk(cid: str, trail: tuple[str, ...]) -> tuple[str, ...]:
            if cid in out:
                return out[cid]
            if cid in trail:
                where = locate(
                    self._raw.get("concepts.yaml"),
                    ["concepts", cid, "parents"],
                    str(Path(self.root) / "concepts.yaml"),
                )
                raise KnowledgeError(
                    f"concept hierarchy has a cycle: {' → '.join((*trail, cid))}", where
                )
            seen: list[str] = []
            for p in self.concepts[cid].parents:
                for a in (p, *walk(p, (*trail, cid))):
                    if a not in seen:
                        seen.append(a)
            out[cid] = tuple(seen)
            return out[cid]

        for cid in self.concepts:
            walk(cid, ())
        return out

    def ancestors(self, cid: str) -> tuple[str, ...]:
        """All concepts ``cid`` is a kind of, nearest first."""
        return self._ancestors.get(cid, ())

    @cached_property
    def _descendants(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {c: [] for c in self.concepts}
        for cid, ancs in self._ancestors.items():
            for a in ancs:
                out[a].append(cid)
        return {k: tuple(v) for k, v in out.items()}

    def descendants(self, cid: str) -> tuple[str, ...]:
        return self._descendants.get(cid, ())

    @cached_property
    def _children(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {c: [] for c in self.concepts}
        for cid, c in self.concepts.items():
            for p in c.parents:
                out[p].append(cid)
        return {k: tuple(v) for k, v in out.items()}

    def children(self, cid: str) -> tuple[str, ...]:
        """Direct sub-concepts of ``cid``."""
        return self._children.get(cid, ())

    def label(self, cid: str, lang: str = "en") -> str:
        names = self._names.get(cid)
        if names is None:
            return cid
        return names.get(lang) or names["en"]

    @cached_property
    def _names(self) -> dict[str, dict[str, str]]:
        return {
            cid: {lang: ns[0] for lang, ns in c.names.items() if ns}
            for cid, c in self.concepts.items()
        }

    def names(self, cid: str) -> dict[str, str]:
        """Preferred name of a concept in every language it has (a label dict)."""
        return self._names.get(cid, {"en": cid})

    # -- tests ----------------------------------------------------------------------------
    @cached_property
    def _tests_by_concept(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for tid, spec in self.tests.items():
            for cid in spec.settles:
                out.setdefault(cid, []).append(tid)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _tests_resolved(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for cid in self.concepts:
            for c in (cid, *self.ancestors(cid)):
                if c in self._tests_by_concept:
                    out[cid] = self._tests_by_concept[c]
                    break
        return out

    def tests_for(self, cid: str) -> tuple[str, ...]:
        """Tests that settle a concept: its own, else the nearest ancestor's."""
        return self._tests_resolved.get(cid, ())

    # -- criteria -------------------------------------------------------------------------
    def criteria_set(self, cid: str) -> CriteriaSet:
        """A criteria set by id; an unknown id is the caller's input error."""
        try:
            return self.criteria[cid]
        except KeyError:
            known = ", ".join(self.criteria)
            raise InputError(f"unknown criteria set '{cid}'; known: {known}") from None

    def iter_criteria(self, ids: Iterable[str] | None = None) -> Iterator[CriteriaSet]:
        if ids is None:
            yield from self.criteria.values()
        else:
            for cid in ids:
                yield self.criteria_set(cid)

    def raw(self, filename: str) -> Any:
        return self._raw.get(filename)


def _version(root: Path) -> str:
    """A hash of every knowledge file (criteria, lexicons, limits, response definitions), so
    a stored assessment names exactly the knowledge that produced it."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _read(path: Path) -> tuple[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"cannot read {path.name}: {exc}") from exc
    return text, load_yaml(text, str(path))


def load_knowledge(root: str | Path | None = None) -> Knowledge:
    """Load and cross-check a knowledge folder (default: the one shipped in the package)."""
    if root is None:
        return _default_knowledge()
    return _load(Path(root))


@cache
def _default_knowledge() -> Knowledge:
    return _load(Path(str(resources.files("poemsdx") / "data")))


def _load(root: Path) -> Knowledge:
    kb = _load_unchecked(root)
    from .references import check_references

    problems = check_references(kb)
    if problems:
        raise problems[0]
    return kb


def _load_unchecked(root: Path) -> Knowledge:
    """Load and validate each file, without the cross-file reference checks."""
    raw: dict[str, Any] = {}

    def read(rel: str) -> Any:
        _, data = _read(root / rel)
        raw[rel] = data
        return data

    concepts = validate(ConceptFile, read("concepts.yaml"), str(root / "concepts.yaml")).concepts
    params = validate(
        ParameterFile, read("parameters.yaml"), str(root / "parameters.yaml")
    ).parameters
    tests = validate(TestFile, read("tests.yaml"), str(root / "tests.yaml")).tests
    frag_rel = "criteria/_fragments.yaml"
    fragments = (
        parse_fragments(read(frag_rel), str(root / frag_rel)) if (root / frag_rel).exists() else {}
    )
    criteria: dict[str, CriteriaSet] = {}
    for path in sorted((root / "criteria").glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        rel = f"criteria/{path.name}"
        crit = parse_criteria(read(rel), str(path), fragments)
        if crit.id in criteria:
            raise KnowledgeError(
                f"criteria id '{crit.id}' is also defined in {criteria[crit.id].filename}",
                locate(raw[rel], ["id"], str(path)),
            )
        if path.stem != crit.id:
            raise KnowledgeError(
                f"file name must match the id: rename to {crit.id}.yaml",
                locate(raw[rel], ["id"], str(path)),
            )
        criteria[crit.id] = crit
    criteria = dict(sorted(criteria.items(), key=lambda kv: (kv[1].header.order, kv[0])))
    diff_rel = "differential.yaml"
    differential = (
        parse_differential(read(diff_rel), str(root / diff_rel), fragments)
        if (root / diff_rel).exists()
        else None
    )
    return Knowledge(
        concepts,
        params,
        tests,
        criteria,
        fragments,
        _version(root),
        str(root),
        differential,
        raw,
    )
