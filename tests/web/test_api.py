"""The REST API, endpoint by endpoint, including bad input: every 4xx is JSON in the one
error shape, and bad input never gives a 500.

The registry cases used here are the structured seed case (examples/seed-poems-igg4-aip
.yaml) and a tiny hand-built one::

    tiny   male, 60; polyneuropathy present; serum VEGF 1200 pg/mL at admission
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from webtools import ROOT, Web

TINY: dict[str, Any] = {
    "id": "tiny",
    "title": "tiny test case",
    "patient": {"age": 60, "sex": "male"},
    "observations": [
        {"kind": "finding", "concept": "sensorimotor_polyneuropathy", "status": "present"},
        {
            "kind": "measurement",
            "concept": "vegf",
            "value": 1200,
            "unit": "pg/mL",
            "specimen": "serum",
            "time": {"anchor": "admission"},
        },
    ],
}
VEGF_FOLLOW_UP = {
    "kind": "measurement",
    "concept": "vegf",
    "value": 150,
    "unit": "pg/mL",
    "specimen": "serum",
    "time": {"date": "2010-07"},
}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "where"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def statuses(body: dict[str, Any]) -> dict[str, str]:
    return {a["criteria_id"]: a["status"] for a in body["assessments"]}


# -- evaluate and extract ---------------------------------------------------------------------


def test_evaluate_a_structured_case(web: Web, seed_case: dict[str, Any]) -> None:
    r = web.post("/api/v1/evaluate", json={"case": seed_case})
    assert r.status_code == 200
    body = r.json()
    got = statuses(body)
    assert got["poems-imwg"] == "met"
    assert got["aip-icdc-2011"] == "met"
    poems = next(a for a in body["assessments"] if a["criteria_id"] == "poems-imwg")
    assert {"criteria_id", "status", "category", "items", "missing", "next_tests"} <= set(poems)
    assert body["knowledge_version"] and body["notes"] == []


def test_evaluate_is_answered_from_the_cache_the_second_time(
    web: Web, seed_case: dict[str, Any]
) -> None:
    first = web.post("/api/v1/evaluate", json={"case": seed_case})
    second = web.post("/api/v1/evaluate", json={"case": seed_case})
    assert first.content == second.content


def test_evaluate_text(web: Web, seed_text: str) -> None:
    r = web.post("/api/v1/evaluate", json={"text": seed_text})
    assert r.status_code == 200
    body = r.json()
    assert statuses(body)["poems-imwg"] == "met"
    aip = next(a for a in body["assessments"] if a["criteria_id"] == "aip-icdc-2011")
    assert aip["status"] == "met" and aip["category"].startswith("definitive")


def test_evaluate_with_criteria_and_params(web: Web) -> None:
    r = web.post("/api/v1/evaluate", json={"case": TINY, "criteria": ["poems-imwg"]})
    assert r.status_code == 200
    assert list(statuses(r.json())) == ["poems-imwg"]


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("fhir", "docs/examples/seed-fhir-bundle.json"),
        ("phenopacket", "docs/examples/seed-phenopacket.json"),
    ],
)
def test_evaluate_a_fhir_bundle_or_phenopacket(web: Web, name: str, path: str) -> None:
    file = ROOT / path
    if not file.exists():
        pytest.skip(f"{path} is not in this checkout")
    r = web.post("/api/v1/evaluate", json={"case": json.loads(file.read_text("utf-8"))})
    assert r.status_code == 200, r.text
    assert statuses(r.json())["poems-imwg"] in ("met", "undetermined")


def test_extract_returns_a_case_that_loads_back(web: Web) -> None:
    text = "A 57-year-old man had polyneuropathy. Serum VEGF was 777 pg/mL (<220)."
    r = web.post("/api/v1/extract", json={"text": text, "language": "en"})
    assert r.status_code == 200
    case = r.json()
    vegf = [o for o in case["observations"] if o["concept"] == "vegf"]
    assert vegf and vegf[0]["value"] == 777
    ev = vegf[0]["evidence"][0]
    assert text[ev["start"] : ev["end"]] == ev["quote"]
    again = web.post("/api/v1/cases", json={"case": case})
    assert again.status_code == 201, again.text


# -- the registry ------------------------------------------------------------------------------


def _create(web: Web, case: dict[str, Any] | None = None) -> str:
    r = web.post("/api/v1/cases", json={"case": case or TINY})
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/api/v1/cases/{r.json()['id']}"
    return str(r.json()["id"])


def test_case_crud(web: Web) -> None:
    cid = _create(web)
    r = web.get(f"/api/v1/cases/{cid}")
    assert r.status_code == 200
    assert r.json()["case"]["title"] == "tiny test case" and r.json()["version"] == 1

    changed = {**TINY, "title": "renamed"}
    r = web.put(f"/api/v1/cases/{cid}", json={"case": changed})
    assert r.status_code == 200 and r.json()["version"] == 2
    assert web.get(f"/api/v1/cases/{cid}?version=1").json()["case"]["title"] == "tiny test case"

    listed = web.get("/api/v1/cases", params={"q": "renamed"}).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == cid
    assert web.get("/api/v1/cases", params={"q": "nothing-like-it"}).json()["total"] == 0
    page = web.get("/api/v1/cases", params={"limit": 1, "offset": 0}).json()
    assert page["limit"] == 1 and len(page["items"]) == 1

    assert web.delete(f"/api/v1/cases/{cid}").status_code == 204
    assert_error(web.get(f"/api/v1/cases/{cid}"), 404, "not_found")
    assert web.get("/api/v1/cases").json()["total"] == 0


def test_create_from_text_with_a_title(web: Web, seed_text: str) -> None:
    r = web.post("/api/v1/cases", json={"text": seed_text, "title": "seed report"})
    assert r.status_code == 201
    verdicts = {v["criteria_id"]: v for v in r.json()["verdicts"]}
    assert verdicts["poems-imwg"]["status"] == "met"
    assert web.get("/api/v1/cases", params={"q": "seed report"}).json()["total"] == 1


def test_follow_up_observation_makes_a_version_and_a_response(web: Web, seed_text: str) -> None:
    cid = web.post("/api/v1/cases", json={"text": seed_text}).json()["id"]
    r = web.post(f"/api/v1/cases/{cid}/observations", json={"observations": [VEGF_FOLLOW_UP]})
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 2 and r.json()["assessment_id"]

    stored = web.get(f"/api/v1/cases/{cid}/assessments").json()
    assert [a["case_version"] for a in stored] == [1, 2]
    assert all(a["verdicts"] and a["knowledge_version"] for a in stored)

    series = web.get(f"/api/v1/cases/{cid}/timeline").json()["series"]
    vegf = next(s for s in series if s["concept"] == "vegf")
    assert [p["value"] for p in vegf["points"]][-1] == 150

    response = web.get(f"/api/v1/cases/{cid}/response").json()
    assert response["treatment"]["concept"] == "hdm_asct"
    last = response["timepoints"][-1]
    assert next(d for d in last["domains"] if d["domain"] == "vegf")["status"] != "undetermined"


def test_assessments_post_stores_a_new_evaluation(web: Web) -> None:
    cid = _create(web)
    r = web.post(f"/api/v1/cases/{cid}/assessments", json={"criteria": ["poems-imwg"]})
    assert r.status_code == 201, r.text
    assert [v["criteria_id"] for v in r.json()["verdicts"]] == ["poems-imwg"]
    assert web.post(f"/api/v1/cases/{cid}/assessments").status_code == 201
    assert len(web.get(f"/api/v1/cases/{cid}/assessments").json()) == 3


# -- bad input: one table --------------------------------------------------------------------

UNKNOWN = "/api/v1/cases/0123456789abcdef0123456789abcdef"
BAD: list[tuple[str, str, dict[str, Any], int, str, str | None]] = [
    # (method, url, request kwargs, status, code, where)
    (
        "POST",
        "/api/v1/evaluate",
        {"content": b'{"case": ', "headers": {"content-type": "application/json"}},
        400,
        "malformed_json",
        "body:1:10",
    ),
    (
        "POST",
        "/api/v1/evaluate",
        {"content": b"POEMS?", "headers": {"content-type": "text/plain"}},
        415,
        "unsupported_media_type",
        None,
    ),
    ("POST", "/api/v1/cases", {"data": {"case": "x"}}, 415, "unsupported_media_type", None),
    ("POST", "/api/v1/evaluate", {"json": {}}, 422, "invalid_input", "body"),
    (
        "POST",
        "/api/v1/evaluate",
        {"json": {"case": TINY, "text": "x"}},
        422,
        "invalid_input",
        "body",
    ),
    (
        "POST",
        "/api/v1/evaluate",
        {"json": {"case": TINY, "colour": 1}},
        422,
        "invalid_input",
        "body.colour",
    ),
    (
        "POST",
        "/api/v1/evaluate",
        {
            "json": {
                "case": {
                    **TINY,
                    "observations": [
                        {"kind": "finding", "concept": "no_such_thing", "status": "present"}
                    ],
                }
            }
        },
        422,
        "invalid_input",
        "body.case.observations[0].concept",
    ),
    (
        "POST",
        "/api/v1/evaluate",
        {"json": {"case": TINY, "criteria": ["poems-imwg", "nope"]}},
        422,
        "invalid_input",
        "body.criteria[1]",
    ),
    (
        "POST",
        "/api/v1/evaluate",
        {"json": {"case": TINY, "params": {"nope": "x"}}},
        422,
        "invalid_input",
        "body.params",
    ),
    ("POST", "/api/v1/evaluate", {"json": {"text": "   "}}, 422, "invalid_input", "body.text"),
    ("POST", "/api/v1/evaluate", {"json": [1, 2]}, 422, "invalid_input", "body"),
    (
        "POST",
        "/api/v1/extract",
        {"json": {"text": "x", "document_id": "../etc"}},
        422,
        "invalid_input",
        "body.document_id",
    ),
    ("GET", UNKNOWN, {}, 404, "not_found", None),
    ("PUT", UNKNOWN, {"json": {"case": TINY}}, 404, "not_found", None),
    ("DELETE", UNKNOWN, {}, 404, "not_found", None),
    ("GET", UNKNOWN + "/assessments", {}, 404, "not_found", None),
    ("POST", UNKNOWN + "/assessments", {}, 404, "not_found", None),
    (
        "POST",
        UNKNOWN + "/observations",
        {"json": {"observations": [VEGF_FOLLOW_UP]}},
        404,
        "not_found",
        None,
    ),
    ("GET", UNKNOWN + "/timeline", {}, 404, "not_found", None),
    ("GET", UNKNOWN + "/response", {}, 404, "not_found", None),
    ("GET", "/api/v1/cases/x'; DROP TABLE cases;--", {}, 404, "not_found", None),
    ("GET", "/api/v1/cases?limit=0", {}, 422, "invalid_input", "query.limit"),
    ("GET", "/api/v1/cases?offset=-1", {}, 422, "invalid_input", "query.offset"),
    ("GET", "/api/v1/cases?limit=abc", {}, 422, "invalid_input", "query.limit"),
    ("GET", "/api/v1/nowhere", {}, 404, "not_found", None),
    ("PATCH", "/api/v1/evaluate", {}, 405, "method_not_allowed", None),
]


@pytest.mark.parametrize(("method", "url", "kwargs", "status", "code", "where"), BAD)
def test_bad_input_gets_the_error_shape(
    web: Web,
    method: str,
    url: str,
    kwargs: dict[str, Any],
    status: int,
    code: str,
    where: str | None,
) -> None:
    error = assert_error(web.request(method, url, **kwargs), status, code)
    assert error["where"] == where


def test_bad_follow_up_is_located_in_the_request(web: Web) -> None:
    cid = _create(web)
    bad = {**VEGF_FOLLOW_UP, "unit": "mg/xx"}
    r = web.post(f"/api/v1/cases/{cid}/observations", json={"observations": [VEGF_FOLLOW_UP, bad]})
    error = assert_error(r, 422, "invalid_input")
    assert error["where"].startswith("body.observations[1]")
    plasma_free = {k: v for k, v in VEGF_FOLLOW_UP.items() if k != "specimen"}
    r = web.post(f"/api/v1/cases/{cid}/observations", json={"observations": [plasma_free]})
    assert assert_error(r, 422, "invalid_input")["where"].startswith("body.observations[0]")
    assert web.get(f"/api/v1/cases/{cid}").json()["version"] == 1  # nothing stored


def test_oversized_body_is_413(make_web: Any) -> None:
    web = make_web(max_body_bytes=10_000)
    big = {"text": "x" * 20_000}
    assert_error(web.post("/api/v1/evaluate", json=big), 413, "payload_too_large")


def test_oversized_chunked_body_is_413_without_content_length(make_web: Any) -> None:
    web = make_web(max_body_bytes=10_000)

    async def chunks() -> Any:
        for _ in range(20):
            yield b'{"text": "' + b"x" * 1000

    r = web.post("/api/v1/evaluate", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "payload_too_large")


def test_openapi_document_lists_every_endpoint(web: Web) -> None:
    doc = web.get("/api/v1/openapi.json").json()
    assert set(doc["paths"]) == {
        "/api/v1/evaluate",
        "/api/v1/extract",
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/observations",
        "/api/v1/cases/{case_id}/assessments",
        "/api/v1/cases/{case_id}/timeline",
        "/api/v1/cases/{case_id}/response",
    }
    evaluate = doc["paths"]["/api/v1/evaluate"]["post"]
    assert evaluate["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }


def test_no_external_links_in_the_openapi_document(web: Web) -> None:
    text = web.get("/api/v1/openapi.json").text
    assert "cdn." not in text and "unpkg" not in text
    assert web.get("/docs").status_code == 404  # Swagger UI would load from a CDN


def test_cds_hooks_service_is_mounted(make_web: Any) -> None:
    web = make_web(mount_cds=True)
    r = web.get("/cds/cds-services")
    assert r.status_code == 200
    assert r.json()["services"][0]["hook"] == "patient-view"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    call = web.post("/cds/cds-services/poemsdx-poems", json={})
    assert call.status_code == 401  # its own JWT auth, its own error shape (CDS Hooks spec)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cases?offset=10000000",
        f"{UNKNOWN}?version=2147483647",
        "/cases?page=1000000",
        "/cases?q=%00%ff",
    ],
)
def test_extreme_query_values_are_not_server_errors(web: Web, url: str) -> None:
    assert web.get(url).status_code < 500


def test_the_registry_flow_on_postgresql(pg_registry: Any, kb: Any, seed_text: str) -> None:
    from poemsdx.web.app import create_app
    from poemsdx.web.settings import WebSettings

    web = Web(create_app(WebSettings(mount_cds=False), kb=kb, registry=pg_registry))
    cid = web.post("/api/v1/cases", json={"text": seed_text, "title": "pg"}).json()["id"]
    r = web.post(f"/api/v1/cases/{cid}/observations", json={"observations": [VEGF_FOLLOW_UP]})
    assert r.status_code == 201 and r.json()["version"] == 2
    assert web.get("/api/v1/cases", params={"q": "pg"}).json()["total"] == 1
    assert len(web.get(f"/api/v1/cases/{cid}/assessments").json()) == 2
    assert web.get(f"{UNKNOWN}?version=2147483647").status_code == 404
    assert web.get(f"/cases/{cid}").status_code == 200
    # PostgreSQL text cannot hold NUL: bad input, never a database failure
    assert web.get("/api/v1/cases", params={"q": "a\x00b"}).status_code == 400
    assert web.get("/api/v1/cases/a%00b").status_code == 400
    nul = {**TINY, "title": "a\x00b"}
    assert_error(web.post("/api/v1/cases", json={"case": nul}), 422, "invalid_input")
    assert web.post("/api/v1/cases", json={"text": seed_text[:500] + "\x00"}).status_code == 201
