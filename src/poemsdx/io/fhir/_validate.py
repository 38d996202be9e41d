"""Structural validation of FHIR R4 JSON with the ``fhir.resources`` R4B models.

Validation is the dearest step of reading FHIR (about 0.2 ms per Observation: the models
check every element in Python). A CDS Hooks service is sent the same resources again
and again — each time a chart is opened the EHR prefetches the patient's results — so
resources that passed are remembered by a digest of their JSON and not checked twice.
Only successes are remembered: invalid input is re-checked and reported every time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from ...errors import InputError, Location
from ..interop import json_path

Json = dict[str, Any]


class ValidatedResources:
    """A bounded, thread-safe set of digests of resources that passed validation."""

    def __init__(self, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def digest(data: Json) -> bytes | None:
        """A digest of the resource's JSON, or None when it is not plain JSON data."""
        try:
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError):
            return None
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def __contains__(self, key: bytes) -> bool:
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return True
            return False

    def add(self, key: bytes) -> None:
        with self._lock:
            self._seen[key] = None
            while len(self._seen) > self.capacity:
                self._seen.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    def __len__(self) -> int:
        return len(self._seen)


#: resources already found valid in this process
VALIDATED = ValidatedResources()


def validate_structure(data: Any, source: str) -> Json:
    """Check that ``data`` is a FHIR R4 Bundle; raise ``InputError`` naming the JSON path."""
    if not isinstance(data, dict):
        raise InputError(
            f"not FHIR: expected a JSON object (a Bundle), got {type(data).__name__}",
            Location(source),
        )
    rtype = data.get("resourceType")
    if rtype is None:
        raise InputError("not FHIR: no 'resourceType'", Location(source, path="resourceType"))
    if rtype != "Bundle":
        raise InputError(
            f"expected a FHIR Bundle, got resourceType '{rtype}'; wrap the resources in a"
            " Bundle (type collection or searchset)",
            Location(source, path="resourceType"),
        )
    validate_resource(data, source, "", remember=False)
    return data


def validate_resource(data: Json, source: str, path: str, *, remember: bool = True) -> None:
    """Structural validation with the R4B models; errors become ``InputError``.

    With ``remember`` (the default) a resource whose JSON passed before is not checked
    again; a whole Bundle read once from a file is not worth remembering."""
    key = VALIDATED.digest(data) if remember else None
    if key is not None and key in VALIDATED:
        return
    _check(data, source, path)
    if key is not None:
        VALIDATED.add(key)


def warm_up(resource_types: Iterable[str]) -> None:
    """Import the R4B models of ``resource_types`` and build their validators, so that the
    first request does not pay for it (and a long-running server can freeze them for the
    GC)."""
    from fhir.resources.R4B import get_fhir_model_class

    for rtype in resource_types:
        # A minimal resource may lack required elements; the validator is built anyway.
        with contextlib.suppress(ValidationError, TypeError, ValueError):
            get_fhir_model_class(rtype).model_validate({"resourceType": rtype})


def _check(data: Json, source: str, path: str) -> None:
    from fhir.resources.R4B import get_fhir_model_class

    rtype = data.get("resourceType")
    try:
        model = get_fhir_model_class(str(rtype))
    except (KeyError, ValueError) as exc:
        raise InputError(
            f"unknown FHIR resource type '{rtype}'",
            Location(source, path=json_path(path, "resourceType")),
        ) from exc
    try:
        model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = json_path(path, *[p for p in err["loc"] if isinstance(p, str | int)])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = f"missing required element '{err['loc'][-1]}'"
        elif err["type"] == "extra_forbidden":
            msg = f"unknown element '{err['loc'][-1]}'"
        raise InputError(f"invalid FHIR R4 {rtype}: {msg}", Location(source, path=where)) from exc
    except (TypeError, ValueError, KeyError) as exc:
        raise InputError(
            f"invalid FHIR R4 {rtype}: {exc}", Location(source, path=path or None)
        ) from exc
