"""Response definitions on small hand-built courses, one table row per situation.

Every course is one treatment (ASCT, 2020-01-15) with values before it (``months < 0``)
and one follow-up time point (``months > 0``)::

    ──●──────────●───────|ASCT|──────────────●──────►
     −3 mo      −1 mo                       +6 mo
    (baseline = the last value before ASCT, same specimen)
"""

from __future__ import annotations

from typing import Any

import pytest

from poemsdx import (
    Case,
    Event,
    Finding,
    Knowledge,
    Measurement,
    ReferenceRange,
    When,
    load_knowledge,
)
from poemsdx.response import assess_response


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge()


def _when(months: float) -> When:
    if months < 0:
        return When(anchor="asct", offset=f"-P{-months:g}M")
    return When(anchor="asct", offset=f"P{months:g}M")


def m(
    concept: str,
    value: float | None = None,
    unit: str | None = None,
    *,
    months: float,
    result: str | None = None,
    specimen: str | None = "serum",
    high: float | None = None,
    method: str | None = None,
) -> Measurement:
    data: dict[str, Any] = {
        "concept": concept,
        "value": value,
        "unit": unit,
        "result": result,
        "specimen": specimen,
        "method": method,
        "time": _when(months),
    }
    if high is not None:
        data["reference_range"] = ReferenceRange(high=high, unit=unit)
    return Measurement(**data)


def f(concept: str, status: str, months: float) -> Finding:
    return Finding(concept=concept, status=status, time=_when(months))  # type: ignore[arg-type]


def course(*observations: Measurement | Finding, treated: bool = True) -> Case:
    events = (Event(id="asct", concept="hdm_asct", start=When(date="2020-01-15")),)
    return Case(id="t", events=events if treated else (), observations=observations)


def VEGF(v: float, months: float, **kw: Any) -> Measurement:
    return m("vegf", v, "pg/mL", months=months, **kw)


