"""Shared test setup: no ambient configuration leaks into a test (httpx's clean_environ)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every POEMSDX_* variable so tests see the defaults, whatever the shell has."""
    for name in list(os.environ):
        if name.startswith("POEMSDX_"):
            monkeypatch.delenv(name)
