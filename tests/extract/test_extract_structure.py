"""Sections, sentences, nerve-conduction tables, time and events, document kind."""

from __future__ import annotations

import pytest

import poemsdx
from poemsdx import Finding, NerveConduction
from poemsdx.extract import extract_text
from poemsdx.extract.assemble import _shift
from poemsdx.extract.resources import resources
from poemsdx.extract.sections import find_sections

KB = poemsdx.load_knowledge()
LEX = resources(KB).ordered


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        ("現病歴:しびれ．\n考 察\n本例は", ["history", "discussion"]),
        ("【入院後経過】発熱あり\n【退院後方針】再検", ["course", "plan"]),
        ("既往歴:糖尿病\n両下肢浮腫あり", ["past_history", None]),  # one line of history only
        (
            "S）しびれ\nO）浮腫(+)\nA）POEMS疑い\nP）VEGF",
            ["history", "examination", "assessment", "plan"],
        ),
        (
            "History of present illness: numbness.\n\nDiscussion\nPOEMS is rare.",
            ["history", "discussion"],
        ),
        (
            "现病史：双下肢麻木。\n查体：双下肢水肿。\n讨论\n本病少见。",
            ["history", "examination", "discussion"],
        ),
    ],
)
def test_section_roles(text: str, roles: list[str | None]) -> None:
    found = [s.role for s in find_sections(text, LEX) if text[s.start : s.end].strip()]
    assert found == roles


def test_discussion_keeps_only_statements_about_the_patient() -> None:
    text = (
        "現病歴:両下肢のしびれ．\n考 察\n"
        "POEMS症候群では臓器腫大は肝臓，脾臓などでの頻度が高い．本例では浮腫を認めた．"
    )
    case = extract_text(text, KB)
    got = {o.concept: o.status for o in case.observations if isinstance(o, Finding)}
    assert got == {"edema": "present"}


def test_introduction_is_skipped() -> None:
    case = extract_text(
        "Introduction\nPOEMS syndrome causes edema and ascites.\n\nCase\nNo ascites.", KB
    )
    assert {(o.concept, o.status) for o in case.observations if isinstance(o, Finding)} == {
        ("ascites", "absent")
    }


NCS = """MOTOR NERVE CONDUCTION
Nerve / site          Lat (ms)   Amp (mV)   CV (m/s)   F-wave (ms)
R Median (APB)          6.9        4.1        31.2       48.6
R Tibial (AH)           8.8        0.6        24.0       NR
R Peroneal (EDB)        NR         NR         NR         NR

SENSORY NERVE CONDUCTION
Nerve                 Peak lat (ms)   Amp (uV)   CV (m/s)
L Sural                  3.6            10.4       47.0
"""


def test_nerve_conduction_table() -> None:
    rows = [o for o in extract_text(NCS, KB).observations if isinstance(o, NerveConduction)]
    got = [
        (r.modality, r.side, r.nerve, r.distal_latency_ms, r.amplitude, r.conduction_velocity_m_s,
         r.f_wave_latency_ms, r.f_wave_absent, r.not_recordable)
        for r in rows
    ]  # fmt: skip
    assert got == [
        ("motor", "right", "median", 6.9, 4.1, 31.2, 48.6, None, False),
        ("motor", "right", "tibial", 8.8, 0.6, 24.0, None, True, False),
        ("motor", "right", "peroneal", None, None, None, None, None, True),
        ("sensory", "left", "sural", 3.6, 10.4, 47.0, None, None, False),
    ]


def test_japanese_table_with_side_after_the_nerve() -> None:
    text = (
        "＜運動神経伝導検査＞\n"
        "神経　　側　遠位潜時(ms)　CMAP振幅(mV)　伝導速度(m/s)\n"
        "正中神経　右6.2　4.8　36.4\n"
    )
    rows = [o for o in extract_text(text, KB).observations if isinstance(o, NerveConduction)]
    assert [
        (r.side, r.nerve, r.distal_latency_ms, r.amplitude, r.conduction_velocity_m_s) for r in rows
    ] == [("right", "median", 6.2, 4.8, 36.4)]


def test_dates_relative_times_and_events() -> None:
    text = (
        "2009年10月初旬よりしびれが出現した．11月中旬より両趾先に発赤が出現した．11月下旬に入院した．"
        "2010年1月に自己末梢血幹細胞移植をともなう大量化学療法をおこなった．"
        "自己末梢血幹細胞移植をともなう大量化学療法3カ月後には色素沈着は消失した．"
    )
    case = extract_text(text, KB)
    assert [(e.concept, e.start.date if e.start else None) for e in case.events] == [
        ("hdm_asct", "2010-01")
    ]
    assert case.anchors["admission"].date == "2009-11"
    found = {(o.concept, o.status): o.time for o in case.observations if isinstance(o, Finding)}
    assert found[("erythema", "present")].date == "2009-11"
    gone = found[("hyperpigmentation", "absent")]
    assert (gone.anchor, gone.offset, gone.label) == (
        "hdm_asct",
        "P3M",
        "自己末梢血幹細胞移植をともなう大量化学療法3カ月後",
    )


