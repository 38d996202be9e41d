"""Nerve-conduction features for criteria files (``{feature: name}``), three-valued.

* ``ncs_motor_strongly_supportive`` — EAN/PNS 2021 motor conduction strongly supportive of
  demyelination (a parameter in the demyelinating range in two nerves, or the guideline's
  combinations for absent F-waves, conduction block and distal CMAP duration);
* ``ncs_motor_weakly_supportive`` — at least weakly supportive: one such parameter in at
  least one nerve;
* ``ncs_sensory_abnormal_two_nerves`` — sensory conduction outside normal limits in at least
  two nerves.

Each is true with positive evidence, false only under the sufficient-study rule of
``poemsdx.ncs.rules`` (the protocol nerves studied on both sides, with the parameters each
rule needs), and otherwise unknown with the missing data named. The analysis is computed
once per ``Facts`` and reused.
"""

from __future__ import annotations

import weakref

from ..engine.evaluate import register_feature
from ..engine.facts import Facts, Support
from ..engine.logic import Truth
from .analysis import DEFAULT_RULES, NcsAnalysis, analyze
from .rules import Verdict

_CACHE: weakref.WeakKeyDictionary[Facts, NcsAnalysis] = weakref.WeakKeyDictionary()

FEATURE_NAMES = (
    "ncs_motor_strongly_supportive",
    "ncs_motor_weakly_supportive",
    "ncs_sensory_abnormal_two_nerves",
)


def analysis_for(facts: Facts) -> NcsAnalysis:
    """The EAN/PNS 2021 analysis of the diagnostic-window rows, cached per ``Facts``."""
    cached = _CACHE.get(facts)
    if cached is None:
        cached = _CACHE[facts] = analyze(facts, rules=DEFAULT_RULES)
    return cached


def _answer(verdict: Verdict, facts: Facts) -> tuple[Truth, list[str], list[Support]]:
    if not facts.nerve_conduction:
        detail = ["no nerve-conduction rows in the diagnostic window", *verdict.detail]
    else:
        detail = list(verdict.detail)
    support = [Support(r.row, r.summary(), r.index) for r in verdict.support]
    return verdict.truth, detail, support


@register_feature("ncs_motor_strongly_supportive")
def motor_strongly_supportive(facts: Facts) -> tuple[Truth, list[str], list[Support]]:
    return _answer(analysis_for(facts).motor_strongly_supportive, facts)


@register_feature("ncs_motor_weakly_supportive")
def motor_weakly_supportive(facts: Facts) -> tuple[Truth, list[str], list[Support]]:
    return _answer(analysis_for(facts).motor_weakly_supportive, facts)


@register_feature("ncs_sensory_abnormal_two_nerves")
def sensory_abnormal_two_nerves(facts: Facts) -> tuple[Truth, list[str], list[Support]]:
    return _answer(analysis_for(facts).sensory_abnormal_two_nerves, facts)
