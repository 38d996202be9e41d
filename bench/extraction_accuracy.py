"""Extraction accuracy on the development corpus (``tests/corpus/{en,ja,zh}``).

Each note ``NAME.txt`` has a gold file ``NAME.gold.yaml`` (conventions in
``tests/corpus/README.md``). This script runs ``poemsdx.extract.extract_text`` on every note
and compares the resulting ``Case`` with the gold file:

* findings: precision / recall / F1 on concepts (exact concept; the hierarchy does not
  count), and status accuracy over the gold findings whose concept was found;
* labs: *exact match* = the fraction of gold labs matched one-to-one by an extracted
  measurement with the same concept, value (relative 1e-9, after unit conversion), unit
  and reference range; a qualitative gold lab matches on concept + result (+ chains);
* events on concept (+ date), document kind, patient age/sex, nerve-conduction row count.

Run::

    .venv/bin/python bench/extraction_accuracy.py [--lang en ja] [--details] [--json FILE]

It writes nothing unless ``--json`` is given. Importable: ``score_corpus("en")`` returns
the metrics of one language, ``score_all()`` those of every language and overall.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from poemsdx.errors import UnitError
from poemsdx.knowledge.registry import Knowledge, load_knowledge
from poemsdx.units import convert, parse_unit

__all__ = [
    "CORPUS",
    "LANGUAGES",
    "TARGETS",
    "ExtractorMissing",
    "Gold",
    "check_gold",
    "load_gold",
    "load_notes",
    "score_all",
    "score_corpus",
]

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
LANGUAGES = ("en", "ja", "zh")
# Acceptance targets per language (issue "Read clinical text in English, Japanese and Chinese").
TARGETS = {"finding_f1": 0.95, "status_accuracy": 0.97, "lab_exact": 0.97}

_REL_TOL = 1e-9
FINDING_KINDS = frozenset({"finding", "disease", "group"})


# --------------------------------------------------------------------------------------
# Gold schema
# --------------------------------------------------------------------------------------


def _as_text(v: object) -> object:
    """YAML reads 2024-02-05 as a date and 2023 as an int; gold keeps them as text."""
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(v)
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GoldPatient(_Strict):
    age: float | None = Field(default=None, ge=0, le=130)
    sex: Literal["male", "female"] | None = None


class GoldFinding(_Strict):
    concept: str = Field(min_length=1)
    status: Literal["present", "absent", "uncertain"]


class GoldRange(_Strict):
    low: float | None = Field(default=None, ge=0)
    high: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _sides(self) -> GoldRange:
        if self.low is None and self.high is None:
            raise ValueError("a range needs low, high or both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"range low {self.low} is above high {self.high}")
        return self


class GoldLab(_Strict):
    concept: str = Field(min_length=1)
    value: float | None = Field(default=None, ge=0)
    unit: str | None = None
    result: (
        Literal["positive", "negative", "equivocal", "normal", "abnormal", "high", "low"] | None
    ) = None
    heavy_chain: Literal["IgG", "IgA", "IgM", "IgD", "IgE"] | None = None
    light_chain: Literal["kappa", "lambda"] | None = None
    specimen: (
        Literal["serum", "plasma", "blood", "urine", "csf", "bone_marrow", "tissue", "lymph_node"]
        | None
    ) = None
    range: GoldRange | None = None
    time: str | None = None

    @field_validator("time", mode="before")
    @classmethod
    def _time_text(cls, v: object) -> object:
        return _as_text(v)

    @model_validator(mode="after")
    def _one_result(self) -> GoldLab:
        if (self.value is None) == (self.result is None):
            raise ValueError("a gold lab has either a value or a qualitative result")
        if self.value is None and (self.unit is not None or self.range is not None):
            raise ValueError("unit and range belong to a numeric value")
        return self


class GoldEvent(_Strict):
    concept: str = Field(min_length=1)
    date: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, v: object) -> object:
        return _as_text(v)


class Gold(_Strict):
    """One gold file: what a careful reader takes from the note (see the corpus README)."""

    schema_version: Literal[1]
    language: Literal["en", "ja", "zh"]
    kind: Literal["patient_record", "disease_description"]
    patient: GoldPatient = GoldPatient()
    findings: list[GoldFinding] = []
    labs: list[GoldLab] = []
    events: list[GoldEvent] = []
    ncs_rows: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Gold:
        if self.kind == "disease_description" and (
            self.findings
            or self.labs
            or self.events
            or self.ncs_rows
            or self.patient != GoldPatient()
        ):
            raise ValueError("a disease_description has no patient, findings, labs or events")
        seen: set[tuple[str, str]] = set()
        for f in self.findings:
            if (f.concept, f.status) in seen:
                raise ValueError(f"finding ({f.concept}, {f.status}) is listed twice")
            seen.add((f.concept, f.status))
        return self


@dataclass(frozen=True)
class Note:
    name: str
    language: str
    text: str
    gold: Gold


def load_gold(path: Path) -> Gold:
    """Read and validate one gold file (raises ``pydantic.ValidationError``)."""
    return Gold.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_notes(lang: str, corpus: Path = CORPUS) -> list[Note]:
    """Every note of one language, sorted by name."""
    notes = []
    for txt in sorted((corpus / lang).glob("*.txt")):
        gold_path = txt.with_name(txt.stem + ".gold.yaml")
        notes.append(Note(txt.stem, lang, txt.read_text(encoding="utf-8"), load_gold(gold_path)))
    return notes


def check_gold(gold: Gold, kb: Knowledge) -> list[str]:
    """Problems between a gold file and the knowledge base (concept ids, kinds, units)."""
    problems: list[str] = []

    def kind_of(cid: str, wanted: Iterable[str], where: str) -> None:
        concept = kb.concepts.get(cid)
        if concept is None:
            problems.append(f"{where}: unknown concept '{cid}'")
        elif concept.kind not in wanted:
            problems.append(f"{where}: '{cid}' is a {concept.kind}, not one of {sorted(wanted)}")

    for i, f in enumerate(gold.findings):
        kind_of(f.concept, FINDING_KINDS, f"findings[{i}]")
    for i, lab in enumerate(gold.labs):
        kind_of(lab.concept, {"measurement"}, f"labs[{i}]")
        if lab.unit is not None:
            try:
                canonical = parse_unit(lab.unit).ucum
            except UnitError as exc:
                problems.append(f"labs[{i}]: {exc}")
            else:
                if canonical != lab.unit:
                    problems.append(f"labs[{i}]: write unit '{lab.unit}' as UCUM '{canonical}'")
    for i, ev in enumerate(gold.events):
        kind_of(ev.concept, {"treatment"}, f"events[{i}]")
    return problems


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------


class ExtractorMissing(RuntimeError):
    """``poemsdx.extract.extract_text`` cannot be imported."""


def _extractor() -> Callable[..., Any]:
    try:
        module = importlib.import_module("poemsdx.extract")
    except ImportError as exc:
        raise ExtractorMissing(f"poemsdx.extract cannot be imported: {exc}") from exc
    fn = getattr(module, "extract_text", None)
    if not callable(fn):
        raise ExtractorMissing("poemsdx.extract has no function extract_text")
    return fn  # type: ignore[no-any-return]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=1e-12)


def _in_gold_unit(value: float, unit: str | None, gold_unit: str | None) -> float | None:
    """``value`` expressed in the gold unit; None when the units cannot be compared."""
    if gold_unit is None:
        return value  # the note wrote no unit: the extractor may assume the usual one
    if unit is None:
        return None
    try:
        if parse_unit(unit).ucum == gold_unit:
            return value
        return convert(value, unit, gold_unit)
    except UnitError:
        return None


def _lab_matches(gold: GoldLab, m: Any) -> bool:
    if m.concept != gold.concept:
        return False
    if gold.value is None:  # qualitative
        return (
            m.result == gold.result
            and (gold.heavy_chain is None or m.heavy_chain == gold.heavy_chain)
            and (gold.light_chain is None or m.light_chain == gold.light_chain)
        )
    if m.value is None:
        return False
    value = _in_gold_unit(m.value, m.unit, gold.unit)
    if value is None or not _close(value, gold.value):
        return False
    rr = m.reference_range
    low = rr.low if rr is not None else None
    high = rr.high if rr is not None else None
    range_unit = (rr.unit if rr is not None and rr.unit else None) or m.unit
    for gold_side, side in (
        (gold.range.low if gold.range else None, low),
        (gold.range.high if gold.range else None, high),
    ):
        if gold_side is None or side is None:
            if gold_side is not side:
                return False
            continue
        converted = _in_gold_unit(side, range_unit, gold.unit)
        if converted is None or not _close(converted, gold_side):
            return False
    return True


def _event_matches(gold: GoldEvent, ev: Any) -> bool:
    if ev.concept != gold.concept:
        return False
    if gold.date is None:
        return True
    start = ev.start.date if ev.start is not None else None
    return bool(start) and str(start).startswith(gold.date)


def _match(gold: Sequence[Any], found: Sequence[Any], ok: Callable[[Any, Any], bool]) -> list[int]:
    """Maximum one-to-one matching (Kuhn); ``result[i]`` is the index matched to gold i or -1."""
    edges = [[j for j, f in enumerate(found) if ok(g, f)] for g in gold]
    owner = [-1] * len(found)

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if owner[j] == -1 or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(gold)):
        augment(i, set())
    result = [-1] * len(gold)
    for j, i in enumerate(owner):
        if i != -1:
            result[i] = j
    return result


@dataclass
class Counts:
    notes: int = 0
    errors: int = 0
    finding_tp: int = 0
    finding_fp: int = 0
    finding_fn: int = 0
    status_total: int = 0
    status_correct: int = 0
    lab_gold: int = 0
    lab_exact: int = 0
    lab_extracted: int = 0
    specimen_total: int = 0
    specimen_correct: int = 0
    event_gold: int = 0
    event_matched: int = 0
    event_extracted: int = 0
    kind_correct: int = 0
    patient_total: int = 0
    patient_correct: int = 0
    ncs_notes: int = 0
    ncs_exact: int = 0
    ncs_spurious_notes: int = 0
    chars: int = 0
    seconds: float = 0.0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class NoteResult:
    name: str
    counts: Counts
    problems: list[str] = field(default_factory=list)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _metrics(c: Counts) -> dict[str, Any]:
    precision = _ratio(c.finding_tp, c.finding_tp + c.finding_fp)
    recall = _ratio(c.finding_tp, c.finding_tp + c.finding_fn)
    f1 = _ratio(2 * c.finding_tp, 2 * c.finding_tp + c.finding_fp + c.finding_fn)
    return {
        "notes": c.notes,
        "errors": c.errors,
        "finding_precision": precision,
        "finding_recall": recall,
        "finding_f1": f1,
        "status_accuracy": _ratio(c.status_correct, c.status_total),
        "lab_exact": _ratio(c.lab_exact, c.lab_gold),
        "lab_precision": _ratio(c.lab_exact, c.lab_extracted),
        "specimen_accuracy": _ratio(c.specimen_correct, c.specimen_total),
        "event_recall": _ratio(c.event_matched, c.event_gold),
        "event_precision": _ratio(c.event_matched, c.event_extracted),
        "kind_accuracy": _ratio(c.kind_correct, c.notes),
        "patient_accuracy": _ratio(c.patient_correct, c.patient_total),
        "ncs_rows_exact": _ratio(c.ncs_exact, c.ncs_notes),
        "chars_per_second": _ratio(c.chars, c.seconds),
        "counts": {k: getattr(c, k) for k in c.__dataclass_fields__},
    }


def _describe_lab(lab: GoldLab) -> str:
    if lab.value is None:
        chains = "-".join(x for x in (lab.heavy_chain, lab.light_chain) if x)
        return f"{lab.concept} {lab.result}{' ' + chains if chains else ''}"
    rng = ""
    if lab.range is not None:
        rng = f" [{'' if lab.range.low is None else lab.range.low}–"
        rng += f"{'' if lab.range.high is None else lab.range.high}]"
    return f"{lab.concept} {lab.value:g} {lab.unit or '(no unit)'}{rng}"


def score_note(note: Note, extract: Callable[..., Any], kb: Knowledge) -> NoteResult:
    """Compare one note's extraction with its gold file."""
    gold = note.gold
    c = Counts(notes=1, chars=len(note.text))
    res = NoteResult(note.name, c)
    c.lab_gold = len(gold.labs)
    c.event_gold = len(gold.events)
    c.ncs_notes = int(gold.ncs_rows is not None)
    c.patient_total = int(gold.patient.age is not None) + int(gold.patient.sex is not None)
    gold_concepts = {f.concept for f in gold.findings}
    t0 = time.perf_counter()
    try:
        case = extract(note.text, kb, document_id=note.name)
    except Exception as exc:  # a crash costs this note everything, never the whole run
        c.seconds = time.perf_counter() - t0
        c.errors = 1
        c.finding_fn = len(gold_concepts)
        res.problems.append(f"extractor raised {type(exc).__name__}: {exc}")
        return res
    c.seconds = time.perf_counter() - t0

    observations = list(case.observations)
    found: dict[str, set[str]] = {}
    for o in observations:
        if o.kind == "finding":
            found.setdefault(o.concept, set()).add(o.status)
    c.finding_tp = len(gold_concepts & found.keys())
    c.finding_fp = len(found.keys() - gold_concepts)
    c.finding_fn = len(gold_concepts - found.keys())
    res.problems += [f"missed finding {cid}" for cid in sorted(gold_concepts - found.keys())]
    res.problems += [
        f"spurious finding {cid} ({', '.join(sorted(found[cid]))})"
        for cid in sorted(found.keys() - gold_concepts)
    ]
    gold_status: dict[str, set[str]] = {}
    for f in gold.findings:
        gold_status.setdefault(f.concept, set()).add(f.status)
    for f in gold.findings:
        if f.concept not in found:
            continue
        c.status_total += 1
        # right only if the status was found and no status outside the gold was claimed
        if f.status in found[f.concept] and found[f.concept] <= gold_status[f.concept]:
            c.status_correct += 1
        else:
            res.problems.append(
                f"status {f.concept}: gold {f.status}, extracted {sorted(found[f.concept])}"
            )

    measurements = [o for o in observations if o.kind == "measurement"]
    c.lab_extracted = len(measurements)
    for lab, j in zip(gold.labs, _match(gold.labs, measurements, _lab_matches), strict=True):
        if j == -1:
            res.problems.append(f"missed lab {_describe_lab(lab)}")
            continue
        c.lab_exact += 1
        if lab.specimen is not None:
            c.specimen_total += 1
            c.specimen_correct += int(measurements[j].specimen == lab.specimen)

    events = list(case.events)
    c.event_extracted = len(events)
    for ev, j in zip(gold.events, _match(gold.events, events, _event_matches), strict=True):
        if j == -1:
            res.problems.append(f"missed event {ev.concept}{' ' + ev.date if ev.date else ''}")
        else:
            c.event_matched += 1

    kind = "patient_record" if case.describes_a_patient else "disease_description"
    c.kind_correct = int(kind == gold.kind)
    if not c.kind_correct:
        res.problems.append(f"kind: gold {gold.kind}, extracted {kind}")
    if gold.patient.age is not None and case.patient.age is not None:
        c.patient_correct += int(_close(case.patient.age, gold.patient.age))
    if gold.patient.sex is not None:
        c.patient_correct += int(case.patient.sex == gold.patient.sex)
    rows = sum(1 for o in observations if o.kind == "nerve_conduction")
    if gold.ncs_rows is not None:
        c.ncs_exact = int(rows == gold.ncs_rows)
        if not c.ncs_exact:
            res.problems.append(f"nerve-conduction rows: gold {gold.ncs_rows}, extracted {rows}")
    elif rows:
        c.ncs_spurious_notes = 1
        res.problems.append(f"{rows} nerve-conduction rows in a note without a table")
    return res


