"""The response definitions file: strict loading with file:line errors, cross-checks, and
the properties every shipped definition must have."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from poemsdx import Knowledge, KnowledgeError, load_knowledge
from poemsdx.knowledge.schema import LANGUAGES
from poemsdx.response import load_definitions

SHIPPED = Path(str(resources.files("poemsdx") / "data" / "response.yaml"))


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge()


def test_shipped_definitions_load_and_are_sourced(kb: Knowledge) -> None:
    defs = load_definitions(kb)
    assert set(defs.domains) == {"vegf", "hematologic", "clinical", "radiologic"}
    for name, domain in defs.domains.items():
        assert domain.verification == "VERIFIED", name  # the domains themselves (§1d)
        for d in domain.definitions:
            for rule in [*d.rules, d.otherwise]:
                assert rule.source.strip(), (name, d.id)
                assert set(rule.label) == set(LANGUAGES), (d.id, rule.category)
            assert set(d.label) == set(LANGUAGES), d.id
    for category, label in defs.spec.categories.items():
        assert set(label) == set(LANGUAGES), category


def test_only_gentile_serum_rule_is_verified(kb: Knowledge) -> None:
    """§1d: the Mayo-style, hematologic, radiologic and score definitions are UNVERIFIED."""
    verified = {
        (d.id, r.category)
        for domain in load_definitions(kb).domains.values()
        for d in domain.definitions
        for r in [*d.rules, d.otherwise]
        if r.verification == "VERIFIED"
    }
    assert verified == {("vegf-gentile-2024", "complete"), ("vegf-gentile-2024", "not_complete")}


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text("utf-8")
    assert old in text
    path = tmp_path / "response.yaml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('version: "2025.1"\n', 'version: "2025.1"\nversion: x\n', "duplicate key 'version'"),
        ("threshold_percent: 25", "threshold_percent: 25\n  thresold: 3", "unknown key 'thresold'"),
        ("when: {below_uln: true}", "when: {below_uln: true, change_at_most: -50}", "exactly one"),
        ("verification: VERIFIED\n", "verification: PROBABLY\n", "VERIFIED"),
        ("tracks: igg4_related_disease", "tracks: igg4_disease", "unknown concept 'igg4_disease'"),
        ("tests: [serum_vegf]", "tests: [serum_vegf_test]", "unknown test 'serum_vegf_test'"),
        (
            "categories:\n",
            "concepts:\n  vegf:\n    names: {en: [VEGF]}\ncategories:\n",
            "both here and in concepts.yaml",
        ),
    ],
)
def test_broken_file_is_located(
    kb: Knowledge, tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = _variant(tmp_path, old, new)
    with pytest.raises(KnowledgeError) as info:
        load_definitions(kb, path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_error_names_the_line(kb: Knowledge, tmp_path: Path) -> None:
    path = _variant(tmp_path, "threshold_percent: 25", "threshold_percent: 25\n  thresold: 3")
    line = next(i for i, t in enumerate(path.read_text("utf-8").splitlines(), 1) if "thresold" in t)
    with pytest.raises(KnowledgeError) as info:
        load_definitions(kb, path)
    assert f"{path}:{line}:" in str(info.value)
