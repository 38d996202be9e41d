"""Regenerate the interoperability examples from the seed case.

Run from the repository root after a knowledge or adapter change::

    .venv/bin/python docs/examples/regenerate.py

``tests/io/test_fhir.py`` and ``tests/io/test_phenopacket.py`` fail while the files differ
from what the code produces, so the examples never drift from the code.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import poemsdx
from poemsdx.io.fhir import export_fhir
from poemsdx.io.phenopacket import export_phenopacket, phenopacket_json

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "seed-poems-igg4-aip.yaml"
FHIR_EXAMPLE = ROOT / "docs" / "examples" / "seed-fhir-bundle.json"
PHENOPACKET_EXAMPLE = ROOT / "docs" / "examples" / "seed-phenopacket.json"
CREATED = datetime(2026, 1, 1, tzinfo=UTC)  # fixed, so the example is reproducible


def fhir_text() -> str:
    kb = poemsdx.load_knowledge()
    result = poemsdx.evaluate(poemsdx.load_case(SEED, kb), kb=kb)
    return json.dumps(export_fhir(result, kb), ensure_ascii=False, indent=2) + "\n"


def phenopacket_text() -> str:
    kb = poemsdx.load_knowledge()
    result = poemsdx.evaluate(poemsdx.load_case(SEED, kb), kb=kb)
    return phenopacket_json(export_phenopacket(result, kb, created=CREATED))


def main() -> None:
    FHIR_EXAMPLE.write_text(fhir_text(), encoding="utf-8")
    PHENOPACKET_EXAMPLE.write_text(phenopacket_text(), encoding="utf-8")
    print(f"wrote {FHIR_EXAMPLE.relative_to(ROOT)} and {PHENOPACKET_EXAMPLE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
