"""The registry's tables (SQLAlchemy 2 typed ORM). The migrations in ``migrations/versions``
create exactly these; a test compares the two.

::

    cases ─┬─< case_versions ─┬─< observations     (normalised, for querying)
           │                  └─< documents
           ├─< assessments  (→ one case version; never updated or deleted)
           └─< audit        (who, what, when; ids only; never updated or deleted)

The Case JSON of each version is the truth; ``observations`` and ``documents`` are derived
from it when the version is written. Rows of every table except ``cases`` are written once:
database triggers refuse UPDATE and DELETE on them, and the ORM refuses to flush a change
to an assessment or an audit entry.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column

from ..errors import RegistryError

__all__ = [
    "IMMUTABLE_TABLES",
    "AssessmentRow",
    "AuditRow",
    "Base",
    "CaseRow",
    "CaseVersionRow",
    "DocumentRow",
    "ObservationRow",
]

IMMUTABLE_TABLES = ("case_versions", "observations", "documents", "assessments", "audit")

_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
_Id = String(32)  # uuid4 hex
_Actor = String(200)
_Serial = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)


class CaseRow(Base):
    """One case; its content is in ``case_versions`` (the latest is current)."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(_Id, primary_key=True)
    external_id: Mapped[str] = mapped_column(Text, index=True)
    title: Mapped[str | None] = mapped_column(Text)
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(_Actor)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(_Actor)


class CaseVersionRow(Base):
    """The full Case JSON of one version (canonical form) and its SHA-256."""

    __tablename__ = "case_versions"

    case_id: Mapped[str] = mapped_column(_Id, ForeignKey("cases.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_json: Mapped[str] = mapped_column(Text)
    case_sha256: Mapped[str] = mapped_column(String(64), index=True)
    change: Mapped[str] = mapped_column(String(32))  # created | changed | observations_added
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(_Actor)


class ObservationRow(Base):
    """One observation of one case version, flattened for querying."""

    __tablename__ = "observations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["case_id", "version"], ["case_versions.case_id", "case_versions.version"]
        ),
        Index("ix_observations_concept_case", "concept", "case_id"),
        Index("ix_observations_case_version", "case_id", "version"),
    )

    id: Mapped[int] = mapped_column(_Serial, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(_Id)
    version: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)  # index in Case.observations
    concept: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))  # finding | measurement | nerve_conduction
    status: Mapped[str | None] = mapped_column(String(32))  # finding status or qualitative result
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(Text)
    specimen: Mapped[str | None] = mapped_column(String(32))
    time_label: Mapped[str | None] = mapped_column(Text)
    date: Mapped[dt.date | None] = mapped_column(Date)  # middle of the days the time can mean
    phase: Mapped[str | None] = mapped_column(String(32))  # before_treatment | after_treatment


class DocumentRow(Base):
    """A source document of one case version."""

    __tablename__ = "documents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["case_id", "version"], ["case_versions.case_id", "case_versions.version"]
        ),
        Index("ix_documents_case_version", "case_id", "version"),
    )

    id: Mapped[int] = mapped_column(_Serial, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(_Id)
    version: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    text_sha256: Mapped[str | None] = mapped_column(String(64))


class AssessmentRow(Base):
    """One stored evaluation: what it read (hashed), which versions produced it, the result."""

    __tablename__ = "assessments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["case_id", "case_version"], ["case_versions.case_id", "case_versions.version"]
        ),
        Index("ix_assessments_case_id", "case_id"),
    )

    id: Mapped[str] = mapped_column(_Id, primary_key=True)
    case_id: Mapped[str] = mapped_column(_Id)
    case_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(_Actor)
    knowledge_version: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(64))
    parameters_json: Mapped[str] = mapped_column(Text)
    input_sha256: Mapped[str] = mapped_column(String(64))
    result_json: Mapped[str] = mapped_column(Text)
    result_sha256: Mapped[str] = mapped_column(String(64))


class AuditRow(Base):
    """Who did what, when. ``detail_json`` holds ids and counts only, never patient text."""

    __tablename__ = "audit"
    __table_args__ = (
        Index("ix_audit_case_id", "case_id"),
        CheckConstraint(
            "action IN ('created', 'changed', 'evaluated', 'exported', 'deleted')", name="action"
        ),
    )

    id: Mapped[int] = mapped_column(_Serial, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(_Actor)
    action: Mapped[str] = mapped_column(String(16))  # created|changed|evaluated|exported|deleted
    case_id: Mapped[str | None] = mapped_column(_Id, ForeignKey("cases.id"))
    case_version: Mapped[int | None] = mapped_column(Integer)
    assessment_id: Mapped[str | None] = mapped_column(_Id, ForeignKey("assessments.id"))
    detail_json: Mapped[str] = mapped_column(Text)


def _refuse(mapper: Mapper[object], connection: object, target: object) -> None:
    table = getattr(target, "__tablename__", type(target).__name__)
    raise RegistryError(f"rows of '{table}' are written once and never changed or deleted")


for _cls in (CaseVersionRow, ObservationRow, DocumentRow, AssessmentRow, AuditRow):
    event.listen(_cls, "before_update", _refuse)
    event.listen(_cls, "before_delete", _refuse)
