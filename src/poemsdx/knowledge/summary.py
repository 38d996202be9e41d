"""Read-only views of a criteria set: its thresholds with provenance, and its rules as text.

Used by ``poemsdx criteria list`` / ``show`` and by reports; nothing here evaluates.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine import ast
from .criteria import CriteriaSet


@dataclass(frozen=True, slots=True)
class ThresholdInfo:
    where: str
    text: str
    source: str
    verification: str


def _nodes(crit: CriteriaSet) -> list[ast.Node]:
    roots = [crit.logic] if crit.logic else [c.node for c in crit.categories]
    roots += [i.node for i in crit.items.values()]
    seen: list[ast.Node] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if any(node is s for s in seen):
            continue
        seen.append(node)
        stack.extend(reversed(ast.children(node)))
    return seen


def thresholds(crit: CriteriaSet) -> list[ThresholdInfo]:
    """Every sourced number and category rule in the set (fragments included)."""
    out: list[ThresholdInfo] = []
    for node in _nodes(crit):
        if isinstance(node, ast.LabAtom):
            spec = "/".join(node.specimens) + " " if node.specimens else ""
            text = f"{spec}{node.concept} {node.threshold.describe()}"
            out.append(
                ThresholdInfo(node.path, text, node.provenance.source, node.provenance.verification)
            )
        elif isinstance(node, ast.PatientAtom) and node.provenance and node.threshold:
            text = f"age {node.threshold.describe()}"
            out.append(
                ThresholdInfo(node.path, text, node.provenance.source, node.provenance.verification)
            )
        elif isinstance(node, ast.Points):
            for d in node.domains:
                for o in d.options:
                    if o.provenance:
                        text = f"{d.id}: {o.points:g} points"
                        out.append(
                            ThresholdInfo(
                                node.path, text, o.provenance.source, o.provenance.verification
                            )
                        )
        elif isinstance(node, ast.FeatureAtom) and node.provenance:
            out.append(
                ThresholdInfo(
                    node.path, node.feature, node.provenance.source, node.provenance.verification
                )
            )
    for cat in crit.categories:
        if cat.provenance:
            out.append(
                ThresholdInfo(
                    f"categories.{cat.id}",
                    f"category {cat.id}",
                    cat.provenance.source,
                    cat.provenance.verification,
                )
            )
    return out


def render_rule(node: ast.Node, lang: str = "en", indent: int = 0) -> list[str]:
    """The rule as indented lines, e.g. for ``poemsdx criteria show``."""
    pad = "  " * indent
    label = f" — {node.label.get(lang, node.label['en'])}" if node.label else ""
    if isinstance(node, ast.All):
        head = "all of"
    elif isinstance(node, ast.Any):
        head = "any of"
    elif isinstance(node, ast.AtLeast):
        head = f"at least {node.n} of"
    elif isinstance(node, ast.NoneOf):
        head = "none of (exclusion)"
    elif isinstance(node, ast.Not):
        head = "not"
    elif isinstance(node, ast.Fragment):
        return render_rule(node.child, lang, indent)
    elif isinstance(node, ast.ParamSwitch):
        lines = [f"{pad}depending on parameter {node.param}{label}:"]
        for value, child in node.cases:
            lines.append(f"{pad}  when {value}:")
            lines += render_rule(child, lang, indent + 2)
        return lines
    elif isinstance(node, ast.Points):
        lines = [f"{pad}points ≥ {node.threshold:g}{label}:"]
        for d in node.domains:
            lines.append(f"{pad}  domain {d.id} (highest option counts):")
            for o in d.options:
                tag = f" [{o.provenance.verification}]" if o.provenance else ""
                lines.append(f"{pad}    {o.points:g} points{tag} when:")
                lines += render_rule(o.when, lang, indent + 3)
        return lines
    else:
        return [f"{pad}{_atom(node)}{label}"]
    lines = [f"{pad}{head}{label}:"]
    for child in ast.children(node):
        lines += render_rule(child, lang, indent + 1)
    return lines


def _atom(node: ast.Node) -> str:
    if isinstance(node, ast.ItemRef):
        return f"item {node.item}"
    if isinstance(node, ast.FindingAtom):
        return f"finding {node.concept} present"
    if isinstance(node, ast.LabAtom):
        spec = f" ({'/'.join(node.specimens)})" if node.specimens else ""
        p = node.provenance
        return f"{node.concept}{spec} {node.threshold.describe()} [{p.verification}: {p.source}]"
    if isinstance(node, ast.ResultAtom):
        extra = " ".join(x for x in (node.heavy_chain, node.light_chain) if x)
        conf = f" confirmed by {node.confirmed_by}" if node.confirmed_by else ""
        return f"{node.concept} {extra + ' ' if extra else ''}{node.result}{conf}"
    if isinstance(node, ast.CriteriaAtom):
        cats = f" ({', '.join(node.categories)})" if node.categories else ""
        return f"criteria {node.criteria_id} met{cats}"
    if isinstance(node, ast.PatientAtom):
        rule = node.threshold.describe() if node.threshold else node.equals
        return f"patient {node.attribute} {rule}"
    if isinstance(node, ast.FeatureAtom):
        return f"feature {node.feature}"
    if isinstance(node, ast.Constant):
        return "always" if node.value else "never"
    return type(node).__name__
