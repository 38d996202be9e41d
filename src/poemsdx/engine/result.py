"""What an evaluation returns: the evaluated tree and the assessment built on it.

These are plain dataclasses (not pydantic) because they are built on the hot path;
``to_dict`` gives the JSON contract of DESIGN.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .ast import Provenance, Text
from .logic import Truth

Status = Literal["met", "not_met", "undetermined"]


@dataclass(slots=True)
class EvidenceRef:
    """One observation behind a node: what it says, and where it came from."""

    text: str
    observation: int | None = None
    quote: str | None = None
    document_id: str | None = None
    start: int | None = None
    end: int | None = None
    assertion: str = "stated"
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text}
        for key in ("observation", "quote", "document_id", "start", "end", "note"):
            v = getattr(self, key)
            if v is not None:
                d[key] = v
        if self.assertion != "stated":
            d["assertion"] = self.assertion
        return d


@dataclass(slots=True)
class NodeResult:
    kind: str
    truth: Truth
    label: Text | None = None
    children: list[NodeResult] = field(default_factory=list)
    item_id: str | None = None
    role: str | None = None
    concept: str | None = None
    criteria_id: str | None = None
    detail: list[str] = field(default_factory=list)
    evidence: list[EvidenceRef] = field(default_factory=list)
    threshold: str | None = None
    provenance: Provenance | None = None
    param: tuple[str, str] | None = None
    points: tuple[float, float] | None = None
    n: int | None = None
    weight: float | None = None  # points an option earns (weighted sets)
    target: float | None = None  # threshold of a points node
    tests: list[str] = field(default_factory=list)
    path: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "status": self.truth.value}
        for key in ("item_id", "role", "concept", "criteria_id", "threshold", "n"):
            v = getattr(self, key)
            if v is not None:
                d[key] = v
        if self.label:
            d["label"] = self.label
        if self.detail:
            d["detail"] = self.detail
        if self.evidence:
            d["evidence"] = [e.to_dict() for e in self.evidence]
        if self.provenance:
            d["source"] = self.provenance.source
            d["verification"] = self.provenance.verification
        if self.param:
            d["parameter"] = {"name": self.param[0], "value": self.param[1]}
        if self.points:
            d["points"] = {"guaranteed": self.points[0], "possible": self.points[1]}
        if self.tests:
            d["tests"] = self.tests
        if self.children:
            d["children"] = [c.to_dict() for c in self.children]
        return d

    def walk(self) -> list[NodeResult]:
        out = [self]
        for c in self.children:
            out.extend(c.walk())
        return out


@dataclass(slots=True)
class Missing:
    """An unknown that could still change the verdict, and the tests that settle it."""

    label: str
    item_id: str | None
    concept: str | None
    criteria_id: str | None
    tests: list[str]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"label": self.label, "tests": self.tests}
        for key in ("item_id", "concept", "criteria_id"):
            v = getattr(self, key)
            if v is not None:
                d[key] = v
        return d


@dataclass(slots=True)
class NextTest:
    id: str
    label: Text
    settles: list[str]
    note: Text | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "label": self.label, "settles": self.settles}
        if self.note:
            d["note"] = self.note
        return d


@dataclass(slots=True)
class CategoryResult:
    id: str
    label: Text
    truth: Truth
    tree: NodeResult


@dataclass(slots=True)
class Alternative:
    """The verdict under one alternative parameter value."""

    parameter: str
    value: str
    label: Text
    status: Status
    category: str | None
    verification: str | None
    next_tests: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "value": self.value,
            "label": self.label,
            "status": self.status,
            "category": self.category,
            "verification": self.verification,
            "next_tests": self.next_tests,
        }


@dataclass(slots=True)
class Assessment:
    criteria_id: str
    title: Text
    version: str
    kind: str
    disease: str
    citation: list[str]
    verification: str
    status: Status
    category: str | None
    category_label: Text | None
    reachable_categories: list[str]
    tree: NodeResult
    categories: list[CategoryResult]
    missing: list[Missing]
    next_tests: list[NextTest]
    parameters: dict[str, str]
    alternatives: list[Alternative] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    notes: Text | None = None
    category_provenance: Provenance | None = None  # source and tag of the met category's rule
    to_met: float | None = None  # fewest unknowns that must turn positive (undetermined only)
    to_not_met: float | None = None  # fewest unknowns that must turn negative

    @property
    def robust(self) -> bool:
        return all(
            a.status == self.status and a.category == self.category for a in self.alternatives
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "criteria_id": self.criteria_id,
            "title": self.title,
            "version": self.version,
            "kind": self.kind,
            "disease": self.disease,
            "citation": self.citation,
            "verification": self.verification,
            "status": self.status,
            "category": self.category,
            "category_label": self.category_label,
            "category_source": self.category_provenance.source
            if self.category_provenance
            else None,
            "category_verification": (
                self.category_provenance.verification if self.category_provenance else None
            ),
            "reachable_categories": self.reachable_categories,
            "items": self.tree.to_dict(),
            "categories": [
                {"id": c.id, "label": c.label, "status": c.truth.value} for c in self.categories
            ],
            "missing": [m.to_dict() for m in self.missing],
            "next_tests": [t.to_dict() for t in self.next_tests],
            "parameters": self.parameters,
            "robust": self.robust,
            "alternatives": [a.to_dict() for a in self.alternatives],
            "unverified_thresholds": self.unverified,
            "notes": self.notes,
            "distance": _distance(self.to_met, self.to_not_met),
        }


def _distance(to_met: float | None, to_not_met: float | None) -> dict[str, int | None] | None:
    if to_met is None and to_not_met is None:
        return None

    def whole(x: float | None) -> int | None:
        return None if x is None or x == float("inf") else int(x)

    return {"to_met": whole(to_met), "to_not_met": whole(to_not_met)}
