"""A case: one patient, what is known about them, and the documents it came from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ._base import Frozen
from .evidence import Evidence
from .observations import Observation
from .time import When

Sex = Literal["male", "female", "other", "unknown"]


class Patient(Frozen):
    """Demographics that criteria and reference ranges depend on."""

    age: float | None = Field(default=None, ge=0, le=130)
    sex: Sex | None = None


class Event(Frozen):
    """A treatment or procedure in the course (e.g. high-dose melphalan with ASCT)."""

    id: str = Field(min_length=1)
    concept: str = Field(min_length=1)
    start: When | None = None
    end: When | None = None
    disease_directed: bool | None = None
    evidence: tuple[Evidence, ...] = ()
    note: str | None = None


DocumentKind = Literal["patient_record", "disease_description"]


class Document(Frozen):
    """A source document; ``text`` is kept so evidence spans can be shown in place.

    ``kind`` is ``disease_description`` for a text about a disease rather than a patient
    (a textbook or encyclopedia entry): its statements never become patient findings.
    """

    id: str = Field(min_length=1)
    kind: DocumentKind = "patient_record"
    language: str | None = None
    title: str | None = None
    source: str | None = None
    text: str | None = None


class Case(Frozen):
    """Everything poemsdx knows about one patient. Adapters build it; the engine reads it."""

    schema_version: Literal[1] = 1
    id: str = Field(default="case", min_length=1)
    title: str | None = None
    patient: Patient = Patient()
    anchors: dict[str, When] = Field(default_factory=dict)
    observations: tuple[Observation, ...] = ()
    events: tuple[Event, ...] = ()
    documents: tuple[Document, ...] = ()
    notes: str | None = None

    @property
    def describes_a_patient(self) -> bool:
        """False when every source document describes a disease, not a patient."""
        return not self.documents or any(d.kind == "patient_record" for d in self.documents)

    @model_validator(mode="after")
    def _unique_ids(self) -> Case:
        seen: set[str] = set()
        for ev in self.events:
            if ev.id in seen:
                raise ValueError(f"event id '{ev.id}' is used twice")
            seen.add(ev.id)
        for name in self.anchors:
            if name in seen:
                raise ValueError(f"anchor '{name}' has the same name as an event")
        return self
