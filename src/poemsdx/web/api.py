"""The REST API, ``/api/v1``: evaluate and extract without storing, and the case registry.

Bodies are JSON only (anything else is a 415: it also keeps cross-site HTML forms, which
cannot send JSON without a CORS preflight, from reaching the API). Registry calls are
synchronous, so endpoints that touch it are plain functions run in FastAPI's thread pool;
``/evaluate`` answers repeated requests from the service's cache without a thread hop.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ..errors import InputError, Location
from ..model import Case
from ..registry import StoredAssessment
from ..response import assess_response, timeline, treatment_marks
from .errors import ApiError
from .schemas import (
    AssessmentRequest,
    CaseList,
    CaseOut,
    CaseRequest,
    CaseSummaryOut,
    CaseVersionOut,
    ErrorOut,
    EvaluateRequest,
    EvaluationOut,
    ExtractRequest,
    ObservationsRequest,
    SavedOut,
    StoredAssessmentOut,
    TimelineOut,
    Verdict,
)
from .service import Saved, Service, case_dict

__all__ = ["API_PREFIX", "router"]

API_PREFIX = "/api/v1"
JSON = "application/json"
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": why}
    for status, why in (
        (400, "Malformed JSON or request"),
        (401, "Missing or wrong API token"),
        (413, "Body larger than the limit"),
        (415, "Body is not application/json"),
        (422, "Invalid input; `where` names the place"),
    )
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such case (or it was deleted)"}
}


def require_json(request: Request) -> None:
    """415 unless a body (when there is one) is declared JSON."""
    if request.headers.get("content-length", "0") == "0" and "transfer-encoding" not in (
        request.headers
    ):
        return
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != JSON and not (media.startswith("application/") and media.endswith("+json")):
        raise ApiError(
            415, "unsupported_media_type", f"send the body as {JSON} (got {media or 'none'})"
        )


router = APIRouter(prefix=API_PREFIX, responses=_ERRORS, dependencies=[Depends(require_json)])


def _service(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


def _actor(request: Request) -> str:
    return str(getattr(request.state, "actor", "local"))


def _check_options(svc: Service, criteria: Sequence[str] | None, params: Mapping[str, str]) -> None:
    """Unknown criteria ids and parameters are the caller's mistake (422), named by place."""
    for i, cid in enumerate(criteria or ()):
        if cid not in svc.kb.criteria:
            raise InputError(
                f"unknown criteria set '{cid}'; known: {', '.join(svc.kb.criteria)}",
                Location(path=f"body.criteria[{i}]"),
            )
    from ..engine import check_params

    try:
        check_params(svc.kb, params)
    except InputError as exc:
        raise InputError(exc.message, Location(path="body.params")) from None


def _read(svc: Service, body: EvaluateRequest | CaseRequest) -> tuple[Case, list[str]]:
    notes: list[str] = []
    if body.text is not None:
        case = svc.case_from_text(body.text, body.language)
    else:
        assert body.case is not None
        lenient = isinstance(body, EvaluateRequest) and body.lenient
        case, notes = svc.case_from_object(body.case, lenient=lenient)
    if isinstance(body, CaseRequest) and body.title and body.title.strip():
        case = case.model_copy(update={"title": body.title.strip()})
    return case, notes


def _verdicts(result: Mapping[str, Any]) -> list[Verdict]:
    return [
        Verdict(criteria_id=a["criteria_id"], status=a["status"], category=a.get("category"))
        for a in result.get("assessments", [])
    ]


def _saved(saved: Saved) -> SavedOut:
    ev = saved.evaluation
    verdicts = [
        Verdict(criteria_id=a.criteria_id, status=a.status, category=a.category)
        for a in (ev.assessments if ev else [])
    ]
    return SavedOut(
        id=saved.case_id,
        version=saved.version,
        assessment_id=saved.assessment_id,
        verdicts=verdicts,
    )


def _evaluation_json(svc: Service, body: EvaluateRequest) -> bytes:
    case, notes = _read(svc, body)
    _check_options(svc, body.criteria, body.params)
    data = svc.evaluate(case, body.criteria, body.params).to_dict()
    data["notes"] = notes
    return json.dumps(data, ensure_ascii=False).encode()


@router.post("/evaluate", response_model=None, responses={200: {"model": EvaluationOut}})
async def evaluate(body: EvaluateRequest, request: Request) -> Response:
    """Evaluate a case, FHIR Bundle, Phenopacket or text; nothing is stored."""
    svc = _service(request)
    key = svc.key(b"evaluate", await request.body())
    data = svc.responses.get(key)
    if data is None:
        data = svc.responses.put(key, await run_in_threadpool(_evaluation_json, svc, body))
    return Response(data, media_type=JSON)


@router.post("/extract", response_model=None, responses={200: {"model": dict[str, Any]}})
def extract(body: ExtractRequest, request: Request) -> Response:
    """Read a text into a case; every observation carries its evidence span."""
    case = _service(request).case_from_text(body.text, body.language, body.document_id)
    data = case_dict(case)
    return Response(json.dumps(data, ensure_ascii=False).encode(), media_type=JSON)


