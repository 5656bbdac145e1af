"""Tiny hand-built scenarios for tests: a base world and small edits to it.

The base world: region "r", a hub with one dry room, a school 20 km away, a
far school ~150 km away, a depot with a container lab; two-week horizon from
Monday 2027-01-04, slots am/pm/evening.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from schemas.scenario import Scenario
from schemas.schedule import ContainerMove, Schedule

BASE: dict[str, Any] = {
    "format": "hubplan-scenario/1",
    "name": "tiny",
    "horizon": {"start": "2027-01-04", "end": "2027-01-15"},
    "slots": [
        {"id": "am", "part": "day", "start": "08:30", "end": "11:30"},
        {"id": "pm", "part": "day", "start": "12:30", "end": "15:00"},
        {"id": "eve", "part": "evening", "start": "17:30", "end": "20:30"},
    ],
    "calendars": {"school": []},
    "closed": [],
    "sites": [
        {
            "id": "hub",
            "name": "Hub vgs",
            "kind": "hub",
            "lat": 58.40,
            "lon": 8.70,
            "region": "r",
            "calendar": "school",
            "container_pad": True,
        },
        {
            "id": "near",
            "name": "Near vgs",
            "kind": "school",
            "lat": 58.55,
            "lon": 8.85,
            "region": "r",
            "calendar": "school",
            "container_pad": True,
        },
        {
            "id": "far",
            "name": "Far vgs",
            "kind": "school",
            "lat": 59.60,
            "lon": 9.60,
            "region": "r",
            "calendar": "school",
            "container_pad": True,
        },
        {
            "id": "depot",
            "name": "Depot",
            "kind": "depot",
            "lat": 58.41,
            "lon": 8.71,
            "region": "r",
            "container_pad": True,
        },
    ],
    "travel": {"road_factor": 1.3, "car_kmh": 60, "truck_kmh": 65},
    "equipment": [
        {
            "id": "dry-1",
            "type": "dry-room",
            "site": "hub",
            "seats": 12,
            "parts": ["day", "evening"],
        },
    ],
    "containers": [],
    "requests": [],
}


def request(rid: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rid,
        "site": "near",
        "audience": "pupils",
        "programme": "vg2-intro",
        "equipment_type": "dry-room",
        "group_size": 10,
        "sessions": 1,
        "min_gap_days": 0,
        "earliest": "2027-01-04",
        "latest": "2027-01-15",
        "max_travel_minutes": 60,
        "priority": 1,
        "submitted_at": "2026-11-01T10:00:00+01:00",
    }
    data.update(fields)
    return data


def container(cid: str = "box-1", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": cid,
        "types": ["dry-room"],
        "seats": 12,
        "start_site": "depot",
        "setup_days": 1,
    }
    data.update(fields)
    return data


def trip(
    depart: str,
    ready: str,
    *,
    frm: str = "depot",
    to: str = "far",
    km: float = 184.3,
    container_id: str = "box-1",
) -> ContainerMove:
    """A container move; by default box-1 from the world's depot to its far school."""
    return ContainerMove.model_validate(
        {
            "container": container_id,
            "from": frm,
            "to": to,
            "depart": depart,
            "ready": ready,
            "km": km,
        },
        strict=False,
    )


def world(**changes: Any) -> dict[str, Any]:
    """A deep copy of BASE with top-level keys replaced."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return data


def parse(data: dict[str, Any]) -> Scenario:
    return Scenario.model_validate_json(json.dumps(data))


def schedule(data: dict[str, Any]) -> Schedule:
    return Schedule.model_validate_json(json.dumps(data))
