"""The pages, without a browser: paste/upload → result, save, the case page with its plot,
response and history, follow-up, downloads, language, search."""

from __future__ import annotations

import re
from typing import Any

import pytest
from webtools import ROOT, SEED_CASE, Web

from poemsdx.web.i18n import STRINGS

HTML = {"accept": "text/html"}


def evaluate_text(web: Web, text: str) -> str:
    r = web.post("/evaluate", data={"text": text, "csrf_token": web.csrf()}, headers=HTML)
    assert r.status_code == 200, r.text[:500]
    return r.text


def status_of(html: str, criteria_id: str) -> str | None:
    found = re.search(rf'<tr class="\w+" data-criteria="{criteria_id}" data-status="(\w+)"', html)
    return found.group(1) if found else None


def save(web: Web, html: str) -> str:
    case_json = re.search(r'name="case_json" value="([^"]*)"', html)
    assert case_json
    import html as html_lib

    data = {"case_json": html_lib.unescape(case_json.group(1)), "csrf_token": web.csrf()}
    r = web.post("/cases", data=data)
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def test_every_language_has_the_same_page_strings() -> None:
    assert set(STRINGS["ja"]) == set(STRINGS["en"]) == set(STRINGS["zh"])


def test_index_has_the_form(web: Web) -> None:
    html = web.get("/").text
    assert 'action="/evaluate"' in html and 'enctype="multipart/form-data"' in html
    assert 'name="csrf_token"' in html and 'type="file"' in html


def test_seed_text_result_page(web: Web, seed_text: str) -> None:
    html = evaluate_text(web, seed_text)
    assert status_of(html, "poems-imwg") == "met"
    assert status_of(html, "aip-icdc-2011") == "met"
    assert '<mark class="evidence"' in html
    links = re.findall(r'<a class="ev-link" href="#([^"]+)" data-ev="([^"]+)"', html)
    assert links, "no evidence line links to the source"
    anchors = set(re.findall(r'<mark class="evidence" id="([^"]+)"', html))
    for first, ids in links:
        assert first in anchors
        assert set(ids.split()) <= anchors
    assert ("differential" in html and 'class="missing"' in html) or 'class="next-tests"' in html


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("case.yaml", str(SEED_CASE)),
        ("bundle.json", str(ROOT / "docs/examples/seed-fhir-bundle.json")),
        ("packet.json", str(ROOT / "docs/examples/seed-phenopacket.json")),
    ],
)
def test_upload_each_input_kind(web: Web, name: str, path: str) -> None:
    from pathlib import Path

    file = Path(path)
    if not file.exists():
        pytest.skip(f"{path} is not in this checkout")
    files = {"file": (name, file.read_bytes(), "application/octet-stream")}
    r = web.post("/evaluate", data={"csrf_token": web.csrf()}, files=files, headers=HTML)
    assert r.status_code == 200, r.text[:800]
    assert status_of(r.text, "poems-imwg") in ("met", "undetermined")


@pytest.mark.parametrize(
    ("data", "files", "message"),
    [
        ({"text": "  "}, None, "the text is empty"),
        ({}, {"file": ("x.exe", b"MZ", "application/octet-stream")}, "unknown file type"),
        ({}, {"file": ("c.yaml", b"id: [unclosed", "text/yaml")}, "c.yaml"),
        ({}, {"file": ("c.json", b'{"id": "x", "observations": 5}', "application/json")}, "c.json"),
        ({"text": "x", "language": "fr"}, None, "unknown text language"),
    ],
)
def test_bad_input_shows_an_error_page(
    web: Web, data: dict[str, str], files: Any, message: str
) -> None:
    r = web.post("/evaluate", data={**data, "csrf_token": web.csrf()}, files=files, headers=HTML)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert message in r.text


