"""FHIR R4 in and out: the seed case and every example survive a round trip through a
Bundle with the same verdicts; hand-built bundles exercise each mapping, each skip (with
its JSON path) and each error.

The hand-built bundles are tiny: one Patient and the one or two resources under test::

    Bundle(collection)
      ├─ Patient            male, born 1960-05-01
      └─ Observation …      the element under test, e.g. IgG4 with an impossible unit
"""

from __future__ import annotations

import base64
import json
import logging
import sys
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

import poemsdx
from poemsdx import InputError, Measurement
from poemsdx.io.detect import read_input
from poemsdx.io.fhir import case_from_resources, export_fhir, load_fhir, parse_fhir
from poemsdx.model import Finding, NerveConduction

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SEED = EXAMPLES / "seed-poems-igg4-aip.yaml"
sys.path.insert(0, str(ROOT / "docs" / "examples"))
import regenerate  # noqa: E402  (docs/examples/regenerate.py)

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SCT = "http://snomed.info/sct"
HPO = "http://human-phenotype-ontology.org"
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"


@cache
def kb() -> poemsdx.Knowledge:
    return poemsdx.load_knowledge()


@cache
def evaluated(path: Path) -> poemsdx.Evaluation:
    return poemsdx.evaluate(poemsdx.load_case(path, kb()), kb=kb())


def verdicts(ev: poemsdx.Evaluation) -> dict[str, tuple[str, str | None]]:
    return {a.criteria_id: (a.status, a.category) for a in ev.assessments}


def bundle(*resources: dict[str, Any], patient: dict[str, Any] | None = None) -> dict[str, Any]:
    pat = patient or {
        "resourceType": "Patient",
        "id": "p1",
        "gender": "male",
        "birthDate": "1960-05-01",
    }
    entries = [pat, *resources]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:00000000-0000-0000-0000-{i:012d}", "resource": r}
            for i, r in enumerate(entries)
        ],
    }


def obs(code: list[dict[str, str]], text: str | None = None, **fields: Any) -> dict[str, Any]:
    cc: dict[str, Any] = {"coding": code}
    if text:
        cc["text"] = text
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": cc,
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2024-03-01",
        **fields,
    }


