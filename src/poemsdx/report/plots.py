"""Timeline plots of followed labs (VEGF, M-protein, IgG4, platelets …), SVG or PNG.

One small panel per test and specimen, the reporting lab's reference band shaded, each
disease-directed treatment as a labelled vertical line; titles and labels in en / ja / zh
with concept names from the knowledge base. Rendering uses matplotlib's Agg and SVG
canvases directly (no pyplot, no display)::

    from poemsdx.report.plots import plot_timeline
    plot = plot_timeline(case, kb, lang="ja", fmt="svg")
    Path("course.svg").write_bytes(plot.data)

Japanese and Chinese need a CJK font: ``Noto Sans CJK JP`` (ja) or ``Noto Sans CJK SC`` (zh)
when installed, else any installed CJK font (``make sysdeps`` installs fonts-noto-cjk on
Debian). With none, the plot is drawn with the default font (CJK glyphs missing), the
plot's metadata says so (``cjk_font_missing``) and a one-line ``MissingFontWarning`` is
issued unless ``warn=False``. SVG keeps text as text (``svg.fonttype: none``) so titles
stay searchable and selectable.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from ..engine.compare import fmt as fmt_number
from ..errors import InputError
from ..knowledge.registry import Knowledge
from ..model import Case
from ..response.series import Series, TreatmentMark, timeline, treatment_marks
from ._locale import check_language

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = ["FORMATS", "MissingFontWarning", "Plot", "cjk_font", "plot_timeline"]

FORMATS = ("svg", "png")
PlotFormat = Literal["svg", "png"]

_PREFERRED: dict[str, tuple[str, ...]] = {
    "ja": ("Noto Sans CJK JP", "IPAexGothic", "IPAGothic", "Noto Serif CJK JP"),
    "zh": ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Serif CJK SC"),
}
_ANY_CJK = re.compile(r"CJK|IPAex|IPA(P)?(Gothic|Mincho)|WenQuanYi|Source Han|Droid Sans Fallback")
_CJK_FILE = re.compile(
    r"(noto.*cjk|ipaex|ipag|ipam|wqy|wenquanyi|sourcehan|droidsansfallback)", re.I
)
_GLYPH_WARNING = r"Glyph .* missing from (current )?font"

_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Course of followed laboratory values",
        "reference": "reference range",
        "default_reference": "reference range (default)",
        "positive": "positive",
        "negative": "negative",
        "empty": "No followed laboratory values",
        "before": "before treatment",
        "after": "after treatment",
    },
    "ja": {
        "title": "経過中の検査値の推移",
        "reference": "基準範囲",
        "default_reference": "基準範囲（既定値）",
        "positive": "陽性",
        "negative": "陰性",
        "empty": "経過を追う検査値がありません",
        "before": "治療前",
        "after": "治療後",
    },
    "zh": {
        "title": "随访检验指标的变化",
        "reference": "参考范围",
        "default_reference": "参考范围（默认）",
        "positive": "阳性",
        "negative": "阴性",
        "empty": "没有随访的检验指标",
        "before": "治疗前",
        "after": "治疗后",
    },
}
_SPECIMENS: dict[str, dict[str, str]] = {
    "serum": {"en": "serum", "ja": "血清", "zh": "血清"},
    "plasma": {"en": "plasma", "ja": "血漿", "zh": "血浆"},
    "blood": {"en": "blood", "ja": "血液", "zh": "血液"},
    "urine": {"en": "urine", "ja": "尿", "zh": "尿"},
    "csf": {"en": "CSF", "ja": "髄液", "zh": "脑脊液"},
    "bone_marrow": {"en": "bone marrow", "ja": "骨髄", "zh": "骨髓"},
}
_QUALITATIVE_Y = {"negative": 0.0, "normal": 0.0, "low": 0.0, "equivocal": 0.5}


class MissingFontWarning(UserWarning):
    """No CJK font is installed: a ja/zh plot was drawn with the default font."""


@dataclass(frozen=True, slots=True)
class Plot:
    """A rendered plot and what it was drawn with."""

    data: bytes
    format: str
    lang: str
    title: str
    font: str | None  # the CJK family used, or None for matplotlib's default font
    cjk_font_missing: bool
    panels: tuple[str, ...]  # "concept/specimen" of each panel
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def media_type(self) -> str:
        return "image/svg+xml" if self.format == "svg" else "image/png"

    def text(self) -> str:
        """The SVG document as text (SVG only)."""
        if self.format != "svg":
            raise InputError("only an SVG plot has a text form")
        return self.data.decode("utf-8")


# -- fonts --------------------------------------------------------------------------------
@cache
def _installed_families() -> frozenset[str]:
    """Font families matplotlib can use; registers CJK fonts its cache has not seen yet
    (a font installed after matplotlib built its font cache)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not any(_ANY_CJK.search(n) for n in names):
        for path in font_manager.findSystemFonts(fontext="ttf"):  # also .otf and .ttc
            if _CJK_FILE.search(path):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # unreadable font file
                    continue
        names = {f.name for f in font_manager.fontManager.ttflist}
    return frozenset(names)