@pytest.mark.parametrize(
    ("text", "anchor", "offset", "phase"),
    [
        (
            "Lenalidomide was started in March 2021. Edema was present 5 months after treatment.",
            "lenalidomide",
            "P5M",
            None,
        ),
        ("开始来那度胺治疗。治疗后3个月水肿消失。", "lenalidomide", "P3M", None),
        (
            "HDM-ASCT in October 2023. Edema resolved post-ASCT.",
            "hdm_asct",
            None,
            "after_treatment",
        ),
        ("HDM-ASCT in October 2023. Edema pre-ASCT.", "hdm_asct", None, "before_treatment"),
        (
            "Edema before treatment.",
            None,
            None,
            "before_treatment",
        ),  # no treatment given: only the side
    ],
)
def test_relative_times(
    text: str, anchor: str | None, offset: str | None, phase: str | None
) -> None:
    case = extract_text(text, KB)
    t = next(o.time for o in case.observations if isinstance(o, Finding) and o.concept == "edema")
    assert t is not None and (t.anchor, t.offset, t.phase) == (anchor, offset, phase)


def test_courses_and_regimens() -> None:
    text = (
        "Treated with lenalidomide + dexamethasone (Mar-Aug 2023), then HDM-ASCT in October 2023. "
        "Lenalidomide maintenance since January 2024. "
        "Melphalan 200 mg/m2 followed by stem cell infusion."
    )
    events = [
        (e.id, e.concept, e.start.date if e.start else None) for e in extract_text(text, KB).events
    ]
    assert events == [
        ("lenalidomide", "lenalidomide", "2023-03"),
        ("corticosteroids", "corticosteroids", "2023-03"),
        ("hdm_asct", "hdm_asct", "2023-10"),
        ("lenalidomide-2", "lenalidomide", "2024-01"),
    ]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("On bortezomib since 02/2025.", "2025-02"),
        ("Bortezomib started 11/2024.", "2024-11"),
        ("Bortezomib started 1/2000.", None),  # one digit: more often a dilution than a month
        ("Seen 12/03/2025. Bortezomib started.", None),  # part of a day/month/year date
    ],
)
def test_month_and_year_with_a_slash(text: str, date: str | None) -> None:
    events = extract_text(text, KB).events
    assert [(e.concept, e.start.date if e.start else None) for e in events] == [
        ("bortezomib", date)
    ]


def test_a_date_after_since_is_not_narrative_time() -> None:
    text = (
        "Follow-up visit.\n"
        "IFE negative since April 2024. Bilateral leg edema.\n"
        "In March 2023 she had pleural effusions."
    )
    found = {o.concept: o.time for o in extract_text(text, KB).observations}
    assert found["edema"] is None  # said now, not in April 2024
    assert found["m_protein"] is not None and found["m_protein"].date == "2024-04"
    effusion = found["pleural_effusion"]
    assert effusion is not None and effusion.date == "2023-03"


def test_planned_or_withheld_treatment_is_no_event() -> None:
    text = "移植前治療はおこなわなかった．If VEGF rises again, consider thalidomide."
    assert extract_text(text, KB).events == ()


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        ("症例は57歳男性である．", 57, "male"),
        ("A 48-year-old woman presented with edema.", 48, "female"),
        ("患者女，55岁。", 55, "female"),
        ("Pt: 62F    Referred for neuropathy", 62, "female"),
        ("Age/Sex: 66/M", 66, "male"),
    ],
)
def test_demographics(text: str, age: int, sex: str) -> None:
    patient = extract_text(text, KB).patient
    assert (patient.age, patient.sex) == (age, sex)


TEXTBOOK = (
    "POEMS syndrome\n\nPOEMS syndrome is a rare paraneoplastic disorder. It is characterized by "
    "polyneuropathy. Most patients have sclerotic lesions (97%). Papilledema is common."
)
ENCYCLOPEDIA = (
    '{"概述": {"描述": "本病罕见。"}, "诊断": {"描述": "部分病人可有水肿(56%)。本病常见M蛋白。"}}'
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (TEXTBOOK, "disease_description"),
        (ENCYCLOPEDIA, "disease_description"),
        ("No edema.", "patient_record"),
        ("Diagnosis: POEMS syndrome.\nTreatment: lenalidomide.", "patient_record"),
    ],
)
def test_document_kind(text: str, kind: str) -> None:
    case = extract_text(text, KB)
    assert case.documents[0].kind == kind
    if kind == "disease_description":
        assert case.observations == () and case.events == () and not case.describes_a_patient


