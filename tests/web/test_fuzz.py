"""Fuzz the REST API from its own OpenAPI document (schemathesis): whatever the generated
request — valid, invalid, odd types, odd headers — the answer is never a 5xx.

Bounded to a few seconds: few examples per operation, no deadline (the first evaluation
loads the lexicons), derandomised so a failure reproduces.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from poemsdx.registry import Registry
from poemsdx.web.app import create_app
from poemsdx.web.settings import WebSettings

# The schema is read at collection time, so the app is built here, on an in-memory
# registry (schemathesis.pytest.from_fixture does not work with pytest 9). The registry is
# passed in, so the app's shutdown (schemathesis runs the lifespan per call) leaves it open.
# schemathesis calls the app in process as "testserver": accept that Host as well.
APP = create_app(
    WebSettings(mount_cds=False, allowed_hosts=("127.0.0.1", "testserver")),
    registry=Registry.open("sqlite://"),
)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_answers_5xx(case: Any) -> None:
    case.call_and_validate(checks=[not_a_server_error])
