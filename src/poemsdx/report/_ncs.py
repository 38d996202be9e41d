"""View model of the nerve-conduction section: the table, the EAN/PNS judgements and the
POEMS-versus-CIDP pattern shown as explained observations (never as a verdict)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..ncs.table import english, render
from ._locale import Locale

if TYPE_CHECKING:
    from ..ncs import NcsAnalysis

_SYMBOLS = {"true": "✓", "false": "✗", "unknown": "?"}


@dataclass(slots=True)
class JudgementView:
    label: str
    symbol: str
    truth: str
    detail: list[str]


@dataclass(slots=True)
class PatternView:
    text: str
    leans: str | None
    source: str
    verification: str


@dataclass(slots=True)
class NcsView:
    rules: str
    rules_verification: str
    table: str
    judgements: list[JudgementView]
    pattern: list[PatternView]


def build_ncs(analysis: NcsAnalysis | None, t: Locale) -> NcsView | None:
    if analysis is None:
        return None
    judgements = []
    for key, verdict in (
        ("ncs.strong", analysis.motor_strongly_supportive),
        ("ncs.weak", analysis.motor_weakly_supportive),
        ("ncs.sensory", analysis.sensory_abnormal_two_nerves),
    ):
        truth = verdict.truth.value
        judgements.append(JudgementView(t(key), _SYMBOLS[truth], truth, list(verdict.detail)[:4]))
    pattern = [
        PatternView(
            o.text,
            t("ncs.leans", towards=o.leans) if o.leans else None,
            o.source,
            o.verification,
        )
        for o in analysis.observations
    ]
    return NcsView(
        analysis.rules_title,
        analysis.rules_verification,
        render(analysis.nerves, _say(t)),
        judgements,
        pattern,
    )


def _say(t: Locale) -> Callable[..., str]:
    """The table's words in the report's language (``ncs.table.*``), else English."""

    def say(key: str, **fields: object) -> str:
        name = f"ncs.table.{key}"
        return t(name, **fields) if t.has(name) else english(key, **fields)

    return say
