"""Laboratory values: analyte, value, unit, range, specimen, typing, series."""

from __future__ import annotations

import pytest

import poemsdx
from poemsdx import Measurement
from poemsdx.extract import extract_text

KB = poemsdx.load_knowledge()


def _labs(text: str, lang: str | None = None) -> list[Measurement]:
    case = extract_text(text, KB, language=lang)
    return [o for o in case.observations if isinstance(o, Measurement)]


def _one(text: str, concept: str, lang: str | None = None) -> Measurement:
    found = [m for m in _labs(text, lang) if m.concept == concept]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "concept", "value", "unit", "low", "high"),
    [
        ("IgG4 392mg/dl（4.8～105mg/dl）", "igg4", 392, "mg/dL", 4.8, 105),
        ("血清VEGF 777pg/ml（基準値＜220pg/ml）", "vegf", 777, "pg/mL", None, 220),
        ("Serum VEGF 1200 pg/mL (ref < 220).", "vegf", 1200, "pg/mL", None, 220),
        ("Serum VEGF was 2,310 pg/mL (reference < 920 pg/mL).", "vegf", 2310, "pg/mL", None, 920),
        ("血红蛋白 85 g/L（参考值 130-175）", "hemoglobin", 85, "g/L", 130, 175),
        ("血清VEGF 1200pg/ml（正常值<600）", "vegf", 1200, "pg/mL", None, 600),
        ("IgG 1,860mg/dl（870～1,700mg/dl）", "igg", 1860, "mg/dL", 870, 1700),
        ("Plt 45.2万/μl", "platelet_count", 45.2, "10*4/uL", None, None),
        ("platelet count 468 x10^3/uL (150–400)", "platelet_count", 468, "10*3/uL", 150, 400),
        ("骨髄穿刺で形質細胞は4.6％と軽度増加", "bone_marrow_plasma_cells", 4.6, "%", None, None),
        ("eGFR 78 mL/min/1.73m2 (> 60)", "egfr", 78, "mL/min/{1.73_m2}", 60, None),
        ("血钙 2.71 mmol/L（2.11-2.52）", "calcium", 2.71, "mmol/L", 2.11, 2.52),
        ("κ/λ比 0.28（0.26～1.65）", "flc_ratio", 0.28, "1", 0.26, 1.65),
    ],
)
def test_value_unit_range(
    text: str, concept: str, value: float, unit: str, low: float | None, high: float | None
) -> None:
    m = _one(text, concept)
    assert (m.value, m.unit) == (value, unit)
    rr = m.reference_range
    assert (rr.low if rr else None, rr.high if rr else None) == (low, high)


def test_value_before_the_analyte_and_a_series() -> None:
    text = "治療開始直前には1,700pg/mlまで上昇したVEGF値は，治療5カ月後には548pg/mlまで低下した．"
    assert sorted(m.value or 0 for m in _labs(text) if m.concept == "vegf") == [548, 1700]


def test_lab_table_with_columns() -> None:
    text = (
        "Test            Result   Units     Ref. range\n"
        "IgA             388      mg/dL     110 - 410\n"
        "Free lambda     52.6     mg/L      5.7 - 26.3\n"
        "CRP             0.8      mg/L      < 5.0\n"
    )
    got = {
        m.concept: (m.value, m.reference_range.low if m.reference_range else None)
        for m in _labs(text)
    }
    assert got == {"iga": (388, 110), "free_lambda": (52.6, 5.7), "crp": (0.8, None)}


def test_series_table_under_a_header() -> None:
    text = (
        "Serum VEGF (ref 62-707 pg/mL):\n  Feb 2023      3,960 pg/mL\n  Sep 2023      1,210 pg/mL\n"
    )
    vegf = [m for m in _labs(text) if m.concept == "vegf"]
    assert [(m.value, m.specimen, m.time.date if m.time else None) for m in vegf] == [
        (3960, "serum", "2023-02"),
        (1210, "serum", "2023-09"),
    ]
    assert all(m.reference_range and m.reference_range.high == 707 for m in vegf)


