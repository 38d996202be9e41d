"""HTML report: one self-contained, printable page (inline CSS, no scripts, no links out).

Autoescaping is always on: case titles, quotes and notes come from documents a clinician
pasted in, and must never become markup. Sections fold with ``<details>`` so the page
works without JavaScript, in an EHR viewer or printed.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from ..evaluation import Evaluation
from ..knowledge.registry import Knowledge
from ._view import build_view

__all__ = ["render_html"]


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("poemsdx.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(evaluation: Evaluation, kb: Knowledge, lang: str = "en") -> str:
    view = build_view(evaluation, kb, lang)
    template = _environment().get_template("report.html.j2")
    return template.render(view=view, t=view.t)