def test_save_then_case_page_with_plot_response_and_history(web: Web, seed_text: str) -> None:
    location = save(web, evaluate_text(web, seed_text))
    cid = location.rsplit("/", 1)[-1]
    page = web.get(location).text
    assert "<svg" in page and "<?xml" not in page and "<style" not in page
    assert 'id="response"' in page and 'data-domain="vegf"' in page
    assert 'id="history"' in page and status_of(page, "poems-imwg") == "met"
    assert "ev-link" in page  # the stored text keeps its evidence spans

    form = {
        "concept": "vegf",
        "value": "150",
        "unit": "pg/mL",
        "specimen": "serum",
        "date": "2010-07",
        "csrf_token": web.csrf(location),
    }
    r = web.post(f"/cases/{cid}/observations", data=form)
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{cid}#response"
    page = web.get(f"/cases/{cid}").text
    assert "version 2" in page
    categories = re.findall(r'data-definition="[^"]+" data-category="(\w+)"', page)
    assert categories and set(categories) - {"undetermined", "not_applicable"}
    assert page.count("<tr><td>20") >= 2  # two stored assessments

    bad = {**form, "unit": "mg/xx", "csrf_token": web.csrf(location)}
    r = web.post(f"/cases/{cid}/observations", data=bad, headers=HTML)
    assert r.status_code == 422 and "mg/xx" in r.text


def test_reevaluate_and_delete_by_form(web: Web, seed_text: str) -> None:
    location = save(web, evaluate_text(web, seed_text[:3000]))
    cid = location.rsplit("/", 1)[-1]
    r = web.post(f"/cases/{cid}/assessments", data={"csrf_token": web.csrf()})
    assert r.status_code == 303
    assert len(web.get(f"/api/v1/cases/{cid}/assessments").json()) == 2
    r = web.post(f"/cases/{cid}/delete", data={"csrf_token": web.csrf()})
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    assert web.get(location, headers=HTML).status_code == 404


def test_html_report_downloads(web: Web, seed_text: str) -> None:
    html = evaluate_text(web, seed_text[:3000])
    case_json = re.search(r'name="case_json" value="([^"]*)"', html)
    assert case_json
    import html as html_lib

    data = {"case_json": html_lib.unescape(case_json.group(1)), "format": "html"}
    r = web.post("/report?lang=ja", data={**data, "csrf_token": web.csrf()})
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert '<html lang="ja">' in r.text

    cid = save(web, html).rsplit("/", 1)[-1]
    r = web.get(f"/cases/{cid}/report.html?lang=zh")
    assert r.status_code == 200 and '<html lang="zh">' in r.text
    actions = [e.action for e in web.app.state.service.registry.audit(cid)]
    assert actions[-1] == "exported"
    assert web.get(f"/cases/{cid}/report.docx").status_code == 422


@pytest.mark.slow
def test_pdf_report_download(web: Web, seed_case: dict[str, Any]) -> None:
    cid = web.post("/api/v1/cases", json={"case": seed_case}).json()["id"]
    r = web.get(f"/cases/{cid}/report.pdf?lang=ja")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")


def test_language_selector(web: Web) -> None:
    r = web.get("/lang", params={"set": "ja", "next": "/cases"})
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    assert "症例レジストリ" in web.get("/cases").text
    assert "病例登记库" in web.get("/cases?lang=zh").text
    assert web.get("/lang", params={"set": "xx"}).status_code == 422
    assert (
        web.get("/lang", params={"set": "en", "next": "//evil.example"}).headers["location"] == "/"
    )


def test_case_search_live_fragment(web: Web) -> None:
    for title in ("alpha case", "beta case"):
        web.post("/api/v1/cases", json={"case": {"id": title[:4], "title": title}})
    full = web.get("/cases", params={"q": "alpha"}).text
    assert "alpha case" in full and "beta case" not in full and "<html" in full
    fragment = web.get("/cases", params={"q": "beta"}, headers={"hx-request": "true"}).text
    assert fragment.lstrip().startswith('<tbody id="case-rows">')
    assert "beta case" in fragment and "alpha case" not in fragment


def test_oversized_upload_is_413(make_web: Any) -> None:
    web = make_web(max_body_bytes=10_000)
    token = web.csrf()
    files = {"file": ("big.txt", b"x" * 20_000, "text/plain")}
    r = web.post("/evaluate", data={"csrf_token": token}, files=files)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"


def test_a_broken_fhir_bundle_is_located(web: Web) -> None:
    bundle = b'{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": 5}]}'
    files = {"file": ("b.json", bundle, "application/json")}
    r = web.post("/evaluate", data={"csrf_token": web.csrf()}, files=files, headers=HTML)
    assert r.status_code == 422
    assert "b.json" in r.text
