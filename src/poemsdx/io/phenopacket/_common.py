"""What both directions of the Phenopacket adapter share: the protobuf round trip, CURIE
rules, the ``key: value`` description lines, and times as ``TimeElement``.

Times: a full date is a ``timestamp``; a partial date (``2009-11``) is an ``interval``
covering the whole month or year; a time relative to an anchor or a phase, which
Phenopackets cannot express, is an ``ontologyClass`` with a ``POEMSDX:`` code
(``POEMSDX:@asct+P5M``, label "5 months after transplant"); an ``age`` (ISO 8601
duration since birth) is read as an offset from the anchor ``birth``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from ...errors import InputError, Location
from ...model import When
from ...model.time import date_bounds
from ..interop import parse_time_code, time_code

Json = dict[str, Any]
LOCAL = "POEMSDX"
SCHEMA_VERSION = "2.0"
CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*:\S+$")
CURIE_RULES: dict[str, re.Pattern[str]] = {
    "HP": re.compile(r"^HP:\d{7}$"),
    "ORPHA": re.compile(r"^ORPHA:\d+$"),
    "LOINC": re.compile(r"^LOINC:\d{1,7}-\d$"),
    "MONDO": re.compile(r"^MONDO:\d{7}$"),
    "UBERON": re.compile(r"^UBERON:\d{7}$"),
    "SNOMEDCT": re.compile(r"^SNOMEDCT:\d{6,18}$"),
    "UCUM": re.compile(r"^UCUM:\S+$"),
    LOCAL: re.compile(rf"^{LOCAL}:\S+$"),
}
CURIE_EXAMPLES = {
    "HP": "HP:0001271",
    "ORPHA": "ORPHA:2905",
    "LOINC": "LOINC:2469-5",
    "MONDO": "MONDO:0017364",
    "UBERON": "UBERON:0001977",
    "SNOMEDCT": "SNOMEDCT:10828004",
    "UCUM": "UCUM:mg/dL",
}


def to_proto(data: Json, source: str) -> Any:
    """Parse a Phenopacket JSON object with the official schema; errors → ``InputError``."""
    from google.protobuf import json_format
    from phenopackets import Phenopacket

    msg = Phenopacket()
    try:
        json_format.ParseDict(data, msg)
    except (json_format.ParseError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"not a valid Phenopacket v2: {exc}", Location(source)) from exc
    return msg


def to_json_dict(msg: Any) -> Json:
    """Protobuf → camelCase JSON object, zero values kept (``ReferenceRange.low = 0``),
    empty strings and empty lists left out."""
    from google.protobuf import json_format

    data = json_format.MessageToDict(msg, always_print_fields_with_no_presence=True)
    return _prune(data)  # type: ignore[no-any-return]


_MAPS = ("fileAttributes", "individualToFileIdentifiers")  # protobuf maps: unordered


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: dict(sorted(v.items())) if k in _MAPS and isinstance(v, dict) else _prune(v)
            for k, v in value.items()
            if v not in ("", [], {})
        }
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def curie_prefix(curie: str) -> str:
    return curie.split(":", 1)[0]


def check_curie(curie: Any) -> str | None:
    """Why ``curie`` is not a valid CURIE for its prefix, or None."""
    if not isinstance(curie, str) or not CURIE.match(curie):
        return f"'{curie}' is not a CURIE (PREFIX:local-id)"
    prefix = curie_prefix(curie)
    rule = CURIE_RULES.get(prefix)
    if rule is not None and not rule.match(curie):
        example = CURIE_EXAMPLES.get(prefix, f"{prefix}:…")
        return f"'{curie}' is not a valid {prefix} id (expected e.g. {example})"
    return None


# -- description lines ------------------------------------------------------------------


def describe(pairs: list[tuple[str, str | None]]) -> str:
    """``key: value`` lines (newlines inside values become spaces)."""
    return "\n".join(f"{k}: {' '.join(v.split())}" for k, v in pairs if v)


def read_description(text: str | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and re.fullmatch(r"[a-z_ ]+", key.strip()):
            out.setdefault(key.strip(), []).append(value.strip())
    return out


# -- times -------------------------------------------------------------------------------


def _ts(d: date, end: bool = False) -> str:
    return f"{d.isoformat()}T23:59:59Z" if end else f"{d.isoformat()}T00:00:00Z"


def time_element(when: When | None) -> Json | None:
    if when is None:
        return None
    if when.date and not when.anchor and not when.phase:
        first, last = (date.fromordinal(int(x)) for x in date_bounds(when.date))
        if first == last:
            return {"timestamp": _ts(first)}
        return {"interval": {"start": _ts(first), "end": _ts(last, end=True)}}
    return {
        "ontologyClass": {
            "id": f"{LOCAL}:{time_code(when)}",
            "label": when.label or when.describe(),
        }
    }


def _day(text: str) -> date:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def read_time_element(te: Json | None, where: Location, notes: list[str]) -> When | None:
    """A ``TimeElement`` as a ``When`` (``age`` as an offset from the anchor ``birth``)."""
    if not te:
        return None
    if "timestamp" in te:
        return When(date=_day(str(te["timestamp"])).isoformat())
    if "interval" in te:
        interval = te["interval"]
        if not interval.get("start") or not interval.get("end"):
            raise InputError("a time interval needs a start and an end", where)
        start, end = _day(str(interval["start"])), _day(str(interval["end"]))
        if start.day == 1 and (end + timedelta(days=1)).day == 1:
            if start.month == 1 and end.month == 12 and start.year == end.year:
                return When(date=f"{start.year:04d}")
            if (start.year, start.month) == (end.year, end.month):
                return When(date=f"{start.year:04d}-{start.month:02d}")
        notes.append(f"{where.path}: interval {start}/{end} read as its first day")
        return When(date=start.isoformat(), label=f"{start.isoformat()}/{end.isoformat()}")
    if "ontologyClass" in te:
        oc = te["ontologyClass"]
        curie = str(oc.get("id", ""))
        if curie.startswith(f"{LOCAL}:"):
            when = parse_time_code(curie[len(LOCAL) + 1 :], oc.get("label"), where)
            if when.label and when.label == when.model_copy(update={"label": None}).describe():
                when = when.model_copy(update={"label": None})  # the label was only generated
            return when
        notes.append(
            f"{where.path}: time '{oc.get('label') or curie}' cannot be placed on the timeline"
        )
        return When(label=str(oc.get("label") or curie))
    age = te.get("age") or (te.get("ageRange") or {}).get("start")
    if isinstance(age, dict) and age.get("iso8601duration"):
        duration = str(age["iso8601duration"])
        days = duration.split("T", 1)[0]  # hours and minutes do not matter here
        try:
            return When(anchor="birth", offset=days, label=f"age {duration}")
        except ValueError as exc:
            raise InputError(
                f"invalid age '{duration}'; expected an ISO 8601 duration such as P57Y", where
            ) from exc
    notes.append(f"{where.path}: kind of time not supported")
    return None
