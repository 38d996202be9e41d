"""Strict YAML loading that remembers where every key and item came from.

PyYAML silently keeps the last of two duplicate keys; a knowledge file with a duplicated
threshold must instead fail loudly, naming both lines. Mappings and sequences are loaded
as ``LocatedDict`` / ``LocatedList`` so later validation errors can report
``file:line:col`` for any path inside the document.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import yaml

from ..errors import KnowledgeError, Location, PoemsdxError

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LocatedDict(dict[Any, Any]):
    """A dict that knows the line and column of itself and of each of its keys."""

    __slots__ = ("key_marks", "mark")

    def __init__(self) -> None:
        super().__init__()
        self.mark: tuple[int, int] = (0, 0)
        self.key_marks: dict[Hashable, tuple[int, int]] = {}


class LocatedList(list[Any]):
    """A list that knows the line and column of itself and of each item."""

    __slots__ = ("item_marks", "mark")

    def __init__(self) -> None:
        super().__init__()
        self.mark: tuple[int, int] = (0, 0)
        self.item_marks: list[tuple[int, int]] = []


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    filename = "<yaml>"
    error: type[PoemsdxError] = KnowledgeError

    def construct_located_mapping(self, node: yaml.MappingNode) -> LocatedDict:
        result = LocatedDict()
        result.mark = _pos(node)
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                line, col = _pos(key_node)
                raise self.error(
                    "a mapping key must be a plain value", Location(self.filename, line, col)
                )
            if key in result:
                line, col = _pos(key_node)
                first = result.key_marks[key][0]
                raise self.error(
                    f"duplicate key '{key}' (first defined on line {first})",
                    Location(self.filename, line, col),
                )
            result.key_marks[key] = _pos(key_node)
            result[key] = self.construct_object(value_node, deep=True)
        return result

    def construct_located_sequence(self, node: yaml.SequenceNode) -> LocatedList:
        result = LocatedList()
        result.mark = _pos(node)
        for child in node.value:
            result.item_marks.append(_pos(child))
            result.append(self.construct_object(child, deep=True))
        return result


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_located_mapping
)
_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _StrictLoader.construct_located_sequence
)


def load_yaml(
    text: str, filename: str = "<yaml>", error: type[PoemsdxError] = KnowledgeError
) -> Any:
    """Parse YAML text strictly; errors are ``error`` (default ``KnowledgeError``) with
    file, line and column."""
    loader = _StrictLoader(text)
    loader.filename = filename
    loader.error = error
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(filename, mark.line + 1, mark.column + 1) if mark else Location(filename)
        raise error(f"invalid YAML: {exc.problem or exc}", loc) from exc
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        # PyYAML raises plain ValueError/TypeError for some malformed scalars (bad dates).
        raise error(f"invalid YAML: {exc}", Location(filename)) from exc
    finally:
        loader.dispose()


def locate(data: Any, path: Sequence[str | int], filename: str) -> Location:
    """The closest known line/column for ``path`` inside data loaded by ``load_yaml``."""
    line, col = getattr(data, "mark", (None, None))
    node = data
    for step in path:
        if isinstance(node, LocatedDict) and step in node:
            line, col = node.key_marks[step]
            node = node[step]
        elif isinstance(node, LocatedList) and isinstance(step, int) and 0 <= step < len(node):
            line, col = node.item_marks[step]
            node = node[step]
        else:
            break
    return Location(filename, line, col, path=format_path(path) or None)


def format_path(path: Sequence[str | int]) -> str:
    """``('items', 'vegf', 'logic')`` → ``items.vegf.logic``; list indexes as ``[2]``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else str(step)
    return out
