"""Logistics views over HTTP on a live plan whose container the optimiser moved."""

from __future__ import annotations

import time

import httpx
import pytest
from icalendar import Calendar

from services.stack import Stack
from tests.builders import container
from tests.integration.helpers import headers, load, regional_world, req

pytestmark = pytest.mark.integration


def test_orders_feeds_and_pictures_of_a_moved_container(stack: Stack) -> None:
    region = "lx"
    box = container("lx-box", start_site="lx-depot")
    world = regional_world(region)
    load(stack, region, containers=[box])
    assert {s["id"] for s in world["sites"]} >= {"lx-far", "lx-depot"}
    body = req(region, "far", site="far", max_travel_minutes=20)
    op = headers(stack, "operator")
    assert httpx.post(f"{stack.gateway_url}/v1/requests", json=body, headers=op).status_code == 202
    deadline = time.monotonic() + 60
    while True:  # waitlisted first (containers stay put on the fast path), then promoted
        view = httpx.get(
            f"{stack.gateway_url}/v1/requests/{body['id']}",
            params={"wait": 2},
            headers=op,
            timeout=10,
        ).json()
        if view["status"] == "confirmed":
            break
        assert time.monotonic() < deadline, f"never promoted: {view}"
        time.sleep(0.5)
    logistics = headers(stack, "logistics")
    base = f"{stack.gateway_url}/v1/logistics/{region}"
    while True:  # the plan summary with the moves follows the decision (0.2 s batches)
        got = httpx.get(f"{base}/orders", headers=logistics)
        if got.status_code == 200 and got.json()["orders"]:
            break
        assert time.monotonic() < deadline, got.text
        time.sleep(0.3)
    orders = got.json()
    legs = [(o["from"], o["to"]) for o in orders["orders"]]
    assert ("lx-depot", "lx-far") in legs, orders
    backwards = {"from": "2027-06-01", "until": "2027-01-01"}
    refused = httpx.get(f"{base}/orders", params=backwards, headers=logistics)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "until"
    csv_text = httpx.get(f"{base}/orders", params={"format": "csv"}, headers=logistics).text
    assert "lx-box" in csv_text and "lx-far" in csv_text
    ics = httpx.get(f"{base}/containers/lx-box.ics", headers=logistics)
    assert ics.headers["content-type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(ics.content).walk("VEVENT")]
    assert events and any(
        "Far vgs" in str(e.get("summary")) + str(e.get("location")) for e in events
    )
    for picture in ("chart.svg", "map.svg"):
        svg = httpx.get(f"{base}/{picture}", headers=logistics)
        assert svg.status_code == 200 and "lx-box" in svg.text
    assert httpx.get(f"{base}/containers/nope.ics", headers=logistics).status_code == 404
    school = headers(stack, "school", "flow-near")
    assert httpx.get(f"{base}/orders", headers=school).status_code == 403
