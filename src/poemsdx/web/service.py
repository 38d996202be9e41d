"""What the REST API and the pages both do, so they cannot drift apart: read an input into
a ``Case``, evaluate it, store it with its assessment, add follow-up observations.

Evaluation is a pure function of the case, the parameters and the knowledge version (the
registry relies on that to reproduce stored assessments), so results are memoised in a
bounded in-memory LRU — a page reload or a repeated API call does not redo the work.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from ..errors import InputError, Location
from ..evaluation import Evaluation, evaluate
from ..io import check_case, parse_case
from ..knowledge.registry import Knowledge
from ..model import Case
from ..registry import Registry

__all__ = ["LruCache", "Saved", "Service", "case_dict", "observation_from_form", "sniff"]

T = TypeVar("T")
TEXT_SUFFIXES = (".txt", ".text", ".md")
_INDEX = re.compile(r"^observations\[(\d+)\]")


class LruCache(Generic[T]):
    """A thread-safe LRU bounded by total weight (bytes, or 1 per entry)."""

    def __init__(self, budget: int, weigh: Callable[[T], int] = lambda _: 1) -> None:
        self._budget, self._weigh = budget, weigh
        self._items: OrderedDict[str, tuple[T, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> T | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: str, value: T) -> T:
        weight = self._weigh(value)
        if weight > self._budget:
            return value
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._used -= old[1]
            self._items[key] = (value, weight)
            self._used += weight
            while self._used > self._budget:
                _, (_, w) = self._items.popitem(last=False)
                self._used -= w
        return value


def case_dict(case: Case) -> dict[str, Any]:
    """A case as JSON that loads back as the same case. (``exclude_defaults`` would drop
    each observation's ``kind``, the tag its type is read by.)"""
    return case.model_dump(mode="json", exclude_none=True)


def sniff(data: Mapping[str, Any]) -> str:
    """``fhir``, ``phenopacket`` or ``case``, judged by top-level keys (as ``io.detect``)."""
    if "resourceType" in data:
        return "fhir"
    if "phenotypicFeatures" in data or ("metaData" in data and "subject" in data):
        return "phenopacket"
    return "case"


def _relocated(exc: InputError, prefix: str) -> InputError:
    """The same problem, located as a path inside the request (``body.case.x[2]``)."""
    loc = exc.location
    inner = loc.path if loc is not None and loc.path else None
    path = prefix if not inner else f"{prefix}{'' if inner.startswith('[') else '.'}{inner}"
    return InputError(exc.message, Location(path=path))


def _storable(case: Case) -> None:
    """PostgreSQL text cannot hold NUL: refuse it as bad input, not a database failure."""
    if "\\u0000" in case.model_dump_json():
        raise InputError("the case contains a NUL character (U+0000), which cannot be stored")


@dataclass(frozen=True, slots=True)
class Saved:
    case_id: str
    version: int
    assessment_id: str | None
    evaluation: Evaluation | None


class Service:
    """The knowledge, the registry and the caches of one app."""

    def __init__(self, kb: Knowledge, registry: Registry, cache_bytes: int) -> None:
        self.kb = kb
        self.registry = registry
        # Few Evaluation objects (large object graphs: each one held makes every full GC
        # slower); the API keeps its answers as bytes instead, which the GC never walks.
        self._evaluations: LruCache[Evaluation] = LruCache(8 if cache_bytes else 0)
        self.responses: LruCache[bytes] = LruCache(cache_bytes, len)
        self.plots: LruCache[str] = LruCache(max(cache_bytes // 8, 0), len)

    # -- reading inputs -------------------------------------------------------------------
    def case_from_object(
        self, data: Mapping[str, Any], where: str = "body.case", lenient: bool = False
    ) -> tuple[Case, list[str]]:
        """A case object, a FHIR Bundle or a Phenopacket (already parsed JSON)."""
        kind = sniff(data)
        try:
            if kind == "fhir":
                from ..io.fhir import parse_fhir

                case, report = parse_fhir(dict(data), self.kb, source=where)
                return case, list(report.warnings())
            if kind == "phenopacket":
                from ..io.phenopacket import parse_phenopacket

                case, report = parse_phenopacket(dict(data), self.kb, source=where)
                return case, list(report.warnings())
            try:  # fast path: the located re-parse below costs ~20x the validation
                case = Case.model_validate(data)
            except ValidationError:
                text = json.dumps(data, ensure_ascii=False)
                return parse_case(text, self.kb, filename=where, fmt="json", lenient=lenient), []
            check_case(case, self.kb, filename=where, lenient=lenient)
            return case, []
        except InputError as exc:
            raise _relocated(exc, where) from None

    def case_from_text(
        self, text: str, language: str | None = None, document_id: str = "note"
    ) -> Case:
        from ..extract import extract_text

        if not text.strip():
            raise InputError("the text is empty", Location(path="body.text"))
        # Browsers send a textarea's line breaks as CRLF; the extractor reads LF text (with
        # CRLF the seed report loses its AIP verdict), and evidence offsets then refer to
        # the text as stored. NUL is never part of a note (and PostgreSQL cannot store it).
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        return extract_text(text, self.kb, document_id=document_id, language=language)

    def case_from_upload(self, filename: str, data: bytes) -> tuple[Case, list[str]]:
        """An uploaded file: a note, a case file (JSON/YAML), a FHIR Bundle or a Phenopacket."""
        name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "upload"
        suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if suffix in TEXT_SUFFIXES:
            from ..extract.encoding import decode

            stem = re.sub(r"[^A-Za-z0-9._-]", "_", name.rsplit(".", 1)[0])[:64] or "note"
            return self.case_from_text(decode(data).text, document_id=stem), []
        if suffix not in (".json", ".yaml", ".yml"):
            raise InputError(
                f"unknown file type '{suffix or name}'; expected .txt, .md, .json, .yaml or .yml",
                Location(name),
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text (byte {exc.start})", Location(name)) from None
        if suffix == ".json":
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None  # the case loader reports where
            if isinstance(parsed, dict) and sniff(parsed) != "case":
                return self.case_from_object(parsed, where=name)
            return parse_case(text, self.kb, filename=name, fmt="json"), []
        return parse_case(text, self.kb, filename=name, fmt="yaml"), []

    # -- evaluating -----------------------------------------------------------------------
    def evaluate(
        self,
        case: Case,
        criteria: Sequence[str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Evaluation:
        key = self.key(case.model_dump_json(), criteria, params)
        found = self._evaluations.get(key)
        if found is not None:
            return found
        ids = list(criteria) if criteria else None
        return self._evaluations.put(key, evaluate(case, ids, dict(params or {}), kb=self.kb))

    def key(self, *parts: object) -> str:
        """A cache key over ``parts`` and the knowledge version."""
        h = hashlib.sha256(self.kb.version.encode())
        for part in parts:
            data = part if isinstance(part, bytes) else json.dumps(part, sort_keys=True).encode()
            h.update(len(data).to_bytes(8, "big"))
            h.update(data)
        return h.hexdigest()

    # -- storing --------------------------------------------------------------------------
    def save_new(self, case: Case, actor: str, evaluate_it: bool = True) -> Saved:
        _storable(case)
        case_id = self.registry.create_case(case, actor)
        return self._assess(case_id, 1, case, actor, evaluate_it)

    def replace(self, case_id: str, case: Case, actor: str, evaluate_it: bool = True) -> Saved:
        _storable(case)
        version = self.registry.update_case(case_id, case, actor)
        return self._assess(case_id, version, case, actor, evaluate_it)

    def assess(
        self,
        case_id: str,
        actor: str,
        criteria: Sequence[str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Saved:
        case = self.registry.get_case(case_id)
        version = self.registry.list_versions(case_id)[-1].version
        ev = self.evaluate(case, criteria, params)
        aid = self.registry.save_evaluation(case_id, ev, actor)
        return Saved(case_id, version, aid, ev)

    def add_observations(
        self, case_id: str, observations: Sequence[Mapping[str, Any]], actor: str
    ) -> Saved:
        """Check new observations against the knowledge (as a case file would be), store
        them as a new version and evaluate it."""
        if not observations:
            raise InputError("no observations to add", Location(path="body.observations"))
        current = self.registry.get_case(case_id)
        n = len(current.observations)
        data = case_dict(current)
        data["observations"] = [*data.get("observations", []), *observations]
        try:
            candidate = parse_case(json.dumps(data), self.kb, filename="body", fmt="json")
        except InputError as exc:
            path = exc.location.path if exc.location else None
            m = _INDEX.match(path or "")
            if m and int(m[1]) >= n:
                inner = path[m.end() :] if path else ""
                path = f"body.observations[{int(m[1]) - n}]{inner}"
            else:
                path = "body.observations"
            raise InputError(exc.message, Location(path=path)) from None
        _storable(candidate)
        version = self.registry.add_observations(case_id, candidate.observations[n:], actor)
        return self._assess(case_id, version, self.registry.get_case(case_id), actor, True)

    def _assess(
        self, case_id: str, version: int, case: Case, actor: str, evaluate_it: bool
    ) -> Saved:
        if not evaluate_it:
            return Saved(case_id, version, None, None)
        ev = self.evaluate(case)
        return Saved(case_id, version, self.registry.save_evaluation(case_id, ev, actor), ev)


def observation_from_form(
    concept: str, value: str, unit: str, specimen: str, date: str
) -> dict[str, Any]:
    """The follow-up form's fields as one observation: a number is a measurement (with its
    unit), ``positive``/``negative``… a qualitative result, ``present``/``absent`` a finding."""
    concept, value, unit = concept.strip(), value.strip(), unit.strip()
    obs: dict[str, Any] = {"concept": concept}
    if date.strip():
        obs["time"] = {"date": date.strip()}
    if value.lower() in ("present", "absent", "uncertain"):
        return {"kind": "finding", "status": value.lower(), **obs}
    obs["kind"] = "measurement"
    try:
        obs["value"] = float(value.replace(",", ""))
    except ValueError:
        obs["result"] = value.lower()
    if unit:
        obs["unit"] = unit
    if specimen.strip():
        obs["specimen"] = specimen.strip()
    return obs
