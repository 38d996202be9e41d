"""The case registry: versioned cases, immutable assessments, an audit trail.

Each public method is one transaction. Errors leave as poemsdx errors: an unknown or
deleted id is a ``NotFoundError`` (a web layer's 404), bad arguments an ``InputError``,
and any database failure a ``RegistryError`` chained to the driver's error. Audit details
hold ids, version numbers, counts and formats — never text from the case.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Self

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Engine, func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .. import __version__
from ..errors import InputError, NotFoundError, PoemsdxError, RegistryError
from ..evaluation import Evaluation, evaluate
from ..knowledge.registry import Knowledge, load_knowledge
from ..model import Case, Observation
from . import db
from ._rows import case_rows, reason, utc
from .canonical import canonical_json, case_json, input_sha256, sha256_hex
from .orm import AssessmentRow, AuditRow, CaseRow, CaseVersionRow, ObservationRow
from .paths import normalise_url
from .records import (
    AuditEntry,
    CaseSummary,
    CaseVersionInfo,
    ObservationRecord,
    Reproduction,
    StoredAssessment,
)

__all__ = ["ACTIONS", "Registry"]

ACTIONS = ("created", "changed", "evaluated", "exported", "deleted")
_FORMAT = re.compile(r"^[a-z0-9][a-z0-9._+-]{0,31}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_OBSERVATIONS: TypeAdapter[tuple[Observation, ...]] = TypeAdapter(tuple[Observation, ...])
MAX_LIMIT = 1000


class Registry:
    """A case registry in SQLite (default) or PostgreSQL. Open with ``Registry.open``."""

    def __init__(self, engine: Engine, kb: Knowledge | None = None) -> None:
        self._engine = engine
        self._reader = engine.execution_options(**{db.READ_ONLY: True})
        self._kb = kb

    # -- lifecycle ------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None, *, kb: Knowledge | None = None) -> Registry:
        """Open (creating if needed) the registry at ``url`` — default
        ``POEMSDX_DATABASE_URL`` or the per-user SQLite file — and migrate it to head."""
        target = normalise_url(url)
        try:
            engine = db.make_engine(target)
        except OSError as exc:  # the SQLite file's folder cannot be created
            raise RegistryError(f"cannot create the registry folder for {target}: {exc}") from exc
        shown = engine.url.render_as_string(hide_password=True)
        try:
            db.migrate(engine)
        except PoemsdxError:
            engine.dispose()
            raise
        except (SQLAlchemyError, OSError) as exc:
            engine.dispose()
            raise RegistryError(f"cannot open the registry at {shown}: {reason(exc)}") from exc
        except Exception as exc:  # alembic raises its own errors (CommandError, …)
            engine.dispose()
            raise RegistryError(f"cannot migrate the registry at {shown}: {exc}") from exc
        return cls(engine, kb)

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (administration and tests)."""
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def kb(self) -> Knowledge:
        if self._kb is None:
            self._kb = load_knowledge()
        return self._kb

    @contextmanager
    def _session(self, what: str, *, read: bool = False) -> Iterator[Session]:
        try:
            bind = self._reader if read else self._engine
            with Session(bind, expire_on_commit=False) as s, s.begin():
                yield s
        except PoemsdxError:
            raise
        except SQLAlchemyError as exc:
            raise RegistryError(f"could not {what}: {reason(exc)}") from exc

    # -- cases ----------------------------------------------------------------------------
    def create_case(self, case: Case, actor: str) -> str:
        """Store a new case as version 1; returns its registry id."""
        who, case = _actor(actor), _case(case)
        case_id, now = uuid.uuid4().hex, utc()
        with self._session("create a case") as s:
            s.add(
                CaseRow(
                    id=case_id,
                    external_id=case.id,
                    title=case.title,
                    current_version=1,
                    created_at=now,
                    created_by=who,
                    updated_at=now,
                )
            )
            s.flush()
            self._add_version(s, case_id, 1, case, "created", who, now)
            detail = {
                "version": 1,
                "observations": len(case.observations),
                "documents": len(case.documents),
            }
            _audit(s, who, "created", case_id, 1, None, detail, now)
        return case_id

    def update_case(self, case_id: str, case: Case, actor: str) -> int:
        """Store ``case`` as the next version (unchanged content makes no version); returns
        the current version."""
        who, case = _actor(actor), _case(case)
        with self._session("update a case") as s:
            row = _live_case(s, case_id, lock=True)
            stored = _version_row(s, case_id, row.current_version)
            if stored.case_sha256 == sha256_hex(case_json(case)):
                return row.current_version
            return self._next_version(s, row, case, "changed", who, {})

    def add_observations(
        self, case_id: str, observations: Iterable[Observation | dict[str, Any]], actor: str
    ) -> int:
        """Append observations (e.g. follow-up results) as a new version; returns it."""
        who = _actor(actor)
        try:
            new = _OBSERVATIONS.validate_python(tuple(observations))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise InputError(f"invalid observation at [{where}]: {err['msg']}") from None
        if not new:
            raise InputError("no observations to add")
        with self._session("add observations") as s:
            row = _live_case(s, case_id, lock=True)
            current = _load_case(_version_row(s, case_id, row.current_version))
            try:
                case = Case.model_validate(
                    current.model_dump() | {"observations": (*current.observations, *new)}
                )
            except ValidationError as exc:
                raise InputError(f"the case with these observations is invalid: {exc}") from None
            extra = {"observations_added": len(new)}
            return self._next_version(s, row, case, "observations_added", who, extra)

    def get_case(
        self, case_id: str, version: int | None = None, *, include_deleted: bool = False
    ) -> Case:
        """The current version of a case, or the given ``version``."""
        with self._session("read a case", read=True) as s:
            row = _case_row(s, case_id, include_deleted=include_deleted)
            v = row.current_version if version is None else _version_number(version)
            found = s.get(CaseVersionRow, (row.id, v))
            if found is None:
                raise NotFoundError(
                    f"case {case_id} has no version {v}; it has versions 1–{row.current_version}"
                )
            return _load_case(found)

    def list_versions(self, case_id: str) -> list[CaseVersionInfo]:
        with self._session("list versions", read=True) as s:
            _case_row(s, case_id)
            rows = s.scalars(
                select(CaseVersionRow)
                .where(CaseVersionRow.case_id == case_id)
                .order_by(CaseVersionRow.version)
            )
            return [
                CaseVersionInfo(
                    r.case_id, r.version, r.change, r.case_sha256, utc(r.created_at), r.created_by
                )
                for r in rows
            ]

    def list_cases(
        self, query: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[CaseSummary]:
        """Cases not deleted, most recently changed first; ``query`` matches (case-
        insensitively, as a substring) the registry id, the case's own id or its title."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InputError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        if offset < 0:
            raise InputError(f"offset must be 0 or more, got {offset}")
        stmt = _search(select(CaseRow), query)
        stmt = stmt.order_by(CaseRow.updated_at.desc(), CaseRow.id).limit(limit).offset(offset)
        with self._session("list cases", read=True) as s:
            return [_summary(r) for r in s.scalars(stmt)]

    def count_cases(self, query: str | None = None) -> int:
        stmt = _search(select(func.count()).select_from(CaseRow), query)
        with self._session("count cases", read=True) as s:
            return int(s.scalar(stmt) or 0)

    def delete_case(self, case_id: str, actor: str) -> None:
        """Soft delete: the case and its history stay, hidden from lists and reads."""
        who, now = _actor(actor), utc()
        with self._session("delete a case") as s:
            row = _live_case(s, case_id, lock=True)
            row.deleted_at, row.deleted_by = now, who
            _audit(s, who, "deleted", case_id, row.current_version, None, {}, now)

    # -- assessments ----------------------------------------------------------------------
    def save_evaluation(self, case_id: str, evaluation: Evaluation, actor: str) -> str:
        """Store an evaluation of a stored version of the case; returns the assessment id.

        The evaluated case must equal one of the case's versions (so the report can be
        reproduced from what is stored); the result is kept whole and never changed."""
        who, now = _actor(actor), utc()
        if not isinstance(evaluation, Evaluation):
            raise InputError(f"expected an Evaluation, got {type(evaluation).__name__}")
        text_ = case_json(evaluation.case)
        parameters = {
            "criteria": [a.criteria_id for a in evaluation.assessments],
            "params": dict(sorted(evaluation.parameters.items())),
        }
        try:
            result = canonical_json(evaluation.to_dict())
        except (TypeError, ValueError) as exc:
            raise InputError(f"the evaluation cannot be stored as JSON: {exc}") from exc
        with self._session("store an assessment") as s:
            _live_case(s, case_id)
            version = s.scalar(
                select(CaseVersionRow.version)
                .where(
                    CaseVersionRow.case_id == case_id,
                    CaseVersionRow.case_sha256 == sha256_hex(text_),
                )
                .order_by(CaseVersionRow.version.desc())
                .limit(1)
            )
            if version is None:
                raise InputError(
                    f"the evaluated case is not a stored version of case {case_id}; store it "
                    "first (update_case) and evaluate what is stored"
                )
            aid = uuid.uuid4().hex
            s.add(
                AssessmentRow(
                    id=aid,
                    case_id=case_id,
                    case_version=version,
                    created_at=now,
                    actor=who,
                    knowledge_version=evaluation.knowledge_version,
                    engine_version=evaluation.engine_version,
                    parameters_json=canonical_json(parameters),
                    input_sha256=input_sha256(text_, parameters),
                    result_json=result,
                    result_sha256=sha256_hex(result),
                )
            )
            s.flush()
            detail = {
                "criteria": parameters["criteria"],
                "knowledge_version": evaluation.knowledge_version,
                "engine_version": evaluation.engine_version,
            }
            _audit(s, who, "evaluated", case_id, version, aid, detail, now)
            return aid

    def list_assessments(self, case_id: str) -> list[StoredAssessment]:
        with self._session("list assessments", read=True) as s:
            _case_row(s, case_id)
            rows = s.scalars(
                select(AssessmentRow)
                .where(AssessmentRow.case_id == case_id)
                .order_by(AssessmentRow.created_at, AssessmentRow.id)
            )
            return [_stored(r) for r in rows]

    def get_assessment(self, assessment_id: str) -> StoredAssessment:
        with self._session("read an assessment", read=True) as s:
            row = s.get(AssessmentRow, _id(assessment_id, "assessment"))
            if row is None:
                raise NotFoundError(f"no assessment with id '{assessment_id}'")
            return _stored(row)

    def verify_assessment(self, assessment_id: str, kb: Knowledge | None = None) -> Reproduction:
        """Check a stored assessment: its input and result still match their hashes, and
        re-evaluating the stored case version reproduces the same result hash (only
        meaningful with the knowledge and engine versions that produced it)."""
        kb = kb or self.kb
        with self._session("verify an assessment", read=True) as s:
            row = s.get(AssessmentRow, _id(assessment_id, "assessment"))
            if row is None:
                raise NotFoundError(f"no assessment with id '{assessment_id}'")
            version = _version_row(s, row.case_id, row.case_version)
            parameters = json.loads(row.parameters_json)
            input_ok = input_sha256(version.case_json, parameters) == row.input_sha256
            result_ok = sha256_hex(row.result_json) == row.result_sha256
            case = _load_case(version)
            stored_hash, knowledge, engine = (
                row.result_sha256,
                row.knowledge_version,
                row.engine_version,
            )
        same = knowledge == kb.version and engine == __version__
        new = evaluate(
            case, criteria=parameters.get("criteria"), params=parameters.get("params"), kb=kb
        )
        new_hash = sha256_hex(canonical_json(new.to_dict()))
        reproduced = same and input_ok and result_ok and new_hash == stored_hash
        if not input_ok or not result_ok:
            why = "stored data no longer match their hashes"
        elif not same:
            why = (
                f"produced with knowledge {knowledge} / engine {engine}; now {kb.version} / "
                f"{__version__}: a different result is expected, not an error"
            )
        elif not reproduced:
            why = "same versions, but the result differs"
        else:
            why = "reproduced: same versions, same result hash"
        return Reproduction(
            assessment_id, input_ok, result_ok, same, stored_hash, new_hash, reproduced, why
        )

    # -- audit ----------------------------------------------------------------------------
    def record_export(
        self,
        case_id: str,
        actor: str,
        *,
        fmt: str,
        version: int | None = None,
        assessment_id: str | None = None,
    ) -> None:
        """Note in the audit trail that a case (or an assessment) left the registry."""
        who, now = _actor(actor), utc()
        if not _FORMAT.match(fmt):
            raise InputError(f"export format must be a short lower-case name, got {fmt!r}")
        with self._session("record an export") as s:
            row = _live_case(s, case_id)
            v = row.current_version if version is None else _version_number(version)
            _version_row(s, case_id, v)
            if assessment_id is not None:
                found = s.get(AssessmentRow, _id(assessment_id, "assessment"))
                if found is None or found.case_id != case_id:
                    raise NotFoundError(f"case {case_id} has no assessment '{assessment_id}'")
            _audit(s, who, "exported", case_id, v, assessment_id, {"format": fmt}, now)

    def audit(self, case_id: str | None = None, limit: int | None = None) -> list[AuditEntry]:
        """Audit entries, oldest first (of one case, or all)."""
        stmt = select(AuditRow).order_by(AuditRow.id)
        with self._session("read the audit trail", read=True) as s:
            if case_id is not None:
                _case_row(s, case_id, include_deleted=True)
                stmt = stmt.where(AuditRow.case_id == case_id)
            if limit is not None:
                stmt = stmt.limit(limit)
            return [
                AuditEntry(
                    r.id,
                    utc(r.at),
                    r.actor,
                    r.action,
                    r.case_id,
                    r.case_version,
                    r.assessment_id,
                    json.loads(r.detail_json),
                )
                for r in s.scalars(stmt)
            ]

    # -- queries and checks ---------------------------------------------------------------
    def observations(
        self, concept: str | None = None, case_id: str | None = None, *, current_only: bool = True
    ) -> list[ObservationRecord]:
        """Rows of the normalised observation table (current versions of live cases by
        default)."""
        stmt = (
            select(ObservationRow)
            .join(CaseRow, CaseRow.id == ObservationRow.case_id)
            .where(CaseRow.deleted_at.is_(None))
        )
        if current_only:
            stmt = stmt.where(ObservationRow.version == CaseRow.current_version)
        if concept is not None:
            stmt = stmt.where(ObservationRow.concept == concept)
        if case_id is not None:
            stmt = stmt.where(ObservationRow.case_id == case_id)
        stmt = stmt.order_by(
            ObservationRow.case_id, ObservationRow.version, ObservationRow.position
        )
        with self._session("query observations", read=True) as s:
            return [
                ObservationRecord(
                    r.case_id,
                    r.version,
                    r.position,
                    r.concept,
                    r.kind,
                    r.status,
                    r.value,
                    r.unit,
                    r.specimen,
                    r.time_label,
                    r.date,
                    r.phase,
                )
                for r in s.scalars(stmt)
            ]

    def check_integrity(self) -> list[str]:
        """Every inconsistency found (empty when the registry is consistent): versions
        without gaps, case JSON matching its hash and its derived rows, assessments matching
        their hashes, a 'created' audit entry per case; on SQLite also PRAGMA integrity_check."""
        problems: list[str] = []
        with self._session("check the registry", read=True) as s:
            if s.get_bind().dialect.name == "sqlite":
                status = s.execute(text("PRAGMA integrity_check")).scalar()
                if status != "ok":
                    problems.append(f"sqlite integrity_check: {status}")
            from ._rows import check_rows

            problems.extend(check_rows(s))
        return problems

    # -- internals ------------------------------------------------------------------------
    def _next_version(
        self,
        s: Session,
        row: CaseRow,
        case: Case,
        change: str,
        who: str,
        extra: dict[str, Any],
    ) -> int:
        now = utc()
        v = row.current_version + 1
        self._add_version(s, row.id, v, case, change, who, now)
        row.current_version, row.updated_at = v, now
        row.external_id, row.title = case.id, case.title
        detail = {"version": v, "previous_version": v - 1, **extra}
        _audit(s, who, "changed", row.id, v, None, detail, now)
        return v

    def _add_version(
        self,
        s: Session,
        case_id: str,
        version: int,
        case: Case,
        change: str,
        who: str,
        now: dt.datetime,
    ) -> None:
        body = case_json(case)
        s.add(
            CaseVersionRow(
                case_id=case_id,
                version=version,
                case_json=body,
                case_sha256=sha256_hex(body),
                change=change,
                created_at=now,
                created_by=who,
            )
        )
        s.flush()
        s.add_all(case_rows(case, case_id, version, self.kb))


# -- helpers ----------------------------------------------------------------------------------
def _actor(actor: object) -> str:
    if not isinstance(actor, str) or not actor.strip():
        raise InputError("an actor (who is doing this) is required, e.g. a user name")
    who = actor.strip()
    if len(who) > 200 or _CONTROL.search(who):
        raise InputError("the actor must be at most 200 characters without control characters")
    return who


def _case(case: object) -> Case:
    if not isinstance(case, Case):
        raise InputError(f"expected a Case, got {type(case).__name__}")
    return case


def _id(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise NotFoundError(f"no {what} with id {value!r}")
    return value


def _version_number(version: object) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InputError(f"a version is a whole number from 1, got {version!r}")
    return version


def _case_row(s: Session, case_id: str, *, include_deleted: bool = False) -> CaseRow:
    row = s.get(CaseRow, _id(case_id, "case"))
    if row is None:
        raise NotFoundError(f"no case with id '{case_id}'")
    if row.deleted_at is not None and not include_deleted:
        raise NotFoundError(f"case '{case_id}' was deleted")
    return row


def _live_case(s: Session, case_id: str, *, lock: bool = False) -> CaseRow:
    if lock:
        # Serialise writers of one case (PostgreSQL row lock; SQLite already holds the
        # database write lock from BEGIN IMMEDIATE).
        found = s.scalars(
            select(CaseRow).where(CaseRow.id == _id(case_id, "case")).with_for_update()
        ).first()
        if found is None:
            raise NotFoundError(f"no case with id '{case_id}'")
        if found.deleted_at is not None:
            raise NotFoundError(f"case '{case_id}' was deleted")
        return found
    return _case_row(s, case_id)


def _version_row(s: Session, case_id: str, version: int) -> CaseVersionRow:
    row = s.get(CaseVersionRow, (case_id, version))
    if row is None:
        raise NotFoundError(f"case {case_id} has no version {version}")
    return row


def _load_case(row: CaseVersionRow) -> Case:
    try:
        return Case.model_validate_json(row.case_json)
    except ValidationError as exc:
        raise RegistryError(
            f"stored case {row.case_id} version {row.version} does not load with this "
            f"version of poemsdx: {exc.errors()[0]['msg']}"
        ) from None


def _search(stmt: Any, query: str | None) -> Any:
    stmt = stmt.where(CaseRow.deleted_at.is_(None))
    q = (query or "").strip()
    if q:
        stmt = stmt.where(
            or_(
                CaseRow.id.icontains(q, autoescape=True),
                CaseRow.external_id.icontains(q, autoescape=True),
                CaseRow.title.icontains(q, autoescape=True),
            )
        )
    return stmt


def _summary(r: CaseRow) -> CaseSummary:
    return CaseSummary(
        r.id,
        r.external_id,
        r.title,
        r.current_version,
        utc(r.created_at),
        utc(r.updated_at),
        r.deleted_at is not None,
    )


def _stored(r: AssessmentRow) -> StoredAssessment:
    return StoredAssessment(
        id=r.id,
        case_id=r.case_id,
        case_version=r.case_version,
        created_at=utc(r.created_at),
        actor=r.actor,
        knowledge_version=r.knowledge_version,
        engine_version=r.engine_version,
        parameters=json.loads(r.parameters_json),
        input_sha256=r.input_sha256,
        result_sha256=r.result_sha256,
        result=json.loads(r.result_json),
    )


def _audit(
    s: Session,
    who: str,
    action: str,
    case_id: str | None,
    version: int | None,
    assessment_id: str | None,
    detail: dict[str, Any],
    now: dt.datetime,
) -> None:
    assert action in ACTIONS
    s.add(
        AuditRow(
            at=now,
            actor=who,
            action=action,
            case_id=case_id,
            case_version=version,
            assessment_id=assessment_id,
            detail_json=canonical_json(detail),
        )
    )
