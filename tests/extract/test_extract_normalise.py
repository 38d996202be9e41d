"""Normalisation and the way back to the original characters."""

from __future__ import annotations

import pytest

from poemsdx.extract.encoding import decode, plausibility
from poemsdx.extract.language import detect, document_language
from poemsdx.extract.normalise import normalise


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("IgG4 392mg\ufffddl", "IgG4 392mg/dl"),  # a "/" lost to U+FFFD
        ("細胞数 2\ufffd\nmm3", "細胞数2/mm3"),  # … and the line break after it
        ("ＶＥＧＦ　７７７ｐｇ／ｍｌ（基準値＜２２０）", "VEGF 777pg/ml(基準値<220)"),  # full width
        ("１，７００ｐｇ", "1,700pg"),  # a CJK comma between digits is a thousands separator
        ("陽性，血清", "陽性，血清"),  # … elsewhere it stays a clause separator
        ("血清 vas-\ncular endothelial", "血清vascular endothelial"),  # hyphenation, CJK space
        ("ジンジン\n感が出現", "ジンジン感が出現"),  # a line break inside a CJK word
        ("IgG4 は 735\n\nmg\ufffddl と上昇", "IgG4は735mg/dlと上昇"),  # number/unit split by a page
        ("57 歳，男性", "57歳，男性"),
        ("か\u3099", "が"),  # a combining voicing mark composes
        ("10㎎/dL", "10mg/dL"),
    ],
)
def test_normalised_text(raw: str, clean: str) -> None:
    assert normalise(raw).text == clean


def test_sentence_ends_and_headers_keep_their_line_breaks() -> None:
    import re

    n = normalise("特記事項なし．\n現病歴:2009年\n主訴：しびれ", re.compile("主訴"))
    assert n.text == "特記事項なし．\n現病歴:2009年\n主訴:しびれ"


def test_spans_map_back_to_the_original() -> None:
    raw = "ＩｇＧ４　３９２ｍｇ\ufffd\nｄｌ（４．８～１０５）"
    n = normalise(raw)
    i = n.text.index("392")
    s, e = n.source_span(i, i + len("392mg/dl"))
    assert raw[s:e] == "３９２ｍｇ\ufffd\nｄｌ"
    assert n.quote(0, len(n.text)) == raw


def test_table_rows_stay_rows() -> None:
    raw = "総蛋白　　１０．８　ｇ／ｄｌ\n血小板　　１６．２　万／μｌ"
    assert normalise(raw).text.count("\n") == 1


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp932", "euc_jp"])
def test_japanese_encodings(codec: str) -> None:
    text = "症例は57歳男性。両下肢のしびれと浮腫を認めた。血清VEGF 1,700pg/ml。"
    assert decode(text.encode(codec)).text == text


@pytest.mark.parametrize("codec", ["gb18030", "gbk", "utf-8"])
def test_chinese_encodings(codec: str) -> None:
    text = "患者男性，57岁，双下肢麻木无力3个月，无发热。血清VEGF升高。"
    assert decode(text.encode(codec)).text == text


def test_undecodable_bytes_never_raise() -> None:
    assert decode(bytes(range(256))).text
    assert plausibility("") == 0.0


@pytest.mark.parametrize(
    ("text", "prior", "lang"),
    [
        ("肝脾腫はなかった。", None, "ja"),
        ("四肢腱反射低下", "ja", "ja"),  # kanji only: the document's language decides
        ("四肢腱反射低下", "zh", "zh"),
        ("双下肢无力，腱反射消失。", "ja", "zh"),  # simplified-only characters overrule it
        ("No hepatosplenomegaly.", "ja", "en"),
    ],
)
def test_language(text: str, prior: str | None, lang: str) -> None:
    assert detect(text, prior) == lang  # type: ignore[arg-type]


def test_document_language() -> None:
    assert document_language("症例は57歳男性である．A 57-year-old man.") == "ja"
    assert document_language("A 57-year-old man with 浮腫.") == "en"