def qty(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def condition(
    code: str,
    *,
    verification: str | None = "confirmed",
    clinical: str | None = "active",
    **fields: Any,
) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Condition",
        "code": {"coding": [{"system": HPO, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "onsetDateTime": "2024-01-10",
        **fields,
    }
    if verification:
        res["verificationStatus"] = {"coding": [{"system": VER, "code": verification}]}
    if clinical:
        res["clinicalStatus"] = {"coding": [{"system": CLIN, "code": clinical}]}
    return res


# -- export ----------------------------------------------------------------------------------


def test_seed_export_is_valid_r4b_and_has_every_part() -> None:
    out = export_fhir(evaluated(SEED), kb())
    Bundle.model_validate(out)  # parses back with the R4B models
    assert out["type"] == "collection"
    kinds = [e["resource"]["resourceType"] for e in out["entry"]]
    assert kinds[0] == "Patient"
    assert {"Observation", "Condition", "Procedure", "ClinicalImpression", "ServiceRequest"} <= set(
        kinds
    )
    res = [e["resource"] for e in out["entry"]]
    igg4 = next(
        r
        for r in res
        if any(c.get("code") == "2469-5" for c in r.get("code", {}).get("coding", []))
    )
    assert igg4["valueQuantity"] == {
        "value": 392.0,
        "unit": "mg/dL",
        "system": UCUM,
        "code": "mg/dL",
    }
    assert igg4["referenceRange"][0]["high"]["value"] == 105.0
    assert igg4["contained"][0]["type"]["coding"][0]["code"] == "SER"
    imwg = next(
        r
        for r in res
        if r["resourceType"] == "ClinicalImpression" and r["summary"].startswith("poems-imwg:")
    )
    assert imwg["summary"] == "poems-imwg: met"
    assert imwg["status"] == "completed"
    assert any(
        f["itemCodeableConcept"]["coding"][0]["code"] == "poems-imwg/vegf" for f in imwg["finding"]
    )
    urls = {e["fullUrl"] for e in out["entry"]}
    assert imwg["supportingInfo"] and all(s["reference"] in urls for s in imwg["supportingInfo"])
    japan = next(r for r in res if r.get("summary", "").startswith("poems-japan-mhlw:"))
    assert japan["summary"] == "poems-japan-mhlw: met (definite)"
    requests = [r for r in res if r["resourceType"] == "ServiceRequest"]
    assert requests and all(r["intent"] == "proposal" and r["status"] == "draft" for r in requests)
    # the absent finding is a refuted Condition without a clinical status
    hsm = next(
        r
        for r in res
        if r["resourceType"] == "Condition" and r["code"]["coding"][0]["code"] == "HP:0001433"
    )
    assert hsm["verificationStatus"]["coding"][0]["code"] == "refuted"
    assert "clinicalStatus" not in hsm


def _stable(text: str) -> list[dict[str, Any]]:
    """The example without the wording of criteria items (which changes with every edit of
    a criteria file): data resources in full; per assessment its code and summary line."""
    out = []
    for entry in json.loads(text)["entry"]:
        res = entry["resource"]
        if res["resourceType"] == "ClinicalImpression":
            res = {"code": res["code"]["coding"][0]["code"], "summary": res["summary"]}
        elif res["resourceType"] == "ServiceRequest":
            res = {"code": res["code"]["coding"][0]["code"]}
        out.append({"fullUrl": entry["fullUrl"], "resource": res})
    return out


def test_export_is_deterministic_and_the_documented_example_is_current() -> None:
    first = export_fhir(evaluated(SEED), kb())
    assert export_fhir(evaluated(SEED), kb()) == first
    example = ROOT / "docs" / "examples" / "seed-fhir-bundle.json"
    assert _stable(example.read_text(encoding="utf-8")) == _stable(regenerate.fhir_text()), (
        "docs/examples/seed-fhir-bundle.json is stale: run docs/examples/regenerate.py"
    )


# -- round trip ------------------------------------------------------------------------------

ALL_EXAMPLES = sorted(EXAMPLES.glob("*.yaml"))


@pytest.mark.parametrize("path", ALL_EXAMPLES, ids=lambda p: p.stem)
def test_round_trip_gives_the_same_verdict_for_every_criteria_set(path: Path) -> None:
    ev = evaluated(path)
    case, report = parse_fhir(export_fhir(ev, kb()), kb())
    assert verdicts(poemsdx.evaluate(case, kb=kb())) == verdicts(ev)
    # only poemsdx's own conclusions and proposals are left unread
    assert all("conclusions and proposals" in s.reason for s in report.skipped), report.skipped


def test_seed_round_trip_keeps_every_observation_event_anchor_and_the_patient() -> None:
    original = evaluated(SEED).case
    case, _ = parse_fhir(export_fhir(evaluated(SEED), kb()), kb())
    strip = lambda o: o.model_dump(exclude={"evidence", "note"})  # noqa: E731
    assert [strip(o) for o in case.observations] == [strip(o) for o in original.observations]
    assert case.patient == original.patient
    assert case.anchors == original.anchors
    assert [(e.id, e.concept, e.start, e.end) for e in case.events] == [
        (e.id, e.concept, e.start, e.end) for e in original.events
    ]
    assert case.id == original.id
    assert [d.id for d in case.documents] == ["seed-report"]
    assert sum(isinstance(o, NerveConduction) for o in case.observations) == 12


# -- import: mappings ------------------------------------------------------------------------


def test_observation_with_loinc_ucum_range_and_specimen_from_the_loinc_name() -> None:
    b = bundle(
        obs(
            [
                {
                    "system": LOINC,
                    "code": "2469-5",
                    "display": "IgG subclass 4 [Mass/volume] in Serum",
                }
            ],
            valueQuantity=qty(3.92, "g/L"),
            referenceRange=[{"low": qty(0.048, "g/L"), "high": qty(1.05, "g/L")}],
        )
    )
    case, report = parse_fhir(b, kb())
    (m,) = case.observations
    assert isinstance(m, Measurement)
    assert (m.concept, m.value, m.unit, m.specimen) == ("igg4", 3.92, "g/L", "serum")
    assert m.reference_range is not None and m.reference_range.high == 1.05
    assert m.time is not None and m.time.date == "2024-03-01"
    assert report.skipped == []
    # born 1960-05-01, latest result 2024-03-01
    assert case.patient.age == 63 and case.patient.sex == "male"


def test_age_from_a_given_reference_date() -> None:
    case, _ = parse_fhir(bundle(), kb(), reference_date=date(2030, 6, 1))
    assert case.patient.age == 70


@pytest.mark.parametrize(
    ("specimen", "display", "expected"),
    [
        (
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0487", "code": "SER"}
                ]
            },
            None,
            "serum",
        ),
        ({"text": "Plasma"}, None, "plasma"),
        (None, "Vascular endothelial growth factor:MCnc:Pt:Ser:Qn", "serum"),
        (None, "Vascular endothelial growth factor [Mass/volume] in Plasma", "plasma"),
    ],
)
def test_vegf_specimen_from_the_specimen_resource_or_the_loinc_system_axis(
    specimen: dict[str, Any] | None, display: str | None, expected: str
) -> None:
    extra: dict[str, Any] = {"valueQuantity": qty(777, "pg/mL")}
    resources: list[dict[str, Any]] = []
    if specimen is not None:
        extra["specimen"] = {"reference": "Specimen/s1"}
        resources.append({"resourceType": "Specimen", "id": "s1", "type": specimen})
    o = obs([{"system": "urn:oid:1.2.3", "code": "VEGF-1"}], text=display or "VEGF", **extra)
    case, report = parse_fhir(bundle(o, *resources), kb())
    (m,) = case.observations
    assert isinstance(m, Measurement) and (m.concept, m.specimen) == ("vegf", expected)
    assert report.skipped == []


@pytest.mark.parametrize(
    "display", ["VEGF", "Vascular endothelial growth factor [Mass/volume] in Serum or Plasma"]
)
def test_vegf_without_a_stated_specimen_is_skipped_never_guessed(display: str) -> None:
    case, report = parse_fhir(bundle(obs([], text=display, valueQuantity=qty(777, "pg/mL"))), kb())
    assert case.observations == ()
    (skip,) = report.skipped
    assert skip.path == "entry[1].resource" and "specimen" in skip.reason and "guess" in skip.reason


def test_unit_that_cannot_convert_is_a_reported_skip_with_its_path() -> None:
    o = obs([{"system": LOINC, "code": "2469-5"}], valueQuantity=qty(3, "mmol/L"))
    case, report = parse_fhir(bundle(o), kb())
    assert case.observations == ()
    (skip,) = report.skipped
    assert skip.path == "entry[1].resource.valueQuantity"
    assert "mmol/L" in skip.reason and "mg/dL" in skip.reason


def test_unknown_loinc_code_is_a_reported_skip_with_its_path() -> None:
    known = obs([{"system": LOINC, "code": "718-7"}], valueQuantity=qty(13.2, "g/dL"))
    unknown = obs(
        [{"system": LOINC, "code": "99999-9", "display": "Something else"}],
        valueQuantity=qty(1, "mg/dL"),
    )
    case, report = parse_fhir(bundle(known, unknown), kb())
    assert [o.concept for o in case.observations] == ["hemoglobin"]
    (skip,) = report.skipped
    assert skip.path == "entry[2].resource.code"
    assert "LOINC 99999-9" in skip.reason


def test_qualitative_results_typing_and_immunofixation_code() -> None:
    ife = obs(
        [{"system": LOINC, "code": "25700-6", "display": "Immunofixation for Serum or Plasma"}],
        valueString="IgG lambda monoclonal band detected",
    )
    neg = obs(
        [{"system": LOINC, "code": "33358-3"}],
        valueCodeableConcept={"coding": [{"system": SCT, "code": "260385009"}]},
    )
    case, _ = parse_fhir(bundle(ife, neg), kb())
    first, second = case.observations
    assert isinstance(first, Measurement) and isinstance(second, Measurement)
    assert (first.concept, first.result, first.method, first.heavy_chain, first.light_chain) == (
        "m_protein",
        "positive",
        "immunofixation",
        "IgG",
        "lambda",
    )
    assert (second.result, second.method) == ("negative", None)


def test_interpretation_flag_is_kept_next_to_the_value() -> None:
    o = obs(
        [{"system": LOINC, "code": "33358-3"}],
        valueQuantity=qty(0.2, "g/dL"),
        interpretation=[
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                        "code": "POS",
                    }
                ]
            }
        ],
    )
    (m,) = parse_fhir(bundle(o), kb())[0].observations
    assert isinstance(m, Measurement) and (m.value, m.result) == (0.2, "positive")


