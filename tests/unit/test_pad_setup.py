"""Rule 6: the destination pad must take the container while it is set up on it.

The container spends its transit days on the road, then its setup days on the
destination pad, then is ready. A pad closed on a setup day (not on the ready
day) was let through by the model, the repair and the validator alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.planner.instance import build_instance
from services.planner.model.build import build_model
from services.planner.options import candidates, expand, staff_days
from services.planner.repair_moves import booked_trips
from services.planner.solve import SolveParams, solve
from services.validator import validate
from tests.builders import container, parse, request, schedule, trip, world

D = dt.date.fromisoformat
# depot -> far: one transit day; setup 2 days. Leaving Monday 4th: setup Tue 5th and
# Wed 6th, ready Thu 7th. The pad at far is closed on the 5th and 6th only.
CLOSED = {"from": "2027-01-05", "to": "2027-01-06", "reason": "works"}


def _world(closures: list[dict[str, str]]) -> dict[str, Any]:
    sites = world()["sites"]
    for s in sites:
        if s["id"] == "far":
            s["pad_unavailable"] = closures
    return world(
        sites=sites,
        containers=[container(setup_days=2)],
        requests=[request("f", site="far", max_travel_minutes=20)],
    )


def _raw_plan(depart: str, ready: str) -> dict[str, Any]:
    return {
        "format": "hubplan-schedule/1",
        "scenario": "t",
        "sessions": [
            {
                "request": "f",
                "index": 0,
                "date": "2027-01-08",
                "slot": "am",
                "site": "far",
                "resource": "box-1",
            }
        ],
        "container_moves": [
            {
                "container": "box-1",
                "from": "depot",
                "to": "far",
                "depart": depart,
                "ready": ready,
                "km": trip(depart, ready).km,
            }
        ],
        "metrics": {
            "served_value": 10,
            "requested_value": 10,
            "container_km": 0.0,
            "solve_seconds": 0.0,
        },
    }


def test_validator_rejects_a_pad_closed_on_a_setup_day() -> None:
    sc = parse(_world([CLOSED]))
    found = {str(v) for v in validate(sc, schedule(_raw_plan("2027-01-04", "2027-01-07")))}
    assert (
        "rule 6: box-1 is set up at far 2027-01-05..2027-01-07, when its pad is unavailable"
        in found
    )
    # the pad open during setup: only the km may differ from the validator's
    open_sc = parse(_world([]))
    plan = schedule(_raw_plan("2027-01-04", "2027-01-07"))
    assert not [v for v in validate(open_sc, plan) if "pad" in str(v)]


def test_the_model_offers_no_move_set_up_on_a_closed_pad_and_the_plan_validates() -> None:
    sc = parse(_world([CLOSED]))
    inst = build_instance(sc)
    options = expand(inst, 0, candidates(inst, inst.requests[0], staff_days(inst)))
    _, v, _ = build_model(inst, options, [0], [], [])
    arrivals = {(inst.days[m.ready - 2], inst.days[m.ready]) for m in v.moves if m.target == "far"}
    assert arrivals and all(
        ready < D("2027-01-05") or first > D("2027-01-06") for first, ready in arrivals
    )
    result = solve(sc, SolveParams(time_limit=3, workers=2))
    sch = result.to_schedule("t")
    assert validate(sc, sch) == [] and result.unserved == []
    (move,) = sch.container_moves
    assert move.depart >= D("2027-01-06")  # first setup day after the closure


def test_the_repair_releases_a_booked_trip_set_up_on_a_closed_pad() -> None:
    inst = build_instance(parse(_world([CLOSED])))
    move = trip("2027-01-04", "2027-01-07")
    trips = booked_trips(inst, [move], dt.date(2027, 1, 1), 5)
    assert "box-1" in trips.released and trips.fixed == []
    assert "2027-01-05 and 2027-01-07" in trips.released["box-1"]
