"""Load benchmark of the REST API: ``POST /api/v1/evaluate`` at a fixed rate, over real HTTP.

Run: ``.venv/bin/python bench/bench_web.py [--rate 100] [--duration 10] [--only NAME]``.

Starts ``poemsdx serve`` (uvicorn, one process, access log off) on a free port of
127.0.0.1 with a throw-away SQLite registry, then an open-loop client (httpx, asyncio):
request *i* is sent at ``start + i / rate`` whether or not earlier ones have returned, and
its latency is counted from that scheduled time, so a slow server cannot hide its queue
(no coordinated omission). In-flight requests are bounded (``--max-inflight``); a request
that waited for a slot is counted as *late*. Runs:

* ``structured``          the seed case (examples/seed-poems-igg4-aip.yaml), same body
                          each time — after the first, served from the evaluation cache;
* ``structured-uncached`` the same case with a new ``id`` per request: every request
                          parses, checks and evaluates (the cache cannot help);
* ``text``                the seed report text (same body; cached after the first);
* ``text-uncached``       the report with a unique line appended: extraction every time;
* ``mixed``               ``structured`` and ``text`` streams at the same time, sharing
                          ``--mixed-rate`` (default: ``--rate``) half and half.

Uncached runs use ``--uncached-rate`` (default 10/s): at 100/s they saturate two cores
and only measure the queue. Prints p50 / p90 / p99 / max latency and throughput per run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED_CASE = ROOT / "examples" / "seed-poems-igg4-aip.yaml"
SEED_TEXT = Path("/work/shared/seeds/000_3136cac6ffbb0806.txt")
Body = Callable[[int], bytes]


@dataclass
class Result:
    name: str
    rate: float
    sent: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    late: int = 0
    elapsed: float = 0.0

    def line(self) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        if not ms:
            return f"{self.name:<22} no successful request; errors {self.errors}"

        def pct(p: float) -> float:
            return ms[min(len(ms) - 1, round(p / 100 * (len(ms) - 1)))]

        throughput = len(ms) / self.elapsed if self.elapsed else 0.0
        errors = f" errors {self.errors}" if self.errors else ""
        return (
            f"{self.name:<22} {self.rate:>6.0f}/s  n={len(ms):<5} "
            f"p50 {pct(50):7.1f}  p90 {pct(90):7.1f}  p99 {pct(99):7.1f}  "
            f"max {ms[-1]:7.1f} ms  mean {statistics.fmean(ms):7.1f}  "
            f"throughput {throughput:6.1f}/s  late {self.late}{errors}"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _structured(unique: bool) -> Body:
    case = json.loads(json.dumps(yaml.safe_load(SEED_CASE.read_text("utf-8")), default=str))
    fixed = json.dumps({"case": case}).encode()

    def body(i: int) -> bytes:
        return json.dumps({"case": {**case, "id": f"bench-{i}"}}).encode() if unique else fixed

    return body


def _text(unique: bool) -> Body:
    text = SEED_TEXT.read_text("utf-8")
    fixed = json.dumps({"text": text}).encode()

    def body(i: int) -> bytes:
        return json.dumps({"text": f"{text}\nbench note {i}\n"}).encode() if unique else fixed

    return body


async def _stream(
    client: httpx.AsyncClient,
    result: Result,
    body: Body,
    rate: float,
    duration: float,
    slots: asyncio.Semaphore,
) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    total = int(rate * duration)
    tasks: list[asyncio.Task[None]] = []

    async def one(i: int, due: float) -> None:
        if slots.locked():
            result.late += 1
        async with slots:
            try:
                r = await client.post(
                    "/api/v1/evaluate",
                    content=body(i),
                    headers={"content-type": "application/json"},
                )
                await r.aread()
                if r.status_code == 200:
                    result.latencies.append(loop.time() - due)
                else:
                    result.errors[str(r.status_code)] = result.errors.get(str(r.status_code), 0) + 1
            except httpx.HTTPError as exc:
                name = type(exc).__name__
                result.errors[name] = result.errors.get(name, 0) + 1

    for i in range(total):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
        result.sent += 1
    await asyncio.gather(*tasks)
    result.elapsed = loop.time() - start


async def _run(
    base: str, streams: list[tuple[Result, Body]], duration: float, inflight: int
) -> None:
    limits = httpx.Limits(max_connections=inflight, max_keepalive_connections=inflight)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        slots = asyncio.Semaphore(inflight)
        await asyncio.gather(
            *(_stream(client, r, body, r.rate, duration, slots) for r, body in streams)
        )


def _start_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POEMSDX_")}
    db = f"sqlite:///{tmp / 'bench.sqlite3'}"
    cmd = [sys.executable, "-m", "poemsdx", "serve", "--port", str(port), "--db", db]
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/static/app.css", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start; see {tmp / 'server.log'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, default=100.0, help="requests per second per stream")
    ap.add_argument("--uncached-rate", type=float, default=10.0)
    ap.add_argument("--mixed-rate", type=float, help="total rate of the mixed run")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    ap.add_argument("--max-inflight", type=int, default=64)
    ap.add_argument(
        "--only",
        action="append",
        choices=["structured", "structured-uncached", "text", "text-uncached", "mixed"],
    )
    args = ap.parse_args()
    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    mixed = args.mixed_rate or args.rate
    runs: dict[str, list[tuple[Result, Body]]] = {
        "structured": [(Result("structured", args.rate), _structured(False))],
        "structured-uncached": [
            (Result("structured-uncached", args.uncached_rate), _structured(True))
        ],
        "text": [(Result("text", args.rate), _text(False))],
        "text-uncached": [(Result("text-uncached", args.uncached_rate), _text(True))],
        "mixed": [
            (Result("mixed: structured", mixed / 2), _structured(False)),
            (Result("mixed: text", mixed / 2), _text(False)),
        ],
    }
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = _start_server(Path(tmp))
        try:
            warm = [
                (Result("warm-up", 5), _structured(False)),
                (Result("warm-up", 5), _text(False)),
            ]
            asyncio.run(_run(base, warm, 1.0, 4))
            for name in args.only or list(runs):
                asyncio.run(_run(base, runs[name], args.duration, args.max_inflight))
                for result, _ in runs[name]:
                    print(result.line(), flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
