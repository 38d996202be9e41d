"""``poemsdx extract`` and ``poemsdx evaluate note.txt``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from poemsdx.cli import app, main

NOTE = (
    "症例は57歳男性である．\n現病歴:両下肢のしびれ．\n"
    "検査所見:血清VEGF 1,700pg/ml（基準値＜220pg/ml），血清でIgG-λ型M蛋白陽性．肝脾腫はなかった．\n"
)


@pytest.fixture
def note(tmp_path: Path) -> Path:
    path = tmp_path / "note.txt"
    path.write_text(NOTE, encoding="utf-8")
    return path


def test_text_output_has_quotes_and_spans(note: Path) -> None:
    result = CliRunner().invoke(app, ["extract", str(note)])
    assert result.exit_code == 0, result.output
    assert "document: note (patient_record)" in result.output
    assert "patient: age 57.0, sex male" in result.output
    line = next(x for x in result.output.splitlines() if x.startswith("hepatosplenomegaly"))
    start, end = (int(v) for v in line.split("[")[1].split("]")[0].split(":"))
    assert NOTE[start:end] == "肝脾腫はなかった"


def test_json_output_is_the_case(note: Path, tmp_path: Path) -> None:
    out = tmp_path / "case.json"
    result = CliRunner().invoke(
        app, ["extract", str(note), "--format", "json", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    concepts = {o["concept"] for o in data["observations"]}
    assert {"vegf", "m_protein", "hepatosplenomegaly"} <= concepts
    assert data["documents"][0]["text"] == NOTE


def _main(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["poemsdx", *args])
    with pytest.raises(SystemExit) as info:
        main()
    code = info.value.code
    return (0 if code is None else int(code)), capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["extract", "missing.txt"], "cannot read file"),
        (["extract", "missing.txt", "--mentions"], "cannot read file"),
        (["extract", "note.txt", "--format", "xml"], "unknown format 'xml'"),
    ],
)
def test_errors_are_one_line_with_exit_2(
    args: list[str],
    message: str,
    note: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(note.parent)
    code, err = _main(args, capsys, monkeypatch)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and message in err


def test_evaluate_reads_a_note(note: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", str(note), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["case"]["documents"][0].get("kind", "patient_record") == "patient_record"
    assert data["assessments"]
