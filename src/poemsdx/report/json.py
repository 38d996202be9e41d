"""JSON report: the evaluation's own contract (DESIGN.md), plus the language asked for.

Nothing is translated or reshaped here — label dicts already carry every language — so a
machine reading the JSON sees exactly what the engine produced.
"""

from __future__ import annotations

import json

from ..evaluation import Evaluation
from ..knowledge.registry import Knowledge
from ._locale import check_language

__all__ = ["render_json"]


def render_json(evaluation: Evaluation, kb: Knowledge, lang: str = "en") -> str:
    check_language(lang)
    data = {**evaluation.to_dict(), "language": lang}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
