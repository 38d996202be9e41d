"""Properties of the engine over random, consistent cases (Hypothesis).

A case is drawn as a *world* — a hidden patient in whom every pooled concept is either
true or false — and then partly observed. Observing a consistent world truthfully never
produces contradictions, so these properties must hold for every shipped criteria set::

    world ──observe some──► S ──add x──► S + x        verdicts of S hold in S + x
                             └─remove y─► S − y        verdicts of S − y hold in S

A world is consistent with the engine's rules: presence flows up the hierarchy
(truth(c) = own(c) ∨ any child), a group has no "own" truth, "hepatosplenomegaly absent"
is only said when neither organ is enlarged (absence_implies), a finding defined by a
measurement (thrombocytosis ⇐ platelets > ULN) is true exactly when its measurement says
so, and a blood count is reported "normal" only when none of the findings it rules out
is present. At most one observation per concept and no treatment events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import poemsdx
from poemsdx import Case, Finding, Measurement, Patient, ReferenceRange, Truth
from poemsdx.io import check_case

KB = poemsdx.load_knowledge()

FINDINGS = (
    "acrocyanosis", "adrenal_insufficiency", "albuminocytologic_dissociation", "amenorrhea",
    "anasarca", "anemia", "ascites", "bone_plasmacytoma", "castleman_disease",
    "clonal_bone_marrow_plasma_cells", "demyelinating_polyneuropathy", "diabetes_mellitus",
    "edema", "endocrinopathy", "erectile_dysfunction", "extramedullary_plasmacytoma",
    "extravascular_volume_overload", "flushing", "gonadal_dysfunction", "gynecomastia",
    "hemangioma", "hepatomegaly", "hepatosplenomegaly", "hyperparathyroidism",
    "hyperpigmentation", "hyperprolactinemia", "hypertrichosis", "hypogonadism",
    "hypothyroidism", "imcd", "leukonychia", "lymphadenopathy",
    "monoclonal_plasma_cell_disorder", "mri_focal_lesions", "multiple_myeloma",
    "organomegaly", "osteolytic_bone_lesions", "osteosclerotic_myeloma", "papilledema",
    "pericardial_effusion", "peripheral_neuropathy", "plasmacytoma", "plethora",
    "pleural_effusion", "polycythemia", "polyneuropathy", "sclerotic_bone_lesions",
    "sensorimotor_polyneuropathy", "skin_changes", "skin_thickening", "splenomegaly",
    "testicular_atrophy", "thrombocytosis", "thyroid_disease",
)  # fmt: skip

# Measurements that define findings: always with the lab's range, values on a grid
# (value = k × step) so that "above"/"below" are decided exactly.
#   concept: (unit, specimen, low, high, step, largest k)
DEFINING = {
    "platelet_count": ("10*3/uL", "blood", 150.0, 450.0, 1.0, 1200),
    "hemoglobin": ("g/dL", "blood", 13.5, 17.5, 0.1, 300),
    "tsh": ("m[IU]/L", "serum", 0.5, 5.0, 0.1, 200),
    "testosterone": ("ng/dL", "serum", 250.0, 950.0, 1.0, 2000),
    "prolactin": ("ng/mL", "serum", 4.0, 15.0, 1.0, 60),
}
OTHER_MEASUREMENTS = (
    "vegf", "m_protein", "bence_jones_protein", "bone_marrow_plasma_cells", "calcium",
    "creatinine", "egfr", "free_kappa", "free_lambda", "flc_ratio", "complete_blood_count",
)  # fmt: skip
POOL = (*FINDINGS, *DEFINING, *OTHER_MEASUREMENTS)

GROUPS = {c for c in FINDINGS if KB.concepts[c].kind == "group"}
DEFINED = {c: spec.defined_by for c, spec in KB.concepts.items() if spec.defined_by}
CATEGORY_ORDER = {cid: [c.id for c in crit.categories] for cid, crit in KB.criteria.items()}


def test_pool_is_sound() -> None:
    """The pool names real concepts of the right kind, and the world model's assumptions
    about the knowledge hold (a measurement-defined finding has no sub-concepts)."""
    for c in FINDINGS:
        assert KB.concepts[c].kind in {"finding", "disease", "group"}, c
    for c in (*DEFINING, *OTHER_MEASUREMENTS):
        assert KB.concepts[c].kind == "measurement", c
    for c, rule in DEFINED.items():
        assert not KB.children(c), c
        if c in FINDINGS:
            assert rule is not None and rule.measurement in DEFINING, c
    assert len(set(POOL)) == len(POOL)


# -- the world ------------------------------------------------------------------------------


def _num(draw: Any, lo: int, hi: int, step: float) -> float:
    return round(draw(st.integers(lo, hi)) * step, 6)


def _rr(draw: Any, unit: str, low: float | None, high: float) -> ReferenceRange | None:
    return ReferenceRange(low=low, high=high, unit=unit) if draw(st.booleans()) else None


def _other_measurement(draw: Any, concept: str) -> Measurement:
    """A random but plausible value for a measurement no finding depends on."""
    m: dict[str, Any] = {"concept": concept}
    if concept == "vegf":
        m |= {"value": _num(draw, 0, 3000, 1), "unit": "pg/mL"}
        m["specimen"] = draw(st.sampled_from(["serum", "plasma", None]))
        m["reference_range"] = _rr(
            draw, "pg/mL", None, 220.0 if m["specimen"] != "plasma" else 80.0
        )
    elif concept in ("m_protein", "bence_jones_protein"):
        m["result"] = draw(st.sampled_from(["positive", "negative", "equivocal", "abnormal"]))
        m["method"] = draw(st.sampled_from([None, "immunofixation", "SPEP"]))
        m["specimen"] = (
            "urine"
            if concept == "bence_jones_protein"
            else draw(st.sampled_from(["serum", "urine"]))
        )
        if m["result"] == "positive" and concept == "m_protein":
            m["heavy_chain"] = draw(st.sampled_from([None, "IgG", "IgA"]))
            m["light_chain"] = draw(st.sampled_from([None, "kappa", "lambda"]))
    elif concept == "bone_marrow_plasma_cells":
        m |= {"value": _num(draw, 0, 1000, 0.1), "unit": "%", "specimen": "bone_marrow"}
    elif concept == "calcium":
        unit = draw(st.sampled_from(["mg/dL", "mmol/L"]))
        value = _num(draw, 60, 150, 0.1) if unit == "mg/dL" else _num(draw, 150, 380, 0.01)
        m |= {"value": value, "unit": unit, "specimen": "serum"}
        m["reference_range"] = _rr(draw, "mg/dL", 8.5, 10.4) if unit == "mg/dL" else None
    elif concept == "creatinine":
        m |= {"value": _num(draw, 3, 80, 0.1), "unit": "mg/dL", "specimen": "serum"}
    elif concept == "egfr":
        m |= {"value": _num(draw, 5, 130, 1), "unit": "mL/min/{1.73_m2}"}
    elif concept in ("free_kappa", "free_lambda"):
        m |= {"value": _num(draw, 0, 5000, 0.1), "unit": "mg/L", "specimen": "serum"}
    elif concept == "flc_ratio":
        m |= {"value": _num(draw, 0, 20000, 0.01), "unit": "1", "specimen": "serum"}
    else:  # pragma: no cover - the pool above is fixed
        raise AssertionError(concept)
    return Measurement(**m)


@dataclass(frozen=True)
class World:
    observations: dict[str, Finding | Measurement]  # one possible observation per concept
    patient: Patient


@st.composite
def worlds(draw: Any) -> World:
    own: dict[str, bool] = {}
    obs: dict[str, Finding | Measurement] = {}
    values: dict[str, tuple[float, float, float]] = {}
    for concept, (unit, specimen, low, high, step, top) in DEFINING.items():
        value = _num(draw, 0, top, step)
        values[concept] = (value, low, high)
        rr = ReferenceRange(low=low, high=high, unit=unit)
        obs[concept] = Measurement(
            concept=concept, value=value, unit=unit, specimen=specimen, reference_range=rr
        )
    for c, rule in DEFINED.items():
        if rule is not None and rule.measurement in values:
            value, low, high = values[rule.measurement]
            own[c] = value > high if rule.comparator == "above" else value < low
    for c in FINDINGS:
        if c not in GROUPS and c not in own:
            own[c] = draw(st.integers(0, 3)) == 0  # a quarter of features present

    memo: dict[str, bool] = {}

    def truth(c: str) -> bool:
        if c not in memo:
            memo[c] = own.get(c, False) or any(truth(k) for k in KB.children(c))
        return memo[c]

    for c in FINDINGS:
        hedge = draw(st.integers(0, 5)) == 0
        may_deny = not any(truth(a) for a in KB.concepts[c].absence_implies)
        if hedge:
            status = "uncertain"
        elif truth(c):
            status = "present"
        else:
            status = "absent" if may_deny else "uncertain"
        obs[c] = Finding(concept=c, status=status)  # type: ignore[arg-type]
    for c in OTHER_MEASUREMENTS:
        if c == "complete_blood_count":
            ruled_out = KB.concepts[c].normal_implies_absent
            normal = not any(truth(x) for x in ruled_out)
            obs[c] = Measurement(
                concept=c, result="normal" if normal else "abnormal", specimen="blood"
            )
        else:
            obs[c] = _other_measurement(draw, c)
    sex = draw(st.sampled_from(["male", "female", None]))
    age = draw(st.sampled_from([None, 30.0, 57.0, 80.0]))
    return World(obs, Patient(sex=sex, age=age))  # type: ignore[arg-type]


@st.composite
def scenarios(draw: Any) -> tuple[World, list[str], str]:
    """A world, the concepts observed (S) and one more concept (x ∉ S).

    S and S + x differ by one observation: read forwards the pair is "add x to S",
    read backwards it is "remove one observation (x) from S + x"."""
    world = draw(worlds())
    extra = draw(st.sampled_from(POOL))
    observed = [c for c in POOL if c != extra and draw(st.booleans())]
    return world, observed, extra


def _case(world: World, concepts: list[str]) -> Case:
    case = Case(observations=tuple(world.observations[c] for c in concepts), patient=world.patient)
    check_case(case, KB, lenient=True)  # the generator itself must only build valid input
    return case


Verdicts = dict[tuple[str, str, str], tuple[str, str | None]]


_STATUS = {Truth.TRUE: "met", Truth.FALSE: "not_met", Truth.UNKNOWN: "undetermined"}


def _verdicts(ev: poemsdx.Evaluation) -> Verdicts:
    """Status and category of every set under the defaults and every alternative value,
    and (under the defaults) the truth of every item and category, as a status."""
    out: Verdicts = {}
    for a in ev.assessments:
        out[a.criteria_id, "", ""] = (a.status, a.category)
        for alt in a.alternatives:
            out[a.criteria_id, alt.parameter, alt.value] = (alt.status, alt.category)
        for node in a.tree.walk():
            if node.kind in ("item", "category") and node.item_id:
                out[a.criteria_id, node.kind, node.item_id] = (_STATUS[node.truth], None)
    return out


def _assert_refines(less: Verdicts, more: Verdicts, change: str) -> None:
    """Every verdict reached with less information stands with more; a met category can
    only move up (towards the first, strongest category)."""
    assert less.keys() == more.keys()
    for key, (status, category) in less.items():
        now, now_category = more[key]
        if status == "undetermined":
            continue
        assert now == status, f"{change}: {key} went from {status} to {now}"
        if status == "met" and category is not None:
            order = CATEGORY_ORDER[key[0]]
            assert order.index(now_category) <= order.index(category), (
                f"{change}: {key} fell from {category} to {now_category}"
            )


def _evaluate(case: Case, *, as_json: bool = False) -> poemsdx.Evaluation:
    ev = poemsdx.evaluate(case, kb=KB)  # (c): never raises
    assert {a.criteria_id for a in ev.assessments} == set(KB.criteria)
    if as_json:
        json.dumps(ev.to_dict(), ensure_ascii=False, allow_nan=False)  # (d): plain JSON
    return ev


@settings(
    max_examples=100,  # each example evaluates every shipped set twice, alternatives included
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_one_more_observation_never_reverses_a_verdict(
    scenario: tuple[World, list[str], str],
) -> None:
    """(a) adding an observation of a concept not yet observed, and (b) removing any one
    observation, only ever resolve or unresolve `undetermined` — for every set, under the
    defaults and under every alternative parameter value, down to each item; a met
    category only moves up when information is added. (c) Evaluation never raises and
    (d) its JSON serialises."""
    world, observed, extra = scenario
    smaller = _verdicts(_evaluate(_case(world, observed)))
    larger = _verdicts(_evaluate(_case(world, [*observed, extra]), as_json=True))
    _assert_refines(
        smaller,
        larger,
        f"adding (or, read backwards, removing) {world.observations[extra]!r}",
    )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_fully_observed_world_reaches_a_verdict_somewhere(world: World) -> None:
    """Sanity check of the generator: observing everything decides at least one set, so
    the property above is not vacuously about `undetermined` verdicts only."""
    ev = _evaluate(_case(world, list(POOL)), as_json=True)
    assert any(a.status != "undetermined" for a in ev.assessments)
