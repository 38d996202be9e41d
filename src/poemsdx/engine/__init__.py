"""The per-case, three-valued criteria engine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from .evaluate import ENGINE_PARAMETERS, FEATURES, Evaluator, register_feature
from .facts import Facts
from .logic import Truth
from .result import Assessment, NodeResult

if TYPE_CHECKING:
    from ..knowledge.registry import Knowledge
    from ..model import Case

__all__ = [
    "ENGINE_PARAMETERS",
    "FEATURES",
    "Assessment",
    "Evaluator",
    "Facts",
    "NodeResult",
    "Truth",
    "assess",
    "check_params",
    "register_feature",
]


def assess(
    case: Case,
    kb: Knowledge,
    criteria: Iterable[str] | None = None,
    params: Mapping[str, str] | None = None,
) -> list[Assessment]:
    """Evaluate criteria sets (default: all) on a case; one ``Assessment`` each."""
    check_params(kb, params)
    evaluator = Evaluator(kb, Facts(case, kb), params)
    return [evaluator.assess_set(c) for c in kb.iter_criteria(criteria)]


def check_params(kb: Knowledge, params: Mapping[str, str] | None) -> None:
    """Reject unknown parameter names and values with the allowed ones listed."""
    from ..errors import InputError

    for name, value in (params or {}).items():
        spec = kb.parameters.get(name)
        if spec is None:
            raise InputError(f"unknown parameter '{name}'; known: {', '.join(kb.parameters)}")
        if value not in spec.values:
            raise InputError(
                f"'{value}' is not a value of parameter '{name}'; allowed: {', '.join(spec.values)}"
            )
