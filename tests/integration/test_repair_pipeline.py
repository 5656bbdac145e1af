"""A disruption reported over HTTP is repaired through Kafka with minimal change."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from schemas.disruptions import DisruptionList
from schemas.scenario import Scenario
from schemas.schedule import Schedule
from services.planner.disruptions import apply_disruptions
from services.stack import Stack
from services.validator import validate
from tests.integration.helpers import decision, headers, load, regional_world, req

pytestmark = pytest.mark.integration


def test_broken_unit_reschedules_only_its_booking(stack: Stack) -> None:
    region = "rp"
    load(stack, region)
    bodies = [req(region, f"b{i}", earliest="2027-01-05", latest="2027-01-12") for i in range(3)]
    op = headers(stack, "operator")
    for b in bodies:
        assert httpx.post(f"{stack.gateway_url}/v1/requests", json=b, headers=op).status_code == 202
    before = {b["id"]: decision(stack, b["id"], b["site"]) for b in bodies}
    hit = before[bodies[0]["id"]]["sessions"][0]
    disruption = {
        "kind": "equipment-unavailable",
        "equipment": hit["resource"],
        "from": hit["date"],
        "to": hit["date"],
        "reason": "dew point alarm",
    }
    r = httpx.post(
        f"{stack.gateway_url}/v1/regions/{region}/disruptions", json=disruption, headers=op
    )
    assert r.status_code == 202, r.text
    bad = httpx.post(
        f"{stack.gateway_url}/v1/regions/{region}/disruptions",
        json={"kind": "equipment-unavailable", "equipment": hit["resource"]},
        headers=op,
    )
    assert bad.status_code == 422  # the body's own fields are named, not the union's tag
    assert sorted(e["field"] for e in bad.json()["errors"]) == ["from", "to"]
    backwards = {"kind": "equipment-unavailable", "equipment": hit["resource"]}
    backwards |= {"from": "2027-02-03", "to": "2027-02-01"}
    bad = httpx.post(
        f"{stack.gateway_url}/v1/regions/{region}/disruptions", json=backwards, headers=op
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "to"
    on_broken_day = {
        rid
        for rid, v in before.items()
        if any((s["resource"], s["date"]) == (hit["resource"], hit["date"]) for s in v["sessions"])
    }
    deadline = time.monotonic() + 60
    for rid in sorted(on_broken_day):
        while True:
            view = httpx.get(f"{stack.gateway_url}/v1/requests/{rid}", headers=op).json()
            if view.get("changes"):
                break
            assert time.monotonic() < deadline, f"never repaired: {view}"
            time.sleep(0.3)
        assert view["status"] == "confirmed" and view["changes"][0]["kind"] == "rescheduled"
        assert "equipment-unavailable" in view["changes"][0]["reason"]
        assert all(s["date"] != hit["date"] for s in view["sessions"])
    for rid in set(before) - on_broken_day:  # bookings the breakdown did not touch stay put
        again = httpx.get(f"{stack.gateway_url}/v1/requests/{rid}", headers=op).json()
        assert again["sessions"] == before[rid]["sessions"] and "changes" not in again
    data = regional_world(region)
    data["requests"] = bodies
    events = DisruptionList.model_validate({"disruptions": [disruption]}, strict=False).disruptions
    after = apply_disruptions(Scenario.model_validate_json(json.dumps(data)), events).scenario
    plan = httpx.get(f"{stack.gateway_url}/v1/plan", params={"region": region}, headers=op).json()
    problems = validate(after, Schedule.model_validate_json(json.dumps(plan)))
    assert [p for p in problems if p.rule != "metrics"] == []
