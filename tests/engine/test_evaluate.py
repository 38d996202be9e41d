"""The per-case evaluator on small hand-built cases.

Most tests use a copy of the shipped knowledge with a few probe criteria sets added
(``t-probe``: one item per atom under test; ``t-points``, ``t-exclusion``, ``t-cats``,
``t-missing``: one construct each). The parts of the concept hierarchy that matter here::

    organomegaly (group: absent once every member is absent)
    ├── hepatomegaly ──────┐
    ├── splenomegaly ──────┴── hepatosplenomegaly   (stated absent ⇒ neither organ enlarged)
    └── lymphadenopathy

    thrombocytosis   ⇐ platelet_count above the ULN (lab range, else catalogue 150–400 ×10³/µL)
    hyperprolactinemia ⇐ prolactin above the ULN (no catalogue range)
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

import poemsdx
from poemsdx import Case, Event, Finding, Knowledge, Measurement, Patient, ReferenceRange, When
from poemsdx.engine import Assessment, NodeResult
from poemsdx.engine.logic import F, T, Truth, U

DATA = Path(poemsdx.__file__).parent / "data"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = EXAMPLES / "seed-poems-igg4-aip.yaml"

_SRC = 'source: "test source", verification: VERIFIED'

PROBE = f"""
schema_version: 1
id: t-probe
title: probe items, one atom each
disease: poems_syndrome
version: "1"
citation: [test]
verification: UNVERIFIED
parameters:
  vegf_rule: {{}}
items:
  hepatomegaly: {{label: x, logic: {{finding: hepatomegaly}}}}
  splenomegaly: {{label: x, logic: {{finding: splenomegaly}}}}
  hepatosplenomegaly: {{label: x, logic: {{finding: hepatosplenomegaly}}}}
  lymphadenopathy: {{label: x, logic: {{finding: lymphadenopathy}}}}
  organomegaly: {{label: x, logic: {{finding: organomegaly}}}}
  skin_changes: {{label: x, logic: {{finding: skin_changes}}}}
  endocrinopathy: {{label: x, logic: {{finding: endocrinopathy}}}}
  thrombocytosis: {{label: x, logic: {{finding: thrombocytosis}}}}
  hyperprolactinemia: {{label: x, logic: {{finding: hyperprolactinemia}}}}
  vegf: {{label: x, logic: {{fragment: vegf_elevated}}}}
  igg4_high: {{label: x, logic: {{lab: igg4, above: {{value: 135, unit: mg/dL}}, {_SRC}}}}}
  igg4_2uln: {{label: x, logic: {{lab: igg4, above: {{uln: 2}}, {_SRC}}}}}
  calcium_offset:
    label: x
    logic: {{lab: calcium, above: {{uln: 1, offset: {{value: 0.25, unit: mmol/L}}}}, {_SRC}}}
  hb_offset:
    label: x
    logic: {{lab: hemoglobin, below: {{lln: 1, offset: {{value: -2, unit: g/dL}}}}, {_SRC}}}
  mprot: {{label: x, logic: {{result: m_protein, is: positive}}}}
  mprot_ife: {{label: x, logic: {{result: m_protein, is: positive, confirmed_by: immunofixation}}}}
  mprot_lambda: {{label: x, logic: {{result: m_protein, is: positive, light_chain: lambda}}}}
logic:
  all:
    - {{item: hepatomegaly}}
    - {{item: splenomegaly}}
    - {{item: hepatosplenomegaly}}
    - {{item: lymphadenopathy}}
    - {{item: organomegaly}}
    - {{item: skin_changes}}
    - {{item: endocrinopathy}}
    - {{item: thrombocytosis}}
    - {{item: hyperprolactinemia}}
    - {{item: vegf}}
    - {{item: igg4_high}}
    - {{item: igg4_2uln}}
    - {{item: calcium_offset}}
    - {{item: hb_offset}}
    - {{item: mprot}}
    - {{item: mprot_ife}}
    - {{item: mprot_lambda}}
"""

POINTS = f"""
schema_version: 1
id: t-points
title: points, threshold 4
disease: poems_syndrome
version: "1"
citation: [test]
verification: UNVERIFIED
items:
  score:
    label: score
    logic:
      points:
        threshold: 4
        domains:
          - id: a
            options:
              - {{points: 1, when: {{finding: edema}}, {_SRC}}}
              - {{points: 3, when: {{finding: ascites}}, {_SRC}}}
          - id: b
            options:
              - {{points: 2, when: {{finding: papilledema}}, {_SRC}}}
logic: {{item: score}}
"""

EXCLUSION = """
schema_version: 1
id: t-exclusion
title: papilledema unless Castleman disease
disease: poems_syndrome
version: "1"
citation: [test]
verification: UNVERIFIED
items:
  papilledema: {label: x, logic: {finding: papilledema}}
  no_castleman: {label: x, role: exclusion, logic: {none_of: [{finding: castleman_disease}]}}
logic:
  all: [{item: papilledema}, {item: no_castleman}]
"""

CATS = """
schema_version: 1
id: t-cats
title: ranked categories
disease: poems_syndrome
version: "1"
citation: [test]
verification: UNVERIFIED
items:
  papilledema: {label: x, logic: {finding: papilledema}}
  sclerotic: {label: x, logic: {finding: sclerotic_bone_lesions}}
  skin:
    label: x
    logic: {any: [{finding: hypertrichosis}, {finding: plethora}]}
categories:
  - id: definite
    label: Definite
    logic: {all: [{item: papilledema}, {item: sclerotic}]}
  - id: probable
    label: Probable
    logic: {all: [{item: papilledema}, {item: skin}]}
