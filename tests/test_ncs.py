"""Nerve-conduction analysis (poemsdx.ncs): limits, demyelinating parameters, the guideline
rules in three-valued logic, the terminal latency index, the POEMS/CIDP pattern, and the
CIDP criteria set on the examples.

The seed numbers are those worked by hand in §5b of the clinical criteria reference
(default Preston & Shapiro limits: median motor DL ULN 4.4 ms, CMAP LLN 4.0 mV, CV LLN
49 m/s; tibial motor DL 5.8 ms, CMAP 4.0 mV, CV 41 m/s). Hand-built rows are drawn in the
test that uses them.
"""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import poemsdx as p
import poemsdx.ncs as ncs
from poemsdx.engine import Facts, Truth
from poemsdx.engine.result import Assessment, NodeResult
from poemsdx.errors import InputError, KnowledgeError
from poemsdx.model import NcsLimits, NerveConduction

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED = "seed-poems-igg4-aip.yaml"
CIDP = "cidp-mgus-kappa.yaml"
ANTI_MAG = "anti-mag-neuropathy.yaml"
AL = "al-amyloidosis-neuropathy.yaml"


@cache
def kb() -> p.Knowledge:
    return p.load_knowledge()


@cache
def case(name: str) -> p.Case:
    return p.load_case(EXAMPLES / name, kb())


@cache
def analysis(name: str) -> ncs.NcsAnalysis:
    return ncs.analyze(Facts(case(name), kb()))


@cache
def evaluation(name: str) -> p.Evaluation:
    return p.evaluate(case(name), kb=kb())


