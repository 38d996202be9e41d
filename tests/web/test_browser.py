"""End to end in a real browser: ``poemsdx serve`` in a subprocess (temporary SQLite
registry, a free port on 127.0.0.1) driven by Playwright with Debian's chromium.

Paste the seed case report → ``poems-imwg`` met and ``aip-icdc-2011`` definitive → click an
evidence line and see its words highlighted in the source → save → add a follow-up serum
VEGF → see the response and the plot; search the registry (htmx). The page must log no
console error (a CSP violation would). Screenshots are kept in out/test-artifacts/.

``playwright install`` cannot download browsers here, so the apt package is used
(``make sysdeps`` installs it); without it the test is skipped with the reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from webtools import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("POEMSDX_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "out" / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """``poemsdx serve`` on a free port; yields its base URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POEMSDX_")}
    log = (tmp_path / "server.log").open("w")
    db = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    cmd = [sys.executable, "-m", "poemsdx", "serve", "--port", str(port), "--db", db]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/static/app.css", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"server did not start:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_paste_evaluate_highlight_save_follow_up(
    server: str, seed_text: str, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            f"no chromium at {CHROMIUM} (make sysdeps installs it: apt-get install chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

            page.goto(f"{server}/")
            page.fill("#text", seed_text)
            page.click("#evaluate-form button[type=submit]")
            page.wait_for_selector('tr[data-criteria="poems-imwg"]')
            assert page.get_attribute('tr[data-criteria="poems-imwg"]', "data-status") == "met"
            aip = page.locator('tr[data-criteria="aip-icdc-2011"]')
            assert aip.get_attribute("data-status") == "met"
            assert "definitive" in aip.locator(".verdict").inner_text().lower()

            link = page.locator("section#poems-imwg a.ev-link").first
            wanted = (link.get_attribute("data-ev") or "").split()
            assert wanted
            assert page.locator("mark.evidence.active").count() == 0
            link.click()
            active = page.locator("mark.evidence.active")
            assert active.count() >= 1
            assert active.first.is_visible()
            assert any(w in (active.first.get_attribute("data-ev") or "").split() for w in wanted)
            assert "active" in (link.get_attribute("class") or "")
            page.screenshot(path=str(ARTIFACTS / "browser-result.png"))

            page.fill("#save-form input[name=title]", "Seed case report (browser test)")
            page.click("#save-form button[type=submit]")
            page.wait_for_selector("#timeline .plot svg")
            case_url = page.url
            assert "/cases/" in case_url

            page.fill("form.followup input[name=concept]", "vegf")
            page.fill("form.followup input[name=value]", "150")
            page.fill("form.followup input[name=unit]", "pg/mL")
            page.select_option("form.followup select[name=specimen]", "serum")
            page.fill("form.followup input[name=date]", "2010-07")
            page.click("form.followup button[type=submit]")
            page.wait_for_selector("#response")
            assert "version 2" in page.inner_text("p.meta")
            vegf = page.locator('#response details[open] [data-domain="vegf"]')
            assert vegf.count() == 1
            assert vegf.get_attribute("data-status") not in ("undetermined", "not_applicable")
            assert page.locator("#timeline .plot svg").is_visible()
            assert page.locator("#history tbody tr").count() == 2
            page.locator("#timeline").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "browser-case.png"), full_page=False)
            page.screenshot(path=str(ARTIFACTS / "browser-case-full.png"), full_page=True)

            page.goto(f"{server}/cases")
            page.fill("input[name=q]", "browser test")
            rows = page.locator("#case-rows a")
            # assertions, not wait_for_function: the page's CSP rightly forbids eval
            sync_api.expect(rows).to_have_count(1)
            sync_api.expect(page.locator("#case-rows")).to_contain_text("browser test")
            page.fill("input[name=q]", "no such case at all")
            sync_api.expect(rows).to_have_count(0)
        finally:
            context.close()
    assert problems == [], f"browser console errors: {problems}"