"""

MISSING = """
schema_version: 1
id: t-missing
title: unknowns under decided nodes
disease: poems_syndrome
version: "1"
citation: [test]
verification: UNVERIFIED
items:
  papilledema: {label: x, logic: {finding: papilledema}}
  skin:
    label: x
    logic: {any: [{finding: hypertrichosis}, {finding: plethora}]}
logic:
  all: [{item: papilledema}, {item: skin}]
"""

PROBE_SETS = {
    "t-probe": PROBE,
    "t-points": POINTS,
    "t-exclusion": EXCLUSION,
    "t-cats": CATS,
    "t-missing": MISSING,
}


def _knowledge_folder(root: Path) -> Path:
    shutil.copytree(DATA, root)
    for cid, text in PROBE_SETS.items():
        (root / "criteria" / f"{cid}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    return poemsdx.load_knowledge(_knowledge_folder(tmp_path_factory.mktemp("kb") / "data"))


@pytest.fixture(scope="module")
def kb_no_platelet_range(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    """The same knowledge with the catalogue's platelet fallback range removed."""
    root = _knowledge_folder(tmp_path_factory.mktemp("kb-norange") / "data")
    concepts = root / "concepts.yaml"
    text, n = re.subn(
        r"    reference_ranges:\n      - \{low: 150, high: 400, unit: 10\*3/uL,[^\n]*\n",
        "",
        concepts.read_text(encoding="utf-8"),
    )
    assert n == 1, "the platelet fallback range moved; update this fixture"
    concepts.write_text(text, encoding="utf-8")
    kb = poemsdx.load_knowledge(root)
    assert kb.concepts["platelet_count"].reference_ranges == []
    return kb


@pytest.fixture(scope="module")
def shipped() -> Knowledge:
    return poemsdx.load_knowledge()


# -- building cases -------------------------------------------------------------------------


def finding(concept: str, status: str = "present", **kw: Any) -> Finding:
    return Finding(concept=concept, status=status, **kw)  # type: ignore[arg-type]


def no(concept: str, **kw: Any) -> Finding:
    """``concept`` stated absent."""
    return finding(concept, "absent", **kw)


def lab(
    concept: str, value: float | None = None, unit: str | None = None, **kw: Any
) -> Measurement:
    return Measurement(concept=concept, value=value, unit=unit, **kw)


def rng(
    low: float | None = None, high: float | None = None, unit: str | None = None
) -> ReferenceRange:
    return ReferenceRange(low=low, high=high, unit=unit)


def case_of(*observations: Finding | Measurement, **kw: Any) -> Case:
    return Case(observations=observations, **kw)


def assess(
    kb: Knowledge, case: Case, criteria_id: str, params: dict[str, str] | None = None
) -> Assessment:
    return poemsdx.evaluate(case, [criteria_id], params, kb=kb).assessment(criteria_id)


def item(a: Assessment, item_id: str) -> NodeResult:
    for node in a.tree.walk():
        if node.kind == "item" and node.item_id == item_id:
            return node
    raise KeyError(item_id)


def truth(kb: Knowledge, case: Case, item_id: str, params: dict[str, str] | None = None) -> Truth:
    return item(assess(kb, case, "t-probe", params), item_id).truth


def leaves(node: NodeResult) -> list[NodeResult]:
    return [n for n in node.walk() if not n.children]


# -- findings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("observations", "expected"),
    [
        ([finding("papilledema", "present")], T),
        ([finding("papilledema", "absent")], F),
        ([finding("papilledema", "uncertain")], U),
        ([], U),
        ([finding("edema", "present")], U),  # a different finding says nothing
    ],
    ids=["present", "absent", "uncertain", "unmentioned", "other-finding"],
)
def test_finding_status_maps_to_kleene_truth(
    kb: Knowledge, observations: list[Finding], expected: Truth
) -> None:
    a = assess(kb, case_of(*observations), "t-exclusion")
    assert item(a, "papilledema").truth is expected


# Each row: what is stated → the truth of hepatomegaly, splenomegaly, hepatosplenomegaly,
# lymphadenopathy, organomegaly.
HIERARCHY = [
    pytest.param(
        [finding("hepatosplenomegaly", "absent")],
        (F, F, F, U, U),
        id="HSM-absent-implies-liver-and-spleen-absent",
    ),
    pytest.param(
        [finding("hepatosplenomegaly", "absent"), finding("lymphadenopathy", "absent")],
        (F, F, F, F, F),
        id="liver-spleen-nodes-absent-makes-group-absent",
    ),
    pytest.param(
        [
            finding("hepatomegaly", "absent"),
            finding("splenomegaly", "absent"),
            finding("lymphadenopathy", "absent"),
        ],
        (F, F, F, F, F),
        id="each-member-absent",
    ),
    pytest.param(
        [finding("hepatomegaly", "absent"), finding("splenomegaly", "absent")],
        (F, F, F, U, U),
        id="nodes-unknown-keeps-group-unknown",
    ),
    pytest.param(
        [finding("hepatomegaly", "present")],
        (T, U, U, U, T),
        id="child-present-makes-group-present",
    ),
    pytest.param(
        [finding("lymphadenopathy", "present")],
        (U, U, U, T, T),
        id="nodes-present-makes-group-present",
    ),
    pytest.param(
        [finding("hepatosplenomegaly", "present")],
        (T, T, T, U, T),
        id="HSM-present-propagates-up-to-both-parents",
    ),
    pytest.param(
        [finding("hepatomegaly", "absent")],
        (F, U, F, U, U),
        id="absence-propagates-down-only",
    ),
    pytest.param(
        [finding("organomegaly", "absent")],
        (F, F, F, F, F),
        id="group-stated-absent-propagates-down",
    ),
    pytest.param(
        [finding("hepatomegaly", "uncertain"), finding("splenomegaly", "absent")],
        (U, F, F, U, U),
        id="uncertain-is-unknown",
    ),
]