def row(
    nerve: str, modality: str = "motor", side: str | None = "right", **kw: Any
) -> NerveConduction:
    return NerveConduction(nerve=nerve, side=side, modality=modality, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the seed, §5b

# (row, DL % of ULN, amplitude % of LLN, CV % of LLN) as printed by NcsAnalysis.table()
SEED_TABLE = [
    ("right median motor", 109, 205, 109),
    ("left median motor", 109, 160, 114),
    ("right ulnar motor", 115, 78, 121),
    ("left ulnar motor", 106, 82, 109),
    ("right tibial motor", 69, 88, 93),
    ("left tibial motor", 91, 35, 89),
    ("right median sensory", 106, 78, 94),
    ("left median sensory", 111, 29, 86),
    ("right ulnar sensory", 119, 65, 105),
    ("left ulnar sensory", 119, 31, 98),
    ("right sural sensory", 75, 198, 136),
    ("left sural sensory", 82, 173, 118),
]


@pytest.mark.parametrize(("name", "dl", "amp", "cv"), SEED_TABLE)
def test_seed_nerve_by_nerve(name: str, dl: int, amp: int, cv: int) -> None:
    r = analysis(SEED).nerve(name)
    assert round(r.measures["distal_latency"].percent or 0) == dl
    assert round(r.measures["amplitude"].percent or 0) == amp
    assert round(r.measures["conduction_velocity"].percent or 0) == cv
    for m in r.measures.values():
        if m.value is not None:
            assert m.limit is not None and m.limit.origin == "default"
            assert m.limit.verification == "UNVERIFIED"  # the §5b table is unverified


def test_seed_has_twelve_rows_and_prints_the_worked_numbers() -> None:
    a = analysis(SEED)
    assert len(a.nerves) == 12
    table = a.table()
    assert "4.8 ms (109% of ULN 4.4)" in table  # right median DL
    assert "3.5 mV (88% of LLN 4)" in table  # right tibial CMAP
    assert "38.2 m/s (93% of LLN 41)" in table  # right tibial CV


def test_seed_section_5b_numbers_exactly() -> None:
    median = analysis(SEED).nerve("right median motor")
    tibial = analysis(SEED).nerve("right tibial motor")
    assert median.measures["distal_latency"].percent == pytest.approx(4.8 / 4.4 * 100)
    assert tibial.measures["amplitude"].percent == pytest.approx(87.5)
    assert tibial.measures["conduction_velocity"].percent == pytest.approx(38.2 / 41 * 100)
    assert median.measures["distal_latency"].abnormal is T  # mildly prolonged
    assert tibial.measures["amplitude"].abnormal is T  # mildly low: axonal component
    assert tibial.measures["conduction_velocity"].abnormal is T  # mild slowing


def test_seed_demyelinating_ranges_of_section_5b() -> None:
    rules = ncs.load_ncs_knowledge().criteria("ean_pns_2021")
    dl, cv = (
        rules.distal_latency.at_least_percent_of_uln,
        rules.conduction_velocity.at_most_percent_of_lln,
    )
    assert 4.4 * dl / 100 == pytest.approx(6.6)  # median DL range ≥ 6.6 ms
    assert 49 * cv / 100 == pytest.approx(34.3)  # median CV range ≤ 34.3 m/s
    assert 5.8 * dl / 100 == pytest.approx(8.7)  # tibial DL range ≥ 8.7 ms
    assert 41 * cv / 100 == pytest.approx(28.7)  # tibial CV range ≤ 28.7 m/s


def test_seed_no_nerve_is_demyelinating() -> None:
    a = analysis(SEED)
    assert a.demyelinating_nerves == []
    for r in a.nerves:
        if r.row.modality == "motor":
            assert r.truth("distal_latency") is F, r.name
            assert r.truth("conduction_velocity") is F, r.name
            assert r.in_demyelinating_range is U, r.name  # F-waves, block, dispersion unknown
    efns = ncs.analyze(Facts(case(SEED), kb()), rules="efns_pns_2010")
    assert efns.demyelinating_nerves == []


def test_seed_without_proximal_values_has_no_block_or_dispersion() -> None:
    for r in analysis(SEED).nerves:
        assert r.block_percent is None and r.dispersion_percent is None and r.tli is None
        if r.row.modality == "motor" and r.row.nerve != "tibial":
            assert r.truth("conduction_block") is U
            assert r.truth("temporal_dispersion") is U


def test_seed_features_are_unknown_and_say_what_is_missing() -> None:
    a = analysis(SEED)
    strong, weak = a.motor_strongly_supportive, a.motor_weakly_supportive
    assert strong.truth is U and weak.truth is U
    detail = " ".join(strong.detail)
    assert "F-waves not given" in detail
    assert "proximal CMAP amplitude" in detail
    assert "left peroneal motor, right peroneal motor" in detail
    assert a.sensory_abnormal_two_nerves.truth is T  # median and ulnar SNAPs are low


# --------------------------------------------------------------------------- single rows


def test_tli_only_with_the_distal_distance() -> None:
    plain = ncs.analyze([row("median", distal_latency_ms=4.8, conduction_velocity_m_s=53.4)])
    assert plain.nerves[0].tli is None
    assert not [o for o in plain.observations if o.id.startswith("tli:")]
    # §5b illustration: an assumed 70 mm gives 70 / (53.4 × 4.8) = 0.27, below 0.38
    r = row("median", distal_latency_ms=4.8, conduction_velocity_m_s=53.4, distal_distance_mm=70)
    a = ncs.analyze([r])
    assert a.nerves[0].tli == pytest.approx(70 / (53.4 * 4.8))
    (obs,) = [o for o in a.observations if o.id.startswith("tli:")]
    assert "0.27" in obs.text and "below 0.38" in obs.text
    assert obs.leans == "CIDP" and obs.verification == "VERIFIED" and "Mauermann" in obs.source
    high = ncs.analyze(
        [row("median", distal_latency_ms=4.0, conduction_velocity_m_s=40, distal_distance_mm=80)]
    )
    (obs,) = [o for o in high.observations if o.id.startswith("tli:")]
    assert high.nerves[0].tli == pytest.approx(0.5) and obs.leans == "POEMS"
    ulnar = ncs.analyze(
        [row("ulnar", distal_latency_ms=3.0, conduction_velocity_m_s=55, distal_distance_mm=70)]
    )
    (obs,) = [o for o in ulnar.observations if o.id.startswith("tli:")]
    assert obs.leans is None and "no published" in obs.text  # cut-off is for the median only


@pytest.mark.parametrize(
    ("nerve", "distal", "proximal", "truth", "says"),
    [
        ("median", 6.0, 3.9, T, "35% reduction"),  # ≥ 30%, CMAP 150% of LLN
        ("median", 6.0, 4.5, F, "25% reduction"),
        ("ulnar", 1.0, 0.5, F, "below 20% of LLN"),  # CMAP 17% of LLN: block not counted
        ("tibial", 4.0, 1.0, F, "not judged in the tibial nerve"),
    ],
)
def test_conduction_block_needs_proximal_amplitude(
    nerve: str, distal: float, proximal: float, truth: Truth, says: str
) -> None:
    r = ncs.analyze([row(nerve, amplitude=distal, proximal_amplitude=proximal)]).nerves[0]
    assert r.truth("conduction_block") is truth
    assert says in r.parameters["conduction_block"].text


@pytest.mark.parametrize(
    ("nerve", "distal", "proximal", "truth"),
    [
        ("median", 6.0, 7.9, T),  # +32% > 30%
        ("median", 6.0, 7.8, F),  # +30% is not > 30%
        ("tibial", 6.0, 10.0, F),  # +67%: the tibial nerve needs ≥ 100%
        ("tibial", 6.0, 12.0, T),
    ],
)
def test_temporal_dispersion_needs_both_durations(
    nerve: str, distal: float, proximal: float, truth: Truth
) -> None:
    r = ncs.analyze([row(nerve, distal_duration_ms=distal, proximal_duration_ms=proximal)]).nerves[
        0
    ]
    assert r.truth("temporal_dispersion") is truth
    only_distal = ncs.analyze([row(nerve, distal_duration_ms=distal)]).nerves[0]
    assert only_distal.truth("temporal_dispersion") is U and only_distal.dispersion_percent is None


@pytest.mark.parametrize(
    ("amplitude", "f_latency", "truth"),
    [
        (6.0, 37.3, T),  # 120% of ULN 31 with a normal CMAP
        (6.0, 37.0, F),
        (3.0, 40.0, F),  # CMAP 75% of LLN: 129% is below the 150% needed
        (3.0, 46.5, T),  # 150%
        (None, 40.0, U),  # 129%: 120% or 150% depends on the unknown CMAP
        (None, 46.5, T),  # ≥ 150% whatever the CMAP
        (None, 36.0, F),  # < 120% whatever the CMAP
    ],
)
def test_f_wave_threshold_depends_on_the_distal_cmap(
    amplitude: float | None, f_latency: float, truth: Truth
) -> None:
    r = ncs.analyze([row("median", amplitude=amplitude, f_wave_latency_ms=f_latency)]).nerves[0]
    assert r.truth("f_wave_latency") is truth


def test_absent_f_waves_count_only_with_a_cmap_of_20_percent() -> None:
    ok = ncs.analyze([row("peroneal", amplitude=0.8, f_wave_absent=True)]).nerves[0]
    low = ncs.analyze([row("peroneal", amplitude=0.3, f_wave_absent=True)]).nerves[0]
    assert ok.truth("f_wave_absence") is T and low.truth("f_wave_absence") is F


def test_median_distal_latency_waits_for_carpal_tunnel_to_be_excluded() -> None:
    median = ncs.analyze([row("median", distal_latency_ms=7.0)]).nerves[0]
    ulnar = ncs.analyze([row("ulnar", distal_latency_ms=5.0)]).nerves[0]
    assert median.truth("distal_latency") is U
    assert "carpal tunnel" in median.parameters["distal_latency"].text
    assert ulnar.truth("distal_latency") is T  # 152% of 3.3


def test_carpal_tunnel_finding_decides_the_median_distal_latency() -> None:
    rows = [row("median", distal_latency_ms=7.0)]
    assert ncs.analyze(rows, carpal_tunnel=F).nerves[0].truth("distal_latency") is T
    assert ncs.analyze(rows, carpal_tunnel=T).nerves[0].truth("distal_latency") is F
    text = (
        "observations:\n"
        "  - {kind: finding, concept: carpal_tunnel_syndrome, status: absent}\n"
        "  - {kind: nerve_conduction, nerve: median, side: right, modality: motor,"
        " distal_latency_ms: 7.0}\n"
    )
    stated = p.parse_case(text, kb())
    assert ncs.analyze(stated).nerves[0].truth("distal_latency") is T
    by_facts = ncs.analyze(Facts(stated, kb())).nerves[0]
    assert by_facts.truth("distal_latency") is T
    assert "carpal tunnel syndrome stated absent" in by_facts.parameters["distal_latency"].text


def test_lab_limits_win_over_the_defaults() -> None:
    limits = NcsLimits(distal_latency_uln_ms=4.0, conduction_velocity_lln_m_s=50)
    r = ncs.analyze(
        [
            row(
                "median",
                distal_latency_ms=4.8,
                conduction_velocity_m_s=53.4,
                amplitude=8.2,
                limits=limits,
            )
        ]
    )
    n = r.nerves[0]
    assert n.measures["distal_latency"].percent == pytest.approx(120)
    assert n.measures["distal_latency"].limit is not None
    assert n.measures["distal_latency"].limit.origin == "lab"
    amp_limit = n.measures["amplitude"].limit
    assert amp_limit is not None and amp_limit.origin == "default"  # not given by the lab


def test_a_nerve_without_limits_is_unknown_and_says_so() -> None:
    r = ncs.analyze([row("radial", distal_latency_ms=2.5, conduction_velocity_m_s=60)]).nerves[0]
    assert r.truth("distal_latency") is U and r.truth("conduction_velocity") is U
    assert any("no normal limit" in n for n in r.notes)


# --------------------------------------------------------------------------- the features


def _normal_study(
    *, sides: tuple[str, ...] = ("left", "right"), durations: bool = True
) -> list[NerveConduction]:
    """Median, ulnar, peroneal and tibial motor and median, ulnar and sural sensory, normal."""
    motor = {
        "median": (3.8, 8.0, 7.5, 56.0, 27.0, 5.5),
        "ulnar": (2.9, 9.0, 8.6, 58.0, 28.0, 5.6),
        "peroneal": (5.0, 5.0, 4.6, 48.0, 50.0, 6.0),
        "tibial": (4.6, 9.0, 7.0, 46.0, 50.0, 6.5),
    }
    sensory = {"median": (3.2, 30.0, 55.0), "ulnar": (2.8, 25.0, 56.0), "sural": (3.6, 15.0, 48.0)}
    rows = []
    for side in sides:
        for nerve, (dl, amp, prox, cv, f, dur) in motor.items():
            extra: dict[str, Any] = (
                {"distal_duration_ms": dur, "proximal_duration_ms": dur * 1.1} if durations else {}
            )
            rows.append(
                row(
                    nerve,
                    side=side,
                    distal_latency_ms=dl,
                    amplitude=amp,
                    proximal_amplitude=prox,
                    conduction_velocity_m_s=cv,
                    f_wave_latency_ms=f,
                    **extra,
                )
            )
        for nerve, (dl, amp, cv) in sensory.items():
            rows.append(
                row(
                    nerve,
                    "sensory",
                    side=side,
                    distal_latency_ms=dl,
                    amplitude=amp,
                    conduction_velocity_m_s=cv,
                )
            )
    return rows


def test_features_false_only_under_the_sufficient_study_rule() -> None:
    full = ncs.analyze(_normal_study())
    assert full.motor_strongly_supportive.truth is F
    assert full.motor_weakly_supportive.truth is F
    assert full.sensory_abnormal_two_nerves.truth is F
    # one side only: the other side could still be abnormal
    one_side = ncs.analyze(_normal_study(sides=("right",)))
    assert one_side.motor_strongly_supportive.truth is U
    assert one_side.motor_weakly_supportive.truth is U
    assert one_side.sensory_abnormal_two_nerves.truth is U
    assert any("not studied" in d for d in one_side.motor_strongly_supportive.detail)
    # no CMAP durations: temporal dispersion cannot be ruled out
    no_dur = ncs.analyze(_normal_study(durations=False))
    assert no_dur.motor_strongly_supportive.truth is U
    assert any("durations" in d for d in no_dur.motor_strongly_supportive.detail)


def test_features_on_the_cidp_example_are_true() -> None:
    a = analysis(CIDP)
    assert a.motor_strongly_supportive.truth is T
    assert a.motor_weakly_supportive.truth is T
    assert a.sensory_abnormal_two_nerves.truth is T
    detail = " ".join(a.motor_strongly_supportive.detail)
    assert (
        "(b) motor conduction velocity slowed" in detail and "(e) motor conduction block" in detail
    )
    ulnar = a.nerve("right ulnar motor")
    assert ulnar.truth("conduction_block") is T and ulnar.truth("temporal_dispersion") is T
    assert a.nerve("right median motor").truth("distal_latency") is U  # carpal tunnel caveat


def test_features_reach_the_engine_with_their_evidence() -> None:
    a = evaluation(CIDP).assessment("cidp-ean-pns-2021")
    node = _item(a, "motor_strong")
    assert node.truth is T
    (feature,) = [n for n in node.walk() if n.kind == "feature"]
    assert feature.evidence and all(e.observation is not None for e in feature.evidence)
    assert feature.provenance is not None and feature.provenance.verification == "UNVERIFIED"
    seed = evaluation(SEED).assessment("cidp-ean-pns-2021")
    assert _item(seed, "motor_strong").truth is U
    assert _item(seed, "sensory_two").truth is T


def test_efns_2010_thresholds_differ_where_they_should() -> None:
    a = ncs.analyze(Facts(case(CIDP), kb()), rules="efns_pns_2010")
    assert a.nerve("right tibial motor").truth("f_wave_latency") is F  # 126% < 130%
    assert a.nerve("right ulnar motor").truth("conduction_block") is F  # 39% < 50%
    assert a.motor_strongly_supportive.truth is T  # velocities still in range
    with pytest.raises(KnowledgeError, match="unknown nerve-conduction rule set"):
        ncs.analyze([], rules="aan_1991")


def test_adding_rows_never_flips_a_known_answer() -> None:
    rows = [r for _, r in Facts(case(CIDP), kb()).nerve_conduction] + _normal_study(sides=("left",))
    full = ncs.analyze(rows)
    rng = random.Random(7)
    for _ in range(150):
        subset = [r for r in rows if rng.random() < 0.5]
        part = ncs.analyze(subset)
        for name in (
            "motor_strongly_supportive",
            "motor_weakly_supportive",
            "sensory_abnormal_two_nerves",
        ):
            small, big = getattr(part, name).truth, getattr(full, name).truth
            if small.known:
                assert big is small, (name, [str(r) for r in subset])


# --------------------------------------------------------------------------- the API


def test_analyze_accepts_facts_case_rows_and_pairs() -> None:
    facts = Facts(case(SEED), kb())
    by_facts = ncs.analyze(facts)
    by_case = ncs.analyze(case(SEED))
    by_pairs = ncs.analyze(facts.nerve_conduction)
    by_rows = ncs.analyze([r for _, r in facts.nerve_conduction])
    assert by_facts.table() == by_case.table() == by_pairs.table() == by_rows.table()
    assert [r.index for r in by_facts.nerves] == [r.index for r in by_pairs.nerves]
    assert all(r.index is None for r in by_rows.nerves)
    with pytest.raises(InputError, match="item 0 is a str"):
        ncs.analyze(["median"])  # type: ignore[list-item]


def test_to_dict_is_json_and_carries_sources() -> None:
    d = analysis(CIDP).to_dict()
    text = json.dumps(d, ensure_ascii=False)
    assert d["rules"] == "ean_pns_2021" and d["rules_verification"] == "UNVERIFIED"
    assert d["motor_strongly_supportive"]["status"] == "true"
    first = d["nerves"][0]
    assert first["measures"]["distal_latency"]["limit_verification"] == "UNVERIFIED"
    assert "Preston" in first["measures"]["distal_latency"]["limit_source"]
    assert "Mauermann" in text


def test_pattern_observations_have_sources_and_no_verdict() -> None:
    for name in (SEED, CIDP, ANTI_MAG, AL):
        for o in analysis(name).observations:
            assert o.source and o.verification in ("VERIFIED", "CORROBORATED", "UNVERIFIED")
            assert o.leans in (None, "POEMS", "CIDP")
    cidp = {o.id: o for o in analysis(CIDP).observations}
    assert cidp["block_dispersion"].leans == "CIDP"
    assert cidp["sural_sparing"].leans == "CIDP"


# --------------------------------------------------------------------------- the knowledge file


def test_ncs_knowledge_tags() -> None:
    k = ncs.load_ncs_knowledge().data
    for nerve, by_modality in k.normal_limits.items():
        for modality, limits in by_modality.items():
            for v in (
                limits.distal_latency_uln_ms,
                limits.amplitude_lln,
                limits.conduction_velocity_lln_m_s,
            ):
                assert v is not None and v.verification == "UNVERIFIED", (nerve, modality)
    assert {(n, m) for n, ms in k.normal_limits.items() for m in ms} == {
        ("median", "motor"),
        ("ulnar", "motor"),
        ("peroneal", "motor"),
        ("tibial", "motor"),
        ("median", "sensory"),
        ("ulnar", "sensory"),
        ("sural", "sensory"),
    }
    ean, efns = k.demyelination_criteria["ean_pns_2021"], k.demyelination_criteria["efns_pns_2010"]
    assert ean.verification == "UNVERIFIED" and efns.verification == "VERIFIED"
    assert (
        ean.f_wave_latency.at_least_percent_of_uln == 120
        and efns.f_wave_latency.at_least_percent_of_uln == 130
    )
    assert ean.conduction_block.at_least_reduction_percent == 30
    assert efns.conduction_block.at_least_reduction_percent == 50
    assert ean.distal_cmap_duration.low_frequency_filter_hz == 2
    assert ean.distal_cmap_duration.limits_ms == {
        "median": 6.6,
        "ulnar": 6.7,
        "peroneal": 7.6,
        "tibial": 8.8,
    }
    tli = k.terminal_latency_index
    assert tli.formula_verification == "UNVERIFIED"
    assert tli.poems_favouring["median"].at_least == 0.38
    assert tli.poems_favouring["median"].verification == "VERIFIED"


def _shipped() -> str:
    return (Path(ncs.__file__).parent.parent / "data" / "ncs_limits.yaml").read_text(
        encoding="utf-8"
    )


def test_ncs_knowledge_rejects_an_unknown_key_with_its_line(tmp_path: Path) -> None:
    text = _shipped().replace(
        "      recording: abductor digiti minimi\n", "      recordng: abductor digiti minimi\n"
    )
    line = text.splitlines().index("      recordng: abductor digiti minimi") + 1
    path = tmp_path / "ncs_limits.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        ncs.load_ncs_knowledge(path)
    msg = str(err.value)
    assert (
        f"ncs_limits.yaml:{line}:" in msg and "unknown key 'recordng'" in msg and "recording" in msg
    )


def test_ncs_knowledge_rejects_a_duplicate_key(tmp_path: Path) -> None:
    text = _shipped().replace(
        "  sural:\n    sensory:\n", "  sural:\n    sensory:\n      amplitude_unit: uV\n", 1
    )
    path = tmp_path / "ncs_limits.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        KnowledgeError, match=r"ncs_limits\.yaml:\d+:\d+: duplicate key 'amplitude_unit'"
    ):
        ncs.load_ncs_knowledge(path)


