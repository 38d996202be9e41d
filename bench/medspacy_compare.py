"""Compare poemsdx's English extractor with medspaCy ConText on the English corpus.

medspaCy is a benchmark-only dependency and must never become a project dependency; run
this from a separate virtual environment (see ``bench/README.md``)::

    python3 -m venv /tmp/venv-bench
    /tmp/venv-bench/bin/pip install medspacy
    /tmp/venv-bench/bin/pip install -e .
    /tmp/venv-bench/bin/python bench/medspacy_compare.py [--repeat 5] [--json FILE]

The medspaCy pipeline is ``spacy.blank("en")`` + ``sentencizer`` + a TargetMatcher whose
rules come from the same English lexicon the poemsdx extractor uses (the English names of
every finding, disease and group in ``concepts.yaml`` plus the unconditional forms in
``data/lexicons/en/terms.yaml`` when it exists) + ConText with medspaCy's default rules.
A ConText entity marked historical, family or hypothetical is not a patient finding;
negated → absent; uncertain → uncertain; otherwise present.

Reported for both tools, on the gold findings of ``tests/corpus/en``: finding F1, status
accuracy over the gold findings each tool found, status accuracy over the gold findings
*both* found (the fair comparison of the context rules), and throughput in characters per
second of CPU time on one core (fastest of ``--repeat`` passes after a warm-up). It
writes nothing unless ``--json`` is given.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from poemsdx.knowledge.registry import Knowledge, load_knowledge

ROOT = Path(__file__).resolve().parent.parent
FINDING_KINDS = frozenset({"finding", "disease", "group"})


def _scorer() -> Any:
    spec = importlib.util.spec_from_file_location(
        "extraction_accuracy", ROOT / "bench" / "extraction_accuracy.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["extraction_accuracy"] = module
    spec.loader.exec_module(module)
    return module


def english_terms(kb: Knowledge) -> list[tuple[str, str]]:
    """(surface form, concept) pairs: concept names plus lexicons/en/terms.yaml forms."""
    pairs: dict[tuple[str, str], None] = {}
    for cid, concept in kb.concepts.items():
        if concept.kind in FINDING_KINDS:
            for name in concept.names.get("en", []):
                pairs[(name, cid)] = None
    terms_path = Path(kb.root) / "lexicons" / "en" / "terms.yaml"
    if terms_path.exists():
        data = yaml.safe_load(terms_path.read_text(encoding="utf-8")) or {}
        for cid, forms in (data.get("terms") or {}).items():
            concept = kb.concepts.get(cid)
            if concept is None or concept.kind not in FINDING_KINDS:
                continue
            for form in forms or []:
                if isinstance(form, str):
                    pairs[(form, cid)] = None
                elif isinstance(form, dict) and not form.get("requires"):
                    # conditional forms ("requires" a nearby word) cannot be expressed as
                    # plain target rules and are left out
                    pairs[(str(form["form"]), cid)] = None
    return list(pairs)


def build_medspacy(terms: Iterable[tuple[str, str]]) -> Any:
    """spacy.blank('en') + sentencizer + TargetMatcher(terms) + ConText (default rules)."""
    import loguru

    loguru.logger.remove()  # PyRuSH logs at DEBUG through loguru by default
    import spacy
    from medspacy.target_matcher import TargetRule

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    matcher = nlp.add_pipe("medspacy_target_matcher")
    nlp.add_pipe("medspacy_context")
    matcher.add([TargetRule(literal=form, category=cid) for form, cid in terms])
    return nlp


def medspacy_findings(nlp: Any, text: str) -> set[tuple[str, str]]:
    """(concept, status) pairs ConText asserts about the patient."""
    out = set()
    for ent in nlp(text).ents:
        if ent._.is_historical or ent._.is_family or ent._.is_hypothetical:
            continue
        status = "absent" if ent._.is_negated else "uncertain" if ent._.is_uncertain else "present"
        out.add((ent.label_, status))
    return out


def poemsdx_findings(extract: Callable[..., Any], kb: Knowledge, text: str) -> set[tuple[str, str]]:
    case = extract(text, kb, document_id="compare", language="en")
    return {(o.concept, o.status) for o in case.observations if o.kind == "finding"}


def mention_findings(find: Callable[..., Any], kb: Knowledge, text: str) -> set[tuple[str, str]]:
    """(concept, status) pairs of ``find_mentions``: the same job as medspaCy's pipeline."""
    return {
        (m.concept, m.status)
        for m in find(text, kb, language="en")
        if m.kind in FINDING_KINDS and m.status is not None
    }


def _score(notes: Sequence[Any], found: Sequence[set[tuple[str, str]]]) -> dict[str, Any]:
    tp = fp = fn = total = correct = 0
    for note, pairs in zip(notes, found, strict=True):
        gold_status: dict[str, set[str]] = {}
        for f in note.gold.findings:
            gold_status.setdefault(f.concept, set()).add(f.status)
        statuses: dict[str, set[str]] = {}
        for cid, status in pairs:
            statuses.setdefault(cid, set()).add(status)
        tp += len(gold_status.keys() & statuses.keys())
        fp += len(statuses.keys() - gold_status.keys())
        fn += len(gold_status.keys() - statuses.keys())
        for f in note.gold.findings:
            if f.concept in statuses:
                total += 1
                got = statuses[f.concept]
                correct += int(f.status in got and got <= gold_status[f.concept])
    return {
        "finding_f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
        "status_accuracy": correct / total if total else None,
        "status_matched": total,
    }


