"""Units of measure: the one place where units are parsed and converted.

Lab values reach poemsdx in UCUM (``mg/dL``, ``10*3/uL``) and in the spellings clinicians
and lab printouts use (``mg%``, ``x10^3/µl``, ``万/μl``, ``ｍｇ／ｄｌ``, ``mg\ufffddl`` from a
PDF that lost its slash). A normalisation table in front of the UCUM parser turns those
spellings into UCUM; ``ucumvert`` parses UCUM into ``pint`` quantities, which do the
arithmetic. On top of pint's dimensions we keep a few distinctions pint cannot see
(counts per microscope field, equivalents versus moles, arbitrary units), so that values
are only ever compared in units that mean the same kind of thing.

Parsed units and conversion factors are cached: the criteria engine converts a value for
every comparison.
"""

from __future__ import annotations

__all__ = [
    "Unit",
    "convert",
    "convert_molar",
    "dimension",
    "is_compatible",
    "normalize_spelling",
    "parse_unit",
]

import functools
import math
import re
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree

from poemsdx.errors import UnitError

_EXAMPLES = "mg/dL, g/L, pg/mL, 10*3/uL"
# Longer than any real unit; bounds the work done on garbage (the UCUM parser is Earley).
_MAX_LENGTH = 64
# UCUM allows any exponent; 10*99999999 makes pint compute a 100-million-digit integer.
_MAX_EXPONENT = 30
# Significant digits kept in results: hides float noise (5.6000000000000005) only.
_DIGITS = 12


@dataclass(frozen=True, slots=True)
class Unit:
    """A parsed unit: its canonical UCUM spelling and the text it was read from."""

    ucum: str
    original: str

    def __str__(self) -> str:
        return self.ucum


# --------------------------------------------------------------------------------------
# Spelling normalisation
# --------------------------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
# Applied after NFKC, which has already folded full-width forms and µ (micro sign) to μ.
_CHARACTERS = str.maketrans(
    {
        "μ": "u",
        "µ": "u",
        "∕": "/",
        "⁄": "/",
        "·": ".",
        "⋅": ".",
        "∙": ".",
        "•": ".",
        # Japanese counts: 万 is 10^4 (platelets "万/μl"); 個 ("pieces") is a bare count.
        "万": "10*4",
        "個": "",
    }
)

# Words matched with their exact case, before the case-insensitive table below.
_TOKENS_EXACT = {
    "u": "U",  # "u/l": a lone u is the enzyme unit; as micro it always prefixes something
    "MM": "mm",  # all-capitals lab feeds; "mm"/"mM" (millimolar) are left alone
    "MS": "ms",  # "mS" (millisiemens) is left alone
}

# Lower-cased clinical word -> UCUM. Only words whose meaning does not depend on case.
_TOKENS_ANY_CASE = {
    # volume: UCUM writes the litre as L
    "l": "L",
    "dl": "dL",
    "ml": "mL",
    "ul": "uL",
    "mcl": "uL",
    "nl": "nL",
    "pl": "pL",
    "fl": "fL",
    "liter": "L",
    "litre": "L",
    "cmm": "mm3",
    "cumm": "mm3",
    # mass
    "kg": "kg",
    "gm": "g",
    "mg": "mg",
    "ug": "ug",
    "mcg": "ug",
    "ng": "ng",
    "pg": "pg",
    "fg": "fg",
    # amount of substance; UCUM spells milliequivalents "meq"
    "mol": "mol",
    "mmol": "mmol",
    "umol": "umol",
    "nmol": "nmol",
    "pmol": "pmol",
    "fmol": "fmol",
    "eq": "eq",
    "meq": "meq",
    "osm": "osm",
    "mosm": "mosm",
    # enzyme and international units (see _evaluation_text for why IU meets U)
    "iu": "[IU]",
    "miu": "m[IU]",
    "uiu": "u[IU]",
    "kiu": "k[IU]",
    "mu": "mU",
    "uu": "uU",
    "ku": "kU",
    # time
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "sec": "s",
    "secs": "s",
    "msec": "ms",
    "usec": "us",
    "min": "min",
    "mins": "min",
    "day": "d",
    "days": "d",
    "wk": "wk",
    "week": "wk",
    "weeks": "wk",
    "mo": "mo",
    "month": "mo",
    "months": "mo",
    "yr": "a",
    "yrs": "a",
    "year": "a",
    "years": "a",
    # length, pressure, voltage
    "cm": "cm",
    "mmhg": "mm[Hg]",
    "v": "V",
    "mv": "mV",
    "uv": "uV",
    # counts: "cells/mm3" is "/mm3"; per high/low-power field is an annotation
    "cell": "",
    "cells": "",
    "thou": "10*3",
    "hpf": "{HPF}",
    "lpf": "{LPF}",
    "percent": "%",
}

