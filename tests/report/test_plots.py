"""Timeline plots of the seed case in en / ja / zh, SVG and PNG.

With a CJK font installed (``make sysdeps`` installs fonts-noto-cjk) a ja/zh plot must
render without a single missing-glyph warning; without one, the plot is still drawn, its
metadata says the font is missing, and the one-line warning is issued only when asked.
"""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from poemsdx import Case, InputError, Knowledge, load_case, load_knowledge
from poemsdx.report import plots
from poemsdx.report.plots import MissingFontWarning, cjk_font, plot_timeline

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-poems-igg4-aip.yaml"
TITLES = {
    "en": "Course of followed laboratory values",
    "ja": "経過中の検査値の推移",
    "zh": "随访检验指标的变化",
}
PANEL_TEXT = {"en": "serum VEGF", "ja": "M蛋白（血清）", "zh": "胰淀粉酶（血清）"}


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge()


@pytest.fixture(scope="module")
def seed(kb: Knowledge) -> Case:
    return load_case(SEED, kb)


@pytest.mark.parametrize("fmt", ["svg", "png"])
@pytest.mark.parametrize("lang", ["en", "ja", "zh"])
def test_seed_plot_renders(seed: Case, kb: Knowledge, lang: str, fmt: str) -> None:
    installed = lang == "en" or cjk_font(lang) is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plot = plot_timeline(seed, kb, lang=lang, fmt=fmt, warn=False)
    messages = [str(w.message) for w in caught]
    if installed:
        assert messages == [], messages  # no missing glyphs, nothing else either
        assert not plot.cjk_font_missing
    else:
        assert plot.cjk_font_missing and plot.metadata["cjk_font_missing"] == "true"
    assert plot.panels == (
        "vegf/serum",
        "m_protein/serum",
        "igg4/serum",
        "pancreatic_amylase/serum",
    )
    assert len(plot.data) > 10_000
    if fmt == "png":
        assert plot.data.startswith(b"\x89PNG\r\n\x1a\n")
        assert plot.media_type == "image/png"
    else:
        svg = plot.text()
        ET.fromstring(svg)  # well-formed XML
        assert TITLES[lang] in svg
        assert PANEL_TEXT[lang] in svg
        assert f"font: {plot.metadata['font']}" in svg  # the metadata travels with the file


def test_fonts_chosen_per_language() -> None:
    if cjk_font("ja") is None:
        pytest.skip("no CJK font installed (run `make sysdeps`)")
    ja, zh = cjk_font("ja"), cjk_font("zh")
    assert ja is not None and zh is not None
    if "Noto Sans CJK JP" in plots._installed_families():
        assert (ja, zh) == ("Noto Sans CJK JP", "Noto Sans CJK SC")
    assert cjk_font("en") is None


def test_fallback_to_any_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        plots, "_installed_families", lambda: frozenset({"DejaVu Sans", "IPAexGothic"})
    )
    assert cjk_font("ja") == "IPAexGothic"
    assert cjk_font("zh") == "IPAexGothic"
    monkeypatch.setattr(
        plots, "_installed_families", lambda: frozenset({"DejaVu Sans", "Noto Sans CJK KR"})
    )
    assert cjk_font("zh") == "Noto Sans CJK KR"


def test_without_a_cjk_font(seed: Case, kb: Knowledge, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plots, "_installed_families", lambda: frozenset({"DejaVu Sans"}))
    with pytest.warns(MissingFontWarning, match="no CJK font installed") as record:
        plot = plot_timeline(seed, kb, lang="ja", fmt="png")
    assert len(record) == 1  # our one line; matplotlib's per-glyph warnings are held back
    assert plot.cjk_font_missing and plot.font is None
    assert plot.metadata == {
        "lang": "ja",
        "font": "default",
        "cjk_font_missing": "true",
        "case": "seed-poems-igg4-aip",
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet = plot_timeline(seed, kb, lang="zh", fmt="svg", warn=False)
    assert caught == [] and quiet.cjk_font_missing
    assert "cjk_font_missing: true" in quiet.text()


def test_empty_case_and_bad_arguments(kb: Knowledge) -> None:
    plot = plot_timeline(Case(id="empty"), kb, fmt="svg")
    assert plot.panels == ()
    assert "No followed laboratory values" in plot.text()
    with pytest.raises(InputError, match="allowed: svg, png"):
        plot_timeline(Case(id="empty"), kb, fmt="gif")
    with pytest.raises(InputError, match="unknown report language 'fr'"):
        plot_timeline(Case(id="empty"), kb, lang="fr")
    with pytest.raises(InputError):
        plot_timeline(Case(id="empty"), kb, fmt="png").text()


def test_svg_is_deterministic(seed: Case, kb: Knowledge) -> None:
    a = plot_timeline(seed, kb, lang="en", fmt="svg").data
    b = plot_timeline(seed, kb, lang="en", fmt="svg").data
    assert a == b
