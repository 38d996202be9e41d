"""The evaluated tree as a readable checklist: one walk shared by every renderer.

The engine's tree mirrors the criteria file, wrappers included (a shared fragment, a
parameter switch, a one-child ``any``). A clinician wants one row per criterion, so
wrappers are folded into the row they wrap — keeping their source, verification tag and
the parameter value in force — and an item shown once is not spelled out again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..engine.result import NodeResult
from ..knowledge.registry import Knowledge
from ..model import Case
from ._locale import Locale

_HIDDEN = frozenset({"fragment", "param"})
_PHRASED = frozenset({"all", "any", "at_least", "none_of", "not", "points"})
_PASS_THROUGH = frozenset({"all", "any"})


@dataclass(slots=True)
class EvidenceLine:
    """One observation behind a row, as the engine stated it, with the source words."""

    text: str
    quote: str | None = None
    note: str | None = None
    inferred: bool = False


@dataclass(slots=True)
class Row:
    """One checklist line; ``children`` are the criteria it combines (``group`` says how)."""

    truth: str
    symbol: str
    label: str
    role: str | None = None
    group: str | None = None
    evidence: list[EvidenceLine] = field(default_factory=list)
    threshold: str | None = None
    sources: list[tuple[str, str]] = field(default_factory=list)
    parameter: str | None = None
    detail: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    repeat: bool = False
    children: list[Row] = field(default_factory=list)

    @property
    def unverified(self) -> bool:
        return any(tag == "UNVERIFIED" for _, tag in self.sources)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Row]]:
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


class ChecklistBuilder:
    """Builds the rows of one assessment; remembers items already shown."""

    def __init__(self, kb: Knowledge, case: Case, t: Locale) -> None:
        self.kb, self.case, self.t = kb, case, t
        self._seen: set[int] = set()

    def rows(self, root: NodeResult) -> list[Row]:
        node, _ = _skip(root)
        if node.kind == "categories" or (node.kind == "all" and not node.label):
            return self._siblings(node.children)
        return [self._row(root)]

    def _row(self, start: NodeResult) -> Row:
        head, carried = _skip(start) if start.kind in _HIDDEN else (start, [])
        label = self.t.text(head.label) or next(
            (self.t.text(c.label) for c in reversed(carried) if c.label), ""
        )
        row = Row(head.truth.value, head.truth.symbol, label or self._phrase(head))
        row.role = self.t.word("role", head.role) if head.role else None
        if head.kind == "item":
            row.repeat = id(head) in self._seen
            self._seen.add(id(head))
            if row.repeat:
                return row
        for part in (*carried, head):
            self._annotate(row, part)
        kids = head.children
        if head.kind in _PHRASED and head.label is None and label:
            row.group = self._phrase(head)
        if len(kids) == 1:
            body, more = _skip(kids[0])
            if not body.children or (body.kind in _PHRASED and body.label is None):
                for part in more:
                    self._annotate(row, part)
                if body.children:
                    row.group, kids = self._phrase(body), body.children
                else:
                    self._merge_leaf(row, head, body)
                    kids = []
        row.children = self._siblings(kids)
        return row

    def _merge_leaf(self, row: Row, head: NodeResult, leaf: NodeResult) -> None:
        """Fold a lone atom into its criterion; name it when it is not the same words."""
        name = self.t.text(leaf.label)
        head_en = (head.label or {}).get("en", "").casefold()
        if name and (leaf.label or {}).get("en", "").casefold() not in head_en:
            row.detail.insert(0, name)
        self._annotate(row, leaf)

    def _annotate(self, row: Row, node: NodeResult) -> None:
        for ref in node.evidence:
            row.evidence.append(
                EvidenceLine(
                    ref.text, ref.quote, self._note(ref.observation), ref.assertion == "inferred"
                )
            )
        row.threshold = row.threshold or node.threshold
        if node.provenance:
            source = (node.provenance.source, node.provenance.verification)
            if source not in row.sources:
                row.sources.append(source)
        if node.param:
            row.parameter = self.parameter(*node.param)
        row.detail.extend(d for d in node.detail if d not in row.detail)
        for tid in node.tests:
            label = self.test(tid)
            if label not in row.tests:
                row.tests.append(label)

    def _note(self, index: int | None) -> str | None:
        if index is None or not 0 <= index < len(self.case.observations):
            return None
        evidence = self.case.observations[index].evidence
        return evidence[0].note if evidence else None

    def _siblings(self, kids: list[NodeResult]) -> list[Row]:
        """Rows for siblings; unknown plain atoms settled by the same tests share one row."""
        out: list[Row] = []
        for kid in kids:
            row = self._row(kid)
            prev = out[-1] if out else None
            if prev is not None and _same_unknown(prev, row):
                prev.label = f"{prev.label}{self.t('sep.list')}{row.label}"
                continue
            out.append(row)
        return out

    def _phrase(self, node: NodeResult) -> str:
        if node.kind == "at_least":
            return self.t("group.at_least", n=node.n)
        if node.kind in _PHRASED:
            return self.t(f"group.{node.kind}")
        return node.kind.replace("_", " ")

    # -- knowledge lookups shared with the view ------------------------------------------
    def test(self, tid: str) -> str:
        spec = self.kb.tests.get(tid)
        return self.t.text(spec.label, tid) if spec else tid

    def parameter(self, name: str, value: str) -> str:
        spec = self.kb.parameters.get(name)
        if spec is None:
            return f"{name}: {value}"
        vspec = spec.values.get(value)
        shown = self.t.text(vspec.label, value) if vspec else value
        return f"{self.t.text(spec.label, name)}: {shown}"


def _skip(node: NodeResult) -> tuple[NodeResult, list[NodeResult]]:
    """Follow wrappers (fragments, parameter switches, one-child unlabelled and/or)."""
    carried: list[NodeResult] = []
    while len(node.children) == 1 and (
        node.kind in _HIDDEN or (node.kind in _PASS_THROUGH and node.label is None)
    ):
        carried.append(node)
        node = node.children[0]
    return node, carried


def _same_unknown(a: Row, b: Row) -> bool:
    """Two plain unknown atoms settled by the same tests: one row reads better."""
    return _plain_unknown(a) and _plain_unknown(b) and a.tests == b.tests


def _plain_unknown(row: Row) -> bool:
    return (
        row.truth == "unknown"
        and not (row.children or row.evidence or row.detail or row.role or row.repeat)
        and row.threshold is None
        and not row.sources
        and row.parameter is None
    )
