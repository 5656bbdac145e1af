"""Scenario contract rules that span objects: lock sites, local timestamps, every problem at once."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.common import describe_errors
from services.planner.solve import SolveParams, solve
from tests.builders import container, parse, request, world


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as err:
        parse(data)
    return {e["field"]: e["message"] for e in describe_errors(err.value)}


def _lock(**fields: Any) -> dict[str, Any]:
    return {"request": "a", "index": 0, "date": "2027-01-05", "slot": "am", **fields}


def test_lock_site_must_exist() -> None:
    data = world(requests=[request("a")], locked=[_lock(resource="dry-1", site="nowhere")])
    assert problems(data) == {"locked[0].site": "unknown site 'nowhere'"}


def test_lock_site_of_a_fixed_unit_is_the_units_site() -> None:
    data = world(requests=[request("a")], locked=[_lock(resource="dry-1", site="near")])
    assert problems(data) == {"locked[0].site": "'near', but unit dry-1 stands at 'hub'"}
    parse(world(requests=[request("a")], locked=[_lock(resource="dry-1", site="hub")]))


def test_lock_site_of_a_container_is_its_start_site_or_a_pad() -> None:
    sites = world()["sites"]
    for s in sites:
        if s["id"] in ("hub", "depot"):
            s["container_pad"] = False
    base = {"sites": sites, "containers": [container()], "requests": [request("a")]}
    found = problems(world(**base, locked=[_lock(resource="box-1", site="hub")]))
    assert found == {
        "locked[0].site": "'hub' has no container pad (container box-1 stands at its "
        "start site 'depot' or at a pad)"
    }
    parse(world(**base, locked=[_lock(resource="box-1", site="depot")]))  # start, no pad
    parse(world(**base, locked=[_lock(resource="box-1", site="near")]))  # a pad


def test_an_unknown_site_is_reported_beside_a_broken_request() -> None:
    """A request failing on its own used to hide the scenario's unknown ids."""
    data = world(
        requests=[request("a", site="atlantis", earliest="2027-01-12", latest="2027-01-05")],
        locked=[_lock(resource="dry-9")],
    )
    assert problems(data) == {
        "requests[0]": "latest (2027-01-05) is before earliest (2027-01-12)",
        "requests[0].site": "unknown site 'atlantis'",
        "locked[0].resource": "unknown resource 'dry-9'",
    }


def test_a_timestamp_without_offset_is_oslo_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """FCFS order must not depend on the machine's zone (the spec's times are Oslo time)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
        data = world(
            requests=[
                request("naive", submitted_at="2026-11-01T10:30:00", **day),  # 09:30 UTC
                request("aware", submitted_at="2026-11-01T10:00:00+01:00", **day),  # 09:00 UTC
                request("late", submitted_at="2026-11-01T09:45:00+00:00", **day),
            ]
        )
        scenario = parse(data)
        assert str(scenario.requests[0].submitted_at) == "2026-11-01 10:30:00+01:00"
        fcfs = solve(scenario, SolveParams(time_limit=1, workers=1, baseline_only=True))
        assert sorted(s.request for s in fcfs.sessions) == ["aware", "naive"]
    finally:
        monkeypatch.undo()
        time.tzset()
