"""The ``poemsdx`` command line: parse, call the library, print.

Every poemsdx error becomes one line on stderr and exit code 2 (bad input) or 1 (lint
problems); an unexpected failure prints one line too (set POEMSDX_DEBUG=1 for the
traceback). Output files are written atomically so a failed run never truncates a report
that was already there.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from . import __version__
from .errors import InputError, PoemsdxError

if TYPE_CHECKING:
    from .knowledge.registry import Knowledge

app = typer.Typer(
    name="poemsdx",
    help="Clinical decision support for POEMS syndrome and the diseases it is mistaken for.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
criteria_app = typer.Typer(help="List and show the shipped criteria sets.", no_args_is_help=True)
schema_app = typer.Typer(help="Print JSON Schemas of the input formats.", no_args_is_help=True)
app.add_typer(criteria_app, name="criteria")
app.add_typer(schema_app, name="schema")

EXIT_INPUT = 2
EXIT_PROBLEMS = 1


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _parse_params(items: list[str] | None) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(f"--param expects NAME=VALUE, got '{item}'")
        params[name.strip()] = value.strip()
    return params


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename."""
    path = path.expanduser()
    if path.parent and not path.parent.exists():
        raise InputError(f"folder does not exist: {path.parent}")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_atomically(output, text)


