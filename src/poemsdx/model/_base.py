"""The frozen pydantic base every case-model class shares."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Immutable, strict about unknown fields, and compact when serialised."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
