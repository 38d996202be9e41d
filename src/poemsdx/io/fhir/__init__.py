"""FHIR R4 in and out, with the ``fhir.resources`` R4B models (R4B is a technical
correction of R4; for the resources used here the JSON is the same).

* ``parse_fhir(data, kb)`` → ``(Case, ImportReport)``; ``load_fhir(path, kb)`` → ``Case``
  (skipped elements are logged as warnings on the ``poemsdx.io.fhir`` logger, which the
  CLI prints on stderr);
* ``case_from_resources(resources, kb)`` reads loose resources (CDS Hooks prefetch);
* ``export_fhir(evaluation, kb)`` → a Bundle of the case and its assessments.

Needs the ``interop`` extra (``pip install 'poemsdx[interop]'``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from ...errors import InputError, Location
from ...knowledge.registry import Knowledge
from ...model import Case
from ..interop import ImportReport
from ._read import READ_TYPES, Reader, bundle_resources, without_nulls
from ._validate import validate_resource, validate_structure
from ._validate import warm_up as _warm_up
from ._write import export_fhir, verdict_text

__all__ = [
    "ImportReport",
    "case_from_resources",
    "export_fhir",
    "load_fhir",
    "parse_fhir",
    "verdict_text",
    "warm_up",
]

log = logging.getLogger(__name__)

MAX_BYTES = 50_000_000


def parse_fhir(
    data: Any,
    kb: Knowledge,
    *,
    source: str = "<fhir>",
    reference_date: date | None = None,
) -> tuple[Case, ImportReport]:
    """Read a FHIR R4 Bundle (already parsed JSON) of one patient into a ``Case``.

    ``reference_date`` is the date a ``Patient.birthDate`` is reckoned to (default: the
    latest dated result). Structural problems raise ``InputError`` naming the JSON path;
    elements poemsdx cannot use are listed in the report.
    """
    bundle = validate_structure(data, source)
    report = ImportReport(source)
    reader = Reader(kb, report, source=source, reference_date=reference_date)
    case = reader.read(bundle_resources(bundle))
    return case, report


def case_from_resources(
    resources: Sequence[tuple[str, dict[str, Any]]],
    kb: Knowledge,
    *,
    source: str = "<fhir>",
    reference_date: date | None = None,
) -> tuple[Case, ImportReport]:
    """Read loose resources, each with its JSON path, into a ``Case`` (each resource is
    checked against the R4B models first, unless the same JSON passed before)."""
    for path, res in resources:
        if not isinstance(res, dict) or "resourceType" not in res:
            raise InputError("not a FHIR resource (no resourceType)", Location(source, path=path))
        validate_resource(res, source, path)
    report = ImportReport(source)
    reader = Reader(kb, report, source=source, reference_date=reference_date)
    return reader.read([(path, without_nulls(res)) for path, res in resources]), report


def load_fhir(path: str | Path, kb: Knowledge, *, reference_date: date | None = None) -> Case:
    """Read a FHIR Bundle file; each skipped element is logged as a warning."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", Location(str(p))) from exc
    if len(raw) > MAX_BYTES:
        raise InputError(
            f"file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}", Location(str(p))
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", Location(str(p))) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", Location(str(p), exc.lineno, exc.colno)
        ) from exc
    case, report = parse_fhir(data, kb, source=str(p), reference_date=reference_date)
    for line in report.warnings():
        log.warning("%s: %s", p, line)
    return case


def warm_up() -> None:
    """Build the R4B validators of every resource type the reader takes (see ``settle``)."""
    _warm_up(("Bundle", *READ_TYPES))
