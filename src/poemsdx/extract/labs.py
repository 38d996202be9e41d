"""Laboratory values: analyte, number, unit, the reporting lab's reference range, specimen,
and the typing of a monoclonal protein.

The forms case reports use::

    IgG4 392mg/dl（4.8～105mg/dl）          value, unit, range "low~high unit"
    VEGF 777pg/ml（基準値＜220pg/ml）        range with a label and only an upper limit
    VEGF 1200 pg/mL (ref < 220)            English label
    血红蛋白 85 g/L（参考值 130~175）         Chinese label; g/L
    血小板 45.2万/μl                        万 = 10^4 (units.py knows it)
    骨髄穿刺で形質細胞は4.6％               percentage with words in between
    1,700pg/mlまで上昇したVEGF値は…548pg/ml  values before and after the analyte
    血清でIgG-λ型M蛋白陽性                  typed M-protein: positive, IgG, lambda, serum

A number belongs to the nearest measurement mention in its sentence whose unit it fits
(checked with ``units.is_compatible`` against the concept's unit), preferring the
analyte written just before it. Units are parsed only by ``poemsdx.units``. A specimen is
taken only from the words next to the analyte ("血清 VEGF", "serum", 血浆) or from a
concept that allows one specimen; it is never guessed.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

from ..errors import UnitError
from ..model import ReferenceRange
from ..units import convert_molar, is_compatible, parse_unit
from .alternation import alternation
from .lexicon import Lexicon

NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_UNIT = (
    r"%|‰"
    r"|(?:[x×*]\s?10\^?[0-9]{1,2}\s?)(?:/[A-Za-zμµ][A-Za-z0-9μµ]*)?"
    r"|(?:万|千)/(?:[μµu]?[lLL]|mm3|mm\^3)"
    r"|/(?:[μµu]?[lL]|mm3|mm\^3|HPF|hpf|LPF|\{HPF\})"
    r"|[A-Za-zμµ°][A-Za-z0-9μµ°\[\]]*"
    r"(?:/(?:\(?\d*\.?\d*[A-Za-zμµ°][A-Za-z0-9μµ°\[\]{}.]*\)?|\d+\s?h|{[^}]{1,12}}|分|小时|時間))*"
)
_RE_VALUE = re.compile(
    rf"(?<![A-Za-z0-9_.\-/^])(?P<cmp>[<>≤≥≦≧]=?\s?)?(?P<num>{NUM})(?![\d.,]\d)"
    rf"[ \t]*(?P<unit>{_UNIT})?"
)
_RE_TYPING = re.compile(
    r"(?P<h>Ig[GAMDE])(?![0-9a-z])\s?[-‐/]?\s?(?P<l>λ|κ|lambda|kappa|Lambda|Kappa|LAMBDA|KAPPA)"
    r"(?:\s?(?:型|type|-type))?"
    r"|(?P<l2>λ|κ|lambda|kappa)\s?(?:型|type|-type)?\s?(?P<h2>Ig[GAMDE])(?![0-9a-z])"
    r"|(?P<l3>λ|κ)\s?型"
    r"|(?<=[(（])(?P<l4>λ|κ|lambda|kappa)(?=[)）])"
    # a light chain alone ("lambda light chain only", "λ鎖", "λ轻链"); not a free light
    # chain, nor one followed by its value (those are FLC measurements)
    r"|(?<!free )(?<!free-)(?P<l5>λ|κ|lambda|kappa)[\s-]?(?:light[\s-]chain|鎖|轻链)(?!s)"
    r"(?![\s:：]*\d)"
)
TYPING_WORDS = ("Ig", "λ", "κ", "lambda", "kappa")  # every typing has one of these
_LIGHT = {"λ": "lambda", "κ": "kappa"}
_FILLER = re.compile(
    r"(?:\s|[:：=]|\([^()]{1,40}\)|値|は|が|の|で|も|水平|为|是|达|约|占|level[s]?|value|of|was|were|is|are"
    r"|count|concentration|titer|titre|at|reached|rose to|fell to|increased to|decreased to)*"
)
_MAX_UNIT = 24
_UNIT_WORDS = (("分", "min"), ("小时", "h"), ("時間", "h"))  # mL/分/1.73m2


@dataclass(slots=True)  # not frozen: made by the hundred, and a frozen one costs 4x
class Value:
    start: int
    end: int  # end of the value, unit and range
    number: float
    censored: str | None  # "<" or ">" when the report gives only a bound
    unit: str | None  # UCUM
    range: ReferenceRange | None


@dataclass(slots=True)  # not frozen: made by the hundred, and a frozen one costs 4x
class Typing:
    start: int
    end: int
    heavy: str | None
    light: str | None


@dataclass(frozen=True, slots=True, eq=False)
class LabRules:
    range_after: tuple[re.Pattern[str], ...]
    label_search: re.Pattern[str]
    specimen_before: re.Pattern[str]
    specimen_after: re.Pattern[str]
    specimens: dict[str, str]  # folded word -> specimen
    monoclonal: re.Pattern[str]
    polyclonal: re.Pattern[str]
    immunofixation: re.Pattern[str]
    specimen_method: re.Pattern[str]
    method_specimens: dict[str, str]  # lower-cased test name -> specimen


def _alt(words: list[str]) -> str:
    return alternation(words, ignore_case=True)  # (every pattern here ignores case)


@lru_cache(maxsize=8)
def compile_labs(lexicons: tuple[Lexicon, ...]) -> LabRules:
    labels: list[str] = []
    specimens: dict[str, str] = {}
    mono: list[str] = []
    poly: list[str] = []
    ife: list[str] = []
    methods: dict[str, str] = {}
    for lex in lexicons:
        for spec, words in lex.labs.specimen_methods.items():
            for w in words:
                methods.setdefault(w.lower(), spec)
        labels += lex.labs.reference_labels
        for spec, words in lex.labs.specimens.items():
            for w in words:
                specimens.setdefault(w.lower(), spec)
        mono += lex.labs.monoclonal
        poly += lex.labs.polyclonal
        ife += lex.labs.immunofixation
    label = rf"(?:{_alt(labels)})\s?[:：]?\s?" if labels else ""
    body = (
        rf"(?:(?P<lo>{NUM})\s?(?P<lou>{_UNIT})?\s?(?:[-~〜–—]|to|から|至)\s?(?P<hi>{NUM})\s?(?P<hiu>{_UNIT})?"
        rf"|(?P<op>[<>≤≥≦≧]=?)\s?(?P<lim>{NUM})\s?(?P<limu>{_UNIT})?"
        rf"|(?P<lim2>{NUM})\s?(?P<lim2u>{_UNIT})?\s?(?P<op2>未満|以下|以上|超|以内|以上))"
    )
    paren = re.compile(rf"\s?[(\[]\s?(?:{label})?{body}\s?[)\]]", re.I)
    labelled = re.compile(rf"[,，;]?\s?{label}{body}", re.I) if labels else re.compile(r"(?!)")
    column = re.compile(rf"[ \t]{{2,}}{body}(?=[ \t]|$)", re.I | re.M)
    spec_words = _alt(list(specimens))
    specimen_before = re.compile(rf"(?P<s>{spec_words})(?:\s|で|の|中の|中|から|-|:|：)*$", re.I)
    specimen_after = re.compile(rf"\s?(?:\(|in\s(?:the\s)?)(?P<s>{spec_words})", re.I)
    return LabRules(
        (paren, labelled, column),
        re.compile(rf"{label}{body}", re.I) if labels else re.compile(r"(?!)"),
        specimen_before,
        specimen_after,
        specimens,
        re.compile(_alt(mono), re.I) if mono else re.compile(r"(?!)"),
        re.compile(_alt(poly), re.I) if poly else re.compile(r"(?!)"),
        re.compile(_alt(ife), re.I) if ife else re.compile(r"(?!)"),
        re.compile(_alt(list(methods)), re.I) if methods else re.compile(r"(?!)"),
        methods,
    )


@lru_cache(maxsize=2048)
def ucum(unit_text: str) -> str | None:
    """The UCUM spelling of a unit as written, trimming stray trailing characters."""
    text = unit_text.strip()
    for cjk, latin in _UNIT_WORDS:
        text = text.replace(cjk, latin)
    for cut in range(0, 4):
        candidate = text[: len(text) - cut] if cut else text
        if not candidate or len(candidate) > _MAX_UNIT:
            continue
        try:
            return parse_unit(candidate).ucum
        except UnitError:
            continue
    return None


@lru_cache(maxsize=4096)
def fits(unit: str, concept_unit: str | None, molar: bool = False) -> bool:
    """Whether a value in ``unit`` can be a value of a concept measured in ``concept_unit``
    (through its molar mass when it has one: calcium in mmol/L, creatinine in μmol/L)."""
    if concept_unit is None:
        return True
    try:
        if is_compatible(unit, concept_unit):
            return True
        if molar:
            convert_molar(1.0, unit, concept_unit, 100.0)
            return True
    except UnitError:
        return False
    return False


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def find_values(rules: LabRules, text: str, start: int, end: int) -> list[Value]:
    """Numbers with a unit (or a bare number) and any range right after them."""
    out: list[Value] = []
    pos = start
    while pos < end:
        m = _search_value(text, pos, end)
        if m is None:
            break
        cmp_text, num_text, unit_text = m.group("cmp", "num", "unit")
        number = _number(num_text)
        unit = ucum(unit_text) if unit_text else None
        stop = m.end() if unit else m.end("num")
        rng = None
        for pattern in rules.range_after:
            r = pattern.match(text, stop, end)
            if r is not None:
                rng = _range(r, unit)
                if rng is not None:
                    stop = r.end()
                    break
        if number is not None:
            cmp = (cmp_text or "").strip()[:1] or None
            censored = _CENSORED.get(cmp or "")
            out.append(Value(m.start(), stop, number, censored, unit, rng))
        pos = max(stop, m.end(), pos + 1)
    return _share_units(text, out)


# Where a value can begin: a comparison sign or a digit (_RE_VALUE's first character) that
# does not continue a word or number (_RE_VALUE's look-behind, one character further on).
_RE_VALUE_START = re.compile(r"[<>≤≥≦≧\d](?<![A-Za-z0-9_.\-/^].)")
_CENSORED = {"<": "<", "≤": "<", "≦": "<", ">": ">", "≥": ">", "≧": ">"}


def _search_value(text: str, pos: int, end: int) -> re.Match[str] | None:
    """``_RE_VALUE.search(text, pos, end)``, tried only where a value can begin: the
    pattern opens with a look-behind, which makes the regex engine try every position."""
    while True:
        c = _RE_VALUE_START.search(text, pos, end)
        if c is None:
            return None
        m = _RE_VALUE.match(text, c.start(), end)
        if m is not None:
            return m
        pos = c.start() + 1


_RE_LIST_GAP = re.compile(
    r"^[ \t]*[,，、/]?[ \t]*[A-Za-zκλα-ω\u3040-\u9fff\- ]{1,16}[ \t]*[:：]?[ \t]*$"
)


def _share_units(text: str, values: list[Value]) -> list[Value]:
    """A list that writes the unit once ("kappa 24.1, lambda 41.0 mg/L"): a bare number
    followed by a word and a number with a unit takes that unit."""
    out = list(values)
    for k in range(len(out) - 2, -1, -1):
        v, nxt = out[k], out[k + 1]
        if (
            v.unit is None
            and nxt.unit is not None
            and v.censored is None
            and _RE_LIST_GAP.match(text[v.end : nxt.start])
        ):
            out[k] = Value(v.start, v.end, v.number, None, nxt.unit, v.range)
    return out


def _range(r: re.Match[str], value_unit: str | None) -> ReferenceRange | None:
    g = r.groupdict()
    low = high = None
    unit_text = None
    if g.get("lo") is not None:
        low, high = _number(g["lo"]), _number(g["hi"])
        unit_text = g.get("hiu") or g.get("lou")
    elif g.get("lim") is not None:
        bound = _number(g["lim"])
        unit_text = g.get("limu")
        low, high = (bound, None) if g["op"][0] in ">≥≧" else (None, bound)
    elif g.get("lim2") is not None:
        bound = _number(g["lim2"])
        unit_text = g.get("lim2u")
        low, high = (bound, None) if g["op2"] in ("以上", "超") else (None, bound)
    unit = ucum(unit_text) if unit_text else value_unit
    if unit_text and unit is None:
        return None
    if value_unit and unit and unit != value_unit and not fits(unit, value_unit):
        return None
    try:
        return ReferenceRange(low=low, high=high, unit=unit, text=r.group().strip(" ,，;"))
    except ValueError:
        return None


def find_range(rules: LabRules, text: str, start: int, end: int) -> ReferenceRange | None:
    """A reference range written on its own, as in a table header
    ("Serum VEGF (ref 62-707 pg/mL):", "VEGF（血清，基準値＜220pg/ml）の推移")."""
    for pattern in (rules.label_search, rules.range_after[0]):
        m = pattern.search(text, start, end)
        if m is not None:
            rng = _range(m, None)
            if rng is not None:
                return rng
    return None


_RE_TYPING_WORD = re.compile("|".join(map(re.escape, TYPING_WORDS)))


class TypingReader:
    """``find_typing`` over the sentences of one text: the words of which every typing has
    one are found once in the text (no two of them can overlap, so one scan finds them all),
    and a sentence without one is passed over."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = [m.span() for m in _RE_TYPING_WORD.finditer(text)]
        self.starts = [s for s, _ in self.words]

    def find(self, start: int, end: int) -> list[Typing]:
        """``find_typing(text, start, end)``."""
        k = bisect_left(self.starts, start)
        if k == len(self.words) or self.words[k][1] > end:
            return []  # the first word at or after start does not end in the sentence
        return find_typing(self.text, start, end)


