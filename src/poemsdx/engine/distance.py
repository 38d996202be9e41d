"""How far an undetermined verdict is from each resolution.

For an evaluated tree, the fewest unknown items that must turn out positive for the set
to be met, and the fewest that must turn out negative for it to be not met. It lets a
report say "undetermined — one negative finding (no plasmacytoma) from not met, two
positive findings from met" without ever guessing. Shared items are counted once per
use, so the figures are upper bounds when one item appears in several branches.
"""

from __future__ import annotations

import math

from .logic import F, T
from .result import NodeResult

INF = math.inf
_WRAPPERS = ("item", "fragment", "param", "category")


def costs(node: NodeResult) -> tuple[float, float]:
    """(unknowns to make ``node`` true, unknowns to make it false)."""
    if node.truth is T:
        return 0.0, INF
    if node.truth is F:
        return INF, 0.0
    kids = [costs(c) for c in node.children]
    kind = node.kind
    if kind in _WRAPPERS and len(kids) == 1:
        return kids[0]
    if kind == "all":
        return sum(t for t, _ in kids), min((f for _, f in kids), default=INF)
    if kind in ("any", "categories"):
        return min((t for t, _ in kids), default=INF), sum(f for _, f in kids)
    if kind == "at_least" and node.n is not None:
        need_true = node.n
        need_false = len(kids) - node.n + 1
        return _smallest(sorted(t for t, _ in kids), need_true), _smallest(
            sorted(f for _, f in kids), need_false
        )
    if kind == "none_of":
        return sum(f for _, f in kids), min((t for t, _ in kids), default=INF)
    if kind == "not" and kids:
        return kids[0][1], kids[0][0]
    if kind == "points":
        return _points(node)
    return 1.0, 1.0  # an unknown atom, or another set referred to


def _smallest(values: list[float], n: int) -> float:
    if n <= 0:
        return 0.0
    if len(values) < n:
        return INF
    return sum(values[:n])


def _points(node: NodeResult) -> tuple[float, float]:
    """Greedy bounds for weighted sets: raise the guaranteed minimum / lower the maximum."""
    assert node.points is not None
    low, high = node.points
    threshold = _threshold(node)
    gains: list[tuple[float, float]] = []  # (cost, points gained) per domain, best option
    drops: list[tuple[float, float]] = []
    for domain in node.children:
        d_low, d_high = domain.points or (0.0, 0.0)
        options = [(costs(o), _option_points(o)) for o in domain.children]
        best = [(c[0], p - d_low) for c, p in options if c[0] < INF and p > d_low]
        if best:
            gains.append(min(best, key=lambda x: (x[0], -x[1])))
        # to lower this domain to its guaranteed level, every open option above it must fail
        open_above = [c[1] for c, p in options if p > d_low and c[0] > 0]
        if open_above and d_high > d_low:
            drops.append((sum(open_above), d_high - d_low))
    return _greedy(gains, threshold - low), _greedy(drops, high - threshold + 1e-9)


def _greedy(items: list[tuple[float, float]], needed: float) -> float:
    if needed <= 0:
        return 0.0
    spent = 0.0
    for cost, gain in sorted(items, key=lambda x: x[0] / x[1] if x[1] else INF):
        spent += cost
        needed -= gain
        if needed <= 0:
            return spent
    return INF


def _option_points(node: NodeResult) -> float:
    return node.weight or 0.0


def _threshold(node: NodeResult) -> float:
    return node.target if node.target is not None else INF
