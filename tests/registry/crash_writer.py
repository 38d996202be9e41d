"""Writer for the crash tests: creates small cases in a loop and prints each committed id.

Usage: python crash_writer.py URL COUNT

A line ``<n> <case id>`` is printed (and flushed) only after ``create_case`` has returned,
that is after the transaction committed; the test kills this process (or the database
server) at an arbitrary moment and then checks that every printed id is intact.
"""

from __future__ import annotations

import sys

from poemsdx import Case, Measurement, When
from poemsdx.registry import Registry


def crash_case(n: int) -> Case:
    """The n-th case: its content is derived from n, so the test can check it."""
    return Case(
        id=f"crash-{n}",
        title=f"crash case {n}",
        observations=(
            Measurement(
                concept="vegf",
                value=100 + n,
                unit="pg/mL",
                specimen="serum",
                time=When(date="2020-01-01"),
            ),
        ),
    )


def main() -> None:
    url, count = sys.argv[1], int(sys.argv[2])
    registry = Registry.open(url)
    print("ready", flush=True)
    for n in range(count):
        case_id = registry.create_case(crash_case(n), actor="crash-writer")
        print(n, case_id, flush=True)


if __name__ == "__main__":
    main()
