"""How an evaluated tree becomes checklist rows, on a tiny hand-built tree.

all                                          (root: its children are the rows)
├── item vegf "VEGF elevation" [other major]      ✓
│   └── fragment "VEGF elevation"
│       └── param vegf_rule = serum_1920     UNVERIFIED source
│           └── lab "serum VEGF ≥ 1,920"     VERIFIED source, one evidence line
├── at_least 2                               ?  (unlabelled: becomes its own header)
│   ├── finding hypertrichosis   ?  tests [skin_exam]
│   ├── finding hemangioma       ?  tests [skin_exam]   (shares a row with the above)
│   └── finding hyperpigmentation ✓ evidence
└── points "score" ≥ 20                      ?
    └── domain "Eyes" 0–3 points
        └── finding papilledema  ?  "3 points", tests [fundoscopy]
"""

from __future__ import annotations

import pytest

from poemsdx import Case, Knowledge, load_knowledge
from poemsdx.engine.ast import Provenance
from poemsdx.engine.logic import F, T, U
from poemsdx.engine.result import EvidenceRef, NodeResult
from poemsdx.report._checklist import ChecklistBuilder, Row
from poemsdx.report._locale import Locale


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge()


def _tree() -> NodeResult:
    lab = NodeResult(
        "lab",
        T,
        {"en": "serum VEGF ≥ 1,920 pg/mL"},
        concept="vegf",
        threshold="≥ 1,920 pg/mL",
        provenance=Provenance("paper A", "VERIFIED"),
        evidence=[EvidenceRef("serum VEGF 2,000 pg/mL", quote="VEGF 2000", assertion="inferred")],
    )
    param = NodeResult(
        "param", T, None, [lab], param=("vegf_rule", "serum_1920"),
        provenance=Provenance("web page B", "UNVERIFIED"),
    )  # fmt: skip
    fragment = NodeResult("fragment", T, {"en": "VEGF elevation"}, [param])
    item = NodeResult(
        "item", T, {"en": "VEGF elevation"}, [fragment], item_id="vegf", role="other major"
    )

    def unknown(concept: str, tests: list[str]) -> NodeResult:
        return NodeResult("finding", U, {"en": concept}, concept=concept, tests=tests)

    seen = NodeResult(
        "finding",
        T,
        {"en": "hyperpigmentation"},
        evidence=[EvidenceRef("hyperpigmentation present")],
    )
    two = NodeResult(
        "at_least",
        T,
        None,
        [unknown("hypertrichosis", ["skin_exam"]), unknown("hemangioma", ["skin_exam"]), seen],
        n=2,
    )
    eye = unknown("papilledema", ["fundoscopy"])
    eye.detail = ["3 points"]
    domain = NodeResult("domain", U, {"en": "Eyes"}, [eye], points=(0, 3), detail=["0–3 points"])
    score = NodeResult(
        "points", U, {"en": "score"}, [domain], threshold="≥ 20 points", detail=["points 0–3"]
    )
    return NodeResult("all", F, None, [item, two, score])


@pytest.fixture(scope="module")
def rows(kb: Knowledge) -> list[Row]:
    return ChecklistBuilder(kb, Case(id="c"), Locale("en")).rows(_tree())


def test_wrappers_fold_into_the_item_and_keep_every_source(rows: list[Row]) -> None:
    vegf = rows[0]
    assert (vegf.label, vegf.role, vegf.symbol) == ("VEGF elevation", "other major", "✓")
    assert vegf.children == []
    assert vegf.threshold == "≥ 1,920 pg/mL"
    assert vegf.sources == [("web page B", "UNVERIFIED"), ("paper A", "VERIFIED")]
    assert vegf.unverified
    assert vegf.parameter is not None and vegf.parameter.startswith("VEGF elevation rule: ")
    assert "1,920" in vegf.parameter
    assert vegf.detail == ["serum VEGF ≥ 1,920 pg/mL"]
    [line] = vegf.evidence
    assert (line.text, line.quote, line.inferred) == ("serum VEGF 2,000 pg/mL", "VEGF 2000", True)


def test_an_unlabelled_count_is_a_header_and_like_unknowns_share_a_row(
    rows: list[Row], kb: Knowledge
) -> None:
    group = rows[1]
    assert group.label == "at least 2 of" and group.group is None
    merged, seen = group.children
    assert merged.label == "hypertrichosis, hemangioma"
    assert merged.tests == [kb.tests["skin_exam"].label["en"]]
    assert (seen.label, seen.symbol) == ("hyperpigmentation", "✓")


def test_points_show_their_threshold_and_each_domain(rows: list[Row], kb: Knowledge) -> None:
    score = rows[2]
    assert (score.label, score.threshold, score.detail) == ("score", "≥ 20 points", ["points 0–3"])
    [eyes] = score.children
    assert eyes.label == "Eyes"
    assert eyes.detail == ["papilledema", "0–3 points", "3 points"]
    assert eyes.tests == [kb.tests["fundoscopy"].label["en"]]


def test_rows_in_japanese_use_knowledge_labels(kb: Knowledge) -> None:
    rows = ChecklistBuilder(kb, Case(id="c"), Locale("ja")).rows(_tree())
    assert rows[1].label == "以下のうち2項目以上"
    assert rows[1].children[0].tests == [kb.tests["skin_exam"].label["ja"]]
    assert rows[0].role == "その他の大基準"
