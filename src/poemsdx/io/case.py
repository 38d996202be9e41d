"""Case files (JSON or YAML) → ``Case``, with every problem located and explained.

Structure is checked by the pydantic model; meaning is checked against the knowledge
base: concepts exist and fit their use, units parse and fit the concept, specimens are
allowed, time anchors exist. By default a VEGF without a specimen is rejected, because
serum and plasma values differ about tenfold; ``lenient=True`` keeps it (the engine then
treats it as unusable, never as met).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, Location, UnitError
from ..knowledge.registry import Knowledge
from ..knowledge.yamlload import format_path, load_yaml, locate
from ..model import Case, Event, Finding, Measurement, When

MAX_CASE_BYTES = 20_000_000
WELL_KNOWN_ANCHORS = ("admission", "diagnosis", "onset", "presentation", "first_visit", "discharge")
_FINDING_KINDS = {"finding", "disease", "group", "procedure"}


def load_case(path: str | Path, kb: Knowledge, *, lenient: bool = False) -> Case:
    """Read a case file; ``.json``, ``.yaml`` and ``.yml`` are understood."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_CASE_BYTES:
            raise InputError(
                f"file is {size:,} bytes; the limit is {MAX_CASE_BYTES:,}", Location(str(p))
            )
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", Location(str(p))) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start}); save the case file as UTF-8", Location(str(p))
        ) from exc
    fmt = "json" if p.suffix.lower() == ".json" else "yaml"
    return parse_case(text, kb, filename=str(p), fmt=fmt, lenient=lenient)


def parse_case(
    text: str, kb: Knowledge, *, filename: str = "<case>", fmt: str = "yaml", lenient: bool = False
) -> Case:
    data = _parse_json(text, filename) if fmt == "json" else load_yaml(text, filename, InputError)
    if not isinstance(data, dict):
        raise InputError(
            f"a case file must hold one object (mapping), not {_describe(data)}",
            Location(filename),
        )
    located = _located_json(text, filename) if fmt == "json" else data
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        raise _translate(exc, located, filename) from None
    check_case(case, kb, data=located, filename=filename, lenient=lenient)
    return case


def _describe(data: Any) -> str:
    if data is None:
        return "nothing: the file is empty"
    if isinstance(data, list):
        return "a list"
    return f"a single value ({data!r:.40})"


def _located_json(text: str, filename: str) -> Any:
    """The JSON re-read by the strict YAML loader, whose nodes know their lines (JSON is
    nearly always valid YAML); None when it is not, and messages then give paths only."""
    try:
        return load_yaml(text, filename, InputError)
    except InputError:
        return None


def _parse_json(text: str, filename: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise _DuplicateKey(k)
            out[k] = v
        return out

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", Location(filename, exc.lineno, exc.colno)
        ) from exc
    except _DuplicateKey as dup:
        try:
            load_yaml(text, filename, InputError)  # finds the duplicate with its line
        except InputError as located:
            raise located from None
        raise InputError(f"duplicate key '{dup.key}'", Location(filename)) from None


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _translate(exc: ValidationError, data: Any, filename: str) -> InputError:
    err = exc.errors()[0]
    loc: list[str | int] = [p for p in err["loc"] if not (isinstance(p, str) and p in _UNION_TAGS)]
    msg = err["msg"].removeprefix("Value error, ")
    field = str(loc[-1]) if loc else "value"
    given = err.get("input")
    if err["type"] == "extra_forbidden":
        msg = f"unknown field '{field}'"
    elif err["type"] == "missing":
        msg = f"missing required field '{field}'"
    elif err["type"] == "union_tag_invalid":
        msg = "'kind' must be one of finding, measurement, nerve_conduction"
    elif err["type"] == "literal_error" and isinstance(given, str):
        expected = str(err.get("ctx", {}).get("expected", ""))
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        hint = _suggest(given.lower(), options)
        msg = f"unknown {field.replace('_', ' ')} '{given}'{hint} (expected {expected})"
    elif err["type"] in _BOUNDS and not isinstance(given, dict | list):
        words, key = _BOUNDS[err["type"]]
        limit = err.get("ctx", {}).get(key)
        msg = f"{field.replace('_', ' ')} must be {words} {limit}, got {given}{_unit_of(field)}"
    elif msg.startswith("a percentage cannot exceed 100"):
        loc = [*loc, "value"]
    where = locate(data, loc, filename)
    if where.line is None:
        where = Location(filename, path=format_path(loc) or None)
    return InputError(msg, where)


