"""The nerve-conduction table as plain text, in any language the caller has words for.

``render(nerves)`` gives the English table; reports pass ``say(key, **fields)`` for their
language (keys as in ``ENGLISH``). Columns are padded by display width, so a Japanese or
Chinese table lines up in a terminal (a CJK character takes two columns).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

from ..engine.logic import T, U
from .measure import Measure, fmt_num, fmt_pct
from .nerve import NerveResult

Say = Callable[..., str]

ENGLISH: dict[str, str] = {
    "column.nerve": "nerve",
    "column.distal_latency": "distal latency",
    "column.amplitude": "amplitude",
    "column.velocity": "velocity",
    "column.f_wave": "F-wave",
    "column.range": "demyelinating range",
    "row": "{side}{nerve} {modality}",
    "side.left": "left ",
    "side.right": "right ",
    "measure": "{value} {unit} ({percent} of {kind} {limit})",
    "kind.ULN": "ULN",
    "kind.LLN": "LLN",
    "absent": "absent",
    "not_recordable": "not recordable",
    "in_range": "yes: {parameters}",
    "not_in_range": "no",
    "unknown": "unknown: {parameters}",
    "then": "; ",
    "list": ", ",
    "sensory.true": "sensory abnormal",
    "sensory.false": "sensory normal",
    "sensory.unknown": "sensory: unknown",
    "parameter.distal_latency": "DML",
    "parameter.conduction_velocity": "CV",
    "parameter.f_wave_latency": "F-latency",
    "parameter.f_wave_absence": "F absent",
    "parameter.conduction_block": "block",
    "parameter.temporal_dispersion": "dispersion",
    "parameter.distal_cmap_duration": "duration",
}


def english(key: str, **fields: object) -> str:
    """``say`` in English: the words of ``ENGLISH`` (nerve and modality names as written)."""
    template = ENGLISH.get(key, key.rsplit(".", 1)[-1].replace("_", " "))
    return template.format(**fields) if fields else template


def render(nerves: Sequence[NerveResult], say: Say = english) -> str:
    """One line per row: each value with its percentage of the limit, F-waves, and whether
    a parameter is in the demyelinating range (motor) or the row is abnormal (sensory)."""
    columns = ("nerve", "distal_latency", "amplitude", "velocity", "f_wave", "range")
    head = tuple(say(f"column.{k}") for k in columns)
    lines = [head]
    for r in nerves:
        f = r.measures.get("f_wave_latency")
        fw = say("absent") if r.row.f_wave_absent else (_measure(f, say) if f is not None else "")
        amplitude = (
            say("not_recordable")
            if r.row.not_recordable
            else _measure(r.measures["amplitude"], say)
        )
        lines.append(
            (
                _name(r, say),
                _measure(r.measures["distal_latency"], say),
                amplitude,
                _measure(r.measures["conduction_velocity"], say),
                fw,
                _range(r, say),
            )
        )
    widths = [max(_width(line[i]) for line in lines) for i in range(len(head))]
    out = [
        "  ".join(_pad(c, w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def _name(r: NerveResult, say: Say) -> str:
    side = say(f"side.{r.row.side}") if r.row.side else ""
    nerve = say(f"nerve.{r.row.nerve}")
    return say("row", side=side, nerve=nerve, modality=say(f"modality.{r.row.modality}"))


def _measure(m: Measure, say: Say) -> str:
    if m.value is None:
        return "—"
    if m.percent is None or m.limit is None:
        return f"{fmt_num(m.value)} {m.unit}"
    return say(
        "measure",
        value=fmt_num(m.value),
        unit=m.unit,
        percent=fmt_pct(m.percent),
        kind=say(f"kind.{m.kind}"),
        limit=fmt_num(m.limit.value),
    )


def _range(r: NerveResult, say: Say) -> str:
    if r.row.modality == "sensory":
        return say(f"sensory.{r.sensory_abnormal.value}")
    hits = [say(f"parameter.{k}") for k, p in r.parameters.items() if p.truth is T]
    unknown = [say(f"parameter.{k}") for k, p in r.parameters.items() if p.truth is U]
    sep = say("list")
    text = say("in_range", parameters=sep.join(hits)) if hits else say("not_in_range")
    if unknown:
        text += say("then") + say("unknown", parameters=sep.join(unknown))
    return text


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
