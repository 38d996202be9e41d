"""Acceptance: the seed case's response five months after the transplant.

The oracle is §8 of the clinical criteria reference ("POEMS response at T2") and §9 point 7,
worked by hand, not copied from the engine:

    serum VEGF   1,700 (T1, just before treatment) → 548 pg/mL (T2)  = −68 %
                 lab ULN 220 (given with the T0 value)   → 548 is still 2.5 × ULN
      Mayo-style (UNVERIFIED): not normalised, ≥ 50 % fall        → partial
      Gentile 2024 (VERIFIED): serum < 1,000 pg/mL                → complete
    M-protein    positive (T0) → "disappeared", method not stated → hematologic undetermined
                                                                    pending immunofixation
    IgG4         392 (T0) → 735 mg/dL (T2) = +88 %, above ULN 105 → worsening
    amylase      123 → 41 U/L = −67 %                              → improving
      VEGF and amylase fall, the M-protein goes, IgG4 rises        → discordant (observation)
    3 months     pigmentation gone                                 → finding resolved
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from poemsdx import Knowledge, load_case, load_knowledge
from poemsdx.response import ResponseReport, assess_response

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-poems-igg4-aip.yaml"


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge()


@pytest.fixture(scope="module")
def report(kb: Knowledge) -> ResponseReport:
    return assess_response(load_case(SEED, kb), kb)


def test_treatment_and_time_points(report: ResponseReport) -> None:
    assert report.treatment is not None
    assert report.treatment.event == "asct"
    assert [tp.months_after_treatment for tp in report.timepoints] == [3.0, 5.0]
    assert report.at(5).label == "5 months after transplant (T2)"


def test_vegf_at_five_months_shows_both_definitions(report: ResponseReport) -> None:
    vegf = report.at(5).domain("vegf")
    assert vegf.status == "depends_on_definition"
    mayo = vegf.result("vegf-mayo")
    assert (mayo.category, mayo.verification, mayo.specimen) == ("partial", "UNVERIFIED", "serum")
    assert mayo.change_percent == pytest.approx(-67.8, abs=0.1)
    assert mayo.baseline is not None and mayo.baseline.value == 1700
    assert mayo.follow_up is not None and mayo.follow_up.value == 548
    assert "−68 %" in mayo.reason
    # why not complete: still above the lab's upper limit, carried from the T0 value
    assert any("not < ULN 220" in r and "same laboratory assumed" in r for r in mayo.ruled_out)
    gentile = vegf.result("vegf-gentile-2024")
    assert (gentile.category, gentile.verification) == ("complete", "VERIFIED")
    assert "Gentile" in (gentile.source or "")
    assert gentile.note is not None and "6 months" in gentile.note["en"]
    assert "partial" in vegf.summary and "complete" in vegf.summary


def test_hematologic_undetermined_pending_immunofixation(report: ResponseReport) -> None:
    hem = report.at(5).domain("hematologic")
    assert hem.status == "undetermined"
    (result,) = hem.results
    assert result.category == "undetermined"
    assert "pending immunofixation" in result.reason
    assert "serum_urine_ife" in hem.tests


def test_clinical_and_radiologic_undetermined_with_tests(report: ResponseReport) -> None:
    five = report.at(5)
    assert five.domain("clinical").status == "undetermined"
    assert five.domain("radiologic").status == "undetermined"
    assert five.domain("radiologic").notes[0]["en"].startswith("Sclerosis itself does not resolve")
    three = report.at(3).domain("clinical")
    (change,) = three.findings
    assert (change.concept, change.change, change.direction) == (
        "hyperpigmentation",
        "resolved",
        "improved",
    )


def test_igg4_rising_against_the_other_markers_is_flagged(report: ResponseReport) -> None:
    five = report.at(5)
    directions = {m.concept: m.direction for m in five.markers}
    assert directions == {
        "vegf": "improving",
        "m_protein": "improving",
        "igg4": "worsening",
        "pancreatic_amylase": "improving",
    }
    assert five.marker("igg4").change_percent == pytest.approx(87.5)
    d = five.discordance
    assert d is not None
    assert d.kind == "observation"
    assert [m.concept for m in d.worsening] == ["igg4"]
    assert {"vegf", "m_protein"} <= {m.concept for m in d.improving}
    assert "consider a second process" in d.text
    assert "IgG4 +88 %" in d.text and "VEGF −68 %" in d.text
    assert report.at(3).discordance is None


def test_report_is_json_with_versions(report: ResponseReport, kb: Knowledge) -> None:
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["knowledge_version"] == kb.version
    assert data["definitions_version"].startswith("2025.1+")
    five = data["timepoints"][1]
    assert five["domains"][0]["results"][1]["category"] == "complete"
    assert five["discordance"]["worsening"][0]["concept"] == "igg4"