def cjk_font(lang: str) -> str | None:
    """The font family to draw ``lang`` with: None for English, or when no CJK font exists."""
    check_language(lang)
    if lang == "en":
        return None
    families = _installed_families()
    for name in _PREFERRED.get(lang, ()):
        if name in families:
            return name
    candidates = sorted(n for n in families if _ANY_CJK.search(n))
    sans = [n for n in candidates if "Sans" in n or "Gothic" in n or "Hei" in n]
    chosen = sans or candidates
    return chosen[0] if chosen else None


# -- plotting -----------------------------------------------------------------------------
def plot_timeline(
    case: Case,
    kb: Knowledge,
    *,
    lang: str = "en",
    fmt: str = "svg",
    concepts: Iterable[str] | None = None,
    warn: bool = True,
    dpi: int = 144,
) -> Plot:
    """Plot followed labs of ``case`` (default: every test measured more than once)."""
    check_language(lang)
    if fmt not in FORMATS:
        raise InputError(f"unknown plot format '{fmt}'; allowed: {', '.join(FORMATS)}")
    font = cjk_font(lang)
    missing = lang != "en" and font is None
    if missing and warn:
        warnings.warn(
            f"no CJK font installed: the {lang} plot uses the default font and its Japanese/"
            "Chinese text will not show; install one (Debian: apt-get install fonts-noto-cjk, "
            "or `make sysdeps`)",
            MissingFontWarning,
            stacklevel=2,
        )
    series = timeline(case, kb, concepts)
    marks = treatment_marks(case, kb)
    strings = _STRINGS[lang]
    title = strings["title"]
    subtitle = case.title or case.id
    meta = {
        "lang": lang,
        "font": font or "default",
        "cjk_font_missing": "true" if missing else "false",
        "case": case.id,
    }
    data = _render(series, marks, lang, fmt, font, missing, title, subtitle, meta, dpi)
    panels = tuple(f"{s.concept}/{s.specimen or '-'}" for s in series)
    return Plot(data, fmt, lang, title, font, missing, panels, meta)


def _rc(font: str | None, lang: str) -> dict[RcKeyType, Any]:
    rc: dict[RcKeyType, Any] = {
        "svg.fonttype": "none",
        "svg.hashsalt": "poemsdx",
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.unicode_minus": lang == "en" or font is not None,
    }
    if font is not None:
        rc["font.family"] = ["sans-serif"]
        rc["font.sans-serif"] = [font, "DejaVu Sans"]
    return rc


