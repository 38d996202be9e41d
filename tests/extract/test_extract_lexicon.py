"""The lexicons: same files in every language, strict loading, every concept matchable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import poemsdx
from poemsdx.errors import KnowledgeError
from poemsdx.extract.lexicon import FILES, LANGUAGES, lexicon_root, load_lexicons
from poemsdx.extract.resources import resources
from poemsdx.knowledge.registry import load_knowledge

KB = poemsdx.load_knowledge()
ROOT = lexicon_root(KB)


def test_same_file_names_in_every_language() -> None:
    names = {lang: sorted(p.name for p in (ROOT / lang).glob("*.yaml")) for lang in LANGUAGES}
    assert all(v == sorted(FILES) for v in names.values()), names


def test_every_concept_has_a_surface_form_in_every_language() -> None:
    lex = load_lexicons(KB)
    for cid, concept in KB.concepts.items():
        for lang in LANGUAGES:
            extra = lex[lang].terms.terms.get(cid, [])
            assert concept.names.get(lang) or extra, f"{cid} has no {lang} form"


def test_lexicon_sizes_are_substantial() -> None:
    lex = load_lexicons(KB)
    for lang in LANGUAGES:
        forms = sum(len(v) for v in lex[lang].terms.terms.values())
        assert forms >= 300, (lang, forms)
        assert len(lex[lang].terms.terms) >= 100, lang
    assert resources(KB).terms.size > 2000


def _copy_knowledge(tmp_path: Path) -> Path:
    data = Path(KB.root)
    root = tmp_path / "data"
    shutil.copytree(data, root)
    return root


def _break(root: Path, rel: str, old: str, new: str) -> None:
    path = root / "lexicons" / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("rel", "old", "new", "message"),
    [
        ("ja/cues.yaml", "  forward: []", "  forwad: []", "unknown key 'forwad'"),
        (
            "en/terms.yaml",
            "  poems_syndrome:",
            "  poems_syndrom:",
            "unknown concept 'poems_syndrom'",
        ),
        ("zh/sections.yaml", "language: zh", "language: ja", "does not match the folder"),
        ("zh/time.yaml", "anchor: hdm_asct", "anchor: asct", "unknown concept 'asct'"),
        (
            "en/labs.yaml",
            "reference_labels:",
            "reference_labels: []\nreference_labels:",
            "duplicate key",
        ),
    ],
)
def test_strict_loading_names_file_and_line(
    tmp_path: Path, rel: str, old: str, new: str, message: str
) -> None:
    root = _copy_knowledge(tmp_path)
    _break(root, rel, old, new)
    kb = load_knowledge(root)
    with pytest.raises(KnowledgeError) as err:
        load_lexicons(kb)
    text = str(err.value)
    assert message in text and rel.split("/")[1] in text
    assert err.value.location is not None and err.value.location.line is not None