@pytest.mark.parametrize(
    ("text", "heavy", "light", "specimen"),
    [
        ("血清でIgG-λ型M蛋白陽性。", "IgG", "lambda", "serum"),
        ("Serum immunofixation identified IgA lambda.", "IgA", "lambda", "serum"),
        ("血清免疫固定电泳IgG-λ型阳性。", "IgG", "lambda", "serum"),
        ("血清から λ型 IgGがモノクローナルに検出された。", "IgG", "lambda", "serum"),
        ("Serum IFE: lambda light chain only, no heavy chain.", None, "lambda", "serum"),
        ("血清免疫固定法でλ鎖のみのM蛋白を認めた。", None, "lambda", "serum"),
        ("Immunofixation showed a monoclonal kappa light chain.", None, "kappa", None),
    ],
)
def test_m_protein_typing(text: str, heavy: str | None, light: str, specimen: str | None) -> None:
    m = _one(text, "m_protein")
    assert (m.result, m.heavy_chain, m.light_chain, m.specimen) == (
        "positive",
        heavy,
        light,
        specimen,
    )
    assert m.method == "immunofixation" or "免疫固定" not in text


@pytest.mark.parametrize(
    ("text", "concept", "result"),
    [
        ("M蛋白は消失した。", "m_protein", "negative"),
        ("Bence Jones protein negative.", "bence_jones_protein", "negative"),
        ("CBC was normal.", "complete_blood_count", "normal"),
        ("VEGF and IL-6 were elevated.", "vegf", "high"),  # values not given: a qualitative result
    ],
)
def test_qualitative(text: str, concept: str, result: str) -> None:
    assert _one(text, concept).result == result


@pytest.mark.parametrize(
    ("text", "result", "specimen"),
    [
        ("Serum protein electrophoresis showed a small M-spike (0.4 g/dL).", None, "serum"),
        ("SPEP: M-spike 4.6 g/dL.", None, "serum"),
        ("Urine immunofixation: no M-protein.", "negative", "urine"),
        ("血清免疫固定法でIgG-λ型M蛋白陽性．", "positive", "serum"),
        ("IFE: IgG kappa M-protein.", "positive", None),  # no test names a specimen
    ],
)
def test_the_test_named_before_an_m_protein_gives_its_specimen(
    text: str, result: str | None, specimen: str | None
) -> None:
    found = [(m.specimen, m.result) for m in _labs(text) if m.concept == "m_protein"]
    assert (specimen, result) in found
    assert all(s == specimen for s, _ in found)


def test_a_semicolon_ends_the_test_that_names_the_specimen() -> None:
    text = "Serum protein electrophoresis normal; IFE: IgG kappa M-protein."
    found = {(m.result, m.specimen) for m in _labs(text) if m.concept == "m_protein"}
    assert found == {("negative", "serum"), ("positive", None)}


@pytest.mark.parametrize(
    "text",
    [
        "血清免疫固定电泳：多克隆增高，未见M蛋白。",
        "血清免疫固定法：ポリクローナルな増加、M蛋白は認めず。",
        "SPEP showed a polyclonal increase of gamma globulins; no M-protein.",
    ],
)
def test_a_polyclonal_rise_is_no_m_protein(text: str) -> None:
    found = {m.result for m in _labs(text) if m.concept == "m_protein"}
    assert found == {"negative"}


@pytest.mark.parametrize(
    "text",
    ["Serum free lambda light chain 286 mg/L.", "Kappa light chains: 12 mg/L.", "遊離λ鎖 412mg/L"],
)
def test_a_free_light_chain_value_is_no_m_protein(text: str) -> None:
    assert not [m for m in _labs(text) if m.concept == "m_protein"]


def test_specimen_is_never_guessed_for_vegf() -> None:
    assert _one("VEGF 1,650 pg/ml", "vegf").specimen is None
    assert _one("plasma VEGF 450 pg/mL", "vegf").specimen == "plasma"
    assert _one("VEGF（血清）1,650 pg/ml", "vegf").specimen == "serum"


def test_qualitative_restatement_of_a_number_is_dropped() -> None:
    labs = _labs("Serum VEGF 2,850 pg/mL. Elevated VEGF supports POEMS syndrome.")
    assert [(m.value, m.result) for m in labs if m.concept == "vegf"] == [(2850, None)]


def test_censored_and_unitless_values_are_not_held() -> None:
    assert [m for m in _labs("VEGF > 2,000 pg/mL; Cr 0.88") if m.value is not None] == []
