"""Clinical text → ``Case``: the extraction pipeline.

::

    bytes ─encoding─► text ─normalise─► clean text (+ map back) ─sections─► sections
      ─sentences─► sentences (language each) ─context─► cues and sentence markers
      ─doctype─► disease description? → a Case with the Document and nothing else
      ─terms─► mentions ─context─► status ─labs─► values, ranges, specimens, typing
      ─ncs─► table rows ─timeline─► dates, anchors, events ─assemble/merge─► Case

Which statements count: the introduction, references, keywords and plans are skipped; a
sentence marked *generic* ("〜を特徴とする", "is characterized by", 常见) or *literature*
(既報, "has been reported", 报道) is about the disease or other patients and is skipped
anywhere; in a discussion only sentences about this patient count (marked 本例 /
"this patient" / 该患者, or continuing such a sentence). Mentions in past-history
sections are historical, in family-history sections belong to relatives.

Choices (documented here because they change verdicts): a family, hypothetical or
(un-negated) historical mention is dropped — a past condition is not a present finding,
and a negated history ("no history of diabetes", 否认糖尿病病史) is ``absent``; a finding
said to have improved is still present; one said to have resolved (消失, "resolved") is
``absent`` at that time.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ..errors import InputError, Location
from ..knowledge.registry import Knowledge
from ..model import Case, Document, ReferenceRange
from .assemble import (
    FINDING_KINDS,
    TYPED_RESULTS,
    Builder,
    Mention,
    categories,
    finding_status,
)
from .context import Cue, assign, find_cues_each
from .doctype import Verdict as DocumentVerdict
from .doctype import disease_verdict
from .encoding import decode
from .labs import (
    Analyte,
    TypingReader,
    Value,
    associate,
    find_range,
    find_values,
    specimen_near,
    specimen_of_method,
)
from .language import Language, document_language
from .ncs import find_rows
from .normalise import Normalised, normalise
from .resources import Entry, Resources, resources
from .sections import AT_ADMISSION, DISCUSSION, SKIPPED, Section, find_sections
from .sentences import Sentence, clause_breaks, split_sentences
from .terms import boundary_ok, fold, same_case
from .timeline import TimeExpr, TimeReader

MAX_CHARS = 2_000_000
_ADMISSION = re.compile(r"入院|admitted|admission|收入|住院", re.I)
_ADMISSION_LOW = re.compile(r"入院|admitted|admission|收入|住院")  # for lower-cased text
_SHEET_SPECIMEN = re.compile(r"(?:Specimen|標本|检体|标本|検体)\s?[:：]\s?(?P<s>serum|血清)", re.I)
_SHEET_SPECIMEN_LOW = re.compile(r"(?:specimen|標本|检体|标本|検体)\s?[:：]\s?(?P<s>serum|血清)")


def extract_text(
    text: str,
    kb: Knowledge,
    *,
    document_id: str = "note",
    language: str | None = None,
    max_chars: int = MAX_CHARS,
    source: str | None = None,
) -> Case:
    """Read one clinical text into a ``Case`` whose evidence points into ``text`` (with
    CRLF and CR line breaks made LF first, as the document keeps them)."""
    return _run(text, kb, document_id, language, max_chars, source).case()


def _run(
    text: str,
    kb: Knowledge,
    document_id: str,
    language: str | None,
    max_chars: int,
    source: str | None,
) -> _Run:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > max_chars:
        raise InputError(
            f"text is {len(text):,} characters; the limit is {max_chars:,}"
            " (pass max_chars to raise it)",
            Location(source) if source else None,
        )
    if language is not None and language not in ("en", "ja", "zh"):
        raise InputError(f"unknown language '{language}'; expected en, ja or zh")
    lang: Language | None = language  # type: ignore[assignment]
    return _Run(text, kb, resources(kb), document_id, lang, source)


class FoundMention(NamedTuple):
    """One concept named in the text, with its context (a named tuple: made by the
    hundred per note, and cheaper to make than a frozen dataclass).

    ``status`` (findings, diseases and groups only) is present, absent or uncertain, or
    None when the mention is not a statement about the patient now (family, hypothetical,
    past history); ``categories`` are the context cues that govern it (negation,
    uncertainty, historical, family, hypothetical, resolved, improved, ...). ``start`` and
    ``end`` index the original text."""

    concept: str
    kind: str
    status: str | None
    categories: tuple[str, ...]
    start: int
    end: int
    quote: str
    section: str | None
    language: str


def find_mentions(
    text: str, kb: Knowledge, *, language: str | None = None, max_chars: int = MAX_CHARS
) -> list[FoundMention]:
    """The concepts a clinical text names, each with its status in context: the first half
    of ``extract_text`` (sections, sentences, lexicon matching, negation and other context,
    and which statements are about the patient), without values, times or assembly into a
    ``Case``. For screening many notes quickly; a disease description has none."""
    run = _run(text, kb, "note", language, max_chars, None)
    return run.mentions()


def extract_file(path: str | Path, kb: Knowledge, *, max_chars: int = MAX_CHARS) -> Case:
    """Read a text file (any of UTF-8/16, Shift_JIS, EUC-JP, GB18030) into a ``Case``."""
    p = Path(path)
    text = read_text_file(p, max_chars=max_chars)
    return extract_text(text, kb, document_id=p.stem or "note", max_chars=max_chars, source=str(p))


def read_text_file(path: str | Path, *, max_chars: int = MAX_CHARS) -> str:
    """The text of a file in any of UTF-8/16, Shift_JIS, EUC-JP, GB18030 (detected)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > 4 * max_chars:
            raise InputError(
                f"file is {size:,} bytes; the limit is {max_chars:,} characters", Location(str(p))
            )
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", Location(str(p))) from exc
    return decode(data).text


