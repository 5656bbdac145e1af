"""Machine-readable contracts generated from the models: JSON Schema, AsyncAPI.

``python -m schemas.export`` rewrites the files; a unit test fails when a
committed file differs from what the models say (so they never go stale).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from schemas.events import (
    DEADLETTER,
    DECISIONS,
    INTAKE,
    PLANS,
    Envelope,
)
from schemas.events import PAYLOADS as EVENT_PAYLOADS
from schemas.logistics import LOGISTICS
from schemas.logistics import PAYLOADS as MOVE_PAYLOADS
from schemas.scenario import Scenario
from schemas.schedule import Schedule

ROOT = Path(__file__).resolve().parent.parent
PAYLOADS = {**EVENT_PAYLOADS, **MOVE_PAYLOADS}
# the partition key of each topic: the region, except where a listener follows one container
KEYS = {LOGISTICS: "the container"}

# topic -> (producers, consumers, payload types)
TOPIC_MAP: dict[str, tuple[list[str], list[str], list[str]]] = {
    INTAKE: (
        ["gateway", "scheduler (optimiser, repair, waitlist retries)"],
        ["scheduler", "gateway read side", "logistics (catalogue events)"],
        [
            "hubplan.catalogue.loaded.v1",
            "hubplan.resource.changed.v1",
            "hubplan.booking.requested.v1",
            "hubplan.booking.cancelled.v1",
            "hubplan.plan.proposed.v1",
            "hubplan.disruption.reported.v1",
            "hubplan.offer.accepted.v1",
            "hubplan.repair.proposed.v1",
            "hubplan.waitlist.retry.v1",
        ],
    ),
    DECISIONS: (
        ["scheduler"],
        ["gateway read side", "logistics (sessions on containers)"],
        [
            "hubplan.booking.confirmed.v1",
            "hubplan.booking.waitlisted.v1",
            "hubplan.booking.rescheduled.v1",
            "hubplan.booking.displaced.v1",
            "hubplan.booking.rejected.v1",
            "hubplan.booking.cancellation-confirmed.v1",
            "hubplan.event.handled.v1",
        ],
    ),
    PLANS: (["scheduler"], ["gateway read side", "logistics"], ["hubplan.plan.changed.v1"]),
    LOGISTICS: (
        ["logistics"],
        ["hauliers, calendar bridges, schools (move listeners)"],
        [
            "hubplan.container-move.planned.v2",
            "hubplan.container-move.changed.v2",
            "hubplan.container-move.cancelled.v2",
        ],
    ),
    DEADLETTER: (["scheduler", "logistics"], ["operators"], ["hubplan.deadletter.recorded.v1"]),
}


def json_schemas() -> dict[str, dict[str, Any]]:
    return {
        "scenario.schema.json": Scenario.model_json_schema(by_alias=True),
        "schedule.schema.json": Schedule.model_json_schema(by_alias=True),
    }


def asyncapi() -> dict[str, Any]:
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Envelope": Envelope.model_json_schema()}
    for type_name, model in PAYLOADS.items():
        name = model.__name__
        schemas[name] = model.model_json_schema(by_alias=True)
        messages[name] = {
            "name": type_name,
            "title": name,
            "summary": (model.__doc__ or name).strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {"type": "object"},
            "payload": {
                "allOf": [
                    {"$ref": "#/components/schemas/Envelope"},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": type_name},
                            "data": {"$ref": f"#/components/schemas/{name}"},
                        },
                    },
                ]
            },
        }
    by_type = {t: m.__name__ for t, m in PAYLOADS.items()}
    channels = {
        topic: {
            "address": topic,
            "description": f"Key: {KEYS.get(topic, 'the region')} (partition key). "
            f"Producers: {', '.join(prod)}. "
            f"Consumers: {', '.join(cons)}.",
            "messages": {
                by_type[t]: {"$ref": f"#/components/messages/{by_type[t]}"} for t in types
            },
        }
        for topic, (prod, cons, types) in TOPIC_MAP.items()
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "hubplan events",
            "version": "1",
            "description": "Every message is a JSON envelope (id, type with version, source, "
            "time, key, data); key = region so a region lives on one partition "
            "(hubplan.logistics: key = container, so a container's moves stay in order).",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"messages": messages, "schemas": schemas},
    }


def rendered() -> dict[Path, str]:
    out = {
        ROOT / "schemas" / name: json.dumps(s, indent=2, sort_keys=True) + "\n"
        for name, s in json_schemas().items()
    }
    out[ROOT / "docs" / "asyncapi.json"] = json.dumps(asyncapi(), indent=2, sort_keys=True) + "\n"
    return out


def main() -> int:
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
