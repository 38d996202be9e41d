"""The case model: typed, frozen records of what is known about a patient."""

from .case import Case, Document, Event, Patient
from .evidence import Evidence
from .observations import (
    Finding,
    Measurement,
    NcsLimits,
    NerveConduction,
    Observation,
    ReferenceRange,
)
from .time import When

__all__ = [
    "Case",
    "Document",
    "Event",
    "Evidence",
    "Finding",
    "Measurement",
    "NcsLimits",
    "NerveConduction",
    "Observation",
    "Patient",
    "ReferenceRange",
    "When",
]
