"""An ``Evaluation`` as a language-resolved, renderer-neutral view model.

Every decision about what a report says is made here, once: which label in which
language, which rows a checklist has, which alternatives change the verdict and how that
is worded. Renderers only lay the result out, so text, Markdown and HTML cannot disagree,
and none of them decides anything clinical.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.result import Alternative, Assessment
from ..evaluation import Evaluation
from ..knowledge.registry import Knowledge
from ._checklist import ChecklistBuilder, EvidenceLine, Row
from ._differential import DifferentialView, build_differential
from ._locale import Locale, check_language
from ._ncs import NcsView, build_ncs

__all__ = [
    "AlternativeView",
    "AssessmentView",
    "CaseView",
    "EvidenceLine",
    "MissingView",
    "NextTestView",
    "ParameterView",
    "ReportView",
    "Row",
    "build_view",
]


@dataclass(slots=True)
class CaseView:
    id: str
    title: str | None
    patient: str | None


@dataclass(slots=True)
class MissingView:
    label: str
    tests: list[str]


@dataclass(slots=True)
class NextTestView:
    label: str
    settles: list[str]
    note: str | None


@dataclass(slots=True)
class AlternativeView:
    """The verdict under another parameter value, worded for the reader."""

    sentence: str
    verification: str | None
    unverified: bool
    next_tests: list[str]


@dataclass(slots=True)
class ParameterView:
    label: str
    value: str
    verification: str | None


@dataclass(slots=True)
class AssessmentView:
    id: str
    title: str
    kind: str
    version: str
    verification: str
    status: str
    verdict: str
    verdict_unverified: bool
    robust: bool
    robustness: str
    rows: list[Row]
    missing: list[MissingView]
    next_tests: list[NextTestView]
    alternatives: list[AlternativeView]
    robust_sentence: str | None
    parameters: list[ParameterView]
    unverified: list[tuple[str, str]]
    notes: str | None
    citation: list[str]
    distance: str | None = None
    symbol: str = field(init=False)

    def __post_init__(self) -> None:
        self.symbol = {"met": "✓", "not_met": "✗"}.get(self.status, "?")


@dataclass(slots=True)
class ReportView:
    lang: str
    t: Locale
    case: CaseView
    assessments: list[AssessmentView]
    knowledge_version: str
    engine_version: str
    differential: DifferentialView | None = None
    notice: str | None = None
    nerve_conduction: NcsView | None = None


def build_view(evaluation: Evaluation, kb: Knowledge, lang: str = "en") -> ReportView:
    """Resolve every label of ``evaluation`` in ``lang`` (falling back to English)."""
    check_language(lang)
    t = Locale(lang)
    case = evaluation.case
    p = case.patient
    age = t("report.age", age=f"{p.age:g}") if p.age is not None else None
    sex = t.word("sex", p.sex) if p.sex else None
    patient = t("sep.list").join(x for x in (age, sex) if x) or None
    return ReportView(
        lang,
        t,
        CaseView(case.id, case.title, patient),
        [_assessment(a, evaluation, kb, t) for a in evaluation.assessments],
        evaluation.knowledge_version,
        evaluation.engine_version,
        build_differential(evaluation.differential, kb, t),
        None if case.describes_a_patient else t("report.no_patient"),
        build_ncs(evaluation.nerve_conduction, t),
    )


def _assessment(a: Assessment, ev: Evaluation, kb: Knowledge, t: Locale) -> AssessmentView:
    rows_of = ChecklistBuilder(kb, ev.case, t)
    rows = rows_of.rows(a.tree)
    items = {
        n.item_id: t.text(n.label, n.item_id)
        for n in a.tree.walk()
        if n.kind == "item" and n.item_id
    }

    def what(key: str) -> str:
        if key in items:
            return items[key]
        if key in kb.concepts:
            return kb.label(key, t.lang)
        crit = kb.criteria.get(key)
        return t.text(crit.header.title, key) if crit else key

    missing: dict[str, MissingView] = {}
    for m in a.missing:
        key = m.item_id or m.concept or m.criteria_id or m.label
        view = missing.setdefault(key, MissingView(what(key), []))
        for test in (rows_of.test(x) for x in m.tests):
            if test not in view.tests:
                view.tests.append(test)
    next_tests = [
        NextTestView(t.text(n.label, n.id), [what(s) for s in n.settles], t.text(n.note) or None)
        for n in a.next_tests
    ]
    alternatives, robust_sentence, depends = _robustness(a, kb, rows_of, t)
    return AssessmentView(
        id=a.criteria_id,
        title=t.text(a.title, a.criteria_id),
        kind=t.word("kind", a.kind),
        version=a.version,
        verification=a.verification,
        status=a.status,
        verdict=_verdict(a, a.status, a.category, t),
        verdict_unverified=a.verification == "UNVERIFIED"
        or _category_tag(a, a.category) == "UNVERIFIED",
        robust=not depends,
        robustness=t("robust.depends_short", parameters=t("sep.list").join(depends))
        if depends
        else t("robust.robust_short"),
        rows=rows,
        missing=list(missing.values()),
        next_tests=next_tests,
        alternatives=alternatives,
        robust_sentence=robust_sentence,
        parameters=[_parameter(kb, k, v, t) for k, v in a.parameters.items()],
        unverified=[
            (r.label, source)
            for top in rows
            for _, r in top.walk()
            for source, tag in r.sources
            if tag == "UNVERIFIED"
        ],
        notes=t.text(a.notes) or None,
        citation=list(a.citation),
        distance=_distance(a, t),
    )


def _distance(a: Assessment, t: Locale) -> str | None:
    """How many unknowns stand between an undetermined verdict and each resolution."""
    if a.status != "undetermined":
        return None
    finite = [x for x in (a.to_met, a.to_not_met) if x is not None and x != float("inf")]
    if not finite:
        return None
    to_met = "—" if a.to_met in (None, float("inf")) else f"{a.to_met:g}"
    to_not = "—" if a.to_not_met in (None, float("inf")) else f"{a.to_not_met:g}"
    return t("distance.sentence", to_met=to_met, to_not_met=to_not)


def _robustness(
    a: Assessment, kb: Knowledge, rows_of: ChecklistBuilder, t: Locale
) -> tuple[list[AlternativeView], str | None, list[str]]:
    """Alternatives that change the verdict, a sentence for the rest, and what it hangs on."""
    differing = [x for x in a.alternatives if (x.status, x.category) != (a.status, a.category)]
    same = [x for x in a.alternatives if x not in differing]
    sentence: str | None
    if not a.alternatives:
        sentence = t("robust.no_alternatives")
    elif not differing:
        names = t("sep.list").join(dict.fromkeys(_param_label(kb, x.parameter, t) for x in same))
        sentence = t("robust.robust", alternatives=names)
    else:
        values = t("sep.items").join(rows_of.parameter(x.parameter, x.value) for x in same)
        sentence = t("robust.same_under", values=values) if same else None
    depends = list(dict.fromkeys(_param_label(kb, x.parameter, t) for x in differing))
    return [_alternative(x, a, kb, rows_of, t) for x in differing], sentence, depends


def _alternative(
    x: Alternative, a: Assessment, kb: Knowledge, rows_of: ChecklistBuilder, t: Locale
) -> AlternativeView:
    verdict = _verdict(a, x.status, x.category, t)
    cat_tag = _category_tag(a, x.category)
    sentence = t(
        "robust.depends",
        parameter=_param_label(kb, x.parameter, t),
        value=t.text(x.label, x.value),
        verdict=verdict,
    )
    unverified = "UNVERIFIED" in (x.verification, cat_tag)
    tag = "UNVERIFIED" if unverified else x.verification
    return AlternativeView(sentence, tag, unverified, [rows_of.test(n) for n in x.next_tests])


def _verdict(a: Assessment, status: str, category: str | None, t: Locale) -> str:
    word = t(f"status.{status}")
    if category is None:
        return word
    label = next((c.label for c in a.categories if c.id == category), None) or {}
    if t.lang in label:
        shown = label[t.lang]
    elif t.has(f"category.{category}"):
        shown = t(f"category.{category}")
    else:
        shown = label.get("en", category)
    return f"{word} — {shown}"


def _category_tag(a: Assessment, category: str | None) -> str | None:
    for c in a.categories:
        if c.id == category and c.tree.provenance:
            return c.tree.provenance.verification
    return None


def _parameter(kb: Knowledge, name: str, value: str, t: Locale) -> ParameterView:
    spec = kb.parameters.get(name)
    vspec = spec.values.get(value) if spec else None
    shown = t.text(vspec.label, value) if vspec else value
    return ParameterView(_param_label(kb, name, t), shown, vspec.verification if vspec else None)


def _param_label(kb: Knowledge, name: str, t: Locale) -> str:
    spec = kb.parameters.get(name)
    return t.text(spec.label, name) if spec else name
