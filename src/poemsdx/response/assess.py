"""Treatment response per follow-up time point: four domains, followed findings, and
discordant markers.

For each follow-up time point and each domain (VEGF, hematologic, clinical, radiologic)
every definition in ``data/response.yaml`` is applied: the first rule that holds gives the
category; a rule that cannot be judged leaves it undetermined (and what would settle it is
named). When definitions disagree, the domain's status is ``depends_on_definition`` and
each result keeps its own source and verification tag. Markers that move in opposite
directions at one time point are reported as a discordance — an observation, never a
verdict.
"""

from __future__ import annotations

from .. import __version__
from ..engine.compare import fmt
from ..engine.logic import F, T, Truth, U
from ..knowledge.registry import Knowledge
from ..model import Case, Finding, Measurement
from .course import Course, Point, TimePoint, iso_day
from .definitions import (
    Definition,
    Domain,
    Otherwise,
    ResponseDefinitions,
    Rule,
    condition_concepts,
    load_definitions,
)
from .report import (
    DefinitionResult,
    Discordance,
    DomainResponse,
    FindingChange,
    MarkerChange,
    ResponseReport,
    TimePointResponse,
    TreatmentRef,
    ValueRef,
)
from .rules import Context, check, describe, percent_change, signed_percent

__all__ = ["BASELINE_RULE", "assess_response"]

BASELINE_RULE = (
    "baseline = the last value of the same test on the same specimen before the first "
    "disease-directed treatment; each value after it is compared with that baseline"
)
_UNDECIDED = ("undetermined", "not_applicable")


def assess_response(
    case: Case, kb: Knowledge, definitions: ResponseDefinitions | None = None
) -> ResponseReport:
    """Judge the response to the first disease-directed treatment at every follow-up."""
    defs = definitions or load_definitions(kb)
    extra = {cid: defs.names(kb, cid) for cid in defs.spec.concepts}
    course = Course(case, kb, extra)
    notes: list[str] = []
    treatment = None
    if course.treatment is None:
        notes.append("no disease-directed treatment in the case: there is no response to judge")
    else:
        ev = course.treatment
        treatment = TreatmentRef(
            ev.id, ev.concept, kb.names(ev.concept), iso_day(course.treatment_day)
        )
        if course.treatment_day is None:
            notes.append(
                f"the date of {ev.id} is not known: only observations placed relative to it "
                "can be followed"
            )
    timepoints = tuple(_at_timepoint(course, defs, tp) for tp in course.timepoints())
    if treatment is not None and not timepoints:
        notes.append("no observation after the treatment: nothing to compare yet")
    return ResponseReport(
        case_id=case.id,
        treatment=treatment,
        baseline_rule=BASELINE_RULE,
        timepoints=timepoints,
        definitions_version=defs.version,
        knowledge_version=kb.version,
        engine_version=__version__,
        notes=tuple(notes),
    )


def _at_timepoint(course: Course, defs: ResponseDefinitions, tp: TimePoint) -> TimePointResponse:
    domains = tuple(_domain(course, defs, name, d, tp) for name, d in defs.domains.items())
    markers = tuple(_markers(course, defs, tp))
    return TimePointResponse(
        label=tp.label,
        date=tp.date,
        months_after_treatment=tp.months_after,
        domains=domains,
        markers=markers,
        discordance=_discordance(defs, markers),
    )


# -- values ---------------------------------------------------------------------------------
def _ref(course: Course, p: Point | None) -> ValueRef | None:
    if p is None:
        return None
    m = p.obs
    if isinstance(m, Measurement):
        return ValueRef(
            p.index, p.label, iso_day(p.day), m.value, m.result, m.unit, m.specimen, m.method
        )
    return ValueRef(p.index, p.label, iso_day(p.day), None, m.status, None, None)


def _at(tp: TimePoint, concept: str, specimen: str | None, any_specimen: bool) -> Point | None:
    found = [
        p
        for p in tp.points
        if isinstance(p.obs, Measurement)
        and p.obs.concept == concept
        and (any_specimen or p.obs.specimen == specimen)
    ]
    return found[-1] if found else None


