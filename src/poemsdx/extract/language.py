"""Which language a stretch of text is in — ja, zh or en — from script statistics.

Kana means Japanese. Han without kana is Chinese *unless* the document is Japanese:
Japanese case reports are full of kanji-only lines (検査所見, 四肢腱反射低下), so a
kanji-only segment takes the document's language, and only characters that exist in one
writing system alone (simplified 检 经 髓 发 见 … versus Japanese shinjitai 検 経 髄 発
… ) overrule that. Latin letters without CJK mean English. Cheap enough to run on every
sentence.
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["en", "ja", "zh"]

_RE_KANA = re.compile("[\u3041-\u3096\u30a1-\u30fa\u31f0-\u31ff\uff66-\uff9d]")
_RE_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_RE_LATIN = re.compile("[A-Za-z]")
_SAMPLE = 6000  # enough text to tell the document's language

# Characters used in one system only (common in clinical text). Simplified Chinese:
_ZH_ONLY = frozenset(
    "这们为发现检经诊疗应变脑髓见无给药后关节时间个么说对还过进实际结论报"
    "肿胀积肾脏肤损伤减轻细浆钙钾钠阳阴岁图议颈颅痹觉运动查样"
)
# Japanese shinjitai and kokuji absent from simplified Chinese:
_JA_ONLY = frozenset(
    "検経髄発診療応変脳薬関図読続様覚剤腫脹膵臓腎縁潤軽査験帰気壊拡転齢歳込働畑枠峠栃"
)


# Runs of each script: counting the characters of runs allocates one string per run, not
# one per character.
_RE_KANA_RUN = re.compile(_RE_KANA.pattern + "+")
_RE_HAN_RUN = re.compile(_RE_HAN.pattern + "+")
_RE_LATIN_RUN = re.compile(_RE_LATIN.pattern + "+")
_RE_ZH_ONLY_RUN = re.compile("[" + "".join(sorted(_ZH_ONLY)) + "]+")
_RE_JA_ONLY_RUN = re.compile("[" + "".join(sorted(_JA_ONLY)) + "]+")


def _count(run: re.Pattern[str], text: str) -> int:
    """How many characters of ``text`` are in the class ``run`` repeats."""
    return sum(map(len, run.findall(text)))


def script_counts(text: str) -> tuple[int, int, int]:
    """(kana, han, latin) character counts."""
    return _count(_RE_KANA_RUN, text), _count(_RE_HAN_RUN, text), _count(_RE_LATIN_RUN, text)


def detect(text: str, prior: Language | None = None) -> Language:
    """The language of ``text``; ``prior`` (the document's language) breaks ties."""
    if text.isascii():
        return "en" if _RE_LATIN.search(text) else (prior or "en")
    return _detect(text, prior, _count(_RE_KANA_RUN, text), None)


def _detect(text: str, prior: Language | None, kana: int, han: int | None) -> Language:
    """``detect`` of a text that is not ASCII, given its kana count (and Han, if known)."""
    # at least 1 kana in 20 Han characters is Japanese; there are at most len - kana Han
    if kana and (
        kana * 20 >= len(text) - kana
        or kana * 20 >= (_count(_RE_HAN_RUN, text) if han is None else han)
    ):
        return "ja"
    if _RE_HAN.search(text) if han is None else han:
        zh = _count(_RE_ZH_ONLY_RUN, text)
        ja = _count(_RE_JA_ONLY_RUN, text) + kana * 3
        if zh > ja:
            return "zh"
        if ja > zh:
            return "ja"
        if prior in ("ja", "zh"):
            return prior
        return "zh"
    if _RE_LATIN.search(text):
        return "en"
    return prior or "en"


def document_language(text: str) -> Language:
    """The dominant language of a whole document (CJK wins over English when the CJK
    characters are a sizeable share: an English abstract in a Japanese report)."""
    sample = text[:_SAMPLE]
    if sample.isascii():
        return "en"  # no kana, no Han
    n = len(sample)
    kana = _count(_RE_KANA_RUN, sample)
    if kana * 5 >= n:  # then the Latin letters (at most n - kana) cannot outnumber 4 kana
        return _detect(sample, None, kana, None)
    han = _count(_RE_HAN_RUN, sample)
    if kana + han == 0:
        return "en"
    if (kana + han) * 5 < n and (kana + han) * 4 < _count(_RE_LATIN_RUN, sample):
        return "en"  # (with as many CJK characters as a fifth, Latin cannot have 4 times it)
    return _detect(sample, None, kana, han)
