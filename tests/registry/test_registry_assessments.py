"""Assessments are stored whole, never changed, and reproducible; the audit trail records
who did what with ids only. Runs on SQLite and PostgreSQL (see conftest)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from poemsdx import Case, InputError, Knowledge, evaluate, load_case
from poemsdx.errors import RegistryError
from poemsdx.registry import Registry
from poemsdx.registry.canonical import canonical_json, sha256_hex
from poemsdx.registry.orm import AssessmentRow

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-poems-igg4-aip.yaml"


@pytest.fixture(scope="module")
def seed(kb: Knowledge) -> Case:
    return load_case(SEED, kb)


@pytest.fixture
def stored(registry: Registry, seed: Case, kb: Knowledge) -> tuple[str, str]:
    """(case id, assessment id) of the evaluated seed case."""
    case_id = registry.create_case(seed, actor="alice")
    evaluation = evaluate(registry.get_case(case_id), kb=kb)
    return case_id, registry.save_evaluation(case_id, evaluation, actor="alice")


def test_assessment_is_stored_whole(
    registry: Registry, stored: tuple[str, str], kb: Knowledge
) -> None:
    case_id, aid = stored
    a = registry.get_assessment(aid)
    assert (a.case_id, a.case_version, a.actor) == (case_id, 1, "alice")
    assert a.knowledge_version == kb.version and a.engine_version
    assert a.params == {} and "poems-imwg" in a.criteria
    status = {x["criteria_id"]: x["status"] for x in a.result["assessments"]}
    assert status["poems-imwg"] == "met"
    assert a.result_sha256 == sha256_hex(canonical_json(a.result))
    assert len(a.input_sha256) == 64
    assert [x.id for x in registry.list_assessments(case_id)] == [aid]


def test_reproducible_from_what_is_stored(
    registry: Registry, stored: tuple[str, str], kb: Knowledge
) -> None:
    """Re-evaluating the stored case version with the same knowledge and engine gives the
    same result hash."""
    case_id, aid = stored
    a = registry.get_assessment(aid)
    again = evaluate(registry.get_case(case_id, version=a.case_version), kb=kb, params=a.params)
    assert sha256_hex(canonical_json(again.to_dict())) == a.result_sha256
    check = registry.verify_assessment(aid, kb)
    assert check.reproduced and check.input_intact and check.result_intact, check.reason


def test_parameters_are_part_of_the_input(
    registry: Registry, stored: tuple[str, str], kb: Knowledge
) -> None:
    case_id, aid = stored
    alt = evaluate(registry.get_case(case_id), kb=kb, params={"vegf_rule": "serum_1000"})
    aid2 = registry.save_evaluation(case_id, alt, actor="bob")
    a, b = registry.get_assessment(aid), registry.get_assessment(aid2)
    assert b.params == {"vegf_rule": "serum_1000"}
    assert a.input_sha256 != b.input_sha256
    assert registry.verify_assessment(aid2, kb).reproduced


def test_old_assessment_stays_with_its_version(
    registry: Registry, stored: tuple[str, str], kb: Knowledge
) -> None:
    case_id, aid = stored
    registry.update_case(case_id, registry.get_case(case_id).model_copy(update={"notes": "x"}), "b")
    assert registry.get_assessment(aid).case_version == 1
    assert registry.verify_assessment(aid, kb).reproduced
    # an evaluation of a case that is not stored cannot be saved
    loose = evaluate(Case(id="not-stored"), kb=kb)
    with pytest.raises(InputError, match="not a stored version"):
        registry.save_evaluation(case_id, loose, actor="bob")


def test_assessments_cannot_be_modified(registry: Registry, stored: tuple[str, str]) -> None:
    _, aid = stored
    a = registry.get_assessment(aid)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.actor = "mallory"  # type: ignore[misc]
    a.result["assessments"].clear()  # a copy: nothing stored changes
    assert registry.get_assessment(aid).result["assessments"]
    # the database refuses UPDATE and DELETE (triggers) …
    for sql in (
        "UPDATE assessments SET actor = 'mallory'",
        "DELETE FROM assessments",
        "UPDATE audit SET actor = 'mallory'",
        "DELETE FROM audit",
        "DELETE FROM case_versions",
    ):
        with pytest.raises(DBAPIError, match="written once"), registry.engine.begin() as conn:
            conn.execute(text(sql))
    # … and so does the ORM
    with Session(registry.engine) as s, pytest.raises(RegistryError, match="written once"):
        row = s.get(AssessmentRow, aid)
        assert row is not None
        row.actor = "mallory"
        s.flush()
    after = registry.get_assessment(aid)
    assert after.actor == "alice" and after.result_sha256 == a.result_sha256
    assert registry.check_integrity() == []


def test_audit_trail(registry: Registry, seed: Case, kb: Knowledge) -> None:
    case_id = registry.create_case(seed, actor="alice")
    registry.add_observations(case_id, [seed.observations[0]], actor="bob")
    aid = registry.save_evaluation(case_id, evaluate(registry.get_case(case_id), kb=kb), "bob")
    registry.record_export(case_id, "carol", fmt="pdf", assessment_id=aid)
    registry.delete_case(case_id, actor="dave")
    entries = registry.audit(case_id)
    assert [(e.action, e.actor, e.case_version) for e in entries] == [
        ("created", "alice", 1),
        ("changed", "bob", 2),
        ("evaluated", "bob", 2),
        ("exported", "carol", 2),
        ("deleted", "dave", 2),
    ]
    assert entries[2].assessment_id == aid and entries[3].assessment_id == aid
    assert entries[1].detail == {"observations_added": 1, "previous_version": 1, "version": 2}
    assert entries[3].detail == {"format": "pdf"}
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert registry.audit() == entries  # all cases: the same, only one case here


def test_audit_never_holds_patient_text(registry: Registry, seed: Case, kb: Knowledge) -> None:
    case_id = registry.create_case(seed, actor="alice")
    registry.update_case(case_id, seed.model_copy(update={"title": "Mr T., Kyoto"}), "bob")
    registry.save_evaluation(case_id, evaluate(registry.get_case(case_id), kb=kb), "bob")
    registry.record_export(case_id, "carol", fmt="html")
    dumped = json.dumps([dataclasses.asdict(e) for e in registry.audit()], default=str)
    texts = [seed.title or "", "Mr T., Kyoto", "Kyoto", "57-year-old", "seed-report"]
    texts += [e.note for o in seed.observations for e in o.evidence if e.note]
    for words in texts:
        assert words not in dumped
    allowed = {
        "version", "previous_version", "observations", "documents", "observations_added",
        "criteria", "knowledge_version", "engine_version", "format",
    }  # fmt: skip
    for e in registry.audit():
        assert set(e.detail) <= allowed


def test_integrity_check_finds_tampering(tmp_path: Path, seed: Case, kb: Knowledge) -> None:
    """Only someone bypassing the triggers can change stored rows; the check notices."""
    reg = Registry.open(f"sqlite:///{tmp_path / 'r.sqlite3'}", kb=kb)
    case_id = reg.create_case(seed, actor="alice")
    aid = reg.save_evaluation(case_id, evaluate(reg.get_case(case_id), kb=kb), "alice")
    with reg.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER assessments_no_update"))
        conn.execute(text("UPDATE assessments SET result_json = '{}'"))
    problems = reg.check_integrity()
    assert problems == [f"assessment {aid}: result does not match its SHA-256"]
    assert not reg.verify_assessment(aid, kb).reproduced
    reg.close()


@pytest.mark.slow
def test_reproduced_in_another_process(tmp_path: Path, seed: Case, kb: Knowledge) -> None:
    """Another interpreter (another hash seed) re-evaluates the stored case: same hash."""
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    with Registry.open(url, kb=kb) as reg:
        case_id = reg.create_case(seed, actor="alice")
        aid = reg.save_evaluation(case_id, evaluate(reg.get_case(case_id), kb=kb), "alice")
    script = (
        "import sys; from poemsdx.registry import Registry\n"
        "with Registry.open(sys.argv[1]) as reg:\n"
        "    r = reg.verify_assessment(sys.argv[2])\n"
        "print(r.reproduced, r.new_result_sha256)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script, url, aid], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    with Registry.open(url, kb=kb) as reg:
        assert out.stdout.split() == ["True", reg.get_assessment(aid).result_sha256]
