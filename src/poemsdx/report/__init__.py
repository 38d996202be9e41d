"""Report renderers: one evaluation as text, Markdown, HTML or JSON, in en / ja / zh.

Every human-readable format is laid out from the same view model (``_view``), so the
formats say the same thing; the JSON format is the evaluation's own contract::

    from poemsdx.report import render
    print(render(evaluation, kb, "markdown", lang="ja"))
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import InputError
from ..evaluation import Evaluation
from ..knowledge.registry import Knowledge
from ._locale import LANGUAGES, check_language
from .html import render_html
from .json import render_json
from .markdown import render_markdown
from .text import print_report, render_text

__all__ = ["FORMATS", "LANGUAGES", "print_report", "render"]

_RENDERERS: dict[str, Callable[[Evaluation, Knowledge, str], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "json": render_json,
}
FORMATS = tuple(_RENDERERS)


def render(evaluation: Evaluation, kb: Knowledge, fmt: str, lang: str = "en") -> str:
    """Render ``evaluation`` as ``fmt`` (one of ``FORMATS``) in ``lang`` (``LANGUAGES``)."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise InputError(f"unknown report format '{fmt}'; allowed: {', '.join(FORMATS)}")
    check_language(lang)
    return renderer(evaluation, kb, lang)