def score_corpus(
    lang: str, *, corpus: Path = CORPUS, kb: Knowledge | None = None
) -> dict[str, Any]:
    """Metrics for one language; raises :class:`ExtractorMissing` without an extractor."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language '{lang}'; expected one of {', '.join(LANGUAGES)}")
    extract = _extractor()
    kb = kb if kb is not None else load_knowledge()
    notes = load_notes(lang, corpus)
    if notes:  # warm-up (lexicons, tokenisers), not timed; a crash is scored per note
        with contextlib.suppress(Exception):
            extract(notes[0].text, kb, document_id="warm-up")
    total = Counts()
    per_note = []
    for note in notes:
        res = score_note(note, extract, kb)
        total.add(res.counts)
        per_note.append({"note": f"{lang}/{res.name}", "problems": res.problems})
    return {"language": lang, **_metrics(total), "per_note": per_note}


def score_all(
    langs: Sequence[str] = LANGUAGES, *, corpus: Path = CORPUS, kb: Knowledge | None = None
) -> dict[str, Any]:
    """Metrics per language and overall."""
    kb = kb if kb is not None else load_knowledge()
    per_lang = {lang: score_corpus(lang, corpus=corpus, kb=kb) for lang in langs}
    total = Counts()
    for result in per_lang.values():
        total.add(Counts(**result["counts"]))
    return {"languages": per_lang, "overall": _metrics(total)}


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------

_ROWS = [
    ("notes", "notes"),
    ("finding_precision", "finding precision"),
    ("finding_recall", "finding recall"),
    ("finding_f1", "finding F1"),
    ("status_accuracy", "status accuracy"),
    ("lab_exact", "lab exact match"),
    ("lab_precision", "lab precision"),
    ("specimen_accuracy", "specimen accuracy"),
    ("event_recall", "event recall"),
    ("event_precision", "event precision"),
    ("kind_accuracy", "kind accuracy"),
    ("patient_accuracy", "patient age/sex"),
    ("ncs_rows_exact", "NCS row count exact"),
    ("errors", "extractor errors"),
    ("chars_per_second", "characters / second"),
]


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if key == "chars_per_second":
        return f"{value:,.0f}"
    if isinstance(value, float):
        mark = " *" if key in TARGETS and value < TARGETS[key] else ""
        return f"{value:.3f}{mark}"
    return str(value)


def format_table(result: dict[str, Any]) -> str:
    columns = [*result["languages"].items(), ("overall", result["overall"])]
    width = max(len(label) for _, label in _ROWS) + 2
    lines = ["".ljust(width) + "".join(name.rjust(12) for name, _ in columns)]
    for key, label in _ROWS:
        lines.append(label.ljust(width) + "".join(_cell(key, m[key]).rjust(12) for _, m in columns))
    targets = ", ".join(f"{k} ≥ {v}" for k, v in TARGETS.items())
    lines.append(f"(* below target; targets per language: {targets})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--lang", nargs="+", choices=LANGUAGES, default=list(LANGUAGES))
    parser.add_argument("--details", action="store_true", help="list every miss per note")
    parser.add_argument("--json", metavar="FILE", help="also write the full results as JSON")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a language misses a target"
    )
    args = parser.parse_args(argv)
    try:
        result = score_all(args.lang)
    except ExtractorMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(
            "The extractor (poemsdx.extract.extract_text) is not available; nothing to score.",
            file=sys.stderr,
        )
        return 2
    print(format_table(result))
    for lang_result in result["languages"].values():
        crashes = [
            f"{n['note']}: {p}"
            for n in lang_result["per_note"]
            for p in n["problems"]
            if p.startswith("extractor raised")
        ]
        if crashes:
            print(f"\n{len(crashes)} note(s) made the extractor raise; first: {crashes[0]}")
    if args.details:
        for lang_result in result["languages"].values():
            for note in lang_result["per_note"]:
                if note["problems"]:
                    print(f"\n{note['note']}")
                    for problem in note["problems"]:
                        print(f"  - {problem}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    if args.check:
        for lang_result in result["languages"].values():
            for key, target in TARGETS.items():
                if lang_result[key] is None or lang_result[key] < target:
                    return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
