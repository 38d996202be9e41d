"""Structural FHIR validation and its memory of resources that passed: the same JSON is
checked once, changed JSON is checked again (so an edit that breaks a resource is always
caught), failures are never remembered, and the memory is bounded."""

from __future__ import annotations

import copy
import gc
from typing import Any

import pytest

from poemsdx import InputError
from poemsdx.io.fhir import _validate
from poemsdx.io.fhir._validate import ValidatedResources, validate_resource


def platelets(value: float = 412.0) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "plt-1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
        "valueQuantity": {"value": value, "unit": "10*3/uL"},
    }


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every real model validation; start with an empty memory."""
    calls: list[str] = []
    real = _validate._check

    def counting(data: dict[str, Any], source: str, path: str) -> None:
        calls.append(str(data.get("id")))
        real(data, source, path)

    monkeypatch.setattr(_validate, "_check", counting)
    monkeypatch.setattr(_validate, "VALIDATED", ValidatedResources())
    return calls


def test_the_same_json_is_validated_once(checks: list[str]) -> None:
    validate_resource(platelets(), "t", "obs")
    validate_resource(platelets(), "t", "obs")  # an equal copy, not the same object
    assert checks == ["plt-1"]


def test_changed_json_is_validated_again(checks: list[str]) -> None:
    validate_resource(platelets(412.0), "t", "obs")
    validate_resource(platelets(413.0), "t", "obs")
    assert checks == ["plt-1", "plt-1"]


def test_a_resource_broken_after_it_passed_is_still_rejected(checks: list[str]) -> None:
    good = platelets()
    validate_resource(good, "t", "obs")
    broken = copy.deepcopy(good)
    broken["valueQuantity"]["colour"] = "red"  # same id, an element FHIR does not have
    with pytest.raises(InputError, match="unknown element 'colour'") as err:
        validate_resource(broken, "t", "obs")
    assert err.value.location is not None
    assert err.value.location.path == "obs.valueQuantity.colour"


def test_failures_are_not_remembered(checks: list[str]) -> None:
    bad = {**platelets(), "status": 7}
    for _ in range(2):
        with pytest.raises(InputError, match="invalid FHIR R4 Observation"):
            validate_resource(bad, "t", "obs")
    assert checks == ["plt-1", "plt-1"]
    assert len(_validate.VALIDATED) == 0


def test_without_remember_nothing_is_kept(checks: list[str]) -> None:
    for _ in range(2):
        validate_resource(platelets(), "t", "obs", remember=False)
    assert checks == ["plt-1", "plt-1"]
    assert len(_validate.VALIDATED) == 0


def test_memory_is_bounded_and_least_recently_used_goes_first() -> None:
    memory = ValidatedResources(capacity=2)
    keys = [ValidatedResources.digest(platelets(v)) for v in (1.0, 2.0, 3.0)]
    assert None not in keys and len(set(keys)) == 3
    a, b, c = (k for k in keys if k is not None)
    memory.add(a)
    memory.add(b)
    assert a in memory  # touching a makes b the oldest
    memory.add(c)
    assert len(memory) == 2
    assert a in memory and c in memory and b not in memory


def test_non_json_values_are_validated_but_not_remembered(checks: list[str]) -> None:
    odd = {**platelets(), "valueQuantity": {"value": float("nan"), "unit": "10*3/uL"}}
    assert ValidatedResources.digest(odd) is None
    with pytest.raises(InputError):
        validate_resource(odd, "t", "obs")
    assert checks == ["plt-1"]


def test_settle_builds_the_models_and_freezes_them() -> None:
    import poemsdx
    from poemsdx.web.app import settle

    try:
        settle(poemsdx.load_knowledge())
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
