"""Cases in the registry: versions, follow-up observations, search, soft delete, errors.

Runs on SQLite and PostgreSQL (see conftest). The flagship seed case is stored as
version 1; its 12-month follow-up (serum VEGF 300 pg/mL) becomes version 2::

    v1  seed case (47 observations)          created  by alice
    v2  + VEGF 300 pg/mL at ASCT + 12 months changed  by bob  (observations_added)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from poemsdx import Case, InputError, Knowledge, Measurement, When, load_case
from poemsdx.errors import NotFoundError, PoemsdxError
from poemsdx.registry import Registry

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-poems-igg4-aip.yaml"
FOLLOW_UP = Measurement(
    concept="vegf",
    value=300,
    unit="pg/mL",
    specimen="serum",
    time=When(anchor="asct", offset="P12M", label="12 months after transplant"),
)


@pytest.fixture(scope="module")
def seed(kb: Knowledge) -> Case:
    return load_case(SEED, kb)


def test_create_and_read_back(registry: Registry, seed: Case) -> None:
    case_id = registry.create_case(seed, actor="alice")
    assert len(case_id) == 32
    assert registry.get_case(case_id) == seed
    assert registry.get_case(case_id, version=1) == seed
    (summary,) = registry.list_cases()
    assert (summary.id, summary.external_id, summary.current_version) == (
        case_id,
        "seed-poems-igg4-aip",
        1,
    )
    assert summary.created_at.tzinfo is not None
    assert abs(summary.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_every_change_is_a_new_version(registry: Registry, seed: Case) -> None:
    case_id = registry.create_case(seed, actor="alice")
    retitled = seed.model_copy(update={"title": "POEMS with AIP (retitled)"})
    assert registry.update_case(case_id, retitled, actor="bob") == 2
    assert registry.update_case(case_id, retitled, actor="bob") == 2  # no change, no version
    assert registry.get_case(case_id).title == "POEMS with AIP (retitled)"
    assert registry.get_case(case_id, version=1).title == seed.title
    versions = registry.list_versions(case_id)
    assert [(v.version, v.change, v.created_by) for v in versions] == [
        (1, "created", "alice"),
        (2, "changed", "bob"),
    ]
    assert versions[0].case_sha256 != versions[1].case_sha256


def test_follow_up_observations_make_a_version(registry: Registry, seed: Case) -> None:
    case_id = registry.create_case(seed, actor="alice")
    assert registry.add_observations(case_id, [FOLLOW_UP], actor="bob") == 2
    as_dict = FOLLOW_UP.model_dump(mode="json") | {"value": 250}
    assert registry.add_observations(case_id, [as_dict], actor="bob") == 3
    now = registry.get_case(case_id)
    assert len(now.observations) == len(seed.observations) + 2
    assert now.observations[-2] == FOLLOW_UP
    rows = registry.observations("vegf", case_id=case_id)
    assert [(r.version, r.value, r.phase) for r in rows] == [
        (3, 777, "before_treatment"),
        (3, 1700, "before_treatment"),
        (3, 548, "after_treatment"),
        (3, 300, "after_treatment"),
        (3, 250, "after_treatment"),
    ]
    assert rows[3].date == dt.date(2011, 1, 16)  # January 2010 (mid) + 12 months
    assert rows[3].time_label == "12 months after transplant"
    every = registry.observations("vegf", case_id=case_id, current_only=False)
    assert len(every) == 3 + 4 + 5
    with pytest.raises(InputError, match="no observations"):
        registry.add_observations(case_id, [], actor="bob")
    with pytest.raises(InputError, match="invalid observation"):
        registry.add_observations(case_id, [{"kind": "measurement", "concept": "vegf"}], "bob")
    assert registry.get_case(case_id) == now  # a refused change leaves nothing behind


# (call, error, message): one registry for the whole table (a migration per row is slow)
ERRORS: list[tuple[Callable[[Registry, str], object], type[PoemsdxError], str]] = [
    (lambda r, c: r.get_case("nope"), NotFoundError, "no case with id 'nope'"),
    (lambda r, c: r.get_case(c, version=9), NotFoundError, "has no version 9"),
    (lambda r, c: r.get_case(c, version=0), InputError, "whole number from 1"),
    (lambda r, c: r.update_case("nope", Case(), "a"), NotFoundError, "no case"),
    (lambda r, c: r.delete_case("nope", "a"), NotFoundError, "no case"),
    (lambda r, c: r.list_assessments("nope"), NotFoundError, "no case"),
    (lambda r, c: r.get_assessment("nope"), NotFoundError, "no assessment"),
    (lambda r, c: r.audit("nope"), NotFoundError, "no case"),
    (lambda r, c: r.create_case(Case(), ""), InputError, "actor"),
    (lambda r, c: r.create_case(Case(), "a\nb"), InputError, "control characters"),
    (lambda r, c: r.create_case({"id": "x"}, "a"), InputError, "expected a Case"),  # type: ignore[arg-type]
    (lambda r, c: r.list_cases(limit=0), InputError, "limit"),
    (lambda r, c: r.record_export(c, "a", fmt="PDF report"), InputError, "format"),
]


def test_errors_are_poemsdx_errors(registry: Registry) -> None:
    case_id = registry.create_case(Case(id="small"), actor="alice")
    for call, error, message in ERRORS:
        with pytest.raises(error, match=message):
            call(registry, case_id)
    assert registry.check_integrity() == []
    assert [a.action for a in registry.audit()] == ["created"]  # failed calls leave no trace


def test_not_found_is_an_input_error() -> None:
    assert issubclass(NotFoundError, InputError)


def test_search_by_id_and_title(registry: Registry) -> None:
    ids = {
        name: registry.create_case(Case(id=name, title=title), actor="alice")
        for name, title in [
            ("kyoto-001", "POEMS with IgG4-related pancreatitis"),
            ("kyoto-002", "CIDP mimicking POEMS"),
            ("osaka-17", "100% sure: MGUS_like"),
        ]
    }
    assert {c.external_id for c in registry.list_cases("kyoto")} == {"kyoto-001", "kyoto-002"}
    assert [c.external_id for c in registry.list_cases("igg4")] == ["kyoto-001"]  # any case
    assert [c.external_id for c in registry.list_cases("POEMS", limit=1)] == ["kyoto-002"]
    assert [c.external_id for c in registry.list_cases("POEMS", limit=1, offset=1)] == ["kyoto-001"]
    assert [c.id for c in registry.list_cases(ids["osaka-17"][:10])] == [ids["osaka-17"]]
    assert [c.external_id for c in registry.list_cases("100%")] == ["osaka-17"]  # % is literal
    assert registry.list_cases("0%s") == []
    assert [c.external_id for c in registry.list_cases("_like")] == ["osaka-17"]
    assert registry.count_cases() == 3 and registry.count_cases("kyoto") == 2
    assert registry.list_cases("  ") == registry.list_cases()


def test_soft_delete_hides_but_keeps(registry: Registry, seed: Case) -> None:
    keep = registry.create_case(Case(id="keep"), actor="alice")
    gone = registry.create_case(seed, actor="alice")
    registry.delete_case(gone, actor="carol")
    assert [c.id for c in registry.list_cases()] == [keep]
    assert registry.count_cases() == 1
    with pytest.raises(NotFoundError, match="was deleted"):
        registry.get_case(gone)
    with pytest.raises(NotFoundError, match="was deleted"):
        registry.update_case(gone, seed, actor="carol")
    with pytest.raises(NotFoundError, match="was deleted"):
        registry.delete_case(gone, actor="carol")
    assert registry.get_case(gone, include_deleted=True) == seed  # data kept
    assert registry.observations("vegf") == []  # hidden from queries too
    assert [(a.action, a.actor) for a in registry.audit(gone)] == [
        ("created", "alice"),
        ("deleted", "carol"),
    ]
    assert registry.check_integrity() == []


def test_records_are_frozen(registry: Registry) -> None:
    registry.create_case(Case(id="x"), actor="alice")
    (summary,) = registry.list_cases()
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.title = "changed"  # type: ignore[misc]