_RE_SUPERSCRIPT_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_RE_WHITESPACE = re.compile(r"\s+")
_RE_LOST_SLASH = re.compile("\ufffd+")
_RE_TEMPERATURE = re.compile(r"°([CF])")
_RE_BODY_SURFACE = re.compile(r"/1\.73[mM]\^?2")
# "x10^9/L", "×10³/µL", "*10*3/uL": the leading multiplication sign is not part of the unit
_RE_TIMES_POWER = re.compile(r"^[x×X*](?=10)")
# "×109/L": a PDF that lost the superscript; the × makes the power of ten certain
_RE_TIMES_LOST_SUPERSCRIPT = re.compile(r"^[x×X*]10(\d{1,2})(?=/)")
_RE_POWER_OF_TEN = re.compile(r"(?<!\d)10(?:\^|[eE](?=[+-]?\d))([+-]?\d+)")
_RE_EXPONENT_CARET = re.compile(r"(?<=[A-Za-z\]])\^([+-]?\d+)")
_RE_TIMES_BETWEEN_UNITS = re.compile(r"(?<=[A-Za-z\]}])\*(?=[A-Za-z\[{])")
_RE_THOUSANDS = re.compile(r"^[Kk](?=/)")  # "K/uL" on US blood counts, not kelvin
_RE_WORD = re.compile(r"\[[^\]]*\]|\{[^}]*\}|[A-Za-z]+")
_RE_MASS_PERCENT = re.compile(r"(?<![A-Za-z])([munpf]?g)%")  # mg% is mg/dL, not mg x 1%
_RE_LOST_SUPERSCRIPT = re.compile(r"10(?:3|4|6|9|12)/")  # "109/L" without the "x"
_RE_PER_HOURS = re.compile(r"/(\d+)h(?![A-Za-z])")  # "mg/24h" -> "mg/(24.h)"


def _word(match: re.Match[str]) -> str:
    word = match.group()
    if word[0] in "[{":  # UCUM atoms and annotations are already case-exact
        return word
    if match.string.startswith("[", match.end()):  # a prefix, as the "u" of "u[IU]"
        return word
    exact = _TOKENS_EXACT.get(word)
    if exact is not None:
        return exact
    return _TOKENS_ANY_CASE.get(word.lower(), word)


def normalize_spelling(text: str) -> str:
    """Rewrite a clinical spelling of a unit as UCUM, without checking the result.

    ``"mg/dl"`` -> ``"mg/dL"``, ``"x10^3/µl"`` -> ``"10*3/uL"``, ``"万/μl"`` -> ``"10*4/uL"``,
    ``"mg%"`` -> ``"mg/dL"``, ``"IU/l"`` -> ``"[IU]/L"``, ``"/HPF"`` -> ``"/{HPF}"``.
    Valid UCUM comes back unchanged.
    """
    # Superscripts first: NFKC would turn "10⁹" into "109".
    s = _RE_SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPTS), text)
    s = unicodedata.normalize("NFKC", s)
    s = _RE_WHITESPACE.sub("", s)
    s = _RE_LOST_SLASH.sub("/", s)  # PDF extraction replaced "/" with U+FFFD
    s = s.translate(_CHARACTERS)
    s = _RE_TEMPERATURE.sub(lambda m: "Cel" if m.group(1) == "C" else "[degF]", s)
    s = _RE_BODY_SURFACE.sub("/{1.73_m2}", s)
    s = _RE_TIMES_LOST_SUPERSCRIPT.sub(r"10*\1", s)
    s = _RE_TIMES_POWER.sub("", s)
    s = _RE_POWER_OF_TEN.sub(r"10*\1", s)
    s = _RE_EXPONENT_CARET.sub(r"\1", s)
    s = _RE_TIMES_BETWEEN_UNITS.sub(".", s)
    s = _RE_THOUSANDS.sub("10*3", s)
    s = _RE_WORD.sub(_word, s)
    s = _RE_MASS_PERCENT.sub(r"\1/dL", s)
    return _RE_PER_HOURS.sub(r"/(\1.h)", s)


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------

