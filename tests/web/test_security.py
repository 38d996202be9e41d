"""Security of the web app: hashed tokens, refusal to serve a network without them, bearer
auth and login, CSRF, Host and cross-site checks, headers, and no patient text in logs."""

from __future__ import annotations

import gc
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from webtools import Web

from poemsdx.errors import InputError
from poemsdx.web import security
from poemsdx.web.app import create_app
from poemsdx.web.security import Signer, hash_token, load_tokens, parse_record, verify_token
from poemsdx.web.settings import WebSettings, is_loopback

TOKEN = "t" * 20 + "-correct-horse-battery-staple"
RECORD = hash_token("dr.sato", TOKEN)
HOSTILE = "PHI-Yamada-Hanako <script>alert(1)</script>"


# -- tokens -------------------------------------------------------------------------------------


def test_tokens_are_stored_salted_and_hashed() -> None:
    a, b = hash_token("a", TOKEN), hash_token("a", TOKEN)
    assert a.salt != b.salt and a.digest != b.digest  # salted
    assert TOKEN not in a.line() and len(a.digest) == 32  # sha256, never the token
    assert a.matches(TOKEN) and not a.matches(TOKEN + "x")
    assert parse_record(a.line()) == a


def test_short_tokens_and_odd_names_are_refused() -> None:
    with pytest.raises(InputError, match="at least 32"):
        hash_token("a", "short")
    with pytest.raises(InputError, match="token name"):
        hash_token("has space", TOKEN)


def test_verify_token_names_the_holder() -> None:
    other = hash_token("lab", "o" * 40)
    assert verify_token([RECORD, other], TOKEN) == "dr.sato"
    assert verify_token([RECORD, other], "o" * 40) == "lab"
    assert verify_token([RECORD, other], "nope") is None
    assert verify_token([RECORD], None) is None


