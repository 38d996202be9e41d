"""Plain-text checklist for terminals, e-mail and notes; coloured when printed to a TTY.

The report is built once as styled lines, so the plain text and the coloured terminal
output are the same words; colour only adds emphasis and is never the only signal
(✓ ✗ ? and the UNVERIFIED tag are always spelled out).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from ..evaluation import Evaluation
from ..knowledge.registry import Knowledge
from ._view import AssessmentView, ReportView, Row, build_view

__all__ = ["print_report", "render_text", "report_lines"]

Line = tuple[str, str | None]
_STYLES = {
    "title": "bold",
    "heading": "bold underline",
    "section": "bold cyan",
    "met": "bold green",
    "not_met": "bold red",
    "undetermined": "bold yellow",
    "true": "green",
    "false": "red",
    "unknown": "yellow",
    "unverified": "bold magenta",
    "dim": "dim",
}


def render_text(evaluation: Evaluation, kb: Knowledge, lang: str = "en") -> str:
    return "\n".join(text for text, _ in report_lines(build_view(evaluation, kb, lang))) + "\n"


def print_report(
    evaluation: Evaluation, kb: Knowledge, lang: str = "en", console: Console | None = None
) -> None:
    """Print the text report; rich decides whether the console can show colour."""
    console = console or Console()
    for text, style in report_lines(build_view(evaluation, kb, lang)):
        console.print(Text(text, style=_STYLES.get(style or "", "")), soft_wrap=True)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_len(text))


def report_lines(view: ReportView) -> list[Line]:
    t = view.t
    out: list[Line] = [(t("report.title"), "title")]
    title = f" — {view.case.title}" if view.case.title else ""
    out.append((f"{t('report.case')}: {view.case.id}{title}", None))
    if view.case.patient:
        out.append((f"{t('report.patient')}: {view.case.patient}", None))
    out.append(
        (
            f"{t('report.knowledge')} {view.knowledge_version} · {t('report.engine')} "
            f"{view.engine_version}",
            "dim",
        )
    )
    out += [("", None), (t("report.summary"), "heading")]
    width = max((cell_len(a.verdict) for a in view.assessments), default=0) + 2
    for a in view.assessments:
        flag = f"  [{t.word('verification', 'UNVERIFIED')}]" if a.verdict_unverified else ""
        out.append(
            (
                f"  {a.symbol} {_pad(a.verdict, width)}{a.title} [{a.id}]{flag} · {a.robustness}",
                a.status,
            )
        )
    if view.notice:
        out += [("", None), (view.notice, "undetermined")]
    if view.differential:
        out += [("", None), *_differential(view)]
    if view.nerve_conduction:
        out += [("", None), *_nerve_conduction(view)]
    for a in view.assessments:
        out += [("", None), *_assessment(a, view)]
    return out


def _nerve_conduction(view: ReportView) -> list[Line]:
    t = view.t
    n = view.nerve_conduction
    assert n is not None
    tag = t.word("verification", n.rules_verification)
    out: list[Line] = [(t("ncs.title"), "heading")]
    out.append((f"  {t('ncs.rules')}: {n.rules} [{tag}]", "dim"))
    out += [(f"  {line}", None) for line in n.table.splitlines()]
    for j in n.judgements:
        out.append((f"  {j.symbol} {j.label}", j.truth))
        out += [(f"      · {d}", "dim") for d in j.detail]
    if n.pattern:
        out.append((f"  {t('ncs.pattern')}:", "section"))
        for o in n.pattern:
            lean = f" ({o.leans})" if o.leans else ""
            vtag = t.word("verification", o.verification)
            out.append((f"    • {o.text}{lean} [{o.source}; {vtag}]", None))
    return out


def _differential(view: ReportView) -> list[Line]:
    t = view.t
    d = view.differential
    assert d is not None
    out: list[Line] = [(t("differential.title"), "heading")]
    for row in d.rows:
        out.append((f"  {row.symbol} {row.label} — {row.verdict} ({row.sets})", row.status))
        for sign, word, hits in (
            ("+", t("differential.favours"), row.favouring),
            ("−", t("differential.against"), row.disfavouring),
        ):
            for h in hits:
                tag = t.word("verification", h.verification)
                out.append(
                    (f"      {sign} {word}: {h.label} — {h.figure} [{h.source}; {tag}]", None)
                )
    if d.coexisting:
        out.append((f"  {d.coexisting}", "met"))
    return out


def _assessment(a: AssessmentView, view: ReportView) -> list[Line]:
    t = view.t
    tag = t.word("verification", a.verification)
    out: list[Line] = [(f"━━ {a.title} [{a.id}]", "heading")]
    flag = f"  [{t.word('verification', 'UNVERIFIED')}]" if a.verdict_unverified else ""
    out.append((f"{t('report.verdict')}: {a.symbol} {a.verdict}{flag}", a.status))
    out.append((f"{a.kind} · {t('report.version')}: {a.version} · {tag}", "dim"))
    if a.distance:
        out.append((f"  {a.distance}", "undetermined"))
    out.append((f"{t('report.robustness')}:", "section"))
    for alt in a.alternatives:
        text = f"  ⚠ {alt.sentence}"
        if alt.verification:
            text += f" [{t.word('verification', alt.verification)}]"
        if alt.next_tests:
            text += f" — {t('robust.next_tests', tests=t('sep.items').join(alt.next_tests))}"
        out.append((text, "unverified" if alt.unverified else "undetermined"))
    if a.robust_sentence:
        out.append((f"  {a.robust_sentence}", None))
    if a.missing:
        out.append((f"{t('report.missing')}:", "section"))
        for m in a.missing:
            out.append(
                (f"  ? {m.label} → {t('report.settle_by')}: {t('sep.items').join(m.tests)}", None)
            )
    if a.next_tests:
        out.append((f"{t('report.next_tests')}:", "section"))
        for n in a.next_tests:
            note = f" ({n.note})" if n.note else ""
            out.append(
                (
                    f"  • {n.label} — {t('report.settles')}: {t('sep.list').join(n.settles)}{note}",
                    None,
                )
            )
    out.append((f"{t('report.checklist')}:", "section"))
    for row in a.rows:
        for depth, r in row.walk():
            out += _row(r, depth, view)
    if a.unverified:
        out.append((f"{t('report.unverified_items')}:", "unverified"))
        for label, source in a.unverified:
            out.append(
                (f"  {label} — {source} [{t.word('verification', 'UNVERIFIED')}]", "unverified")
            )
    out.append((f"{t('report.parameters')}:", "section"))
    for p in a.parameters:
        ptag = f" [{t.word('verification', p.verification)}]" if p.verification else ""
        out.append(
            (
                f"  {p.label}: {p.value}{ptag}",
                "unverified" if p.verification == "UNVERIFIED" else None,
            )
        )
    if a.notes:
        out += [(f"{t('report.notes')}:", "section"), (f"  {a.notes}", None)]
    out.append((f"{t('report.citation')}:", "section"))
    out += [(f"  {c}", "dim") for c in a.citation]
    return out


def _row(r: Row, depth: int, view: ReportView) -> list[Line]:
    t = view.t
    pad = "  " * (depth + 1)
    head = f"{pad}{r.symbol} {r.label}"
    if r.role:
        head += f"  [{r.role}]"
    if r.group:
        head += f"  ({r.group})"
    if r.repeat:
        head += f" — {t('report.as_above')}"
    out: list[Line] = [(head, r.truth)]
    sub = pad + "    "
    out += [(f"{sub}· {d}", "dim") for d in r.detail]
    if r.parameter:
        out.append((f"{sub}{t('report.parameter_used')}: {r.parameter}", "dim"))
    for e in r.evidence:
        text = f"{sub}{t('report.evidence')}: {e.text}"
        if e.quote:
            text += f" — “{e.quote}”"
        if e.note:
            text += f" — {e.note}"
        if e.inferred:
            text += f" ({t('report.inferred')})"
        out.append((text, None))
    if r.threshold or r.sources:
        parts = [f"{t('report.threshold')}: {r.threshold}"] if r.threshold else []
        for source, tag in r.sources:
            parts.append(f"{t('report.source')}: {source} [{t.word('verification', tag)}]")
        out.append((sub + " · ".join(parts), "unverified" if r.unverified else "dim"))
    if r.tests:
        out.append((f"{sub}→ {t('report.settle_by')}: {t('sep.items').join(r.tests)}", "unknown"))
    return out
