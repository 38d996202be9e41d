"""CDS Hooks cards from an evaluation: what the POEMS criteria say, in the EHR.

One card at most, about POEMS syndrome (the primary set is ``poems-imwg`` when shipped):

* ``warning`` when a POEMS criteria set is met, or when the primary set is undetermined
  while both mandatory criteria (polyneuropathy and a monoclonal plasma-cell disorder)
  hold; ``info`` when only one of them holds; no card otherwise (a patient-view hook runs
  for every chart, and "undetermined for lack of any data" is not advice). ``critical``
  is not used.
* the summary (< 140 characters) names the lead finding and the verdict, and the test
  that would settle it; the detail (Markdown) is the checklist of the primary set, the
  tests, the verdicts of the other POEMS sets and of co-existing diseases;
* one suggestion per settling test, each creating a ``ServiceRequest`` (intent
  ``proposal``); a link to the full report.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..engine.logic import Truth
from ..engine.result import Assessment, NextTest, NodeResult
from ..evaluation import Evaluation
from ..io.fhir import verdict_text
from ..io.interop import code_map
from ..knowledge.registry import Knowledge
from ..model import Measurement

Json = dict[str, Any]
PRIMARY = "poems-imwg"
POEMS = "poems_syndrome"
MAX_SUMMARY = 139
MAX_SUGGESTIONS = 5
_MARK = {Truth.TRUE: "✓", Truth.FALSE: "✗", Truth.UNKNOWN: "?"}
_LIGHT = {"lambda": "λ", "kappa": "κ"}


def _short(test: NextTest, lang: str) -> str:
    label = test.label.get(lang) or test.label["en"]
    for sep in (" (", "（", ";", "；"):
        label = label.split(sep)[0]
    return label.strip()


def _lower(text: str) -> str:
    """'Serum VEGF' → 'serum VEGF' (an acronym keeps its capitals)."""
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def _name(kb: Knowledge, a: Assessment) -> str:
    crit = kb.criteria.get(a.criteria_id)
    return (crit.header.short_title if crit and crit.header.short_title else None) or a.criteria_id


def _items(a: Assessment) -> list[NodeResult]:
    return [n for n in a.tree.walk() if n.kind == "item" and n.item_id]


def _mandatory(a: Assessment) -> list[NodeResult]:
    return [n for n in _items(a) if n.role and "mandatory" in n.role]


def _lead(ev: Evaluation, mandatory: list[NodeResult]) -> str:
    neuropathy = any(n.truth is Truth.TRUE and "neuropathy" in (n.item_id or "") for n in mandatory)
    clone = any(n.truth is Truth.TRUE and "neuropathy" not in (n.item_id or "") for n in mandatory)
    light = None
    for obs in ev.case.observations:
        if isinstance(obs, Measurement) and obs.concept == "m_protein" and obs.result == "positive":
            light = light or (obs.light_chain and _LIGHT.get(obs.light_chain))
    if neuropathy and clone:
        return (
            f"Polyneuropathy with a {light} M-protein" if light else "Polyneuropathy with a clone"
        )
    if neuropathy:
        return "Polyneuropathy"
    if clone:
        return f"A {light} M-protein" if light else "A monoclonal plasma-cell disorder"
    return "POEMS syndrome"


def _fit(text: str) -> str:
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1].rstrip() + "…"


def build_cards(
    ev: Evaluation,
    kb: Knowledge,
    *,
    patient_id: str,
    report_url: str,
    source: Json,
    test_system: str,
    lang: str = "en",
    notes: list[str] | None = None,
) -> list[Json]:
    """The cards for one patient (an empty list when there is nothing to say)."""
    poems = [a for a in ev.assessments if a.disease == POEMS]
    if not poems:
        return []
    primary = next((a for a in poems if a.criteria_id == PRIMARY), poems[0])
    met = [a for a in poems if a.status == "met"]
    mandatory = _mandatory(primary)
    both = bool(mandatory) and all(n.truth is Truth.TRUE for n in mandatory)
    some = any(n.truth is Truth.TRUE for n in mandatory)
    lead = _lead(ev, mandatory)
    tests = _tests(poems, primary, code_map(kb).table.cds_test_priority)
    if met:
        indicator = "warning"
        summary = f"{lead}: POEMS criteria met ({', '.join(_name(kb, a) for a in met)})"
    elif primary.status == "undetermined" and both:
        indicator = "warning"
        settle = f" — {_lower(_short(tests[0], lang))} would help settle it" if tests else ""
        summary = f"{lead}: POEMS criteria undetermined{settle}"
    elif some:
        indicator = "info"
        summary = f"{lead}: POEMS criteria {verdict_text(primary)} ({_name(kb, primary)})"
    else:
        return []
    card: Json = {
        "uuid": str(uuid.uuid4()),
        "summary": _fit(summary),
        "indicator": indicator,
        "detail": _detail(ev, kb, primary, poems, tests, lang, notes or []),
        "source": source,
    }
    suggestions = [_suggestion(t, patient_id, test_system, lang) for t in tests[:MAX_SUGGESTIONS]]
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "any"
    card["links"] = [{"label": "Full poemsdx report", "url": report_url, "type": "absolute"}]
    return [card]


def _tests(poems: list[Assessment], primary: Assessment, priority: list[str]) -> list[NextTest]:
    """Tests that would settle an undetermined POEMS set, least invasive first (the order
    of ``cds_test_priority`` in ``data/interop/codes.yaml``, then the engine's order)."""
    seen: dict[str, NextTest] = {}
    for a in (primary, *poems):
        if a.status != "undetermined":
            continue
        for t in a.next_tests:
            seen.setdefault(t.id, t)
    rank = {tid: i for i, tid in enumerate(priority)}
    order = list(seen)
    return sorted(seen.values(), key=lambda t: (rank.get(t.id, len(rank)), order.index(t.id)))


def _detail(
    ev: Evaluation,
    kb: Knowledge,
    primary: Assessment,
    poems: list[Assessment],
    tests: list[NextTest],
    lang: str,
    notes: list[str],
) -> str:
    title = primary.title.get(lang) or primary.title["en"]
    lines = [f"**{title}**: {verdict_text(primary)}", ""]
    for n in _items(primary):
        label = (n.label or {}).get(lang) or (n.label or {}).get("en") or n.item_id
        evidence = "; ".join(e.text for x in n.walk() for e in x.evidence)[:200]
        role = f" *({n.role})*" if n.role else ""
        lines.append(f"- {_MARK[n.truth]} {label}{role}" + (f" — {evidence}" if evidence else ""))
    if tests:
        lines += ["", "**Would settle it:**"]
        lines += [f"- {t.label.get(lang) or t.label['en']}" for t in tests]
    others = [a for a in poems if a is not primary]
    if others:
        lines += [
            "",
            "**Other POEMS criteria:** "
            + "; ".join(f"{_name(kb, a)} {verdict_text(a)}" for a in others),
        ]
    also = [
        a
        for a in ev.assessments
        if a.disease != POEMS and a.status == "met" and a.kind in ("diagnostic", "classification")
    ]
    if also:
        lines += [
            "",
            "**Also met:** " + "; ".join(f"{_name(kb, a)} ({verdict_text(a)})" for a in also),
        ]
    if not primary.robust:
        alts = [
            f"{alt.parameter}={alt.value}: {alt.status.replace('_', ' ')}"
            for alt in primary.alternatives
            if alt.status != primary.status or alt.category != primary.category
        ]
        lines += ["", "**Depends on an assumption:** " + "; ".join(alts)]
    if notes:
        lines += ["", f"*{len(notes)} FHIR element(s) could not be used:* " + "; ".join(notes[:5])]
    lines += [
        "",
        "*Decision support: the criteria are shown with their evidence; the clinician decides.*",
    ]
    return "\n".join(lines)


def _suggestion(test: NextTest, patient_id: str, system: str, lang: str) -> Json:
    label = test.label.get(lang) or test.label["en"]
    return {
        "label": f"Order: {_short(test, lang)}",
        "uuid": str(uuid.uuid4()),
        "actions": [
            {
                "type": "create",
                "description": f"Propose: {label}",
                "resource": {
                    "resourceType": "ServiceRequest",
                    "status": "draft",
                    "intent": "proposal",
                    "code": {
                        "coding": [
                            {"system": system, "code": test.id, "display": test.label["en"]}
                        ],
                        "text": label,
                    },
                    "subject": {"reference": f"Patient/{patient_id}"},
                },
            }
        ],
    }
