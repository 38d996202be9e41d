"""The companion and mimic criteria sets on the example cases and on small in-code cases.

Sets: IgG4-related disease (CDC 2011, RCD 2020, ACR/EULAR 2019), autoimmune pancreatitis
(ICDC 2011, Japan Pancreas Society), smoldering myeloma, MGUS and solitary plasmacytoma
(IMWG 2014), idiopathic multicentric Castleman disease (CDCN 2017) and TAFRO (2019).

The expected verdicts were worked out by hand from the criteria before the engine was run:
the reasoning is in each example's header comment, and for the seed case in §8 of the
clinical criteria reference. Where the engine or a knowledge file disagrees, the clinically
correct verdict stays in the table as a strict expected failure.

The ACR/EULAR points tests use tiny invented patients built in code, e.g.::

    pancreas diffuse + capsule-like rim    11 ┐
    serum IgG4 6 × ULN                      11 ┘ guaranteed 22 ≥ 20 → points met
    exclusions: serology negative, list reviewed → met
    … the same without an ANCA result        → undetermined (unknown exclusion)
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

import poemsdx as p
from poemsdx.engine.result import Assessment, NodeResult
from poemsdx.model import Case, Finding, Measurement, Patient, ReferenceRange

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SEED = "seed-poems-igg4-aip.yaml"
MYELOMA = "myeloma-crab.yaml"
SMOLDERING = "smoldering-myeloma.yaml"
PLASMACYTOMA = "solitary-plasmacytoma.yaml"
IMCD_CASE = "imcd.yaml"
TAFRO_CASE = "tafro.yaml"
SIALADENITIS = "igg4rd-sialadenitis.yaml"
AIP1 = "aip-type1.yaml"
AIP2 = "aip-type2.yaml"
POEMS_PLUS = "poems-with-second-disease.yaml"

CDC = "igg4rd-cdc-2011"
RCD = "igg4rd-rcd-2020"
ACR = "igg4rd-acr-eular-2019"
ICDC = "aip-icdc-2011"
JPS = "aip-jps"
SMM = "smm-imwg-2014"
MGUS = "mgus-imwg-2014"
SPC = "plasmacytoma-imwg-2014"
IMCD = "imcd-cdcn-2017"
TAFRO = "tafro-2019"
MM = "mm-imwg-2014"
POEMS = "poems-imwg"

COMPANION_SETS = (CDC, RCD, ACR, ICDC, JPS, SMM, MGUS, SPC, IMCD, TAFRO)
EVALUATED = (*COMPANION_SETS, MM, POEMS)


# (example file, criteria id, expected status, expected category), default parameters.
COMPANION_EXPECTED: list[tuple[str, str, str, str | None]] = [
    # seed case: §8 of the criteria reference
    (SEED, ICDC, "met", "definitive_type1"),
    (SEED, JPS, "met", "definite"),
    (SEED, CDC, "met", "possible"),
    (SEED, RCD, "met", "possible"),
    (SEED, ACR, "undetermined", None),
    (SEED, IMCD, "not_met", None),
    (SEED, TAFRO, "not_met", None),
    (SEED, MM, "undetermined", None),
    # M-spike size and 24-h urine unknown: the ≥ 3 g/dL arm is open (§8's "not met" looks
    # only at the marrow), and calcium, creatinine, bones, FLC and MRI are unknown.
    (SEED, SMM, "undetermined", None),
    # the clone causes POEMS syndrome (poems-imwg met): not of undetermined significance
    (SEED, MGUS, "not_met", None),
    # no lesion imaged or biopsied, marrow clonality not stated: open, not excluded
    (SEED, SPC, "undetermined", None),
    # myeloma with CRAB
    (MYELOMA, MM, "met", None),
    (MYELOMA, SMM, "not_met", None),
    (MYELOMA, MGUS, "not_met", None),
    (MYELOMA, SPC, "not_met", None),
    # smoldering myeloma
    (SMOLDERING, SMM, "met", None),
    (SMOLDERING, MM, "not_met", None),
    (SMOLDERING, MGUS, "not_met", None),
    (SMOLDERING, SPC, "not_met", None),
    # solitary plasmacytoma of bone
    (PLASMACYTOMA, SPC, "met", "solitary"),
    (PLASMACYTOMA, MGUS, "not_met", None),
    (PLASMACYTOMA, SMM, "not_met", None),
    (PLASMACYTOMA, MM, "not_met", None),  # single lesion, marrow < 10%: not myeloma
    # idiopathic multicentric Castleman disease
    (IMCD_CASE, IMCD, "met", None),
    (IMCD_CASE, TAFRO, "not_met", None),
    # TAFRO syndrome (iMCD-TAFRO: both sets)
    (TAFRO_CASE, TAFRO, "met", None),
    (TAFRO_CASE, IMCD, "met", None),
    (TAFRO_CASE, CDC, "not_met", None),
    (TAFRO_CASE, RCD, "undetermined", None),
    # IgG4-related sialadenitis and dacryoadenitis
    (SIALADENITIS, CDC, "met", "definite"),
    (SIALADENITIS, RCD, "met", "definite"),
    (SIALADENITIS, ACR, "met", None),
    (SIALADENITIS, ICDC, "not_met", None),
    (SIALADENITIS, JPS, "undetermined", None),
    # type 1 AIP with sclerosing cholangitis and an incidental MGUS
    (AIP1, ICDC, "met", "definitive_type1"),
    (AIP1, JPS, "met", "definite"),
    (AIP1, CDC, "met", "possible"),
    (AIP1, ACR, "undetermined", None),
    (AIP1, MGUS, "met", "non_igm"),
    # type 2 AIP (IDCP) with ulcerative colitis
    (AIP2, ICDC, "met", "definitive_type2"),
    (AIP2, JPS, "undetermined", None),
    (AIP2, CDC, "not_met", None),
    # POEMS syndrome and IgG4-related disease at once
    (POEMS_PLUS, POEMS, "met", None),
    (POEMS_PLUS, CDC, "met", "definite"),
    (POEMS_PLUS, RCD, "met", "definite"),
    (POEMS_PLUS, IMCD, "not_met", None),
    (POEMS_PLUS, MGUS, "not_met", None),
    (POEMS_PLUS, TAFRO, "not_met", None),
]

# Rows where the engine or a knowledge file disagrees with the hand-worked verdict: the
# correct verdict stays in the table and the row is a strict expected failure.
KNOWN_DISAGREEMENTS: dict[tuple[str, str], str] = {}


@cache
def kb() -> p.Knowledge:
    return p.load_knowledge()


@cache
def _evaluation(name: str, params: tuple[tuple[str, str], ...] = ()) -> p.Evaluation:
    case = p.load_case(EXAMPLES / name, kb())
    return p.evaluate(case, EVALUATED, kb=kb(), params=dict(params))


def assess(name: str, criteria_id: str, **params: str) -> Assessment:
    return _evaluation(name, tuple(sorted(params.items()))).assessment(criteria_id)


def node_of(a: Assessment, item_id: str) -> NodeResult:
    for node in a.tree.walk():
        if node.kind == "item" and node.item_id == item_id:
            return node
    raise AssertionError(f"{a.criteria_id}: no item {item_id!r} in the evaluated tree")


def points_node(a: Assessment) -> NodeResult:
    found = [n for n in a.tree.walk() if n.kind == "points"]
    assert len(found) == 1, a.criteria_id
    return found[0]


def _rows() -> list[object]:
    out: list[object] = []
    for example, cid, status, category in COMPANION_EXPECTED:
        reason = KNOWN_DISAGREEMENTS.get((example, cid))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(
            pytest.param(example, cid, status, category, marks=marks, id=f"{example[:-5]}:{cid}")
        )
    return out


# -- the table ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("example", "criteria_id", "status", "category"), _rows())
def test_verdict(example: str, criteria_id: str, status: str, category: str | None) -> None:
    a = assess(example, criteria_id)
    assert (a.status, a.category) == (status, category)


def test_every_companion_set_is_met_somewhere_and_not_met_or_open_elsewhere() -> None:
    seen: dict[str, set[str]] = {cid: set() for cid in COMPANION_SETS}
    for example, cid, status, _ in COMPANION_EXPECTED:
        if cid in seen and (example, cid) not in KNOWN_DISAGREEMENTS:
            seen[cid].add("met" if status == "met" else "other")
    assert {cid: kinds for cid, kinds in seen.items() if kinds != {"met", "other"}} == {}


def test_companion_sets_are_shipped() -> None:
    assert set(COMPANION_SETS) <= set(kb().criteria)
    assert kb().criteria_set(TAFRO).header.verification == "UNVERIFIED"


# -- seed case ------------------------------------------------------------------------------------


@pytest.mark.parametrize("criteria_id", [CDC, RCD])
def test_seed_igg4rd_is_possible_pending_the_igg4_cell_counts(criteria_id: str) -> None:
    a = assess(SEED, criteria_id)
    assert (a.status, a.category) == ("met", "possible")
    assert {"definite", "probable"} <= set(a.reachable_categories)
    missing = {m.concept for m in a.missing}
    assert {"tissue_igg4_cells_per_hpf", "tissue_igg4_igg_ratio"} <= missing
    assert "tissue_biopsy_ihc" in {t.id for t in a.next_tests}


def test_seed_acr_eular_shows_the_open_points_range() -> None:
    a = assess(SEED, ACR)
    assert a.status == "undetermined"
    assert node_of(a, "entry").truth is p.Truth.TRUE
    assert node_of(a, "no_exclusion").truth is p.Truth.UNKNOWN  # ANCA, SSA/SSB … untested
    pts = points_node(a)
    assert pts.truth is p.Truth.UNKNOWN
    # pancreas diffuse + rim 11 and serum IgG4 3.7 × ULN 6 are sure; everything else open
    assert pts.points == (17.0, 96.0)
    assert pts.to_dict()["points"] == {"guaranteed": 17.0, "possible": 96.0}
    domains = {(d.label or {}).get("en"): d.points for d in pts.children}
    assert domains["Pancreas and biliary tree"] == (11.0, 19.0)
    assert domains["Serum IgG4 concentration"] == (6.0, 6.0)
    assert any("UNVERIFIED" in u or "from memory" in u for u in a.unverified)


def test_seed_aip_definitive_type1_is_robust() -> None:
    a = assess(SEED, ICDC)
    assert node_of(a, "p_typical").truth is p.Truth.TRUE  # diffuse enlargement with a rim
    assert node_of(a, "s1").truth is p.Truth.TRUE  # 392 > 2 × 105
    assert node_of(a, "d1").truth is p.Truth.TRUE
    assert node_of(a, "h1").truth is p.Truth.UNKNOWN  # EUS-FNA, not a core biopsy
    assert all((alt.status, alt.category) == ("met", "definitive_type1") for alt in a.alternatives)


def test_seed_jps_is_definite_under_both_versions() -> None:
    a = assess(SEED, JPS)
    assert node_of(a, "iii").truth is p.Truth.TRUE
    alt = [x for x in a.alternatives if x.parameter == "jps_version"]
    assert [(x.value, x.status, x.category, x.verification) for x in alt] == [
        ("2018", "met", "definite", "UNVERIFIED")
    ]


def test_seed_imcd_and_tafro_fall_on_their_hard_exclusions() -> None:
    imcd = assess(SEED, IMCD)
    assert node_of(imcd, "poems").truth is p.Truth.TRUE  # POEMS-IMWG met
    assert imcd.missing == []
    tafro = assess(SEED, TAFRO)
    assert node_of(tafro, "thrombocytopenia").truth is p.Truth.FALSE  # blood count normal
    assert node_of(tafro, "poems").truth is p.Truth.TRUE


def test_seed_mgus_is_superseded_by_poems() -> None:
    a = assess(SEED, MGUS)
    assert node_of(a, "non_igm_m_protein").truth is p.Truth.TRUE  # IgG-λ
    assert node_of(a, "serum_m_below_3").truth is p.Truth.UNKNOWN  # spike not quantified
    assert node_of(a, "no_other_damage").truth is p.Truth.FALSE


# -- other examples -----------------------------------------------------------------------------


def test_poems_and_igg4rd_are_met_at_once() -> None:
    poems = assess(POEMS_PLUS, POEMS)
    igg4 = assess(POEMS_PLUS, CDC)
    assert (poems.status, igg4.status, igg4.category) == ("met", "met", "definite")
    assert node_of(assess(POEMS_PLUS, IMCD), "poems").truth is p.Truth.TRUE


def test_aip_type1_points_met_but_capped_by_unknown_exclusions() -> None:
    a = assess(AIP1, ACR)
    pts = points_node(a)
    assert pts.truth is p.Truth.TRUE
    assert pts.points is not None and pts.points[0] == 23.0  # pancreas + bile duct 19, IgG4 4
    assert node_of(a, "no_exclusion").truth is p.Truth.UNKNOWN
    assert a.status == "undetermined"
    assert "autoimmune_serology" in {t.id for t in a.next_tests}


def test_aip_type2_keeps_type1_open_but_reports_type2() -> None:
    a = assess(AIP2, ICDC)
    assert a.category == "definitive_type2"
    assert "definitive_type1" in a.reachable_categories
    assert node_of(a, "h1_type2").truth is p.Truth.TRUE
    assert node_of(a, "h1").truth is p.Truth.FALSE


def test_sialadenitis_scores_exactly() -> None:
    a = assess(SIALADENITIS, ACR)
    assert points_node(a).points == (52.0, 52.0)
    assert node_of(a, "no_exclusion").truth is p.Truth.TRUE


def test_tafro_case_is_not_excluded_as_igg4rd() -> None:
    a = assess(TAFRO_CASE, TAFRO)
    assert node_of(a, "igg4rd").truth is p.Truth.FALSE
    assert node_of(a, "poems").truth is p.Truth.FALSE


# -- ACR/EULAR points logic on in-code cases ---------------------------------------------------


def _f(concept: str, status: str = "present") -> Finding:
    return Finding(concept=concept, status=status)


def _igg4(value: float) -> Measurement:
    rr = ReferenceRange(low=11, high=100, unit="mg/dL")
    return Measurement(
        concept="igg4", value=value, unit="mg/dL", specimen="serum", reference_range=rr
    )


def _neg(concept: str) -> Measurement:
    return Measurement(concept=concept, result="negative", specimen="serum")


CLEAN_EXCLUSIONS = (
    _f("thrombocytopenia", "absent"),
    Measurement(concept="eosinophil_count", value=210, unit="/uL", specimen="blood"),
    _neg("anca"),
    _neg("anti_ssa"),
    _neg("anti_ssb"),
    _neg("anti_dsdna"),
    _neg("anti_rnp"),
    _neg("anti_sm"),
    _f("igg4rd_exclusions_checked"),
)
NOTHING_ELSE = (  # every other inclusion domain settled at 0
    _f("tissue_lymphoplasmacytic_infiltrate", "absent"),
    Measurement(concept="tissue_igg4_igg_ratio", value=10, unit="%", specimen="tissue"),
    Measurement(concept="tissue_igg4_cells_per_hpf", value=2, unit="/{HPF}", specimen="tissue"),
    _f("bilateral_lacrimal_enlargement", "absent"),
    _f("bilateral_parotid_enlargement", "absent"),
    _f("bilateral_sublingual_enlargement", "absent"),
    _f("bilateral_submandibular_enlargement", "absent"),
    _f("peribronchovascular_septal_thickening", "absent"),
    _f("paravertebral_band_soft_tissue", "absent"),
    _f("hypocomplementemia", "absent"),
    _f("renal_pelvis_thickening", "absent"),
    _f("renal_cortical_low_density_lesions", "absent"),
    _f("abdominal_aortic_wall_thickening", "absent"),
    _f("retroperitoneal_fibrosis", "absent"),
)

PANCREAS_RIM = (_f("pancreas_diffuse_enlargement"), _f("pancreas_capsule_like_rim"))
PANCREAS_BILIARY = (
    _f("pancreas_diffuse_enlargement"),
    _f("pancreas_capsule_like_rim", "absent"),
    _f("sclerosing_cholangitis"),
)
HISTOLOGY_20 = (  # storiform 13 + one immunostaining band 7 = exactly 20
    _f("tissue_lymphoplasmacytic_infiltrate"),
    _f("storiform_fibrosis"),
    Measurement(concept="tissue_igg4_cells_per_hpf", value=12, unit="/{HPF}", specimen="tissue"),
    Measurement(concept="tissue_igg4_igg_ratio", value=30, unit="%", specimen="tissue"),
)
WITHOUT_ANCA = tuple(o for o in CLEAN_EXCLUSIONS if o.concept != "anca")

# (id, observations, points status, (guaranteed, possible) or None, verdict)
POINTS_CASES: list[tuple[str, tuple[Finding | Measurement, ...], p.Truth, object, str]] = [
    (
        "guaranteed-22-met",
        (*PANCREAS_RIM, _igg4(600), *CLEAN_EXCLUSIONS),
        p.Truth.TRUE,
        None,
        "met",
    ),
    (
        "guaranteed-exactly-20-met",
        (*HISTOLOGY_20, *CLEAN_EXCLUSIONS),
        p.Truth.TRUE,
        None,
        "met",
    ),
    (
        "between-11-and-more-undetermined",
        (*PANCREAS_RIM, *CLEAN_EXCLUSIONS),
        p.Truth.UNKNOWN,
        None,
        "undetermined",
    ),
    (
        "maximum-8-not-met",
        (
            _f("pancreas_diffuse_enlargement"),
            _f("pancreas_capsule_like_rim", "absent"),
            _f("sclerosing_cholangitis", "absent"),
            _igg4(90),
            *NOTHING_ELSE,
            *CLEAN_EXCLUSIONS,
        ),
        p.Truth.FALSE,
        (8.0, 8.0),
        "not_met",
    ),
    (
        "maximum-19-not-met",
        (*PANCREAS_BILIARY, _igg4(90), *NOTHING_ELSE, *CLEAN_EXCLUSIONS),
        p.Truth.FALSE,
        (19.0, 19.0),
        "not_met",
    ),
    (
        "unknown-exclusion-caps-a-points-met-case",
        (*PANCREAS_RIM, _igg4(600), *WITHOUT_ANCA),
        p.Truth.TRUE,
        None,
        "undetermined",
    ),
    (
        "present-exclusion-not-met",
        (
            *PANCREAS_RIM,
            _igg4(600),
            *WITHOUT_ANCA,
            Measurement(concept="anca", result="positive", specimen="serum"),
        ),
        p.Truth.TRUE,
        None,
        "not_met",
    ),
]


@pytest.mark.parametrize(
    ("observations", "points_truth", "points", "status"),
    [pytest.param(obs, t, pts, s, id=i) for i, obs, t, pts, s in POINTS_CASES],
)
def test_acr_eular_points_logic(
    observations: tuple[Finding | Measurement, ...],
    points_truth: p.Truth,
    points: tuple[float, float] | None,
    status: str,
) -> None:
    case = Case(id="acr-points", patient=Patient(age=60, sex="male"), observations=observations)
    a = p.evaluate(case, [ACR], kb=kb()).assessment(ACR)
    node = points_node(a)
    assert node.truth is points_truth
    low, high = node.points or (0.0, 0.0)
    if points_truth is p.Truth.TRUE:
        assert low >= 20
    elif points_truth is p.Truth.FALSE:
        assert high < 20
    else:
        assert low < 20 <= high
    if points is not None:
        assert node.points == points
    assert a.status == status


def test_acr_eular_unknown_exclusion_names_the_missing_serology() -> None:
    obs = (*PANCREAS_RIM, _igg4(600), *WITHOUT_ANCA)
    case = Case(id="acr-no-anca", patient=Patient(age=60, sex="male"), observations=obs)
    a = p.evaluate(case, [ACR], kb=kb()).assessment(ACR)
    assert a.status == "undetermined"
    assert {m.concept for m in a.missing} == {"anca"}
    assert [t.id for t in a.next_tests] == ["autoimmune_serology"]
