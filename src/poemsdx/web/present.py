"""Glue between the report view model and the pages: evidence anchors in the source text,
links from checklist evidence to them, inline SVG plots, file downloads.

The checklist rows (``report._view``) carry each evidence line's words but not the
observation behind it; the evaluated trees do (``EvidenceRef.observation``). Both come from
the same engine output, so a line's (text, quote) finds its observation, and the
observation's spans become ``<mark>`` anchors through ``report.source.highlight``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

from ..evaluation import Evaluation
from ..knowledge.registry import Knowledge
from ..model import Case
from ..report import render
from ..report.source import highlight

__all__ = ["EvidenceLinks", "SourceView", "inline_svg", "pdf_bytes", "report_html", "sources"]

_PROLOG = re.compile(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)
_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S)
_SCRIPT = re.compile(r"<\s*/?\s*(script|foreignObject)\b", re.I)


@dataclass(frozen=True, slots=True)
class SourceView:
    id: str
    title: str | None
    language: str | None
    html: Markup


def _anchor(obs: int, k: int) -> str:
    return f"ev-{obs}-{k}"


def sources(case: Case) -> list[SourceView]:
    """Each document with text, its evidence spans marked; anchor ids are
    ``ev-<observation>-<k>`` (the k-th span of that observation)."""
    out: list[SourceView] = []
    for doc in case.documents:
        if not doc.text:
            continue
        spans: list[tuple[int, int, str]] = []
        for i, obs in enumerate(case.observations):
            for k, ev in enumerate(obs.evidence):
                if ev.document_id == doc.id and ev.start is not None and ev.end is not None:
                    spans.append((ev.start, ev.end, _anchor(i, k)))
        out.append(SourceView(doc.id, doc.title, doc.language, Markup(highlight(doc.text, spans))))
    return out


class EvidenceLinks:
    """Anchor ids in the source for a checklist evidence line (empty when none)."""

    def __init__(self, evaluation: Evaluation) -> None:
        case = evaluation.case
        with_text = {d.id for d in case.documents if d.text}
        self._by_line: dict[tuple[str, str | None], list[str]] = {}
        for a in evaluation.assessments:
            trees = [a.tree, *(c.tree for c in a.categories)]
            for node in (n for t in trees for n in t.walk()):
                for ref in node.evidence:
                    i = ref.observation
                    if i is None or not 0 <= i < len(case.observations):
                        continue
                    ids = [
                        _anchor(i, k)
                        for k, ev in enumerate(case.observations[i].evidence)
                        if ev.document_id in with_text and ev.start is not None
                    ]
                    known = self._by_line.setdefault((ref.text, ref.quote), [])
                    known.extend(x for x in ids if x not in known)

    def __call__(self, text: str, quote: str | None) -> list[str]:
        return self._by_line.get((text, quote), [])


def inline_svg(svg: str) -> Markup:
    """A matplotlib SVG ready to sit inside a page: no XML prolog or DOCTYPE, no
    ``<style>`` element (the page's CSP allows none; app.css carries its one rule)."""
    body = _STYLE.sub("", _PROLOG.sub("", svg, count=1))
    if _SCRIPT.search(body):  # never expected from matplotlib; refuse rather than trust
        return Markup("")
    return Markup(body)


def report_html(evaluation: Evaluation, kb: Knowledge, lang: str) -> str:
    return render(evaluation, kb, "html", lang)


def pdf_bytes(html: str) -> bytes:
    """The HTML report as PDF; WeasyPrint may load nothing but ``data:`` URLs."""
    from weasyprint import HTML  # type: ignore[import-untyped]
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    fetcher = URLFetcher(allowed_protocols=["data"])
    data: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return data