@pytest.mark.parametrize(("observations", "expected"), HIERARCHY)
def test_concept_hierarchy(
    kb: Knowledge, observations: list[Finding], expected: tuple[Truth, ...]
) -> None:
    a = assess(kb, case_of(*observations), "t-probe")
    names = (
        "hepatomegaly",
        "splenomegaly",
        "hepatosplenomegaly",
        "lymphadenopathy",
        "organomegaly",
    )
    assert tuple(item(a, n).truth for n in names) == expected


SKIN = (
    "hyperpigmentation",
    "hypertrichosis",
    "hemangioma",
    "plethora",
    "acrocyanosis",
    "flushing",
    "leukonychia",
    "skin_thickening",
)


def test_group_is_absent_only_when_every_member_is_absent(kb: Knowledge) -> None:
    """skin_changes has eight members; seven stated absent are not enough."""
    assert set(kb.children("skin_changes")) == set(SKIN)
    seven = [finding(c, "absent") for c in SKIN[:-1]]
    assert truth(kb, case_of(*seven), "skin_changes") is U
    eight = [*seven, finding(SKIN[-1], "absent")]
    assert truth(kb, case_of(*eight), "skin_changes") is F


def test_nested_group_present_through_a_derived_member(kb: Knowledge) -> None:
    """TSH above the lab's ULN ⇒ hypothyroidism ⇒ thyroid disease ⇒ endocrinopathy."""
    tsh = lab("tsh", 9.0, "m[IU]/L", specimen="serum", reference_range=rng(0.5, 5.0, "m[IU]/L"))
    assert truth(kb, case_of(tsh), "endocrinopathy") is T


# -- findings derived from measurements -----------------------------------------------------


def plt(value: float | None = None, high: float | None = None, **kw: Any) -> Measurement:
    """A platelet count in 10*3/uL, with the lab's range (150–``high``) when given."""
    unit = kw.pop("unit", "10*3/uL" if value is not None else None)
    r = rng(150, high, unit) if high is not None else None
    return lab("platelet_count", value, unit, specimen="blood", reference_range=r, **kw)


PLATELETS = [
    pytest.param(plt(500, high=450), T, id="lab-range-above"),
    pytest.param(plt(420, high=450), F, id="lab-range-wins-over-fallback"),
    pytest.param(plt(420), T, id="fallback-400-above"),
    pytest.param(plt(380), F, id="fallback-400-within"),
    pytest.param(plt(400), F, id="at-the-ULN-is-not-above"),
    pytest.param(plt(45, unit="10*4/uL"), T, id="fallback-converted-to-10*4/uL"),
    pytest.param(plt(result="high"), T, id="qualitative-high"),
    pytest.param(plt(result="normal"), F, id="qualitative-normal"),
    pytest.param(lab("complete_blood_count", result="normal"), F, id="blood-count-normal"),
]


@pytest.mark.parametrize(("measurement", "expected"), PLATELETS)
def test_thrombocytosis_derived_from_platelet_count(
    kb: Knowledge, measurement: Measurement, expected: Truth
) -> None:
    assert truth(kb, case_of(measurement), "thrombocytosis") is expected


def test_thrombocytosis_evidence_names_the_range_used(kb: Knowledge) -> None:
    a = assess(kb, case_of(plt(420)), "t-probe")
    (leaf,) = leaves(item(a, "thrombocytosis"))
    assert "default range" in leaf.evidence[0].text
    a = assess(kb, case_of(plt(500, high=450)), "t-probe")
    (leaf,) = leaves(item(a, "thrombocytosis"))
    assert "lab range" in leaf.evidence[0].text


@pytest.mark.parametrize(
    ("measurement", "expected"),
    [
        (plt(420), U),
        (plt(900), U),
        (plt(420, high=400), T),
    ],
    ids=["no-range", "no-range-even-when-very-high", "lab-range"],
)
def test_thrombocytosis_without_any_range_is_unknown(
    kb_no_platelet_range: Knowledge, measurement: Measurement, expected: Truth
) -> None:
    assert truth(kb_no_platelet_range, case_of(measurement), "thrombocytosis") is expected


@pytest.mark.parametrize(
    ("reference_range", "expected"),
    [(None, U), (rng(None, 20, "ng/mL"), T), (rng(None, 80, "ng/mL"), F)],
    ids=["no-catalogue-range", "above-lab-ULN", "within-lab-range"],
)
def test_hyperprolactinemia_needs_the_labs_range(
    kb: Knowledge, reference_range: ReferenceRange | None, expected: Truth
) -> None:
    m = lab("prolactin", 50, "ng/mL", specimen="serum", reference_range=reference_range)
    assert truth(kb, case_of(m), "hyperprolactinemia") is expected


def test_stated_finding_needs_no_measurement(kb: Knowledge) -> None:
    assert truth(kb, case_of(finding("thrombocytosis")), "thrombocytosis") is T
    assert truth(kb, case_of(finding("thrombocytosis", "absent")), "thrombocytosis") is F


