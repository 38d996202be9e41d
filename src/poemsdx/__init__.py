"""poemsdx — clinical decision support for POEMS syndrome and its mimics.

The public API: load a case, evaluate it against the shipped criteria sets, render a
report::

    from poemsdx import load_case, evaluate, load_knowledge
    kb = load_knowledge()
    result = evaluate(load_case("examples/seed-poems-igg4-aip.yaml", kb), kb=kb)
"""

__version__ = "0.1.0"

from .engine import Assessment, Truth
from .errors import EngineError, InputError, KnowledgeError, PoemsdxError, UnitError
from .evaluation import Evaluation, evaluate
from .io import load_case, parse_case
from .knowledge.registry import Knowledge, load_knowledge
from .model import (
    Case,
    Document,
    Event,
    Evidence,
    Finding,
    Measurement,
    NerveConduction,
    Patient,
    ReferenceRange,
    When,
)

__all__ = [
    "Assessment",
    "Case",
    "Document",
    "EngineError",
    "Evaluation",
    "Event",
    "Evidence",
    "Finding",
    "InputError",
    "Knowledge",
    "KnowledgeError",
    "Measurement",
    "NerveConduction",
    "Patient",
    "PoemsdxError",
    "ReferenceRange",
    "Truth",
    "UnitError",
    "When",
    "__version__",
    "evaluate",
    "load_case",
    "load_knowledge",
    "parse_case",
]