# -- domains --------------------------------------------------------------------------------
def _domain(
    course: Course, defs: ResponseDefinitions, name: str, domain: Domain, tp: TimePoint
) -> DomainResponse:
    kb = course.kb
    results: list[DefinitionResult] = []
    for d in domain.definitions:
        results.extend(_definition(course, defs, d, tp))
    findings = tuple(_finding_changes(course, domain, tp)) if domain.findings else ()
    measured = any(r.follow_up is not None for r in results) or any(
        r.category not in _UNDECIDED for r in results
    )
    decided = [r for r in results if r.category not in _UNDECIDED]
    categories = sorted({r.category for r in decided}, key=[r.category for r in decided].index)
    if len(categories) == 1:
        status = categories[0]
    elif len(categories) > 1:
        status = "depends_on_definition"
    else:
        status = "undetermined"
    if status == "depends_on_definition":
        summary = " / ".join(
            f"{r.category} by {r.label.get('en', r.definition)} [{r.verification}]" for r in decided
        )
    elif decided:
        summary = "; ".join(f"{r.category}: {r.reason}" for r in decided)
    else:
        applicable = [
            r for r in results if r.category == "undetermined" and r.follow_up is not None
        ]
        if applicable:
            summary = "; ".join(dict.fromkeys(r.reason for r in applicable))
        else:
            markers = dict.fromkeys(course.label(d.marker.concept) for d in domain.definitions)
            summary = f"no data at this time point ({', '.join(markers)})"
            if findings:
                summary += "; stated findings are listed as observations"
    notes = [domain.note] if domain.note else []
    tests = tuple(domain.tests) if status in ("undetermined", "depends_on_definition") else ()
    return DomainResponse(
        domain=name,
        label=dict(domain.label),
        status=status,
        status_label=defs.category_label(status),
        summary=summary,
        results=tuple(results),
        findings=findings,
        notes=tuple(dict(n) for n in notes),
        tests=tests,
        test_labels=tuple(dict(kb.tests[t].label) for t in tests),
        source=domain.source,
        verification=domain.verification,
        assessed=measured or bool(findings),
    )


def _definition(
    course: Course, defs: ResponseDefinitions, d: Definition, tp: TimePoint
) -> list[DefinitionResult]:
    concept = d.marker.concept
    any_specimen = not d.marker.specimens
    specimens: list[str | None] = [None] if any_specimen else list(d.marker.specimens)
    evaluated = [s for s in specimens if _at(tp, concept, s, any_specimen) is not None]
    verdict = _Verdict(course, defs, d)
    if not evaluated:
        other = _at(tp, concept, None, True)
        if _uses_other_observations(d, tp):
            evaluated = [specimens[0]]  # e.g. a urine immunofixation without a serum one
        elif other is not None and not any_specimen:
            spec = other.specimen or "unstated"
            reason = (
                f"{describe(course, other)}: this definition is for "
                f"{' or '.join(d.marker.specimens)} only (specimen here: {spec})"
            )
            return [verdict.make(other.specimen, "not_applicable", reason, follow=other)]
        else:
            reason = f"{course.label(concept)}: not measured at this time point"
            return [verdict.make(specimens[0], "undetermined", reason)]
    out = []
    for specimen in evaluated:
        follow = _at(tp, concept, specimen, any_specimen)
        base = course.baseline(concept, follow.specimen if follow else specimen, any_specimen)
        out.append(verdict.decide(Context(course, concept, specimen, base, follow, tp)))
    return out


def _uses_other_observations(d: Definition, tp: TimePoint) -> bool:
    """Whether a rule reads something other than the marker that is there at ``tp``."""
    wanted: set[str] = set()
    for r in d.rules:
        wanted.update(condition_concepts(r.when))
    return any(p.obs.concept in wanted for p in tp.points)


