"""The criteria AST: what a criteria set means, independent of YAML and of SQL.

Composite nodes combine children with Kleene logic; atoms test observations. Thresholds
carry their source and verification tag so every verdict can show them. The knowledge
loader builds these from ``data/criteria/*.yaml``; the per-case evaluator and the SQL
backends both walk them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Comparator = Literal["above", "at_least", "below", "at_most"]
Verification = Literal["VERIFIED", "CORROBORATED", "UNVERIFIED"]
Text = dict[str, str]  # language code → text; "en" always present


@dataclass(frozen=True, slots=True)
class Provenance:
    source: str
    verification: Verification


@dataclass(frozen=True, slots=True)
class Threshold:
    """``value`` in ``unit``, or a multiple of the lab's limit (``ULN``/``LLN``)."""

    comparator: Comparator
    value: float | None = None
    unit: str | None = None
    limit: Literal["ULN", "LLN"] | None = None
    multiple: float = 1.0
    offset: float | None = None  # added to multiple × limit, in ``unit`` (e.g. ULN + 0.25 mmol/L)

    def describe(self) -> str:
        op = {"above": ">", "at_least": "≥", "below": "<", "at_most": "≤"}[self.comparator]
        if self.limit:
            k = "" if self.multiple == 1 else f"{self.multiple:g} × "
            off = ""
            if self.offset:
                sign = "+" if self.offset > 0 else "−"
                off = f" {sign} {abs(self.offset):g} {self.unit or ''}".rstrip()
            return f"{op} {k}{self.limit}{off}"
        unit = "" if self.unit in (None, "1") else f" {self.unit}"
        return f"{op} {self.value:,g}{unit}"


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every node; ``label`` is optional display text."""

    label: Text | None = field(default=None, kw_only=True)
    path: str = field(default="", kw_only=True, compare=False)


@dataclass(frozen=True, slots=True)
class All(Node):
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Any(Node):
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AtLeast(Node):
    n: int
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class NoneOf(Node):
    """An exclusion: true when every child is false; an unknown child keeps it unknown."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not(Node):
    child: Node


@dataclass(frozen=True, slots=True)
class PointsOption:
    points: float
    when: Node
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class PointsDomain:
    """A domain scores the highest of its options that holds (0 if none)."""

    id: str
    label: Text | None
    options: tuple[PointsOption, ...]


@dataclass(frozen=True, slots=True)
class Points(Node):
    """Weighted criteria: true when the guaranteed minimum reaches ``threshold``, false when
    the possible maximum cannot."""

    threshold: float
    domains: tuple[PointsDomain, ...]


@dataclass(frozen=True, slots=True)
class ItemRef(Node):
    item: str


@dataclass(frozen=True, slots=True)
class Fragment(Node):
    """A shared named sub-rule (``data/criteria/_fragments.yaml``), expanded at load."""

    name: str
    child: Node


@dataclass(frozen=True, slots=True)
class ParamSwitch(Node):
    """Chooses a sub-rule by the value of a named parameter (e.g. the VEGF rule)."""

    param: str
    cases: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class Constant(Node):
    """A fixed truth value, e.g. a category that one version of a criteria set lacks."""

    value: bool


@dataclass(frozen=True, slots=True)
class FindingAtom(Node):
    concept: str


@dataclass(frozen=True, slots=True)
class LabAtom(Node):
    """A measured value against a threshold; ``specimen`` restricts which values count."""

    concept: str
    threshold: Threshold
    provenance: Provenance
    specimens: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResultAtom(Node):
    """A qualitative result (e.g. M-protein positive), optionally typed or confirmed."""

    concept: str
    result: str = "positive"
    light_chain: str | None = None
    heavy_chain: str | None = None
    confirmed_by: str | None = None
    specimens: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CriteriaAtom(Node):
    """Whether another criteria set is met (used for exclusions and combined rules)."""

    criteria_id: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PatientAtom(Node):
    attribute: Literal["age", "sex"]
    threshold: Threshold | None = None
    equals: str | None = None
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class FeatureAtom(Node):
    """A computed feature (e.g. nerve-conduction analysis) named in the feature registry."""

    feature: str
    provenance: Provenance | None = None


COMPOSITES = (All, Any, AtLeast, NoneOf, Not, Points, ItemRef, Fragment, ParamSwitch)
ATOMS = (Constant, FindingAtom, LabAtom, ResultAtom, CriteriaAtom, PatientAtom, FeatureAtom)


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-nodes of any node (items are not followed)."""
    if isinstance(node, All | Any | AtLeast | NoneOf):
        return node.children
    if isinstance(node, Not | Fragment):
        return (node.child,)
    if isinstance(node, Points):
        return tuple(opt.when for d in node.domains for opt in d.options)
    if isinstance(node, ParamSwitch):
        return tuple(n for _, n in node.cases)
    return ()
