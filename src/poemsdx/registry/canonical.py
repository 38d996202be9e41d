"""Canonical JSON and its SHA-256: the form every stored case and result is hashed in.

Keys sorted, no insignificant whitespace, UTF-8 without escaping, no NaN: the same data
always gives the same bytes, so a stored hash can be recomputed and compared.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..model import Case

__all__ = ["canonical_json", "case_json", "input_sha256", "sha256_hex"]


def canonical_json(data: Any) -> str:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def case_json(case: Case) -> str:
    """The stored form of a case: its JSON without unset (None) fields, canonicalised.
    (Defaults are kept: the observation ``kind`` that tells the union apart is one.)"""
    return canonical_json(case.model_dump(mode="json", exclude_none=True))


def input_sha256(case_text: str, parameters: dict[str, Any]) -> str:
    """Hash of what an evaluation read: the canonical case JSON and its parameters."""
    return sha256_hex(canonical_json({"case": json.loads(case_text), "parameters": parameters}))