class _Verdict:
    """Applies one definition's rules in order and builds its result."""

    def __init__(self, course: Course, defs: ResponseDefinitions, d: Definition) -> None:
        self.course, self.defs, self.d = course, defs, d

    def decide(self, ctx: Context) -> DefinitionResult:
        unknown: list[tuple[str, str]] = []
        ruled_out: list[str] = []
        base, follow = ctx.baseline, ctx.follow
        for rule in self.d.rules:
            truth, text = check(rule.when, ctx)
            if truth is T:
                return self.make(
                    ctx.specimen,
                    rule.category,
                    text,
                    decided_by=rule,
                    caveats=tuple(f"{cat} could not be judged: {why}" for cat, why in unknown),
                    ruled_out=tuple(ruled_out),
                    baseline=base,
                    follow=follow,
                )
            if truth is U:
                unknown.append((rule.category, text))
            else:
                ruled_out.append(f"not {rule.category}: {text}")
        if unknown:
            reason = "; ".join(f"{cat}? {why}" for cat, why in unknown)
            return self.make(
                ctx.specimen,
                "undetermined",
                reason,
                ruled_out=tuple(ruled_out),
                baseline=base,
                follow=follow,
            )
        o = self.d.otherwise
        pct = percent_change(self.course, ctx.baseline, ctx.follow)
        reason = describe(self.course, ctx.follow) if ctx.follow else "; ".join(ruled_out)
        if pct is not None:
            reason = f"{reason}: {signed_percent(pct)} from baseline"
        return self.make(
            ctx.specimen,
            o.category,
            reason,
            decided_by=o,
            ruled_out=tuple(ruled_out),
            baseline=base,
            follow=follow,
        )

    def make(
        self,
        specimen: str | None,
        category: str,
        reason: str,
        *,
        decided_by: Rule | Otherwise | None = None,
        caveats: tuple[str, ...] = (),
        ruled_out: tuple[str, ...] = (),
        baseline: Point | None = None,
        follow: Point | None = None,
    ) -> DefinitionResult:
        course, d = self.course, self.d
        raw = percent_change(course, baseline, follow)
        return DefinitionResult(
            definition=d.id,
            label=dict(d.label),
            specimen=specimen,
            category=category,
            category_label=self.defs.category_label(category),
            rule=dict(decided_by.label) if decided_by else None,
            source=decided_by.source if decided_by else None,
            verification=decided_by.verification if decided_by else None,
            reason=reason,
            caveats=caveats,
            ruled_out=ruled_out,
            note=dict(d.note) if d.note else None,
            baseline=_ref(course, baseline),
            follow_up=_ref(course, follow),
            change_percent=None if raw is None else round(raw, 1),
        )


# -- clinical findings ------------------------------------------------------------------------
def _finding_changes(course: Course, domain: Domain, tp: TimePoint) -> list[FindingChange]:
    assert domain.findings is not None
    kb = course.kb
    followed: set[str] = set()
    for cid in domain.findings.concepts:
        followed.update((cid, *kb.descendants(cid)))
    latest: dict[str, Point] = {}
    for p in tp.points:
        if isinstance(p.obs, Finding) and p.obs.concept in followed:
            latest[p.obs.concept] = p
    out = []
    for cid, p in latest.items():
        assert isinstance(p.obs, Finding)
        base = course.baseline_finding(cid)
        before = base.obs.status if base is not None and isinstance(base.obs, Finding) else None
        after = p.obs.status
        change, direction = _finding_course(before, after)
        out.append(
            FindingChange(
                concept=cid,
                label=kb.names(cid),
                before=before,
                after=after,
                change=change,
                direction=direction,
                time=p.label,
                baseline_time=base.label if base else None,
                observation=p.index,
            )
        )
    return out


def _finding_course(before: str | None, after: str) -> tuple[str, str]:
    if after == "uncertain" or before == "uncertain":
        return "uncertain", "unknown"
    if before == "present":
        return ("resolved", "improved") if after == "absent" else ("persists", "unchanged")
    if before == "absent":
        return ("new", "worse") if after == "present" else ("still_absent", "unchanged")
    return ("reported_present", "unknown") if after == "present" else ("reported_absent", "unknown")


