"""The last step of extraction: resolve times and events, carry specimens, drop restated
qualitative results, merge repeated statements, infer the neuropathy pattern, and build
the frozen ``Case`` (see ``assemble`` for the reasons)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from ..model import Case, Document, Event, Evidence, Finding, Measurement, ReferenceRange, When
from ..model.observations import NerveConduction
from .timeline import TREATMENT, TimeExpr

if TYPE_CHECKING:
    from .assemble import Builder, _Obs

_RESTATED = frozenset({"high", "low", "normal", "abnormal"})
_MAX_EVIDENCE = 6
_NEUROPATHY = frozenset(
    {
        "peripheral_neuropathy",
        "polyneuropathy",
        "sensorimotor_polyneuropathy",
        "demyelinating_polyneuropathy",
    }
)


def finalise(b: Builder, doc: Document) -> Case:
    events = _events(b)
    first = _first_treatment(b, events)
    when_of = _WhenMaker(b, {e.id for e in events}, first)
    obs = list(b.obs)
    numeric = {o.concept for o in obs if o.value is not None}
    obs = [o for o in obs if not (o.result in _RESTATED and o.concept in numeric)]
    _carry_specimens(b, obs)
    built: list[tuple[int, Finding | Measurement | NerveConduction]] = []
    for o, when in _merge(obs, when_of):
        item = _observation(o, when)
        if item is not None:
            built.append((o.pos, item))
    inferred = _neuropathy(
        b, {o.concept for o in obs if o.kind == "finding" and o.status == "present"}
    )
    if inferred is not None:
        built.append((10**12, inferred))
    built.sort(key=lambda p: p[0])
    observations = [item for _, item in built] + list(b.rows)
    try:
        return Case(
            id=b.doc_id,
            patient=b.patient,
            anchors=b.anchors,
            observations=tuple(observations),
            events=tuple(events),
            documents=(doc,),
        )
    except ValidationError:  # pragma: no cover - ids are built not to clash
        return Case(
            id=b.doc_id, patient=b.patient, observations=tuple(observations), documents=(doc,)
        )


def _events(b: Builder) -> list[Event]:
    """One event per course; a drug named only inside a regimen it is part of (the
    melphalan of high-dose melphalan with ASCT) is not a course of its own."""
    out: list[tuple[int, Event]] = []
    parts = b.res.part_of
    for concept, courses in b.events.items():
        wholes = parts.get(concept, frozenset())
        sentences_with_whole = {s for _, _, c, s in b.treatment_mentions if c in wholes}
        own = {s for _, _, c, s in b.treatment_mentions if c == concept}
        if wholes and own and own <= sentences_with_whole:
            continue
        for n, ev in enumerate(sorted(courses, key=lambda e: e.pos)):
            start = (
                When(date=ev.date.date, label=b.label(ev.date))
                if ev.date and ev.date.date
                else None
            )
            event_id = concept if n == 0 else f"{concept}-{n + 1}"
            out.append(
                (
                    ev.pos,
                    Event(id=event_id, concept=concept, start=start, evidence=tuple(ev.evidence)),
                )
            )
    out.sort(key=lambda p: p[0])
    return [e for _, e in out]


def _first_treatment(b: Builder, events: list[Event]) -> str | None:
    directed = [e for e in events if e.concept in b.res.directed]
    if not directed:
        return None
    dated = [e for e in directed if e.start and e.start.date]
    if dated:
        return min(dated, key=lambda e: e.start.date if e.start and e.start.date else "").id
    return directed[0].id


class _WhenMaker:
    def __init__(self, b: Builder, event_ids: set[str], first: str | None) -> None:
        self.b, self.events, self.first = b, event_ids, first
        self.positions = {}
        for concept, courses in b.events.items():
            for n, ev in enumerate(sorted(courses, key=lambda e: e.pos)):
                self.positions[concept if n == 0 else f"{concept}-{n + 1}"] = ev
        self.positions = {k: v for k, v in self.positions.items() if k in event_ids}
        self._made: dict[TimeExpr, When | None] = {}  # equal times make equal Whens

    def __call__(self, t: TimeExpr | None) -> When | None:
        if t is None:
            return None
        try:
            return self._made[t]
        except KeyError:
            made = self._made[t] = self._make(t)
            return made

    def _make(self, t: TimeExpr) -> When | None:
        label = self.b.label(t)
        try:
            if t.date:
                return When(date=t.date, label=label)
            anchor = t.anchor
            if anchor == TREATMENT:
                anchor = self.first
            elif (
                anchor is not None
                and anchor not in ("admission", "onset")
                and anchor not in self.b.anchors
            ):
                anchor = self._course(anchor, t)
            if anchor is None:
                phase = t.phase
                if phase is None and t.offset:
                    phase = "before_treatment" if t.offset.startswith("-") else "after_treatment"
                if phase is None and label is None:
                    return None
                return When(phase=phase, label=label)
            return When(anchor=anchor, offset=t.offset, phase=t.phase, label=label)
        except ValidationError:
            return When(label=label) if label else None

    def _course(self, concept: str, t: TimeExpr) -> str | None:
        """The course of ``concept`` a relative time refers to: the last one started
        before the words (the text names the course it has just described)."""
        courses = sorted(
            (ev.pos, ev_id)
            for ev_id, ev in self.positions.items()
            if ev_id == concept or ev_id.startswith(concept + "-")
        )
        chosen = None
        for pos, ev_id in courses:
            if pos <= t.start or chosen is None:
                chosen = ev_id
        return chosen


def _carry_specimens(b: Builder, obs: list[_Obs]) -> None:
    for concept in b.res.specimen_required:
        series = [o for o in obs if o.concept == concept and o.kind == "measurement"]
        stated = {o.specimen for o in series if o.specimen}
        if len(stated) != 1:
            continue
        specimen = stated.pop()
        source = next(o for o in series if o.specimen == specimen)  # the first stated value
        for o in series:
            if o.specimen is None:
                o.specimen = specimen
                ev = source.evidence[0]
                o.evidence.append(
                    ev.model_copy(
                        update={
                            "assertion": "inferred",
                            "note": f"specimen carried from the document's other {specimen} value",
                        }
                    )
                )


def _merge(obs: list[_Obs], when_of: _WhenMaker) -> list[tuple[_Obs, When | None]]:
    """The observations left when repeated statements join the first like them, each with
    its time."""
    out: list[tuple[_Obs, When | None]] = []
    # the observations kept so far, with the key of their time, by concept and kind
    kept: dict[tuple[str, str], list[tuple[_Obs, tuple[object, ...]]]] = {}
    for o in obs:
        when = when_of(o.time)
        key = _key(when)
        same_concept = kept.setdefault((o.concept, o.kind), [])
        target = None
        for p, p_key in same_concept:
            if key and p_key != key:
                continue  # an untimed statement joins a timed one, never the reverse
            if p.status == o.status if o.kind == "finding" else _same_measurement(p, o):
                target = p
                break
        if target is None:
            out.append((o, when))
            same_concept.append((o, key))
            continue
        for attr in ("specimen", "heavy", "light", "method"):
            if getattr(target, attr) is None:
                setattr(target, attr, getattr(o, attr))
        room = _MAX_EVIDENCE - len(target.evidence)
        target.evidence.extend(o.evidence[: max(0, room)])
    return out


def _key(w: When | None) -> tuple[object, ...]:
    """What makes two times the same time."""
    return (w.date, w.anchor, w.offset, w.phase) if w else ()


def _same_measurement(p: _Obs, o: _Obs) -> bool:
    if p.value is not None or o.value is not None:
        return p.value == o.value and p.unit == o.unit and p.specimen == o.specimen
    if p.result != o.result:
        return False
    for attr in ("specimen", "heavy", "light"):
        a, c = getattr(p, attr), getattr(o, attr)
        if a is not None and c is not None and a != c:
            return False
    return True


def _observation(o: _Obs, when: When | None) -> Finding | Measurement | None:
    try:
        if o.kind == "finding":
            return Finding(
                concept=o.concept,
                status=o.status,
                time=when,
                evidence=tuple(o.evidence),
                note=o.note,
            )
        rr = o.reference if isinstance(o.reference, ReferenceRange) else None
        return Measurement(
            concept=o.concept, value=o.value, result=o.result, unit=o.unit,
            specimen=o.specimen, reference_range=rr, heavy_chain=o.heavy, light_chain=o.light,
            method=o.method, time=when, evidence=tuple(o.evidence), note=o.note,
        )  # fmt: skip
    except ValidationError:
        return None  # a value the model cannot hold (a percentage over 100): not a lab value


def _neuropathy(b: Builder, present: set[str]) -> Finding | None:
    concept = "sensorimotor_polyneuropathy"
    if concept not in b.res.kinds or present & _NEUROPATHY:
        return None  # a neuropathy the text names is better than one inferred
    if not all(b.signs.get(cls) for cls in ("sensory", "motor", "reflex")):
        return None
    evidence: list[Evidence] = []
    for cls in ("sensory", "motor", "reflex"):
        evidence.extend(b.signs[cls][:2])
    return Finding(
        concept=concept,
        status="present",
        evidence=tuple(evidence),
        note="inferred: sensory symptoms, weakness and reduced reflexes",
    )
