"""GA4GH Phenopackets v2 in and out, with the official ``phenopackets`` protobuf schema.

* ``export_phenopacket(evaluation, kb)`` → a Phenopacket as a JSON object;
  ``phenopacket_json(packet)`` → its text (UTF-8, Japanese and Chinese kept as written);
* ``parse_phenopacket(data, kb)`` → ``(Case, ImportReport)``; ``load_phenopacket(path, kb)``
  → ``Case`` (skipped elements logged as warnings on ``poemsdx.io.phenopacket``);
* ``validate_phenopacket(data)`` → the rules a packet breaks, each naming its JSON path.

Needs the ``interop`` extra (``pip install 'poemsdx[interop]'``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ...errors import InputError, Location
from ...knowledge.registry import Knowledge
from ...model import Case
from ..interop import ImportReport
from ._read import read_phenopacket
from ._validate import validate_phenopacket
from ._write import export_phenopacket

__all__ = [
    "ImportReport",
    "export_phenopacket",
    "load_phenopacket",
    "parse_phenopacket",
    "phenopacket_json",
    "validate_phenopacket",
]

log = logging.getLogger(__name__)

MAX_BYTES = 20_000_000


def phenopacket_json(packet: dict[str, Any]) -> str:
    """The packet as indented JSON text; non-ASCII labels are written as themselves."""
    return json.dumps(packet, ensure_ascii=False, indent=2) + "\n"


def parse_phenopacket(
    data: Any, kb: Knowledge, *, source: str = "<phenopacket>"
) -> tuple[Case, ImportReport]:
    """Read a Phenopacket v2 (already parsed JSON) into a ``Case``."""
    return read_phenopacket(data, kb, source)


def load_phenopacket(path: str | Path, kb: Knowledge) -> Case:
    """Read a Phenopacket v2 JSON file; each skipped element is logged as a warning."""
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
    case, report = parse_phenopacket(data, kb, source=str(p))
    for line in report.warnings():
        log.warning("%s: %s", p, line)
    return case