def find_typing(text: str, start: int, end: int) -> list[Typing]:
    """Heavy/light-chain typing of a monoclonal protein ("IgG-λ型", "IgG lambda", "λ型IgG")."""
    out: list[Typing] = []
    here = text[start:end]
    if not any(word in here for word in TYPING_WORDS):
        return out
    for m in _RE_TYPING.finditer(text, start, end):
        heavy = m.group("h") or m.group("h2")
        light = m.group("l") or m.group("l2") or m.group("l3") or m.group("l4") or m.group("l5")
        light = _LIGHT.get(light, light.lower()) if light else None
        out.append(Typing(m.start(), m.end(), heavy, light))
    return out


def specimen_near(rules: LabRules, text: str, start: int, end: int, floor: int) -> str | None:
    """A specimen named just before ``text[start:end]`` ("血清でIgG…", "serum VEGF") or
    right after it ("(serum)", "in serum")."""
    window = text[max(floor, start - 14) : start]
    m = rules.specimen_before.search(window)
    if m is not None:
        return rules.specimens.get(m.group("s").lower())
    a = rules.specimen_after.match(text, end, min(len(text), end + 24))
    if a is not None:
        return rules.specimens.get(a.group("s").lower())
    return None


def specimen_of_method(rules: LabRules, text: str, start: int, floor: int) -> str | None:
    """The specimen named by the last test in the clause before ``start`` ("Serum protein
    electrophoresis showed a small M-spike", "血清蛋白电泳：M蛋白 42.5g/L"); a ";" ends
    the clause ("SPEP: M-spike 4.6 g/dL; IFE: IgG kappa" names no specimen for the IFE)."""
    clause = max(text.rfind(";", floor, start), text.rfind("；", floor, start)) + 1
    last = None
    for m in rules.specimen_method.finditer(text, max(floor, clause), start):
        last = m
    return rules.method_specimens.get(last.group().lower()) if last else None


