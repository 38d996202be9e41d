"""The guideline rules across nerves: strongly / weakly supportive motor conduction and
abnormal sensory conduction, in three-valued logic.

Counting "in two nerves" uses Kleene logic over *slots*. A slot is one nerve (nerve, side,
modality; repeated rows of the same nerve are merged). Every nerve of the study protocol
(``study_protocol`` in ``ncs_limits.yaml``: median, ulnar, peroneal and tibial motor and
median, ulnar and sural sensory, on both sides) that was not studied is an empty slot whose
parameters are unknown — it could still be abnormal. Hence the sufficient-study rule:

* **true** needs positive evidence in enough studied nerves;
* **false** needs every rule to come out false even if each unknown turned out abnormal. In
  practice the protocol nerves must have been studied on both sides; for "weakly
  supportive" every nerve needs every parameter (distal latency, velocity, F-waves or their
  stated absence, proximal CMAP amplitude for block, distal and proximal CMAP durations for
  dispersion); for "strongly supportive" at most one nerve may lack a given parameter;
* anything else is **unknown**, and the detail names what is missing.

The guidelines themselves ask for the other side when one side does not meet the criteria,
which is why one normal side is not enough to rule demyelination out.

Rows without a side are one nerve per nerve name (two unsided median rows may be the same
nerve); an unsided row beside a sided row of the same nerve is taken as the other side.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from ..engine.logic import F, T, Truth, U, all_of, any_of, at_least
from .demyelination import SINGLE_NERVE_PARAMETERS, ParameterName
from .limits import DemyelinationCriteria, StudyProtocol
from .nerve import NerveResult

_LETTERS: dict[ParameterName, str] = {
    "distal_latency": "a",
    "conduction_velocity": "b",
    "f_wave_latency": "c",
    "f_wave_absence": "d",
    "conduction_block": "e",
    "temporal_dispersion": "f",
    "distal_cmap_duration": "g",
}
_LABELS: dict[ParameterName, str] = {
    "distal_latency": "distal motor latency prolonged",
    "conduction_velocity": "motor conduction velocity slowed",
    "f_wave_latency": "F-wave latency prolonged",
    "f_wave_absence": "F-waves absent",
    "conduction_block": "motor conduction block",
    "temporal_dispersion": "abnormal temporal dispersion",
    "distal_cmap_duration": "distal CMAP duration prolonged",
}


@dataclass(frozen=True, slots=True)
class Slot:
    """One nerve for counting: its rows, or none when a protocol nerve was not studied."""

    name: str
    results: tuple[NerveResult, ...] = ()

    @property
    def studied(self) -> bool:
        return bool(self.results)

    def truth(self, p: ParameterName) -> Truth:
        if not self.results:
            return U
        return any_of(r.truth(p) for r in self.results)

    def any_of(self, params: Iterable[ParameterName]) -> Truth:
        return any_of(self.truth(p) for p in params)

    @property
    def sensory_abnormal(self) -> Truth:
        if not self.results:
            return U
        return any_of(r.sensory_abnormal for r in self.results)


@dataclass(slots=True)
class Verdict:
    """A three-valued answer with the reasons and the rows behind it."""

    truth: Truth
    detail: list[str] = field(default_factory=list)
    support: list[NerveResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"status": self.truth.value, "detail": self.detail}
        obs = [r.index for r in self.support if r.index is not None]
        if obs:
            d["observations"] = obs
        return d


def slots(results: Sequence[NerveResult], modality: str, protocol: StudyProtocol) -> list[Slot]:
    """Studied nerves of one modality, then the protocol nerves that were not studied."""
    groups: dict[tuple[str, str | None, str], list[NerveResult]] = {}
    for r in results:
        if r.row.modality == modality:
            groups.setdefault(r.group, []).append(r)
    out = [Slot(rs[0].name, tuple(rs)) for rs in groups.values()]
    wanted = protocol.motor_nerves if modality == "motor" else protocol.sensory_nerves
    for nerve in wanted:
        sides = {side for (n, side, _m) in groups if n == nerve}
        named = [s for s in protocol.sides if s in sides]
        open_sides = [s for s in protocol.sides if s not in sides]
        if None in sides and open_sides:
            open_sides = open_sides[: max(0, len(protocol.sides) - len(named) - 1)]
            label = "other side "
        else:
            label = ""
        for side in open_sides:
            who = label or f"{side} "
            out.append(Slot(f"{who}{nerve.replace('_', ' ')} {modality} (not studied)"))
    return out


def _pairs_with_other(
    ss: Sequence[Slot], p: ParameterName, others: Sequence[ParameterName]
) -> Truth:
    """``p`` in one nerve and one of ``others`` in another nerve."""
    first = [s.truth(p) for s in ss]
    second = [s.any_of(others) for s in ss]  # once per nerve, not once per pair
    n = len(ss)
    return any_of(all_of((first[i], second[j])) for i in range(n) for j in range(n) if i != j)


def _absent_f_rule(ss: Sequence[Slot], others: Sequence[ParameterName]) -> Truth:
    """Absent F-waves in two nerves plus another parameter in a third nerve."""
    absent = [s.truth("f_wave_absence") for s in ss]
    other = [s.any_of(others) for s in ss]  # once per nerve, not once per triple
    out = F
    for i, j in combinations(range(len(ss)), 2):
        pair = all_of((absent[i], absent[j]))
        if pair is F:
            continue
        third = any_of(t for k, t in enumerate(other) if k != i and k != j)
        out = any_of((out, all_of((pair, third))))
        if out is T:
            return T
    return out


def strongly_supportive(ss: Sequence[Slot], rules: DemyelinationCriteria) -> Verdict:
    """At least one guideline rule met (a–g), as in the EAN/PNS and EFNS/PNS criteria."""
    other_d: tuple[ParameterName, ...] = (
        "distal_latency",
        "conduction_velocity",
        "f_wave_latency",
        "conduction_block",
        "temporal_dispersion",
        "distal_cmap_duration",
    )
    other_e: tuple[ParameterName, ...] = (
        "distal_latency",
        "conduction_velocity",
        "f_wave_latency",
        "temporal_dispersion",
        "distal_cmap_duration",
    )
    other_g: tuple[ParameterName, ...] = (
        "distal_latency",
        "conduction_velocity",
        "f_wave_latency",
        "conduction_block",
        "temporal_dispersion",
    )
    parts: dict[str, Truth] = {}
    for p in ("distal_latency", "conduction_velocity", "f_wave_latency", "temporal_dispersion"):
        parts[_LETTERS[p]] = at_least(2, (s.truth(p) for s in ss))
    parts["d"] = _absent_f_rule(ss, other_d)
    parts["e"] = any_of(
        (
            at_least(2, (s.truth("conduction_block") for s in ss)),
            _pairs_with_other(ss, "conduction_block", other_e),
        )
    )
    parts["g"] = _pairs_with_other(ss, "distal_cmap_duration", other_g)
    truth = any_of(parts.values())
    verdict = Verdict(truth)
    if truth is T:
        for p, letter in _LETTERS.items():
            if parts.get(letter) is T:
                hits = _hits(ss, p)
                verdict.detail.append(f"({letter}) {_LABELS[p]}: {', '.join(r.name for r in hits)}")
                verdict.support += [r for r in hits if r not in verdict.support]
        verdict.detail.insert(0, f"strongly supportive of demyelination ({rules.title})")
        return verdict
    if truth is F:
        n = sum(1 for s in ss if s.studied)
        verdict.detail.append(
            f"no rule met in {n} motor nerves; the protocol nerves were studied on both sides "
            "with the parameters each rule needs"
        )
        verdict.support = [r for s in ss for r in s.results]
        return verdict
    verdict.detail += _open_parts(parts) + _missing(ss, motor=True)
    verdict.support = [r for p in SINGLE_NERVE_PARAMETERS for r in _hits(ss, p)]
    return verdict


def weakly_supportive(ss: Sequence[Slot]) -> Verdict:
    """At least weakly supportive: a single-nerve parameter (a, b, c, e or f) in ≥ 1 nerve.

    Defined as "at least one nerve" (not "exactly one") so that more data can never turn
    it false; absent F-waves and distal CMAP duration alone do not count.
    """
    truth = any_of(s.any_of(SINGLE_NERVE_PARAMETERS) for s in ss)
    verdict = Verdict(truth)
    if truth is T:
        for p in SINGLE_NERVE_PARAMETERS:
            hits = _hits(ss, p)
            if hits:
                verdict.detail.append(f"{_LABELS[p]}: {', '.join(r.name for r in hits)}")
                verdict.support += [r for r in hits if r not in verdict.support]
    elif truth is F:
        n = sum(1 for s in ss if s.studied)
        verdict.detail.append(f"no demyelinating parameter in any of {n} motor nerves")
        verdict.support = [r for s in ss for r in s.results]
    else:
        verdict.detail += _missing(ss, motor=True)
    return verdict


def sensory_two_nerves(ss: Sequence[Slot]) -> Verdict:
    """Sensory conduction outside normal limits in at least two nerves."""
    truth = at_least(2, (s.sensory_abnormal for s in ss))
    verdict = Verdict(truth)
    abnormal = [r for s in ss for r in s.results if r.sensory_abnormal is T]
    if truth is T:
        verdict.detail.append(
            f"sensory conduction abnormal in {len({r.group for r in abnormal})} nerves: "
            + ", ".join(r.name for r in abnormal)
        )
        verdict.support = abnormal
    elif truth is F:
        n = sum(1 for s in ss if s.studied)
        verdict.detail.append(f"sensory conduction abnormal in fewer than 2 of {n} nerves")
        verdict.support = [r for s in ss for r in s.results]
    else:
        if abnormal:
            verdict.detail.append("abnormal: " + ", ".join(r.name for r in abnormal))
        verdict.detail += _missing(ss, motor=False)
        verdict.support = abnormal
    return verdict


def _hits(ss: Sequence[Slot], p: ParameterName) -> list[NerveResult]:
    return [r for s in ss for r in s.results if r.truth(p) is T]


def _open_parts(parts: dict[str, Truth]) -> list[str]:
    names = {v: k for k, v in _LETTERS.items()}
    still = [f"({k}) {_LABELS[names[k]]}" for k, t in sorted(parts.items()) if t is U]
    return ["not yet decided: " + "; ".join(still)] if still else []


def _missing(ss: Sequence[Slot], *, motor: bool) -> list[str]:
    """What would settle an unknown: nerves to study, parameters to record."""
    out: list[str] = []
    unstudied = [s.name.removesuffix(" (not studied)") for s in ss if not s.studied]
    if unstudied:
        out.append("protocol nerves not studied: " + ", ".join(unstudied))
    rows = [r for s in ss for r in s.results]
    if motor:
        checks: list[tuple[str, ParameterName]] = [
            ("distal latency", "distal_latency"),
            ("conduction velocity", "conduction_velocity"),
            ("F-waves", "f_wave_latency"),
            ("proximal CMAP amplitude (conduction block)", "conduction_block"),
            ("distal and proximal CMAP durations (temporal dispersion)", "temporal_dispersion"),
        ]
        for what, p in checks:
            lacking = [
                r.name
                for r in rows
                if r.parameters.get(p) is not None and r.truth(p) is U and _lacks_data(r, p)
            ]
            if lacking:
                out.append(f"{what} not given for: {', '.join(lacking)}")
        caveat = [
            r.name
            for r in rows
            if r.row.nerve == "median"
            and r.truth("distal_latency") is U
            and not _lacks_data(r, "distal_latency")
        ]
        if caveat:
            out.append(
                "median distal latency in range: exclude carpal tunnel syndrome ("
                + ", ".join(caveat)
                + ")"
            )
    else:
        lacking = [r.name for r in rows if r.sensory_abnormal is U]
        if lacking:
            out.append(
                "sensory latency, amplitude or velocity (or its limit) missing for: "
                + ", ".join(lacking)
            )
    for r in rows:
        out += [n for n in r.notes if n not in out]
    return out


def _lacks_data(r: NerveResult, p: ParameterName) -> bool:
    row = r.row
    if row.not_recordable:
        return False
    if p == "distal_latency":
        return row.distal_latency_ms is None or r.measures["distal_latency"].limit is None
    if p == "conduction_velocity":
        return (
            row.conduction_velocity_m_s is None or r.measures["conduction_velocity"].limit is None
        )
    if p == "f_wave_latency":
        return row.f_wave_latency_ms is None and not row.f_wave_absent
    if p == "conduction_block":
        return row.proximal_amplitude is None
    if p == "temporal_dispersion":
        return row.proximal_duration_ms is None or row.distal_duration_ms is None
    return False