# -- thresholds relative to the lab's limits ------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reference_range", "expected"),
    [
        (220, rng(4.8, 105, "mg/dL"), T),  # > 2 × 105
        (200, rng(4.8, 105, "mg/dL"), F),
        (210, rng(4.8, 105, "mg/dL"), F),  # exactly 2 × ULN is not above
        (220, rng(0.048, 1.05, "g/L"), T),  # the lab range in g/L: ULN 1.05 g/L = 105 mg/dL
        (200, rng(0.048, 1.05, "g/L"), F),
        (220, None, U),  # IgG4 has no catalogue range
    ],
)
def test_multiple_of_the_labs_uln(
    kb: Knowledge, value: float, reference_range: ReferenceRange | None, expected: Truth
) -> None:
    m = lab("igg4", value, "mg/dL", specimen="serum", reference_range=reference_range)
    assert truth(kb, case_of(m), "igg4_2uln") is expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (11.3, "mg/dL", T),  # fallback ULN 10.2 mg/dL + 0.25 mmol/L (≈ 1.0 mg/dL) ≈ 11.2
        (11.1, "mg/dL", F),
        (2.85, "mmol/L", T),  # 11.42 mg/dL
        (2.75, "mmol/L", F),  # 11.02 mg/dL
    ],
)
def test_uln_plus_offset_with_molar_conversion(
    kb: Knowledge, value: float, unit: str, expected: Truth
) -> None:
    m = lab("calcium", value, unit, specimen="serum")
    assert truth(kb, case_of(m), "calcium_offset") is expected


@pytest.mark.parametrize(
    ("value", "sex", "expected"),
    [
        (11.0, "male", T),  # male LLN 13.5 − 2 = 11.5
        (12.0, "male", F),
        (9.5, "female", T),  # female LLN 12.0 − 2 = 10.0
        (10.5, "female", F),
        (9.0, None, U),  # the catalogue's ranges are per sex
    ],
)
def test_lln_minus_offset_uses_the_sex_specific_fallback(
    kb: Knowledge, value: float, sex: str | None, expected: Truth
) -> None:
    m = lab("hemoglobin", value, "g/dL", specimen="blood")
    c = case_of(m, patient=Patient(sex=sex))  # type: ignore[arg-type]
    assert truth(kb, c, "hb_offset") is expected


# -- VEGF: the lab's own ULN, serum versus plasma ------------------------------------------


def _vegf(value: float, specimen: str | None, high: float | None = None) -> Measurement:
    r = rng(None, high, "pg/mL") if high is not None else None
    return lab("vegf", value, "pg/mL", specimen=specimen, reference_range=r)


S, P, M = "serum", "plasma", "male"
VEGF = [
    # (measurement, sex, rule, expected truth, text expected in the node's detail/evidence)
    pytest.param(_vegf(777, S, 220), M, "lab_uln", T, "lab range", id="serum-above-own-ULN"),
    pytest.param(_vegf(200, S, 220), M, "lab_uln", F, "lab range", id="serum-within-own-ULN"),
    pytest.param(_vegf(300, S), M, "lab_uln", F, "default range", id="serum-fallback-male-353"),
    pytest.param(
        _vegf(300, S), "female", "lab_uln", T, "default range", id="serum-fallback-female-296"
    ),
    pytest.param(_vegf(300, S), None, "lab_uln", U, "no ULN", id="serum-no-range-sex-unknown"),
    pytest.param(_vegf(100, P, 80), M, "lab_uln", T, "lab range", id="plasma-above-own-ULN"),
    pytest.param(_vegf(100, P), M, "lab_uln", U, "no ULN", id="plasma-no-plasma-fallback"),
    pytest.param(_vegf(1500, S, 220), M, "serum_1000", T, "1,000", id="serum-1000-met"),
    pytest.param(_vegf(900, S, 220), M, "serum_1000", F, "1,000", id="serum-1000-not-met"),
    pytest.param(
        _vegf(5000, P, 80),
        M,
        "serum_1000",
        U,
        "plasma value not used",
        id="plasma-never-vs-serum-cutoff",
    ),
    pytest.param(_vegf(250, P), M, "plasma_200", T, "200", id="plasma-200-met"),
    pytest.param(
        _vegf(5000, S, 220),
        M,
        "plasma_200",
        U,
        "serum value not used",
        id="serum-never-vs-plasma-cutoff",
    ),
    pytest.param(_vegf(1500, S, 220), M, "serum_1920", F, "1,920", id="serum-1920-not-met"),
]


@pytest.mark.parametrize(("m", "sex", "rule", "expected", "said"), VEGF)
def test_vegf_rules(
    kb: Knowledge, m: Measurement, sex: str | None, rule: str, expected: Truth, said: str
) -> None:
    c = case_of(m, patient=Patient(sex=sex))  # type: ignore[arg-type]
    node = item(assess(kb, c, "t-probe", {"vegf_rule": rule}), "vegf")
    assert node.truth is expected
    (atom,) = [n for n in node.walk() if n.kind == "lab"]
    words = " ".join([*atom.detail, *(e.text for e in atom.evidence)])
    assert said in words


@pytest.mark.parametrize("rule", ["lab_uln", "serum_1000", "plasma_200", "serum_1920"])
def test_vegf_without_specimen_is_never_judged(kb: Knowledge, rule: str) -> None:
    """A case file with a VEGF but no specimen loads only leniently, and stays unknown."""
    text = """
        patient: {sex: male}
        observations:
          - {kind: measurement, concept: vegf, value: 5000, unit: pg/mL}
    """
    c = poemsdx.parse_case(textwrap.dedent(text), kb, lenient=True)
    node = item(assess(kb, c, "t-probe", {"vegf_rule": rule}), "vegf")
    assert node.truth is U
    (atom,) = [n for n in node.walk() if n.kind == "lab"]
    assert any("specimen" in d or "unspecified" in d for d in atom.detail), atom.detail


