"""Cross-file checks of a knowledge base: every name used exists and fits its use.

Returns every problem found (``poemsdx lint`` prints them all; runtime loading raises
the first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine import ast
from ..errors import KnowledgeError, Location, UnitError
from .criteria import CriteriaSet, _split_path
from .yamlload import locate

if TYPE_CHECKING:
    from .registry import Knowledge

_FINDING_KINDS = {"finding", "disease", "group", "procedure"}


def check_references(kb: Knowledge) -> list[KnowledgeError]:
    try:
        kb.ancestors("")  # a hierarchy cycle breaks every later check: report it alone
    except KnowledgeError as exc:
        return [exc]
    problems: list[KnowledgeError] = []
    problems += _check_concepts(kb)
    problems += _check_tests(kb)
    for crit in kb.criteria.values():
        problems += _check_criteria(kb, crit)
    problems += _check_criteria_cycles(kb)
    problems += _check_differential(kb)
    return problems


def _check_differential(kb: Knowledge) -> Iterator[KnowledgeError]:
    diff = kb.differential
    if diff is None:
        return
    rel = "differential.yaml"
    for disease, sets in diff.diseases.items():
        c = kb.concepts.get(disease)
        if c is None or c.kind != "disease":
            yield KnowledgeError(
                f"'{disease}' is not a disease concept", _loc(kb, rel, ["diseases", disease])
            )
        for cid in sets:
            if cid not in kb.criteria:
                yield KnowledgeError(
                    f"unknown criteria set '{cid}'",
                    _loc(kb, rel, ["diseases", disease, "criteria"]),
                )
    for i, d in enumerate(diff.discriminators):
        for key, names in (("favours", d.favours), ("disfavours", d.disfavours)):
            for name in names:
                c = kb.concepts.get(name)
                if c is None or c.kind != "disease":
                    yield KnowledgeError(
                        f"'{name}' is not a disease concept",
                        _loc(kb, rel, ["discriminators", i, key]),
                    )
        stack = [d.node]
        while stack:
            node = stack.pop()
            concept = getattr(node, "concept", None)
            if (
                isinstance(node, ast.FindingAtom | ast.LabAtom | ast.ResultAtom)
                and concept not in kb.concepts
            ):
                yield KnowledgeError(
                    f"unknown concept '{concept}'", _loc(kb, rel, ["discriminators", i, "when"])
                )
            if isinstance(node, ast.ItemRef):
                yield KnowledgeError(
                    "a discriminator cannot refer to items",
                    _loc(kb, rel, ["discriminators", i, "when"]),
                )
            stack.extend(ast.children(node))


def _loc(kb: Knowledge, rel: str, path: list[str | int]) -> Location:
    return locate(kb.raw(rel), path, str(Path(kb.root) / rel))


def _check_concepts(kb: Knowledge) -> Iterator[KnowledgeError]:
    for cid, c in kb.concepts.items():
        refs = [("parents", p) for p in c.parents]
        refs += [("absence_implies", p) for p in c.absence_implies]
        refs += [("normal_implies_absent", p) for p in c.normal_implies_absent]
        if c.defined_by:
            refs.append(("defined_by", c.defined_by.measurement))
        for key, ref in refs:
            if ref not in kb.concepts:
                yield KnowledgeError(
                    f"concept '{cid}' refers to unknown concept '{ref}' in {key}",
                    _loc(kb, "concepts.yaml", ["concepts", cid, key]),
                )
        for i, code in enumerate(c.codes):
            import re

            from .schema import CODE_PATTERNS

            if not re.match(CODE_PATTERNS[code.system], code.code):
                yield KnowledgeError(
                    f"{code.system} code '{code.code}' of '{cid}' is not well formed",
                    _loc(kb, "concepts.yaml", ["concepts", cid, "codes", i, "code"]),
                )
        units = [c.unit] if c.unit else []
        units += [r.unit for r in c.reference_ranges]
        for u in units:
            try:
                from ..units import parse_unit

                parse_unit(u)
            except UnitError as exc:
                yield KnowledgeError(
                    f"concept '{cid}': {exc.message}", _loc(kb, "concepts.yaml", ["concepts", cid])
                )


def _check_tests(kb: Knowledge) -> Iterator[KnowledgeError]:
    for tid, spec in kb.tests.items():
        for i, cid in enumerate(spec.settles):
            if cid not in kb.concepts:
                yield KnowledgeError(
                    f"test '{tid}' settles unknown concept '{cid}'",
                    _loc(kb, "tests.yaml", ["tests", tid, "settles", i]),
                )


def _rel(crit: CriteriaSet) -> str:
    return f"criteria/{Path(crit.filename).name}"


def _walk(crit: CriteriaSet) -> Iterator[ast.Node]:
    roots = [crit.logic] if crit.logic else [c.node for c in crit.categories]
    stack = roots + [i.node for i in crit.items.values()]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(ast.children(node))


def _check_criteria(kb: Knowledge, crit: CriteriaSet) -> Iterator[KnowledgeError]:
    rel = _rel(crit)

    def err(msg: str, node: ast.Node) -> KnowledgeError:
        if node.path.startswith("fragment:"):
            frag = node.path.split(":", 1)[1]
            return KnowledgeError(
                f"{msg} (in fragment '{frag}')",
                _loc(kb, "criteria/_fragments.yaml", ["fragments", frag]),
            )
        return KnowledgeError(msg, _loc(kb, rel, _split_path(node.path)))

    if crit.header.disease not in kb.concepts:
        yield KnowledgeError(
            f"unknown disease concept '{crit.header.disease}'", _loc(kb, rel, ["disease"])
        )
    for name in crit.header.parameters:
        if name not in kb.parameters:
            yield KnowledgeError(f"unknown parameter '{name}'", _loc(kb, rel, ["parameters", name]))
        else:
            default = crit.header.parameters[name].default
            if default and default not in kb.parameters[name].values:
                yield KnowledgeError(
                    f"'{default}' is not a value of parameter '{name}'",
                    _loc(kb, rel, ["parameters", name, "default"]),
                )
    for iid, item in crit.items.items():
        for t in item.tests:
            if t not in kb.tests:
                yield KnowledgeError(
                    f"item '{iid}' names unknown test '{t}'", _loc(kb, rel, ["items", iid, "tests"])
                )
    for node in _walk(crit):
        concept = getattr(node, "concept", None)
        if isinstance(node, ast.FindingAtom | ast.LabAtom | ast.ResultAtom):
            if concept not in kb.concepts:
                yield err(f"unknown concept '{concept}'", node)
                continue
            kind = kb.concepts[node.concept].kind
            if isinstance(node, ast.FindingAtom) and kind not in _FINDING_KINDS:
                yield err(f"'{concept}' is a {kind}, not a finding; use lab or result", node)
            if isinstance(node, ast.LabAtom | ast.ResultAtom) and kind != "measurement":
                yield err(f"'{concept}' is a {kind}, not a measurement; use finding", node)
            if not kb.tests_for(node.concept) and not _item_has_tests(crit, node):
                yield err(f"no test in tests.yaml settles '{concept}'", node)
        if isinstance(node, ast.LabAtom) and node.threshold.unit:
            yield from _check_unit(kb, node, err)
        if isinstance(node, ast.ParamSwitch):
            if node.param not in kb.parameters:
                yield err(f"unknown parameter '{node.param}'", node)
                continue
            values = set(kb.parameters[node.param].values)
            cases = {k for k, _ in node.cases}
            if cases != values:
                missing, extra = sorted(values - cases), sorted(cases - values)
                yield err(
                    f"parameter '{node.param}' cases must cover exactly its values"
                    f" (missing: {missing or 'none'}; unknown: {extra or 'none'})",
                    node,
                )
            if node.param not in crit.header.parameters and not node.path.startswith("fragment:"):
                yield err(
                    f"parameter '{node.param}' is used but not declared in 'parameters'", node
                )
        if isinstance(node, ast.FeatureAtom):
            from ..engine.evaluate import FEATURES, feature

            if feature(node.feature) is None:
                yield err(f"unknown feature '{node.feature}'; known: {', '.join(FEATURES)}", node)
        if isinstance(node, ast.CriteriaAtom):
            other = kb.criteria.get(node.criteria_id)
            if other is None:
                yield err(f"unknown criteria set '{node.criteria_id}'", node)
            else:
                known = {c.id for c in other.categories}
                for cat in node.categories:
                    if cat not in known:
                        yield err(f"'{node.criteria_id}' has no category '{cat}'", node)


def _item_has_tests(crit: CriteriaSet, node: ast.Node) -> bool:
    return any(
        item.tests and node.path.startswith(f"items.{iid}.") for iid, item in crit.items.items()
    )


def _check_unit(
    kb: Knowledge, node: ast.LabAtom, err: Callable[[str, ast.Node], KnowledgeError]
) -> Iterator[KnowledgeError]:
    from ..units import is_compatible, parse_unit

    unit = node.threshold.unit
    assert unit is not None
    try:
        parse_unit(unit)
    except UnitError as exc:
        yield err(exc.message, node)
        return
    c = kb.concepts[node.concept]
    if c.unit and not is_compatible(unit, c.unit) and c.molar_mass_g_per_mol is None:
        yield err(f"threshold unit '{unit}' does not fit '{node.concept}' (in {c.unit})", node)


def _check_criteria_cycles(kb: Knowledge) -> Iterator[KnowledgeError]:
    deps: dict[str, set[str]] = {}
    for crit in kb.criteria.values():
        deps[crit.id] = {n.criteria_id for n in _walk(crit) if isinstance(n, ast.CriteriaAtom)}
    state: dict[str, int] = {}

    def visit(cid: str, trail: list[str]) -> str | None:
        if state.get(cid) == 1:
            return " → ".join([*trail, cid])
        if state.get(cid) == 2:
            return None
        state[cid] = 1
        for d in deps.get(cid, ()):
            found = visit(d, [*trail, cid])
            if found:
                return found
        state[cid] = 2
        return None

    for cid in deps:
        cycle = visit(cid, [])
        if cycle:
            yield KnowledgeError(f"criteria sets refer to each other in a cycle: {cycle}")
            return
