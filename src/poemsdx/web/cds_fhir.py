"""The FHIR data a CDS Hooks call needs: prefetch templates, and fetching what the EHR
did not prefetch from its FHIR server.

Every prefetch key is needed: the Patient (sex, age), Conditions (neuropathy, organ
findings), the relevant laboratory Observations by LOINC code, VEGF (no LOINC code in the
catalogue, so searched by code text), and Procedures and MedicationStatements (a
treatment decides which results are pre-treatment). A key the EHR left out is fetched
from ``fhirServer`` with ``fhirAuthorization``; if that is impossible or fails, the call
ends with HTTP 412 and a JSON error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from ..io.interop import CodeMap, json_path

Json = dict[str, Any]


class DataUnavailable(Exception):
    """The data a call needs cannot be had (HTTP 412)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadPrefetch(Exception):
    """The prefetch the client sent is malformed (HTTP 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def prefetch_templates(cm: CodeMap) -> dict[str, str]:
    """The prefetch templates of the service (FHIR queries with ``{{context.patientId}}``)."""
    loinc: set[str] = set()
    for cid, concept in cm.kb.concepts.items():
        if concept.kind == "measurement":
            loinc.update(ref.code for ref in cm.codes(cid, "LOINC"))
    codes = ",".join(f"{cm.uri('LOINC')}|{c}" for c in sorted(loinc))
    pid = "{{context.patientId}}"
    return {
        "patient": f"Patient/{pid}",
        "conditions": f"Condition?patient={pid}",
        "observations": f"Observation?patient={pid}&code={codes}",
        "vegf": f"Observation?patient={pid}&code:text=VEGF",
        "procedures": f"Procedure?patient={pid}",
        "medications": f"MedicationStatement?patient={pid}",
    }


def resources_of(key: str, value: Any, origin: str) -> list[tuple[str, Json]]:
    """The resources in one prefetch value: a resource, a searchset Bundle, or null."""
    base = f"{origin}.{key}"
    if value is None:
        return []
    if not isinstance(value, dict) or "resourceType" not in value:
        raise BadPrefetch(f"prefetch '{key}' is neither a FHIR resource nor null")
    if value["resourceType"] != "Bundle":
        return [(base, value)]
    out: list[tuple[str, Json]] = []
    for i, entry in enumerate(value.get("entry") or []):
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            continue
        if res.get("resourceType") == "OperationOutcome":
            continue
        out.append((json_path(base, "entry", i, "resource"), res))
    return out


class Fetcher:
    """Fetches prefetch queries from the EHR's FHIR server, with bounded time and size."""

    def __init__(
        self,
        *,
        timeout_s: float = 5.0,
        max_pages: int = 5,
        max_bytes: int = 10_000_000,
        allowed_servers: tuple[str, ...] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 3.0))
        self.total_s = timeout_s * 3
        self.max_pages = max_pages
        self.max_bytes = max_bytes
        self.allowed = allowed_servers
        self.transport = transport

    async def fetch(
        self,
        server: str,
        authorization: Mapping[str, Any] | None,
        queries: Mapping[str, str],
    ) -> dict[str, list[Json]]:
        """Resources per key; ``DataUnavailable`` if any query fails."""
        base = server.rstrip("/")
        if not base.startswith(("https://", "http://")):
            raise DataUnavailable("fhirServer must be an http(s) URL")
        if self.allowed is not None and not any(
            base.startswith(a.rstrip("/")) for a in self.allowed
        ):
            raise DataUnavailable("fhirServer is not on this service's allow-list")
        headers = {"Accept": "application/fhir+json"}
        token = (authorization or {}).get("access_token")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with httpx.AsyncClient(
            transport=self.transport, timeout=self.timeout, headers=headers, follow_redirects=False
        ) as client:
            keys = list(queries)
            try:
                results = await asyncio.wait_for(
                    asyncio.gather(*(self._one(client, base, k, queries[k]) for k in keys)),
                    timeout=self.total_s,
                )
            except TimeoutError:
                raise DataUnavailable("the FHIR server did not answer in time") from None
        return dict(zip(keys, results, strict=True))

    async def _one(self, client: httpx.AsyncClient, base: str, key: str, query: str) -> list[Json]:
        url: str | None = f"{base}/{query}"
        out: list[Json] = []
        pages = 0
        while url is not None and pages < self.max_pages:
            pages += 1
            try:
                response = await client.get(url)
            except httpx.TimeoutException:
                raise DataUnavailable(f"the FHIR server timed out on prefetch '{key}'") from None
            except httpx.HTTPError as exc:
                why = type(exc).__name__
                raise DataUnavailable(
                    f"the FHIR server could not be reached for prefetch '{key}' ({why})"
                ) from None
            if response.status_code == 404 and key == "patient":
                raise DataUnavailable("the FHIR server has no such Patient")
            if response.status_code != 200:
                raise DataUnavailable(
                    f"the FHIR server answered {response.status_code} to prefetch '{key}'"
                )
            if len(response.content) > self.max_bytes:
                raise DataUnavailable(f"the FHIR answer to prefetch '{key}' is too large")
            try:
                data = response.json()
            except ValueError:
                raise DataUnavailable(f"the FHIR answer to prefetch '{key}' is not JSON") from None
            if not isinstance(data, dict) or "resourceType" not in data:
                raise DataUnavailable(f"the FHIR answer to prefetch '{key}' is not a resource")
            if data["resourceType"] != "Bundle":
                out.append(data)
                break
            for entry in data.get("entry") or []:
                res = entry.get("resource") if isinstance(entry, dict) else None
                if isinstance(res, dict) and res.get("resourceType") != "OperationOutcome":
                    out.append(res)
            url = _next_link(data, base)
        return out


def _next_link(bundle: Json, base: str) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = str(link.get("url", ""))
            # Follow paging only on the same server (no redirection elsewhere).
            return url if url.startswith(base + "/") or url.startswith(base + "?") else None
    return None


def fill_template(template: str, context: Mapping[str, Any]) -> str:
    """Replace ``{{context.x}}`` tokens with URL-quoted context values."""
    out = template
    for key, value in context.items():
        if isinstance(value, str | int):
            out = out.replace("{{context." + key + "}}", quote(str(value), safe=""))
    return out