def test_vegf_serum_and_plasma_together_each_judged_by_its_own_rule(kb: Knowledge) -> None:
    """Serum 1,500 and plasma 150: serum_1000 holds from the serum value alone; plasma_200
    fails on the plasma value and never borrows the serum one."""
    c = case_of(_vegf(1500, "serum"), _vegf(150, "plasma"))
    assert truth(kb, c, "vegf", {"vegf_rule": "serum_1000"}) is T
    assert truth(kb, c, "vegf", {"vegf_rule": "plasma_200"}) is F


# -- the diagnostic window ------------------------------------------------------------------

ASCT = Event(id="asct", concept="hdm_asct", start=When(date="2010-01"))


def _igg4(when: When | None) -> Measurement:
    return lab("igg4", 400, "mg/dL", specimen="serum", time=when)


WINDOW = [
    # the same high IgG4 at different times; only the diagnostic window counts
    pytest.param(None, (ASCT,), T, id="untimed-counts"),
    pytest.param(When(date="2009-11"), (ASCT,), T, id="dated-before"),
    pytest.param(When(date="2010-03"), (ASCT,), U, id="dated-after"),
    pytest.param(When(anchor="asct", offset="-P1D"), (ASCT,), T, id="day-before-treatment"),
    pytest.param(When(anchor="asct", offset="P5M"), (ASCT,), U, id="5-months-after"),
    pytest.param(When(anchor="asct"), (ASCT,), U, id="on-the-treatment-day"),
    pytest.param(When(anchor="admission"), (ASCT,), T, id="admission-before"),
    pytest.param(When(anchor="admission", offset="P6M"), (ASCT,), U, id="admission-plus-6-months"),
    pytest.param(When(phase="after_treatment"), (ASCT,), U, id="phase-after"),
    pytest.param(When(phase="before_treatment"), (ASCT,), T, id="phase-before"),
    pytest.param(When(date="2012-01"), (), T, id="no-treatment-everything-counts"),
    pytest.param(
        When(date="2010-03"),
        (Event(id="ivig", concept="ivig", start=When(date="2009-12")),),
        T,
        id="IVIG-is-not-disease-directed",
    ),
    pytest.param(
        When(date="2010-03"),
        (
            Event(
                id="pred",
                concept="corticosteroids",
                start=When(date="2009-12"),
                disease_directed=False,
            ),
        ),
        T,
        id="event-marked-not-disease-directed",
    ),
    pytest.param(
        When(anchor="asct2", offset="P5M"),
        (Event(id="asct2", concept="hdm_asct"),),
        U,
        id="after-an-undated-treatment",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("when", "events", "expected"), WINDOW)
def test_diagnostic_window(
    kb: Knowledge, when: When | None, events: tuple[Event, ...], expected: Truth
) -> None:
    anchors = {"admission": When(date="2009-11")}
    c = case_of(_igg4(when), events=events, anchors=anchors)
    node = item(assess(kb, c, "t-probe"), "igg4_high")
    assert node.truth is expected
    if expected is U:
        assert not leaves(node)[0].evidence, "a post-treatment value must not be cited"


def test_value_anchored_to_a_later_treatment_is_still_after_the_first_one(kb: Knowledge) -> None:
    """Melphalan from June 2009, transplant January 2010; IgG4 one month before the
    transplant (December 2009) is already after the first treatment::

        2009-06 melphalan ── 2009-12 IgG4 400 ── 2010-01 asct
        └─ window ends here
    """
    events = (
        Event(id="mel", concept="melphalan", start=When(date="2009-06")),
        ASCT,
    )
    dated = case_of(_igg4(When(date="2009-12")), events=events)
    assert item(assess(kb, dated, "t-probe"), "igg4_high").truth is U  # correct when dated
    anchored = case_of(_igg4(When(anchor="asct", offset="-P1M")), events=events)
    assert item(assess(kb, anchored, "t-probe"), "igg4_high").truth is U


def test_post_treatment_finding_is_ignored_too(kb: Knowledge) -> None:
    """Papilledema noted only three months after the transplant does not count."""
    c = case_of(
        finding("papilledema", time=When(anchor="asct", offset="P3M")),
        events=(ASCT,),
    )
    assert item(assess(kb, c, "t-exclusion"), "papilledema").truth is U


@pytest.mark.parametrize(
    ("timepoint", "expected"),
    [("any", T), ("earliest", F), ("latest", T)],
)
def test_timepoint_policy(kb: Knowledge, timepoint: str, expected: Truth) -> None:
    """IgG4 100 (Oct 2009), 200 (Dec 2009), 50 (after the Jan 2010 transplant)::

    100 ─── 200 ─── │asct│ ─── 50
    earliest  latest        (outside the window)
    """
    c = case_of(
        lab("igg4", 200, "mg/dL", specimen="serum", time=When(date="2009-12")),
        lab("igg4", 50, "mg/dL", specimen="serum", time=When(date="2010-04")),
        lab("igg4", 100, "mg/dL", specimen="serum", time=When(date="2009-10")),
        events=(ASCT,),
    )
    node = item(assess(kb, c, "t-probe", {"timepoint": timepoint}), "igg4_high")
    assert node.truth is expected
    cited = [e.text for n in leaves(node) for e in n.evidence]
    assert not any("IgG4 50 " in t for t in cited)
    if timepoint != "any":
        assert len(cited) == 1


# -- M-protein ------------------------------------------------------------------------------


def mp(result: str, **kw: Any) -> Measurement:
    """A serum M-protein result."""
    return lab("m_protein", result=result, specimen="serum", **kw)


MPROT = [
    # (measurement, expected truths of: positive, positive by IFE, positive λ)
    pytest.param(
        mp("positive", heavy_chain="IgG", light_chain="lambda"), (T, T, T), id="typed-IgG-lambda"
    ),
    pytest.param(mp("positive", method="SPEP"), (T, U, U), id="untyped-positive-SPEP"),
    pytest.param(mp("positive", method="immunofixation"), (T, T, U), id="positive-IFE-untyped"),
    pytest.param(mp("positive", light_chain="kappa"), (T, T, F), id="typed-kappa"),
    pytest.param(mp("negative", method="SPEP"), (U, U, U), id="negative-SPEP"),
    pytest.param(mp("negative"), (U, U, U), id="negative-method-unknown"),
    # serum alone cannot rule out a urine (light-chain) M-protein: see the two-specimen test
    pytest.param(mp("negative", method="immunofixation"), (U, U, U), id="negative-IFE-serum-only"),
    pytest.param(mp("negative", method="IFE"), (U, U, U), id="negative-IFE-abbrev-serum-only"),
    pytest.param(
        mp("equivocal", method="immunofixation"),
        (U, U, U),
        id="equivocal-is-unknown",
    ),
]


@pytest.mark.parametrize(("m", "expected"), MPROT)
def test_m_protein(kb: Knowledge, m: Measurement, expected: tuple[Truth, Truth, Truth]) -> None:
    a = assess(kb, case_of(m), "t-probe")
    got = tuple(item(a, i).truth for i in ("mprot", "mprot_ife", "mprot_lambda"))
    assert got == expected


def test_negative_spep_explains_why_it_does_not_count(kb: Knowledge) -> None:
    m = lab("m_protein", result="negative", specimen="serum", method="SPEP")
    (leaf,) = leaves(item(assess(kb, case_of(m), "t-probe"), "mprot"))
    assert "immunofixation" in leaf.evidence[0].text
    assert leaf.tests == ["serum_urine_ife"]


@pytest.mark.parametrize(
    ("m", "expected"),
    [
        (lab("m_protein", result="positive", specimen="serum", light_chain="lambda"), T),
        (lab("m_protein", result="positive", specimen="serum", method="SPEP"), U),
        # serum alone: a urine light-chain M-protein is still possible
        (lab("m_protein", result="negative", specimen="serum", method="immunofixation"), U),
    ],
)
def test_japan_mhlw_m_protein_needs_immunofixation(
    shipped: Knowledge, m: Measurement, expected: Truth
) -> None:
    assert item(assess(shipped, case_of(m), "poems-japan-mhlw"), "m_protein").truth is expected


def test_negative_urine_alone_does_not_rule_out_a_serum_m_protein(kb: Knowledge) -> None:
    """Urine immunofixation negative, serum never tested: the serum may still hold the
    (usually small, λ) M-protein, so "M-protein positive" stays unknown."""
    m = lab("m_protein", result="negative", specimen="urine", method="immunofixation")
    a = assess(kb, case_of(m), "t-probe")
    assert item(a, "mprot").truth is U
    assert item(a, "mprot_ife").truth is U


def test_negative_serum_and_urine_immunofixation_rule_it_out(kb: Knowledge) -> None:
    c = case_of(
        lab("m_protein", result="negative", specimen="serum", method="immunofixation"),
        lab("m_protein", result="negative", specimen="urine", method="immunofixation"),
    )
    assert item(assess(kb, c, "t-probe"), "mprot").truth is F


# -- points ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("observations", "points", "expected"),
    [
        pytest.param([], (0, 5), U, id="nothing-known"),
        pytest.param([finding("ascites"), finding("papilledema")], (5, 5), T, id="guaranteed-5"),
        pytest.param(
            [finding("ascites"), finding("edema")],
            (3, 5),
            U,
            id="domain-scores-highest-not-sum",
        ),
        pytest.param(
            [finding("ascites"), finding("edema"), finding("papilledema", "absent")],
            (3, 3),
            F,
            id="highest-option-3-cannot-reach-4",
        ),
        pytest.param(
            [finding("ascites", "absent"), finding("papilledema")],
            (2, 3),
            F,
            id="possible-max-3-below-threshold",
        ),
        pytest.param(
            [finding("ascites"), finding("edema", "uncertain")], (3, 5), U, id="undecided"
        ),
        pytest.param(
            [finding("ascites"), finding("papilledema"), finding("edema", "absent")],
            (5, 5),
            T,
            id="lower-option-absent-does-not-matter",
        ),
    ],
)
def test_points_semantics(
    kb: Knowledge, observations: list[Finding], points: tuple[float, float], expected: Truth
) -> None:
    """threshold 4; domain a: edema 1 | ascites 3 (highest counts); domain b: papilledema 2."""
    a = assess(kb, case_of(*observations), "t-points")
    node = item(a, "score").children[0]
    assert node.kind == "points"
    assert node.points == points
    assert node.truth is expected
    assert a.status == {T: "met", F: "not_met", U: "undetermined"}[expected]