@pytest.mark.parametrize(
    ("verification", "clinical", "status"),
    [
        ("confirmed", "active", "present"),
        (None, "active", "present"),
        ("refuted", None, "absent"),
        ("provisional", "active", "uncertain"),
        ("differential", "active", "uncertain"),
        ("unconfirmed", "active", "uncertain"),
    ],
)
def test_condition_statuses(verification: str | None, clinical: str | None, status: str) -> None:
    case, _ = parse_fhir(
        bundle(condition("HP:0001271", verification=verification, clinical=clinical)), kb()
    )
    (f,) = case.observations
    assert isinstance(f, Finding) and (f.concept, f.status) == ("polyneuropathy", status)
    assert f.time is not None and f.time.date == "2024-01-10"


def test_resolved_condition_with_abatement_is_present_then_absent() -> None:
    c = condition("HP:0000953", clinical="resolved", abatementDateTime="2024-06-01")
    first, second = parse_fhir(bundle(c), kb())[0].observations
    assert isinstance(first, Finding) and isinstance(second, Finding)
    assert (first.status, second.status) == ("present", "absent")
    assert second.time is not None and second.time.date == "2024-06-01"


def test_condition_entered_in_error_and_disease_codes() -> None:
    wrong = condition("HP:0001271", verification="entered-in-error", clinical=None)
    poems = {
        "resourceType": "Condition",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "D47.7"}]},
        "subject": {"reference": "Patient/p1"},
    }
    case, report = parse_fhir(bundle(wrong, poems), kb())
    assert [(o.concept, getattr(o, "status", None)) for o in case.observations] == [
        ("poems_syndrome", "present")
    ]
    assert report.skipped[0].path == "entry[1].resource"


