"""The differential panel shown in every report.

For each disease in ``data/differential.yaml``: its status (met when any of its criteria
sets is met, not met when all are not met, else undetermined), and the observed features
that favour or disfavour it with their published figures. Several diseases may be met at
once; the panel lists them as co-existing rather than choosing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..engine import Assessment, Evaluator
from ..engine.logic import T
from ..engine.result import EvidenceRef, Status
from ..knowledge.criteria import CriteriaSet, Discriminator


@dataclass(slots=True)
class FeatureHit:
    id: str
    label: dict[str, str]
    figure: dict[str, str]
    source: str
    verification: str
    evidence: list[EvidenceRef]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "figure": self.figure,
            "source": self.source,
            "verification": self.verification,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(slots=True)
class DiseaseRow:
    disease: str
    label: dict[str, str]
    status: Status
    sets: list[tuple[str, Status, str | None]]
    favouring: list[FeatureHit] = field(default_factory=list)
    disfavouring: list[FeatureHit] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "disease": self.disease,
            "label": self.label,
            "status": self.status,
            "criteria": [{"criteria_id": c, "status": s, "category": k} for c, s, k in self.sets],
            "favouring": [f.to_dict() for f in self.favouring],
            "disfavouring": [f.to_dict() for f in self.disfavouring],
        }


@dataclass(slots=True)
class DifferentialPanel:
    rows: list[DiseaseRow]

    @property
    def coexisting(self) -> list[str]:
        """Diseases whose criteria are met at the same time."""
        return [r.disease for r in self.rows if r.status == "met"]

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [r.to_dict() for r in self.rows], "coexisting": self.coexisting}


def _status(statuses: list[Status]) -> Status:
    if "met" in statuses:
        return "met"
    if statuses and all(s == "not_met" for s in statuses):
        return "not_met"
    return "undetermined"


def _fire(evaluator: Evaluator, disc: Discriminator, host: CriteriaSet) -> FeatureHit | None:
    result = evaluator.node(disc.node, host, {})
    if result.truth is not T:
        return None
    evidence = [e for n in result.walk() for e in n.evidence]
    return FeatureHit(
        disc.id,
        disc.label,
        disc.figure,
        disc.provenance.source,
        disc.provenance.verification,
        evidence,
    )


def build_panel(evaluator: Evaluator, assessments: list[Assessment]) -> DifferentialPanel | None:
    """The panel for one case; None when the knowledge base has no differential file."""
    kb = evaluator.kb
    diff = kb.differential
    if diff is None or not kb.criteria:
        return None
    by_id = {a.criteria_id: a for a in assessments}
    rows: dict[str, DiseaseRow] = {}
    for disease, set_ids in diff.diseases.items():
        sets = [(cid, by_id[cid].status, by_id[cid].category) for cid in set_ids if cid in by_id]
        if not sets:
            sets = [
                (cid, a.status, a.category)
                for cid in set_ids
                for a in [
                    evaluator.assess_set(kb.criteria[cid], with_alternatives=False, detail=False)
                ]
            ]
        rows[disease] = DiseaseRow(
            disease, kb.names(disease), _status([s for _, s, _ in sets]), sets
        )
    host = next(iter(kb.criteria.values()))  # discriminators use no items or parameters
    for disc in diff.discriminators:
        hit = _fire(evaluator, disc, host)
        if hit is None:
            continue
        for disease, bucket in [(d, "favouring") for d in disc.favours] + [
            (d, "disfavouring") for d in disc.disfavours
        ]:
            row = rows.get(disease)
            if row is None:
                row = rows[disease] = DiseaseRow(disease, kb.names(disease), "undetermined", [])
            getattr(row, bucket).append(hit)
    # A disease with no criteria set here is shown only when a feature speaks to it.
    shown = [r for r in rows.values() if r.sets or r.favouring or r.disfavouring]
    return DifferentialPanel(shown)
