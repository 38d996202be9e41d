"""``analyze``: a whole nerve-conduction study judged nerve by nerve and as a whole.

    from poemsdx.ncs import analyze
    result = analyze(facts)            # the rows of the diagnostic window
    result = analyze(case)             # every row of a case, whatever its time
    result = analyze([row1, row2])     # hand-built rows (or (index, row) pairs)
    print(result.table())
    result.to_dict()

The result holds, per row, each value as a percentage of its limit (the lab's when the row
gives them, else the shipped defaults, each with its source and verification tag) and the
demyelinating parameters; for the study, the three guideline answers (strongly and weakly
supportive motor conduction, abnormal sensory conduction in two nerves) in three-valued
logic; and the POEMS-versus-CIDP pattern observations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..engine.logic import F, T, Truth, U
from ..errors import InputError
from ..model import Finding, NerveConduction
from .limits import NcsKnowledge, load_ncs_knowledge
from .nerve import NerveResult, judge_row
from .pattern import PatternObservation, observe
from .rules import (
    Verdict,
    sensory_two_nerves,
    slots,
    strongly_supportive,
    weakly_supportive,
)
from .table import render

DEFAULT_RULES = "ean_pns_2021"
CARPAL_TUNNEL = "carpal_tunnel_syndrome"


@runtime_checkable
class _HasRows(Protocol):
    nerve_conduction: list[tuple[int, NerveConduction]]


@runtime_checkable
class _HasObservations(Protocol):
    observations: tuple[Any, ...]


Source = _HasRows | _HasObservations | Iterable[NerveConduction | tuple[int, NerveConduction]]


@dataclass(slots=True)
class NcsAnalysis:
    """A nerve-conduction study judged against normal limits and one set of rules."""

    rules: str
    rules_title: str
    rules_verification: str
    nerves: list[NerveResult]
    motor_strongly_supportive: Verdict
    motor_weakly_supportive: Verdict
    sensory_abnormal_two_nerves: Verdict
    observations: list[PatternObservation]

    def nerve(self, name: str) -> NerveResult:
        """A row by its name, e.g. ``"right median motor"``."""
        for r in self.nerves:
            if r.name == name:
                return r
        known = ", ".join(r.name for r in self.nerves) or "none"
        raise KeyError(f"no nerve '{name}'; rows: {known}")

    @property
    def demyelinating_nerves(self) -> list[NerveResult]:
        """Motor rows with at least one single-nerve parameter surely in range."""
        return [r for r in self.nerves if r.in_demyelinating_range is T]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": self.rules,
            "rules_title": self.rules_title,
            "rules_verification": self.rules_verification,
            "nerves": [r.to_dict() for r in self.nerves],
            "motor_strongly_supportive": self.motor_strongly_supportive.to_dict(),
            "motor_weakly_supportive": self.motor_weakly_supportive.to_dict(),
            "sensory_abnormal_two_nerves": self.sensory_abnormal_two_nerves.to_dict(),
            "observations": [o.to_dict() for o in self.observations],
        }

    def table(self) -> str:
        """A plain-text table, one line per row, for terminals and tests (English; reports
        render it in their language with ``poemsdx.ncs.table.render``)."""
        return render(self.nerves)


def analyze(
    source: Source,
    *,
    rules: str = DEFAULT_RULES,
    knowledge: NcsKnowledge | None = None,
    carpal_tunnel: Truth | None = None,
) -> NcsAnalysis:
    """Judge a nerve-conduction study.

    ``source`` is an engine ``Facts`` (its diagnostic-window rows), a ``Case`` (all its
    rows) or an iterable of ``NerveConduction`` rows or ``(index, row)`` pairs. ``rules``
    names a rule set of ``ncs_limits.yaml``: ``ean_pns_2021`` (default) or
    ``efns_pns_2010``. ``carpal_tunnel`` (whether carpal tunnel syndrome is present)
    decides whether a median distal latency in range counts; by default it is read from the
    case's ``carpal_tunnel_syndrome`` finding, and is unknown for bare rows.
    """
    kb = knowledge or load_ncs_knowledge()
    criteria = kb.criteria(rules)
    rows = _rows(source)
    cts = carpal_tunnel if carpal_tunnel is not None else _carpal_tunnel(source)
    results = [judge_row(i, row, kb, criteria, cts) for i, row in rows]
    protocol = kb.data.study_protocol
    motor = slots(results, "motor", protocol)
    sensory = slots(results, "sensory", protocol)
    return NcsAnalysis(
        rules=rules,
        rules_title=criteria.title,
        rules_verification=criteria.verification,
        nerves=results,
        motor_strongly_supportive=strongly_supportive(motor, criteria),
        motor_weakly_supportive=weakly_supportive(motor),
        sensory_abnormal_two_nerves=sensory_two_nerves(sensory),
        observations=observe(results, kb),
    )


def _carpal_tunnel(source: Source) -> Truth:
    """Carpal tunnel syndrome present / stated absent / unknown, from Facts or a Case."""
    finding = getattr(source, "finding", None)
    if isinstance(source, _HasRows) and callable(finding):
        fact = finding(CARPAL_TUNNEL)
        return fact.truth if isinstance(fact.truth, Truth) else U
    if isinstance(source, _HasObservations):
        states = {
            o.status
            for o in source.observations
            if isinstance(o, Finding) and o.concept == CARPAL_TUNNEL
        }
        return T if "present" in states else F if "absent" in states else U
    return U


def _rows(source: Source) -> list[tuple[int | None, NerveConduction]]:
    if isinstance(source, _HasRows):
        return [(i, row) for i, row in source.nerve_conduction]
    if isinstance(source, _HasObservations):
        return [(i, o) for i, o in enumerate(source.observations) if isinstance(o, NerveConduction)]
    out: list[tuple[int | None, NerveConduction]] = []
    for k, item in enumerate(source):
        if isinstance(item, NerveConduction):
            out.append((None, item))
        elif (
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], int)
            and isinstance(item[1], NerveConduction)
        ):
            out.append((item[0], item[1]))
        else:
            raise InputError(
                f"item {k} is a {type(item).__name__}; analyze() takes NerveConduction rows,"
                " (index, row) pairs, a Case or engine Facts"
            )
    return out
