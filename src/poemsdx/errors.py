"""The poemsdx error hierarchy.

Every error that leaves the public API is a ``PoemsdxError``; callers catch a subclass
only where they handle it differently::

    PoemsdxError
    ├── InputError              bad user input: a case file, a value, a unit, a parameter
    │   ├── UnitError           a unit that cannot be parsed or converted
    │   └── NotFoundError       an id (case, version, assessment) that is not in the registry
    ├── KnowledgeError          a knowledge file (YAML under data/) is malformed
    ├── EngineError             a criteria set cannot be evaluated as written
    └── RegistryError           the case registry's database failed or is inconsistent

Messages say what is wrong, where (``file:line:col``, a JSON path, a character offset)
and what is allowed.
"""

from __future__ import annotations

__all__ = [
    "EngineError",
    "InputError",
    "KnowledgeError",
    "Location",
    "NotFoundError",
    "PoemsdxError",
    "RegistryError",
    "UnitError",
]

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where a problem is: a file and line/column, and/or a path inside a document."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        if self.path:
            parts.append(f"at {self.path}")
        return " ".join(parts)


class PoemsdxError(Exception):
    """Root of every poemsdx error."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.location and str(self.location):
            return f"{self.location}: {self.message}"
        return self.message


class InputError(PoemsdxError):
    """User input (a case file, a note, a parameter) is malformed or impossible."""


class UnitError(InputError):
    """A unit cannot be parsed, or cannot be converted to the unit required."""


class KnowledgeError(PoemsdxError):
    """A knowledge file is malformed; carries the file and line of the problem."""


class EngineError(PoemsdxError):
    """A criteria set refers to something that cannot be evaluated."""


class NotFoundError(InputError):
    """An id that the registry does not hold (or holds only as deleted); a web layer maps it
    to 404."""


class RegistryError(PoemsdxError):
    """The case registry's database cannot be reached, refused a change, or is inconsistent;
    the driver's error is chained."""