@dataclass(slots=True)
class _Context:
    """Reading state carried from sentence to sentence."""

    time: TimeExpr | None = None
    year: int | None = None
    chain: bool = False  # the previous discussion sentence was about this patient
    admitted: bool = False
    series: Mention | None = None  # the analyte of a table whose rows follow ("VEGF の推移")
    series_range: ReferenceRange | None = None
    last_end: int = 0


@dataclass(slots=True)
class _Read:
    """One sentence with what was found in it."""

    sent: Sentence
    cues: list[Cue]
    markers: set[str]
    mentions: list[Mention] = field(default_factory=list)
    signs: list[Mention] = field(default_factory=list)


@dataclass(slots=True)
class _Front:
    sections: list[Section]
    reads: list[_Read]
    verdict: DocumentVerdict | None

    @property
    def describes_disease(self) -> bool:
        return self.verdict is not None and self.verdict.kind == "disease_description"


class _Run:
    def __init__(
        self,
        text: str,
        kb: Knowledge,
        res: Resources,
        document_id: str,
        language: Language | None,
        source: str | None,
    ) -> None:
        self.kb = kb
        self.res = res
        self.doc_id = document_id
        self.norm: Normalised = normalise(text, res.keep_line)
        self.text = self.norm.text
        self.folded = fold(self.text)
        self.language: Language = language or document_language(self.text)
        self.source = source

    def _front(self) -> _Front:
        """What both readings share: sections, sentences with their cues and markers, the
        document's kind and, for a patient record, the mentions of each sentence."""
        text, res = self.text, self.res
        sections = find_sections(text, res.ordered)
        sentences = split_sentences(text, sections, self.language)
        cues = find_cues_each(res.cues, text, self.folded, sentences)
        reads = [_Read(s, *found) for s, found in zip(sentences, cues, strict=True)]
        headers = [text[s.header[0] : s.header[1]] for s in sections if s.header]
        verdict = disease_verdict(
            text, res.ordered, headers, [r.markers for r in reads], self._titled(reads)
        )
        front = _Front(sections, reads, verdict)
        if front.describes_disease:
            return front
        self._starts = [s.start for s in sentences]
        self._sentences = sentences
        self._sections = sections
        self._distribute(reads)
        self._typings = TypingReader(text)
        return front

    def case(self) -> Case:
        text, res = self.text, self.res
        front = self._front()
        verdict, sections, reads = front.verdict, front.sections, front.reads
        kind = verdict.kind if verdict is not None else "patient_record"
        doc = Document(
            id=self.doc_id, kind=kind, language=self.language,
            source=self.source, text=self.norm.original,
        )  # fmt: skip
        if verdict is not None and front.describes_disease:
            note = "describes a disease, not a patient: " + "; ".join(verdict.reasons)
            return Case(id=self.doc_id, documents=(doc,), notes=note)
        low = text.lower()
        # IGNORECASE matching is plain matching of the lower case when lower-casing keeps
        # every character in place (no İ, no final sigma) and no ı or ſ (which IGNORECASE
        # takes for i and s) is in the text
        self._low = low if len(low) == len(text) and not any(c in text for c in "Σıſ") else None
        self._times = TimeReader(res.time, text, self._low)
        self._admitted = self._speaks_of_admission(0, len(text))
        builder = Builder(self.kb, res, self.norm, self.doc_id)
        builder.add_rows(find_rows(res.ncs, self.norm, self.doc_id))
        if self._low is not None:  # (see above)
            sheet = _SHEET_SPECIMEN_LOW.search(self._low, 0, min(len(text), 3000))
        else:
            sheet = _SHEET_SPECIMEN.search(text, 0, min(len(text), 3000))
        builder.sheet_specimen = "serum" if sheet else None
        ctx = _Context()
        for read, section in self._walk(reads, sections, ctx):
            self._sentence(read, section, ctx, builder)
        builder.demographics(text, [(s.start, s.end) for s in sections if s.role not in SKIPPED])
        return builder.build(doc)

    def mentions(self) -> list[FoundMention]:
        """The concepts named in the statements that count, each with its context (see
        ``find_mentions``); none for a disease description."""
        front = self._front()
        if front.describes_disease:
            return []
        text, kinds = self.text, self.res.kinds
        builder = Builder(self.kb, self.res, self.norm, self.doc_id)  # for M-protein typing
        out: list[FoundMention] = []
        ctx = _Context()
        for read, section in self._walk(front.reads, front.sections, ctx):
            if not self._counts(read, section.role, ctx):
                continue
            sent = read.sent
            mentions = self._unless(read.mentions, sent)
            typings = self._typings.find(sent.start, sent.end)
            if typings:
                mentions = builder.attach_typing(mentions, typings, text, sent.start, sent.end)
            if not mentions:
                continue
            spans: list[Mention] = mentions + read.signs
            breaks = clause_breaks(text, sent.start, sent.end, sent.language) if read.cues else None
            mods = assign(text, sent.start, sent.end, sent.language, spans, read.cues, breaks)
            role, original = section.role, self.norm.original
            for m, mod in zip(mentions, mods, strict=False):
                cats = categories(mod, role)
                concept = m.entry.concept
                kind = kinds.get(concept, "")
                status = finding_status(cats) if kind in FINDING_KINDS else None
                start, end = self.norm.source_span(m.start, m.end)
                found = (concept, kind, status, tuple(sorted(cats)), start, end)
                out.append(FoundMention(*found, original[start:end], role, sent.language))
        return out

    def _walk(
        self, reads: list[_Read], sections: list[Section], ctx: _Context
    ) -> Iterator[tuple[_Read, Section]]:
        """The sentences in order, with their section; a new section or a blank line ends
        what was carried from sentence to sentence."""
        text = self.text
        current = -1
        for read in reads:
            sent = read.sent
            if sent.section != current:
                current = sent.section
                role = sections[current].role
                ctx.time = _at_admission() if role in AT_ADMISSION and ctx.admitted else None
                ctx.chain = False
                ctx.series = None
            if "\n\n" in text[ctx.last_end : sent.start]:
                ctx.series = None
            ctx.last_end = sent.end
            yield read, sections[current]

    @staticmethod
    def _counts(read: _Read, role: str | None, ctx: _Context) -> bool:
        """Whether the sentence's statements are about this patient (see the module
        docstring); keeps the discussion's chain of such sentences."""
        if role in SKIPPED or "generic" in read.markers or "literature" in read.markers:
            ctx.chain = False
            return False
        if role in DISCUSSION:
            if "patient" not in read.markers and not ctx.chain:
                return False
            ctx.chain = True
            ctx.time = None  # a discussion does not narrate: no time carries over
        return True

    def _unless(self, mentions: list[Mention], sent: Sentence) -> list[Mention]:
        """Without the mentions whose concept the sentence's words rule out."""
        unless = self.res.unless
        if not any(m.entry.concept in unless for m in mentions):
            return mentions
        window = self.folded[sent.start : sent.end]
        return [
            m for m in mentions if not any(w in window for w in unless.get(m.entry.concept, ()))
        ]

    def _titled(self, reads: list[_Read]) -> bool:
        """Whether the first line is just the name of a disease ("POEMS syndrome",
        "POEMS症候群（クロウ・深瀬症候群）"), as a textbook entry begins."""
        if not reads:
            return False
        first = reads[0].sent
        line = re.sub(r"[(（][^)）]*[)）]", "", self.text[first.start : first.end]).strip()
        if not line or "\n" in line or len(line) > 60:
            return False
        # a match of the whole line is the longest at its start, so the one a scan picks
        payloads = self.res.terms.whole(fold(line))
        return payloads is not None and any(
            self.res.kinds.get(x.concept) == "disease" for x in payloads[0]
        )

    # -- matching ---------------------------------------------------------------------
    def _distribute(self, reads: list[_Read]) -> None:
        """Scan the whole text once for terms and signs, then hand each to its sentence."""
        whole = [(0, len(self.folded))]
        terms = self.res.terms.scan_each(self.folded, self._accept_term, whole)[0]
        signs = self.res.signs.scan_each(self.folded, self._accept_sign, whole)[0]
        for found, attr in ((terms, "mentions"), (signs, "signs")):
            k = 0
            n = len(found)
            for read in reads:
                sent = read.sent
                while k < n and found[k][0] < sent.start:
                    k += 1
                out = getattr(read, attr)
                while k < n and found[k][0] < sent.end:
                    start, end, entries = found[k]
                    for entry in entries:
                        out.append(Mention(start, end, entry))
                    k += 1

    def _sentence_at(self, pos: int) -> Sentence | None:
        i = bisect_right(self._starts, pos) - 1
        if i < 0:
            return None
        s = self._sentences[i]
        return s if pos < s.end else None

    def _accept_term(
        self, start: int, end: int, payloads: list[tuple[Entry, ...]]
    ) -> tuple[tuple[Entry, ...], int] | None:
        """Every entry of the form that fits here (one per concept: 胸腹水 is two)."""
        entries = payloads[0]
        first = entries[0]
        # the entries of one automaton key share its folded form, hence its boundaries
        stop = boundary_ok(self.text, start, end, first.key)
        if stop is None:
            return None
        if len(entries) == 1:
            if first.exact_case and not same_case(self.text[start:end], first.form):
                return None
            if first.requires:
                here = self._window(self._sentence_at(start))
                if not any(w in here for w in first.requires):
                    return None
            return entries, stop
        sent = self._sentence_at(start)
        lang = sent.language if sent else self.language
        entries = tuple(sorted(entries, key=lambda e: e.language != lang))
        window: str | None = None
        chosen: dict[str, Entry] = {}
        for e in entries:
            if e.concept in chosen:
                continue
            if e.exact_case and not same_case(self.text[start:end], e.form):
                continue
            if e.requires:
                if window is None:
                    window = self._window(sent)
                if not any(w in window for w in e.requires):
                    continue
            chosen[e.concept] = e
        return (tuple(chosen.values()), stop) if chosen else None

    def _window(self, sent: Sentence | None) -> str:
        """The folded sentence and its section header ("【骨髄】… 形質細胞 52.0％")."""
        if sent is None:
            return ""
        window = self.folded[sent.start : sent.end]
        header = self._sections[sent.section].header
        if header is not None:
            window += " " + self.folded[header[0] : header[1]]
        return window

    def _accept_sign(
        self, start: int, end: int, payloads: list[tuple[Entry, ...]]
    ) -> tuple[tuple[Entry, ...], int] | None:
        e = payloads[0][0]
        stop = boundary_ok(self.text, start, end, e.key)
        return None if stop is None else ((e,), stop)

    # -- one sentence -----------------------------------------------------------------
    def _sentence(self, read: _Read, section: Section, ctx: _Context, builder: Builder) -> None:
        sent, text, res = read.sent, self.text, self.res
        start, end = sent.start, sent.end
        role = section.role
        mentions, signs = read.mentions, read.signs
        admission = self._admission(start, end)
        if admission:
            ctx.admitted = True
        kinds = res.kinds
        treatments = [
            (m.start, m.end, m.entry.concept)
            for m in mentions
            if kinds.get(m.entry.concept) == "treatment"
        ]
        times, ctx.year = self._times.find(start, end, treatments, ctx.year)
        if times:
            times = [builder.resolve_previous(t, ctx.time) for t in times]
        if not self._counts(read, role, ctx):
            return
        mentions = self._unless(mentions, sent)
        for t in times:
            if t.date and not t.anchor and admission:
                builder.admission(t)
        typings = self._typings.find(start, end)
        if typings:  # (without typings the mentions, in order of start, stay as they are)
            mentions = builder.attach_typing(mentions, typings, text, start, end)
        if not mentions and not signs and ctx.series is None and not times:
            return  # nothing here to read, nor values for a table or a time to carry
        measures = [
            i for i, m in enumerate(mentions) if kinds.get(m.entry.concept) == "measurement"
        ]
        # Values are read where something takes them: a measurement of the sentence, the
        # analyte of a table (ctx.series), or the narrative time of a sentence of values.
        values: list[Value] = []
        if measures or ctx.series is not None or (times and not mentions and not signs):
            values = [v for v in find_values(res.labs, text, start, end) if v.censored is None]
            if values and mentions:
                values = [
                    v for v in values if not any(m.start <= v.start < m.end for m in mentions)
                ]
            if values and times:
                values = [v for v in values if not any(t.start <= v.start < t.end for t in times)]
        spans: list[Mention] = mentions + signs
        # clause breaks are read by the cues' scopes, by values looking for their analyte and
        # by a CJK sentence's times (see _time_for)
        if (spans and read.cues) or (measures and values) or (times and sent.language != "en"):
            breaks = clause_breaks(text, start, end, sent.language)
        else:
            breaks = ([], [])
        soft = breaks[1]
        mods = assign(text, start, end, sent.language, spans, read.cues, breaks)
        analytes = [self._analyte(mentions[i]) for i in measures]
        assoc = associate(text, values, analytes, soft) if values and analytes else {}
        # the specimen of each measurement (only a measurement has one)
        specimens = self._specimens(mentions, measures, start) if measures else {}
        for k, m in enumerate(mentions):
            when = _time_for(m.start, times, ctx.time, sent, soft)
            builder.mention(m, mods[k], role, when, specimens.get(k), sent, times, mentions)
        for a_index, value_indexes in assoc.items():
            m = mentions[measures[a_index]]
            specimen = specimens[measures[a_index]]
            for vi in value_indexes:
                v = values[vi]
                builder.value(
                    m,
                    v,
                    role,
                    _time_for(v.start, times, ctx.time, sent, soft),
                    specimen,
                    mods[measures[a_index]],
                )
        self._series(read, mentions, measures, values, assoc, times, ctx, builder)
        for k, s in enumerate(signs):
            builder.sign(s, mods[len(mentions) + k], role)
        if times and (mentions or signs or values):
            # a line of bare dates ("退院日：…") is not narrative time, nor the start of an
            # ongoing state ("on bortezomib since 02/2025"): what follows is said now
            since = res.time.ongoing_from
            narrative = [t for t in times if not since.search(text, max(0, t.start - 20), t.start)]
            if narrative:
                ctx.time = narrative[-1]

    def _specimens(
        self, mentions: list[Mention], measures: list[int], floor: int
    ) -> dict[int, str | None]:
        """The specimen of each measurement, by its index in ``mentions``."""
        labs, text = self.res.labs, self.text
        out: dict[int, str | None] = {}
        for i in measures:
            m = mentions[i]
            specimen = m.entry.specimen or specimen_near(labs, text, m.phrase_start, m.end, floor)
            if specimen is None and m.entry.concept in TYPED_RESULTS:
                specimen = specimen_of_method(labs, text, m.phrase_start, floor)
            out[i] = specimen
        return out

    def _admission(self, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` speaks of an admission (入院, "admitted", 住院)."""
        # (not a word of it in the whole text: in no part of it either)
        return self._admitted and self._speaks_of_admission(start, end)

    def _speaks_of_admission(self, start: int, end: int) -> bool:
        if self._low is not None:
            return _ADMISSION_LOW.search(self._low, start, end) is not None
        return _ADMISSION.search(self.text, start, end) is not None

    def _analyte(self, m: Mention) -> Analyte:
        concept = m.entry.concept
        return Analyte(m.start, m.end, self.res.units.get(concept), concept in self.res.molar)

    def _series(
        self,
        read: _Read,
        mentions: list[Mention],
        measures: list[int],
        values: list[Value],
        assoc: dict[int, list[int]],
        times: list[TimeExpr],
        ctx: _Context,
        builder: Builder,
    ) -> None:
        """Rows of a table of one analyte over time ("VEGF（血清）の推移" / "Serum VEGF:"
        followed by "2022/03  2,980 pg/ml" lines) and results listed after a label
        ("免疫固定电泳：2021-12 IgG-λ型阳性；2022-11 阴性")."""
        sent, text = read.sent, self.text
        if len(measures) == 1 and not assoc:
            ctx.series = mentions[measures[0]]
            ctx.series_range = find_range(self.res.labs, text, ctx.series.end, sent.end)
        elif measures:
            ctx.series = None
        elif ctx.series is not None and values:
            m = ctx.series
            analyte = self._analyte(m)
            specimen = m.entry.specimen or specimen_near(
                self.res.labs, text, m.phrase_start, m.end, 0
            )
            for k in associate(text, values, [analyte], []).get(0, []):
                v = values[k]
                when = _time_for(v.start, times, ctx.time, sent, [])
                builder.value(m, v, "series", when, specimen, None, ctx.series_range)
        if measures:  # results after a label need a measurement to label
            builder.label_results(read.cues, mentions, times)


def _time_for(
    pos: int, times: list[TimeExpr], current: TimeExpr | None, sent: Sentence, soft: list[int]
) -> TimeExpr | None:
    """The time of what is said at ``pos``: in English the time right after it (within 40
    characters, and nearer than the one before) or else the last one before; in CJK the
    last one before, or else one after it in the same clause; else the narrative's
    ``current`` time."""
    before: TimeExpr | None = None  # the last time that ends before pos
    after: TimeExpr | None = None  # the first time that starts after it
    for t in times:
        if t.end <= pos:
            before = t
        if after is None and t.start >= pos:
            after = t
    if sent.language == "en":
        if (
            after is not None
            and after.start - pos <= 40
            and (before is None or after.start - pos < pos - before.end)
        ):
            return after
        if before is not None:
            return before
        return current
    if before is not None:
        return before
    if after is not None:
        stop = next((b for b in soft if b >= pos), sent.end)
        if after.start < stop:
            return after
    return current


def _at_admission() -> TimeExpr:
    return TimeExpr(-1, -1, anchor="admission")
