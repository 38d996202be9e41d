"""Benchmark: one CDS Hooks ``patient-view`` call with full prefetch, end to end.

Run: ``.venv/bin/python bench/bench_cdshooks.py [--requests N] [--server] [--cold]``, or
``--breakdown`` for the time of each stage of one call.

The patient is the seed case (47 observations, a transplant) exported to FHIR and split
into the service's prefetch keys; every request carries a fresh ES384 JWT (so signature
verification and the replay check are measured too). Requests are sequential. The app is
settled as ``poemsdx serve`` settles it (models built, then ``gc.freeze``). By default
requests go in process through ``httpx.ASGITransport``; ``--server`` runs uvicorn in a
process of its own and measures real HTTP on 127.0.0.1. By default the same resources
are sent each time, as an EHR does when a chart is reopened (resources that passed FHIR
validation once are not validated again); ``--cold`` gives every resource a new id in
every request, so each call validates all of them. Prints p50, p90, p99 and the mean.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

import poemsdx
from poemsdx.io.fhir import case_from_resources, export_fhir
from poemsdx.web.app import settle
from poemsdx.web.cdshooks import SERVICE_ID, CdsSettings, TrustedIssuer, create_cds_app

ROOT = Path(__file__).resolve().parent.parent
ISS = "https://ehr.example.org"
WARM_UP = 5
KEY = ec.generate_private_key(ec.SECP384R1())
JWK = {
    **json.loads(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key())),
    "kid": "k1",
    "alg": "ES384",
}


def prefetch() -> dict[str, Any]:
    kb = poemsdx.load_knowledge()
    case = poemsdx.load_case(ROOT / "examples" / "seed-poems-igg4-aip.yaml", kb)
    bundle = export_fhir(poemsdx.evaluate(case, kb=kb), kb)
    keys: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("conditions", "observations", "vegf", "procedures", "medications")
    }
    patient = None
    for entry in bundle["entry"]:
        res = entry["resource"]
        kind = res["resourceType"]
        if kind == "Patient":
            patient = res
        elif kind == "Condition":
            keys["conditions"].append(res)
        elif kind == "Observation":
            codes = [c["code"] for c in res["code"].get("coding", [])]
            keys["vegf" if "vegf" in codes else "observations"].append(res)
        elif kind == "Procedure":
            keys["procedures"].append(res)
        elif kind == "MedicationStatement":
            keys["medications"].append(res)
    out: dict[str, Any] = {"patient": patient}
    for key, items in keys.items():
        out[key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in items],
        }
    return out


def token(aud: str) -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": aud, "exp": now + 60, "iat": now, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, KEY, algorithm="ES384", headers={"kid": "k1", "typ": "JWT"})


def with_new_ids(pre: dict[str, Any]) -> dict[str, Any]:
    """The same prefetch with every resource id replaced: new JSON, so nothing is cached."""
    fresh = copy.deepcopy(pre)
    for value in fresh.values():
        resources = (
            [e["resource"] for e in value.get("entry", [])]
            if value.get("resourceType") == "Bundle"
            else [value]
        )
        for res in resources:
            res["id"] = uuid.uuid4().hex
    return fresh


def body(pre: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/1", "patientId": "p1"},
            "prefetch": pre,
        }
    ).encode()


async def run(client: httpx.AsyncClient, url: str, bodies: list[bytes]) -> list[float]:
    """Seconds per request; the first five are warm-up and not counted. Bodies and tokens
    are made before the clock starts, so the client's own JSON encoding is not timed."""
    times = []
    for i, content in enumerate(bodies):
        headers = {"Authorization": f"Bearer {token(url)}", "Content-Type": "application/json"}
        t0 = time.perf_counter()
        r = await client.post(url, content=content, headers=headers)
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            raise SystemExit(f"request failed: {r.status_code} {r.text[:200]}")
        if i >= WARM_UP:
            times.append(elapsed)
    return times


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_app(jwk: dict[str, Any]) -> Any:
    """The CDS app, settled as ``poemsdx serve`` settles it (warm-up, then ``gc.freeze``)."""
    settings = CdsSettings(issuers={ISS: TrustedIssuer(jwks={"keys": [jwk]})})
    app = create_cds_app(settings)
    settle(app.state.cds_service.kb)
    return app


