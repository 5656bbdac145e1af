"""The gateway's OpenAPI document shows each write endpoint's body by its contract."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from services.gateway.api import create_app
from services.gateway.config import GatewaySettings
from services.gateway.openapi_bodies import BODIES


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    settings = GatewaySettings(tokens='{"op-token-1234": {"name": "op", "role": "operator"}}')
    return create_app(settings).openapi()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_write_endpoint_documents_its_body(doc: dict[str, Any]) -> None:
    for (path, method), (name, _) in BODIES.items():
        body = doc["paths"][path][method]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{name}"}
        assert name in doc["components"]["schemas"]


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    components = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/") and ref.split("/")[-1] in components, ref


def _validator(doc: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_the_documented_request_body_accepts_the_readme_example_and_refuses_bad_ones(
    doc: dict[str, Any],
) -> None:
    example = {
        "site": "tvedestrand-vgs",
        "audience": "pupils",
        "programme": "vg2-kjemiprosess",
        "equipment_type": "dry-room",
        "group_size": 12,
        "sessions": 2,
        "earliest": "2027-01-11",
        "latest": "2027-03-19",
        "max_travel_minutes": 60,
        "priority": 2,
    }
    check = _validator(doc, "BookingRequestBody")
    assert list(check.iter_errors(example)) == []  # no id, no submitted_at: the gateway's
    too_many = list(check.iter_errors({**example, "sessions": 100_000}))
    assert [list(e.path) for e in too_many] == [["sessions"]]
    assert list(check.iter_errors({**example, "colour": "blue"}))


def test_the_documented_disruption_is_the_union_of_kinds(doc: dict[str, Any]) -> None:
    check = _validator(doc, "Disruption")
    delayed = {"kind": "container-delayed", "container": "box-1", "ready": "2027-02-01"}
    assert list(check.iter_errors(delayed)) == []
    assert list(check.iter_errors({**delayed, "ready": 5}))
    assert list(check.iter_errors({"kind": "meteor-strike"}))


def test_the_bearer_token_is_documented_and_the_health_check_needs_none(
    doc: dict[str, Any],
) -> None:
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert doc["security"] == [{"bearer": []}]
    assert doc["paths"]["/healthz"]["get"]["security"] == []
