"""The CDS Hooks 2.0 service, in process only: discovery, the patient-view service with
and without prefetch, 412 when the data cannot be had, JWT authentication, feedback and
the one JSON error shape.

A hand-written FHIR server (a tiny FastAPI app reached through ``httpx.ASGITransport``)
holds one patient::

    Patient p1        male, born 1961-02-03
    Condition         polyneuropathy (HP:0001271), confirmed, since 2024-01-15
    Observation       serum immunofixation (LOINC 25700-6): positive, "IgG lambda"
    (no VEGF, no treatment)

Requests go through ``httpx.AsyncClient`` + ``ASGITransport`` (not Starlette's
TestClient, which warns about its httpx use and our suite turns warnings into errors).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from poemsdx.web.cdshooks import SERVICE_ID, CdsSettings, TrustedIssuer, create_cds_app

BASE = "http://cds.test"
SERVICE_URL = f"{BASE}/cds-services/{SERVICE_ID}"
FHIR_BASE = "http://fhir.test/fhir"
ISS = "https://ehr.example.org"
REPORT = "https://poemsdx.example.org/report"
SCT = "http://snomed.info/sct"

EC_KEY = ec.generate_private_key(ec.SECP384R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(public: Any, kid: str, alg: str) -> dict[str, Any]:
    algo = jwt.algorithms.ECAlgorithm if alg.startswith("ES") else jwt.algorithms.RSAAlgorithm
    data: dict[str, Any] = json.loads(algo.to_jwk(public))
    return {**data, "kid": kid, "alg": alg, "use": "sig"}


JWKS = {
    "keys": [_jwk(EC_KEY.public_key(), "ec1", "ES384"), _jwk(RSA_KEY.public_key(), "rsa1", "RS384")]
}


def token(
    *,
    key: Any = EC_KEY,
    alg: str = "ES384",
    kid: str = "ec1",
    aud: str = SERVICE_URL,
    iss: str = ISS,
    exp_in: int = 60,
    jti: str | None = None,
    headers: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": iss,
        "aud": aud,
        "exp": now + exp_in,
        "iat": now,
        "jti": jti or str(uuid.uuid4()),
    }
    for name in drop:
        claims.pop(name)
    return jwt.encode(
        claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT", **(headers or {})}
    )


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned_token() -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": SERVICE_URL, "exp": now + 60, "iat": now, "jti": str(uuid.uuid4())}
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


# -- the FHIR test server ------------------------------------------------------------------------

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1961-02-03"}
NEUROPATHY = {
    "resourceType": "Condition",
    "id": "c1",
    "clinicalStatus": {
        "coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
        ]
    },
    "verificationStatus": {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": "confirmed",
            }
        ]
    },
    "code": {
        "coding": [
            {
                "system": "http://human-phenotype-ontology.org",
                "code": "HP:0001271",
                "display": "Polyneuropathy",
            }
        ]
    },
    "subject": {"reference": "Patient/p1"},
    "onsetDateTime": "2024-01-15",
}
IFE = {
    "resourceType": "Observation",
    "id": "o1",
    "status": "final",
    "code": {
        "coding": [
            {
                "system": "http://loinc.org",
                "code": "25700-6",
                "display": "Immunofixation for Serum or Plasma",
            }
        ]
    },
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2024-03-01",
    "valueCodeableConcept": {
        "coding": [{"system": SCT, "code": "10828004", "display": "Positive"}],
        "text": "IgG lambda",
    },
}


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {"fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources
        ],
    }


class FhirServer:
    """A FHIR server with one patient; remembers every request it gets."""

    def __init__(self, fail: int | None = None) -> None:
        self.requests: list[httpx.URL] = []
        self.authorizations: list[str | None] = []
        self.app = FastAPI()

        @self.app.get("/fhir/Patient/{pid}")
        async def patient(pid: str, request: Request) -> Any:
            self._seen(request)
            if fail:
                return JSONResponse({"resourceType": "OperationOutcome"}, status_code=fail)
            return PATIENT if pid == "p1" else JSONResponse({}, status_code=404)

        @self.app.get("/fhir/{rtype}")
        async def search(rtype: str, request: Request) -> Any:
            self._seen(request)
            if fail:
                return JSONResponse({"resourceType": "OperationOutcome"}, status_code=fail)
            assert request.query_params.get("patient") == "p1"
            if rtype == "Condition":
                return searchset(NEUROPATHY)
            if rtype == "Observation" and "25700-6" in request.query_params.get("code", ""):
                return searchset(IFE)
            return searchset()  # no VEGF, no treatment

    def _seen(self, request: Request) -> None:
        self.requests.append(httpx.URL(str(request.url)))
        self.authorizations.append(request.headers.get("authorization"))


def full_prefetch() -> dict[str, Any]:
    return {
        "patient": PATIENT,
        "conditions": searchset(NEUROPATHY),
        "observations": searchset(IFE),
        "vegf": searchset(),
        "procedures": searchset(),
        "medications": None,  # the client has no data for this query
    }


def hook_body(prefetch: dict[str, Any] | None = None, *, server: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": "p1"},
    }
    if server:
        body["fhirServer"] = FHIR_BASE
        body["fhirAuthorization"] = {
            "access_token": "fhir-token-abc",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "poemsdx",
        }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def settings(transport: httpx.AsyncBaseTransport | None = None, **overrides: Any) -> CdsSettings:
    values: dict[str, Any] = {
        "report_url": REPORT,
        "issuers": {ISS: TrustedIssuer(jwks=JWKS, jku=("https://ehr.example.org/jwks.json",))},
        "http_transport": transport,
        **overrides,
    }
    return CdsSettings(**values)


def request(
    app: FastAPI, method: str, path: str, body: Any = None, auth: str | None = None
) -> httpx.Response:
    async def go() -> httpx.Response:
        headers = {"Authorization": f"Bearer {auth}"} if auth else {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE
        ) as client:
            return await client.request(method, path, json=body, headers=headers)

    return asyncio.run(go())


@pytest.fixture
def fhir() -> FhirServer:
    return FhirServer()


@pytest.fixture
def app(fhir: FhirServer) -> FastAPI:
    return create_cds_app(settings(httpx.ASGITransport(app=fhir.app)))


def call(app: FastAPI, body: dict[str, Any], auth: str | None = None) -> httpx.Response:
    return request(app, "POST", f"/cds-services/{SERVICE_ID}", body, auth or token())


def no_empty_values(value: Any, path: str = "") -> list[str]:
    """Paths of null / "" / [] / {} values (CDS Hooks omits optional fields instead)."""
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if v is None or v == "" or v == [] or v == {}:
                out.append(f"{path}.{k}")
            out += no_empty_values(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += no_empty_values(v, f"{path}[{i}]")
    return out


# -- discovery ---------------------------------------------------------------------------------


def test_discovery_lists_the_service_and_its_prefetch_templates(app: FastAPI) -> None:
    r = request(app, "GET", "/cds-services")
    assert r.status_code == 200
    (service,) = r.json()["services"]
    assert service["id"] == SERVICE_ID and service["hook"] == "patient-view"
    assert service["title"] and service["description"]
    prefetch = service["prefetch"]
    assert set(prefetch) == {
        "patient",
        "conditions",
        "observations",
        "vegf",
        "procedures",
        "medications",
    }
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    for code in (
        "33358-3",
        "25700-6",
        "36916-5",
        "33944-0",
        "48378-4",
        "2469-5",
        "777-3",
        "718-7",
        "2160-0",
    ):
        assert f"http://loinc.org|{code}" in prefetch["observations"]
    assert prefetch["vegf"] == "Observation?patient={{context.patientId}}&code:text=VEGF"
    assert no_empty_values(r.json()) == []


# -- the service -------------------------------------------------------------------------------


def _assert_vegf_card(cards: list[dict[str, Any]]) -> dict[str, Any]:
    (card,) = cards
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "Polyneuropathy with a λ M-protein: POEMS criteria undetermined"
        " — serum VEGF by ELISA would help settle it"
    )
    assert len(card["summary"]) < 140
    assert card["source"] == {"label": "poemsdx"}
    assert "✓ Polyradiculoneuropathy" in card["detail"] and "? VEGF elevation" in card["detail"]
    assert card["selectionBehavior"] == "any"
    first = card["suggestions"][0]
    assert first["label"].startswith("Order: Serum VEGF")
    (action,) = first["actions"]
    sr = action["resource"]
    assert action["type"] == "create"
    assert (
        sr["resourceType"] == "ServiceRequest"
        and sr["intent"] == "proposal"
        and sr["status"] == "draft"
    )
    assert sr["subject"] == {"reference": "Patient/p1"}
    assert sr["code"]["coding"][0]["code"] == "serum_vegf"
    assert card["links"] == [{"label": "Full poemsdx report", "url": REPORT, "type": "absolute"}]
    uuid.UUID(card["uuid"])
    assert no_empty_values(card) == []
    return card


def test_without_prefetch_the_service_fetches_from_the_fhir_server(
    app: FastAPI, fhir: FhirServer
) -> None:
    r = call(app, hook_body())
    assert r.status_code == 200, r.text
    _assert_vegf_card(r.json()["cards"])
    paths = sorted(u.path for u in fhir.requests)
    assert paths == [
        "/fhir/Condition",
        "/fhir/MedicationStatement",
        "/fhir/Observation",
        "/fhir/Observation",
        "/fhir/Patient/p1",
        "/fhir/Procedure",
    ]
    assert set(fhir.authorizations) == {"Bearer fhir-token-abc"}


def test_with_prefetch_the_service_answers_without_fetching(app: FastAPI, fhir: FhirServer) -> None:
    r = call(app, hook_body(full_prefetch()))
    assert r.status_code == 200, r.text
    _assert_vegf_card(r.json()["cards"])
    assert fhir.requests == []


def test_only_the_missing_prefetch_keys_are_fetched(app: FastAPI, fhir: FhirServer) -> None:
    prefetch = full_prefetch()
    del prefetch["vegf"]
    r = call(app, hook_body(prefetch))
    assert r.status_code == 200
    assert [(u.path, u.params.get("code:text")) for u in fhir.requests] == [
        ("/fhir/Observation", "VEGF")
    ]


def test_a_patient_with_nothing_relevant_gets_no_card(app: FastAPI) -> None:
    prefetch = full_prefetch() | {"conditions": searchset(), "observations": searchset()}
    r = call(app, hook_body(prefetch))
    assert r.status_code == 200 and r.json() == {"cards": []}


def test_missing_prefetch_without_a_fhir_server_is_412(app: FastAPI) -> None:
    prefetch = full_prefetch()
    del prefetch["observations"]
    r = call(app, hook_body(prefetch, server=False))
    assert r.status_code == 412
    assert r.json()["error"] == "precondition_failed" and "observations" in r.json()["message"]


@pytest.mark.parametrize("status", [500, 401, 404])
def test_fhir_server_errors_are_412(status: int) -> None:
    failing = FhirServer(fail=status)
    app = create_cds_app(settings(httpx.ASGITransport(app=failing.app)))
    r = call(app, hook_body())
    assert r.status_code == 412, r.text
    assert r.json()["error"] == "precondition_failed"


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")],
    ids=["timeout", "unreachable"],
)
def test_fhir_server_timeouts_and_network_errors_are_412(failure: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    app = create_cds_app(settings(httpx.MockTransport(handler)))
    r = call(app, hook_body())
    assert r.status_code == 412
    assert "FHIR server" in r.json()["message"]


def test_fhir_server_outside_the_allow_list_is_412(fhir: FhirServer) -> None:
    app = create_cds_app(
        settings(
            httpx.ASGITransport(app=fhir.app),
            allowed_fhir_servers=("https://ehr.example.org/fhir",),
        )
    )
    r = call(app, hook_body())
    assert r.status_code == 412 and "allow-list" in r.json()["message"]
    assert fhir.requests == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda b: b.update(hook="order-sign"), "patient-view"),
        (lambda b: b["context"].pop("patientId"), "patientId"),
        (lambda b: b.pop("hookInstance"), "hookInstance"),
        (lambda b: b.pop("fhirServer"), "fhirAuthorization needs fhirServer"),
        (lambda b: b.update(prefetch={"patient": "Patient/p1"}), "prefetch 'patient'"),
    ],
)
def test_malformed_requests_are_400(
    app: FastAPI, change: Callable[[dict[str, Any]], Any], words: str
) -> None:
    body = hook_body()
    change(body)
    r = call(app, body)
    assert r.status_code == 400
    assert r.json()["error"] == "bad_request" and words in r.json()["message"]


def test_invalid_fhir_in_prefetch_is_400_naming_the_path(app: FastAPI) -> None:
    prefetch = full_prefetch()
    prefetch["observations"] = searchset(
        {"resourceType": "Observation", "id": "x", "status": "final"}
    )
    r = call(app, hook_body(prefetch))
    assert r.status_code == 400
    assert "prefetch.observations.entry[0].resource.code" in r.json()["message"]


def test_unknown_service_and_endpoint_are_404_json(app: FastAPI) -> None:
    r = request(
        app, "POST", "/cds-services/nope", hook_body(), token(aud=f"{BASE}/cds-services/nope")
    )
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = request(app, "GET", "/nowhere")
    assert r.status_code == 404 and set(r.json()) == {"error", "message"}


# -- authentication ----------------------------------------------------------------------------


def test_valid_es384_and_rs384_tokens_pass(app: FastAPI) -> None:
    assert call(app, hook_body(full_prefetch()), token()).status_code == 200
    rs = token(key=RSA_KEY, alg="RS384", kid="rsa1")
    assert call(app, hook_body(full_prefetch()), rs).status_code == 200


def _hs256() -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": SERVICE_URL, "exp": now + 60, "iat": now, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, "a-shared-secret-that-is-long-enough-for-hs256", algorithm="HS256")


REJECTED: list[tuple[str, Callable[[], str], str]] = [
    ("wrong aud", lambda: token(aud=f"{BASE}/cds-services/other"), "audience"),
    ("expired", lambda: token(exp_in=-120), "expired"),
    ("unknown iss", lambda: token(iss="https://evil.example.org"), "issuer"),
    ("alg none", unsigned_token, "'none'"),
    ("HS256", _hs256, "'HS256'"),
    ("no jti", lambda: token(drop=("jti",)), "jti"),
    ("no exp", lambda: token(drop=("exp",)), "exp"),
    ("too long-lived", lambda: token(exp_in=3600), "longer"),
    ("wrong key", lambda: token(key=ec.generate_private_key(ec.SECP384R1())), "rejected"),
    ("unknown kid", lambda: token(kid="other"), "kid"),
    (
        "jku not allowed",
        lambda: token(headers={"jku": "https://evil.example.org/jwks"}),
        "allow-list",
    ),
    ("garbage", lambda: "not.a.jwt", "malformed"),
]


@pytest.mark.parametrize(("name", "make", "words"), REJECTED, ids=[r[0] for r in REJECTED])
def test_bad_tokens_are_401_with_a_json_error(
    app: FastAPI, name: str, make: Callable[[], str], words: str
) -> None:
    r = call(app, hook_body(full_prefetch()), make())
    assert r.status_code == 401, name
    assert r.json()["error"] == "unauthorized" and words in r.json()["message"]
    assert r.headers["www-authenticate"] == "Bearer"


def test_missing_authorization_is_401(app: FastAPI) -> None:
    r = request(app, "POST", f"/cds-services/{SERVICE_ID}", hook_body(full_prefetch()))
    assert r.status_code == 401 and "Authorization" in r.json()["message"]


def test_a_replayed_jti_is_401(app: FastAPI) -> None:
    jti = str(uuid.uuid4())
    assert call(app, hook_body(full_prefetch()), token(jti=jti)).status_code == 200
    r = call(app, hook_body(full_prefetch()), token(jti=jti))
    assert r.status_code == 401 and "replay" in r.json()["message"]


def test_keys_from_an_allow_listed_jku_are_fetched_and_cached(fhir: FhirServer) -> None:
    fetched: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        fetched.append(str(req.url))
        assert req.url == httpx.URL("https://ehr.example.org/jwks.json")
        return httpx.Response(200, json=JWKS)

    issuers = {ISS: TrustedIssuer(jku=("https://ehr.example.org/jwks.json",))}
    app = create_cds_app(settings(httpx.MockTransport(handler), issuers=issuers))
    jku = {"jku": "https://ehr.example.org/jwks.json"}
    for _ in range(2):
        r = call(app, hook_body(full_prefetch()), token(headers=jku))
        assert r.status_code == 200, r.text
    assert fetched == ["https://ehr.example.org/jwks.json"]


def test_aud_follows_the_configured_public_url(fhir: FhirServer) -> None:
    public = "https://cds.hospital.example/poemsdx"
    app = create_cds_app(settings(httpx.ASGITransport(app=fhir.app), service_base_url=public))
    assert (
        call(
            app, hook_body(full_prefetch()), token(aud=f"{public}/cds-services/{SERVICE_ID}")
        ).status_code
        == 200
    )
    assert call(app, hook_body(full_prefetch()), token()).status_code == 401


def test_discovery_can_require_authentication(fhir: FhirServer) -> None:
    app = create_cds_app(settings(auth_discovery=True))
    assert request(app, "GET", "/cds-services").status_code == 401
    ok = request(app, "GET", "/cds-services", auth=token(aud=f"{BASE}/cds-services"))
    assert ok.status_code == 200


def test_hmac_algorithms_cannot_be_configured() -> None:
    with pytest.raises(ValueError, match="forbidden"):
        create_cds_app(settings(algorithms=("ES384", "HS256")))


# -- feedback ----------------------------------------------------------------------------------


def test_feedback_is_recorded_with_ids_only(app: FastAPI) -> None:
    card = call(app, hook_body(full_prefetch())).json()["cards"][0]
    body = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-01-01T10:00:00Z",
            },
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {"code": "not-relevant", "system": "http://example.org"},
                    "userComment": "Mr X declined",
                },
                "outcomeTimestamp": "2026-01-01T10:01:00Z",
            },
        ]
    }
    url = f"/cds-services/{SERVICE_ID}/feedback"
    r = request(app, "POST", url, body, token(aud=f"{SERVICE_URL}/feedback"))
    assert r.status_code == 200
    rows = app.state.cds_service.feedback.rows()
    assert [
        (row.card, row.outcome, row.accepted_suggestions, row.override_reason) for row in rows
    ] == [
        (card["uuid"], "accepted", (card["suggestions"][0]["uuid"],), None),
        (card["uuid"], "overridden", (), "not-relevant"),
    ]
    assert "Mr X" not in repr(rows)  # the free-text comment is not stored


def test_bad_feedback_is_400_and_needs_its_own_audience(app: FastAPI) -> None:
    url = f"/cds-services/{SERVICE_ID}/feedback"
    bad = {"feedback": [{"card": "x", "outcome": "maybe", "outcomeTimestamp": "now"}]}
    r = request(app, "POST", url, bad, token(aud=f"{SERVICE_URL}/feedback"))
    assert r.status_code == 400 and r.json()["error"] == "bad_request"
    r = request(app, "POST", url, {"feedback": []}, token())  # aud of the service, not of feedback
    assert r.status_code == 401


def test_logs_never_carry_tokens_or_patient_data(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    tok = token()
    with caplog.at_level("DEBUG", logger="poemsdx"):
        call(app, hook_body(full_prefetch()), tok)
        call(app, hook_body(full_prefetch()), tok)  # replay → rejected and logged
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "hookInstance=" in text and "replay" in text
    for secret in (tok, "p1", "1961-02-03", "IgG lambda", "fhir-token-abc"):
        assert secret not in text
