"""Per-language conformance: each row of ``tests/lang/<lang>/conformance.yaml`` is a
sentence and what must be read from it — a finding's status, a measurement's result, or
``none`` (the concept must not be extracted: history, family, hypothetical, generic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import poemsdx
from poemsdx import Finding, Measurement
from poemsdx.extract import extract_text

HERE = Path(__file__).resolve().parent
KB = poemsdx.load_knowledge()


def _rows() -> list[Any]:
    out = []
    for lang in ("en", "ja", "zh"):
        data = yaml.safe_load((HERE / lang / "conformance.yaml").read_text(encoding="utf-8"))
        assert data["language"] == lang
        for i, row in enumerate(data["rows"]):
            out.append(pytest.param(lang, row["text"], row["expect"], id=f"{lang}-{i + 1:02d}"))
    return out


def test_each_language_has_at_least_25_rows() -> None:
    for lang in ("en", "ja", "zh"):
        data = yaml.safe_load((HERE / lang / "conformance.yaml").read_text(encoding="utf-8"))
        assert len(data["rows"]) >= 25, lang


@pytest.mark.parametrize(("lang", "text", "expect"), _rows())
def test_conformance(lang: str, text: str, expect: dict[str, str]) -> None:
    case = extract_text(text, KB, document_id="row", language=lang)
    read: dict[str, set[str]] = {}
    for obs in case.observations:
        if isinstance(obs, Finding):
            read.setdefault(obs.concept, set()).add(obs.status)
        elif isinstance(obs, Measurement) and obs.result:
            read.setdefault(obs.concept, set()).add(obs.result)
    for concept, wanted in expect.items():
        assert concept in KB.concepts, concept
        got = read.get(concept, set())
        assert got == (set() if wanted == "none" else {wanted}), (
            f"{concept}: {sorted(got)} in {read}"
        )