@dataclass(slots=True)  # not frozen: made by the hundred, and a frozen one costs 4x
class Analyte:
    """A measurement mention as the association step sees it."""

    start: int
    end: int
    unit: str | None  # the concept's unit
    molar: bool = False  # the concept has a molar mass


def _usable(v: Value, a: Analyte) -> bool:
    if v.unit is None:
        return a.unit == "1"
    return fits(v.unit, a.unit, a.molar)


def associate(
    text: str, values: list[Value], analytes: list[Analyte], soft_breaks: list[int]
) -> dict[int, list[int]]:
    """Which values (indexes) belong to which analyte (index).

    First the analyte → value reading ("IgG4 392mg/dl", "VEGF値は777", "形質細胞は4.6％");
    then each remaining value goes to the nearest fitting analyte before it in the
    sentence, else to the first one after it in the same clause ("1,700pg/mlまで上昇した
    VEGF値").
    """
    out: dict[int, list[int]] = {}
    taken: set[int] = set()
    by_start = {v.start: k for k, v in enumerate(values)}
    for a_index, a in enumerate(analytes):
        f = _FILLER.match(text, a.end)
        pos = f.end() if f else a.end
        k = by_start.get(pos)
        if k is not None and k not in taken and _usable(values[k], a):
            out.setdefault(a_index, []).append(k)
            taken.add(k)
    for k, v in enumerate(values):
        if k in taken or v.unit is None:
            continue
        if any(a.start <= v.start < a.end for a in analytes):
            continue
        before = [i for i, a in enumerate(analytes) if a.end <= v.start and _usable(v, a)]
        if before:
            best = before[-1]
        else:
            stop = next((b for b in soft_breaks if b >= v.end), len(text))
            after = [i for i, a in enumerate(analytes) if v.end <= a.start < stop and _usable(v, a)]
            if not after:
                continue
            best = after[0]
        out.setdefault(best, []).append(k)
        taken.add(k)
    return out