def test_treatments_by_code_or_display_and_unknown_procedures_skipped() -> None:
    med = {
        "resourceType": "MedicationStatement",
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "358258"}]
        },
        "subject": {"reference": "Patient/p1"},
        "effectivePeriod": {"start": "2024-04-01", "end": "2024-09-01"},
    }
    admin = {
        "resourceType": "MedicationAdministration",
        "status": "completed",
        "medicationCodeableConcept": {"text": "Lenalidomide"},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2024-05-01",
    }
    lp = {
        "resourceType": "Procedure",
        "status": "completed",
        "code": {"text": "Lumbar puncture"},
        "subject": {"reference": "Patient/p1"},
    }
    not_given = {**admin, "status": "not-done"}
    case, report = parse_fhir(bundle(med, admin, lp, not_given), kb())
    assert [(e.id, e.concept) for e in case.events] == [
        ("bortezomib", "bortezomib"),
        ("lenalidomide", "lenalidomide"),
    ]
    bort = case.events[0]
    assert bort.start is not None and bort.start.date == "2024-04-01"
    assert bort.end is not None and bort.end.date == "2024-09-01"
    assert [s.path for s in report.skipped] == ["entry[3].resource.code", "entry[4].resource"]


def test_diagnostic_report_narrative_is_read_or_reported() -> None:
    text = "Serum VEGF 1,200 pg/mL. Polyneuropathy."
    rep = {
        "resourceType": "DiagnosticReport",
        "status": "final",
        "code": {"text": "Clinical summary"},
        "conclusion": text,
        "presentedForm": [
            {"contentType": "text/plain", "data": base64.b64encode(text.encode()).decode()},
            {"contentType": "application/pdf", "data": "JVBERi0="},
        ],
    }
    _, report = parse_fhir(bundle(rep), kb())
    paths = [s.path for s in report.skipped] + [n.split(":")[0] for n in report.notes]
    assert "entry[1].resource.presentedForm[1]" in paths  # a PDF is never read as text
    assert "entry[1].resource.conclusion" in paths  # read (a note) or skipped, never silent


def test_resources_poemsdx_does_not_use_are_reported() -> None:
    enc = {"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}}
    _, report = parse_fhir(bundle(enc), kb())
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("entry[1].resource", "Encounter resources are not used by poemsdx")
    ]


def test_case_from_loose_resources_names_their_paths() -> None:
    o = obs([{"system": LOINC, "code": "00000-0"}], valueQuantity=qty(1, "mg/dL"))
    _, report = case_from_resources([("prefetch.observations.entry[4].resource", o)], kb())
    assert report.skipped[0].path == "prefetch.observations.entry[4].resource.code"