@app.command()
def evaluate(
    path: Annotated[
        Path,
        typer.Argument(help="A case file (.json/.yaml), note (.txt), FHIR bundle or Phenopacket."),
    ],
    criteria: Annotated[
        str | None,
        typer.Option("--criteria", "-c", help="Comma-separated criteria ids (default: all)."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text, json, markdown or html.")
    ] = "text",
    lang: Annotated[
        str, typer.Option("--lang", "-l", help="Report language: en, ja or zh.")
    ] = "en",
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Parameter override NAME=VALUE (repeatable)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
    lenient: Annotated[
        bool,
        typer.Option(help="Accept values the engine cannot judge (e.g. VEGF without specimen)."),
    ] = False,
) -> None:
    """Evaluate every criteria set on one case and print the report."""
    from .evaluation import evaluate as run
    from .io.detect import read_input
    from .knowledge.registry import load_knowledge
    from .report import render

    kb = load_knowledge()
    case = read_input(path, kb, lenient=lenient)
    ids = [c.strip() for c in criteria.split(",") if c.strip()] if criteria else None
    result = run(case, ids, _parse_params(param), kb=kb)
    _emit(render(result, kb, fmt, lang), output)


@app.command()
def extract(
    path: Annotated[Path, typer.Argument(help="A clinical note or case report (.txt/.md).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the result to this file.")
    ] = None,
    mentions: Annotated[
        bool,
        typer.Option(
            "--mentions",
            help="Only the concepts named, each with its context (faster; no values or times).",
        ),
    ] = False,
) -> None:
    """Show what was understood from a text, each observation with its evidence."""
    from .extract import extract_file
    from .knowledge.registry import load_knowledge

    if fmt not in ("text", "json"):
        _fail(f"unknown format '{fmt}'; allowed: text, json")
    kb = load_knowledge()
    if mentions:
        _show_mentions(path, kb, fmt, output)
        return
    case = extract_file(path, kb)
    if fmt == "json":
        data = case.model_dump(mode="json", exclude_none=True)
        _emit(json.dumps(data, ensure_ascii=False, indent=2), output)
        return
    doc = case.documents[0] if case.documents else None
    lines = [f"document: {doc.id if doc else path.name} ({doc.kind if doc else 'unknown'})"]
    if case.notes:
        lines.append(f"note: {case.notes}")
    if case.patient.age is not None or case.patient.sex is not None:
        lines.append(f"patient: age {case.patient.age or '?'}, sex {case.patient.sex or '?'}")

    def flat(text: str) -> str:
        return " ".join(text.split())

    for name, anchor in case.anchors.items():
        lines.append(f"anchor {name}: {flat(anchor.describe())}")
    for event in case.events:
        start = f" from {flat(event.start.describe())}" if event.start else ""
        lines.append(f"event {event.id}: {kb.label(event.concept)}{start}")
    for obs in case.observations:
        if obs.kind == "finding":
            what = f"{kb.label(obs.concept)}: {obs.status}"
        elif obs.kind == "measurement":
            value = f"{obs.value:g} {obs.unit}" if obs.value is not None else str(obs.result)
            chains = "-".join(x for x in (obs.heavy_chain, obs.light_chain) if x)
            extra = [x for x in (obs.specimen, chains) if x]
            if obs.reference_range and obs.reference_range.text:
                extra.append(f"range {obs.reference_range.text}")
            what = f"{kb.label(obs.concept)} {value}" + (f" ({', '.join(extra)})" if extra else "")
        else:
            what = f"nerve conduction {obs.side or ''} {obs.nerve} {obs.modality}".replace(
                "  ", " "
            )
        when = f" @ {flat(obs.time.describe())}" if obs.time else ""
        ev = obs.evidence[0] if obs.evidence else None
        where = f"  [{ev.start}:{ev.end}] {flat(ev.quote or '')!r}" if ev else ""
        lines.append(f"{what}{when}{where}")
    _emit("\n".join(lines), output)


def _show_mentions(path: Path, kb: Knowledge, fmt: str, output: Path | None) -> None:
    from .extract import find_mentions
    from .extract.pipeline import read_text_file

    found = find_mentions(read_text_file(path), kb)
    if fmt == "json":
        rows = [m._asdict() for m in found]
        _emit(json.dumps(rows, ensure_ascii=False, indent=2), output)
        return
    lines = []
    for m in found:
        if m.kind not in ("finding", "disease", "group"):
            status = m.kind  # a measurement or treatment named; its value is not read here
        else:
            status = m.status or "not a present finding"
        cues = f" ({', '.join(m.categories)})" if m.categories else ""
        quote = " ".join(m.quote.split())
        lines.append(f"{kb.label(m.concept)}: {status}{cues}  [{m.start}:{m.end}] {quote!r}")
    _emit("\n".join(lines) if lines else "no mentions about a patient", output)


@app.command()
def export(
    path: Annotated[
        Path,
        typer.Argument(help="A case file (.json/.yaml), note (.txt), FHIR bundle or Phenopacket."),
    ],
    to: Annotated[str, typer.Option("--to", "-t", help="fhir (an R4 Bundle) or phenopacket (v2).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the export to this file.")
    ] = None,
) -> None:
    """Evaluate one case and export it, with its assessments, as FHIR R4 or a Phenopacket."""
    from .evaluation import evaluate as run
    from .io.detect import read_input
    from .knowledge.registry import load_knowledge

    target = to.strip().lower()
    if target not in ("fhir", "phenopacket"):
        _fail(f"unknown export format '{to}'; allowed: fhir, phenopacket")
    kb = load_knowledge()
    case = read_input(path, kb)
    result = run(case, kb=kb)
    try:
        if target == "fhir":
            from .io.fhir import export_fhir

            text = json.dumps(export_fhir(result, kb), ensure_ascii=False, indent=2) + "\n"
        else:
            from .io.phenopacket import export_phenopacket, phenopacket_json

            text = phenopacket_json(export_phenopacket(result, kb))
    except ModuleNotFoundError as exc:
        _fail(f"export needs the interop extra ({exc.name} missing): pip install poemsdx[interop]")
    _emit(text, output)


@app.command()
def lint(
    path: Annotated[
        Path | None, typer.Argument(help="A knowledge folder (default: the shipped one).")
    ] = None,
) -> None:
    """Check the knowledge base: every file, key, reference, code and threshold source."""
    from .knowledge.lint import lint_knowledge

    problems = lint_knowledge(path)
    for p in problems:
        typer.echo(str(p))
    if problems:
        typer.echo(f"{len(problems)} problem(s)", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    typer.echo("knowledge base is clean")


@app.command()
def serve(
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on. Loopback needs no login; any other address needs API "
            "tokens (POEMSDX_API_TOKENS_FILE)."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Registry database URL (default: POEMSDX_DATABASE_URL or the per-user SQLite "
            "file).",
        ),
    ] = None,
) -> None:
    """Serve the web pages, the REST API (/api/v1) and the case registry."""
    try:
        from .web.app import serve as run
        from .web.settings import WebSettings
    except ModuleNotFoundError as exc:
        _fail(f"serve needs the web extra ({exc.name} missing): pip install 'poemsdx[web]'")
    run(WebSettings.from_env(host=host, port=port, database_url=db))


@criteria_app.command("list")
def criteria_list(
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """All shipped criteria sets with version, source and unverified thresholds."""
    from .knowledge.registry import load_knowledge
    from .knowledge.summary import thresholds

    kb = load_knowledge()
    rows = []
    for crit in kb.criteria.values():
        ths = thresholds(crit)
        rows.append(
            {
                "id": crit.id,
                "title": crit.header.title["en"],
                "version": crit.header.version,
                "kind": crit.header.kind,
                "source": crit.header.citation[0],
                "verification": crit.header.verification,
                "thresholds": len(ths),
                "unverified": sum(t.verification == "UNVERIFIED" for t in ths),
            }
        )
    if fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if fmt != "text":
        _fail(f"unknown format '{fmt}'; allowed: text, json")
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"poemsdx criteria sets (knowledge {kb.version})")
    for col in ("id", "title", "version", "thresholds", "unverified", "source"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["title"]),
            str(r["version"]),
            str(r["thresholds"]),
            str(r["unverified"]),
            str(r["source"]),
        )
    Console(width=160).print(table)


