"""Followed labs as plottable series (the data behind the timeline plots)."""

from __future__ import annotations

from pathlib import Path

import pytest

from poemsdx import Case, Event, Knowledge, Measurement, When, load_case, load_knowledge
from poemsdx.response import timeline, treatment_marks

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-poems-igg4-aip.yaml"


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge()


@pytest.fixture(scope="module")
def seed(kb: Knowledge) -> Case:
    return load_case(SEED, kb)


def test_seed_followed_labs(seed: Case, kb: Knowledge) -> None:
    series = timeline(seed, kb)
    assert [(s.concept, s.specimen) for s in series] == [
        ("vegf", "serum"),
        ("m_protein", "serum"),
        ("igg4", "serum"),
        ("pancreatic_amylase", "serum"),
    ]
    vegf = series[0]
    assert [p.value for p in vegf.points] == [777, 1700, 548]
    assert [p.phase for p in vegf.points] == ["before_treatment"] * 2 + ["after_treatment"]
    assert [p.date for p in vegf.points] == ["2009-11-15", "2010-01-15", "2010-06-17"]
    assert vegf.points[-1].time == "5 months after transplant (T2)"
    assert vegf.points[-1].approximate  # a month plus an offset: a range of days
    assert vegf.band is not None and (vegf.band.high, vegf.band.origin) == (220, "lab range")
    assert vegf.name("ja") == "VEGF"
    m_protein = series[1]
    assert m_protein.qualitative and m_protein.band is None
    assert [p.result for p in m_protein.points] == ["positive", "negative"]
    assert series[2].name("zh") == "IgG4"


def test_explicit_concepts_keep_their_order_and_single_values(seed: Case, kb: Knowledge) -> None:
    series = timeline(seed, kb, concepts=["igg", "vegf"])
    assert [s.concept for s in series] == ["igg", "vegf"]
    assert len(series[0].points) == 1


def test_units_converted_and_default_band_sourced(kb: Knowledge) -> None:
    case = Case(
        id="t",
        events=(Event(id="asct", concept="hdm_asct", start=When(date="2020-01-15")),),
        observations=(
            Measurement(
                concept="platelet_count",
                value=450,
                unit="10*3/uL",
                specimen="blood",
                time=When(date="2019-12-01"),
            ),
            Measurement(
                concept="platelet_count",
                value=30,
                unit="10*4/uL",
                specimen="blood",
                time=When(date="2020-07-01"),
            ),
        ),
    )
    (s,) = timeline(case, kb)
    assert s.unit == "10*3/uL"
    assert [p.value for p in s.points] == [450, 300]
    assert s.band is not None and s.band.origin.startswith("default range")
    assert "UNVERIFIED" in s.band.origin
    (mark,) = treatment_marks(case, kb)
    assert (mark.event, mark.date, mark.first) == ("asct", "2020-01-15", True)
    assert mark.short_names["en"] == "ASCT"


def test_series_to_dict(seed: Case, kb: Knowledge) -> None:
    data = timeline(seed, kb)[0].to_dict()
    assert data["concept"] == "vegf"
    assert data["points"][0]["value"] == 777
