"""Benchmark: text extraction on the seed case report (and any other texts given).

Run: ``.venv/bin/python bench/bench_extract.py [FILE ...] [--repeat N]``. Default input is
the Japanese seed report (``../shared/seeds/000_3136cac6ffbb0806.txt``) when present, plus
every note of the development corpus (``tests/corpus``). Prints, per document, the warm
extraction time (median and best of N runs, one process, one core) and characters per
second; the first, cold call (lexicons and automata being built) is reported apart.
Figures are recorded in docs/benchmarks.md, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import poemsdx
from poemsdx.extract import extract_text

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / ".." / "shared" / "seeds" / "000_3136cac6ffbb0806.txt"


def _inputs(paths: list[str]) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    out = [SEED] if SEED.exists() else []
    out += sorted((ROOT / "tests" / "corpus").glob("*/*.txt"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    files = _inputs(args.files)
    if not files:
        sys.exit("no input: give a file or check out the seeds next to the repository")
    kb = poemsdx.load_knowledge()
    t0 = time.perf_counter()
    extract_text("warm-up", kb)
    print(f"cold start (lexicons, automata): {(time.perf_counter() - t0) * 1000:.0f} ms")
    total_chars = 0
    total_seconds = 0.0
    for path in files:
        text = path.read_text(encoding="utf-8")
        extract_text(text, kb)  # warm caches touched by this text (units, regexes)
        samples = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            extract_text(text, kb)
            samples.append(time.perf_counter() - t)
        med, best = statistics.median(samples), min(samples)
        total_chars += len(text)
        total_seconds += med
        name = path.name if path.parent.name != "seeds" else f"seed/{path.name}"
        if path.parent.parent.name == "corpus":
            name = f"{path.parent.name}/{path.name}"
        print(
            f"{name:48s} {len(text):7,d} chars  median {med * 1000:7.2f} ms  "
            f"best {best * 1000:7.2f} ms  {len(text) / med:10,.0f} chars/s"
        )
    print(
        f"{'all':48s} {total_chars:7,d} chars  {total_chars / total_seconds:,.0f} chars/s (median)"
    )


if __name__ == "__main__":
    main()