@criteria_app.command("show")
def criteria_show(
    criteria_id: Annotated[str, typer.Argument(help="A criteria id, e.g. poems-imwg.")],
    lang: Annotated[str, typer.Option("--lang", "-l", help="en, ja or zh.")] = "en",
) -> None:
    """One criteria set: items, rules, parameters, thresholds with source and tag."""
    from .knowledge.registry import load_knowledge
    from .knowledge.summary import render_rule, thresholds

    kb = load_knowledge()
    crit = kb.criteria_set(criteria_id)
    h = crit.header
    out = [f"{crit.id}: {h.title.get(lang, h.title['en'])}", f"version: {h.version}"]
    out += [f"source: {c}" for c in h.citation]
    out.append(f"verification: {h.verification}")
    if h.notes:
        out += ["", h.notes.get(lang, h.notes["en"]).strip()]
    for name, use in h.parameters.items():
        spec = kb.parameters[name]
        default = use.default or spec.default
        out.append(f"parameter {name} (default {default}): {', '.join(spec.values)}")
    out += ["", "items:"]
    for item in crit.items.values():
        role = f" [{item.role}]" if item.role else ""
        out.append(f"  {item.id}{role}: {item.label.get(lang, item.label['en'])}")
        out += render_rule(item.node, lang, 2)
    out += ["", "rule:"]
    if crit.logic is not None:
        out += render_rule(crit.logic, lang, 1)
    for cat in crit.categories:
        tag = f" [{cat.provenance.verification}]" if cat.provenance else ""
        out.append(f"  category {cat.id}{tag}:")
        out += render_rule(cat.node, lang, 2)
    out += ["", "thresholds:"]
    for t in thresholds(crit):
        out.append(f"  {t.text} — {t.verification}: {t.source}")
    typer.echo("\n".join(out))


@schema_app.command("case")
def schema_case() -> None:
    """The JSON Schema of a case file."""
    from .model import Case

    typer.echo(json.dumps(Case.model_json_schema(), ensure_ascii=False, indent=2))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"poemsdx {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Clinical decision support for POEMS syndrome and the diseases it is mistaken for."""


def main() -> None:
    """Entry point: run the app, turning every error into one clear line."""
    try:
        app()
    except PoemsdxError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    except Exception as exc:
        if os.environ.get("POEMSDX_DEBUG"):
            raise
        typer.echo(
            f"internal error: {type(exc).__name__}: {exc} (set POEMSDX_DEBUG=1 for details)",
            err=True,
        )
        sys.exit(1)
