"""Helpers shared by the integration tests that talk to a running stack."""

from __future__ import annotations

import time
from typing import Any

import httpx

from services.stack import Stack
from tests.builders import container, request, world

SCHOOL_REGIONS = ("flow", "dup", "dlq", "auth", "kill", "rp", "lx", "of", "host")


def regional_world(region: str) -> dict[str, Any]:
    """The builders' tiny world with region-unique ids (tests share the broker)."""
    data = world()
    ren = {s["id"]: f"{region}-{s['id']}" for s in data["sites"]}
    for s in data["sites"]:
        s["id"], s["region"] = ren[s["id"]], region
    for e in data["equipment"]:
        e["id"], e["site"] = f"{region}-{e['id']}", ren[e["site"]]
    return data


def req(region: str, rid: str, site: str = "near", **fields: Any) -> dict[str, Any]:
    return request(f"{region}-{rid}", site=f"{region}-{site}", **fields)


def lab_world(region: str) -> dict[str, Any]:
    """The tiny world with a container lab (``<region>-box``) at its depot."""
    data = regional_world(region)
    data["containers"] = [container(f"{region}-box", start_site=f"{region}-depot")]
    return data


def lab_requests(region: str) -> list[dict[str, Any]]:
    """Two requests for ``lab_world`` no fixed unit is close enough for, at two
    schools in two weeks: the optimiser moves the container depot -> far in
    week one, far -> near in week two (the shipped scenario's load gave one move)."""
    week = {"far": ("2027-01-04", "2027-01-08", 20), "near": ("2027-01-11", "2027-01-15", 10)}
    return [
        req(region, site, site=site, earliest=first, latest=last, max_travel_minutes=minutes)
        for site, (first, last, minutes) in week.items()
    ]


def headers(stack: Stack, role: str, site: str | None = None, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(role, site)}", **extra}


def load(stack: Stack, region: str, **changes: Any) -> None:
    data = regional_world(region)
    data.update(changes)
    r = httpx.put(
        f"{stack.gateway_url}/v1/catalogue", json=data, headers=headers(stack, "operator")
    )
    assert r.status_code == 202, r.text
    for event in r.json()["events"]:
        assert receipt(stack, event["status_url"])["status"] == "applied"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        got = httpx.get(
            f"{stack.gateway_url}/v1/regions", headers=headers(stack, "operator")
        ).json()
        if any(x["region"] == region and x["plan"] for x in got["regions"]):
            return
        time.sleep(0.1)
    raise AssertionError(f"catalogue of {region} never showed up")


def receipt(stack: Stack, status_url: str, seconds: float = 60) -> dict[str, Any]:
    """An operator event's status once the scheduler has answered it (or 'pending')."""
    got: dict[str, Any] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r = httpx.get(
            f"{stack.gateway_url}{status_url}",
            params={"wait": 10},
            headers=headers(stack, "operator"),
            timeout=20,
        )
        assert r.status_code == 200, r.text
        got = r.json()
        if got["status"] != "pending":
            break
    return got


def submit(stack: Stack, body: dict[str, Any], **extra: str) -> httpx.Response:
    return httpx.post(
        f"{stack.gateway_url}/v1/requests",
        json=body,
        headers=headers(stack, "school", body["site"], **extra),
    )


def decision(stack: Stack, rid: str, site: str, wait: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + wait
    while True:
        r = httpx.get(
            f"{stack.gateway_url}/v1/requests/{rid}",
            params={"wait": 5},
            headers=headers(stack, "school", site),
            timeout=15,
        )
        body = r.json()
        if r.status_code == 200 and body["status"] != "pending" or time.monotonic() > deadline:
            return dict(body)