# -- markers and discordance ----------------------------------------------------------------
def _markers(course: Course, defs: ResponseDefinitions, tp: TimePoint) -> list[MarkerChange]:
    spec = defs.spec.discordance
    out = []
    for marker in spec.markers:
        specimens = sorted(
            {
                p.specimen or ""
                for p in tp.points
                if isinstance(p.obs, Measurement) and p.obs.concept == marker.concept
            }
        )
        for s in specimens:
            specimen = s or None
            follow = _at(tp, marker.concept, specimen, False)
            base = course.baseline(marker.concept, specimen)
            if follow is None or base is None:
                continue
            out.append(
                _marker_change(
                    course, defs, marker.concept, marker.tracks, marker.better, base, follow
                )
            )
    return out


def _marker_change(
    course: Course,
    defs: ResponseDefinitions,
    concept: str,
    tracks: str,
    better: str,
    base: Point,
    follow: Point,
) -> MarkerChange:
    kb = course.kb
    threshold = defs.spec.discordance.threshold_percent
    b, f = base.obs, follow.obs
    assert isinstance(b, Measurement) and isinstance(f, Measurement)
    pct = percent_change(course, base, follow)
    direction = "unknown"
    spec = f"{f.specimen} " if f.specimen else ""
    label = course.label(concept)
    if pct is not None:
        worse_if_up = better == "lower"
        up, down = pct >= threshold, pct <= -threshold
        # A change only counts while the value is (or was) outside the lab's range.
        b_high = _above_uln(course, base)
        f_high = _above_uln(course, follow)
        if (up and worse_if_up and f_high is not F) or (down and not worse_if_up):
            direction = "worsening"
        elif (down and worse_if_up and b_high is not F) or (up and not worse_if_up):
            direction = "improving"
        elif not up and not down:
            direction = "unchanged"
        assert b.value is not None and f.value is not None
        text = f"{spec}{label} {signed_percent(pct)} ({fmt(b.value)} → {_shown(f)})"
    else:
        was, now = _qualitative(b), _qualitative(f)
        if was is not None and now is not None and was != now:
            direction = "improving" if (was and not now) == (better == "lower") else "worsening"
        elif was is not None and was == now:
            direction = "unchanged"
        method = f" by {f.method}" if f.method else " (method not stated)" if now is False else ""
        text = f"{spec}{label} {_shown(b)} → {_shown(f)}{method}"
    return MarkerChange(
        concept=concept,
        label=defs.names(kb, concept),
        specimen=f.specimen,
        tracks=tracks,
        tracks_label=kb.names(tracks),
        baseline=_value(course, base),
        follow_up=_value(course, follow),
        change_percent=None if pct is None else round(pct, 1),
        direction=direction,
        text=text,
    )


def _value(course: Course, p: Point) -> ValueRef:
    ref = _ref(course, p)
    assert ref is not None
    return ref


def _above_uln(course: Course, p: Point) -> Truth:
    m = p.obs
    assert isinstance(m, Measurement)
    limit = course.upper_limit(p)
    if m.value is None or limit is None:
        return U
    return T if m.value > limit.value else F


def _qualitative(m: Measurement) -> bool | None:
    """True when detectable / abnormal, False when negative / normal, None when unclear."""
    if m.result in ("positive", "high", "abnormal"):
        return True
    if m.result in ("negative", "normal"):
        return False
    return None


def _shown(m: Measurement) -> str:
    if m.value is not None:
        return f"{fmt(m.value)} {m.unit or ''}".rstrip()
    return m.result or "?"


def _discordance(
    defs: ResponseDefinitions, markers: tuple[MarkerChange, ...]
) -> Discordance | None:
    improving = tuple(m for m in markers if m.direction == "improving")
    worsening = tuple(m for m in markers if m.direction == "worsening")
    if not improving or not worsening:
        return None
    spec = defs.spec.discordance

    def listed(ms: tuple[MarkerChange, ...]) -> str:
        return ", ".join(f"{m.text} [tracks {m.tracks_label.get('en', m.tracks)}]" for m in ms)

    text = (
        f"{listed(worsening)} worsened while {listed(improving)} improved. {spec.explanation['en']}"
    )
    return Discordance(
        improving=improving,
        worsening=worsening,
        text=text,
        explanation=dict(spec.explanation),
        source=spec.source,
        verification=spec.verification,
    )
