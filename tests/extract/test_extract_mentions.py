"""``find_mentions``: the first half of the extractor on its own. Its finding statuses
must be those the full extractor gives (same sentences, cues and filters), its spans must
point into the text, and a disease description has no mentions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import poemsdx
from poemsdx.cli import app
from poemsdx.errors import InputError
from poemsdx.extract import FoundMention, extract_text, find_mentions

KB = poemsdx.load_knowledge()
CORPUS = Path(__file__).resolve().parents[1] / "corpus"
NOTES = sorted(CORPUS.glob("*/*.txt"))
FINDING_KINDS = {"finding", "disease", "group"}


def by_concept(found: list[FoundMention]) -> dict[str, FoundMention]:
    return {m.concept: m for m in found}


@pytest.mark.parametrize("path", NOTES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_statuses_agree_with_the_full_extractor(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lang = path.parent.name
    full = {
        (o.concept, o.status)
        for o in extract_text(text, KB, language=lang).observations
        if o.kind == "finding"
    }
    mentioned = {
        (m.concept, m.status)
        for m in find_mentions(text, KB, language=lang)
        if m.kind in FINDING_KINDS and m.status is not None
    }
    assert mentioned == full


def test_context_in_english() -> None:
    text = (
        "HPI: 61-year-old woman with numbness of both feet.\n"
        "Exam: no papilledema; bilateral leg edema. Possible hepatomegaly.\n"
        "Family history: her father had diabetes mellitus.\n"
    )
    found = by_concept(find_mentions(text, KB))
    assert found["papilledema"].status == "absent"
    assert "negation" in found["papilledema"].categories
    assert found["edema"].status == "present"
    assert found["hepatomegaly"].status == "uncertain"
    assert found["diabetes_mellitus"].status is None
    assert "family" in found["diabetes_mellitus"].categories
    for m in found.values():
        assert text[m.start : m.end] == m.quote


def test_context_in_japanese_and_chinese() -> None:
    ja = by_concept(find_mentions("現症：肝脾腫はなかった。両下肢に浮腫を認めた。", KB))
    assert ja["hepatosplenomegaly"].status == "absent"
    assert ja["edema"].status == "present"
    assert ja["edema"].language == "ja"
    zh = by_concept(find_mentions("查体：无肝脾肿大，双下肢水肿。", KB))
    assert zh["hepatosplenomegaly"].status == "absent"
    assert zh["edema"].status == "present"


def test_measurements_and_treatments_are_named_without_a_status() -> None:
    found = by_concept(find_mentions("Serum VEGF was raised. She received lenalidomide.", KB))
    assert found["vegf"].kind == "measurement" and found["vegf"].status is None
    assert found["lenalidomide"].kind == "treatment" and found["lenalidomide"].status is None


def test_spans_index_the_text_with_crlf_made_lf() -> None:
    text = "Exam:\r\nno papilledema.\r\nbilateral edema.\r\n"
    lf = text.replace("\r\n", "\n")
    for m in find_mentions(text, KB):
        assert lf[m.start : m.end] == m.quote


def test_a_disease_description_has_no_mentions() -> None:
    text = (
        "POEMS syndrome\n"
        "POEMS syndrome is a rare paraneoplastic disorder. It is characterized by "
        "polyneuropathy, organomegaly, endocrinopathy, an M-protein and skin changes. "
        "Papilledema is seen in about 30% of patients and edema in 60%.\n"
    )
    assert extract_text(text, KB).documents[0].kind == "disease_description"
    assert find_mentions(text, KB) == []


def test_size_limit_and_language_are_checked() -> None:
    with pytest.raises(InputError, match="limit is 10"):
        find_mentions("x" * 11, KB, max_chars=10)
    with pytest.raises(InputError, match="unknown language 'fr'"):
        find_mentions("œdème", KB, language="fr")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_gives_mentions_that_point_into_it(text: str) -> None:
    lf = text.replace("\r\n", "\n").replace("\r", "\n")
    for m in find_mentions(text, KB):
        assert 0 <= m.start <= m.end <= len(lf)
        assert lf[m.start : m.end] == m.quote


def test_cli_mentions(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("現症：肝脾腫はなかった。両下肢に浮腫を認めた。\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", str(note), "--mentions"])
    assert result.exit_code == 0, result.output
    assert "hepatosplenomegaly: absent (negation)" in result.output
    result = CliRunner().invoke(app, ["extract", str(note), "--mentions", "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {(r["concept"], r["status"]) for r in rows} >= {
        ("hepatosplenomegaly", "absent"),
        ("edema", "present"),
    }
