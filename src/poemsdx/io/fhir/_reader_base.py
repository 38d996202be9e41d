"""The shared part of the FHIR reader: references, codes, times, statuses and evidence."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from ...errors import InputError, Location
from ...knowledge.registry import Knowledge
from ...model import Document, Event, Evidence, Observation, When
from ...model.time import date_bounds
from ..interop import (
    CodeMap,
    ImportReport,
    analyte_name,
    code_map,
    json_path,
)
from ._common import STATUS_VALUES, UNUSABLE_STATUS, Names, read_time_extension

Json = dict[str, Any]
_URI = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)\S+$")


class _Skip(Exception):
    """Internal: this element cannot be used; ``path`` and ``reason`` go to the report."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


def _num(v: Any) -> float:
    return float(v) if isinstance(v, Decimal | int | float) else float(str(v))


def _texts(cc: Json | None) -> list[str]:
    if not cc:
        return []
    out = [str(c["display"]) for c in cc.get("coding") or [] if c.get("display")]
    if cc.get("text"):
        out.insert(0, str(cc["text"]))
    return out


class ReaderBase:
    """State and lookups every resource handler uses."""

    def __init__(
        self,
        kb: Knowledge,
        report: ImportReport,
        *,
        source: str = "<fhir>",
        reference_date: date | None = None,
    ) -> None:
        self.kb = kb
        self.cm: CodeMap = code_map(kb)
        self.n = Names(self.cm)
        self.report = report
        self.source = source
        self.reference_date = reference_date
        self.observations: list[Observation] = []
        self.events: list[Event] = []
        self.anchors: dict[str, When] = {}
        self.documents: list[Document] = []
        self.case_id: str | None = None
        self.sex: str | None = None
        self.birth_date: str | None = None
        self.age: float | None = None
        self.dates: list[str] = []
        self._refs: dict[str, Json] = {}
        self._patients = 0
        self.path = ""  # JSON path of the resource being read
        self._used: set[int] = set()  # ids of Specimen/Medication resources referenced
        self._conclusions: dict[str, list[str]] = {}

    # -- entry point ----------------------------------------------------------------------
    def _index(self, path: str, res: Json) -> None:
        full = res.get("_fullUrl")
        if isinstance(full, str):
            self._refs[full] = res
        rid = res.get("id")
        if rid:
            self._refs[f"{res.get('resourceType')}/{rid}"] = res
        for contained in res.get("contained") or []:
            if isinstance(contained, dict) and contained.get("id"):
                self._refs[f"#{contained['id']}@{id(res)}"] = contained

    def _resolve(self, ref: Json | None, owner: Json) -> Json | None:
        if not ref or not isinstance(ref.get("reference"), str):
            return None
        target = str(ref["reference"])
        if target.startswith("#"):
            return self._refs.get(f"{target}@{id(owner)}")
        tail = "/".join(target.rstrip("/").split("/")[-2:])  # absolute URL → Type/id
        found = self._refs.get(target) or self._refs.get(tail)
        if found is not None:
            self._used.add(id(found))
        return found

    def _check_status(self, path: str, res: Json) -> None:
        rtype = str(res.get("resourceType"))
        allowed = STATUS_VALUES.get(rtype)
        status = res.get("status")
        if allowed is not None and status is not None and status not in allowed:
            raise InputError(
                f"invalid {rtype}.status '{status}'; allowed: {', '.join(sorted(allowed))}",
                Location(self.source, path=json_path(path, "status")),
            )

    def _unusable(self, path: str, res: Json) -> None:
        rtype = str(res.get("resourceType"))
        status = res.get("status")
        if status in UNUSABLE_STATUS.get(rtype, ()):
            raise _Skip(path, f"{rtype} has status '{status}': nothing to use")

    # -- codes ----------------------------------------------------------------------------
    def _codings(self, cc: Json | None, path: str) -> list[tuple[str, str, str]]:
        """(system name, code, path) for each coding with a known system URI."""
        out: list[tuple[str, str, str]] = []
        for i, c in enumerate((cc or {}).get("coding") or []):
            cpath = json_path(path, "coding", i)
            system, code = c.get("system"), c.get("code")
            if not system or not code:
                continue
            if not _URI.match(str(system)):
                self.report.skip(
                    json_path(cpath, "system"),
                    f"code system '{system}' is not a URI; expected e.g. http://loinc.org",
                )
                continue
            if str(system).rstrip("/") == self.n.concept:
                out.append(("POEMSDX", str(code), cpath))
                continue
            name = self.cm.system_for_uri(str(system))
            if name is not None:
                out.append((name, str(code), cpath))
        return out

    def _concept(self, cc: Json | None, path: str) -> tuple[str | None, str | None, str | None]:
        """The concept a CodeableConcept names: (concept, system, code), by code, then name."""
        codings = self._codings(cc, path)
        for system, code, _ in codings:
            cid = code if system == "POEMSDX" and code in self.kb.concepts else None
            cid = cid or (self.cm.concept_for(system, code) if system != "POEMSDX" else None)
            if cid:
                return cid, system, code
        for text in _texts(cc):
            cid = self.cm.concept_by_name(text) or self.cm.concept_by_name(analyte_name(text))
            if cid:
                self.report.note(f"{path}: no known code; '{text}' read by name as {cid}")
                return cid, None, None
        return None, None, None

    def _describe_code(self, cc: Json | None) -> str:
        parts = [
            f"{self.cm.system_for_uri(str(c.get('system') or '')) or c.get('system') or '?'}"
            f" {c.get('code')}"
            for c in (cc or {}).get("coding") or []
        ]
        if (cc or {}).get("text"):
            parts.append(f"'{cc['text']}'" if cc else "")
        return ", ".join(parts) if parts else "no code"

    # -- times ----------------------------------------------------------------------------
    def _when(self, res: Json, *keys: str, ext_url: str | None = None) -> When | None:
        url = ext_url or self.n.ext_time
        for i, ext in enumerate(res.get("extension") or []):
            if ext.get("url") == url:
                fields = read_time_extension(ext)
                try:
                    return When.model_validate(
                        {k: v for k, v in fields.items() if k in When.model_fields}
                    )
                except ValidationError as exc:
                    msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
                    raise InputError(
                        f"invalid poemsdx case-time extension: {msg}",
                        Location(self.source, path=json_path(self.path, "extension", i)),
                    ) from exc
        for key in keys:
            value = res.get(key)
            if isinstance(value, dict):
                value = value.get("start")
            if isinstance(value, str) and value:
                day = value[:10]
                try:
                    date_bounds(day)
                except ValueError:
                    continue
                self.dates.append(day)
                return When(date=day)
        return None

    def _evidence(self, path: str, res: Json) -> tuple[Evidence, ...]:
        notes = [str(n["text"]) for n in res.get("note") or [] if n.get("text")]
        if not notes:
            return (Evidence(path=path, extractor="fhir"),)
        return tuple(Evidence(path=path, extractor="fhir", note=n) for n in notes)

    def _identifier(self, res: Json, system: str) -> str | None:
        for ident in res.get("identifier") or []:
            if ident.get("system") == system and ident.get("value"):
                return str(ident["value"])
        return None


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _first(items: Iterable[Any]) -> Any:
    return next(iter(items), None)


def _is_ucum(system: Any) -> bool:
    return isinstance(system, str) and system.rstrip("/") == "http://unitsofmeasure.org"


def _attachment_text(att: Json) -> str | None:
    ctype = str(att.get("contentType") or "")
    if not ctype.startswith("text/plain") or not att.get("data"):
        return None
    try:
        return base64.b64decode(str(att["data"]), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