def serve_child(port: int, jwk: str) -> None:
    """``--child``: the server process of ``--server`` mode."""
    import uvicorn

    app = make_app(json.loads(jwk))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, __file__, "--child", str(port), json.dumps(JWK)]
    proc = subprocess.Popen(cmd)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/cds-services", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server process did not start")


def breakdown(pre: dict[str, Any]) -> None:
    """``--breakdown``: thread CPU time of each stage of one cold call, best of rounds."""
    from poemsdx.evaluation import evaluate
    from poemsdx.io.fhir._validate import VALIDATED, validate_resource
    from poemsdx.web.cds_cards import PRIMARY
    from poemsdx.web.cds_fhir import resources_of

    service = make_app(JWK).state.cds_service
    resources = [
        r for key in service.templates if key in pre for r in resources_of(key, pre[key], "p")
    ]
    raw = body(pre)
    case, _ = case_from_resources(resources, service.kb)
    aud = "https://cds.example.org/cds-services/x"
    verifier_token = token(aud)

    def validate_all() -> None:
        VALIDATED.clear()
        for path, res in resources:
            validate_resource(res, "p", path)

    def read_only() -> None:  # every resource remembered: reading and mapping only
        case_from_resources(resources, service.kb)

    stages: dict[str, Callable[[], object]] = {
        "parse the request JSON": lambda: json.loads(raw),
        "verify the ES384 JWT": lambda: jwt.decode(
            verifier_token, KEY.public_key(), algorithms=["ES384"], audience=aud
        ),
        "R4B validation of every resource": validate_all,
        "read the resources into a case": read_only,
        "evaluate 17 sets (robustness: poems-imwg)": lambda: evaluate(
            case, None, None, service.kb, robustness=(PRIMARY,)
        ),
    }
    validate_all()
    for name, fn in stages.items():
        best = float("inf")
        for _ in range(5):
            t0 = time.thread_time()
            for _ in range(20):
                fn()
            best = min(best, (time.thread_time() - t0) / 20)
        print(f"{name:45} {best * 1000:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument(
        "--server", action="store_true", help="uvicorn in its own process, real HTTP on loopback"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="new resource ids in every request (no resource is seen twice)",
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="time each stage of a call and stop"
    )
    parser.add_argument("--child", nargs=2, metavar=("PORT", "JWK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        serve_child(int(args.child[0]), args.child[1])
        return
    n = max(10, min(args.requests, 5000))
    pre = prefetch()
    if args.breakdown:
        breakdown(pre)
        return
    bodies = [body(with_new_ids(pre) if args.cold else pre) for _ in range(n + WARM_UP)]
    resources = sum(
        len(v.get("entry", [])) if v.get("resourceType") == "Bundle" else 1 for v in pre.values()
    )

    async def post_all(client: httpx.AsyncClient, base: str) -> list[float]:
        return await run(client, f"{base}/cds-services/{SERVICE_ID}", bodies)

    async def in_process() -> list[float]:
        base = "http://cds.test"
        transport = httpx.ASGITransport(app=make_app(JWK))
        async with httpx.AsyncClient(transport=transport, base_url=base, timeout=30) as client:
            return await post_all(client, base)

    async def over_http(base: str) -> list[float]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            return await post_all(client, base)

    load_before = os.getloadavg()[0]
    if args.server:
        port = _free_port()
        proc = start_server(port)
        try:
            times = asyncio.run(over_http(f"http://127.0.0.1:{port}"))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        mode = "uvicorn in its own process, HTTP on 127.0.0.1"
    else:
        times = asyncio.run(in_process())
        mode = "in process (httpx.ASGITransport)"
    s = sorted(times)

    def pct(q: float) -> float:
        return s[min(len(s) - 1, round(q * (len(s) - 1)))] * 1000

    print(f"CDS Hooks patient-view with prefetch, {mode}")
    print(
        f"patient: seed case, {resources} FHIR resources, request body "
        f"{len(bodies[0]) / 1024:.0f} KiB; "
        + ("new resource ids in every request" if args.cold else "the same resources each time")
    )
    print(f"{n} sequential requests (ES384 JWT each), {WARM_UP} warm-up requests excluded")
    mean = statistics.mean(s) * 1000
    print(
        f"p50 {pct(0.50):7.1f} ms   p90 {pct(0.90):7.1f} ms   p99 {pct(0.99):7.1f} ms"
        f"   mean {mean:7.1f} ms   load {load_before:.2f} → {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
