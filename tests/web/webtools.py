"""Helpers shared by the web tests: paths of the seed documents and a synchronous client.

The client drives the ASGI app in process through ``httpx.ASGITransport`` +
``httpx.AsyncClient`` (Starlette's TestClient warns about its httpx use, and the suite turns
warnings into errors), keeping cookies between requests like a browser.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[2]
SEED_TEXT = Path("/work/shared/seeds/000_3136cac6ffbb0806.txt")
SEED_CASE = ROOT / "examples" / "seed-poems-igg4-aip.yaml"


class Web:
    """A synchronous face over ``httpx.AsyncClient`` on an ASGI app, with a cookie jar."""

    def __init__(self, app: FastAPI, base_url: str = "http://127.0.0.1") -> None:
        self.app = app
        self.base_url = base_url
        self.cookies = httpx.Cookies()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url=self.base_url, cookies=self.cookies
            ) as client:
                response = await client.request(method, url, **kwargs)
                self.cookies = client.cookies
                return response

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def csrf(self, page: str = "/") -> str:
        """The CSRF token of a page (and its cookie, kept in the jar)."""
        html = self.get(page, headers={"accept": "text/html"}).text
        found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', html)
        assert found, "page has no CSRF token"
        return found.group(1)
