"""Recognise what a file is (case file, note, FHIR bundle, Phenopacket) and read it."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError, Location
from ..knowledge.registry import Knowledge
from ..model import Case
from .case import MAX_CASE_BYTES, load_case

TEXT_SUFFIXES = (".txt", ".text", ".md")
CASE_SUFFIXES = (".json", ".yaml", ".yml")


def sniff_json(path: Path) -> str:
    """``fhir``, ``phenopacket`` or ``case`` for a JSON file, judged by its top-level keys."""
    try:
        head = path.read_bytes()[:MAX_CASE_BYTES]
        data = json.loads(head.decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return "case"  # let the case loader report the precise problem
    if isinstance(data, dict):
        if data.get("resourceType") == "Bundle" or "resourceType" in data:
            return "fhir"
        if "phenotypicFeatures" in data or ("metaData" in data and "subject" in data):
            return "phenopacket"
    return "case"


def read_input(path: Path, kb: Knowledge, *, lenient: bool = False) -> Case:
    """Build a ``Case`` from any supported input file."""
    if not path.exists():
        raise InputError("file not found", Location(str(path)))
    if path.is_dir():
        raise InputError("is a folder; give a file", Location(str(path)))
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _read_text(path, kb)
    if suffix == ".json":
        kind = sniff_json(path)
        if kind == "fhir":
            return _read_fhir(path, kb)
        if kind == "phenopacket":
            return _read_phenopacket(path, kb)
    if suffix in CASE_SUFFIXES:
        return load_case(path, kb, lenient=lenient)
    allowed = ", ".join((*CASE_SUFFIXES, *TEXT_SUFFIXES))
    raise InputError(
        f"unknown file type '{suffix or path.name}'; expected one of {allowed}", Location(str(path))
    )


def _read_text(path: Path, kb: Knowledge) -> Case:
    try:
        from ..extract import extract_file
    except ImportError:
        raise InputError(
            "reading clinical text is not available in this build; give a structured case file",
            Location(str(path)),
        ) from None
    return extract_file(path, kb)


def _read_fhir(path: Path, kb: Knowledge) -> Case:
    try:
        from .fhir import load_fhir
    except ImportError:
        raise InputError(
            "FHIR bundles are not supported in this build; give a structured case file",
            Location(str(path)),
        ) from None
    return load_fhir(path, kb)


def _read_phenopacket(path: Path, kb: Knowledge) -> Case:
    try:
        from .phenopacket import load_phenopacket
    except ImportError:
        raise InputError(
            "Phenopackets are not supported in this build; give a structured case file",
            Location(str(path)),
        ) from None
    return load_phenopacket(path, kb)
