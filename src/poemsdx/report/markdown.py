"""Markdown report, for notes, wikis, issue trackers and conversion to PDF or Word.

Every piece of case or knowledge text is escaped, so a label containing ``*``, ``|`` or
``<`` cannot break the table or inject markup when the Markdown is rendered to HTML.
"""

from __future__ import annotations

import re

from ..evaluation import Evaluation
from ..knowledge.registry import Knowledge
from ._locale import Locale
from ._view import AssessmentView, ReportView, Row, build_view

__all__ = ["render_markdown"]

_SPECIAL = re.compile(r"([\\`*_\[\]<|])")
_BLOCK_START = re.compile(r"^(\s*)([>#+\-]|\d+[.)])")


def _md(text: str) -> str:
    """Escape Markdown (and inline-HTML) syntax in untrusted text.

    Inline syntax is escaped everywhere; ``>``, ``#``, ``-`` and ``1.`` only where they
    would start a block, so thresholds such as "> ULN" stay readable in the source.
    """
    text = _SPECIAL.sub(r"\\\1", text.replace("\n", " "))
    return _BLOCK_START.sub(lambda m: f"{m[1]}{m[2][:-1]}\\{m[2][-1]}", text)


def _tag(t: Locale, verification: str | None) -> str:
    if not verification:
        return ""
    word = _md(t.word("verification", verification))
    return f" **\\[{word}\\]**" if verification == "UNVERIFIED" else f" \\[{word}\\]"


def render_markdown(evaluation: Evaluation, kb: Knowledge, lang: str = "en") -> str:
    view = build_view(evaluation, kb, lang)
    t = view.t
    case = view.case
    out = [f"# {_md(t('report.title'))}", ""]
    title = f" — {_md(case.title)}" if case.title else ""
    out.append(f"**{_md(t('report.case'))}:** {_md(case.id)}{title}  ")
    if case.patient:
        out.append(f"**{_md(t('report.patient'))}:** {_md(case.patient)}  ")
    out.append(
        f"{_md(t('report.knowledge'))} `{view.knowledge_version}` · "
        f"{_md(t('report.engine'))} `{view.engine_version}`"
    )
    out += ["", f"## {_md(t('report.summary'))}", ""]
    out.append(
        f"| | {_md(t('report.verdict'))} | {_md(t('report.criteria'))} | "
        f"{_md(t('report.robustness'))} |"
    )
    out.append("|---|---|---|---|")
    for a in view.assessments:
        flag = _tag(t, "UNVERIFIED") if a.verdict_unverified else ""
        out.append(
            f"| {a.symbol} | {_md(a.verdict)}{flag} | {_md(a.title)} (`{a.id}`) | "
            f"{_md(a.robustness)} |"
        )
    if view.notice:
        out += ["", f"> {_md(view.notice)}"]
    if view.differential:
        out += ["", *_differential(view)]
    if view.nerve_conduction:
        out += ["", *_nerve_conduction(view)]
    for a in view.assessments:
        out += ["", *_assessment(a, t)]
    return "\n".join(out) + "\n"


def _nerve_conduction(view: ReportView) -> list[str]:
    t = view.t
    n = view.nerve_conduction
    assert n is not None
    out = [f"## {_md(t('ncs.title'))}", ""]
    out.append(f"{_md(t('ncs.rules'))}: {_md(n.rules)}{_tag(t, n.rules_verification)}")
    out += ["", "```", *n.table.splitlines(), "```", ""]
    for j in n.judgements:
        out.append(f"- {j.symbol} {_md(j.label)}")
        out += [f"  - {_md(d)}" for d in j.detail]
    if n.pattern:
        out += ["", f"**{_md(t('ncs.pattern'))}**", ""]
        for o in n.pattern:
            lean = f" ({_md(o.leans)})" if o.leans else ""
            out.append(f"- {_md(o.text)}{lean} ({_md(o.source)}){_tag(t, o.verification)}")
    return out


def _differential(view: ReportView) -> list[str]:
    t = view.t
    d = view.differential
    assert d is not None
    out = [f"## {_md(t('differential.title'))}", ""]
    for row in d.rows:
        out.append(f"- {row.symbol} **{_md(row.label)}** — {_md(row.verdict)} ({_md(row.sets)})")
        for sign, word, hits in (
            ("+", t("differential.favours"), row.favouring),
            ("−", t("differential.against"), row.disfavouring),
        ):
            for h in hits:
                out.append(
                    f"  - {sign} {_md(word)}: {_md(h.label)} — {_md(h.figure)} "
                    f"({_md(h.source)}){_tag(t, h.verification)}"
                )
    if d.coexisting:
        out += ["", f"**{_md(d.coexisting)}**"]
    return out


