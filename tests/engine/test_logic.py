"""Kleene's strong three-valued logic, checked against its full truth tables.

T = true, F = false, U = unknown ("not yet known", never "false")::

    all_of  | T  U  F        any_of | T  U  F        ~ | T  U  F
    --------+---------       -------+---------       --+---------
       T    | T  U  F           T   | T  T  T          | F  U  T
       U    | U  U  F           U   | T  U  U
       F    | F  F  F           F   | T  U  F
"""

from __future__ import annotations

import itertools

import pytest

from poemsdx.engine.logic import F, T, Truth, U, all_of, any_of, at_least, none_of, truth_of

VALUES = (T, U, F)

AND = {
    (T, T): T, (T, U): U, (T, F): F,
    (U, T): U, (U, U): U, (U, F): F,
    (F, T): F, (F, U): F, (F, F): F,
}  # fmt: skip
OR = {
    (T, T): T, (T, U): T, (T, F): T,
    (U, T): T, (U, U): U, (U, F): U,
    (F, T): T, (F, U): U, (F, F): F,
}  # fmt: skip
NOT = {T: F, U: U, F: T}


@pytest.mark.parametrize(("a", "b", "expected"), [(a, b, v) for (a, b), v in AND.items()])
def test_all_of_binary_table(a: Truth, b: Truth, expected: Truth) -> None:
    assert all_of([a, b]) is expected


@pytest.mark.parametrize(("a", "b", "expected"), [(a, b, v) for (a, b), v in OR.items()])
def test_any_of_binary_table(a: Truth, b: Truth, expected: Truth) -> None:
    assert any_of([a, b]) is expected


@pytest.mark.parametrize(("a", "expected"), list(NOT.items()))
def test_not_table(a: Truth, expected: Truth) -> None:
    assert ~a is expected


@pytest.mark.parametrize(("a", "b", "expected"), [(a, b, NOT[OR[a, b]]) for a, b in OR])
def test_none_of_binary_table(a: Truth, b: Truth, expected: Truth) -> None:
    """none_of is "no exclusion applies": true only when every child is surely false."""
    assert none_of([a, b]) is expected


def _count(values: tuple[Truth, ...]) -> tuple[int, int]:
    return sum(v is T for v in values), sum(v is U for v in values)


THREE = list(itertools.product(VALUES, repeat=3))


@pytest.mark.parametrize("values", THREE)
def test_all_and_any_of_three_fold_left(values: tuple[Truth, Truth, Truth]) -> None:
    """For three operands the n-ary forms agree with folding the binary tables."""
    a, b, c = values
    assert all_of(values) is AND[AND[a, b], c]
    assert any_of(values) is OR[OR[a, b], c]
    assert none_of(values) is NOT[OR[OR[a, b], c]]


def _at_least_expected(n: int, values: tuple[Truth, ...]) -> Truth:
    """T when n are surely true; F when even every unknown turning true cannot reach n."""
    true, unknown = _count(values)
    if true >= n:
        return T
    if true + unknown < n:
        return F
    return U


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("values", THREE)
def test_at_least_table(n: int, values: tuple[Truth, Truth, Truth]) -> None:
    assert at_least(n, values) is _at_least_expected(n, values)


@pytest.mark.parametrize(
    ("n", "values", "expected"),
    [
        (2, (T, T, F), T),
        (2, (T, U, F), U),
        (2, (T, F, F), F),
        (2, (U, U, F), U),
        (3, (T, T, U), U),
        (3, (T, T, F), F),
        (1, (F, F, F), F),
        (1, (U, F, F), U),
    ],
)
def test_at_least_spot_checks(n: int, values: tuple[Truth, ...], expected: Truth) -> None:
    """Hand-written rows, independent of the oracle above."""
    assert at_least(n, values) is expected


@pytest.mark.parametrize("values", THREE)
def test_at_least_one_is_any_and_at_least_all_is_all(values: tuple[Truth, Truth, Truth]) -> None:
    assert at_least(1, values) is any_of(values)
    assert at_least(3, values) is all_of(values)


@pytest.mark.parametrize(
    ("fn", "expected"),
    [(all_of, T), (any_of, F), (none_of, T), (lambda vs: at_least(1, vs), F)],
)
def test_empty_operands(fn: object, expected: Truth) -> None:
    """The identity elements: an empty conjunction holds, an empty disjunction does not."""
    assert fn([]) is expected  # type: ignore[operator]


@pytest.mark.parametrize("values", THREE)
def test_operands_are_consumed_from_any_iterable(values: tuple[Truth, Truth, Truth]) -> None:
    assert all_of(iter(values)) is all_of(list(values))
    assert any_of(v for v in values) is any_of(list(values))
    assert at_least(2, iter(values)) is at_least(2, list(values))


@pytest.mark.parametrize(("a", "b"), list(itertools.product(VALUES, repeat=2)))
def test_de_morgan(a: Truth, b: Truth) -> None:
    assert ~all_of([a, b]) is any_of([~a, ~b])
    assert ~any_of([a, b]) is all_of([~a, ~b])


REFINE = [(U, T), (U, F), (T, T), (F, F), (U, U)]  # (less known, more known)


@pytest.mark.parametrize(("before", "after"), REFINE)
@pytest.mark.parametrize("others", list(itertools.product(VALUES, repeat=2)))
def test_connectives_are_monotone(before: Truth, after: Truth, others: tuple[Truth, Truth]) -> None:
    """Replacing an unknown by a known value never changes an already known result."""
    for fn in (all_of, any_of, none_of, lambda vs: at_least(2, vs)):
        was = fn([before, *others])  # type: ignore[operator]
        now = fn([after, *others])  # type: ignore[operator]
        if was.known:
            assert now is was


@pytest.mark.parametrize(
    ("value", "expected", "known", "symbol"),
    [(True, T, True, "✓"), (False, F, True, "✗"), (None, U, False, "?")],
)
def test_truth_of_known_and_symbol(
    value: bool | None, expected: Truth, known: bool, symbol: str
) -> None:
    t = truth_of(value)
    assert t is expected
    assert t.known is known
    assert t.symbol == symbol