def test_tokens_file_errors_name_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "tokens"
    good.write_text(f"# who may call\n{RECORD.line()}\n\n", encoding="utf-8")
    assert load_tokens(good) == (RECORD,)
    bad = tmp_path / "bad"
    bad.write_text(f"{RECORD.line()}\nalice:md5:00:11\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_tokens(bad)
    assert f"{bad}:2" in str(err.value)
    dup = tmp_path / "dup"
    dup.write_text(f"{RECORD.line()}\n{hash_token('dr.sato', 'x' * 40).line()}\n", "utf-8")
    with pytest.raises(InputError, match="own name"):
        load_tokens(dup)
    empty = tmp_path / "empty"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(InputError, match="no token"):
        load_tokens(empty)


def test_token_tool_prints_a_token_and_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert security.main(["dr.kato"]) == 0
    out = capsys.readouterr().out
    token = re.search(r"not stored\): (\S+)", out)
    line = out.strip().splitlines()[-1]
    assert token and parse_record(line).matches(token.group(1))
    assert security.main([]) == 2


def test_sessions_are_signed_and_expire() -> None:
    signer = Signer(b"k" * 32)
    value = signer.session("dr.sato", hours=1, now=1000.0)
    assert signer.read_session(value, now=1000.0) == "dr.sato"
    assert signer.read_session(value, now=1000.0 + 3601) is None
    assert signer.read_session(value.replace("dr.sato", "admin"), now=1000.0) is None
    assert Signer(b"j" * 32).read_session(value, now=1000.0) is None


# -- refusing to serve a network without tokens ---------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
     ("example.org", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_settings_refuse_a_network_address_without_tokens() -> None:
    with pytest.raises(InputError, match="POEMSDX_API_TOKENS_FILE"):
        WebSettings(host="0.0.0.0").check()
    with pytest.raises(InputError, match="refusing"):
        create_app(WebSettings(host="0.0.0.0", mount_cds=False))
    assert WebSettings(host="0.0.0.0", tokens=(RECORD,)).check().login_required


def test_serve_exits_2_on_a_network_address_without_tokens(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    cmd = [sys.executable, "-m", "poemsdx", "serve", "--host", "0.0.0.0", "--db", db]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0 without API tokens" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "r.sqlite3").exists()  # refused before anything was opened


def test_serve_reads_tokens_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "tokens"
    file.write_text(RECORD.line() + "\n", encoding="utf-8")
    monkeypatch.setenv("POEMSDX_API_TOKENS_FILE", str(file))
    assert WebSettings.from_env(host="0.0.0.0").check().tokens == (RECORD,)


def test_serve_runs_uvicorn_without_its_access_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import uvicorn

    from poemsdx.web.app import serve

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    monkeypatch.setattr(gc, "freeze", lambda: seen.update(frozen=True))  # not in pytest
    serve(WebSettings(database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}", mount_cds=False))
    assert seen["access_log"] is False and seen["host"] == "127.0.0.1" and seen["frozen"]


# -- authentication with tokens ---------------------------------------------------------------


@pytest.fixture
def secured(make_web: Any) -> Web:
    web: Web = make_web(base_url="https://127.0.0.1", tokens=(RECORD,))
    return web


def test_api_needs_a_bearer_token(secured: Web) -> None:
    r = secured.get("/api/v1/cases")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"
    bad = secured.get("/api/v1/cases", headers={"authorization": "Bearer wrong"})
    assert bad.status_code == 401
    ok = secured.get("/api/v1/cases", headers={"authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200


def test_the_token_name_is_the_audit_actor(secured: Web) -> None:
    auth = {"authorization": f"Bearer {TOKEN}"}
    case = {"id": "a", "observations": []}
    cid = secured.post("/api/v1/cases", json={"case": case}, headers=auth).json()["id"]
    audit = secured.app.state.service.registry.audit(cid)
    assert {e.actor for e in audit} == {"dr.sato"}


def test_pages_need_a_login(secured: Web) -> None:
    r = secured.get("/cases?q=x")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/cases%3Fq%3Dx"
    csrf = secured.csrf("/login")
    wrong = secured.post("/login", data={"token": "nope", "csrf_token": csrf, "next": "/cases"})
    assert wrong.status_code == 401
    ok = secured.post("/login", data={"token": TOKEN, "csrf_token": csrf, "next": "/cases"})
    assert ok.status_code == 303 and ok.headers["location"] == "/cases"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie
    assert secured.get("/cases").status_code == 200
    assert secured.get("/static/app.css").status_code == 200  # static needs no login
    secured.post("/logout", data={"csrf_token": secured.csrf("/cases")})
    assert secured.get("/cases").status_code == 303


def test_login_never_redirects_off_site(secured: Web) -> None:
    csrf = secured.csrf("/login")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        r = secured.post("/login", data={"token": TOKEN, "csrf_token": csrf, "next": target})
        assert r.headers["location"] == "/"


# -- CSRF, Host, cross-site --------------------------------------------------------------------


def test_form_posts_need_the_csrf_token(web: Web) -> None:
    case = '{"id": "csrf-case", "observations": []}'
    r = web.post("/cases", data={"case_json": case}, headers={"accept": "text/html"})
    assert r.status_code == 403 and 'data-code="csrf_failed"' in r.text
    token = web.csrf()
    r = web.post("/cases", data={"case_json": case, "csrf_token": "0" * 64})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    r = web.post("/cases", data={"case_json": case, "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].startswith("/cases/")


def test_csrf_token_of_another_cookie_is_refused(make_web: Any) -> None:
    alice, mallory = make_web(), make_web()
    stolen = mallory.csrf()
    alice.csrf()  # alice has her own cookie
    r = alice.post("/cases", data={"case_json": "{}", "csrf_token": stolen})
    assert r.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [{"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}],
)
def test_cross_site_posts_are_refused(web: Web, headers: dict[str, str]) -> None:
    r = web.post("/api/v1/evaluate", json={"text": "x"}, headers=headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "cross_site"


def test_same_origin_posts_pass(web: Web) -> None:
    r = web.post("/api/v1/extract", json={"text": "x"}, headers={"origin": "http://127.0.0.1"})
    assert r.status_code == 200


def test_foreign_host_is_refused_without_tokens(web: Web) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: refuse it."""
    r = web.get("/api/v1/cases", headers={"host": "evil.example"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_host"
    for host in ("127.0.0.1:8000", "localhost", "[::1]:8000"):
        assert web.get("/api/v1/cases", headers={"host": host}).status_code == 200


# -- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/cases", "/api/v1/cases", "/api/v1/nowhere", "/static/app.js"]
)
def test_security_headers_on_every_response(web: Web, path: str) -> None:
    h = web.get(path, headers={"accept": "text/html"}).headers
    assert "default-src 'self'" in h["content-security-policy"]
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert "'unsafe-eval'" not in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "same-origin"
    assert h["x-frame-options"] == "DENY"
    if not path.startswith("/static/"):
        assert h["cache-control"] == "no-store"


def test_pages_load_nothing_from_elsewhere(web: Web) -> None:
    html = web.get("/").text
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script>" not in html and " on" not in re.sub(r"<script[^>]*src=[^>]*>", "", html)
    assert web.get("/static/htmx.min.js").status_code == 200


# -- no patient text in logs -------------------------------------------------------------------


def test_logs_carry_ids_never_patient_text(
    web: Web, caplog: pytest.LogCaptureFixture, seed_text: str
) -> None:
    case = {"id": "PHI-Yamada-Hanako", "title": HOSTILE, "observations": []}
    with caplog.at_level(logging.DEBUG):
        cid = web.post("/api/v1/cases", json={"case": case}).json()["id"]
        web.get("/api/v1/cases", params={"q": "PHI-Yamada"})
        web.get(f"/cases/{cid}")
        web.get(f"/api/v1/cases/{cid}")
        web.post("/api/v1/evaluate", json={"case": {**case, "bad": 1}})
        web.get("/api/v1/cases/PHI-Yamada-Hanako")
        token = web.csrf()
        note = "PHI-Yamada-Hanako, 57-year-old man.\n" + seed_text[:2000]
        web.post("/evaluate", data={"text": note, "csrf_token": token})
        web.post(
            "/evaluate",
            data={"csrf_token": token},
            files={"file": ("PHI-Yamada-Hanako.txt", note.encode(), "text/plain")},
        )
    server = [r for r in caplog.records if not r.name.startswith("httpx")]  # not the client's
    assert server, "expected access-log lines"
    for record in server:
        assert "Yamada" not in record.getMessage(), record.name
        assert record.exc_info is None or "Yamada" not in str(record.exc_info[1])
    routes = [r.getMessage() for r in server if r.name == "poemsdx.web.access"]
    assert any("/api/v1/cases/{case_id} 200" in m and f"case={cid}" in m for m in routes)
    assert any("case=other" in m for m in routes)  # a non-registry id is not echoed


def test_hostile_titles_are_escaped_in_pages(web: Web) -> None:
    case = {"id": "x", "title": HOSTILE, "observations": []}
    cid = web.post("/api/v1/cases", json={"case": case}).json()["id"]
    page = web.get(f"/cases/{cid}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    listing = web.get("/cases", params={"q": "PHI"}).text
    assert "<script>alert" not in listing and cid in listing


def test_login_over_plain_http_says_the_cookie_needs_https(make_web: Any) -> None:
    plain: Web = make_web(tokens=(RECORD,))
    assert "HTTPS only" in plain.get("/login").text
    tls: Web = make_web(base_url="https://127.0.0.1", tokens=(RECORD,))
    assert "HTTPS only" not in tls.get("/login").text
