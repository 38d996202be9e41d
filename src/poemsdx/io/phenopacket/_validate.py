"""Semantic rules for a Phenopacket v2 the schema cannot express (proto3 has no required
fields, so ``{"id": "x"}`` parses): ids present, CURIEs well formed and declared in
``metaData.resources``, labels present, units on every quantity, one value per
measurement, one action per medical action."""

from __future__ import annotations

from typing import Any

from ...errors import InputError, Location
from ..interop import json_path
from ._common import check_curie, curie_prefix

Json = dict[str, Any]

# Fields whose value is an OntologyClass (or a list of them), wherever they appear.
_ONTOLOGY_FIELDS = frozenset(
    {
        "type",
        "assay",
        "unit",
        "ontologyClass",
        "term",
        "code",
        "bodySite",
        "agent",
        "evidenceCode",
        "severity",
        "modifiers",
        "taxonomy",
        "gender",
        "treatmentTarget",
        "treatmentIntent",
        "responseToTreatment",
        "adverseEvents",
        "treatmentTerminationReason",
        "routeOfAdministration",
        "scheduleFrequency",
        "modality",
        "diseaseStage",
        "clinicalTnmFinding",
        "primarySite",
        "laterality",
        "sampledTissue",
        "sampleType",
        "histologicalDiagnosis",
        "tumorProgression",
        "tumorGrade",
        "pathologicalStage",
        "pathologicalTnmFinding",
        "diagnosticMarkers",
        "materialSample",
        "sampleProcessing",
        "sampleStorage",
    }
)
# Keys under which "type" or "code" is not an OntologyClass.
_NOT_ONTOLOGY_PARENTS = frozenset({"files", "externalReferences", "resources"})


def validate_phenopacket(data: Any, source: str = "<phenopacket>") -> list[InputError]:
    """Every rule broken, each an ``InputError`` naming the JSON path; [] when valid."""
    problems: list[InputError] = []

    def bad(path: str, message: str) -> None:
        problems.append(InputError(message, Location(source, path=path or None)))

    if not isinstance(data, dict):
        bad("", f"a Phenopacket is a JSON object, not {type(data).__name__}")
        return problems
    if not data.get("id"):
        bad("id", "the phenopacket needs an id")
    subject = data.get("subject")
    if not isinstance(subject, dict) or not subject.get("id"):
        bad("subject.id", "the subject needs an id")
    meta = data.get("metaData")
    declared: set[str] = set()
    if not isinstance(meta, dict):
        bad("metaData", "metaData is required (created, createdBy, resources, schema version)")
    else:
        for key in ("created", "createdBy", "phenopacketSchemaVersion"):
            if not meta.get(key):
                bad(f"metaData.{key}", f"metaData.{key} is required")
        for i, res in enumerate(meta.get("resources") or []):
            for key in ("id", "name", "namespacePrefix", "url", "version", "iriPrefix"):
                if not res.get(key):
                    bad(json_path("metaData", "resources", i, key), f"resource needs {key}")
            if res.get("namespacePrefix"):
                declared.add(str(res["namespacePrefix"]))
    used: dict[str, str] = {}
    _walk(data, "", bad, used)
    if isinstance(meta, dict):
        for prefix, path in used.items():
            if prefix not in declared:
                bad(path, f"prefix '{prefix}' is not declared in metaData.resources")
    for i, f in enumerate(data.get("phenotypicFeatures") or []):
        if not f.get("type"):
            bad(json_path("phenotypicFeatures", i, "type"), "a phenotypic feature needs a type")
    for i, m in enumerate(data.get("measurements") or []):
        path = json_path("measurements", i)
        if not m.get("assay"):
            bad(json_path(path, "assay"), "a measurement needs an assay")
        if ("value" in m) == ("complexValue" in m):
            bad(path, "a measurement needs exactly one of value and complexValue")
    for i, d in enumerate(data.get("diseases") or []):
        if not d.get("term"):
            bad(json_path("diseases", i, "term"), "a disease needs a term")
    actions = ("procedure", "treatment", "radiationTherapy", "therapeuticRegimen")
    for i, a in enumerate(data.get("medicalActions") or []):
        if sum(k in a for k in actions) != 1:
            bad(
                json_path("medicalActions", i),
                "a medical action needs exactly one of " + ", ".join(actions),
            )
    return problems


def _walk(value: Any, path: str, bad: Any, used: dict[str, str]) -> None:
    if isinstance(value, dict):
        if "unit" not in value and path.endswith(("quantity", "Quantity", "cumulativeDose")):
            bad(path, "a quantity needs a unit")
        if path.endswith("referenceRange") and "unit" not in value:
            bad(path, "a reference range needs a unit")
        for key, child in value.items():
            cpath = json_path(path, key) if path else key
            top = path.split(".")[0].split("[")[0] if path else key
            if key in _ONTOLOGY_FIELDS and top not in _NOT_ONTOLOGY_PARENTS:
                items = child if isinstance(child, list) else [child]
                for j, oc in enumerate(items):
                    opath = json_path(cpath, j) if isinstance(child, list) else cpath
                    _ontology_class(oc, opath, bad, used)
            else:
                _walk(child, cpath, bad, used)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, json_path(path, i), bad, used)


def _ontology_class(oc: Any, path: str, bad: Any, used: dict[str, str]) -> None:
    if not isinstance(oc, dict):
        bad(path, "expected an ontology class {id, label}")
        return
    problem = check_curie(oc.get("id"))
    if problem:
        bad(json_path(path, "id"), problem)
        return
    if not oc.get("label"):
        bad(json_path(path, "label"), f"ontology class {oc['id']} needs a label")
    used.setdefault(curie_prefix(str(oc["id"])), json_path(path, "id"))
