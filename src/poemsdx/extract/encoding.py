"""Bytes → text for clinical notes in English, Japanese and Chinese.

Notes arrive as UTF-8, but Japanese hospital exports are often Shift_JIS (cp932) or
EUC-JP and Chinese ones GB18030/GBK; Windows tools write UTF-16 with or without a BOM.
No dependency is needed: a byte-order mark decides at once; otherwise strict UTF-8 is
tried first (it almost never decodes text that is not UTF-8), then UTF-16 when NUL bytes
say so, then the legacy CJK codecs. Several legacy codecs decode the same bytes without
error (GB18030 accepts almost anything), so each successful decoding gets a plausibility
score — the share of characters that are common in clinical text of that language
(kana and frequent kanji for Japanese, frequent hanzi for Chinese, ASCII) minus
penalties for control characters, private-use and replacement characters — and the
best one wins; ties keep the order cp932, EUC-JP, GB18030, Big5.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

# Frequent characters of Japanese and Chinese clinical writing (hand-picked: function
# words, body parts, common clinical nouns and verbs). Shared Han characters score for
# both; script-specific forms (検/检, 経/经, 髄/髓) decide between the codecs.
_JA_COMMON = frozenset(
    "のはをにがでとしたてるいうなかもれられ認め所見検査経過症例入院時現病歴"
    "既往家族主訴性患者歳男女神経髄膵臓腫大浮腫胸水腹水皮膚色素沈着血清値基準"
    "上昇低下増加減少治療後前月年日週間回目状態的異常正常陽性陰性疑考察結果"
    "蛋白質細胞骨髄穿刺生検組織線維化浸潤形質軸索障害脱伝導速度遅延潜時振幅"
    "筋力反射両側左右下肢上四手足指感覚運動痛発熱体重身長投与開始診断臨床"
)
_ZH_COMMON = frozenset(
    "的是在了和有无未见及与为患者岁男女性神经髓胰腺脏肿大水胸腹积液皮肤色素沉着"
    "血清值参考正常升高降低增加减少治疗后前月年日周次目状态异常阳性阴性疑诊断"
    "检查结果蛋白细胞骨髓穿刺活检组织纤维化浸润浆轴索损害脱传导速度延长潜伏期"
    "波幅肌力反射双侧左右下肢上四手足指感觉运动痛发热体重身高给予开始临床病史"
    "入院现主诉既往家族查体辅助"
)
_CANDIDATES = ("cp932", "euc_jp", "gb18030", "big5")


@dataclass(frozen=True, slots=True)
class Decoded:
    """The text, the codec that produced it, and how it was chosen."""

    text: str
    encoding: str
    reason: str


def decode(data: bytes) -> Decoded:
    """Decode ``data``; never raises (the last resort is UTF-8 with replacement characters)."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return Decoded(
                data[len(bom) :].decode(codec, errors="replace"), codec, "byte-order mark"
            )
    try:
        return Decoded(data.decode("utf-8"), "utf-8", "valid UTF-8")
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    best: tuple[float, int, str, str] | None = None
    for rank, codec in enumerate(_CANDIDATES):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = plausibility(text)
        if best is None or (score, -rank) > (best[0], -best[1]):
            best = (score, rank, codec, text)
    if best is not None:
        return Decoded(best[3], best[2], f"trial decoding (plausibility {best[0]:.2f})")
    return Decoded(data.decode("utf-8", errors="replace"), "utf-8", "undecodable bytes replaced")


def _utf16_without_bom(data: bytes) -> Decoded | None:
    """UTF-16 text has a NUL in every other byte for ASCII; that pattern is telling."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:4000]
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    for zeros, codec in ((odd, "utf-16-le"), (even, "utf-16-be")):
        if zeros > 0.2 * half:
            try:
                return Decoded(data.decode(codec), codec, "NUL-byte pattern of UTF-16")
            except UnicodeDecodeError:
                return None
    return None


def plausibility(text: str) -> float:
    """How much ``text`` looks like clinical writing: higher is more plausible."""
    sample = text[:20000]
    if not sample:
        return 0.0
    good = 0.0
    bad = 0.0
    for ch in sample:
        o = ord(ch)
        if o < 0x80:
            if ch.isprintable() or ch in "\n\r\t":
                good += 0.5
            else:
                bad += 2
        elif ch in _JA_COMMON or ch in _ZH_COMMON:
            good += 2
        elif 0x3000 <= o <= 0x30FF or 0xFF01 <= o <= 0xFF5E:
            good += 1
        elif 0xE000 <= o <= 0xF8FF or ch == "\ufffd":
            bad += 3
        elif 0xFF61 <= o <= 0xFF9F:
            bad += 1  # half-width katakana: typical of mis-decoded Shift_JIS
        elif unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn"):
            bad += 2
    return (good - bad) / len(sample)
