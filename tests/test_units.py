"""Tests for poemsdx.units: clinical spellings, conversions, and failure modes."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poemsdx.errors import UnitError
from poemsdx.units import (
    Unit,
    convert,
    convert_molar,
    dimension,
    is_compatible,
    normalize_spelling,
    parse_unit,
)

# --- spelling -> canonical UCUM ------------------------------------------------------

SPELLINGS = [
    ("mg/dL", "mg/dL"),
    ("mg/dl", "mg/dL"),
    ("MG/DL", "mg/dL"),
    ("mg%", "mg/dL"),
    ("g/L", "g/L"),
    ("g/l", "g/L"),
    ("g/dL", "g/dL"),
    ("pg/ml", "pg/mL"),
    ("pg/mL", "pg/mL"),
    ("ng/ml", "ng/mL"),
    ("µg/mL", "ug/mL"),
    ("μg/mL", "ug/mL"),
    ("mcg/mL", "ug/mL"),
    ("10*3/uL", "10*3/uL"),
    ("x10^3/µl", "10*3/uL"),
    ("×10³/µL", "10*3/uL"),
    ("10^3/ul", "10*3/uL"),
    ("×10^9/L", "10*9/L"),
    ("×10⁹/L", "10*9/L"),
    ("x109/L", "10*9/L"),
    ("K/uL", "10*3/uL"),
    ("万/μl", "10*4/uL"),
    ("10*4/uL", "10*4/uL"),
    ("/μl", "/uL"),
    ("/mm3", "/mm3"),
    ("/mm³", "/mm3"),
    ("cells/mm3", "/mm3"),
    ("mEq/L", "meq/L"),
    ("mmol/l", "mmol/L"),
    ("μmol/L", "umol/L"),
    ("[IU]/L", "[IU]/L"),
    ("IU/l", "[IU]/L"),
    ("mIU/L", "m[IU]/L"),
    ("µIU/mL", "u[IU]/mL"),
    ("U/L", "U/L"),
    ("U/ml", "U/mL"),
    ("u/l", "U/L"),
    ("msec", "ms"),
    ("ms", "ms"),
    ("m/sec", "m/s"),
    ("m/s", "m/s"),
    ("mV", "mV"),
    ("μV", "uV"),
    ("µV", "uV"),
    ("%", "%"),
    ("％", "%"),
    ("mm/h", "mm/h"),
    ("mm/hr", "mm/h"),
    ("fl", "fL"),
    ("/HPF", "/{HPF}"),
    ("/hpf", "/{HPF}"),
    ("mL/min/{1.73_m2}", "mL/min/{1.73_m2}"),
    ("ml/min/1.73 m²", "mL/min/{1.73_m2}"),
    ("ｍｇ／ｄｌ", "mg/dL"),
    ("㎎/㎗", "mg/dL"),
    ("mg\ufffddl", "mg/dL"),
    ("pg\ufffdml", "pg/mL"),
    ("\ufffdmm3", "/mm3"),
    ("  mg/dL\t", "mg/dL"),
    ("mg / dL", "mg/dL"),
    ("mmHg", "mm[Hg]"),
    ("°C", "Cel"),
    ("mg/24h", "mg/(24.h)"),
]


@pytest.mark.parametrize(("text", "ucum"), SPELLINGS)
def test_spelling_parses_to_canonical_ucum(text: str, ucum: str) -> None:
    unit = parse_unit(text)
    assert unit == Unit(ucum=ucum, original=text)


@pytest.mark.parametrize(("text", "ucum"), SPELLINGS)
def test_normalisation_is_idempotent(text: str, ucum: str) -> None:
    assert normalize_spelling(text) == ucum
    assert normalize_spelling(ucum) == ucum
    assert parse_unit(ucum).ucum == ucum


def test_unit_keeps_original_text() -> None:
    unit = parse_unit(" pg/ml ")
    assert unit.ucum == "pg/mL"
    assert unit.original == " pg/ml "
    assert str(unit) == "pg/mL"


# --- the special cases from clinical practice ----------------------------------------


def test_m_protein_mg_dl_to_g_l() -> None:
    assert convert(560, "mg/dL", "g/L") == 5.6


def test_platelets_thousands_per_ul_to_per_litre() -> None:
    assert convert(450, "10*3/uL", "10*9/L") == 450


def test_japanese_man_per_ul_platelets() -> None:
    # 45.1 x 10^4/uL is 451 x 10^3/uL
    assert convert(45.1, "万/μl", "10*3/uL") == 451


def test_igg_mg_dl_to_mg_l() -> None:
    assert convert(1, "mg/dL", "mg/L") == 10


def test_beta2_microglobulin_mg_l_to_mg_dl() -> None:
    assert convert(2.2, "mg/l", "mg/dL") == 0.22


def test_vegf_spelling_only() -> None:
    assert convert(777, "pg/ml", "pg/mL") == 777
    assert is_compatible("pg/ml", "pg/mL")


def test_lost_slash_from_pdf() -> None:
    assert parse_unit("mg\ufffddl").ucum == "mg/dL"
    assert convert(1.2, "mg\ufffddl", "mg/dL") == 1.2


def test_full_width_unit() -> None:
    assert parse_unit("ｍｇ／ｄｌ").ucum == "mg/dL"


def test_iu_and_u_are_the_same_for_enzymes() -> None:
    assert is_compatible("IU/l", "U/L")
    assert convert(120, "IU/l", "U/L") == 120
    assert dimension("IU/l") == dimension("U/L") == "catalytic concentration"


def test_milli_international_units_convert_with_prefixes() -> None:
    # TSH: mIU/L, uIU/mL and the UK spelling mU/L are the same number
    assert convert(2.5, "mIU/L", "uIU/mL") == 2.5
    assert convert(2.5, "mU/L", "mIU/L") == 2.5


def test_percent_stays_percent() -> None:
    assert parse_unit("%").ucum == "%"
    assert dimension("%") == "fraction"
    assert convert(45, "%", "1") == 0.45


def test_cubic_millimetre_equals_microlitre() -> None:
    assert convert(2, "/mm3", "/uL") == 2
    assert convert(2, "cells/mm3", "/uL") == 2


def test_creatinine_mg_dl_to_umol_l() -> None:
    value = convert_molar(1.2, "mg/dL", "umol/L", 113.12)
    assert round(value, 1) == 106.1


def test_creatinine_umol_l_to_mg_dl() -> None:
    assert convert_molar(106.08, "umol/L", "mg/dL", 113.12) == pytest.approx(1.2, rel=1e-4)


def test_convert_molar_same_kind_ignores_molar_mass() -> None:
    assert convert_molar(1.2, "mg/dL", "mg/L", 113.12) == 12


def test_convert_molar_rejects_bad_molar_mass() -> None:
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(UnitError, match="molar mass"):
            convert_molar(1.0, "mg/dL", "umol/L", bad)


def test_convert_molar_rejects_unrelated_kinds() -> None:
    with pytest.raises(UnitError, match="mass-based and a substance-based"):
        convert_molar(1.0, "mV", "mmol/L", 100.0)


def test_mass_to_moles_without_molar_mass_is_refused() -> None:
    with pytest.raises(UnitError) as info:
        convert(1.2, "mg/dL", "mmol/L", analyte="creatinine")
    message = str(info.value)
    assert "cannot convert 'mg/dL' to 'mmol/L' for creatinine" in message
    assert "molar mass" in message


def test_incompatible_kinds_raise() -> None:
    with pytest.raises(UnitError, match="different kinds of quantity") as info:
        convert(1.0, "mV", "pg/mL")
    assert "voltage" in str(info.value)
    assert "mass concentration" in str(info.value)
    assert not is_compatible("mV", "pg/mL")


def test_count_per_field_is_not_a_fraction() -> None:
    assert dimension("/HPF") == "count per field"
    assert not is_compatible("/HPF", "%")
    assert is_compatible("/HPF", "/[HPF]")
    with pytest.raises(UnitError, match="count per field"):
        convert(3, "/HPF", "%")


def test_equivalents_need_valence() -> None:
    assert convert(140, "mEq/L", "meq/L") == 140
    with pytest.raises(UnitError, match="valence"):
        convert(2.5, "mEq/L", "mmol/L")


def test_units_of_the_same_kind_convert() -> None:
    assert convert(1, "s", "ms") == 1000
    assert convert(50, "m/s", "cm/s") == 5000
    assert convert(1000, "uV", "mV") == 1
    assert convert(13.5, "g/dL", "g/L") == 135
    assert convert(7.5, "10*9/L", "/uL") == 7500
    assert convert(37, "°C", "[degF]") == pytest.approx(98.6)


def test_unit_objects_are_accepted() -> None:
    src, dst = parse_unit("mg%"), parse_unit("g/L")
    assert convert(560, src, dst) == 5.6
    assert is_compatible(src, "mg/dL")
    assert dimension(src) == "mass concentration"


def test_results_have_no_float_noise() -> None:
    assert convert(0.1, "g/L", "mg/dL") == 10
    assert convert(5.6, "g/L", "mg/dL") == 560


def test_dimension_names() -> None:
    assert dimension("mg/dL") == "mass concentration"
    assert dimension("10*3/uL") == "number concentration"
    assert dimension("mmol/L") == "substance concentration"
    assert dimension("U/L") == "catalytic concentration"
    assert dimension("ms") == "time"
    assert dimension("m/s") == "velocity"
    assert dimension("mV") == "voltage"


# --- garbage never escapes as anything but UnitError ---------------------------------

GARBAGE = [
    "",
    "   ",
    "mg/xx",
    "???",
    "{HPF}",
    "mg\ufffd",
    "10*99999999/L",
    "m99999999",
    "Cel/h",
    "mg" * 100,
    "x" * 10_000,
    "🧪/μl",
    "\x00\x01",
    "((((((((((((((((((((((((((((((m",
    "109/L",  # superscript lost without a multiplication sign: refused, not 109 per litre
]


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_raises_unit_error(text: str) -> None:
    with pytest.raises(UnitError):
        parse_unit(text)


def test_unknown_unit_message_says_what_is_expected() -> None:
    with pytest.raises(UnitError) as info:
        parse_unit("mg/xx")
    assert str(info.value) == (
        "unknown unit 'mg/xx'; expected a unit such as mg/dL, g/L, pg/mL, 10*3/uL"
    )


def test_library_errors_are_chained() -> None:
    with pytest.raises(UnitError) as info:
        parse_unit("mg/xx")
    assert info.value.__cause__ is not None


def test_non_text_is_a_unit_error() -> None:
    with pytest.raises(UnitError):
        parse_unit(None)  # type: ignore[arg-type]
    with pytest.raises(UnitError):
        convert(1.0, ["mg"], "mg")  # type: ignore[arg-type]


def test_garbage_in_convert_is_a_unit_error() -> None:
    with pytest.raises(UnitError):
        convert(1.0, "mg/xx", "mg/dL")
    with pytest.raises(UnitError):
        is_compatible("mg/dL", "???")
    with pytest.raises(UnitError):
        dimension("")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_parse_unit_returns_unit_or_raises_unit_error(text: str) -> None:
    try:
        unit = parse_unit(text)
    except UnitError:
        return
    assert isinstance(unit, Unit)
    assert unit.original == text


UNITISH = st.lists(
    st.sampled_from(
        [
            *"mgdLlu%/.*^0123456789[]{}()xX× µμ万\ufffdIUHPFhsVkKnp⁹³",
            *["10*", "mEq", "mcg", "IU", "HPF", "cells", "/mm3", "Cel", "[IU]", "{HPF}"],
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(UNITISH)
def test_unit_like_text_is_handled_and_canonical_form_is_stable(text: str) -> None:
    try:
        unit = parse_unit(text)
    except UnitError:
        return
    again = parse_unit(unit.ucum)
    assert again.ucum == unit.ucum
    assert is_compatible(unit, again)
    assert convert(1.0, unit, again) == 1.0
