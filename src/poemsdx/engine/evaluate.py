"""The per-case evaluator: the reference meaning of every criteria set.

``Evaluator`` walks a criteria AST over a case's ``Facts`` with Kleene logic and returns
the evaluated tree. ``assess`` turns that into an ``Assessment``: status and category,
the unknowns that could still change them, the tests that would settle them, and the
verdict under every alternative parameter value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from ..errors import EngineError, InputError
from ..knowledge.criteria import CriteriaSet
from ..model import Measurement
from . import ast
from .compare import compare_to_limit, compare_to_value, fmt
from .facts import Facts, Support, Timepoint
from .logic import F, T, Truth, U, all_of, any_of, at_least, none_of
from .result import (
    Alternative,
    Assessment,
    CategoryResult,
    EvidenceRef,
    Missing,
    NextTest,
    NodeResult,
    Status,
)

if TYPE_CHECKING:
    from ..knowledge.registry import Knowledge

ENGINE_PARAMETERS = ("timepoint",)
FeatureFn = Callable[[Facts], tuple[Truth, list[str], list[Support]]]
FEATURES: dict[str, FeatureFn] = {}


# Modules that register features when imported; loaded on first use to avoid import cycles.
FEATURE_MODULES = ("poemsdx.ncs",)


def feature(name: str) -> FeatureFn | None:
    """The computed feature ``name``, loading the feature modules if needed."""
    if name not in FEATURES:
        import importlib

        for module in FEATURE_MODULES:
            importlib.import_module(module)
    return FEATURES.get(name)


def register_feature(name: str) -> Callable[[FeatureFn], FeatureFn]:
    """Register a computed feature usable as ``{feature: name}`` in criteria files."""

    def wrap(fn: FeatureFn) -> FeatureFn:
        FEATURES[name] = fn
        return fn

    return wrap


def _evidence(support: Iterable[Support], facts: Facts) -> list[EvidenceRef]:
    if not support:
        return []
    out = []
    for s in support:
        ref = EvidenceRef(s.text, s.index)
        obs = s.observation
        if obs is not None and obs.evidence:
            ev = obs.evidence[0]
            ref.quote, ref.document_id = ev.quote, ev.document_id
            ref.start, ref.end, ref.assertion = ev.start, ev.end, ev.assertion
            ref.note = ev.note
        out.append(ref)
    return out


class Evaluator:
    """Evaluates criteria sets on one case under one choice of parameters."""

    def __init__(
        self, kb: Knowledge, facts: Facts, params: Mapping[str, str] | None = None
    ) -> None:
        self.kb = kb
        self.facts = facts
        self.params = dict(params or {})
        self._criteria_memo: dict[tuple[str, bool], Assessment] = {}
        self._tests_memo: dict[str, list[str]] = {}
        self.detail = True  # False while only verdicts are needed (no evidence lists)

    def param(self, crit: CriteriaSet, name: str) -> str:
        if name in self.params:
            return self.params[name]
        spec = self.kb.parameters.get(name)
        if spec is None:
            raise EngineError(f"unknown parameter '{name}'")
        return crit.param_default(name, spec.default)

    @property
    def timepoint(self) -> Timepoint:
        value = self.params.get("timepoint", self.kb.parameters["timepoint"].default)
        return value  # type: ignore[return-value]

    # -- tree -----------------------------------------------------------------------------
    def node(self, n: ast.Node, crit: CriteriaSet, items: dict[str, NodeResult]) -> NodeResult:
        method = _DISPATCH.get(type(n))
        if method is None:
            raise EngineError(f"cannot evaluate node {type(n).__name__}")
        return method(self, n, crit, items)

    def _kids(
        self, n: ast.Node, crit: CriteriaSet, items: dict[str, NodeResult]
    ) -> list[NodeResult]:
        return [self.node(c, crit, items) for c in ast.children(n)]

    def _all(self, n: ast.All, crit: CriteriaSet, items: dict[str, NodeResult]) -> NodeResult:
        kids = self._kids(n, crit, items)
        return NodeResult("all", all_of(k.truth for k in kids), n.label, kids, path=n.path)

    def _any(self, n: ast.Any, crit: CriteriaSet, items: dict[str, NodeResult]) -> NodeResult:
        kids = self._kids(n, crit, items)
        return NodeResult("any", any_of(k.truth for k in kids), n.label, kids, path=n.path)

    def _at_least(
        self, n: ast.AtLeast, crit: CriteriaSet, items: dict[str, NodeResult]
    ) -> NodeResult:
        kids = self._kids(n, crit, items)
        truth = at_least(n.n, (k.truth for k in kids))
        return NodeResult("at_least", truth, n.label, kids, n=n.n, path=n.path)

    def _none_of(
        self, n: ast.NoneOf, crit: CriteriaSet, items: dict[str, NodeResult]
    ) -> NodeResult:
        kids = self._kids(n, crit, items)
        return NodeResult("none_of", none_of(k.truth for k in kids), n.label, kids, path=n.path)

    def _not(self, n: ast.Not, crit: CriteriaSet, items: dict[str, NodeResult]) -> NodeResult:
        kid = self.node(n.child, crit, items)
        return NodeResult("not", ~kid.truth, n.label, [kid], path=n.path)

    def _fragment(
        self, n: ast.Fragment, crit: CriteriaSet, items: dict[str, NodeResult]
    ) -> NodeResult:
        kid = self.node(n.child, crit, items)
        return NodeResult("fragment", kid.truth, n.label, [kid], path=n.path)

    def _item(self, n: ast.ItemRef, crit: CriteriaSet, items: dict[str, NodeResult]) -> NodeResult:
        if n.item not in items:
            spec = crit.items[n.item]
            kid = self.node(spec.node, crit, items)
            items[n.item] = NodeResult(
                "item", kid.truth, spec.label, [kid], item_id=n.item, role=spec.role, path=n.path
            )
        return items[n.item]

    def _switch(
        self, n: ast.ParamSwitch, crit: CriteriaSet, items: dict[str, NodeResult]
    ) -> NodeResult:
        value = self.param(crit, n.param)
        cases = dict(n.cases)
        if value not in cases:
            allowed = ", ".join(cases)
            raise InputError(
                f"'{value}' is not a value of parameter '{n.param}'; allowed: {allowed}"
            )
        kid = self.node(cases[value], crit, items)
        return NodeResult("param", kid.truth, n.label, [kid], param=(n.param, value), path=n.path)

    def _points(self, n: ast.Points, crit: CriteriaSet, items: dict[str, NodeResult]) -> NodeResult:
        low = high = 0.0
        kids: list[NodeResult] = []
        for d in n.domains:
            opts = [(o, self.node(o.when, crit, items)) for o in d.options]
            sure = [o.points for o, r in opts if r.truth is T]
            maybe = [o.points for o, r in opts if r.truth is not F]
            d_low, d_high = max(sure, default=0.0), max(maybe, default=0.0)
            low, high = low + d_low, high + d_high
            children = []
            for o, r in opts:
                r.detail = [f"{fmt(o.points)} points", *r.detail]
                r.weight = o.points
                if o.provenance and r.provenance is None:
                    r.provenance = o.provenance
                children.append(r)
            kids.append(
                NodeResult(
                    "domain",
                    # true once the domain surely scores, false when it cannot score at all
                    T if d_low > 0 else F if d_high == 0 else U,
                    d.label or {"en": d.id},
                    children,
                    points=(d_low, d_high),
                    detail=[
                        f"{fmt(d_low)}–{fmt(d_high)} points"
                        if d_low != d_high
                        else f"{fmt(d_low)} points"
                    ],
                )
            )
        truth = T if low >= n.threshold else F if high < n.threshold else U
        detail = [f"points {fmt(low)}–{fmt(high)} (threshold {fmt(n.threshold)})"]
        return NodeResult(
            "points",
            truth,
            n.label,
            kids,
            points=(low, high),
            detail=detail,
            path=n.path,
            threshold=f"≥ {fmt(n.threshold)} points",
            target=n.threshold,
        )

    # -- atoms ----------------------------------------------------------------------------
    def _constant(
        self, n: ast.Constant, crit: CriteriaSet, items: dict[str, NodeResult]
    ) -> NodeResult:
        return NodeResult("constant", T if n.value else F, n.label, path=n.path)

    def _finding(
        self, n: ast.FindingAtom, crit: CriteriaSet, items: dict[str, NodeResult]
    ) -> NodeResult:
        fact = self.facts.finding(n.concept)
        label = n.label or self.kb.names(n.concept)
        evidence = _evidence(fact.support, self.facts) if self.detail else []
        return NodeResult(
            "finding", fact.truth, label, concept=n.concept, evidence=evidence, path=n.path
        )

    def _usable(
        self, concept: str, specimens: tuple[str, ...]
    ) -> tuple[list[tuple[int, Measurement]], list[str]]:
        """Measurements an atom may use; values it may not use are named, not dropped."""
        c = self.kb.concepts.get(concept)
        all_values = self.facts.measurements(concept, (), "any")
        chosen = self.facts.measurements(concept, specimens, self.timepoint)
        notes = []
        if c is not None and c.specimen_required:
            unspecified = [p for p in chosen if p[1].specimen is None]
            if unspecified:
                notes.append(
                    f"{len(unspecified)} {self.kb.label(concept)} value(s) without specimen "
                    "cannot be judged (serum and plasma values differ)"
                )
            chosen = [p for p in chosen if p[1].specimen is not None]
        if specimens:
            other = [p for p in all_values if p[1].specimen not in specimens]
            for _, m in other:
                notes.append(
                    f"{m.specimen or 'unspecified'} value not used: this rule applies to "
                    f"{' or '.join(specimens)}"
                )
        return chosen, notes

    def _lab(self, n: ast.LabAtom, crit: CriteriaSet, items: dict[str, NodeResult]) -> NodeResult:
        chosen, notes = self._usable(n.concept, n.specimens)
        truths, texts, support = [], [], []
        th = n.threshold
        for i, m in chosen:
            if th.limit:
                off = (th.offset, th.unit) if th.offset is not None and th.unit else None
                t, text = compare_to_limit(self.facts, m, th.comparator, th.limit, th.multiple, off)
            else:
                t, text = compare_to_value(self.facts, m, th)
            truths.append(t)
            texts.append(text)
            support.append(Support(m, text, i))
        truth = any_of(truths) if truths else U
        spec = f"{'/'.join(n.specimens)} " if n.specimens else ""
        label = n.label or {"en": f"{spec}{self.kb.label(n.concept)} {th.describe()}"}
        return NodeResult(
            "lab",
            truth,
            label,
            concept=n.concept,
            detail=notes,
            evidence=_evidence(support, self.facts) if self.detail else [],
            threshold=th.describe(),
            provenance=n.provenance,
            path=n.path,
        )

    def _result(
        self, n: ast.ResultAtom, crit: CriteriaSet, items: dict[str, NodeResult]
    ) -> NodeResult:
        chosen, notes = self._usable(n.concept, n.specimens)
        c = self.kb.concepts.get(n.concept)
        truths, support = [], []
        ruled_out: set[str | None] = set()
        for i, m in chosen:
            t, text = _match_result(n, m, c, self.kb.label(n.concept))
            truths.append(t)
            support.append(Support(m, text, i))
            if t is F and m.result in _NEGATIVE:
                ruled_out.add(m.specimen)
        truth = any_of(truths) if truths else U
        only_negatives = all(m.result in _NEGATIVE for _, m in chosen)
        needed = set(c.negative_needs_specimens) if c else set()
        if n.specimens:
            needed &= set(n.specimens)
        if truth is F and n.result == "positive" and only_negatives and not needed <= ruled_out:
            # e.g. a negative urine immunofixation alone does not rule out a serum M-protein
            truth = U
            notes = [
                *notes,
                f"negative only in {', '.join(sorted(map(str, ruled_out)))};"
                f" needs {' and '.join(sorted(needed))}",
            ]
        wanted = " ".join(
            x for x in (n.heavy_chain, n.light_chain, self.kb.label(n.concept), n.result) if x
        )
        if n.confirmed_by:
            wanted += f" (by {n.confirmed_by})"
        return NodeResult(
            "result",
            truth,
            n.label or {"en": wanted},
            concept=n.concept,
            detail=notes,
            evidence=_evidence(support, self.facts),
            path=n.path,
        )

    def _criteria(
        self, n: ast.CriteriaAtom, crit: CriteriaSet, items: dict[str, NodeResult]
    ) -> NodeResult:
        other = self.assess_set(
            self.kb.criteria_set(n.criteria_id), with_alternatives=False, detail=False
        )
        if n.categories:
            if other.status == "met" and other.category in n.categories:
                truth = T
            elif other.status == "not_met" or not set(n.categories) & set(
                other.reachable_categories
            ):
                truth = F
            else:
                truth = U
        else:
            truth = {"met": T, "not_met": F, "undetermined": U}[other.status]
        cat = f" ({other.category})" if other.category else ""
        return NodeResult(
            "criteria",
            truth,
            n.label or other.title,
            criteria_id=n.criteria_id,
            detail=[f"{other.criteria_id}: {other.status.replace('_', ' ')}{cat}"],
            path=n.path,
        )

    def _patient(
        self, n: ast.PatientAtom, crit: CriteriaSet, items: dict[str, NodeResult]
    ) -> NodeResult:
        p = self.facts.case.patient
        if n.attribute == "sex":
            truth = U if p.sex in (None, "unknown") else (T if p.sex == n.equals else F)
            tests = ["demographics"] if truth is U else []
            label = n.label or {"en": f"sex {n.equals}"}
            return NodeResult("patient", truth, label, path=n.path, tests=tests)
        th = n.threshold
        assert th is not None and th.value is not None
        if p.age is None:
            truth, detail = U, ["age not given"]
        else:
            from .compare import _holds

            holds = _holds(p.age, th.comparator, th.value)
            truth, detail = (T if holds else F), [f"age {fmt(p.age)}"]
        label = n.label or {"en": f"age {th.describe()}"}
        return NodeResult(
            "patient",
            truth,
            label,
            detail=detail,
            provenance=n.provenance,
            threshold=th.describe(),
            path=n.path,
            tests=["demographics"] if truth is U else [],
        )

    def _feature(
        self, n: ast.FeatureAtom, crit: CriteriaSet, items: dict[str, NodeResult]
    ) -> NodeResult:
        fn = feature(n.feature)
        if fn is None:
            raise EngineError(f"unknown feature '{n.feature}'")
        truth, detail, support = fn(self.facts)
        return NodeResult(
            "feature",
            truth,
            n.label or {"en": n.feature.replace("_", " ")},
            detail=detail,
            evidence=_evidence(support, self.facts),
            provenance=n.provenance,
            path=n.path,
            concept=n.feature,
        )

    # -- sets -----------------------------------------------------------------------------
    def assess_set(
        self, crit: CriteriaSet, *, with_alternatives: bool = True, detail: bool = True
    ) -> Assessment:
        """Evaluate one set. ``detail=False`` skips what only a full report needs (test
        names on every unknown atom, the list of unverified thresholds)."""
        memo = self._criteria_memo.get((crit.id, detail)) or (
            None if detail else self._criteria_memo.get((crit.id, True))
        )
        if memo is not None and (memo.alternatives or not with_alternatives):
            return memo
        items: dict[str, NodeResult] = {}
        outer_detail, self.detail = self.detail, detail
        try:
            return self._assess(crit, items, with_alternatives=with_alternatives, detail=detail)
        finally:
            self.detail = outer_detail

    def _assess(
        self,
        crit: CriteriaSet,
        items: dict[str, NodeResult],
        *,
        with_alternatives: bool,
        detail: bool,
    ) -> Assessment:
        if crit.categories:
            cats = []
            for c in crit.categories:
                r = self.node(c.node, crit, items)
                if c.provenance and r.provenance is None:
                    r.provenance = c.provenance
                cats.append(CategoryResult(c.id, c.label, r.truth, r))
            tree = NodeResult(
                "categories",
                any_of(c.truth for c in cats),
                crit.header.title,
                [_labelled(c) for c in cats],
            )
        else:
            assert crit.logic is not None
            root = self.node(crit.logic, crit, items)
            cats = [CategoryResult("met", {"en": "met"}, root.truth, root)]
            tree = root
        if detail:
            self._name_tests(tree, crit)
        status, category, reachable = _verdict(cats, bool(crit.categories))
        label = next((c.label for c in cats if c.id == category), None) if crit.categories else None
        cat_prov = next((c.provenance for c in crit.categories if c.id == category), None)
        missing, next_tests = self._missing(crit, cats, status, category)
        used = {name: self.param(crit, name) for name in crit.header.parameters}
        used["timepoint"] = self.timepoint
        result = Assessment(
            criteria_id=crit.id,
            title=crit.header.title,
            version=crit.header.version,
            kind=crit.header.kind,
            disease=crit.header.disease,
            citation=list(crit.header.citation),
            verification=crit.header.verification,
            status=status,
            category=category,
            category_label=label,
            reachable_categories=reachable,
            tree=tree,
            categories=cats,
            missing=missing,
            next_tests=next_tests,
            parameters=used,
            unverified=_unverified(tree) if detail else [],
            notes=crit.header.notes,
            category_provenance=cat_prov,
        )
        if status == "undetermined":
            from .distance import costs

            result.to_met, result.to_not_met = costs(tree)
        self._criteria_memo[(crit.id, detail)] = result
        if with_alternatives:
            result.alternatives = self._alternatives(crit, result)
        return result

    def _name_tests(self, tree: NodeResult, crit: CriteriaSet) -> None:
        """Give every unknown atom the tests that would settle it."""

        def visit(node: NodeResult, item: str | None) -> None:
            item = node.item_id or item
            if node.truth is U and node.concept and not node.children:
                spec = crit.items.get(item) if item else None
                node.tests = list(spec.tests) if spec and spec.tests else self._tests(node.concept)
            for k in node.children:
                visit(k, item)

        visit(tree, None)

    def _tests(self, concept: str) -> list[str]:
        """Tests that settle a concept; for a group, those of its still-unknown members."""
        memo = self._tests_memo.get(concept)
        if memo is None:
            memo = self._tests_memo[concept] = self._find_tests(concept)
        return memo

    def _find_tests(self, concept: str) -> list[str]:
        c = self.kb.concepts.get(concept)
        if c is not None and c.kind == "group" and self.kb.children(concept):
            out: list[str] = []
            for child in self.kb.children(concept):
                if self.facts.finding(child).truth is U:
                    for t in self._tests(child):
                        if t not in out:
                            out.append(t)
            if out:
                return out
        return list(self.kb.tests_for(concept))

    def _alternatives(self, crit: CriteriaSet, base: Assessment) -> list[Alternative]:
        out = []
        for name in (*crit.header.parameters, *ENGINE_PARAMETERS):
            spec = self.kb.parameters[name]
            for value, vspec in spec.values.items():
                if value == base.parameters.get(name):
                    continue
                other = Evaluator(self.kb, self.facts, {**self.params, name: value})
                # Sets this one refers to that do not use the parameter keep their verdicts.
                for (cid, detail), memo in self._criteria_memo.items():
                    if cid != crit.id and name not in _parameters_used(self.kb, cid):
                        other._criteria_memo[(cid, detail)] = memo
                status, category = other.verdict(crit)
                tests: list[str] = []
                if (status, category) != (base.status, base.category):
                    alt = other.assess_set(crit, with_alternatives=False, detail=False)
                    tests = [t.id for t in alt.next_tests]
                out.append(
                    Alternative(
                        name, value, vspec.label, status, category, vspec.verification, tests
                    )
                )
        return out

    # -- verdicts only ----------------------------------------------------------------------
    def verdict(self, crit: CriteriaSet) -> tuple[Status, str | None]:
        """Status and category without building the result tree (for alternatives)."""
        items: dict[str, Truth] = {}
        if crit.categories:
            truths = [(c.id, self.truth(c.node, crit, items)) for c in crit.categories]
        else:
            assert crit.logic is not None
            truths = [("met", self.truth(crit.logic, crit, items))]
        for cid, truth in truths:
            if truth is T:
                return "met", (cid if crit.categories else None)
        if all(t is F for _, t in truths):
            return "not_met", None
        return "undetermined", None

    def truth(self, n: ast.Node, crit: CriteriaSet, items: dict[str, Truth]) -> Truth:
        """The Kleene value of a node; atoms are evaluated as in the full tree."""
        if isinstance(n, ast.All):
            return all_of(self.truth(c, crit, items) for c in n.children)
        if isinstance(n, ast.Any):
            return any_of(self.truth(c, crit, items) for c in n.children)
        if isinstance(n, ast.AtLeast):
            return at_least(n.n, (self.truth(c, crit, items) for c in n.children))
        if isinstance(n, ast.NoneOf):
            return none_of(self.truth(c, crit, items) for c in n.children)
        if isinstance(n, ast.Not):
            return ~self.truth(n.child, crit, items)
        if isinstance(n, ast.Fragment):
            return self.truth(n.child, crit, items)
        if isinstance(n, ast.ItemRef):
            if n.item not in items:
                items[n.item] = self.truth(crit.items[n.item].node, crit, items)
            return items[n.item]
        if isinstance(n, ast.ParamSwitch):
            return self.truth(dict(n.cases)[self.param(crit, n.param)], crit, items)
        if isinstance(n, ast.Constant):
            return T if n.value else F
        if isinstance(n, ast.FindingAtom):
            return self.facts.finding(n.concept).truth
        return self.node(n, crit, {}).truth  # points, labs, results, other sets, features

    def _missing(
        self, crit: CriteriaSet, cats: list[CategoryResult], status: Status, category: str | None
    ) -> tuple[list[Missing], list[NextTest]]:
        """Unknown atoms that sit under only-unknown ancestors of a category still open."""
        if status == "not_met":
            return [], []
        open_roots = []
        for c in cats:
            if c.id == category:
                break
            if c.truth is U:
                open_roots.append(c.tree)
        found: dict[tuple[str | None, str | None, str | None], Missing] = {}

        def visit(node: NodeResult, item: str | None) -> None:
            if node.truth is not U:
                return
            item = node.item_id or item
            if node.kind in ("finding", "lab", "result", "feature", "patient"):
                tests = self._tests(node.concept) if node.concept else list(node.tests)
                if item and crit.items.get(item) and crit.items[item].tests:
                    tests = list(crit.items[item].tests)
                label = (node.label or {}).get("en", node.concept or node.kind)
                key = (item, node.concept, None)
                if key not in found:
                    found[key] = Missing(label, item, node.concept, None, tests)
                return
            if node.kind == "criteria" and node.criteria_id:
                other = self._criteria_memo.get((node.criteria_id, False)) or (
                    self._criteria_memo.get((node.criteria_id, True))
                )
                tests = [t.id for t in other.next_tests] if other else []
                label = (node.label or {}).get("en", node.criteria_id)
                found[(item, None, node.criteria_id)] = Missing(
                    label, item, None, node.criteria_id, tests
                )
                return
            for k in node.children:
                visit(k, item)

        for root in open_roots:
            visit(root, None)
        missing = list(found.values())
        next_tests: dict[str, NextTest] = {}
        for m in missing:
            for tid in m.tests:
                spec = self.kb.tests.get(tid)
                if spec is None:
                    continue
                nt = next_tests.setdefault(tid, NextTest(tid, spec.label, [], spec.note))
                what = m.item_id or m.concept or m.criteria_id or m.label
                if what not in nt.settles:
                    nt.settles.append(what)
        return missing, list(next_tests.values())


_USES: dict[tuple[str, str], frozenset[str]] = {}


def _parameters_used(kb: Knowledge, criteria_id: str) -> frozenset[str]:
    """Parameters a set's verdict can depend on: its own, the engine's, and those of the
    sets it refers to."""
    key = (kb.version, criteria_id)
    if key not in _USES:
        _USES[key] = frozenset(ENGINE_PARAMETERS)  # guards against reference cycles
        crit = kb.criteria[criteria_id]
        used = set(crit.header.parameters) | set(ENGINE_PARAMETERS)
        roots = [crit.logic] if crit.logic else [c.node for c in crit.categories]
        stack = roots + [i.node for i in crit.items.values()]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.CriteriaAtom) and node.criteria_id in kb.criteria:
                used |= _parameters_used(kb, node.criteria_id)
            stack.extend(ast.children(node))
        _USES[key] = frozenset(used)
    return _USES[key]


def _labelled(c: CategoryResult) -> NodeResult:
    return NodeResult("category", c.truth, c.label, [c.tree], item_id=c.id)


def _verdict(cats: list[CategoryResult], ranked: bool) -> tuple[Status, str | None, list[str]]:
    reachable = [c.id for c in cats if c.truth is not F]
    for c in cats:
        if c.truth is T:
            return "met", (c.id if ranked else None), reachable
    if not reachable:
        return "not_met", None, []
    return "undetermined", None, reachable if ranked else []


def _unverified(tree: NodeResult) -> list[str]:
    out = []
    for node in tree.walk():
        p = node.provenance
        if p and p.verification == "UNVERIFIED":
            text = f"{(node.label or {}).get('en', node.kind)} — {p.source}"
            if text not in out:
                out.append(text)
    return out


_IFE_ALIASES = ("immunofixation", "ife", "iep", "immunoelectrophoresis", "免疫固定", "免疫電気泳動")


def _confirmed(m: Measurement, method: str) -> bool:
    used = (m.method or "").strip().lower()
    if method == "immunofixation":
        # Typing a monoclonal protein (heavy and/or light chain) is done by immunofixation
        # or immunoelectrophoresis, so a typed M-protein counts as confirmed.
        return any(a in used for a in _IFE_ALIASES) or bool(m.heavy_chain or m.light_chain)
    return method in used


_POSITIVE = ("positive", "high", "abnormal")
_NEGATIVE = ("negative", "normal")


def _match_result(
    n: ast.ResultAtom, m: Measurement, concept: object, label: str
) -> tuple[Truth, str]:
    """One qualitative result against the atom: T, F, or U when it cannot decide."""
    from .compare import describe_value

    shown = describe_value(m, label)
    typing = " ".join(x for x in (m.heavy_chain, m.light_chain) if x)
    if typing:
        shown += f" ({typing})"
    result = m.result
    if result is None:
        return U, f"{shown}: a number without a qualitative result"
    wanted = (
        _POSITIVE
        if n.result == "positive"
        else _NEGATIVE
        if n.result == "negative"
        else (n.result,)
    )
    opposite = _NEGATIVE if n.result == "positive" else _POSITIVE if n.result == "negative" else ()
    if result in wanted:
        if n.light_chain and m.light_chain is None:
            return U, f"{shown}: light chain not typed"
        if n.light_chain and m.light_chain != n.light_chain:
            return F, f"{shown}: light chain is not {n.light_chain}"
        if n.heavy_chain and m.heavy_chain is None:
            return U, f"{shown}: heavy chain not typed"
        if n.heavy_chain and m.heavy_chain != n.heavy_chain:
            return F, f"{shown}: heavy chain is not {n.heavy_chain}"
        if n.confirmed_by and not _confirmed(m, n.confirmed_by):
            return U, f"{shown}: not confirmed by {n.confirmed_by}"
        return T, shown
    if result not in opposite:
        return U, f"{shown}: a {result} result decides nothing"
    needs = getattr(concept, "negative_needs_method", None) or []
    if n.result == "positive" and needs and not any(_confirmed(m, meth) for meth in needs):
        return U, f"{shown}: a negative result counts only by {' or '.join(needs)}"
    return F, shown


_DISPATCH: dict[type, Callable[..., NodeResult]] = {
    ast.All: Evaluator._all,
    ast.Any: Evaluator._any,
    ast.AtLeast: Evaluator._at_least,
    ast.NoneOf: Evaluator._none_of,
    ast.Not: Evaluator._not,
    ast.Fragment: Evaluator._fragment,
    ast.ItemRef: Evaluator._item,
    ast.ParamSwitch: Evaluator._switch,
    ast.Points: Evaluator._points,
    ast.Constant: Evaluator._constant,
    ast.FindingAtom: Evaluator._finding,
    ast.LabAtom: Evaluator._lab,
    ast.ResultAtom: Evaluator._result,
    ast.CriteriaAtom: Evaluator._criteria,
    ast.PatientAtom: Evaluator._patient,
    ast.FeatureAtom: Evaluator._feature,
}
