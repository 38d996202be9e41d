"""The UI string files: one per language, the same keys and placeholders in each.

A key missing from one language would silently fall back to English; a placeholder
spelled differently would raise at render time — both are caught here instead.
"""

from __future__ import annotations

import string

import pytest

from poemsdx.report import LANGUAGES
from poemsdx.report._locale import Locale, strings

OTHERS = [lang for lang in LANGUAGES if lang != "en"]


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", OTHERS)
def test_every_language_has_exactly_the_english_keys(lang: str) -> None:
    assert set(strings(lang)) == set(strings("en"))


@pytest.mark.parametrize("lang", OTHERS)
def test_placeholders_match_english(lang: str) -> None:
    for key, english in strings("en").items():
        assert _fields(strings(lang)[key]) == _fields(english), key


@pytest.mark.parametrize("lang", OTHERS)
def test_strings_are_translated_not_copied(lang: str) -> None:
    """Verification tags keep the English tag word but add a translation beside it."""
    for key, english in strings("en").items():
        text = strings(lang)[key]
        assert text.strip(), key
        assert text != english, f"{lang}: '{key}' is still English"


def test_the_words_the_reports_depend_on_exist() -> None:
    en = strings("en")
    for key in (
        "status.met",
        "status.not_met",
        "status.undetermined",
        "category.definite",
        "report.missing",
        "report.next_tests",
        "report.robustness",
        "report.evidence",
        "report.source",
        "report.parameters",
        "verification.UNVERIFIED",
        "role.mandatory major",
        "role.minor",
    ):
        assert key in en


@pytest.mark.parametrize(
    ("lang", "key", "fields", "expected"),
    [
        ("en", "group.at_least", {"n": 2}, "at least 2 of"),
        ("ja", "group.at_least", {"n": 2}, "以下のうち2項目以上"),
        ("zh", "group.at_least", {"n": 2}, "以下至少2项"),
        ("ja", "report.age", {"age": "57"}, "57歳"),
        ("zh", "verification.UNVERIFIED", {}, "UNVERIFIED（未核实）"),
    ],
)
def test_lookup_fills_placeholders(
    lang: str, key: str, fields: dict[str, object], expected: str
) -> None:
    assert Locale(lang)(key, **fields) == expected


def test_labels_fall_back_to_english_and_unknown_words_are_shown_as_written() -> None:
    ja = Locale("ja")
    assert ja.text({"en": "M-protein positive"}) == "M-protein positive"
    assert ja.text({"en": "Skin", "ja": "皮膚"}) == "皮膚"
    assert ja.text(None, "fallback") == "fallback"
    assert ja.word("role", "minor") == "小基準"
    assert ja.word("role", "new_role") == "new role"


def test_the_english_nerve_table_words_are_those_of_the_plain_table() -> None:
    from poemsdx.ncs.table import english

    table = {k: v for k, v in strings("en").items() if k.startswith("ncs.table.")}
    assert table
    for key, text in table.items():
        assert english(key.removeprefix("ncs.table.")) == text, key
