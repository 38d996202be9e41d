"""Where an observation came from: the words of a document, or a place in a case file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ._base import Frozen

Assertion = Literal["stated", "inferred"]


class Evidence(Frozen):
    """The support for one observation.

    From text: the document, the character span and the quote. From a structured file:
    ``path`` (e.g. ``observations[3]``). ``assertion`` is ``inferred`` when a person or
    extractor concluded the fact from other statements rather than reading it directly;
    reports show inferred evidence as such.
    """

    document_id: str | None = None
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    quote: str | None = None
    extractor: str | None = None
    path: str | None = None
    assertion: Assertion = "stated"
    note: str | None = None

    @model_validator(mode="after")
    def _span_is_ordered(self) -> Evidence:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"evidence span ends ({self.end}) before it starts ({self.start})")
        return self