@router.post("/cases", status_code=201, response_model=SavedOut)
def create_case(body: CaseRequest, request: Request, response: Response) -> SavedOut:
    """Store a case (version 1) and, by default, its evaluation."""
    svc = _service(request)
    case, _ = _read(svc, body)
    saved = svc.save_new(case, _actor(request), body.evaluate)
    response.headers["Location"] = f"{API_PREFIX}/cases/{saved.case_id}"
    return _saved(saved)


@router.get("/cases", response_model=CaseList)
def list_cases(
    request: Request,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CaseList:
    """Cases, most recently changed first; ``q`` searches ids and titles."""
    reg = _service(request).registry
    items = [
        CaseSummaryOut(
            id=s.id,
            external_id=s.external_id,
            title=s.title,
            current_version=s.current_version,
            created_at=s.created_at.isoformat(),
            updated_at=s.updated_at.isoformat(),
        )
        for s in reg.list_cases(q, limit, offset)
    ]
    return CaseList(items=items, total=reg.count_cases(q), limit=limit, offset=offset)


@router.get("/cases/{case_id}", response_model=CaseOut, responses=_NOT_FOUND)
def get_case(
    case_id: str,
    request: Request,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> CaseOut:
    reg = _service(request).registry
    case = reg.get_case(case_id, version)
    versions = reg.list_versions(case_id)
    return CaseOut(
        id=case_id,
        version=version or versions[-1].version,
        versions=[
            CaseVersionOut(
                version=v.version,
                change=v.change,
                created_at=v.created_at.isoformat(),
                created_by=v.created_by,
            )
            for v in versions
        ],
        case=case_dict(case),
    )


@router.put("/cases/{case_id}", response_model=SavedOut, responses=_NOT_FOUND)
def replace_case(case_id: str, body: CaseRequest, request: Request) -> SavedOut:
    """Store a new version of the case (unchanged content makes no new version)."""
    svc = _service(request)
    svc.registry.get_case(case_id)  # 404 before the work of reading the input
    case, _ = _read(svc, body)
    return _saved(svc.replace(case_id, case, _actor(request), body.evaluate))


@router.delete("/cases/{case_id}", status_code=204, responses=_NOT_FOUND)
def delete_case(case_id: str, request: Request) -> Response:
    """Hide the case (its versions, assessments and audit trail are kept)."""
    _service(request).registry.delete_case(case_id, _actor(request))
    return Response(status_code=204)


@router.post(
    "/cases/{case_id}/observations", status_code=201, response_model=SavedOut, responses=_NOT_FOUND
)
def add_observations(case_id: str, body: ObservationsRequest, request: Request) -> SavedOut:
    """Add follow-up observations: a new case version, evaluated and stored."""
    svc = _service(request)
    return _saved(svc.add_observations(case_id, body.observations, _actor(request)))


def _stored(a: StoredAssessment) -> StoredAssessmentOut:
    return StoredAssessmentOut(
        id=a.id,
        case_version=a.case_version,
        created_at=a.created_at.isoformat(),
        actor=a.actor,
        knowledge_version=a.knowledge_version,
        engine_version=a.engine_version,
        verdicts=_verdicts(a.result),
    )


@router.get(
    "/cases/{case_id}/assessments",
    response_model=list[StoredAssessmentOut],
    responses=_NOT_FOUND,
)
def list_assessments(case_id: str, request: Request) -> list[StoredAssessmentOut]:
    """Stored assessments, oldest first, each with the knowledge and engine versions."""
    return [_stored(a) for a in _service(request).registry.list_assessments(case_id)]


@router.post(
    "/cases/{case_id}/assessments", status_code=201, response_model=SavedOut, responses=_NOT_FOUND
)
def create_assessment(
    case_id: str, request: Request, body: Annotated[AssessmentRequest | None, Body()] = None
) -> SavedOut:
    """Evaluate the current version and store the result."""
    svc = _service(request)
    options = body or AssessmentRequest()
    svc.registry.get_case(case_id)
    _check_options(svc, options.criteria, options.params)
    return _saved(svc.assess(case_id, _actor(request), options.criteria, options.params))


@router.get("/cases/{case_id}/timeline", response_model=TimelineOut, responses=_NOT_FOUND)
def get_timeline(case_id: str, request: Request) -> TimelineOut:
    """Followed labs as series (points, units, reference band) and the treatments."""
    svc = _service(request)
    case = svc.registry.get_case(case_id)
    return TimelineOut(
        series=[s.to_dict() for s in timeline(case, svc.kb)],
        treatments=[m.to_dict() for m in treatment_marks(case, svc.kb)],
    )


@router.get(
    "/cases/{case_id}/response",
    response_model=None,
    responses={200: {"model": dict[str, Any]}, **_NOT_FOUND},
)
def get_response(case_id: str, request: Request) -> Response:
    """Response to the first disease-directed treatment at each follow-up, per definition."""
    svc = _service(request)
    report = assess_response(svc.registry.get_case(case_id), svc.kb)
    return Response(json.dumps(report.to_dict(), ensure_ascii=False).encode(), media_type=JSON)
