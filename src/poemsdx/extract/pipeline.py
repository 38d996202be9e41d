"""Clinical text → ``Case``: the extraction pipeline.

::

    bytes ─encoding─► text ─normalise─► clean text (+ map back) ─sections─► sections
      ─doctype─► disease description? → a Case with the Document and nothing else
      ─sentences─► sentences (language each) ─terms─► mentions ─context─► status
      ─labs─► values, ranges, specimens, M-protein typing ─ncs─► table rows
      ─timeline─► dates, anchors, events ─assemble─► Case

Which statements count: the introduction, references and keywords are skipped; a
sentence marked *generic* ("〜を特徴とする", "is characterized by", 常见) or *literature*
(既報, "has been reported", 报道) is about the disease or other patients and is skipped
anywhere; in a discussion only sentences about this patient count (marked 本例 /
"this patient" / 该患者, or continuing such a sentence). Mentions in past-history
sections are historical, in family-history sections belong to relatives.

Choices (documented here because they change verdicts): a family or hypothetical
mention is dropped; a historical mention becomes ``uncertain`` (a past condition may
matter, but is not a present finding), unless negated ("no history of diabetes" →
absent); a mention that only says a finding improved is dropped; one that says it
resolved (消失, "resolved") is ``absent`` at that time.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, Location
from ..knowledge.registry import Knowledge
from ..model import Case, Document
from .assemble import Builder, Mention
from .context import Span, assign, find_cues
from .doctype import classify
from .encoding import decode
from .labs import Analyte, associate, find_typing, find_values, specimen_near
from .language import Language, document_language
from .ncs import find_rows
from .normalise import Normalised, normalise
from .resources import Entry, Resources, resources
from .sections import AT_ADMISSION, DISCUSSION, SKIPPED, find_sections
from .sentences import Sentence, clause_breaks, split_sentences
from .terms import boundary_ok, fold, same_case
from .timeline import TimeExpr, find_times

MAX_CHARS = 2_000_000
_ADMISSION = re.compile(r"入院|admitted|admission|收入|住院", re.I)


def extract_text(
    text: str,
    kb: Knowledge,
    *,
    document_id: str = "note",
    language: str | None = None,
    max_chars: int = MAX_CHARS,
    source: str | None = None,
) -> Case:
    """Read one clinical text into a ``Case`` whose evidence points into ``text``."""
    if len(text) > max_chars:
        raise InputError(
            f"text is {len(text):,} characters; the limit is {max_chars:,} (pass max_chars to raise it)",
            Location(source) if source else None,
        )
    if language is not None and language not in ("en", "ja", "zh"):
        raise InputError(f"unknown language '{language}'; expected en, ja or zh")
    lang: Language | None = language  # type: ignore[assignment]
    return _Run(text, kb, resources(kb), document_id, lang, source).case()


def extract_file(path: str | Path, kb: Knowledge, *, max_chars: int = MAX_CHARS) -> Case:
    """Read a text file (any of UTF-8/16, Shift_JIS, EUC-JP, GB18030) into a ``Case``."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > 4 * max_chars:
            raise InputError(f"file is {size:,} bytes; the limit is {max_chars:,} characters", Location(str(p)))
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", Location(str(p))) from exc
    decoded = decode(data)
    return extract_text(decoded.text, kb, document_id=p.stem or "note", max_chars=max_chars, source=str(p))


@dataclass(slots=True)
class _Context:
    """Reading state carried from sentence to sentence."""

    time: TimeExpr | None = None
    year: int | None = None
    chain: bool = False  # the previous discussion sentence was about this patient
    admitted: bool = False
    anchors_seen: list[TimeExpr] = field(default_factory=list)


