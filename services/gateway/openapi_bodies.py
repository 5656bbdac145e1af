"""Request-body schemas and the bearer token in the gateway's OpenAPI document.

The write endpoints take ``dict[str, Any]`` and validate against the contract
models themselves, so that a 422 names the contract's JSON path and a school
never sees pydantic-via-FastAPI wording. FastAPI then documents those bodies as
"any object"; this puts the contract's own JSON Schema in their place, so the
docs at ``/docs`` show what to send.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter

from schemas.disruptions import Disruption
from schemas.events import ResourceChanged
from schemas.scenario import Request, Scenario

REF = "#/components/schemas/{model}"


def _booking_request() -> dict[str, Any]:
    schema = TypeAdapter(Request).json_schema(ref_template=REF)
    schema["required"] = [f for f in schema["required"] if f not in ("id", "submitted_at")]
    schema["description"] = (
        "A booking request (scenario format). `id` is optional (the gateway makes one); "
        "`submitted_at` is set by the gateway for schools."
    )
    return schema


def _resource_change() -> dict[str, Any]:
    schema = TypeAdapter(ResourceChanged).json_schema(ref_template=REF)
    schema["properties"].pop("region")  # from the path
    schema["required"] = [f for f in schema["required"] if f != "region"]
    return schema


# (path, method) -> (component name, schema maker)
BODIES: dict[tuple[str, str], tuple[str, Callable[[], dict[str, Any]]]] = {
    ("/v1/requests", "post"): ("BookingRequestBody", _booking_request),
    ("/v1/catalogue", "put"): (
        "Scenario",
        lambda: TypeAdapter(Scenario).json_schema(ref_template=REF),
    ),
    ("/v1/catalogue/{region}/changes", "post"): ("ResourceChangeBody", _resource_change),
    ("/v1/regions/{region}/disruptions", "post"): (
        "Disruption",
        lambda: TypeAdapter(Disruption).json_schema(ref_template=REF),
    ),
}


def with_contract_bodies(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """An ``app.openapi`` that documents each write endpoint's body by its contract."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = doc.setdefault("components", {}).setdefault("schemas", {})
        for (path, method), (name, make) in BODIES.items():
            schema = make()
            components.update(schema.pop("$defs", {}))
            components[name] = schema
            doc["paths"][path][method]["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": REF.format(model=name)}}},
            }
        # every route but the health check wants "Authorization: Bearer <token>"
        components_root = doc["components"]
        components_root["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from the gateway's configuration (HUBPLAN_TOKENS).",
            }
        }
        doc["security"] = [{"bearer": []}]
        if "/healthz" in doc["paths"]:
            doc["paths"]["/healthz"]["get"]["security"] = []
        app.openapi_schema = doc
        return doc

    return openapi
