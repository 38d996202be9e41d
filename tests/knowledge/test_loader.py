"""The strict knowledge loader and ``poemsdx lint``: every problem names its file and line.

Each bad-knowledge test starts from a tiny but complete knowledge folder that loads and
lints clean, breaks exactly one thing, and checks the ``KnowledgeError``::

    base/
    ├── concepts.yaml     poems_syndrome, papilledema, organomegaly ⊃ hepatomegaly, vegf
    ├── parameters.yaml   rule = low | high, timepoint
    ├── tests.yaml        fundoscopy, imaging, vegf
    └── criteria/
        └── t-set.yaml    papilledema ∧ organomegaly ∧ VEGF (≥ 500 or ≥ 1,000 by rule)

The expected line is found by looking for a marker in the broken file, so the tests do
not hard-code line numbers.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import poemsdx
from poemsdx import KnowledgeError
from poemsdx.knowledge.lint import lint_knowledge

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = Path(poemsdx.__file__).parent / "data"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SHIPPED_CRITERIA = sorted(p.name for p in (SHIPPED / "criteria").glob("[!_]*.yaml"))

BASE = {
    "concepts.yaml": """
        schema_version: 1
        id: t-concepts
        concepts:
          poems_syndrome:
            kind: disease
            names: {en: [POEMS syndrome], ja: [POEMS症候群], zh: [POEMS综合征]}
          papilledema:
            kind: finding
            names: {en: [papilledema], ja: [乳頭浮腫], zh: [视乳头水肿]}
          organomegaly:
            kind: group
            names: {en: [organomegaly], ja: [臓器腫大], zh: [脏器肿大]}
          hepatomegaly:
            kind: finding
            names: {en: [hepatomegaly], ja: [肝腫大], zh: [肝大]}
            parents: [organomegaly]
          vegf:
            kind: measurement
            names: {en: [VEGF], ja: [VEGF], zh: [VEGF]}
            unit: pg/mL
            specimens: [serum, plasma]
        """,
    "parameters.yaml": """
        schema_version: 1
        id: t-parameters
        parameters:
          rule:
            label: VEGF rule
            default: low
            values:
              low: {label: "≥ 500", source: test, verification: VERIFIED}
              high: {label: "≥ 1,000", source: test, verification: UNVERIFIED}
          timepoint:
            label: Which value counts
            default: any
            values:
              any: {label: any}
              earliest: {label: earliest}
              latest: {label: latest}
        """,
    "tests.yaml": """
        schema_version: 1
        id: t-tests
        tests:
          fundoscopy:
            label: Fundoscopy
            settles: [papilledema]
          imaging:
            label: Abdominal imaging
            settles: [organomegaly]
          vegf:
            label: Serum VEGF
            settles: [vegf]
        """,
    "criteria/t-set.yaml": """
        schema_version: 1
        id: t-set
        title: test set
        disease: poems_syndrome
        version: "1"
        citation: [test]
        verification: VERIFIED
        parameters:
          rule: {}
        items:
          papilledema:
            label: Papilledema
            logic: {finding: papilledema}
          organomegaly:
            label: Organomegaly
            logic: {finding: organomegaly}
          vegf:
            label: VEGF
            logic:
              param: rule
              cases:
                low:
                  lab: vegf
                  at_least: {value: 500, unit: pg/mL}
                  source: A
                  verification: VERIFIED
                high:
                  lab: vegf
                  at_least: {value: 1000, unit: pg/mL}
                  source: B
                  verification: UNVERIFIED
        logic:
          all:
            - {item: papilledema}
            - {item: organomegaly}
            - {item: vegf}
        """,
}


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def _break(root: Path, rel: str, old: str, new: str) -> Path:
    """Replace ``old`` (which must occur) by ``new`` in one file of the folder."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, marker: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return _write(tmp_path / "knowledge", BASE)


def test_base_folder_loads_and_lints_clean(base: Path) -> None:
    """The control: without a break the folder is fine, so every failure below is the break's."""
    kb = poemsdx.load_knowledge(base)
    assert list(kb.criteria) == ["t-set"]
    assert lint_knowledge(base) == []