class _Run:
    def __init__(
        self, text: str, kb: Knowledge, res: Resources, document_id: str, language: Language | None, source: str | None
    ) -> None:
        self.kb = kb
        self.res = res
        self.doc_id = document_id
        self.norm: Normalised = normalise(text, res.keep_line)
        self.text = self.norm.text
        self.folded = fold(self.text)
        self.language: Language = language or document_language(self.text)
        self.source = source

    def case(self) -> Case:
        sections = find_sections(self.text, self.res.ordered)
        headers = [self.text[s.header[0] : s.header[1]] for s in sections if s.header]
        verdict = classify(self.text, self.res.ordered, headers)
        doc = Document(
            id=self.doc_id,
            kind=verdict.kind,  # type: ignore[arg-type]
            language=self.language,
            source=self.source,
            text=self.norm.original,
        )
        if verdict.kind == "disease_description":
            note = "describes a disease, not a patient: " + "; ".join(verdict.reasons)
            return Case(id=self.doc_id, documents=(doc,), notes=note)
        sentences = split_sentences(self.text, sections, self.language)
        self._starts = [s.start for s in sentences]
        self._sentences = sentences
        mentions = self.res.terms.scan(self.folded, self._accept_term)
        signs = self.res.signs.scan(self.folded, self._accept_sign)
        builder = Builder(self.kb, self.res, self.norm, self.doc_id)
        builder.add_rows(find_rows(self.res.ncs, self.norm, self.doc_id))
        ctx = _Context()
        current = -1
        mi = si = 0
        for sent in sentences:
            if sent.section != current:
                current = sent.section
                role = sections[current].role
                ctx.time = _at_admission() if role in AT_ADMISSION and ctx.admitted else None
                ctx.chain = False
            while mi < len(mentions) and mentions[mi].start < sent.start:
                mi += 1
            while si < len(signs) and signs[si].start < sent.start:
                si += 1
            own = []
            while mi < len(mentions) and mentions[mi].start < sent.end:
                own.append(Mention(mentions[mi].start, mentions[mi].end, mentions[mi].payload))
                mi += 1
            own_signs = []
            while si < len(signs) and signs[si].start < sent.end:
                own_signs.append(Mention(signs[si].start, signs[si].end, signs[si].payload))
                si += 1
            self._sentence(sent, sections[current].role, own, own_signs, ctx, builder)
        builder.demographics(self.text, [(s.start, s.end) for s in sections if s.role not in SKIPPED])
        return builder.build(doc)

    # -- matching ---------------------------------------------------------------------
    def _sentence_at(self, pos: int) -> Sentence | None:
        i = bisect_right(self._starts, pos) - 1
        if i < 0:
            return None
        s = self._sentences[i]
        return s if pos < s.end else None

    def _accept_term(self, start: int, end: int, payloads: list[Entry]) -> tuple[Entry, int] | None:
        sent = self._sentence_at(start)
        lang = sent.language if sent else self.language
        ranked = sorted(payloads, key=lambda e: e.language != lang)
        for e in ranked:
            stop = boundary_ok(self.text, start, end, e.key)
            if stop is None:
                continue
            if e.exact_case and not same_case(self.text[start:end], e.form):
                continue
            if e.requires:
                if sent is None:
                    continue
                window = self.folded[sent.start : sent.end]
                if not any(w in window for w in e.requires):
                    continue
            return e, stop
        return None

    def _accept_sign(self, start: int, end: int, payloads: list[Entry]) -> tuple[Entry, int] | None:
        e = payloads[0]
        stop = boundary_ok(self.text, start, end, e.key)
        return None if stop is None else (e, stop)

    # -- one sentence -----------------------------------------------------------------
    def _sentence(
        self,
        sent: Sentence,
        role: str | None,
        mentions: list[Mention],
        signs: list[Mention],
        ctx: _Context,
        builder: Builder,
    ) -> None:
        text, res = self.text, self.res
        if _ADMISSION.search(text, sent.start, sent.end):
            ctx.admitted = True
        treatments = [(m.start, m.end, m.entry.concept) for m in mentions if res.kinds.get(m.entry.concept) == "treatment"]
        times, ctx.year = find_times(res.time, text, sent.start, sent.end, treatments, ctx.year)
        times = [builder.resolve_previous(t, ctx.time) for t in times]
        if role in SKIPPED:
            return
        rules = res.cues[sent.language]
        cues, markers = find_cues(rules, text, self.folded, sent.start, sent.end)
        if "generic" in markers or "literature" in markers:
            ctx.chain = False
            return
        if role in DISCUSSION:
            if "patient" not in markers and not ctx.chain:
                return
            ctx.chain = True
            ctx.time = None  # a discussion does not narrate: no time carries over
        window = self.folded[sent.start : sent.end]
        mentions = [m for m in mentions if not any(w in window for w in res.unless.get(m.entry.concept, ()))]
        for t in times:
            if t.date and _ADMISSION.search(text, sent.start, sent.end) and not t.anchor:
                builder.admission(t)
        typings = find_typing(text, sent.start, sent.end)
        mentions = builder.attach_typing(mentions, typings, text, sent.start, sent.end)
        values = find_values(res.labs, text, sent.start, sent.end)
        values = [v for v in values if not any(m.start <= v.start < m.end for m in mentions)]
        values = [v for v in values if not any(t.start <= v.start < t.end for t in times)]
        spans = [Span(m.start, m.end) for m in mentions] + [Span(m.start, m.end) for m in signs]
        mods = assign(text, sent.start, sent.end, sent.language, spans, cues)
        _, soft = clause_breaks(text, sent.start, sent.end, sent.language)
        measures = [i for i, m in enumerate(mentions) if res.kinds.get(m.entry.concept) == "measurement"]
        analytes = [
            Analyte(mentions[i].start, mentions[i].end, res.units.get(mentions[i].entry.concept),
                    mentions[i].entry.concept in res.molar)
            for i in measures
        ]  # fmt: skip
        assoc = associate(text, values, analytes, soft)
        for k, m in enumerate(mentions):
            when = self._time_for(m.start, times, ctx, sent, soft)
            specimen = m.entry.specimen or specimen_near(res.labs, text, m.phrase_start, m.end, sent.start)
            builder.mention(m, mods[k], role, when, specimen, sent, times)
        for a_index, value_indexes in assoc.items():
            m = mentions[measures[a_index]]
            specimen = m.entry.specimen or specimen_near(res.labs, text, m.phrase_start, m.end, sent.start)
            for vi in value_indexes:
                v = values[vi]
                when = self._time_for(v.start, times, ctx, sent, soft)
                builder.value(m, v, role, when, specimen, mods[measures[a_index]])
        for k, s in enumerate(signs):
            builder.sign(s, mods[len(mentions) + k], role)
        self._advance(ctx, times)

    @staticmethod
    def _advance(ctx: _Context, times: list[TimeExpr]) -> None:
        if times:
            ctx.time = times[-1]

    def _time_for(
        self, pos: int, times: list[TimeExpr], ctx: _Context, sent: Sentence, soft: list[int]
    ) -> TimeExpr | None:
        before = [t for t in times if t.end <= pos]
        after = [t for t in times if t.start >= pos]
        if sent.language == "en":
            if after and after[0].start - pos <= 40 and (not before or after[0].start - pos < pos - before[-1].end):
                return after[0]
            if before:
                return before[-1]
            return ctx.time
        if before:
            return before[-1]
        if after:
            stop = next((b for b in soft if b >= pos), sent.end)
            if after[0].start < stop:
                return after[0]
        return ctx.time


def _at_admission() -> TimeExpr:
    return TimeExpr(-1, -1, anchor="admission")