def test_ncs_knowledge_rejects_a_bad_tag(tmp_path: Path) -> None:
    shipped = _shipped()
    text = shipped.replace("verification: UNVERIFIED}", "verification: CHECKED}", 1)
    assert text != shipped
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "CHECKED" in t)
    path = tmp_path / "ncs_limits.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=rf"ncs_limits\.yaml:{line}:.*VERIFIED"):
        ncs.load_ncs_knowledge(path)


# --------------------------------------------------------------------------- CIDP on the examples


def _item(a: Assessment, item_id: str) -> NodeResult:
    for node in a.tree.walk():
        if node.kind == "item" and node.item_id == item_id:
            return node
    raise AssertionError(f"{a.criteria_id}: no item {item_id!r}")


# (example, criteria id, status, category): the hand-worked verdicts in each example's header
EXPECTED = [
    (SEED, "cidp-ean-pns-2021", "not_met", None),  # POEMS is met: an exclusion
    (CIDP, "cidp-ean-pns-2021", "met", "cidp"),
    (ANTI_MAG, "cidp-ean-pns-2021", "not_met", None),
    (AL, "cidp-ean-pns-2021", "not_met", None),
    (CIDP, "poems-imwg", "not_met", None),
    (CIDP, "poems-dispenzieri-2003", "not_met", None),
    (CIDP, "poems-japan-mhlw", "not_met", None),
    (CIDP, "poems-chiba-2019", "not_met", None),
    (CIDP, "poems-textbook-3of6", "not_met", None),
    (CIDP, "mm-imwg-2014", "not_met", None),
    (ANTI_MAG, "poems-imwg", "not_met", None),
    (ANTI_MAG, "poems-dispenzieri-2003", "undetermined", None),
    (ANTI_MAG, "poems-japan-mhlw", "undetermined", None),
    (ANTI_MAG, "poems-chiba-2019", "not_met", None),
    (ANTI_MAG, "poems-textbook-3of6", "not_met", None),
    (ANTI_MAG, "mm-imwg-2014", "not_met", None),
    (AL, "poems-imwg", "undetermined", None),
    (AL, "poems-dispenzieri-2003", "met", None),
    (AL, "poems-japan-mhlw", "met", "probable"),
    (AL, "poems-chiba-2019", "not_met", None),
    (AL, "poems-textbook-3of6", "met", None),
    (AL, "mm-imwg-2014", "not_met", None),
]


