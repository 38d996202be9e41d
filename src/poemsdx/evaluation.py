"""One run of the engine on one case: the case as understood, and every assessment.

This is what every surface renders (terminal, Markdown, HTML, JSON, web, CDS Hooks) and
what the registry stores; ``to_dict`` is the JSON contract of DESIGN.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import __version__
from .engine import Assessment, Evaluator, Facts
from .engine import check_params as _check_params
from .knowledge.registry import Knowledge, load_knowledge
from .model import Case
from .rank import DifferentialPanel, build_panel

if TYPE_CHECKING:
    from .ncs import NcsAnalysis


@dataclass(slots=True)
class Evaluation:
    case: Case
    assessments: list[Assessment]
    knowledge_version: str
    engine_version: str = __version__
    parameters: dict[str, str] = field(default_factory=dict)
    differential: DifferentialPanel | None = None
    nerve_conduction: NcsAnalysis | None = None

    def assessment(self, criteria_id: str) -> Assessment:
        for a in self.assessments:
            if a.criteria_id == criteria_id:
                return a
        raise KeyError(criteria_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case.model_dump(mode="json", exclude_none=True),
            "assessments": [a.to_dict() for a in self.assessments],
            "parameters": self.parameters,
            "differential": self.differential.to_dict() if self.differential else None,
            "nerve_conduction": (
                self.nerve_conduction.to_dict() if self.nerve_conduction else None
            ),
            "knowledge_version": self.knowledge_version,
            "engine_version": self.engine_version,
        }


def evaluate(
    case: Case,
    criteria: Iterable[str] | None = None,
    params: Mapping[str, str] | None = None,
    kb: Knowledge | None = None,
    *,
    robustness: bool | Iterable[str] = True,
) -> Evaluation:
    """Evaluate criteria sets (default: all shipped) on a case. ``robustness`` — True, False,
    or the ids of the sets to re-evaluate under every alternative parameter value (a CDS
    Hooks card needs it only for its headline set)."""
    kb = kb or load_knowledge()
    _check_params(kb, params)
    evaluator = Evaluator(kb, Facts(case, kb), params)
    if not case.describes_a_patient:
        # A textbook entry has no patient: no verdicts, however many features it lists.
        return Evaluation(case, [], kb.version, parameters=dict(params or {}))
    if isinstance(robustness, bool):
        wanted = {c.id for c in kb.iter_criteria(criteria)} if robustness else set()
    else:
        wanted = set(robustness)
    assessments = [
        evaluator.assess_set(c, with_alternatives=c.id in wanted)
        for c in kb.iter_criteria(criteria)
    ]
    return Evaluation(
        case,
        assessments,
        kb.version,
        parameters=dict(params or {}),
        differential=build_panel(evaluator, assessments),
        nerve_conduction=_nerve_conduction(evaluator.facts),
    )


def _nerve_conduction(facts: Facts) -> NcsAnalysis | None:
    """The nerve-conduction analysis of the diagnostic window, when there are rows."""
    if not facts.nerve_conduction:
        return None
    from .ncs import analysis_for

    return analysis_for(facts)