# UCUM's arbitrary units (isArbitrary="yes"), except [IU] and [iU] (see _evaluation_text).
_ARBITRARY_ATOMS = (
    "[hp_X] [hp_C] [hp_M] [hp_Q] [kp_X] [kp_C] [kp_M] [kp_Q] [arb'U] [USP'U] [GPL'U] "
    "[MPL'U] [APL'U] [beth'U] [anti'Xa'U] [todd'U] [dye'U] [smgy'U] [bdsk'U] [ka'U] "
    "[knk'U] [mclg'U] [tb'U] [CCID_50] [TCID_50] [EID_50] [PFU] [FFU] [CFU] [IR] [BAU] "
    "[AU] [Amb'a'1'U] [PNU] [Lf] [D'ag'U] [FEU] [ELU] [EU]"
)
# Atoms that pint treats as plain numbers (or as moles) but that must only meet themselves:
# counts per microscope field, equivalents (a mole of charge: mmol <-> meq needs the ion's
# valence) and the arbitrary units.
_TAGGED_ATOMS = {
    "[HPF]": "HPF",
    "[LPF]": "LPF",
    "eq": "eq",
    **{atom: atom for atom in _ARBITRARY_ATOMS.split()},
}
# ucumvert drops annotations; these two carry meaning ("/HPF" is not a fraction).
_TAGGED_ANNOTATIONS = {"{HPF}": "HPF", "{LPF}": "LPF"}

_Dims = tuple[tuple[str, float], ...]
_Tags = tuple[tuple[str, int], ...]
_Kind = tuple[_Dims, _Tags]

_MASS = "[mass]"
_SUBSTANCE = "[substance]"
_VOLUME_INV: _Dims = (("[length]", -3),)

_KIND_NAMES: dict[_Kind, str] = {
    ((("[length]", -3), (_MASS, 1)), ()): "mass concentration",
    (_VOLUME_INV, ()): "number concentration",
    ((("[length]", -3), (_SUBSTANCE, 1)), ()): "substance concentration",
    ((("[length]", -3), (_SUBSTANCE, 1)), (("eq", 1),)): "equivalent concentration",
    ((("[length]", -3), (_SUBSTANCE, 1), ("[time]", -1)), ()): "catalytic concentration",
    (((_SUBSTANCE, 1), ("[time]", -1)), ()): "catalytic activity",
    (((_SUBSTANCE, 1),), ()): "amount of substance",
    (((_SUBSTANCE, 1),), (("eq", 1),)): "amount of equivalents",
    ((("[mass]", -1), (_SUBSTANCE, 1)), ()): "molality",
    (((_MASS, 1), (_SUBSTANCE, -1)), ()): "molar mass",
    (((_MASS, 1),), ()): "mass",
    (((_MASS, 1), ("[time]", -1)), ()): "mass rate",
    ((("[length]", -2), (_MASS, 1)), ()): "mass per area",
    ((("[length]", 1),), ()): "length",
    ((("[length]", 2),), ()): "area",
    ((("[length]", 3),), ()): "volume",
    ((("[length]", 3), ("[time]", -1)), ()): "volume rate",
    ((("[time]", 1),), ()): "time",
    ((("[time]", -1),), ()): "frequency",
    ((("[length]", 1), ("[time]", -1)), ()): "velocity",
    ((("[length]", -1), (_MASS, 1), ("[time]", -2)), ()): "pressure",
    ((("[temperature]", 1),), ()): "temperature",
    (
        (("[current]", -1), ("[length]", 2), (_MASS, 1), ("[time]", -3)),
        (),
    ): "voltage",
    ((), ()): "fraction",
    ((), (("HPF", -1),)): "count per field",
    ((), (("LPF", -1),)): "count per field",
}


@dataclass(frozen=True, slots=True)
class _Parsed:
    unit: Unit
    kind: _Kind
    quantity: Any  # pint Quantity of magnitude 1 x the unit (or a factor, e.g. "(24.h)")
    base_factor: float  # size of the unit in SI base units (kg, m, mol, s)


