"""The development corpus (tests/corpus): gold files are valid, and the extractor meets
its acceptance targets on it.

The gold schema and the scorer live in ``bench/extraction_accuracy.py``; conventions are
in ``tests/corpus/README.md``. The accuracy tests run only when ``poemsdx.extract`` can be
imported; until then they are skipped with the reason.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import unicodedata
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from poemsdx.knowledge.registry import Knowledge, load_knowledge

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
LANGUAGES = ("en", "ja", "zh")
MIN_NOTES = 15


def _load_scorer() -> ModuleType:
    name = "extraction_accuracy"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


scorer = _load_scorer()
NOTES = sorted(CORPUS.glob("*/*.txt"))


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge()


def _gold_path(txt: Path) -> Path:
    return txt.with_name(txt.stem + ".gold.yaml")


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _numbers(text: str) -> set[float]:
    """Every number written in the text (NFKC digits, thousands separators dropped)."""
    text = _THOUSANDS.sub("", unicodedata.normalize("NFKC", text))
    return {float(n) for n in _NUMBER.findall(text)}


@pytest.mark.parametrize("txt", NOTES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_gold_file_is_valid(txt: Path, kb: Knowledge) -> None:
    gold = scorer.load_gold(_gold_path(txt))
    assert gold.language == txt.parent.name
    assert scorer.check_gold(gold, kb) == []
    text = txt.read_text(encoding="utf-8")
    assert text.strip(), "empty note"
    # every number in the gold labs is written in the note (catches typos in either)
    written = _numbers(text)
    for lab in gold.labs:
        numbers = [lab.value] if lab.value is not None else []
        if lab.range is not None:
            numbers += [x for x in (lab.range.low, lab.range.high) if x is not None]
        for number in numbers:
            assert number in written, f"{lab.concept}: {number} is not in the note"


def test_every_gold_file_has_a_note() -> None:
    orphans = [
        p.name
        for p in CORPUS.glob("*/*.gold.yaml")
        if not p.with_name(p.name.removesuffix(".gold.yaml") + ".txt").exists()
    ]
    missing = [p.name for p in NOTES if not _gold_path(p).exists()]
    assert orphans == [] and missing == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_corpus_size_and_kinds(lang: str) -> None:
    notes = scorer.load_notes(lang, CORPUS)
    assert len(notes) >= MIN_NOTES
    kinds = {n.gold.kind for n in notes}
    assert kinds == {"patient_record", "disease_description"}


def test_gold_schema_rejects_mistakes() -> None:
    bad: list[dict[str, Any]] = [
        {"schema_version": 1, "language": "en", "kind": "patient_record", "extra": 1},
        {
            "schema_version": 1,
            "language": "en",
            "kind": "patient_record",
            "labs": [{"concept": "vegf", "value": 7, "result": "high"}],
        },
        {
            "schema_version": 1,
            "language": "en",
            "kind": "patient_record",
            "findings": [{"concept": "edema", "status": "present"}] * 2,
        },
        {
            "schema_version": 1,
            "language": "en",
            "kind": "disease_description",
            "findings": [{"concept": "edema", "status": "present"}],
        },
        {
            "schema_version": 1,
            "language": "en",
            "kind": "patient_record",
            "labs": [{"concept": "vegf", "value": 7, "unit": "pg/mL", "range": {}}],
        },
    ]
    for data in bad:
        with pytest.raises(ValueError):
            scorer.Gold.model_validate(data)


def test_check_gold_reports_unknown_concepts_and_units(kb: Knowledge) -> None:
    gold = scorer.Gold.model_validate(
        {
            "schema_version": 1,
            "language": "en",
            "kind": "patient_record",
            "findings": [
                {"concept": "no_such_thing", "status": "present"},
                {"concept": "vegf", "status": "present"},
            ],
            "labs": [{"concept": "vegf", "value": 7, "unit": "pg/ml"}],
        }
    )
    problems = scorer.check_gold(gold, kb)
    assert len(problems) == 3
    assert "unknown concept 'no_such_thing'" in problems[0]
    assert "'vegf' is a measurement" in problems[1]
    assert "UCUM 'pg/mL'" in problems[2]


# --------------------------------------------------------------------------------------
# Acceptance targets (need the extractor)
# --------------------------------------------------------------------------------------

_EXTRACTOR_MISSING = importlib.util.find_spec("poemsdx.extract") is None


@pytest.fixture(scope="module")
def scores(kb: Knowledge) -> dict[str, dict[str, Any]]:
    if _EXTRACTOR_MISSING:
        pytest.skip("poemsdx.extract is not available yet: extraction accuracy is not measured")
    # once the module exists, an import error is a failure, not a skip
    return {lang: scorer.score_corpus(lang, corpus=CORPUS, kb=kb) for lang in LANGUAGES}


_PROBLEMS = {
    "finding_f1": ("missed finding", "spurious finding", "extractor raised"),
    "status_accuracy": ("status ", "extractor raised"),
    "lab_exact": ("missed lab", "extractor raised"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("metric", sorted(scorer.TARGETS))
def test_extraction_meets_target(scores: dict[str, dict[str, Any]], lang: str, metric: str) -> None:
    result = scores[lang]
    target = scorer.TARGETS[metric]
    value = result[metric]
    misses = [
        f"{n['note']}: {p}"
        for n in result["per_note"]
        for p in n["problems"]
        if p.startswith(_PROBLEMS[metric])
    ]
    assert value is not None and value >= target, (
        f"{lang} {metric} = {value} < {target}; first misses:\n  " + "\n  ".join(misses[:25])
    )
