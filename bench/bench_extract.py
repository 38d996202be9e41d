"""Benchmark: text extraction on the seed case report and the development corpus.

Run: ``.venv/bin/python bench/bench_extract.py [FILE ...] [--rounds R] [--runs N] [--cpu C]
[--mentions]``.
Default input is the seed reports (``../shared/seeds/*.txt``) when present, plus every note
of the development corpus (``tests/corpus/<lang>/*.txt``). One process, one thread, warm
(each text is extracted once before timing; the first, cold call that builds lexicons and
automata is reported apart). Every text is timed as ``R`` rounds of ``N`` runs and the best
round counts: the machine is shared, and the best round is the one least disturbed. Prints,
per document, milliseconds per extraction (wall clock and thread CPU time) and characters
per second; then the same per group (each seed, the corpus of each language, one pass over
all its notes) and the load average before and after. ``--cpu C`` pins the process to CPU
``C``. Figures are recorded in docs/benchmarks.md, never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import poemsdx
from poemsdx.extract import extract_text, find_mentions

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / ".." / "shared" / "seeds"


def _inputs(paths: list[str]) -> dict[str, list[Path]]:
    """The texts to time, by group: each seed alone, each corpus language together."""
    if paths:
        return {p: [Path(p)] for p in paths}
    groups = {f"seed/{p.name}": [p] for p in sorted(SEEDS.glob("*.txt"))}
    for lang in ("en", "ja", "zh"):
        notes = sorted((ROOT / "tests" / "corpus" / lang).glob("*.txt"))
        if notes:
            groups[f"corpus/{lang}"] = notes
    return groups


def _best(run: Callable[[], object], rounds: int, runs: int) -> tuple[float, float]:
    """Seconds per run (wall, CPU) of the best of ``rounds`` rounds of ``runs`` runs."""
    wall = cpu = float("inf")
    for _ in range(rounds):
        w, c = time.perf_counter(), time.thread_time()
        for _ in range(runs):
            run()
        cpu = min(cpu, (time.thread_time() - c) / runs)
        wall = min(wall, (time.perf_counter() - w) / runs)
    return wall, cpu


Reader = Callable[[str, poemsdx.Knowledge], object]


def _pass(read: Reader, texts: list[str], kb: poemsdx.Knowledge) -> Callable[[], object]:
    """One reading of each of ``texts``."""
    return lambda: [read(t, kb) for t in texts]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per text (best counts)")
    parser.add_argument("--runs", type=int, default=10, help="extractions per round")
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    parser.add_argument(
        "--mentions", action="store_true", help="time find_mentions instead of extract_text"
    )
    args = parser.parse_args()
    read: Reader = find_mentions if args.mentions else extract_text
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    groups = _inputs(args.files)
    if not groups:
        sys.exit("no input: give a file or check out the seeds next to the repository")
    load = os.getloadavg()
    kb = poemsdx.load_knowledge()
    t0 = time.perf_counter()
    read("warm-up", kb)
    print(f"cold start (lexicons, automata): {(time.perf_counter() - t0) * 1000:.0f} ms")
    print(f"timing {'find_mentions' if args.mentions else 'extract_text'}")
    print(f"best of {args.rounds} rounds of {args.runs} runs; wall ms (CPU ms) per extraction")
    summary: list[tuple[str, int, float, float]] = []
    for group, paths in groups.items():
        texts = [p.read_text(encoding="utf-8") for p in paths]
        for path, text in zip(paths, texts, strict=True):
            read(text, kb)  # warm the caches this text touches
            wall, cpu = _best(_pass(read, [text], kb), args.rounds, args.runs)
            name = f"{path.parent.name}/{path.name}"
            print(
                f"{name[:48]:48s} {len(text):7,d} chars  {wall * 1000:7.2f} ms "
                f"({cpu * 1000:6.2f})  {len(text) / wall:10,.0f} chars/s"
            )
        wall, cpu = _best(_pass(read, texts, kb), args.rounds, args.runs)
        summary.append((group, sum(map(len, texts)), wall, cpu))
    print()
    for group, chars, wall, cpu in summary:
        print(
            f"{group:48s} {chars:7,d} chars  {wall * 1000:7.2f} ms ({cpu * 1000:6.2f})  "
            f"{chars / wall:10,.0f} chars/s  ({chars / cpu:,.0f} on CPU time)"
        )
    after = os.getloadavg()
    print(f"load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, ", end="")
    print(f"after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}")


if __name__ == "__main__":
    main()
