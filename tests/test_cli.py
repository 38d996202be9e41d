"""The ``poemsdx`` command line: contracts of DESIGN.md, bad input, documentation.

Two ways in:

* ``subprocess`` — ``python -m poemsdx ...`` exactly as a user runs it (interpreter start,
  ``__main__``, real stderr). Each run costs ~2 s of start-up, so a representative set is
  launched once, concurrently, by the ``runs`` fixture.
* in process — the same entry point (``poemsdx.cli.main``) with ``sys.argv`` set, for the
  long tables of bad input and options.

Bad input always means: exit code 2, exactly one line on stderr starting ``error:``, and
no traceback anywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

import poemsdx
from poemsdx.cli import app, main

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "seed-poems-igg4-aip.yaml"
README = ROOT / "README.md"
SHIPPED = Path(poemsdx.__file__).parent / "data"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def _assert_one_line_error(r: Result) -> None:
    assert r.code == 2, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("error: "), r.err
    assert "Traceback" not in r.out + r.err


# -- in-process runner -----------------------------------------------------------------------

Run = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    def run(*args: str | Path) -> Result:
        monkeypatch.setattr(sys, "argv", ["poemsdx", *map(str, args)])
        with pytest.raises(SystemExit) as info:
            main()
        out, err = capsys.readouterr()
        code = info.value.code
        return Result(0 if code is None else int(code), out, err)

    return run


# -- bad case files (the same inputs as tests/io/test_case_loader.py) ------------------------

BAD_FILES = {
    "malformed.json": '{"observations": [\n  {"kind": "finding" "concept": "papilledema"}\n]}\n',
    "malformed.yaml": "observations:\n  - kind: finding\n    status: present: yes\n",
    "duplicate.yaml": "patient: {age: 50}\npatient: {age: 60}\n",
    "duplicate.json": '{"patient": {"age": 50}, "patient": {"age": 60}}',
    "list.yaml": "- kind: finding\n  concept: papilledema\n",
    "unknown-field.yaml": "patient: {age: 50}\ncolour: red\n",
    "unknown-concept.yaml": (
        "observations:\n  - {kind: finding, concept: papiledema, status: present}\n"
    ),
    "finding-as-measurement.yaml": (
        "observations:\n  - {kind: measurement, concept: papilledema, value: 3, unit: mg/dL}\n"
    ),
    "unknown-unit.yaml": (
        "observations:\n"
        "  - {kind: measurement, concept: igg4, value: 300, unit: mg/xx, specimen: serum}\n"
    ),
    "incompatible-unit.yaml": (
        "observations:\n"
        "  - {kind: measurement, concept: igg4, value: 300, unit: mV, specimen: serum}\n"
    ),
    "negative.yaml": (
        "observations:\n"
        "  - {kind: measurement, concept: igg4, value: -3, unit: mg/dL, specimen: serum}\n"
    ),
    "percentage.yaml": (
        "observations:\n  - {kind: measurement, concept: bone_marrow_plasma_cells,"
        ' value: 130, unit: "%", specimen: bone_marrow}\n'
    ),
    "vegf-no-specimen.yaml": (
        "observations:\n  - {kind: measurement, concept: vegf, value: 1500, unit: pg/mL}\n"
    ),
    "unknown-anchor.yaml": (
        "observations:\n  - {kind: finding, concept: papilledema, status: present,"
        " time: {anchor: admision}}\n"
    ),
    "unknown-nerve.yaml": (
        "observations:\n  - {kind: nerve_conduction, nerve: sciatic, modality: motor}\n"
    ),
    "empty.yaml": "",
    "not-utf8.yaml": b"title: caf\xe9\n",
    "folder": None,  # a folder instead of a file
    "missing.yaml": None,  # does not exist
}


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad")
    for name, content in BAD_FILES.items():
        if name == "folder":
            (root / name).mkdir()
        elif isinstance(content, bytes):
            (root / name).write_bytes(content)
        elif content is not None:
            (root / name).write_text(content, encoding="utf-8")
    return root


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_case_file_gives_one_error_line_and_exit_2(cli: Run, bad_dir: Path, name: str) -> None:
    r = cli("evaluate", bad_dir / name)
    _assert_one_line_error(r)
    assert name in r.err  # says which file
    assert r.out == ""


def test_vegf_without_specimen_mentions_serum_and_plasma_and_lenient_runs(
    cli: Run, bad_dir: Path
) -> None:
    r = cli("evaluate", bad_dir / "vegf-no-specimen.yaml")
    _assert_one_line_error(r)
    assert "serum" in r.err and "plasma" in r.err
    r = cli("evaluate", bad_dir / "vegf-no-specimen.yaml", "--lenient", "--format", "json")
    assert r.code == 0, r.err
    imwg = _assessment(json.loads(r.out), "poems-imwg")
    assert _item(imwg["items"], "vegf")["status"] == "unknown"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--param", "vegf_rul=serum_1000"], "unknown parameter 'vegf_rul'"),
        (["--param", "vegf_rule=serum_999"], "'serum_999' is not a value of parameter"),
        (["--param", "vegf_rule"], "NAME=VALUE"),
        (["--param", "=serum_1000"], "NAME=VALUE"),
        (["--criteria", "poems-nope"], "unknown criteria set 'poems-nope'"),
        (["--format", "pdf-ish"], "pdf-ish"),
        (["--lang", "xx"], "'xx'"),
    ],
    ids=[
        "param-unknown-name",
        "param-unknown-value",
        "param-missing-equals",
        "param-missing-name",
        "unknown-criteria",
        "unknown-format",
        "unknown-language",
    ],
)
def test_bad_option_gives_one_error_line_and_exit_2(cli: Run, args: list[str], words: str) -> None:
    r = cli("evaluate", SEED, *args)
    _assert_one_line_error(r)
    assert words in r.err


def test_output_into_a_missing_folder(cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "report.json"
    r = cli("evaluate", SEED, "--format", "json", "--output", target)
    _assert_one_line_error(r)
    assert "folder" in r.err
    assert not target.parent.exists()


def test_output_onto_an_existing_folder(cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "reports"
    target.mkdir()
    r = cli("evaluate", SEED, "--format", "json", "--output", target)
    _assert_one_line_error(r)
    assert "reports" in r.err
    assert list(target.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]  # no temp file left


@pytest.mark.parametrize(
    "failing",
    [["--param", "vegf_rule=nope"], ["--lang", "xx"], ["--criteria", "nope"]],
    ids=["bad-param", "bad-language", "bad-criteria"],
)
def test_failed_run_leaves_an_existing_report_untouched(
    cli: Run, tmp_path: Path, failing: list[str]
) -> None:
    target = tmp_path / "report.json"
    target.write_text("the previous report\n", encoding="utf-8")
    r = cli("evaluate", SEED, "--format", "json", "--output", target, *failing)
    _assert_one_line_error(r)
    assert target.read_text(encoding="utf-8") == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temp files


def test_failed_input_leaves_an_existing_report_untouched(
    cli: Run, tmp_path: Path, bad_dir: Path
) -> None:
    target = tmp_path / "report.html"
    target.write_text("<p>previous</p>", encoding="utf-8")
    r = cli("evaluate", bad_dir / "unknown-unit.yaml", "--format", "html", "--output", target)
    _assert_one_line_error(r)
    assert target.read_text(encoding="utf-8") == "<p>previous</p>"


def test_output_is_written_and_replaces_the_old_report(cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    r = cli("evaluate", SEED, "--format", "json", "--output", target)
    assert r.code == 0, r.err
    assert r.out == ""
    data = json.loads(target.read_text(encoding="utf-8"))
    assert _assessment(data, "poems-imwg")["status"] == "met"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


# -- evaluate: the JSON contract ------------------------------------------------------------


def _assessment(data: dict[str, object], criteria_id: str) -> dict[str, object]:
    found = [a for a in data["assessments"] if a["criteria_id"] == criteria_id]  # type: ignore[attr-defined, index]
    assert len(found) == 1, criteria_id
    return found[0]  # type: ignore[no-any-return]


def _item(tree: object, item_id: str) -> dict[str, object]:
    stack = [tree]
    while stack:
        node = stack.pop()
        assert isinstance(node, dict)
        if node.get("item_id") == item_id and node.get("kind") == "item":
            return node
        stack.extend(node.get("children", []))
    raise KeyError(item_id)


def _check_contract(data: dict[str, object]) -> None:
    """DESIGN.md: one object with `case` and `assessments`; each assessment has
    criteria_id, status, category, items (the tree), missing and next_tests."""
    assert isinstance(data["case"], dict)
    assert isinstance(data["assessments"], list)
    assert data["assessments"]
    for a in data["assessments"]:
        for key in ("criteria_id", "status", "category", "items", "missing", "next_tests"):
            assert key in a, key
        assert a["status"] in ("met", "not_met", "undetermined")
        assert a["category"] is None or isinstance(a["category"], str)
        assert isinstance(a["items"], dict) and a["items"]["status"] in ("true", "false", "unknown")
        assert isinstance(a["missing"], list) and isinstance(a["next_tests"], list)
        for m in a["missing"]:
            assert m["label"] and isinstance(m["tests"], list)
        for t in a["next_tests"]:
            assert t["id"] and t["settles"]
        if a["status"] == "not_met":
            assert a["missing"] == [] and a["next_tests"] == []


def test_evaluate_json_contract_in_process(cli: Run) -> None:
    r = cli("evaluate", SEED, "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    _check_contract(data)
    kb = poemsdx.load_knowledge()
    assert {a["criteria_id"] for a in data["assessments"]} == set(kb.criteria)
    assert data["case"]["id"] == "seed-poems-igg4-aip"


@pytest.mark.parametrize(
    ("rule", "status"),
    [
        ("lab_uln", "met"),
        ("serum_1000", "met"),
        ("plasma_200", "undetermined"),
        ("serum_1920", "undetermined"),
    ],
)
def test_param_changes_the_verdict(cli: Run, rule: str, status: str) -> None:
    r = cli("evaluate", SEED, "-c", "poems-imwg", "-p", f"vegf_rule={rule}", "-f", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert [a["criteria_id"] for a in data["assessments"]] == ["poems-imwg"]
    assert data["assessments"][0]["status"] == status
    assert data["assessments"][0]["parameters"]["vegf_rule"] == rule


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_every_report_format_renders(cli: Run, fmt: str) -> None:
    r = cli("evaluate", SEED, "--criteria", "poems-imwg", "--format", fmt)
    assert r.code == 0, r.err
    assert "poems-imwg" in r.out or "POEMS" in r.out


# -- criteria, lint, schema -----------------------------------------------------------------


def test_criteria_list_json_lists_every_set(cli: Run) -> None:
    r = cli("criteria", "list", "--format", "json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    kb = poemsdx.load_knowledge()
    assert sorted(row["id"] for row in rows) == sorted(kb.criteria)
    for row in rows:
        assert row["version"] == kb.criteria[row["id"]].header.version
        assert row["source"] in kb.criteria[row["id"]].header.citation
        assert isinstance(row["unverified"], int) and row["unverified"] >= 0
    imwg = next(row for row in rows if row["id"] == "poems-imwg")
    assert imwg["unverified"] >= 1  # serum VEGF ≥ 1,920 pg/mL


def test_criteria_list_text(cli: Run) -> None:
    r = cli("criteria", "list")
    assert r.code == 0, r.err
    for cid in poemsdx.load_knowledge().criteria:
        assert cid in r.out


def test_criteria_show_items_thresholds_and_tags(cli: Run) -> None:
    r = cli("criteria", "show", "poems-imwg")
    assert r.code == 0, r.err
    kb = poemsdx.load_knowledge()
    for item in kb.criteria["poems-imwg"].items:
        assert f"  {item}" in r.out, item
    assert "parameter vegf_rule (default lab_uln)" in r.out
    thresholds = r.out.split("\nthresholds:\n", 1)[1].splitlines()
    assert any("1,920" in t and "UNVERIFIED" in t for t in thresholds)
    assert any("1,000" in t and "— VERIFIED" in t for t in thresholds)
    tags = ("— VERIFIED:", "— CORROBORATED:", "— UNVERIFIED:")
    assert all(any(tag in t for tag in tags) for t in thresholds if t.strip()), thresholds


def test_criteria_list_and_show_agree_on_unverified_counts(cli: Run) -> None:
    rows = json.loads(cli("criteria", "list", "--format", "json").out)
    for row in rows:
        shown = cli("criteria", "show", row["id"]).out.split("\nthresholds:\n", 1)[1]
        tags = [line for line in shown.splitlines() if "— UNVERIFIED:" in line]
        assert len(tags) == row["unverified"], row["id"]


def test_criteria_show_unknown_id(cli: Run) -> None:
    r = cli("criteria", "show", "poems-nope")
    _assert_one_line_error(r)
    assert "poems-imwg" in r.err  # lists the known ones


def test_lint_shipped_knowledge_is_clean(cli: Run) -> None:
    r = cli("lint")
    assert r.code == 0, r.out + r.err
    assert "clean" in r.out


def test_lint_broken_folder_lists_every_problem(cli: Run, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(SHIPPED, folder)
    crit = folder / "criteria" / "poems-imwg.yaml"
    text = crit.read_text(encoding="utf-8")
    crit.write_text(
        text.replace(
            "items:\n", "items:\n  papilledema: {label: x, logic: {finding: papilledema}}\n", 1
        ),
        encoding="utf-8",
    )
    concepts = folder / "concepts.yaml"
    text = concepts.read_text(encoding="utf-8")
    concepts.write_text(
        text.replace("    kind: finding\n", "    kind: finding\n    colour: red\n", 1),
        encoding="utf-8",
    )
    r = cli("lint", folder)
    assert r.code == 1, r
    assert "Traceback" not in r.out + r.err
    assert "poems-imwg.yaml:" in r.out and "duplicate key 'papilledema'" in r.out
    assert "concepts.yaml:" in r.out and "unknown key 'colour'" in r.out
    assert "2 problem(s)" in r.err


def test_schema_case_is_a_json_schema(cli: Run) -> None:
    r = cli("schema", "case")
    assert r.code == 0, r.err
    schema = json.loads(r.out)
    assert schema["type"] == "object"
    assert {"observations", "patient", "events"} <= set(schema["properties"])
    assert schema == poemsdx.Case.model_json_schema()


def test_version(cli: Run) -> None:
    r = cli("--version")
    assert (r.code, r.out.strip()) == (0, f"poemsdx {poemsdx.__version__}")


# -- the same, through a real interpreter ----------------------------------------------------

SUBPROCESS_RUNS = {
    "version": ["--version"],
    "malformed-json": ["evaluate", "{bad}/malformed.json"],
    "seed-json": ["evaluate", str(SEED), "--format", "json"],
    "imwg-1920": [
        "evaluate",
        str(SEED),
        "--criteria",
        "poems-imwg",
        "--param",
        "vegf_rule=serum_1920",
        "--format",
        "json",
    ],
}


@pytest.fixture(scope="module")
def runs(bad_dir: Path) -> dict[str, Result]:
    """Every subprocess run, started together (they are independent)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POEMSDX_")}

    def one(args: list[str]) -> Result:
        p = subprocess.run(
            [sys.executable, "-m", "poemsdx", *(a.replace("{bad}", str(bad_dir)) for a in args)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        return Result(p.returncode, p.stdout, p.stderr)

    with ThreadPoolExecutor(max_workers=len(SUBPROCESS_RUNS)) as pool:
        results = pool.map(one, SUBPROCESS_RUNS.values())
    return dict(zip(SUBPROCESS_RUNS, results, strict=True))


def test_subprocess_bad_input(runs: dict[str, Result]) -> None:
    r = runs["malformed-json"]
    _assert_one_line_error(r)
    assert "malformed.json:2:" in r.err
    assert r.out == ""


def test_subprocess_evaluate_json_contract(runs: dict[str, Result]) -> None:
    r = runs["seed-json"]
    assert r.code == 0, r.err
    assert "Traceback" not in r.err
    _check_contract(json.loads(r.out))


def test_subprocess_serum_1920_is_undetermined(runs: dict[str, Result]) -> None:
    r = runs["imwg-1920"]
    assert r.code == 0, r.err
    (a,) = json.loads(r.out)["assessments"]
    assert (a["criteria_id"], a["status"]) == ("poems-imwg", "undetermined")
    assert a["parameters"]["vegf_rule"] == "serum_1920"
    assert a["next_tests"]


def test_subprocess_version(runs: dict[str, Result]) -> None:
    assert (runs["version"].code, runs["version"].out.strip()) == (
        0,
        f"poemsdx {poemsdx.__version__}",
    )


# -- documentation ----------------------------------------------------------------------------


def _commands() -> list[tuple[str, list[str]]]:
    """(command path, its long options) for every command of the app, ``--help`` excluded.

    Typer builds click-style command objects (its own vendored click, so duck typing)."""
    out: list[tuple[str, list[str]]] = []

    def walk(cmd: Any, path: str, parent: Any = None) -> None:
        ctx = cmd.make_context(path or "poemsdx", [], parent=parent, resilient_parsing=True)
        options = [
            o
            for p in cmd.params
            if getattr(p, "param_type_name", "") == "option"
            for o in p.opts
            if o.startswith("--") and o != "--help"
        ]
        out.append((path, options))
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), f"{path} {name}".strip(), ctx)

    walk(typer.main.get_command(app), "")
    return out


def test_every_command_and_option_is_documented_in_the_readme() -> None:
    assert README.exists(), "README.md is missing"
    text = README.read_text(encoding="utf-8")
    commands = _commands()
    assert {"evaluate", "lint", "criteria list", "criteria show", "schema case"} <= {
        c for c, _ in commands
    }
    undocumented = [f"poemsdx {c}".strip() for c, _ in commands if c and f"poemsdx {c}" not in text]
    undocumented += [o for _, options in commands for o in options if o not in text]
    assert undocumented == []
