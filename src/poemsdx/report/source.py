"""The source text of a document as HTML, with the evidence spans marked.

Evidence spans may overlap (a measurement quoting "IgG4 392mg/dl（4.8～105mg/dl）" and a
finding quoting "IgG4" inside it) and HTML elements may not, so the text is cut at every
span boundary and each piece is wrapped in one ``<mark>`` per span that covers it, the
outermost (earliest-starting, longest) first. A span keeps its anchor ``id`` on the first
piece only, so links land on its beginning; every piece carries ``data-ev`` with the ids
of all spans that cover it, for highlighting from the report.
"""

from __future__ import annotations

from html import escape
from itertools import pairwise

__all__ = ["highlight"]


def highlight(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Escaped HTML of ``text`` with each ``(start, end, anchor_id)`` span wrapped in
    ``<mark id=... class=evidence>``; spans outside the text are clipped, empty ones
    (and duplicates of an id) are ignored."""
    n = len(text)
    seen: set[str] = set()
    clean: list[tuple[int, int, str]] = []
    for start, end, anchor in spans:
        s, e = max(0, min(start, n)), max(0, min(end, n))
        if e > s and anchor not in seen:
            seen.add(anchor)
            clean.append((s, e, anchor))
    if not clean:
        return escape(text)
    cuts = sorted({0, n, *(s for s, _, _ in clean), *(e for _, e, _ in clean)})
    order = sorted(clean, key=lambda x: (x[0], -x[1]))
    out: list[str] = []
    opened: set[str] = set()
    for a, b in pairwise(cuts):
        piece = escape(text[a:b])
        covering = [sp for sp in order if sp[0] <= a and b <= sp[1]]
        if not covering:
            out.append(piece)
            continue
        ids = " ".join(escape(sp[2], quote=True) for sp in covering)
        html = piece
        for s, _, anchor in reversed(covering):
            attrs = f' data-ev="{ids}"'
            if anchor not in opened and s == a:
                attrs = f' id="{escape(anchor, quote=True)}"' + attrs
                opened.add(anchor)
            html = f'<mark class="evidence"{attrs}>{html}</mark>'
        out.append(html)
    return "".join(out)