# (id, observations, domain, definition, expected category)
CASES: list[tuple[str, tuple[Measurement | Finding, ...], str, str, str]] = [
    # --- VEGF -------------------------------------------------------------------------------
    ("vegf normalised", (VEGF(900, -1, high=220), VEGF(150, 6)), "vegf", "vegf-mayo", "complete"),
    (
        "vegf normalised, gentile",
        (VEGF(900, -1), VEGF(150, 6)),
        "vegf",
        "vegf-gentile-2024",
        "complete",
    ),
    ("vegf 40% fall", (VEGF(2000, -1, high=220), VEGF(1200, 6)), "vegf", "vegf-mayo", "stable"),
    (
        "vegf ≥1000 gentile",
        (VEGF(2000, -1), VEGF(1200, 6)),
        "vegf",
        "vegf-gentile-2024",
        "not_complete",
    ),
    (
        "vegf rise above ULN",
        (VEGF(800, -1, high=220), VEGF(1300, 6)),
        "vegf",
        "vegf-mayo",
        "progression",
    ),
    # a rise that stays within the range is not progression
    (
        "vegf rise within range",
        (VEGF(60, -1, high=220), VEGF(100, 6)),
        "vegf",
        "vegf-mayo",
        "complete",
    ),
    # no pre-treatment value: the fall cannot be judged, the level can
    ("vegf no baseline, high", (VEGF(548, 6, high=220),), "vegf", "vegf-mayo", "undetermined"),
    ("vegf no baseline, normal", (VEGF(100, 6, high=220),), "vegf", "vegf-mayo", "complete"),
    # no lab range at all: the catalogue's sourced serum range (male/female differ; sex
    # unknown here → none applies) — complete cannot be judged, the 50 % fall can
    ("vegf no range, fall", (VEGF(2000, -1), VEGF(500, 6)), "vegf", "vegf-mayo", "partial"),
    # plasma: never compared with the serum 1,000 pg/mL cut-off
    (
        "plasma vegf, gentile",
        (VEGF(400, -1, specimen="plasma"), VEGF(90, 6, specimen="plasma")),
        "vegf",
        "vegf-gentile-2024",
        "not_applicable",
    ),
    (
        "plasma vegf, mayo uses the plasma range",
        (VEGF(400, -1, specimen="plasma", high=115), VEGF(90, 6, specimen="plasma")),
        "vegf",
        "vegf-mayo",
        "complete",
    ),
    # serum baseline, plasma follow-up: different tests, no baseline for plasma
    (
        "specimen switch",
        (VEGF(2000, -1, high=220), VEGF(300, 6, specimen="plasma")),
        "vegf",
        "vegf-mayo",
        "undetermined",
    ),
    # --- hematologic --------------------------------------------------------------------------
    (
        "IFE negative serum and urine",
        (
            m("m_protein", result="positive", months=-1, method="immunofixation"),
            m("m_protein", result="negative", months=6, method="immunofixation"),
            m("m_protein", result="negative", months=6, method="immunofixation", specimen="urine"),
        ),
        "hematologic",
        "hematologic-ife",
        "complete",
    ),
    (
        "serum IFE negative, urine not done",
        (
            m("m_protein", result="positive", months=-1),
            m("m_protein", result="negative", months=6, method="immunofixation"),
        ),
        "hematologic",
        "hematologic-ife",
        "undetermined",
    ),
    (
        "negative by electrophoresis only",
        (
            m("m_protein", result="positive", months=-1),
            m("m_protein", result="negative", months=6, method="electrophoresis"),
            m("m_protein", result="negative", months=6, method="immunofixation", specimen="urine"),
        ),
        "hematologic",
        "hematologic-ife",
        "undetermined",
    ),
    (
        "urine immunofixation only",
        (
            m("m_protein", result="positive", months=-1),
            m("m_protein", result="negative", months=6, method="immunofixation", specimen="urine"),
        ),
        "hematologic",
        "hematologic-ife",
        "undetermined",
    ),
    (
        "urine still positive",
        (
            m("m_protein", result="positive", months=-1),
            m("bence_jones_protein", result="positive", months=6, specimen="urine"),
        ),
        "hematologic",
        "hematologic-ife",
        "not_complete",
    ),
    (
        "measurable M-protein halves",
        (m("m_protein", 1.2, "g/dL", months=-1), m("m_protein", 0.5, "g/dL", months=6)),
        "hematologic",
        "hematologic-ife",
        "partial",
    ),
    (
        "measurable M-protein rises",
        (m("m_protein", 1.0, "g/dL", months=-1), m("m_protein", 1.6, "g/dL", months=6)),
        "hematologic",
        "hematologic-ife",
        "progression",
    ),
    (
        "measurable M-protein, small change",
        (m("m_protein", 1.0, "g/dL", months=-1), m("m_protein", 0.8, "g/dL", months=6)),
        "hematologic",
        "hematologic-ife",
        "stable",
    ),
    (
        "small M-protein halves: not measurable",
        (m("m_protein", 0.3, "g/dL", months=-1), m("m_protein", 0.1, "g/dL", months=6)),
        "hematologic",
        "hematologic-ife",
        "not_complete",
    ),
    (
        "still positive, never quantified",
        (
            m("m_protein", result="positive", months=-1),
            m("m_protein", result="positive", months=6, method="immunofixation"),
        ),
        "hematologic",
        "hematologic-ife",
        "not_complete",
    ),
    # --- clinical ------------------------------------------------------------------------------
    (
        "ONLS improves",
        (m("onls", 5, "1", months=-1, specimen=None), m("onls", 3, "1", months=6, specimen=None)),
        "clinical",
        "clinical-onls",
        "improvement",
    ),
    (
        "INCAT worsens",
        (m("incat", 2, "1", months=-1, specimen=None), m("incat", 4, "1", months=6, specimen=None)),
        "clinical",
        "clinical-incat",
        "worsening",
    ),
    (
        "ONLS unchanged",
        (m("onls", 4, "1", months=-1, specimen=None), m("onls", 4, "1", months=6, specimen=None)),
        "clinical",
        "clinical-onls",
        "stable",
    ),
    (
        "mCRES direction not verified",
        (m("mcres", 4, "1", months=-1, specimen=None), m("mcres", 2, "1", months=6, specimen=None)),
        "clinical",
        "clinical-mcres",
        "undetermined",
    ),
    # --- radiologic ----------------------------------------------------------------------------
    (
        "FDG avidity resolved",
        (f("fdg_avid_bone_lesions", "present", -1), f("fdg_avid_bone_lesions", "absent", 6)),
        "radiologic",
        "radiologic-fdg",
        "complete",
    ),
    (
        "SUVmax halves",
        (
            m("fdg_suvmax", 8, "1", months=-1, specimen=None),
            m("fdg_suvmax", 4, "1", months=6, specimen=None),
        ),
        "radiologic",
        "radiologic-fdg",
        "partial",
    ),
]


