"""The public API is what ``poemsdx.__all__`` says, sorted and pinned (httpx does the same):
adding or removing a name is a deliberate change made here too."""

from __future__ import annotations

import poemsdx

PUBLIC = [
    "Assessment",
    "Case",
    "Document",
    "EngineError",
    "Evaluation",
    "Event",
    "Evidence",
    "Finding",
    "InputError",
    "Knowledge",
    "KnowledgeError",
    "Measurement",
    "NerveConduction",
    "Patient",
    "PoemsdxError",
    "ReferenceRange",
    "Truth",
    "UnitError",
    "When",
    "__version__",
    "evaluate",
    "load_case",
    "load_knowledge",
    "parse_case",
]


def test_all_is_sorted() -> None:
    assert poemsdx.__all__ == sorted(poemsdx.__all__)


def test_all_is_pinned() -> None:
    assert poemsdx.__all__ == PUBLIC


def test_every_public_name_exists() -> None:
    for name in poemsdx.__all__:
        assert getattr(poemsdx, name) is not None, name


def test_public_errors_share_one_root() -> None:
    errors = [getattr(poemsdx, n) for n in poemsdx.__all__ if n.endswith("Error")]
    assert errors
    for cls in errors:
        assert issubclass(cls, poemsdx.PoemsdxError), cls
    assert issubclass(poemsdx.UnitError, poemsdx.InputError)


def test_version_is_a_string() -> None:
    assert isinstance(poemsdx.__version__, str)
    assert poemsdx.__version__.count(".") >= 2
