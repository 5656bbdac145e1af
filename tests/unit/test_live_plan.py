"""The streaming fast path keeps confirmed sessions and places new requests validly."""

from __future__ import annotations

from collections import defaultdict

from schemas.schedule import Session
from services.planner.insert import LivePlan
from services.planner.solve import SolveParams, solve
from services.validator import validate
from tests.builders import container, parse, request, world


def _check(data: dict, live: LivePlan, rids: list[str]) -> list[str]:
    sessions = [s for rid in rids for s in live.sessions(rid)]
    served = {s.request for s in sessions}
    unserved = [
        {"request": r["id"], "reason": "no-capacity", "detail": "-"}
        for r in data["requests"]
        if r["id"] not in served
    ]
    value = sum(
        r["priority"] * r["group_size"] * r["sessions"]
        for r in data["requests"]
        if r["id"] in served
    )
    sch = {
        "format": "hubplan-schedule/1",
        "scenario": "t",
        "sessions": [s.model_dump(mode="json", exclude_none=True) for s in sessions],
        "unserved": unserved,
        "metrics": {
            "served_value": value,
            "requested_value": sum(
                r["priority"] * r["group_size"] * r["sessions"] for r in data["requests"]
            ),
            "container_km": 0.0,
            "solve_seconds": 0.0,
        },
    }
    from tests.builders import schedule

    return [str(v) for v in validate(parse(data), schedule(sch))]


def test_insert_fills_around_confirmed_and_waitlists_when_full() -> None:
    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    data = world(requests=[request("a", **day)])
    live = LivePlan(parse(data), {})
    first = live.add(parse(data).requests[0])
    assert isinstance(first, list) and len(first) == 1
    data["requests"] += [request("b", **day), request("c", **day)]
    scenario = parse(data)
    second = live.add(scenario.requests[1])
    third = live.add(scenario.requests[2])
    assert isinstance(second, list)
    assert not isinstance(third, list) and third.reason == "no-capacity"
    assert _check(data, live, ["a", "b"]) == []
    # cancelling frees the slot, and the waitlisted request now fits
    assert len(live.cancel("a")) == 1
    assert isinstance(live.add(scenario.requests[2]), list)


def test_insert_respects_existing_plan_and_container_positions() -> None:
    data = world(
        containers=[container()],
        requests=[request("f", site="far", max_travel_minutes=20), request("a", sessions=2)],
    )
    scenario = parse(data)
    result = solve(scenario, SolveParams(time_limit=3, workers=2))
    confirmed: dict[str, list[Session]] = defaultdict(list)
    for s in result.sessions:
        confirmed[s.request].append(s)
    live = LivePlan(scenario, confirmed, result.moves)
    data["requests"].append(request("g", site="far", max_travel_minutes=20))
    more = parse(data)
    placed = live.add(more.requests[-1])
    assert isinstance(placed, list) and {s.site for s in placed} == {"far"}
    assert all(s.resource == "box-1" for s in placed)
    sch_moves = result.moves
    assert all(s.date >= sch_moves[0].ready for s in placed)
    assert sorted(live.sessions("f"), key=lambda s: s.index) == sorted(
        confirmed["f"], key=lambda s: s.index
    )


def test_could_gain_only_for_requests_that_can_use_what_was_freed() -> None:
    """A cheap filter before retrying the waitlist: never "no" for a request that now fits."""
    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    data = world(
        requests=[
            request("a", **day),
            request("b", **day),
            request("c", **day),  # same day: can use a's slot
            request("later", earliest="2027-01-06", latest="2027-01-08"),  # other dates
            request("other-type", equipment_type="plc-rig", **day),
        ]
    )
    scenario = parse(data)
    live = LivePlan(scenario, {})
    for req in scenario.requests[:2]:
        assert isinstance(live.add(req), list)
    freed = live.cancel("a")
    c, later, other = scenario.requests[2:]
    assert live.could_gain(c, freed)
    assert live.try_add(c) is not None  # and it does fit
    assert not live.could_gain(later, freed)
    assert not live.could_gain(other, freed)
    assert not live.could_gain(c, [])


def test_gaining_types_are_what_the_freed_units_offer() -> None:
    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    box = container("box-1", types=["dry-room", "plc-rig"])
    for equipment, containers, expected in (
        (None, [], {"dry-room"}),  # the base world's dry room
        ([], [box], {"dry-room", "plc-rig"}),  # a container lab offers both
    ):
        data = world(containers=containers, requests=[request("a", site="hub", **day)])
        if equipment is not None:
            data["equipment"] = equipment
        scenario = parse(data)
        live = LivePlan(scenario, {})
        assert isinstance(live.add(scenario.requests[0]), list)
        assert live.gaining_types(live.cancel("a")) == expected


def test_nothing_new_is_placed_on_a_day_already_gone() -> None:
    import datetime as dt

    data = world(
        requests=[
            request("spans-today", sessions=2, earliest="2027-01-04", latest="2027-01-15"),
            request("all-past", earliest="2027-01-04", latest="2027-01-06"),
        ]
    )
    scenario = parse(data)
    live = LivePlan(scenario, {}, not_before=dt.date(2027, 1, 7))  # "today" is Thursday
    placed = live.add(scenario.requests[0])
    assert isinstance(placed, list)
    assert all(s.date >= dt.date(2027, 1, 7) for s in placed)
    assert not isinstance(live.add(scenario.requests[1]), list)
    # without a "today" (offline what-ifs), the whole horizon is open
    assert isinstance(LivePlan(scenario, {}).add(scenario.requests[1]), list)
