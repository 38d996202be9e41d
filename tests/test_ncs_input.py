"""Bad nerve-conduction and measurement input: the error names the row, the field and the
file line, and never escapes as a traceback.

Each case is a small case file with the bad row fourth (``observations[3]``)::

    observations:
      - polyneuropathy present          observations[0]
      - serum VEGF 100 pg/mL            observations[1]
      - oedema absent                   observations[2]
      - <the bad row>                   observations[3]

The loader's messages name the path and ``file:line:col``, echo the bad value with its unit,
suggest the nearest allowed name, and point at the field itself (``value``, not the row).
"""

from __future__ import annotations

import json
from functools import cache

import pytest

import poemsdx as p
from poemsdx.errors import InputError

HEAD = """schema_version: 1
id: bad-input
patient: {age: 60, sex: male}
observations:
  - {kind: finding, concept: polyneuropathy, status: present}
  - {kind: measurement, concept: vegf, value: 100, unit: pg/mL, specimen: serum}
  - {kind: finding, concept: edema, status: absent}
"""
BAD_LINE = HEAD.count("\n") + 1  # the bad row starts on this line

NC = "kind: nerve_conduction"
ROWS = {
    "unknown_nerve": f"{NC}, nerve: medain, side: right, modality: motor, distal_latency_ms: 4.0",
    "negative_latency": f"{NC}, nerve: median, side: left, modality: motor, distal_latency_ms: -4",
    "percentage_over_100": (
        "kind: measurement, concept: bone_marrow_plasma_cells, value: 120, unit: '%',"
        " specimen: bone_marrow"
    ),
    "unknown_modality": f"{NC}, nerve: median, modality: sensori",
    "negative_amplitude": f"{NC}, nerve: ulnar, modality: motor, amplitude: -3",
    "velocity_out_of_range": f"{NC}, nerve: tibial, modality: motor, conduction_velocity_m_s: 382",
    "negative_f_wave": f"{NC}, nerve: tibial, modality: motor, f_wave_latency_ms: -50",
}


@cache
def kb() -> p.Knowledge:
    return p.load_knowledge()


def error(name: str) -> InputError:
    with pytest.raises(InputError) as err:
        p.parse_case(HEAD + "  - {" + ROWS[name] + "}\n", kb(), filename="case.yaml", fmt="yaml")
    return err.value


@pytest.mark.parametrize(
    ("name", "field", "says"),
    [
        ("unknown_nerve", "nerve", "'median', 'ulnar', 'radial', 'tibial', 'peroneal', 'sural'"),
        ("negative_latency", "distal_latency_ms", "greater than 0"),
        ("unknown_modality", "modality", "'motor' or 'sensory'"),
        ("negative_amplitude", "amplitude", "greater than or equal to 0"),
        ("velocity_out_of_range", "conduction_velocity_m_s", "less than 150"),
        ("negative_f_wave", "f_wave_latency_ms", "greater than 0"),
    ],
)
def test_bad_nerve_conduction_row_names_row_field_and_line(
    name: str, field: str, says: str
) -> None:
    e = error(name)
    assert e.location is not None
    assert e.location.path == f"observations[3].{field}"
    assert e.location.file == "case.yaml" and e.location.line == BAD_LINE
    text = str(e)
    assert text.startswith(f"case.yaml:{BAD_LINE}:")
    assert f"observations[3].{field}" in text and says in text


def test_percentage_above_100_names_the_row_and_line() -> None:
    e = error("percentage_over_100")
    assert "a percentage cannot exceed 100, got 120" in str(e)
    assert e.location is not None and e.location.line == BAD_LINE
    assert e.location.path is not None and e.location.path.startswith("observations[3]")


def test_unknown_nerve_in_json_names_the_json_path() -> None:
    data = {
        "observations": [
            {"kind": "finding", "concept": "polyneuropathy", "status": "present"},
            {"kind": "nerve_conduction", "nerve": "medain", "modality": "motor"},
        ]
    }
    with pytest.raises(InputError) as err:
        p.parse_case(json.dumps(data, indent=1), kb(), filename="case.json", fmt="json")
    assert err.value.location is not None
    assert err.value.location.path == "observations[1].nerve"
    assert str(err.value).startswith("case.json:10:4 at observations[1].nerve:")


def test_block_style_row_points_at_the_field_line() -> None:
    text = (
        HEAD
        + "  - kind: nerve_conduction\n    nerve: ulnar\n    modality: motor\n"
        + "    distal_latency_ms: 0\n"
    )
    with pytest.raises(InputError) as err:
        p.parse_case(text, kb(), filename="case.yaml")
    assert err.value.location is not None
    assert err.value.location.line == BAD_LINE + 3  # the distal_latency_ms line
    assert err.value.location.path == "observations[3].distal_latency_ms"


# -- wished-for clarity (see the module docstring) --------------------------------------------


def test_unknown_nerve_echoes_the_name_and_suggests() -> None:
    text = str(error("unknown_nerve"))
    assert "unknown nerve 'medain'" in text and "did you mean median" in text


def test_negative_latency_echoes_the_value() -> None:
    assert "-4 ms" in str(error("negative_latency"))


def test_percentage_above_100_points_at_the_value() -> None:
    e = error("percentage_over_100")
    assert e.location is not None and e.location.path == "observations[3].value"
