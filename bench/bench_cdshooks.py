"""Benchmark: one CDS Hooks ``patient-view`` call with full prefetch, end to end.

Run: ``.venv/bin/python bench/bench_cdshooks.py [--requests N] [--uvicorn]``.

The patient is the seed case (47 observations, a transplant) exported to FHIR and split
into the service's prefetch keys; every request carries a fresh ES384 JWT (so signature
verification and the replay check are measured too). Requests are sequential. By default
they go in process through ``httpx.ASGITransport``; ``--uvicorn`` starts uvicorn on
127.0.0.1 and measures real HTTP. Prints p50, p90, p99 and the mean over N requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

import poemsdx
from poemsdx.io.fhir import export_fhir
from poemsdx.web.cdshooks import SERVICE_ID, CdsSettings, TrustedIssuer, create_cds_app

ROOT = Path(__file__).resolve().parent.parent
ISS = "https://ehr.example.org"
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


def body(pre: dict[str, Any]) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": "p1"},
        "prefetch": pre,
    }


async def run(client: httpx.AsyncClient, url: str, n: int, pre: dict[str, Any]) -> list[float]:
    times = []
    for i in range(n + 5):
        headers = {"Authorization": f"Bearer {token(url)}"}
        t0 = time.perf_counter()
        r = await client.post(url, json=body(pre), headers=headers)
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            raise SystemExit(f"request failed: {r.status_code} {r.text[:200]}")
        if i >= 5:  # warm-up excluded
            times.append(elapsed)
    return times


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--uvicorn", action="store_true")
    args = parser.parse_args()
    n = max(10, min(args.requests, 5000))
    settings = CdsSettings(issuers={ISS: TrustedIssuer(jwks={"keys": [JWK]})})
    app = create_cds_app(settings)
    pre = prefetch()
    size = len(json.dumps(body(pre)))
    resources = sum(
        len(v.get("entry", [])) if v.get("resourceType") == "Bundle" else 1 for v in pre.values()
    )

    async def in_process() -> list[float]:
        base = "http://cds.test"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base, timeout=30) as client:
            return await run(client, f"{base}/cds-services/{SERVICE_ID}", n, pre)

    async def over_http(port: int) -> list[float]:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            return await run(client, f"{base}/cds-services/{SERVICE_ID}", n, pre)

    if args.uvicorn:
        import uvicorn

        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            times = asyncio.run(over_http(port))
        finally:
            server.should_exit = True
            thread.join(timeout=10)
        mode = f"uvicorn on 127.0.0.1:{port}"
    else:
        times = asyncio.run(in_process())
        mode = "in process (httpx.ASGITransport)"
    s = sorted(times)

    def pct(q: float) -> float:
        return s[min(len(s) - 1, round(q * (len(s) - 1)))] * 1000

    print(f"CDS Hooks patient-view with prefetch, {mode}")
    print(f"patient: seed case, {resources} FHIR resources, request body {size / 1024:.0f} KiB")
    print(f"{n} sequential requests (ES384 JWT each), 5 warm-up requests excluded")
    mean = statistics.mean(s) * 1000
    print(
        f"p50 {pct(0.50):7.1f} ms   p90 {pct(0.90):7.1f} ms   p99 {pct(0.99):7.1f} ms"
        f"   mean {mean:7.1f} ms"
    )


if __name__ == "__main__":
    main()
