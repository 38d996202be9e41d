"""Line endings: text pasted from a browser (CRLF) or an old Mac file (CR) reads the same as
LF text, and evidence spans point into the text the document keeps."""

from __future__ import annotations

import pytest

import poemsdx
from poemsdx.extract import extract_text

NOTE = (
    "History\n"
    "A 61-year-old man with a progressive sensorimotor polyneuropathy.\n"
    "Examination\n"
    "No hepatosplenomegaly. Papilledema present.\n"
    "Investigations\n"
    "Serum VEGF 1,450 pg/mL (ref < 220). IgA lambda M-protein on immunofixation.\n"
)


def _summary(case: poemsdx.Case) -> list[tuple[str, str]]:
    out = []
    for o in case.observations:
        if isinstance(o, poemsdx.Finding):
            out.append((o.concept, o.status))
        elif isinstance(o, poemsdx.Measurement):
            out.append((o.concept, f"{o.value}{o.unit}{o.result}"))
    return sorted(out)


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_line_endings_do_not_change_what_is_read(newline: str) -> None:
    kb = poemsdx.load_knowledge()
    lf = extract_text(NOTE, kb)
    other = extract_text(NOTE.replace("\n", newline), kb)
    assert _summary(other) == _summary(lf)
    assert ("hepatosplenomegaly", "absent") in _summary(other)
    text = other.documents[0].text
    assert text is not None and "\r" not in text
    for o in other.observations:
        for ev in o.evidence:
            if ev.start is not None and ev.end is not None and ev.quote:
                assert text[ev.start : ev.end] == ev.quote


@pytest.mark.parametrize("text", ["İmpression: no papilledema.", "İMPRESSION\nno papilledema."])
def test_header_with_dotted_capital_i_does_not_crash(text: str) -> None:
    case = extract_text(text, poemsdx.load_knowledge())
    assert ("papilledema", "absent") in _summary(case)