def _render(
    series: list[Series],
    marks: list[TreatmentMark],
    lang: str,
    fmt: str,
    font: str | None,
    missing: bool,
    title: str,
    subtitle: str,
    meta: dict[str, str],
    dpi: int,
) -> bytes:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc(font, lang)), warnings.catch_warnings():
        if missing:
            # Our one-line warning (and the metadata) already say the glyphs are missing.
            warnings.filterwarnings("ignore", message=_GLYPH_WARNING, category=UserWarning)
        n = max(len(series), 1)
        ncols = 1 if n <= 2 else 2
        nrows = math.ceil(n / ncols)
        fig = Figure(figsize=(4.6 * ncols, 2.3 * nrows + 0.9), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
        fig.suptitle(f"{title}\n{subtitle}", fontsize=10)
        flat = [ax for row in axes for ax in row]
        if not series:
            flat[0].set_axis_off()
            flat[0].text(0.5, 0.5, _STRINGS[lang]["empty"], ha="center", va="center")
        for i, ax in enumerate(flat):
            if i >= len(series):
                if series:
                    ax.set_axis_off()
                continue
            _panel(ax, series[i], marks, lang, top=i < ncols)
        buf = io.BytesIO()
        metadata = _file_metadata(fmt, title, subtitle, meta)
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    return buf.getvalue()


def _file_metadata(fmt: str, title: str, subtitle: str, meta: dict[str, str]) -> dict[str, Any]:
    description = "poemsdx timeline; " + "; ".join(f"{k}: {v}" for k, v in meta.items())
    if fmt == "svg":
        return {"Title": f"{title} — {subtitle}", "Description": description, "Date": None}
    return {"Title": f"{title} — {subtitle}", "Description": description, "Software": "poemsdx"}


def _day(ordinal: float) -> datetime:
    d = date.fromordinal(round(ordinal))
    return datetime(d.year, d.month, d.day)


def _panel(ax: Any, s: Series, marks: list[TreatmentMark], lang: str, top: bool) -> None:
    strings = _STRINGS[lang]
    specimen = _SPECIMENS.get(s.specimen or "", {}).get(lang, s.specimen or "")
    name = s.name(lang)
    ax.set_title(
        f"{name}（{specimen}）" if lang != "en" and specimen else f"{specimen} {name}".strip()
    )
    placed = [p for p in s.points if p.ordinal is not None]
    if s.qualitative:
        xs = [_day(p.ordinal) for p in placed if p.ordinal is not None]
        ys = [_QUALITATIVE_Y.get(p.result or "", 1.0) for p in placed]
        ax.plot(xs, ys, linestyle="none", marker="s", color="#444444")
        ax.set_ylim(-0.5, 1.5)
        ax.set_yticks([0.0, 1.0], [strings["negative"], strings["positive"]])
        for x, y, p in zip(xs, ys, placed, strict=True):
            word = strings.get(p.result or "", p.result or "")
            ax.annotate(word, (x, y), textcoords="offset points", xytext=(0, 6), ha="center")
    else:
        numeric = [p for p in placed if p.value is not None]
        xs = [_day(p.ordinal) for p in numeric if p.ordinal is not None]
        ys = [p.value for p in numeric if p.value is not None]
        if s.band is not None:
            _band(ax, s, ys, strings)
        ax.plot(xs, ys, marker="o", color="#1f4e79", linewidth=1.4)
        for x, y in zip(xs, ys, strict=True):
            ax.annotate(
                fmt_number(y), (x, y), textcoords="offset points", xytext=(0, 5), ha="center"
            )
        if s.unit:
            ax.set_ylabel(s.unit)
        ax.set_ylim(bottom=0, top=max([*ys, *_band_top(s)], default=1.0) * 1.25)
    for m in marks:
        if m.ordinal is None:
            continue
        x = _day(m.ordinal)
        ax.axvline(x, color="#b22222", linestyle="--", linewidth=1)
        if top:
            label = m.short_names.get(lang) or m.short_names.get("en") or m.event
            ax.annotate(
                label,
                (x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -10),
                textcoords="offset points",
                color="#b22222",
                fontsize=7,
            )
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    from matplotlib.dates import AutoDateLocator, DateFormatter

    ax.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=7))  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(DateFormatter("%Y-%m"))  # type: ignore[no-untyped-call]


def _band_top(s: Series) -> list[float]:
    if s.band is None:
        return []
    return [v for v in (s.band.low, s.band.high) if v is not None]


def _band(ax: Any, s: Series, ys: list[float], strings: dict[str, str]) -> None:
    band = s.band
    assert band is not None
    low = band.low if band.low is not None else 0.0
    high = band.high if band.high is not None else max([*ys, low], default=low) * 1.25
    label = strings["reference"] if band.origin == "lab range" else strings["default_reference"]
    ax.axhspan(low, high, color="#2e8b57", alpha=0.15, linewidth=0, label=label)
    ax.legend(loc="upper left", fontsize=6, frameon=False)