# (file, old text, new text, marker, expected line relative to the marker's, message words)
BREAKS = [
    pytest.param(
        "criteria/t-set.yaml",
        "  organomegaly:\n    label: Organomegaly",
        "  papilledema:\n    label: Organomegaly",
        "label: Organomegaly",
        -1,  # the second 'papilledema:' key, just above
        ["duplicate key 'papilledema'", "first defined on line 11"],
        id="duplicate-key-in-criteria",
    ),
    pytest.param(
        "concepts.yaml",
        "    kind: finding\n    names: {en: [papilledema]",
        "    kind: finding\n    colour: red\n    names: {en: [papilledema]",
        "colour: red",
        0,
        ["unknown key 'colour'", "allowed:", "kind", "names", "parents", "absence_implies"],
        id="unknown-key-in-concept",
    ),
    pytest.param(
        "criteria/t-set.yaml",
        "\n          source: A\n",
        "\n",
        "low:",
        0,
        ["needs 'source'"],
        id="lab-threshold-without-source",
    ),
    pytest.param(
        "criteria/t-set.yaml",
        "verification: UNVERIFIED",
        "verification: MAYBE",
        "high:",
        0,
        ["'verification' must be one of", "MAYBE"],
        id="unknown-verification-tag",
    ),
    pytest.param(
        "criteria/t-set.yaml",
        "    - {item: organomegaly}",
        "    - {item: organomegali}",
        "{item: organomegali}",
        0,
        ["unknown item 'organomegali'", "organomegaly"],
        id="unknown-item-reference",
    ),
    pytest.param(
        "criteria/t-set.yaml",
        "logic: {finding: organomegaly}",
        "logic: {finding: organomegali}",
        "finding: organomegali",
        0,
        ["unknown concept 'organomegali'"],
        id="unknown-concept-in-atom",
    ),
    pytest.param(
        "criteria/t-set.yaml",
        "        high:\n",
        "        hihg:\n",
        "param: rule",
        -1,  # the 'logic:' key that holds the switch
        ["parameter 'rule'", "high", "hihg"],
        id="param-switch-not-covering-its-values",
    ),
    pytest.param(
        "criteria/t-set.yaml",
        "id: t-set",
        "id: t-other",
        "id: t-other",
        0,
        ["t-other.yaml"],
        id="criteria-id-not-matching-file-name",
    ),
    pytest.param(
        "criteria/t-set.yaml",
        "title: test set",
        "title: test: set",
        "title: test: set",
        0,
        ["invalid YAML"],
        id="invalid-yaml-syntax",
    ),
    pytest.param(
        "tests.yaml",
        "settles: [organomegaly]",
        "settles: [organomegaly, spleen_size]",
        "spleen_size",
        0,
        ["unknown concept 'spleen_size'"],
        id="test-settles-unknown-concept",
    ),
    pytest.param(
        "parameters.yaml",
        "    default: low",
        "    default: low\n    default: high",
        "default: high",
        0,
        ["duplicate key 'default'"],
        id="duplicate-key-in-parameters",
    ),
]


@pytest.mark.parametrize(("rel", "old", "new", "marker", "delta", "words"), BREAKS)
def test_bad_knowledge_names_file_and_line(
    base: Path, rel: str, old: str, new: str, marker: str, delta: int, words: list[str]
) -> None:
    path = _break(base, rel, old, new)
    line = _line_of(path, marker) + delta
    with pytest.raises(KnowledgeError) as info:
        poemsdx.load_knowledge(base)
    message = str(info.value)
    assert f"{path.name}:{line}:" in message, message
    for word in words:
        assert word in message, message
    assert info.value.location is not None
    assert info.value.location.line == line


def test_invalid_yaml_gives_the_column_too(base: Path) -> None:
    path = _break(base, "criteria/t-set.yaml", "title: test set", "title: test: set")
    with pytest.raises(KnowledgeError) as info:
        poemsdx.load_knowledge(base)
    assert f"{path.name}:3:12:" in str(info.value)  # the second ':' on "title: test: set"


CYCLE = (  # organomegaly ⊃ hepatomegaly, and now hepatomegaly ⊃ organomegaly
    "    names: {en: [organomegaly], ja: [臓器腫大], zh: [脏器肿大]}",
    "    names: {en: [organomegaly], ja: [臓器腫大], zh: [脏器肿大]}\n    parents: [hepatomegaly]",
)