# -- exclusions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("castleman", "papilledema", "status"),
    [
        (None, "present", "undetermined"),
        ("uncertain", "present", "undetermined"),
        ("absent", "present", "met"),
        ("present", "present", "not_met"),
        (None, "absent", "not_met"),
    ],
)
def test_unknown_exclusion_caps_at_undetermined(
    kb: Knowledge, castleman: str | None, papilledema: str, status: str
) -> None:
    obs = [finding("papilledema", papilledema)]
    if castleman:
        obs.append(finding("castleman_disease", castleman))
    a = assess(kb, case_of(*obs), "t-exclusion")
    assert a.status == status
    if status == "undetermined":
        assert [m.concept for m in a.missing] == ["castleman_disease"]


# -- categories and what is missing ---------------------------------------------------------

CATEGORY_CASES = [
    # observations → status, category, reachable, missing concepts
    pytest.param(
        [finding("papilledema"), finding("sclerotic_bone_lesions")],
        "met", "definite", ["definite", "probable"], set(),
        id="definite",
    ),
    pytest.param(
        [finding("papilledema"), finding("hypertrichosis")],
        "met", "probable", ["definite", "probable"], {"sclerotic_bone_lesions"},
        id="probable-could-still-become-definite",
    ),
    pytest.param(
        [finding("papilledema"), finding("hypertrichosis"), no("sclerotic_bone_lesions")],
        "met", "probable", ["probable"], set(),
        id="probable-and-definite-ruled-out",
    ),
    pytest.param(
        [finding("papilledema")],
        "undetermined", None, ["definite", "probable"],
        {"sclerotic_bone_lesions", "hypertrichosis", "plethora"},
        id="undetermined",
    ),
    pytest.param(
        [],
        "undetermined", None, ["definite", "probable"],
        {"papilledema", "sclerotic_bone_lesions", "hypertrichosis", "plethora"},
        id="nothing-known",
    ),
    pytest.param(
        [finding("papilledema", "absent"), finding("hypertrichosis")],
        "not_met", None, [], set(),
        id="not-met",
    ),
    pytest.param(
        [finding("papilledema"), finding("sclerotic_bone_lesions", "absent")],
        "undetermined", None, ["probable"], {"hypertrichosis", "plethora"},
        id="only-probable-reachable",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("observations", "status", "category", "reachable", "missing"), CATEGORY_CASES
)
def test_categories(
    kb: Knowledge,
    observations: list[Finding],
    status: str,
    category: str | None,
    reachable: list[str],
    missing: set[str],
) -> None:
    """definite = papilledema ∧ sclerotic lesions;
    probable = papilledema ∧ (hypertrichosis ∨ plethora)."""
    a = assess(kb, case_of(*observations), "t-cats")
    assert (a.status, a.category, a.reachable_categories) == (status, category, reachable)
    assert {m.concept for m in a.missing} == missing
    assert len(a.missing) == len(missing)
    if category:
        assert a.category_label == {"en": category.capitalize()}


def test_missing_skips_unknowns_under_decided_nodes(kb: Knowledge) -> None:
    """all(papilledema ?, any(hypertrichosis ✓, plethora ?)): plethora can no longer change
    anything, so only papilledema is missing::

        all ?
        ├── papilledema ?        ← missing
        └── any ✓
            ├── hypertrichosis ✓
            └── plethora ?       ← decided above: not missing
    """
    a = assess(kb, case_of(finding("hypertrichosis")), "t-missing")
    assert a.status == "undetermined"
    assert [(m.item_id, m.concept) for m in a.missing] == [("papilledema", "papilledema")]
    assert [t.id for t in a.next_tests] == ["fundoscopy"]
    assert a.next_tests[0].settles == ["papilledema"]


def test_missing_group_names_tests_of_its_unknown_members_only(shipped: Knowledge) -> None:
    """Liver and spleen already imaged normal: only the lymph nodes remain to be checked."""
    a = assess(shipped, case_of(finding("hepatosplenomegaly", "absent")), "poems-textbook-3of6")
    assert a.status == "undetermined"
    (m,) = [m for m in a.missing if m.concept == "organomegaly"]
    assert m.tests == ["lymph_node_biopsy"]


def test_missing_is_empty_when_not_met(kb: Knowledge) -> None:
    a = assess(kb, case_of(finding("papilledema", "absent")), "t-missing")
    assert a.status == "not_met"
    assert a.missing == []
    assert a.next_tests == []


SHIPPED_IDS = sorted(poemsdx.load_knowledge().criteria)


@pytest.mark.parametrize("criteria_id", SHIPPED_IDS)
def test_every_unknown_atom_names_a_known_test(shipped: Knowledge, criteria_id: str) -> None:
    """On an empty case every atom over observations is unknown; each must say which test
    in tests.yaml settles it, and next_tests is exactly what the missing items name."""
    a = assess(shipped, Case(), criteria_id)
    atoms = [n for n in leaves(a.tree) if n.truth is U and n.concept]
    assert atoms
    for n in atoms:
        assert n.tests, f"{n.kind} {n.concept} has no test"
        assert set(n.tests) <= set(shipped.tests), n.tests
    assert a.missing
    for m in a.missing:
        assert set(m.tests) <= set(shipped.tests)
        if m.concept:
            assert m.tests, f"missing {m.label} has no test"
    assert {t.id for t in a.next_tests} == {t for m in a.missing for t in m.tests}


def test_shipped_criteria_ids_are_all_known(shipped: Knowledge) -> None:
    assert set(shipped.criteria) >= {
        "mm-imwg-2014",
        "poems-chiba-2019",
        "poems-dispenzieri-2003",
        "poems-imwg",
        "poems-japan-mhlw",
        "poems-textbook-3of6",
    }


# -- alternatives ---------------------------------------------------------------------------


def _imwg_case(*extra: Finding | Measurement) -> Case:
    """Polyneuropathy, IgG-λ M-protein, papilledema (a minor); Castleman disease absent."""
    return case_of(
        finding("polyneuropathy"),
        lab(
            "m_protein",
            result="positive",
            specimen="serum",
            heavy_chain="IgG",
            light_chain="lambda",
        ),
        finding("papilledema"),
        finding("castleman_disease", "absent"),
        *extra,
    )


def test_alternative_that_changes_the_verdict_carries_its_verification(shipped: Knowledge) -> None:
    """Serum VEGF 1,500 (lab ULN 220) is the only other major criterion: met by default,
    unjudgeable under the plasma rule, not met under the unverified serum 1,920 rule."""
    c = _imwg_case(_vegf(1500, "serum", 220), finding("sclerotic_bone_lesions", "absent"))
    a = assess(shipped, c, "poems-imwg")
    assert a.status == "met"
    assert a.parameters["vegf_rule"] == "lab_uln"
    alts = {(x.parameter, x.value): x for x in a.alternatives}
    assert (
        alts["vegf_rule", "serum_1000"].status,
        alts["vegf_rule", "serum_1000"].verification,
    ) == ("met", "VERIFIED")
    assert (
        alts["vegf_rule", "plasma_200"].status,
        alts["vegf_rule", "plasma_200"].verification,
    ) == ("undetermined", "VERIFIED")
    assert (
        alts["vegf_rule", "serum_1920"].status,
        alts["vegf_rule", "serum_1920"].verification,
    ) == ("not_met", "UNVERIFIED")
    assert "serum_vegf" in alts["vegf_rule", "plasma_200"].next_tests
    assert ("vegf_rule", "lab_uln") not in alts  # the value in force is not an alternative
    assert a.robust is False
    assert a.to_dict()["robust"] is False


def test_robust_verdict(shipped: Knowledge) -> None:
    """Sclerotic bone lesions make the VEGF rule irrelevant: every alternative agrees."""
    a = assess(shipped, _imwg_case(finding("sclerotic_bone_lesions")), "poems-imwg")
    assert a.status == "met"
    assert a.alternatives
    assert all(x.status == "met" for x in a.alternatives)
    assert a.robust is True


def test_parameter_override_is_reported_and_default_becomes_an_alternative(
    shipped: Knowledge,
) -> None:
    c = _imwg_case(_vegf(1500, "serum", 220), finding("sclerotic_bone_lesions", "absent"))
    a = assess(shipped, c, "poems-imwg", {"vegf_rule": "serum_1920"})
    assert a.status == "not_met"
    assert a.parameters["vegf_rule"] == "serum_1920"
    alts = {(x.parameter, x.value): x.status for x in a.alternatives}
    assert alts["vegf_rule", "lab_uln"] == "met"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"vegf_rul": "serum_1000"}, "unknown parameter 'vegf_rul'"),
        ({"vegf_rule": "serum_999"}, "'serum_999' is not a value of parameter 'vegf_rule'"),
    ],
)
def test_bad_parameter_is_input_error(
    shipped: Knowledge, params: dict[str, str], message: str
) -> None:
    with pytest.raises(poemsdx.InputError, match=re.escape(message)):
        poemsdx.evaluate(Case(), ["poems-imwg"], params, kb=shipped)


