"""Adapters that build a ``Case`` from what clinicians have; foreign errors are translated here."""

from .case import check_case, load_case, parse_case

__all__ = ["check_case", "load_case", "parse_case"]