@dataclass(frozen=True, slots=True)
class _Engine:
    registry: Any
    parser: Any
    parse: Any  # ucumvert.parse_ucum
    transformer: Any


_engine_lock = threading.Lock()
_engine: _Engine | None = None


def _get_engine() -> _Engine:
    """Build the pint/UCUM machinery once, on first use (it takes most of a second)."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                from ucumvert import (
                    PintUcumRegistry,
                    UcumToPintTransformer,
                    get_ucum_parser,
                    parse_ucum,
                )

                with warnings.catch_warnings():
                    # pint may warn about redefinitions while loading the UCUM definitions.
                    warnings.simplefilter("ignore")
                    registry = PintUcumRegistry()
                    parser = get_ucum_parser()
                # Bind the transformer to our registry: without a registry, ucumvert builds
                # quantities in pint's global application registry instead.
                transformer = UcumToPintTransformer(ureg=registry)
                _engine = _Engine(registry, parser, parse_ucum, transformer)
    return _engine


def _evaluation_text(ucum: str) -> str:
    # Clinically U and IU are the same thing: the enzyme unit was defined as the
    # "international unit" of catalytic activity (amylase "IU/L" is "U/L"), and hormone
    # assays are printed either way (TSH "mIU/L" or "mU/L"). UCUM keeps [IU] arbitrary
    # and unrelated to U, so we evaluate it as U while keeping the [IU] spelling.
    return ucum.replace("[IU]", "U").replace("[iU]", "U")


def _unknown(text: str, ucum: str) -> UnitError:
    read_as = f" (read as UCUM {ucum!r})" if ucum and ucum != text.strip() else ""
    return UnitError(f"unknown unit {text!r}{read_as}; expected a unit such as {_EXAMPLES}")


def _add(a: dict[str, int], b: dict[str, int], sign: int) -> dict[str, int]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0) + sign * value
    return {k: v for k, v in out.items() if v}


def _tags(node: Tree[Token] | Token) -> dict[str, int]:
    """Net exponents of the tagged atoms and annotations in a ucumvert parse tree."""
    if isinstance(node, Token):
        tag = _TAGGED_ANNOTATIONS.get(str(node)) if node.type == "ANNOTATION" else None
        return {tag: 1} if tag else {}
    children = node.children
    if node.data == "simple_unit":
        tag = _TAGGED_ATOMS.get(str(children[-1]))
        return {tag: 1} if tag else {}
    if node.data == "annotatable" and len(children) == 2:
        exponent = _exponent(children[1])
        return {k: v * exponent for k, v in _tags(children[0]).items()}
    if node.data == "term" and len(children) == 3:
        sign = -1 if str(children[1]) == "/" else 1
        return _add(_tags(children[0]), _tags(children[2]), sign)
    if node.data == "main_term" and len(children) == 2:  # leading "/"
        return _add({}, _tags(children[1]), -1)
    result: dict[str, int] = {}
    for child in children:
        result = _add(result, _tags(child), 1)
    return result


def _exponent(token: Tree[Token] | Token) -> int:
    value = int(str(token))
    if abs(value) > _MAX_EXPONENT:
        raise ValueError(f"exponent {value} is out of range")
    return value


def _check_exponents(tree: Tree[Token]) -> None:
    for token in tree.scan_values(lambda v: isinstance(v, Token) and v.type == "EXPONENT"):
        _exponent(token)


def _dims(quantity: Any) -> _Dims:
    items: list[tuple[str, float]] = []
    for name, exponent in dict(quantity.dimensionality).items():
        value = float(exponent)
        items.append((str(name), int(value) if value.is_integer() else value))
    return tuple(sorted(items))


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> _Parsed:
    stripped = text.strip()
    if not stripped:
        raise UnitError(f"empty unit {text!r}; expected a unit such as {_EXAMPLES}")
    if len(stripped) > _MAX_LENGTH:
        raise UnitError(
            f"unit text is too long ({len(stripped)} characters, at most {_MAX_LENGTH}); "
            f"expected a unit such as {_EXAMPLES}"
        )
    ucum = normalize_spelling(stripped)
    if not ucum or len(ucum) > 2 * _MAX_LENGTH:
        raise _unknown(text, ucum)
    if _RE_LOST_SUPERSCRIPT.match(ucum):
        # "109/L" is valid UCUM (109 per litre) but is really x10⁹/L with the superscript
        # lost; reading it literally would be wrong by a factor of ten million.
        raise UnitError(
            f"ambiguous unit {text!r}: probably a power of ten whose superscript was lost; "
            "write it as 10*9/L, 10*3/uL, ..."
        )
    engine = _get_engine()
    try:
        tree = engine.parse(_evaluation_text(ucum), engine.parser)
        _check_exponents(tree)
        tags = _tags(tree)
        quantity = engine.transformer.transform(tree)
        if not isinstance(quantity, engine.registry.Quantity):
            raise TypeError("not a quantity")  # e.g. a bare annotation such as "{HPF}"
        base_factor = float(quantity.to_base_units().magnitude)
        dims = _dims(quantity)
    except Exception as exc:  # lark, ucumvert and pint errors of many kinds
        raise _unknown(text, ucum) from exc
    if not math.isfinite(base_factor) or base_factor == 0.0:
        raise UnitError(f"unit {text!r} is too large or too small to compute with")
    kind: _Kind = (dims, tuple(sorted(tags.items())))
    return _Parsed(Unit(ucum=ucum, original=text), kind, quantity, base_factor)


def _key(unit: str | Unit) -> str:
    if isinstance(unit, Unit):
        return unit.ucum
    if isinstance(unit, str):
        return unit
    raise UnitError(f"a unit must be text, not {type(unit).__name__}")


def _shown(unit: str | Unit) -> str:
    return unit.original if isinstance(unit, Unit) else unit


def _kind_name(kind: _Kind) -> str:
    name = _KIND_NAMES.get(kind)
    if name is not None:
        return name
    dims, tags = kind
    parts = [f"{d}^{e}" if e != 1 else d for d, e in dims]
    parts += [f"{t}^{e}" if e != 1 else t for t, e in tags]
    return "quantity of dimension " + ("·".join(parts) if parts else "1")


def parse_unit(text: str) -> Unit:
    """Parse a unit written in UCUM or a common clinical spelling; raise UnitError if not."""
    if not isinstance(text, str):
        raise UnitError(f"a unit must be text, not {type(text).__name__}")
    return _parse_text(text).unit


def dimension(unit: str | Unit) -> str:
    """A readable name for the kind of quantity, e.g. "mass concentration"."""
    return _kind_name(_parse_text(_key(unit)).kind)


def is_compatible(a: str | Unit, b: str | Unit) -> bool:
    """Whether values in ``a`` can be converted to ``b`` (raises UnitError if not units)."""
    return _parse_text(_key(a)).kind == _parse_text(_key(b)).kind


# --------------------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------------------


class _Mismatch(Exception):
    """Internal: the two units are of different kinds (message needs the caller's context)."""

    def __init__(self, source: _Parsed, target: _Parsed) -> None:
        super().__init__()
        self.source = source
        self.target = target


def _is_mass_substance_pair(a: _Kind, b: _Kind) -> int:
    """+1 if ``a`` is mass-based and ``b`` the same kind in moles, -1 the reverse, else 0."""
    if a[1] or b[1]:
        return 0
    dims_a, dims_b = dict(a[0]), dict(b[0])
    moved = dict(dims_a)
    moved[_MASS] = moved.get(_MASS, 0) - 1
    moved[_SUBSTANCE] = moved.get(_SUBSTANCE, 0) + 1
    if {k: v for k, v in moved.items() if v} == dims_b:
        return 1
    moved = dict(dims_b)
    moved[_MASS] = moved.get(_MASS, 0) - 1
    moved[_SUBSTANCE] = moved.get(_SUBSTANCE, 0) + 1
    if {k: v for k, v in moved.items() if v} == dims_a:
        return -1
    return 0


def _mismatch_error(
    source: str | Unit, target: str | Unit, exc: _Mismatch, analyte: str | None
) -> UnitError:
    head = f"cannot convert {_shown(source)!r} to {_shown(target)!r}"
    if analyte:
        head += f" for {analyte}"
    a, b = exc.source.kind, exc.target.kind
    if _is_mass_substance_pair(a, b):
        reason = "mass and amount of substance need a molar mass (use convert_molar)"
    elif a[0] == b[0] and {t for t, _ in a[1] + b[1]} == {"eq"}:
        reason = "equivalents and moles differ by the ion's charge (valence)"
    else:
        reason = f"different kinds of quantity ({_kind_name(a)} vs {_kind_name(b)})"
    return UnitError(f"{head}: {reason}")


@functools.lru_cache(maxsize=4096)
def _affine(source: str, target: str) -> tuple[float, float]:
    """``(scale, offset)`` with target = value * scale + offset; offsets only for Cel/°F."""
    src, dst = _parse_text(source), _parse_text(target)
    if src.kind != dst.kind:
        raise _Mismatch(src, dst)
    if src.unit.ucum == dst.unit.ucum:
        return 1.0, 0.0
    quantity_class = _get_engine().registry.Quantity

    def to_target(value: float) -> float:
        q = quantity_class(value * src.quantity.magnitude, src.quantity.units)
        return float(q.to(dst.quantity.units).magnitude / dst.quantity.magnitude)

    try:
        offset = to_target(0.0)
        scale = to_target(1.0) - offset
        linear = math.isclose(to_target(2.0), 2.0 * scale + offset, rel_tol=1e-9)
    except Exception as exc:  # pint errors: offset units in products, overflow, ...
        raise UnitError(f"cannot convert {source!r} to {target!r}: {exc}") from exc
    if not linear or not (math.isfinite(scale) and math.isfinite(offset)) or scale == 0.0:
        raise UnitError(
            f"cannot convert {source!r} to {target!r}: logarithmic or out-of-range units "
            "are not supported"
        )
    return scale, offset


def _rounded(value: float) -> float:
    return float(f"{value:.{_DIGITS}g}")


def convert(
    value: float, from_unit: str | Unit, to_unit: str | Unit, *, analyte: str | None = None
) -> float:
    """Convert ``value`` between two units of the same kind (rounded to 12 significant
    digits); ``analyte`` only names the measurement in error messages."""
    try:
        scale, offset = _affine(_key(from_unit), _key(to_unit))
    except _Mismatch as exc:
        raise _mismatch_error(from_unit, to_unit, exc, analyte) from None
    return _rounded(value * scale + offset)


@functools.lru_cache(maxsize=1024)
def _molar_factor(source: str, target: str, molar_mass_g_per_mol: float) -> float:
    src, dst = _parse_text(source), _parse_text(target)
    direction = _is_mass_substance_pair(src.kind, dst.kind)
    if direction == 0:
        raise _Mismatch(src, dst)
    molar_mass = molar_mass_g_per_mol / 1000.0  # SI base: kg/mol
    if direction > 0:  # mass -> moles
        return src.base_factor / molar_mass / dst.base_factor
    return src.base_factor * molar_mass / dst.base_factor


def convert_molar(
    value: float,
    from_unit: str | Unit,
    to_unit: str | Unit,
    molar_mass_g_per_mol: float,
    *,
    analyte: str | None = None,
) -> float:
    """Convert between mass-based and substance-based units (mg/dL <-> umol/L) using the
    analyte's molar mass; units of the same kind are converted as by :func:`convert`."""
    if (
        isinstance(molar_mass_g_per_mol, bool)
        or not isinstance(molar_mass_g_per_mol, int | float)
        or not math.isfinite(molar_mass_g_per_mol)
        or molar_mass_g_per_mol <= 0
    ):
        raise UnitError(
            f"molar mass must be a positive number of g/mol, got {molar_mass_g_per_mol!r}"
        )
    source, target = _key(from_unit), _key(to_unit)
    if _parse_text(source).kind == _parse_text(target).kind:
        return convert(value, from_unit, to_unit, analyte=analyte)
    try:
        factor = _molar_factor(source, target, float(molar_mass_g_per_mol))
    except _Mismatch as exc:
        head = f"cannot convert {_shown(from_unit)!r} to {_shown(to_unit)!r}"
        if analyte:
            head += f" for {analyte}"
        raise UnitError(
            f"{head} with a molar mass: expected a mass-based and a substance-based unit "
            f"of the same kind (e.g. mg/dL and umol/L), got {_kind_name(exc.source.kind)} "
            f"and {_kind_name(exc.target.kind)}"
        ) from None
    return _rounded(value * factor)
