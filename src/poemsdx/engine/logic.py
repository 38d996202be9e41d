"""Kleene's strong three-valued logic: true, false, and unknown.

Unknown means "not yet known", never "false": a missing lab cannot fail a criterion.
The connectives are monotone — replacing an unknown by true or false can only turn other
unknowns into known values — which is what makes "adding an observation never flips a
verdict" hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Truth(Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    @property
    def known(self) -> bool:
        return self is not Truth.UNKNOWN

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    def __invert__(self) -> Truth:
        if self is Truth.TRUE:
            return Truth.FALSE
        if self is Truth.FALSE:
            return Truth.TRUE
        return Truth.UNKNOWN


_SYMBOLS = {Truth.TRUE: "✓", Truth.FALSE: "✗", Truth.UNKNOWN: "?"}

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN


def truth_of(value: bool | None) -> Truth:
    """Python ``True`` / ``False`` / ``None`` to a Truth."""
    if value is None:
        return U
    return T if value else F


def all_of(values: Iterable[Truth]) -> Truth:
    result = T
    for v in values:
        if v is F:
            return F
        if v is U:
            result = U
    return result


def any_of(values: Iterable[Truth]) -> Truth:
    result = F
    for v in values:
        if v is T:
            return T
        if v is U:
            result = U
    return result


def at_least(n: int, values: Iterable[Truth]) -> Truth:
    """True when ``n`` are surely true; false when even all unknowns cannot reach ``n``."""
    true = unknown = 0
    for v in values:
        if v is T:
            true += 1
        elif v is U:
            unknown += 1
    if true >= n:
        return T
    if true + unknown < n:
        return F
    return U


def none_of(values: Iterable[Truth]) -> Truth:
    """True when every value is false (an exclusion that surely does not apply)."""
    return ~any_of(values)
