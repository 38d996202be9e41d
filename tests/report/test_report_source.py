"""``report.source.highlight``: the document text as escaped HTML with evidence marked."""

from __future__ import annotations

from poemsdx.report.source import highlight


def test_plain_text_is_escaped() -> None:
    assert highlight("a < b & c", []) == "a &lt; b &amp; c"


def test_one_span() -> None:
    html = highlight("肝脾腫はなかった。", [(0, 8, "ev-1")])
    assert html == '<mark class="evidence" id="ev-1" data-ev="ev-1">肝脾腫はなかった</mark>。'


def test_overlapping_and_nested_spans_are_split_not_crossed() -> None:
    text = "IgG4 392mg/dl (4.8-105)"
    html = highlight(text, [(0, 13, "lab"), (0, 4, "term"), (9, 20, "tail")])
    # every piece is closed before the next opens: no crossed elements
    depth = 0
    for token in html.replace("<mark", "\0<").replace("</mark>", "\0>").split("\0"):
        depth += token.startswith("<") - token.startswith(">")
        assert depth >= 0
    assert depth == 0
    assert html.count('id="lab"') == html.count('id="term"') == html.count('id="tail"') == 1
    stripped = html
    for tag in ("</mark>",):
        stripped = stripped.replace(tag, "")
    import re

    assert re.sub(r"<mark[^>]*>", "", stripped) == text


def test_spans_outside_the_text_are_clipped_and_empty_ones_ignored() -> None:
    assert highlight("abc", [(1, 99, "x"), (2, 2, "empty"), (-5, 1, "y")]) == (
        '<mark class="evidence" id="y" data-ev="y">a</mark>'
        '<mark class="evidence" id="x" data-ev="x">bc</mark>'
    )


def test_ids_are_escaped() -> None:
    assert 'id="a&quot;b"' in highlight("abc", [(0, 1, 'a"b')])
