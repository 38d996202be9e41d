"""UI strings of the reports, one YAML file per language under ``report/locales/``.

Clinical wording (criteria, items, tests, parameter values) comes from the knowledge base;
only the words around it live here, so a translator edits one short file per language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ..errors import InputError

LANGUAGES = ("en", "ja", "zh")


def check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise InputError(f"unknown report language '{lang}'; allowed: {', '.join(LANGUAGES)}")


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = str(value)
    return out


@cache
def strings(lang: str) -> dict[str, str]:
    """The flat ``section.key → text`` table of one language."""
    check_language(lang)
    text = (resources.files("poemsdx.report") / "locales" / f"{lang}.yaml").read_text("utf-8")
    return _flatten(yaml.safe_load(text))


@dataclass(frozen=True, slots=True)
class Locale:
    """Looks up UI strings and picks a language out of knowledge-base label dicts."""

    lang: str

    def __call__(self, key: str, **fields: object) -> str:
        table = strings(self.lang)
        template = table.get(key) or strings("en").get(key) or key
        return template.format(**fields) if fields else template

    def has(self, key: str) -> bool:
        return key in strings(self.lang)

    def text(self, label: Mapping[str, str] | None, default: str = "") -> str:
        """A label in this language, else English, else ``default``."""
        if not label:
            return default
        return label.get(self.lang) or label.get("en") or default

    def word(self, section: str, value: str) -> str:
        """A vocabulary word (role, sex, kind …); an unknown value is shown as written."""
        key = f"{section}.{value}"
        return self(key) if self.has(key) else value.replace("_", " ")