def _common_status(
    notes: Sequence[Any], a: Sequence[set[tuple[str, str]]], b: Sequence[set[tuple[str, str]]]
) -> dict[str, Any]:
    """Status accuracy of each tool over the gold findings both tools found."""
    total = right_a = right_b = 0
    for note, pa, pb in zip(notes, a, b, strict=True):
        gold_status: dict[str, set[str]] = {}
        for f in note.gold.findings:
            gold_status.setdefault(f.concept, set()).add(f.status)
        sa: dict[str, set[str]] = {}
        sb: dict[str, set[str]] = {}
        for cid, s in pa:
            sa.setdefault(cid, set()).add(s)
        for cid, s in pb:
            sb.setdefault(cid, set()).add(s)
        for f in note.gold.findings:
            if f.concept in sa and f.concept in sb:
                total += 1
                g = gold_status[f.concept]
                right_a += int(f.status in sa[f.concept] and sa[f.concept] <= g)
                right_b += int(f.status in sb[f.concept] and sb[f.concept] <= g)
    return {
        "common_matched": total,
        "poemsdx": right_a / total if total else None,
        "medspacy": right_b / total if total else None,
    }


def _throughput(fn: Callable[[str], object], texts: Sequence[str], repeat: int) -> float:
    """Characters per second of thread CPU time, from the fastest of ``repeat`` passes over
    the corpus after one warm-up pass (the least disturbed pass on a shared machine; both
    tools are measured the same way in the same process)."""
    for text in texts:  # warm-up
        fn(text)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.thread_time()
        for text in texts:
            fn(text)
        best = min(best, time.thread_time() - t0)
    return sum(len(t) for t in texts) / best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the corpus")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)

    if importlib.util.find_spec("medspacy") is None:
        print(
            "error: medspaCy is not installed in this environment. It is a benchmark-only "
            "dependency: install it in a separate venv (see bench/README.md).",
            file=sys.stderr,
        )
        return 2
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    scorer = _scorer()
    kb = load_knowledge()
    notes = scorer.load_notes("en")
    texts = [n.text for n in notes]
    terms = english_terms(kb)
    nlp = build_medspacy(terms)
    med = [medspacy_findings(nlp, t) for t in texts]
    result: dict[str, Any] = {
        "notes": len(notes),
        "characters": sum(len(t) for t in texts),
        "target_rules": len(terms),
        "medspacy": _score(notes, med),
    }
    timed: dict[str, Callable[[str], object]] = {"medspacy": nlp}
    try:
        extract = scorer._extractor()
        from poemsdx.extract import find_mentions
    except Exception as exc:  # missing or unfinished extractor: report medspaCy alone
        result["poemsdx"] = {"error": f"{type(exc).__name__}: {exc}"}
    else:
        ours = [poemsdx_findings(extract, kb, t) for t in texts]
        mentioned = [mention_findings(find_mentions, kb, t) for t in texts]
        result["poemsdx"] = _score(notes, ours)
        result["mentions"] = _score(notes, mentioned)
        result["status_on_common_findings"] = _common_status(notes, ours, med)
        timed["poemsdx"] = lambda t: extract(t, kb, document_id="compare", language="en")
        timed["mentions"] = lambda t: find_mentions(t, kb, language="en")
    # Everything is loaded and warm: the long-lived objects of both tools leave the cyclic
    # GC's reach (as in a service), so neither pays for walking the other's heap.
    gc.collect()
    gc.freeze()
    for name, fn in timed.items():
        result[name]["chars_per_second"] = _throughput(fn, texts, args.repeat)

    print(f"English corpus: {result['notes']} notes, {result['characters']:,} characters, ")
    print(f"{result['target_rules']} target rules from the poemsdx English lexicon\n")
    columns = [("poemsdx", "extract_text"), ("mentions", "find_mentions"), ("medspacy", "medspaCy")]
    print(f"{'':34}" + "".join(f"{title:>15}" for _, title in columns))

    def cell(d: dict[str, Any], key: str, fmt: str) -> str:
        return format(d[key], fmt) if d.get(key) is not None else "–"

    for key, label, fmt in (
        ("finding_f1", "finding F1", ".3f"),
        ("status_accuracy", "status accuracy (own matches)", ".3f"),
        ("status_matched", "  gold findings matched", "d"),
        ("chars_per_second", "characters / second (1 core)", ",.0f"),
    ):
        print(
            f"{label:34}" + "".join(f"{cell(result.get(c, {}), key, fmt):>15}" for c, _ in columns)
        )
    med_rate = result["medspacy"]["chars_per_second"]
    print(
        f"{'× medspaCy throughput':34}"
        + "".join(
            f"{result.get(c, {}).get('chars_per_second', 0) / med_rate:>14.1f}×" for c, _ in columns
        )
    )
    common = result.get("status_on_common_findings")
    if common:
        print(
            f"{'status accuracy (common matches)':34}{cell(common, 'poemsdx', '.3f'):>15}"
            f"{'':>15}{cell(common, 'medspacy', '.3f'):>15}   (n = {common['common_matched']})"
        )
    ours_r = result["poemsdx"]
    if "error" in ours_r:
        print(f"\npoemsdx: {ours_r['error']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