# -- the seed case --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed(shipped: Knowledge) -> poemsdx.Evaluation:
    return poemsdx.evaluate(poemsdx.load_case(SEED, shipped), kb=shipped)


def test_seed_poems_imwg_hangs_on_the_vegf_rule(seed: poemsdx.Evaluation) -> None:
    a = seed.assessment("poems-imwg")
    assert a.status == "met"
    alts = {(x.parameter, x.value): x for x in a.alternatives}
    alt = alts["vegf_rule", "serum_1920"]
    assert (alt.status, alt.verification) == ("undetermined", "UNVERIFIED")
    assert "UNVERIFIED" not in {alts["vegf_rule", "serum_1000"].verification}
    assert not a.robust


def test_seed_vegf_uses_pre_treatment_values_only(seed: poemsdx.Evaluation) -> None:
    """777 (admission) and 1,700 (day before transplant) count; 548 (5 months after) does not."""
    node = item(seed.assessment("poems-imwg"), "vegf")
    cited = " ".join(e.text for n in node.walk() for e in n.evidence)
    assert "777" in cited and "1,700" in cited
    assert "548" not in cited


def test_seed_organomegaly_waits_for_the_lymph_nodes(seed: poemsdx.Evaluation) -> None:
    a = seed.assessment("poems-chiba-2019")
    assert a.status == "undetermined"
    (m,) = [m for m in a.missing if m.concept == "organomegaly"]
    assert m.tests == ["lymph_node_biopsy"]


def test_seed_japan_mhlw_is_definite(seed: poemsdx.Evaluation) -> None:
    a = seed.assessment("poems-japan-mhlw")
    assert (a.status, a.category) == ("met", "definite")
    assert a.missing == []


def test_seed_japan_mhlw_alternatives(seed: poemsdx.Evaluation) -> None:
    """Only the first VEGF (777) counting makes it probable; the 2024 revision's myeloma
    exclusion leaves it undetermined (that revision is UNVERIFIED)."""
    alts = {(x.parameter, x.value): x for x in seed.assessment("poems-japan-mhlw").alternatives}
    assert (alts["timepoint", "earliest"].status, alts["timepoint", "earliest"].category) == (
        "met",
        "probable",
    )
    revision = alts["mhlw_version", "revision_2024"]
    assert (revision.status, revision.verification) == ("undetermined", "UNVERIFIED")
