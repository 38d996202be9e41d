"""Nerve-conduction tables: one ``NerveConduction`` per row.

Reports print motor and sensory blocks, each with a header naming its columns and one
row per nerve and side::

    MNC Distal latency (msec)  CMAP amplitude (mV)  Conduction velocity (m/sec)
    Rt. median 4.8 8.2 53.4
    SNC Peak latency (msec)    SAP amplitude (μV)   Conduction velocity (m/sec)
    Rt. sural 3.3 11.9 54.3

A block starts at a line naming the modality (MNC, motor, 運動神経, 运动; SNC, sensory,
感覚神経, 感觉); the column order is read from the header words between it and the first
row (latency, amplitude, velocity, F-wave), defaulting to latency–amplitude–velocity.
A row is a side, a nerve and two to five numbers (or "NE"/"誘発不能" when no response was
recordable). Rows before any block header are skipped: without the modality the
amplitude's unit (mV or µV) is unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pydantic import ValidationError

from ..model import Evidence, NerveConduction
from .alternation import alternation
from .lexicon import Lexicon
from .normalise import Normalised

EXTRACTOR = "poemsdx.extract.ncs"
_NUMBER = r"\d+(?:\.\d+)?"
_FIELDS = {
    "latency": "distal_latency_ms",
    "amplitude": "amplitude",
    "velocity": "conduction_velocity_m_s",
    "f_wave": "f_wave_latency_ms",
}
_DEFAULT_ORDER = ("latency", "amplitude", "velocity")
_RE_ROW_HINT = re.compile(r"\d[ \t]+\d+(?:\.\d+)?[ \t]*$", re.M)


def _alt(words: list[str]) -> str:
    return alternation(words, ignore_case=True)  # (every pattern here ignores case)


def _words(words: list[str]) -> str:
    """An alternation in which Latin words must stand alone ("CV" not inside "SCV")."""
    parts = []
    for w in sorted(set(words), key=len, reverse=True):
        p = re.escape(w)
        if w[:1].isascii() and w[:1].isalpha():
            p = rf"(?<![A-Za-z]){p}"
        if w[-1:].isascii() and w[-1:].isalpha():
            p = rf"{p}(?![A-Za-z])"
        parts.append(p)
    return "|".join(parts)


@dataclass(frozen=True, slots=True, eq=False)
class NcsRules:
    row: re.Pattern[str]
    block: re.Pattern[str]
    column: re.Pattern[str]
    sides: dict[str, str]
    nerves: dict[str, str]
    modalities: dict[str, str]
    columns: dict[str, str]
    absent: frozenset[str]


@lru_cache(maxsize=8)
def compile_ncs(lexicons: tuple[Lexicon, ...]) -> NcsRules:
    sides: dict[str, str] = {}
    nerves: dict[str, str] = {}
    modalities: dict[str, str] = {}
    columns: dict[str, str] = {}
    absent: set[str] = set()
    for lex in lexicons:
        for side_name, words in lex.labs.sides.items():
            sides.update({w.lower(): str(side_name) for w in words})
        for nerve, words in lex.labs.nerves.items():
            nerves.update({w.lower(): nerve for w in words})
        for mod, words in lex.labs.modalities.items():
            modalities.update({w.lower(): mod for w in words})
        for col, words in lex.labs.columns.items():
            columns.update({w.lower(): col for w in words})
        absent.update(w.lower() for w in lex.labs.not_recordable)
    cell = rf"(?:{_NUMBER}|{_alt(list(absent))}|-|—|–)" if absent else rf"(?:{_NUMBER}|-|—|–)"
    side = _alt(list(sides))
    row = re.compile(
        rf"^[ \t]*(?:(?P<side>{side})[ \t]*)?(?P<nerve>{_alt(list(nerves))})"
        rf"(?:[ \t]*(?:nerve|神経|神经))?"
        rf"(?:[ \t]*\([^)\n]{{1,16}}\))?(?:[ \t]*(?P<side2>{side})(?![A-Za-z]))?"
        rf"(?:[ \t]+(?P<site>[^\d\s]{{1,8}}))?"
        rf"(?P<cells>[ \t]*{cell}(?:[ \t]+{cell}){{0,4}})[ \t]*$",
        re.M | re.I,
    )
    # a block header starts its line ("MNC Distal latency", "＜運動神経伝導検査＞")
    block = re.compile(rf"^[ \t]*[<＜(（【■\[]?[ \t]*(?:{_words(list(modalities))})", re.I | re.M)
    column = re.compile(_words(list(columns)), re.I)
    return NcsRules(row, block, column, sides, nerves, modalities, columns, frozenset(absent))


def find_rows(rules: NcsRules, norm: Normalised, document_id: str) -> list[NerveConduction]:
    """Every table row that can be read as a nerve-conduction measurement."""
    text = norm.text
    out: list[NerveConduction] = []
    if _RE_ROW_HINT.search(text) is None:
        return out  # no line ends in numbers: no table to read
    rows = list(rules.row.finditer(text))
    if not rows:
        return out
    region = max(0, rows[0].start() - 3000)
    blocks = [
        (m.start(), rules.modalities[m.group().lstrip(" \t<＜(（【■[").lower()])
        for m in rules.block.finditer(text, region, rows[-1].start())
    ]
    orders: dict[int, tuple[str, ...]] = {}
    for m in rows:
        header = [b for b in blocks if b[0] < m.start()]
        if not header:
            continue
        block_start, modality = header[-1]
        if block_start not in orders:
            orders[block_start] = _column_order(rules, text[block_start : m.start()])
        order = orders[block_start]
        row = _row(rules, m, modality, order)
        if row is None:
            continue
        first = m.start("side") if m.start("side") >= 0 else m.start("nerve")
        s, e = norm.source_span(first, m.end("cells"))
        evidence = Evidence(
            document_id=document_id, start=s, end=e, quote=norm.original[s:e], extractor=EXTRACTOR
        )
        try:
            out.append(NerveConduction(evidence=(evidence,), **row))
        except ValidationError:
            continue  # an impossible value (velocity 300 m/s): not a nerve-conduction row
    return out


def _column_order(rules: NcsRules, header: str) -> tuple[str, ...]:
    seen: list[str] = []
    for m in rules.column.finditer(header):
        col = rules.columns[m.group().lower()]
        if col not in seen:
            seen.append(col)
    return tuple(seen) if len(seen) >= 2 else _DEFAULT_ORDER


def _row(
    rules: NcsRules, m: re.Match[str], modality: str, order: tuple[str, ...]
) -> dict[str, object] | None:
    """Field values of one row; a row whose cells all say "no response" is not
    recordable, one absent F-wave is just that."""
    cells = m.group("cells").split()
    side_text = (m.group("side") or m.group("side2") or "").lower()
    row: dict[str, object] = {"nerve": rules.nerves[m.group("nerve").lower()], "modality": modality}
    side = rules.sides.get(side_text) or rules.sides.get(side_text.rstrip("."))
    if side:
        row["side"] = side
    values = 0
    absent = 0
    for col, cell in zip(order, cells, strict=False):
        if cell.lower() in rules.absent or cell in "-—–":
            absent += 1
            if col == "f_wave":
                row["f_wave_absent"] = True
            continue
        try:
            row[_FIELDS[col]] = float(cell)
            values += 1
        except ValueError:
            continue
    if values == 0:
        if not absent and not all(c.lower() in rules.absent for c in cells):
            return None
        row["not_recordable"] = True
        row.pop("f_wave_absent", None)
    return row
