"""No input makes the extractor raise — except a text over the size limit, which raises
one clear ``InputError`` naming both sizes (Hypothesis)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import poemsdx
from poemsdx.errors import InputError
from poemsdx.extract import MAX_CHARS, extract_file, extract_text
from poemsdx.io import check_case

KB = poemsdx.load_knowledge()

# Pieces that exercise every parser: labs, ranges, dates, tables, cues, CJK punctuation.
FRAGMENTS = [
    "IgG4 392mg\ufffddl（4.8～105mg/dl）", "VEGF 1,700pg/ml（基準値＜220）", "2009年10月初旬",
    "治療5カ月後", "肝脾腫はなかった", "无肝脾肿大", "No edema", "Rt. median 4.8 8.2 53.4",
    "MNC Distal latency", "(", ")", "（", "）", "【", "】", "99999999999999999999999", "1e308",
    "10^999/L", "万/μl", "IgG-λ型M蛋白陽性", "\n\n", "\ufffd", "年", "月", "%", "300%",
    "Plt 45.2万/μl", "κ/λ比", "Age: 999", "Sex: M", "57歳男性", "考 察", "Fig. 1", "、", "。",
    "vas-\n", "after ASCT", "5 months later", "2021-13-45", "P99999999M", "#1", "S）",
]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_unicode_text(text: str) -> None:
    case = extract_text(text, KB)
    check_case(case, KB, lenient=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), max_size=40))
def test_clinical_looking_text(parts: list[str]) -> None:
    text = " ".join(parts)
    case = extract_text(text, KB)
    check_case(case, KB, lenient=True)
    for obs in case.observations:
        for ev in obs.evidence:
            assert (
                ev.start is not None and ev.end is not None and 0 <= ev.start <= ev.end <= len(text)
            )
            assert text[ev.start : ev.end] == ev.quote


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**400),
    st.sampled_from(["mg/dl", "pg/ml", "%", "万/μl", ""]),
)
def test_huge_numbers(n: int, unit: str) -> None:
    extract_text(f"VEGF {n}{unit}（基準値＜{n}）. IgG {n:,} mg/dL; {n}年{n}月", KB)


def test_unbalanced_brackets() -> None:
    extract_text("IgG4 392mg/dl（4.8～105mg/dl 【検査 (ref < 220 ）） ((( VEGF 777 [", KB)


def test_ten_megabytes_is_refused_clearly(tmp_path: Path) -> None:
    big = "肝脾腫はなかった。" * (10 * 1024 * 1024 // 9)
    with pytest.raises(InputError) as err:
        extract_text(big, KB)
    assert f"{len(big):,}" in str(err.value) and f"{MAX_CHARS:,}" in str(err.value)
    path = tmp_path / "big.txt"
    path.write_text(big, encoding="utf-8")
    with pytest.raises(InputError) as err:
        extract_file(path, KB)
    assert "big.txt" in str(err.value)


def test_the_limit_is_configurable() -> None:
    with pytest.raises(InputError):
        extract_text("No edema.", KB, max_chars=5)
    assert extract_text("No edema.", KB, max_chars=9)
