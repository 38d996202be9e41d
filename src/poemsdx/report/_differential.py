"""View model of the differential panel: diseases that fit, co-exist, and what tells them apart."""

from __future__ import annotations

from dataclasses import dataclass

from ..knowledge.registry import Knowledge
from ..rank import DifferentialPanel, FeatureHit
from ._locale import Locale

_SYMBOLS = {"met": "✓", "not_met": "✗", "undetermined": "?"}


@dataclass(slots=True)
class FeatureView:
    label: str
    figure: str
    source: str
    verification: str
    evidence: list[str]


@dataclass(slots=True)
class DiseaseView:
    label: str
    status: str
    symbol: str
    verdict: str
    sets: str
    favouring: list[FeatureView]
    disfavouring: list[FeatureView]


@dataclass(slots=True)
class DifferentialView:
    rows: list[DiseaseView]
    coexisting: str | None


def _feature(hit: FeatureHit, t: Locale) -> FeatureView:
    evidence = [e.text for e in hit.evidence][:3]
    return FeatureView(
        t.text(hit.label, hit.id), t.text(hit.figure), hit.source, hit.verification, evidence
    )


def _category(kb: Knowledge, criteria_id: str, category: str, t: Locale) -> str:
    crit = kb.criteria.get(criteria_id)
    for c in crit.categories if crit else ():
        if c.id == category:
            return t.text(c.label, category)
    return category


def build_differential(
    panel: DifferentialPanel | None, kb: Knowledge, t: Locale
) -> DifferentialView | None:
    if panel is None:
        return None
    rows = []
    for r in panel.rows:
        sets = t("sep.list").join(
            f"{cid}: {t(f'status.{status}')}" + (f" ({_category(kb, cid, cat, t)})" if cat else "")
            for cid, status, cat in r.sets
        )
        rows.append(
            DiseaseView(
                t.text(r.label, r.disease),
                r.status,
                _SYMBOLS[r.status],
                t(f"status.{r.status}"),
                sets or t("differential.no_sets"),
                [_feature(h, t) for h in r.favouring],
                [_feature(h, t) for h in r.disfavouring],
            )
        )
    met = [row.label for row in rows if row.status == "met"]
    coexisting = (
        t("differential.coexisting", diseases=t("sep.list").join(met)) if len(met) > 1 else None
    )
    return DifferentialView(rows, coexisting)
