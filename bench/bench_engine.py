"""Benchmark: evaluate every shipped criteria set on one case.

Run: ``.venv/bin/python bench/bench_engine.py [CASE] [--repeat N]`` (default CASE is the
seed example). Prints per-evaluation timings (median and p95 over N runs) for all sets
together and per set, with and without the robustness re-evaluations, on one core.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import poemsdx
from poemsdx.engine import Evaluator, Facts

ROOT = Path(__file__).resolve().parent.parent


def _time(fn: object, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t0)
    return out


def _fmt(samples: list[float]) -> str:
    s = sorted(samples)
    med = statistics.median(s) * 1e6
    p95 = s[int(0.95 * (len(s) - 1))] * 1e6
    return f"median {med:8.1f} µs   p95 {p95:8.1f} µs"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case", nargs="?", default=str(ROOT / "examples/seed-poems-igg4-aip.yaml"))
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    kb = poemsdx.load_knowledge()
    case = poemsdx.load_case(args.case, kb)
    sets = list(kb.criteria)
    poemsdx.evaluate(case, kb=kb)  # warm caches (units registry, knowledge)

    def all_sets() -> None:
        poemsdx.evaluate(case, kb=kb)

    def verdicts_only() -> None:
        ev = Evaluator(kb, Facts(case, kb))
        for cid in sets:
            ev.assess_set(kb.criteria[cid], with_alternatives=False)

    print(f"case: {args.case}  ({len(case.observations)} observations, {len(sets)} criteria sets)")
    print(f"all sets, with robustness       {_fmt(_time(all_sets, args.repeat))}")
    print(f"all sets, verdicts only         {_fmt(_time(verdicts_only, args.repeat))}")
    for cid in sets:
        crit = kb.criteria[cid]

        def one(crit: object = crit) -> None:
            Evaluator(kb, Facts(case, kb)).assess_set(crit)  # type: ignore[arg-type]

        print(f"  {cid:<28} {_fmt(_time(one, args.repeat))}")


if __name__ == "__main__":
    main()
