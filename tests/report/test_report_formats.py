"""Every format in every language renders the flagship case with the right verdicts.

The seed case (examples/seed-poems-igg4-aip.yaml; clinical/criteria-reference.md §8) is
POEMS with IgG4-related autoimmune pancreatitis: IMWG met, Chiba 2019 undetermined (two
minor criteria are unexamined), MHLW 2015 met as definite.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from poemsdx import Evaluation, InputError, Knowledge, evaluate, load_case, load_knowledge
from poemsdx.report import FORMATS, LANGUAGES, render
from poemsdx.report._locale import Locale

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-poems-igg4-aip.yaml"
HUMAN = ("text", "markdown", "html")
VERDICTS = [
    # criteria id, status, category
    ("poems-imwg", "met", None),
    ("poems-chiba-2019", "undetermined", None),
    ("poems-dispenzieri-2003", "met", None),
    ("poems-japan-mhlw", "met", "definite"),
]


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge()


@pytest.fixture(scope="module")
def seed(kb: Knowledge) -> Evaluation:
    return evaluate(load_case(SEED, kb), kb=kb)


def test_formats_and_languages_are_pinned() -> None:
    assert FORMATS == ("text", "markdown", "html", "json")
    assert LANGUAGES == ("en", "ja", "zh")


def _summary_line(out: str, criteria_id: str) -> str:
    """The first line naming a criteria set is its row of the summary table."""
    return next(line for line in out.splitlines() if criteria_id in line)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("fmt", HUMAN)
@pytest.mark.parametrize(("criteria_id", "status", "category"), VERDICTS)
def test_summary_states_each_verdict_in_the_language(
    seed: Evaluation,
    kb: Knowledge,
    fmt: str,
    lang: str,
    criteria_id: str,
    status: str,
    category: str | None,
) -> None:
    t = Locale(lang)
    line = _summary_line(render(seed, kb, fmt, lang), criteria_id)
    assert t(f"status.{status}") in line
    for other in ("met", "not_met", "undetermined"):
        word = t(f"status.{other}")
        if other != status and word not in t(f"status.{status}"):
            assert word not in line, f"{criteria_id}: '{word}' in summary line {line!r}"
    if category:
        label = seed.assessment(criteria_id).category_label or {}
        assert t.text(label) in line


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("fmt", HUMAN)
def test_titles_and_headings_are_in_the_language(
    seed: Evaluation, kb: Knowledge, fmt: str, lang: str
) -> None:
    t = Locale(lang)
    out = render(seed, kb, fmt, lang)
    assert t.text(kb.criteria["poems-imwg"].header.title) in out
    for key in ("report.summary", "report.checklist", "report.robustness", "report.next_tests"):
        assert t(key) in out
    if lang != "en":
        english = Locale("en")
        for key in ("report.summary", "report.checklist", "report.next_tests", "report.verdict"):
            assert english(key) not in out, f"untranslated '{english(key)}' in {fmt}/{lang}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_json_follows_the_design_contract(seed: Evaluation, kb: Knowledge, lang: str) -> None:
    out = render(seed, kb, "json", lang)
    data = json.loads(out)
    assert data["language"] == lang
    assert data["case"]["id"] == "seed-poems-igg4-aip"
    assert data["knowledge_version"] == seed.knowledge_version
    by_id = {a["criteria_id"]: a for a in data["assessments"]}
    for criteria_id, status, category in VERDICTS:
        a = by_id[criteria_id]
        assert (a["status"], a["category"]) == (status, category)
        assert {"items", "missing", "next_tests"} <= set(a)
        assert a["items"]["status"] in ("true", "false", "unknown")
        assert isinstance(a["missing"], list)
        assert isinstance(a["next_tests"], list)
    assert "多発根ニューロパチー" in out, "ensure_ascii must be off"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_case_renders(kb: Knowledge, fmt: str, lang: str) -> None:
    """Nothing known: every set is undetermined, and the report still says so cleanly."""
    from poemsdx import Case

    out = render(evaluate(Case(id="empty"), kb=kb), kb, fmt, lang)
    if fmt == "json":
        imwg = next(a for a in json.loads(out)["assessments"] if a["criteria_id"] == "poems-imwg")
        assert imwg["status"] == "undetermined"
    else:
        assert Locale(lang)("status.undetermined") in _summary_line(out, "poems-imwg")


@pytest.mark.parametrize(
    ("fmt", "lang", "needle"),
    [
        ("pdf", "en", "text, markdown, html, json"),
        ("TEXT", "en", "text, markdown, html, json"),
        ("text", "fr", "en, ja, zh"),
        ("json", "jp", "en, ja, zh"),
        ("html", "", "en, ja, zh"),
    ],
)
def test_unknown_format_or_language_is_an_input_error(
    seed: Evaluation, kb: Knowledge, fmt: str, lang: str, needle: str
) -> None:
    with pytest.raises(InputError, match=needle):
        render(seed, kb, fmt, lang)
