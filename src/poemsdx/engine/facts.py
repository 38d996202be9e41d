"""What the engine may use from a case: the diagnostic window, findings with the concept
hierarchy applied, and measurements by concept.

Presence propagates up the hierarchy (hepatomegaly present ⇒ organomegaly present);
absence propagates down (no organomegaly ⇒ no hepatomegaly) and through
``absence_implies`` (no hepatosplenomegaly ⇒ no hepatomegaly, no splenomegaly). A finding
that a measurement defines (thrombocytosis: platelets above the ULN) is derived when the
measurement is there. Nothing is ever inferred from silence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from ..knowledge.registry import Knowledge
from ..model import Case, Finding, Measurement, NerveConduction
from ..model.observations import ReferenceRange
from .logic import F, T, Truth, U
from .timeline import Placement, Timeline

Timepoint = Literal["any", "earliest", "latest"]

_POSITIVE_RESULTS = {"positive", "high", "abnormal"}


@dataclass(frozen=True, slots=True)
class Support:
    """One observation (or derivation) behind a fact, with a short human explanation."""

    observation: Finding | Measurement | NerveConduction | None
    text: str
    index: int | None = None  # position in case.observations


@dataclass(frozen=True, slots=True)
class FindingFact:
    truth: Truth
    support: tuple[Support, ...]


class Facts:
    """Indexes one case for evaluation. Built once; queried many times."""

    def __init__(self, case: Case, kb: Knowledge) -> None:
        self.case = case
        self.kb = kb
        self.timeline = Timeline(case, kb)
        self._findings: dict[str, list[tuple[int, Finding]]] = defaultdict(list)
        self._measurements: dict[str, list[tuple[int, Measurement]]] = defaultdict(list)
        self.nerve_conduction: list[tuple[int, NerveConduction]] = []
        self.placements: dict[int, Placement] = {}
        self.later: list[tuple[int, Finding | Measurement | NerveConduction]] = []
        for i, obs in enumerate(case.observations):
            placement = self.timeline.place(obs.time)
            self.placements[i] = placement
            concept = kb.concepts.get(obs.concept)
            response = concept is not None and concept.treatment_response
            if placement.phase != "before_treatment" and not response:
                self.later.append((i, obs))
                continue
            if isinstance(obs, Finding):
                self._findings[obs.concept].append((i, obs))
            elif isinstance(obs, Measurement):
                self._measurements[obs.concept].append((i, obs))
            else:
                self.nerve_conduction.append((i, obs))
        for series in self._measurements.values():
            series.sort(key=lambda p: self.timeline.sort_key(p[1].time))
        self._finding_cache: dict[str, FindingFact] = {}
        self._negations = self._collect_negations()

    # -- measurements ---------------------------------------------------------------------
    def measurements(
        self, concept: str, specimens: tuple[str, ...] = (), timepoint: Timepoint = "any"
    ) -> list[tuple[int, Measurement]]:
        """Values of ``concept`` in the diagnostic window, oldest first, narrowed by
        specimen and by the time-point policy."""
        series = self._measurements.get(concept, [])
        if specimens:
            series = [p for p in series if p[1].specimen in specimens]
        if not series or timepoint == "any":
            return list(series)
        # Serum and urine (or serum and plasma) are different tests: choose per specimen.
        chosen: dict[str | None, tuple[int, Measurement]] = {}
        for pair in series:
            key = pair[1].specimen
            if timepoint == "latest" or key not in chosen:
                chosen[key] = pair
        return sorted(chosen.values(), key=lambda p: self.timeline.sort_key(p[1].time))

    def fallback_range(
        self, concept: str, specimen: str | None
    ) -> tuple[ReferenceRange, str] | None:
        """The catalogue's default range for a specimen and the patient's sex, with source."""
        c = self.kb.concepts.get(concept)
        if c is None:
            return None
        sex = self.case.patient.sex
        best = None
        for r in c.reference_ranges:
            if r.specimen is not None and r.specimen != specimen:
                continue
            if r.sex is not None and r.sex != sex:
                continue
            if best is None or (r.sex is not None and best.sex is None):
                best = r
        if best is None:
            return None
        rr = ReferenceRange(low=best.low, high=best.high, unit=best.unit)
        return rr, f"{best.source} [{best.verification}]"

    # -- findings -------------------------------------------------------------------------
    def _collect_negations(self) -> dict[str, list[Support]]:
        """Concepts made absent by a statement about another concept."""
        out: dict[str, list[Support]] = defaultdict(list)
        kb = self.kb
        for cid, obs_list in self._findings.items():
            for i, f in obs_list:
                if f.status != "absent":
                    continue
                label = kb.label(cid)
                implied = list(kb.descendants(cid))
                c = kb.concepts.get(cid)
                if c:
                    for a in c.absence_implies:
                        implied += [a, *kb.descendants(a)]
                for d in implied:
                    out[d].append(Support(f, f"{label} stated absent", i))
        for cid, ms in self._measurements.items():
            c = kb.concepts.get(cid)
            if not c or not c.normal_implies_absent:
                continue
            for i, m in ms:
                if m.result == "normal":
                    for d in c.normal_implies_absent:
                        for dd in (d, *kb.descendants(d)):
                            out[dd].append(Support(m, f"{kb.label(cid)} normal", i))
        return out

    def finding(self, concept: str) -> FindingFact:
        cached = self._finding_cache.get(concept)
        if cached is None:
            cached = self._finding_cache[concept] = self._resolve(concept)
        return cached

    def _resolve(self, concept: str) -> FindingFact:
        kb = self.kb
        positives: list[Support] = []
        negatives: list[Support] = []
        uncertain: list[Support] = []
        for cid in (concept, *kb.descendants(concept)):
            for i, f in self._findings.get(cid, ()):
                label = kb.label(cid)
                if f.status == "present":
                    positives.append(Support(f, f"{label} present", i))
                elif f.status == "absent" and cid == concept:
                    negatives.append(Support(f, f"{label} absent", i))
                elif f.status == "uncertain" and cid == concept:
                    uncertain.append(Support(f, f"{label} uncertain", i))
            derived = self._derived(cid)
            if derived is not None and derived.truth is T:
                positives.extend(derived.support)
            elif derived is not None and cid == concept:
                negatives.extend(derived.support)
        negatives += self._negations.get(concept, [])
        if positives:
            return FindingFact(T, tuple(positives))
        if negatives:
            return FindingFact(F, tuple(negatives))
        group = kb.concepts.get(concept)
        members = kb.children(concept)
        if group is not None and group.kind == "group" and members:
            # A group is the union of its members: absent once every member is absent.
            facts = [self.finding(m) for m in members]
            if all(f.truth is F for f in facts):
                return FindingFact(F, tuple(s for f in facts for s in f.support))
        return FindingFact(U, tuple(uncertain))

    def _derived(self, concept: str) -> FindingFact | None:
        """A finding defined by a measurement, e.g. thrombocytosis from a platelet count."""
        c = self.kb.concepts.get(concept)
        if c is None or c.defined_by is None:
            return None
        rule = c.defined_by
        from .compare import compare_to_limit

        results = []
        for i, m in self.measurements(rule.measurement):
            truth, text = compare_to_limit(self, m, rule.comparator, rule.limit, 1.0)
            if truth.known:
                results.append((truth, Support(m, f"{text} ⇒ {self.kb.label(concept)}", i)))
        if not results:
            return None
        pos = tuple(s for t, s in results if t is T)
        if pos:
            return FindingFact(T, pos)
        return FindingFact(F, tuple(s for _, s in results))
