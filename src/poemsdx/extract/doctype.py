"""Is this document about a patient, or about a disease?

A textbook or encyclopedia entry lists every feature of POEMS syndrome — with
percentages — and must never be read as a patient who has them all. Signals:

* of a disease description: encyclopedia headings (概述, 病因, 诊断, 治疗, 预后; Overview,
  Epidemiology, Prognosis; 概要, 疫学, 予後) as section headers or as the keys of a JSON
  object (some sources are exported that way); population figures ("(93%)", "19/30例",
  "部分病人", "most patients"); generic subjects (本病, 该病, "this disease");
* of a patient record: age with sex ("57歳男性", "57-year-old man", "57岁男性"), patient
  markers (症例は, 患者は, 该患者, "the patient"), case headings (現病歴, 主诉,
  "history of present illness"), an admission.

The document is a disease description when its disease signals are clear and its
patient signals absent or far outweighed. Without any signal it is a patient record:
a two-line note is about a patient.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .lexicon import Lexicon

_RE_POPULATION = re.compile(
    r"[(（]\s?\d{1,3}(?:\.\d)?\s?%\s?[)）]|\d+\s?/\s?\d+\s?例|\d+\s?%\s?of\s(?:the\s)?patients",
    re.I,
)
_RE_GENERIC_CJK = re.compile(
    r"本病|该病|此病|本综合征|该综合征|部分病人|部分患者|多数病人|半数病人|本症(?!例)|本疾患"
)
_RE_GENERIC_EN = re.compile(
    r"\b(?:this disease|the disease|most patients|patients with|the syndrome is)\b", re.I
)
_RE_AGE_SEX = re.compile(
    r"\d{1,3}\s?(?:歳|岁|才)\s?(?:の)?\s?[，,、]?\s?(?:男性|女性|男|女)|(?:男性|女性|男|女)\s?[，,、]?\s?\d{1,3}\s?(?:歳|岁)"
    r"|\d{1,3}[- ]year[- ]old\s(?:man|woman|male|female|boy|girl|gentleman|lady|patient)"
    r"|\bAge/Sex\s?:\s?\d{1,3}|\b(?:Sex|Age)\s?:\s?(?:M|F|Male|Female|\d{1,3})\b|\b\d{1,3}\s?(?:y/?o|yo)\b"
    r"|(?:性别|性別|年龄|年齢)\s?[:：]",
    re.I,
)
_RE_PATIENT = re.compile(
    r"症例は|患者は|本症例|本例|自験例|该患者|患者[男女]|本患者|患儿|"
    r"\b(?:the|our|this) patient\b|\bwas admitted\b|\bpresented (?:to|with)\b"
    r"|入院した|入院となった|收入|入院",
    re.I,
)


# The same four patterns for lower-cased text, without IGNORECASE, each written to begin
# with a literal or a character class so that the regex engine skips quickly to where a
# match can start: "\bword" becomes "w(?<!\w.)ord" (the letter, then no word character
# before it), and a number is followed only where what must come after it does. On the
# lower-cased text they find exactly what the patterns above find on the text (see
# ``_lowered``).
_W = r"(?<!\w.)"
_LOW_POPULATION = re.compile(
    r"[(（\d](?:(?<=[(（])\s?\d{1,3}(?:\.\d)?\s?%\s?[)）]"
    r"|(?<=\d)(?=\d*\s?[/%])(?:\d*\s?/\s?\d+\s?例|\d*\s?%\s?of\s(?:the\s)?patients))"
)
_LOW_GENERIC_EN = re.compile(
    rf"(?:t{_W}(?:his disease|he disease|he syndrome is)|m{_W}ost patients|p{_W}atients with)\b"
)
_LOW_AGE_SEX = re.compile(
    r"[\d男女as性年](?:"
    r"(?<=\d)(?=\d{0,2}[\s歳岁才\-y])(?:\d{0,2}\s?(?:歳|岁|才)\s?(?:の)?\s?[，,、]?\s?(?:男性|女性|男|女)"
    r"|\d{0,2}[- ]year[- ]old\s(?:man|woman|male|female|boy|girl|gentleman|lady|patient)"
    rf"|{_W}\d{{0,2}}\s?(?:y/?o|yo)\b)"
    r"|(?<=[男女])性?\s?[，,、]?\s?\d{1,3}\s?(?:歳|岁)"
    rf"|(?<=a){_W}(?:ge/sex\s?:\s?\d{{1,3}}|ge\s?:\s?(?:m|f|male|female|\d{{1,3}})\b)"
    rf"|(?<=s){_W}ex\s?:\s?(?:m|f|male|female|\d{{1,3}})\b"
    r"|(?<=性)[别別]\s?[:：]|(?<=年)[龄齢]\s?[:：])"
)
_LOW_PATIENT = re.compile(
    r"症例は|患者は|本症例|本例|自験例|该患者|患者[男女]|本患者|患儿|"
    rf"t{_W}(?:he|his) patient\b|o{_W}ur patient\b|w{_W}as admitted\b|p{_W}resented (?:to|with)\b"
    r"|入院した|入院となった|收入|入院"
)


def _lowered(text: str) -> str | None:
    """``text`` in lower case when IGNORECASE matching of it is plain matching of its lower
    case: the same length, and none of the three letters that IGNORECASE matches to "i" or
    "s" without lower-casing to them (ı, İ, ſ). Lower-casing keeps word, digit and space
    characters what they are."""
    low = text.lower()
    if len(low) != len(text) or "ı" in text or "ſ" in text:
        return None
    return low


# What every population figure ends with ("%)", "% of", "/30例"), quick to look for: a text
# without it has none
_POPULATION_HINT = re.compile(r"%\s?(?:[)）]|of\s)|/\s?\d+\s?例", re.I)


def _population(pattern: re.Pattern[str], text: str) -> int:
    """How many population figures ``pattern`` finds in ``text``."""
    if _POPULATION_HINT.search(text) is None:
        return 0
    return len(pattern.findall(text))


_SAMPLE = 20_000  # the character of a document shows in its first pages


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str  # patient_record | disease_description
    disease_score: int
    patient_score: int
    reasons: tuple[str, ...]


@lru_cache(maxsize=8)
def _headings(lexicons: tuple[Lexicon, ...]) -> frozenset[str]:
    return frozenset(w.lower() for lex in lexicons for w in lex.sections.encyclopedia)


def classify(
    text: str,
    lexicons: tuple[Lexicon, ...],
    header_texts: list[str],
    markers: list[set[str]] | None = None,
    titled: bool = False,
) -> Verdict:
    """Decide the kind of ``text`` (normalised), given its section header texts and the
    markers of its sentences (generic / literature / patient, from ``context``)."""
    verdict = _classify(text, lexicons, header_texts, markers, titled, True)
    assert verdict is not None
    return verdict


def disease_verdict(
    text: str,
    lexicons: tuple[Lexicon, ...],
    header_texts: list[str],
    markers: list[set[str]] | None = None,
    titled: bool = False,
) -> Verdict | None:
    """``classify``, or None when the text is plainly a patient record: too few signs of a
    disease description (content) for the patient signals to matter, which are then not
    counted."""
    return _classify(text, lexicons, header_texts, markers, titled, False)


def _classify(
    text: str,
    lexicons: tuple[Lexicon, ...],
    header_texts: list[str],
    markers: list[set[str]] | None,
    titled: bool,
    always: bool,
) -> Verdict | None:
    known = _headings(lexicons)
    reasons: list[str] = []
    text = text[:_SAMPLE]
    keys = _json_keys(text)
    heading_hits = sorted({k for k in keys if k.lower() in known})
    cleaned = {h.strip(" \t【】[]■:：").lower(): h for h in header_texts}
    heading_hits += sorted({h for key, h in cleaned.items() if key in known})
    headings = 2 * min(len(heading_hits), 5)
    if heading_hits:
        reasons.append(f"encyclopedia headings: {', '.join(heading_hits[:6])}")
    low = _lowered(text)
    if low is None:
        population = _population(_RE_POPULATION, text)
        generic_en = len(_RE_GENERIC_EN.findall(text))
    else:
        population = _population(_LOW_POPULATION, low)
        generic_en = len(_LOW_GENERIC_EN.findall(low))
    generic = len(_RE_GENERIC_CJK.findall(text)) + generic_en
    content = min(population, 10) + min(generic, 10)
    if population:
        reasons.append(f"{population} population figure(s)")
    if generic:
        reasons.append(f"{generic} generic subject(s)")
    marked = markers or []
    generic_sentences = sum(1 for m in marked if m & {"generic", "literature"})
    if generic_sentences:
        content += 2 * min(generic_sentences, 10)
        reasons.append(f"{generic_sentences} sentence(s) about the disease in general")
    if titled:
        content += 4
        reasons.append("titled with the name of a disease")
    if content < 4 and not always:
        return None  # a patient record whatever its patient signals (see below)
    disease = headings + content
    if low is None:
        age_sex = len(_RE_AGE_SEX.findall(text))
        patient_words = len(_RE_PATIENT.findall(text))
    else:
        age_sex = len(_LOW_AGE_SEX.findall(low))
        patient_words = len(_LOW_PATIENT.findall(low))
    patient_sentences = sum(
        1 for m in marked if "patient" in m and not m & {"generic", "literature"}
    )
    patient = 6 * age_sex + 2 * patient_words + 2 * patient_sentences
    if patient:
        reasons.append(f"patient signals {patient}")
    # headings alone do not make a textbook ("Diagnosis:" and "Treatment:" head notes too)
    is_disease = content >= 4 and (
        (disease >= 6 and patient == 0) or (disease >= 12 and disease >= 3 * patient)
    )
    kind = "disease_description" if is_disease else "patient_record"
    return Verdict(kind, disease, patient, tuple(reasons))


def _json_keys(text: str) -> list[str]:
    """Keys of a JSON object document (any depth), or nothing if it is not JSON."""
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return []
    try:
        data = json.loads(stripped)
    except (ValueError, RecursionError):
        return []
    keys: list[str] = []
    stack: list[Any] = [data]
    while stack and len(keys) < 1000:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                keys.append(str(k))
                stack.append(v)
        elif isinstance(node, list):
            stack.extend(node[:100])
    return keys