@pytest.mark.parametrize(("example", "criteria_id", "status", "category"), EXPECTED)
def test_hand_worked_verdict(
    example: str, criteria_id: str, status: str, category: str | None
) -> None:
    a = evaluation(example).assessment(criteria_id)
    assert (a.status, a.category) == (status, category)


@pytest.mark.parametrize(
    ("example", "item_id", "truth"),
    [
        (SEED, "not_poems", F),
        (SEED, "mimics_excluded", F),
        (CIDP, "not_poems", T),
        (CIDP, "not_anti_mag", T),  # IgG paraprotein: anti-MAG untested but irrelevant
        (CIDP, "not_al_amyloidosis", T),  # a clone, and amyloid looked for and not found
        (CIDP, "typical_clinical", T),
        (CIDP, "supportive_2", T),
        (ANTI_MAG, "not_anti_mag", F),
        (ANTI_MAG, "not_al_amyloidosis", U),  # amyloid not looked for: stays unknown
        (ANTI_MAG, "motor_strong", T),
        (ANTI_MAG, "typical_clinical", F),
        (AL, "not_al_amyloidosis", F),
        (AL, "motor_strong", U),
        (AL, "sensory_two", T),
    ],
)
def test_cidp_items(example: str, item_id: str, truth: Truth) -> None:
    assert _item(evaluation(example).assessment("cidp-ean-pns-2021"), item_id).truth is truth


def test_cidp_verdicts_are_robust_to_the_timepoint() -> None:
    for name in (SEED, CIDP, ANTI_MAG, AL):
        assert evaluation(name).assessment("cidp-ean-pns-2021").robust, name


def test_japan_alternative_on_the_examples() -> None:
    al = evaluation(AL).assessment("poems-japan-mhlw")
    alt = {(x.parameter, x.value): (x.status, x.category) for x in al.alternatives}
    assert alt[("mhlw_version", "revision_2024")] == ("met", "possible")
    mag = evaluation(ANTI_MAG).assessment("poems-japan-mhlw")
    alt = {(x.parameter, x.value): (x.status, x.category) for x in mag.alternatives}
    assert alt[("mhlw_version", "revision_2024")] == ("not_met", None)