_BOUNDS = {
    "greater_than": ("greater than", "gt"),
    "greater_than_equal": ("greater than or equal to", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("less than or equal to", "le"),
}


def _unit_of(field: str) -> str:
    """The unit a model field name carries (``distal_latency_ms`` → " ms")."""
    for suffix, unit in (("_m_s", " m/s"), ("_ms", " ms"), ("_mm", " mm")):
        if field.endswith(suffix):
            return unit
    return ""


_UNION_TAGS = {"finding", "measurement", "nerve_conduction"}


def _suggest(name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, options, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""


def check_case(
    case: Case,
    kb: Knowledge,
    *,
    data: Any = None,
    filename: str = "<case>",
    lenient: bool = False,
) -> None:
    """Check a case against the knowledge base; raise the first problem as ``InputError``."""

    def where(*path: str | int) -> Location:
        if data is not None:
            return locate(data, list(path), filename)
        return Location(filename, path=format_path(list(path)))

    anchors = set(case.anchors) | {e.id for e in case.events} | set(WELL_KNOWN_ANCHORS)

    def check_when(when: When | None, *path: str | int) -> None:
        if when is not None and when.anchor is not None and when.anchor not in anchors:
            raise InputError(
                f"unknown time anchor '{when.anchor}'; define it under 'anchors' or use an"
                f" event id or one of {', '.join(WELL_KNOWN_ANCHORS)}",
                where(*path, "anchor"),
            )

    for name, when in case.anchors.items():
        check_when(when, "anchors", name)
    for i, ev in enumerate(case.events):
        _check_event(ev, kb, where("events", i, "concept"))
        check_when(ev.start, "events", i, "start")
        check_when(ev.end, "events", i, "end")
    for i, obs in enumerate(case.observations):
        check_when(obs.time, "observations", i, "time")
        if obs.kind == "nerve_conduction":
            continue
        concept = kb.concepts.get(obs.concept)
        if concept is None:
            raise InputError(
                f"unknown concept '{obs.concept}'{_suggest(obs.concept, list(kb.concepts))}",
                where("observations", i, "concept"),
            )
        if isinstance(obs, Finding) and concept.kind not in _FINDING_KINDS:
            raise InputError(
                f"'{obs.concept}' is a {concept.kind}; record it as kind: measurement",
                where("observations", i, "kind"),
            )
        if isinstance(obs, Measurement):
            _check_measurement(obs, kb, lambda *p, i=i: where("observations", i, *p), lenient)


def _check_measurement(
    obs: Measurement, kb: Knowledge, where: Callable[..., Location], lenient: bool
) -> None:
    """Kind, specimen and units of one measurement against its concept."""
    from ..units import dimension, is_compatible, parse_unit

    concept = kb.concepts[obs.concept]
    if concept.kind != "measurement":
        raise InputError(
            f"'{obs.concept}' is a {concept.kind}, not a measurement; use kind: finding",
            where("kind"),
        )
    if obs.specimen and concept.specimens and obs.specimen not in concept.specimens:
        raise InputError(
            f"specimen '{obs.specimen}' does not fit {obs.concept}; expected one of"
            f" {', '.join(concept.specimens)}",
            where("specimen"),
        )
    if concept.specimen_required and obs.specimen is None and not lenient:
        raise InputError(
            f"{kb.label(obs.concept)} has no specimen: serum and plasma values differ"
            " about tenfold, so it cannot be judged; add specimen: serum or plasma",
            where(),
        )
    range_unit = obs.reference_range.unit if obs.reference_range else None
    for field, unit in (("unit", obs.unit), ("reference_range", range_unit)):
        if not unit:
            continue
        try:
            parse_unit(unit)
        except UnitError as exc:
            raise InputError(exc.message, where(field)) from exc
        if concept.unit is None or is_compatible(unit, concept.unit):
            continue
        if concept.molar_mass_g_per_mol is not None and _molar_ok(unit, concept.unit):
            continue
        raise InputError(
            f"unit '{unit}' does not fit {obs.concept} ({dimension(unit)});"
            f" expected a {dimension(concept.unit)} such as {concept.unit}",
            where(field),
        )
    if obs.value is not None and obs.unit and obs.unit.strip() == "%" and obs.value > 100:
        raise InputError(f"a percentage cannot exceed 100, got {obs.value}", where("value"))


def _molar_ok(unit: str, concept_unit: str) -> bool:
    from ..units import convert_molar

    try:
        convert_molar(1.0, unit, concept_unit, 100.0)
    except UnitError:
        return False
    return True


def _check_event(ev: Event, kb: Knowledge, loc: Location) -> None:
    c = kb.concepts.get(ev.concept)
    if c is None:
        raise InputError(
            f"unknown treatment '{ev.concept}'{_suggest(ev.concept, list(kb.concepts))}", loc
        )
    if c.kind not in ("treatment", "procedure"):
        raise InputError(f"'{ev.concept}' is a {c.kind}, not a treatment or procedure", loc)