# -- import: errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ([1, 2], None, "JSON object"),
        ({"entry": []}, "resourceType", "not FHIR"),
        ({"resourceType": "Patient", "id": "x"}, "resourceType", "expected a FHIR Bundle"),
        ({"resourceType": "Bundle"}, "type", "'type' is required"),
        (
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": {"resourceType": "Observation", "status": "final"}}],
            },
            "entry[0].resource.code",
            "missing required element 'code'",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {
                        "resource": {
                            "resourceType": "Observation",
                            "status": "final",
                            "code": {"text": "x"},
                            "valueQuantity": {"value": "lots"},
                        }
                    }
                ],
            },
            "entry[0].resource.valueQuantity.value",
            "invalid FHIR R4 Bundle",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": obs([], text="IgG4", status="nonsense-status!")}],
            },
            "entry[0].resource.status",
            "invalid Observation.status 'nonsense-status!'",
        ),
        (
            bundle(condition("HP:0001271", verification="maybe")),
            "entry[1].resource.verificationStatus.coding[0].code",
            "invalid Condition.verificationStatus 'maybe'",
        ),
        (
            bundle({"resourceType": "Patient", "id": "p2"}),
            "entry[1].resource",
            "more than one Patient",
        ),
    ],
)
def test_bad_bundles_raise_input_error_naming_the_json_path(
    data: Any, path: str | None, words: str
) -> None:
    with pytest.raises(InputError) as info:
        parse_fhir(data, kb(), source="b.json")
    err = info.value
    assert words in err.message
    assert err.location is not None and err.location.path == path
    assert err.location.file == "b.json"


def test_load_fhir_logs_each_skip_and_detect_routes_bundles(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    f = tmp_path / "b.json"
    unknown = obs([{"system": LOINC, "code": "99999-9"}], valueQuantity=qty(1, "mg/dL"))
    f.write_text(json.dumps(bundle(unknown)), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="poemsdx.io.fhir"):
        case = load_fhir(f, kb())
    assert case.observations == ()
    assert any("entry[1].resource.code" in r.getMessage() for r in caplog.records)
    assert read_input(f, kb()).patient.sex == "male"


def test_load_fhir_bad_json_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "b.json"
    f.write_text('{"resourceType": "Bundle",\n "type": }', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_fhir(f, kb())
    assert info.value.location is not None and info.value.location.line == 2


def test_snomed_coded_condition_is_read_by_its_display_and_says_so() -> None:
    """No SNOMED CT finding code is verified in the catalogue: the display is used, and
    the report notes that the concept was read by name."""
    c = {
        "resourceType": "Condition",
        "code": {
            "coding": [{"system": SCT, "code": "123456789", "display": "Polyneuropathy (disorder)"}]
        },
        "subject": {"reference": "Patient/p1"},
    }
    case, report = parse_fhir(bundle(c), kb())
    (f,) = case.observations
    assert isinstance(f, Finding) and (f.concept, f.status) == ("polyneuropathy", "present")
    assert (
        "entry[1].resource.code: no known code;"
        " 'Polyneuropathy (disorder)' read by name as polyneuropathy"
    ) in report.notes


def test_unreferenced_specimen_is_reported() -> None:
    spec = {"resourceType": "Specimen", "id": "s9", "type": {"text": "Serum"}}
    _, report = parse_fhir(bundle(spec), kb())
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("entry[1].resource", "Specimen not referenced by any result")
    ]


# -- the CLI ---------------------------------------------------------------------------------


def _cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    from poemsdx.cli import main

    monkeypatch.setattr(sys, "argv", ["poemsdx", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_cli_export_writes_fhir_and_phenopackets_that_evaluate_back(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fhir_file, packet_file = tmp_path / "seed.fhir.json", tmp_path / "seed.phenopacket.json"
    assert (
        _cli(monkeypatch, capsys, "export", str(SEED), "--to", "fhir", "-o", str(fhir_file))[0] == 0
    )
    assert (
        _cli(
            monkeypatch, capsys, "export", str(SEED), "--to", "phenopacket", "-o", str(packet_file)
        )[0]
        == 0
    )
    Bundle.model_validate(json.loads(fhir_file.read_text(encoding="utf-8")))
    code, out, _ = _cli(monkeypatch, capsys, "export", str(SEED), "--to", "FHIR")
    assert code == 0 and json.loads(out)["resourceType"] == "Bundle"
    for exported in (fhir_file, packet_file):
        code, out, _ = _cli(monkeypatch, capsys, "evaluate", str(exported), "--format", "json")
        assert code == 0
        assert {a["criteria_id"]: a["status"] for a in json.loads(out)["assessments"]}[
            "poems-imwg"
        ] == "met"
    # poemsdx's own conclusions are reported as warnings (the CLI shows them on stderr,
    # through logging's last-resort handler; under pytest, caplog holds them)
    warned = {
        r.name for r in caplog.records if r.levelname == "WARNING" and "skipped" in r.getMessage()
    }
    assert warned == {"poemsdx.io.fhir", "poemsdx.io.phenopacket"}


def test_cli_export_bad_target_is_one_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli(monkeypatch, capsys, "export", str(SEED), "--to", "xml")
    assert code == 2
    assert err.strip().splitlines() == [
        "error: unknown export format 'xml'; allowed: fhir, phenopacket"
    ]
