"""Rows derived from a case version, timestamps, error text, and the consistency check."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..engine.timeline import Timeline
from ..knowledge.registry import Knowledge
from ..model import Case, Finding, Measurement
from .canonical import input_sha256, sha256_hex
from .orm import AssessmentRow, AuditRow, CaseRow, CaseVersionRow, DocumentRow, ObservationRow

__all__ = ["case_rows", "check_rows", "reason", "utc"]


def utc(value: dt.datetime | None = None) -> dt.datetime:
    """Now (or ``value``) as an aware UTC datetime; SQLite returns naive UTC values."""
    if value is None:
        return dt.datetime.now(dt.UTC)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def reason(exc: BaseException) -> str:
    """The driver's own message, first line only: no SQL and no bound values (which may hold
    patient text) leak into the error."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    first = text.splitlines()[0] if text else ""
    return first or type(exc).__name__


def _day(bounds: tuple[float, float] | None) -> dt.date | None:
    if bounds is None:
        return None
    try:
        return dt.date.fromordinal(round((bounds[0] + bounds[1]) / 2))
    except (ValueError, OverflowError):
        return None


def case_rows(
    case: Case, case_id: str, version: int, kb: Knowledge
) -> list[ObservationRow | DocumentRow]:
    """The normalised observation rows and the document rows of one case version."""
    timeline = Timeline(case, kb)
    rows: list[ObservationRow | DocumentRow] = []
    for i, obs in enumerate(case.observations):
        placement = timeline.place(obs.time)
        status: str | None = None
        value: float | None = None
        unit: str | None = None
        specimen: str | None = None
        if isinstance(obs, Finding):
            status = obs.status
        elif isinstance(obs, Measurement):
            status, value, unit, specimen = obs.result, obs.value, obs.unit, obs.specimen
        rows.append(
            ObservationRow(
                case_id=case_id,
                version=version,
                position=i,
                concept=obs.concept,
                kind=obs.kind,
                status=status,
                value=value,
                unit=unit,
                specimen=specimen,
                time_label=obs.time.describe() if obs.time else None,
                date=_day(placement.bounds),
                phase=placement.phase,
            )
        )
    for d in case.documents:
        rows.append(
            DocumentRow(
                case_id=case_id,
                version=version,
                document_id=d.id,
                kind=d.kind,
                language=d.language,
                title=d.title,
                source=d.source,
                text=d.text,
                text_sha256=sha256_hex(d.text) if d.text is not None else None,
            )
        )
    return rows


def check_rows(s: Session) -> list[str]:
    """Consistency of every case, version, derived row, assessment and audit entry."""
    problems: list[str] = []
    obs_counts = Counter(
        {
            (c, v): n
            for c, v, n in s.execute(
                select(ObservationRow.case_id, ObservationRow.version, func.count()).group_by(
                    ObservationRow.case_id, ObservationRow.version
                )
            )
        }
    )
    doc_counts = Counter(
        {
            (c, v): n
            for c, v, n in s.execute(
                select(DocumentRow.case_id, DocumentRow.version, func.count()).group_by(
                    DocumentRow.case_id, DocumentRow.version
                )
            )
        }
    )
    created = set(s.scalars(select(AuditRow.case_id).where(AuditRow.action == "created")))
    versions: dict[str, list[CaseVersionRow]] = {}
    for v in s.scalars(
        select(CaseVersionRow).order_by(CaseVersionRow.case_id, CaseVersionRow.version)
    ):
        versions.setdefault(v.case_id, []).append(v)
    for row in s.scalars(select(CaseRow).order_by(CaseRow.id)):
        mine = versions.pop(row.id, [])
        numbers = [v.version for v in mine]
        if numbers != list(range(1, row.current_version + 1)):
            problems.append(
                f"case {row.id}: versions {numbers} do not run 1..{row.current_version}"
            )
        if row.id not in created:
            problems.append(f"case {row.id}: no 'created' audit entry")
        for v in mine:
            problems.extend(_check_version(v, obs_counts, doc_counts))
    for case_id in versions:
        problems.append(f"versions of unknown case {case_id}")
    for a in s.scalars(select(AssessmentRow).order_by(AssessmentRow.id)):
        problems.extend(_check_assessment(s, a))
    return problems


def _check_version(
    v: CaseVersionRow, obs_counts: Counter[Any], doc_counts: Counter[Any]
) -> list[str]:
    where = f"case {v.case_id} version {v.version}"
    if sha256_hex(v.case_json) != v.case_sha256:
        return [f"{where}: case JSON does not match its SHA-256"]
    try:
        case = Case.model_validate_json(v.case_json)
    except ValidationError as exc:
        return [f"{where}: case JSON does not load ({exc.errors()[0]['msg']})"]
    out = []
    if obs_counts[(v.case_id, v.version)] != len(case.observations):
        out.append(
            f"{where}: {obs_counts[(v.case_id, v.version)]} observation rows for "
            f"{len(case.observations)} observations"
        )
    if doc_counts[(v.case_id, v.version)] != len(case.documents):
        out.append(f"{where}: document rows do not match the case's documents")
    return out


def _check_assessment(s: Session, a: AssessmentRow) -> list[str]:
    where = f"assessment {a.id}"
    out = []
    if sha256_hex(a.result_json) != a.result_sha256:
        out.append(f"{where}: result does not match its SHA-256")
    version = s.get(CaseVersionRow, (a.case_id, a.case_version))
    if version is None:
        out.append(f"{where}: case version {a.case_id}/{a.case_version} is missing")
    elif input_sha256(version.case_json, json.loads(a.parameters_json)) != a.input_sha256:
        out.append(f"{where}: stored case and parameters do not match the input SHA-256")
    return out