@pytest.mark.parametrize(
    ("observations", "domain", "definition", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in CASES],
)
def test_category(
    kb: Knowledge,
    observations: tuple[Measurement | Finding, ...],
    domain: str,
    definition: str,
    expected: str,
) -> None:
    report = assess_response(course(*observations), kb)
    (tp,) = report.timepoints
    assert tp.months_after_treatment == 6.0
    result = tp.domain(domain).result(definition)
    assert result.category == expected, result.reason
    assert result.reason
    if expected not in ("undetermined", "not_applicable"):
        assert result.source and result.verification in ("VERIFIED", "CORROBORATED", "UNVERIFIED")


def test_undetermined_names_what_would_settle_it(kb: Knowledge) -> None:
    obs = (
        m("m_protein", result="positive", months=-1),
        m("m_protein", result="negative", months=6),
    )
    hem = assess_response(course(*obs), kb).timepoints[0].domain("hematologic")
    assert hem.status == "undetermined"
    assert hem.tests == ("serum_urine_ife",)
    assert "immunofixation" in hem.test_labels[0]["en"].lower()


def test_limit_origin_is_said(kb: Knowledge) -> None:
    """Lab range of the value, else the same test's range from another time, else the
    catalogue's sourced default (here: serum VEGF for a man)."""
    own = course(VEGF(900, -1), VEGF(400, 6, high=300))
    carried = course(VEGF(900, -1, high=220), VEGF(400, 6))
    default = Case(
        id="t",
        patient={"sex": "male"},  # type: ignore[arg-type]
        events=(Event(id="asct", concept="hdm_asct", start=When(date="2020-01-15")),),
        observations=(VEGF(900, -1), VEGF(400, 6)),
    )
    texts = []
    for case in (own, carried, default):
        r = assess_response(case, kb).timepoints[0].domain("vegf").result("vegf-mayo")
        texts.append(" ".join(r.ruled_out) + r.reason)
    assert "ULN 300 pg/mL (lab range)" in texts[0]
    assert "same laboratory assumed" in texts[1]
    assert "default range" in texts[2] and "VERIFIED" in texts[2]


def test_no_discordance_when_everything_improves(kb: Knowledge) -> None:
    obs = (
        VEGF(1500, -1, high=220),
        VEGF(400, 6),
        m("igg4", 400, "mg/dL", months=-1, high=105),
        m("igg4", 150, "mg/dL", months=6),
    )
    (tp,) = assess_response(course(*obs), kb).timepoints
    assert {mc.direction for mc in tp.markers} == {"improving"}
    assert tp.discordance is None


def test_rise_within_the_range_is_not_worsening(kb: Knowledge) -> None:
    obs = (
        VEGF(1500, -1, high=220),
        VEGF(400, 6),
        m("igg4", 20, "mg/dL", months=-1, high=105),
        m("igg4", 60, "mg/dL", months=6),
    )
    (tp,) = assess_response(course(*obs), kb).timepoints
    assert tp.marker("igg4").direction != "worsening"
    assert tp.discordance is None


def test_units_are_converted_before_comparing(kb: Knowledge) -> None:
    obs = (m("igg4", 4.0, "g/L", months=-1, high=1.05), m("igg4", 735, "mg/dL", months=6))
    (tp,) = assess_response(course(*obs), kb).timepoints
    assert tp.marker("igg4").change_percent == pytest.approx(83.8, abs=0.1)


def test_no_treatment_no_response(kb: Knowledge) -> None:
    report = assess_response(course(VEGF(900, -1), treated=False), kb)
    assert report.timepoints == ()
    assert report.treatment is None
    assert "no disease-directed treatment" in report.notes[0]


def test_sclerosis_note_and_finding_changes(kb: Knowledge) -> None:
    obs = (
        f("sclerotic_bone_lesions", "present", -1),
        f("sclerotic_bone_lesions", "present", 6),
        f("edema", "present", -1),
        f("edema", "absent", 6),
        f("papilledema", "present", 6),
    )
    (tp,) = assess_response(course(*obs), kb).timepoints
    radiologic = tp.domain("radiologic")
    assert "does not resolve" in radiologic.notes[0]["en"]
    clinical = tp.domain("clinical")
    changes = {c.concept: (c.change, c.direction) for c in clinical.findings}
    assert changes == {
        "edema": ("resolved", "improved"),
        "papilledema": ("reported_present", "unknown"),
    }
    assert clinical.status == "undetermined"
    assert clinical.summary == (
        "no data at this time point (ONLS, INCAT disability score, mCRES); "
        "stated findings are listed as observations"
    )
