"""Case files (JSON/YAML) that are wrong: every problem is an ``InputError`` saying what is
wrong and where — ``file:line:col`` for YAML, the JSON path (or line) for JSON.

Each case is a few lines written to a temporary file, e.g. an unknown unit::

    observations:
      - kind: measurement
        concept: igg4
        value: 300
        unit: mg/xx          ← line 5: "unknown unit 'mg/xx'"
        specimen: serum
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import poemsdx
from poemsdx import InputError, Knowledge


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return poemsdx.load_knowledge()


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def _measurement(concept: str, lines: str) -> str:
    return f"observations:\n  - kind: measurement\n    concept: {concept}\n{lines}"


VEGF_NO_SPECIMEN = """
    patient: {sex: male}
    observations:
      - kind: finding
        concept: papilledema
        status: present
      - kind: measurement
        concept: vegf
        value: 1500
        unit: pg/mL
    """

# (file name, content, where: text that must appear, what: words that must appear)
BAD = [
    pytest.param(
        "case.json",
        '{"observations": [\n  {"kind": "finding" "concept": "papilledema"}\n]}\n',
        "case.json:2:",
        ["invalid JSON", "delimiter"],
        id="malformed-json",
    ),
    pytest.param(
        "case.yaml",
        "observations:\n  - kind: finding\n    concept: papilledema\n    status: present: yes\n",
        "case.yaml:4:",
        ["invalid YAML"],
        id="malformed-yaml",
    ),
    pytest.param(
        "case.yaml",
        "patient: {age: 50}\nid: a\npatient: {age: 60}\n",
        "case.yaml:3:",
        ["duplicate key 'patient'", "line 1"],
        id="duplicate-key-yaml",
    ),
    pytest.param(
        "case.json",
        '{"patient": {"age": 50},\n "patient": {"age": 60}}\n',
        "case.json",
        ["duplicate key 'patient'"],
        id="duplicate-key-json",
    ),
    pytest.param(
        "case.yaml",
        "- kind: finding\n  concept: papilledema\n  status: present\n",
        "case.yaml",
        ["mapping"],
        id="top-level-list",
    ),
    pytest.param(
        "case.json",
        '"just a string"',
        "case.json",
        ["mapping"],
        id="top-level-string-json",
    ),
    pytest.param(
        "case.yaml",
        "patient: {age: 50}\ncolour: red\n",
        "case.yaml:2:",
        ["unknown field 'colour'"],
        id="unknown-field-yaml",
    ),
    pytest.param(
        "case.json",
        '{"observations": [{"kind": "finding", "concept": "papilledema",\n'
        '  "status": "present", "colour": "red"}]}',
        "observations[0].colour",
        ["unknown field 'colour'"],
        id="unknown-field-json",
    ),
    pytest.param(
        "case.yaml",
        "observations:\n  - kind: finding\n    concept: papiledema\n    status: present\n",
        "case.yaml:3:",
        ["unknown concept 'papiledema'", "did you mean papilledema"],
        id="unknown-concept-did-you-mean",
    ),
    pytest.param(
        "case.json",
        '{"observations": [{"kind": "finding", "concept": "papiledema", "status": "present"}]}',
        "observations[0].concept",
        ["unknown concept 'papiledema'", "did you mean papilledema"],
        id="unknown-concept-json",
    ),
    pytest.param(
        "case.yaml",
        _measurement("papilledema", "    value: 3\n    unit: mg/dL\n"),
        "case.yaml:2:",
        ["'papilledema' is a finding", "kind: finding"],
        id="finding-as-measurement",
    ),
    pytest.param(
        "case.yaml",
        "observations:\n  - kind: finding\n    concept: igg4\n    status: present\n",
        "case.yaml:2:",
        ["'igg4' is a measurement"],
        id="measurement-as-finding",
    ),
    pytest.param(
        "case.yaml",
        _measurement("igg4", "    value: 300\n    unit: mg/xx\n    specimen: serum\n"),
        "case.yaml:5:",
        ["unknown unit 'mg/xx'", "mg/dL"],
        id="unknown-unit",
    ),
    pytest.param(
        "case.yaml",
        _measurement("igg4", "    value: 300\n    unit: mV\n    specimen: serum\n"),
        "case.yaml:5:",
        ["unit 'mV' does not fit igg4", "mass concentration", "mg/dL"],
        id="incompatible-unit",
    ),
    pytest.param(
        "case.yaml",
        _measurement(
            "igg4",
            "    value: 300\n    unit: mg/dL\n    specimen: serum\n"
            "    reference_range: {high: 105, unit: mV}\n",
        ),
        "case.yaml:7:",
        ["unit 'mV' does not fit igg4"],
        id="incompatible-reference-range-unit",
    ),
    pytest.param(
        "case.yaml",
        _measurement("igg4", "    value: -3\n    unit: mg/dL\n    specimen: serum\n"),
        "observations[0]",
        ["negative", "-3"],
        id="negative-value",
    ),
    pytest.param(
        "case.yaml",
        _measurement(
            "bone_marrow_plasma_cells", '    value: 130\n    unit: "%"\n    specimen: bone_marrow\n'
        ),
        "observations[0]",
        ["percentage", "100", "130"],
        id="percentage-above-100",
    ),
    pytest.param(
        "case.yaml",
        _measurement("igg4", "    value: 300\n    unit: mg/dL\n    specimen: csf\n"),
        "case.yaml:6:",
        ["specimen 'csf'", "serum"],
        id="specimen-not-allowed",
    ),
    pytest.param(
        "case.yaml",
        VEGF_NO_SPECIMEN,
        "case.yaml:6:",
        ["VEGF", "specimen", "serum", "plasma"],
        id="vegf-without-specimen",
    ),
    pytest.param(
        "case.yaml",
        "observations:\n  - kind: finding\n    concept: papilledema\n    status: present\n"
        "    time: {anchor: admision, offset: P1M}\n",
        "case.yaml:5:",
        ["unknown time anchor 'admision'", "admission"],
        id="unknown-time-anchor",
    ),
    pytest.param(
        "case.yaml",
        "observations:\n  - kind: nerve_conduction\n    nerve: sciatic\n"
        "    modality: motor\n    amplitude: 3\n",
        "case.yaml:3:",
        ["nerve", "median", "sural"],
        id="unknown-nerve",
    ),
    pytest.param(
        "case.yaml",
        "events:\n  - id: tx\n    concept: melfalan\n",
        "case.yaml:3:",
        ["unknown treatment 'melfalan'", "melphalan"],
        id="unknown-treatment",
    ),
    pytest.param(
        "case.yaml",
        "observations:\n  - kind: finding\n    concept: papilledema\n    status: present\n"
        "    time: {date: 2010-13}\n",
        "case.yaml:5:",
        ["time.date", "month"],
        id="impossible-date",
    ),
    pytest.param("case.yaml", "", "case.yaml", ["mapping"], id="empty-yaml"),
    pytest.param("case.json", "", "case.json", ["invalid JSON"], id="empty-json"),
    pytest.param(
        "case.yaml",
        "title: caf\xe9\n".encode("latin-1"),
        "case.yaml",
        ["UTF-8"],
        id="not-utf8",
    ),
]


@pytest.mark.parametrize(("name", "text", "where", "what"), BAD)
def test_bad_case_is_input_error_naming_what_and_where(
    tmp_path: Path, kb: Knowledge, name: str, text: str | bytes, where: str, what: list[str]
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(InputError) as info:
        poemsdx.load_case(path, kb)
    message = str(info.value)
    assert where in message, message
    for word in what:
        assert word in message, message
    assert "\n" not in message  # one line, fit for a CLI error


def test_vegf_without_specimen_loads_when_lenient(tmp_path: Path, kb: Knowledge) -> None:
    path = _write(tmp_path, "case.yaml", VEGF_NO_SPECIMEN)
    case = poemsdx.load_case(path, kb, lenient=True)
    (vegf,) = [o for o in case.observations if o.concept == "vegf"]
    assert isinstance(vegf, poemsdx.Measurement)
    assert vegf.specimen is None


def test_lenient_does_not_excuse_other_problems(tmp_path: Path, kb: Knowledge) -> None:
    path = _write(tmp_path, "case.yaml", _measurement("vegf", "    value: 1500\n    unit: mg/xx\n"))
    with pytest.raises(InputError, match="unknown unit 'mg/xx'"):
        poemsdx.load_case(path, kb, lenient=True)


def test_parse_case_reports_the_given_filename(kb: Knowledge) -> None:
    text = "observations:\n  - kind: finding\n    concept: papiledema\n    status: present\n"
    with pytest.raises(InputError) as info:
        poemsdx.parse_case(text, kb, filename="note-7.yaml")
    assert str(info.value).startswith("note-7.yaml:3:")


def test_missing_file_is_input_error(tmp_path: Path, kb: Knowledge) -> None:
    with pytest.raises(InputError, match="cannot read"):
        poemsdx.load_case(tmp_path / "absent.yaml", kb)


def test_utf8_with_bom_is_accepted(tmp_path: Path, kb: Knowledge) -> None:
    text = "observations:\n  - {kind: finding, concept: papilledema, status: present}\n"
    path = tmp_path / "case.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert poemsdx.load_case(path, kb).observations[0].concept == "papilledema"


def test_good_case_json_and_yaml_agree(tmp_path: Path, kb: Knowledge) -> None:
    """The same case written as YAML and as JSON loads to the same Case."""
    yaml_path = _write(
        tmp_path,
        "case.yaml",
        """
        patient: {age: 57, sex: male}
        observations:
          - {kind: finding, concept: papilledema, status: absent}
          - {kind: measurement, concept: vegf, value: 777, unit: pg/mL, specimen: serum}
        """,
    )
    json_path = _write(
        tmp_path,
        "case.json",
        '{"patient": {"age": 57, "sex": "male"}, "observations": ['
        '{"kind": "finding", "concept": "papilledema", "status": "absent"},'
        '{"kind": "measurement", "concept": "vegf", "value": 777, "unit": "pg/mL",'
        ' "specimen": "serum"}]}',
    )
    assert poemsdx.load_case(yaml_path, kb) == poemsdx.load_case(json_path, kb)


def test_duplicate_json_key_says_where(tmp_path: Path, kb: Knowledge) -> None:
    text = (
        '{"observations": [\n'
        '  {"kind": "finding", "concept": "papilledema",\n'
        '   "status": "present", "status": "absent"}\n'
        "]}\n"
    )
    path = _write(tmp_path, "case.json", text)
    with pytest.raises(InputError) as info:
        poemsdx.load_case(path, kb)
    message = str(info.value)
    assert "case.json:3" in message or "observations[0]" in message, message


@pytest.mark.parametrize("text", ["- a\n- b\n", ""], ids=["list", "empty"])
def test_top_level_message_has_no_python_type_names(
    tmp_path: Path, kb: Knowledge, text: str
) -> None:
    path = _write(tmp_path, "case.yaml", text)
    with pytest.raises(InputError) as info:
        poemsdx.load_case(path, kb)
    message = str(info.value)
    assert "Located" not in message and "NoneType" not in message, message
