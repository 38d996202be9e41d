"""Nerve-conduction studies: each row against its limits, the CIDP guideline rules, the
terminal latency index and the POEMS-versus-CIDP pattern.

Importing this package registers the engine features ``ncs_motor_strongly_supportive``,
``ncs_motor_weakly_supportive`` and ``ncs_sensory_abnormal_two_nerves``.
"""

from __future__ import annotations

from .analysis import DEFAULT_RULES, NcsAnalysis, analyze
from .demyelination import Parameter
from .features import FEATURE_NAMES, analysis_for
from .limits import NcsKnowledge, load_ncs_knowledge
from .measure import Measure
from .nerve import NerveResult, terminal_latency_index
from .pattern import PatternObservation
from .rules import Verdict

__all__ = [
    "DEFAULT_RULES",
    "FEATURE_NAMES",
    "Measure",
    "NcsAnalysis",
    "NcsKnowledge",
    "NerveResult",
    "Parameter",
    "PatternObservation",
    "Verdict",
    "analysis_for",
    "analyze",
    "load_ncs_knowledge",
    "terminal_latency_index",
]
