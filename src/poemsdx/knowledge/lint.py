"""``poemsdx lint``: check a whole knowledge folder and report every problem, not just the first.

Each file is loaded on its own so one broken file does not hide the others; cross-file
references are checked once every file parses.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from ..errors import KnowledgeError, Location
from .criteria import parse_criteria, parse_fragments
from .references import check_references
from .registry import Knowledge
from .schema import LANGUAGES, ConceptFile, ParameterFile, TestFile, validate
from .yamlload import load_yaml

_FILES: dict[str, type[BaseModel]] = {
    "concepts.yaml": ConceptFile,
    "parameters.yaml": ParameterFile,
    "tests.yaml": TestFile,
}


def lint_knowledge(root: str | Path | None = None) -> list[KnowledgeError]:
    """Every problem found in the knowledge folder (empty when it is clean)."""
    from importlib import resources

    folder = Path(root) if root is not None else Path(str(resources.files("poemsdx") / "data"))
    problems: list[KnowledgeError] = []
    fragments = {}
    for name, model in _FILES.items():
        try:
            path = folder / name
            validate(model, load_yaml(path.read_text(encoding="utf-8"), str(path)), str(path))
        except KnowledgeError as exc:
            problems.append(exc)
        except OSError as exc:
            problems.append(KnowledgeError(f"cannot read: {exc}", Location(str(folder / name))))
    frag_path = folder / "criteria" / "_fragments.yaml"
    if frag_path.exists():
        try:
            fragments = parse_fragments(
                load_yaml(frag_path.read_text("utf-8"), str(frag_path)), str(frag_path)
            )
        except KnowledgeError as exc:
            problems.append(exc)
    for path in sorted((folder / "criteria").glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        try:
            parse_criteria(load_yaml(path.read_text("utf-8"), str(path)), str(path), fragments)
        except KnowledgeError as exc:
            problems.append(exc)
    if problems:
        return problems
    from .registry import _load_unchecked

    try:
        kb = _load_unchecked(folder)
    except KnowledgeError as exc:  # e.g. a criteria id that does not match its file name
        return [exc]
    problems = check_references(kb)
    return problems or _style_checks(kb)


def _style_checks(kb: Knowledge) -> list[KnowledgeError]:
    """Checks that keep the knowledge base usable in all three report languages."""
    problems = []
    for cid, c in kb.concepts.items():
        missing = [lang for lang in LANGUAGES if not c.names.get(lang)]
        if missing:
            problems.append(
                KnowledgeError(
                    f"concept '{cid}' has no name in {', '.join(missing)}",
                    Location(str(Path(kb.root) / "concepts.yaml"), path=f"concepts.{cid}.names"),
                )
            )
    return problems