def _courses(text: str) -> list[tuple[str, str | None]]:
    return [(e.id, e.start.date if e.start else None) for e in extract_text(text, KB).events]


@pytest.mark.parametrize(
    ("text", "courses"),
    [
        # a date in brackets right after the treatment is its own, not the one before it
        (
            "2023年4月よりIVIGを行った．ステロイドパルス療法（2023年8月）も行った．",
            [("ivig", "2023-04"), ("corticosteroids", "2023-08")],
        ),
        # past the 30 characters of dose and schedule, over another treatment of the list
        (
            "He received thalidomide 100 mg/day with dexamethasone from July 2020.",
            [("thalidomide", "2020-07"), ("corticosteroids", "2020-07")],
        ),
        (
            "Prednisolone 35 mg/day (0.6 mg/kg) started 12 March 2024.",
            [("corticosteroids", "2024-03-12")],
        ),
        # … but not over a finding: the date is the finding's
        (
            "Started on prednisolone 30 mg/day; new-onset leg edema noted in March 2024.",
            [("corticosteroids", None)],
        ),
        (
            "Thalidomide was given for months before bilateral pleural effusion in May 2021.",
            [("thalidomide", None)],
        ),
        # a transplant named as a reference point is no course of its own
        (
            "HDM-ASCT in October 2023.\nVEGF:\n  Sep 2023 (pre-ASCT)   1,210 pg/mL",
            [("hdm_asct", "2023-10")],
        ),
        ("2021年11月10日回输自体外周血干细胞。", [("hdm_asct", "2021-11-10")]),
    ],
)
def test_the_date_of_a_treatment_course(text: str, courses: list[tuple[str, str | None]]) -> None:
    assert _courses(text) == courses


@pytest.mark.parametrize(
    ("text", "concept", "offset", "label"),
    [
        ("Stem cell infusion on 18 Oct 2023 (day 0). Fever on day +9.", "fever", "P9D", "day +9"),
        ("ASCT in May 2022. Edema from D+30.", "edema", "P30D", "D+30"),
        ("2021年11月10日回输自体外周血干细胞。+14天出现水肿。", "edema", "P14D", "+14天"),
        ("自己末梢血幹細胞移植を施行した．Day+12に発熱を認めた．", "fever", "P12D", "Day+12"),
    ],
)
def test_transplant_days_count_from_the_infusion(
    text: str, concept: str, offset: str, label: str
) -> None:
    found = {o.concept: o.time for o in extract_text(text, KB).observations}
    when = found[concept]
    assert when is not None and (when.anchor, when.offset, when.label) == (
        "hdm_asct",
        offset,
        label,
    )


@pytest.mark.parametrize(
    "text",
    [
        "Prednisolone 30 mg/day +5 mg weekly. Fever.",  # a dose, not a day
        "Fever on day 14 of cycle 2.",  # no sign: a day of something else
        "IgG-4 -2 SD. Fever.",
    ],
)
def test_what_is_not_a_transplant_day(text: str) -> None:
    found = {o.concept: o.time for o in extract_text(text, KB).observations}
    assert found["fever"] is None or found["fever"].anchor != "hdm_asct"


def test_a_course_on_a_transplant_day_is_a_new_course() -> None:
    text = (
        "Lenalidomide and dexamethasone from June 2023. Stem cell infusion on 18 Oct 2023"
        " (day 0). Engraftment syndrome on day +9, treated with methylprednisolone."
    )
    assert _courses(text) == [
        ("lenalidomide", "2023-06"),
        ("corticosteroids", "2023-06"),
        ("hdm_asct", "2023-10-18"),
        ("corticosteroids-2", "2023-10-27"),  # day 0 + 9 days
    ]


@pytest.mark.parametrize(
    ("day", "offset", "moved"),
    [
        ("2023-10-18", "P9D", "2023-10-27"),
        ("2023-12-28", "P1W", "2024-01-04"),
        ("2023-10-18", "-P3D", "2023-10-15"),
        ("2023-10", "P3M", "2024-01"),
        ("2024-01-31", "P1M", "2024-02-29"),  # to the month's last day
        ("2023", "P1Y", "2024"),
        ("2023-10", "P9D", None),  # a month is too coarse for days
        ("2023-10-18", "P1.5M", None),
    ],
)
def test_shifting_a_date(day: str, offset: str, moved: str | None) -> None:
    assert _shift(day, offset) == moved
