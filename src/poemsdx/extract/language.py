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


def script_counts(text: str) -> tuple[int, int, int]:
    """(kana, han, latin) character counts."""
    return len(_RE_KANA.findall(text)), len(_RE_HAN.findall(text)), len(_RE_LATIN.findall(text))


def detect(text: str, prior: Language | None = None) -> Language:
    """The language of ``text``; ``prior`` (the document's language) breaks ties."""
    if text.isascii():
        return "en" if _RE_LATIN.search(text) else (prior or "en")
    kana = len(_RE_KANA.findall(text))
    han = len(_RE_HAN.findall(text))
    if kana and kana * 20 >= han:
        return "ja"
    if han:
        zh = sum(1 for ch in text if ch in _ZH_ONLY)
        ja = sum(1 for ch in text if ch in _JA_ONLY) + kana * 3
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
    kana, han, latin = script_counts(sample)
    if kana + han == 0:
        return "en"
    if (kana + han) * 4 < latin:
        return "en"
    return detect(sample)