def test_concept_cycle_names_file_and_line(base: Path) -> None:
    """organomegaly ⊃ hepatomegaly, and now hepatomegaly ⊃ organomegaly."""
    path = _break(
        base,
        "concepts.yaml",
        *CYCLE,
    )
    lines = {_line_of(path, "parents: [hepatomegaly]"), _line_of(path, "parents: [organomegaly]")}
    with pytest.raises(KnowledgeError, match="cycle") as info:
        poemsdx.load_knowledge(base)
    message = str(info.value)
    assert any(f"concepts.yaml:{n}:" in message for n in lines), message


def test_concept_cycle_is_rejected(base: Path) -> None:
    """Whatever its location, a cycle must not load."""
    _break(
        base,
        "concepts.yaml",
        *CYCLE,
    )
    with pytest.raises(KnowledgeError, match=r"cycle: .*organomegaly.*hepatomegaly"):
        poemsdx.load_knowledge(base)


# -- lint -------------------------------------------------------------------------------------


def test_lint_reports_every_broken_file(base: Path) -> None:
    """Two files broken: lint lists both instead of stopping at the first."""
    crit = _break(base, "criteria/t-set.yaml", "  organomegaly:\n", "  papilledema:\n")
    concepts = _break(
        base, "concepts.yaml", "    kind: finding\n", "    kind: finding\n    colour: red\n"
    )
    problems = lint_knowledge(base)
    assert len(problems) >= 2
    assert all(isinstance(p, KnowledgeError) for p in problems)
    text = "\n".join(map(str, problems))
    assert f"{crit.name}:{_line_of(crit, 'label: Organomegaly') - 1}:" in text
    assert f"{concepts.name}:{_line_of(concepts, 'colour: red')}:" in text


def test_lint_reports_every_reference_problem(base: Path) -> None:
    """Two cross-file problems in one folder: both are listed."""
    _break(base, "criteria/t-set.yaml", "logic: {finding: organomegaly}", "logic: {finding: nope}")
    _break(base, "tests.yaml", "settles: [vegf]", "settles: [vegf_level]")
    text = "\n".join(map(str, lint_knowledge(base)))
    assert "unknown concept 'nope'" in text
    assert "vegf_level" in text


@pytest.mark.parametrize(
    ("rel", "old", "new", "words"),
    [
        pytest.param(
            "criteria/t-set.yaml", "id: t-set", "id: t-other", "rename to t-other.yaml", id="id"
        ),
        pytest.param(
            "concepts.yaml",
            *CYCLE,
            "cycle",
            id="cycle",
        ),
    ],
)
def test_lint_returns_problems_it_cannot_load_past(
    base: Path, rel: str, old: str, new: str, words: str
) -> None:
    _break(base, rel, old, new)
    problems = lint_knowledge(base)
    assert any(words in str(p) for p in problems)


@pytest.fixture(scope="module")
def shipped_lint() -> list[KnowledgeError]:
    return lint_knowledge()


def test_shipped_knowledge_lints_clean(shipped_lint: list[KnowledgeError]) -> None:
    assert [str(p) for p in shipped_lint] == []


def test_lint_of_the_shipped_folder_by_path_is_clean_too() -> None:
    assert [str(p) for p in lint_knowledge(SHIPPED)] == []


@pytest.mark.parametrize("name", SHIPPED_CRITERIA)
def test_every_shipped_criteria_set_lints_clean_and_loads(
    name: str, shipped_lint: list[KnowledgeError]
) -> None:
    assert not [str(p) for p in shipped_lint if name in str(p)]
    kb = poemsdx.load_knowledge()
    crit = kb.criteria_set(name.removesuffix(".yaml"))
    assert crit.header.citation
    assert crit.header.verification in ("VERIFIED", "CORROBORATED", "UNVERIFIED")


def test_there_are_shipped_criteria_and_examples() -> None:
    assert "poems-imwg.yaml" in SHIPPED_CRITERIA
    assert ROOT / "examples" / "seed-poems-igg4-aip.yaml" in EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_shipped_example_loads_and_evaluates(path: Path) -> None:
    kb = poemsdx.load_knowledge()
    case = poemsdx.load_case(path, kb)
    assert case.observations
    result = poemsdx.evaluate(case, kb=kb)
    assert all(a.status in ("met", "not_met", "undetermined") for a in result.assessments)