def _assessment(a: AssessmentView, t: Locale) -> list[str]:
    flag = _tag(t, "UNVERIFIED") if a.verdict_unverified else ""
    out = [f"## {_md(a.title)} (`{a.id}`)", ""]
    out.append(f"**{_md(t('report.verdict'))}:** {a.symbol} **{_md(a.verdict)}**{flag}  ")
    out.append(
        f"{_md(a.kind)} · {_md(t('report.version'))}: {_md(a.version)} ·{_tag(t, a.verification)}"
    )
    if a.distance:
        out += ["", f"_{_md(a.distance)}_"]
    out += ["", f"### {_md(t('report.robustness'))}", ""]
    for alt in a.alternatives:
        line = f"- ⚠ {_md(alt.sentence)}{_tag(t, alt.verification)}"
        if alt.next_tests:
            line += f" — {_md(t('robust.next_tests', tests=t('sep.items').join(alt.next_tests)))}"
        out.append(line)
    if a.robust_sentence:
        out.append(f"- {_md(a.robust_sentence)}")
    if a.missing:
        out += ["", f"### {_md(t('report.missing'))}", ""]
        for m in a.missing:
            tests = _md(t("sep.items").join(m.tests))
            out.append(f"- ? {_md(m.label)} → {_md(t('report.settle_by'))}: {tests}")
    if a.next_tests:
        out += ["", f"### {_md(t('report.next_tests'))}", ""]
        for n in a.next_tests:
            note = f" — _{_md(n.note)}_" if n.note else ""
            settles = _md(t("sep.list").join(n.settles))
            out.append(f"- **{_md(n.label)}** — {_md(t('report.settles'))}: {settles}{note}")
    out += ["", f"### {_md(t('report.checklist'))}", ""]
    for row in a.rows:
        out += _row(row, 0, t)
    if a.unverified:
        out += ["", f"### {_md(t('report.unverified_items'))}", ""]
        out += [
            f"- {_md(label)} — {_md(src)}{_tag(t, 'UNVERIFIED')}" for label, src in a.unverified
        ]
    out += ["", f"### {_md(t('report.parameters'))}", ""]
    out += [f"- {_md(p.label)}: {_md(p.value)}{_tag(t, p.verification)}" for p in a.parameters]
    if a.notes:
        out += ["", f"### {_md(t('report.notes'))}", "", _md(a.notes)]
    out += ["", f"### {_md(t('report.citation'))}", ""]
    out += [f"- {_md(c)}" for c in a.citation]
    return out


def _row(r: Row, depth: int, t: Locale) -> list[str]:
    pad = "  " * depth
    head = f"{pad}- {r.symbol} **{_md(r.label)}**"
    if r.role:
        head += f" \\[{_md(r.role)}\\]"
    if r.group:
        head += f" ({_md(r.group)})"
    if r.repeat:
        head += f" — _{_md(t('report.as_above'))}_"
    out = [head]
    sub = pad + "  - "
    out += [f"{sub}{_md(d)}" for d in r.detail]
    if r.parameter:
        out.append(f"{sub}_{_md(t('report.parameter_used'))}:_ {_md(r.parameter)}")
    for e in r.evidence:
        line = f"{sub}_{_md(t('report.evidence'))}:_ {_md(e.text)}"
        if e.quote:
            line += f" — “{_md(e.quote)}”"
        if e.note:
            line += f" — {_md(e.note)}"
        if e.inferred:
            line += f" (_{_md(t('report.inferred'))}_)"
        out.append(line)
    if r.threshold or r.sources:
        parts = [f"_{_md(t('report.threshold'))}:_ {_md(r.threshold)}"] if r.threshold else []
        for source, tag in r.sources:
            parts.append(f"_{_md(t('report.source'))}:_ {_md(source)}{_tag(t, tag)}")
        out.append(sub + " · ".join(parts))
    if r.tests:
        out.append(f"{sub}→ _{_md(t('report.settle_by'))}:_ {_md(t('sep.items').join(r.tests))}")
    for child in r.children:
        out += _row(child, depth + 1, t)
    return out
