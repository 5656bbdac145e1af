"""Rule 8: locks kept only when valid alone and together, displaced with the true cause.

Every plan here must validate: locks that clash used to be seeded unchecked,
and the lock bonus made that invalid seed the answer.
"""

from __future__ import annotations

from typing import Any

from schemas.scenario import LockedSession
from services.planner.instance import build_instance
from services.planner.locks import check_locks
from services.planner.seeding import constructive_plan
from services.planner.solve import PlanResult, SolveParams, solve
from services.validator import validate
from tests.builders import container, parse, request, world

FAST = SolveParams(time_limit=2, workers=2)
OLA = {"id": "ola", "home_site": "hub", "types": ["dry-room"], "parts": ["day"]}


def lock(rid: str, date: str, slot: str = "am", resource: str = "dry-1", **more: Any) -> Any:
    return {"request": rid, "index": 0, "date": date, "slot": slot, "resource": resource, **more}


def planned(data: dict[str, Any]) -> tuple[PlanResult, dict[str, str]]:
    """The valid plan and its displaced locks as {request#index: reason}."""
    scenario = parse(data)
    result = solve(scenario, FAST)
    assert [str(v) for v in validate(scenario, result.to_schedule("t"))] == []
    return result, {f"{d.request}#{d.index}": d.reason for d in result.displaced}


def kept(result: PlanResult, rid: str, date: str) -> bool:
    return any(s.request == rid and str(s.date) == date for s in result.sessions)


def test_two_locks_over_an_instructors_weekly_cap() -> None:
    data = world(
        staff=[{**OLA, "max_sessions_per_week": 1}],
        requests=[request("a"), request("b")],
        locked=[lock("a", "2027-01-05", staff="ola"), lock("b", "2027-01-06", staff="ola")],
    )
    result, displaced = planned(data)
    assert kept(result, "a", "2027-01-05")
    assert displaced == {
        "b#0": "instructor ola may teach 1 session(s) in week 2027-W01 and the locked "
        "sessions a#0 already take them (rule 7)"
    }


def test_two_locks_of_one_request_on_one_date() -> None:
    data = world(
        requests=[request("a", sessions=2)],
        locked=[lock("a", "2027-01-05"), {**lock("a", "2027-01-05", "pm"), "index": 1}],
    )
    result, displaced = planned(data)
    assert displaced == {
        "a#1": "clashes with locked session a#0: two sessions of one request on 2027-01-05 (rule 4)"
    }
    assert kept(result, "a", "2027-01-05") and len(result.sessions) == 2  # still served


def test_two_locks_of_one_request_closer_than_its_gap() -> None:
    data = world(
        requests=[request("a", sessions=2, min_gap_days=5)],
        locked=[lock("a", "2027-01-05"), {**lock("a", "2027-01-06", "pm"), "index": 1}],
    )
    _, displaced = planned(data)
    assert "must be at least 5 day(s) apart (rule 4)" in displaced["a#1"]


def test_an_instructor_locked_at_two_sites_too_far_apart() -> None:
    data = world(
        equipment=[
            {"id": "dry-1", "type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]},
            {"id": "dry-f", "type": "dry-room", "site": "far", "seats": 12, "parts": ["day"]},
        ],
        staff=[{**OLA, "max_sessions_per_week": 5}],
        requests=[request("a"), request("f", site="far")],
        locked=[
            lock("a", "2027-01-05", staff="ola"),
            lock("f", "2027-01-05", "pm", resource="dry-f", staff="ola"),
        ],
    )
    _, displaced = planned(data)
    assert displaced == {
        "f#0": "clashes with locked session a#0: instructor ola cannot drive from Hub vgs to "
        "Far vgs (186 min) between am and pm on 2027-01-05 (60 min) (rule 7)"
    }


def test_a_container_locked_at_two_sites_without_time_to_move() -> None:
    data = world(
        containers=[container()],
        requests=[request("a"), request("f", site="far", max_travel_minutes=20)],
        locked=[
            lock("a", "2027-01-05", resource="box-1", site="depot"),
            lock("f", "2027-01-06", resource="box-1", site="far"),
        ],
    )
    result, displaced = planned(data)
    assert displaced["f#0"].startswith(
        "clashes with locked session a#0: box-1 cannot be at depot on 2027-01-05 and at far "
        "on 2027-01-06"
    )
    assert result.bound is not None and result.bound >= result.served_value  # was negative


def test_container_locks_beyond_max_moves() -> None:
    """Depot -> far -> depot needs two moves; max_moves 1 keeps the first two locks."""
    data = world(
        horizon={"start": "2027-01-04", "end": "2027-01-29"},
        containers=[container(max_moves=1)],
        requests=[
            request("a", latest="2027-01-29"),
            request("f", site="far", max_travel_minutes=20, latest="2027-01-29"),
            request("b", latest="2027-01-29"),
        ],
        locked=[
            lock("a", "2027-01-05", resource="box-1", site="depot"),
            lock("f", "2027-01-12", resource="box-1", site="far"),
            lock("b", "2027-01-26", resource="box-1", site="depot"),
        ],
    )
    result, displaced = planned(data)
    assert kept(result, "f", "2027-01-12")
    assert displaced == {
        "b#0": "box-1 may move 1 time(s) in the horizon and the locked sessions before "
        "2027-01-26 already need 1 (rule 6)"
    }


def test_a_container_that_may_not_move_names_max_moves() -> None:
    data = world(
        containers=[container(max_moves=0)],
        requests=[request("f", site="far", max_travel_minutes=20)],
        locked=[lock("f", "2027-01-12", resource="box-1", site="far")],
    )
    _, displaced = planned(data)
    assert displaced == {
        "f#0": "box-1 may not move (max_moves 0) and stands at depot; the lock needs it at far"
    }


def test_a_container_locked_where_it_cannot_be_yet() -> None:
    data = world(
        containers=[container()],
        requests=[request("f", site="far", max_travel_minutes=20)],
        locked=[lock("f", "2027-01-04", resource="box-1", site="far")],
    )
    _, displaced = planned(data)
    assert displaced == {
        "f#0": "box-1 cannot be ready at far by 2027-01-04: the trip from depot takes 2 "
        "working day(s) of transit and setup"
    }


def test_a_lock_outside_its_requests_window_says_so() -> None:
    data = world(requests=[request("a", latest="2027-01-08")], locked=[lock("a", "2027-01-14")])
    _, displaced = planned(data)
    assert displaced == {"a#0": "2027-01-14 is outside the request's window 2027-01-04..2027-01-08"}


def test_a_unit_lock_at_another_site_is_displaced() -> None:
    """The contract refuses such a file; a scenario built in code (a catalogue change)
    still gets a reason rather than a plan the validator rejects."""
    scenario = parse(world(requests=[request("a")]))
    wrong = LockedSession.model_validate(lock("a", "2027-01-05", site="near"), strict=False)
    _, displaced = check_locks(build_instance(scenario.model_copy(update={"locked": [wrong]})))
    assert [d.reason for d in displaced] == ["dry-1 stands at hub, not at near"]


def test_the_seed_books_a_named_instructor_before_picking_one() -> None:
    """A lock without an instructor must not take the one a later lock names."""
    scenario = parse(
        world(
            staff=[{**OLA, "max_sessions_per_week": 1}],
            requests=[request("a"), request("b")],
            locked=[lock("a", "2027-01-05"), lock("b", "2027-01-06", staff="ola")],
        )
    )
    inst = build_instance(scenario)
    locks, _ = check_locks(inst)
    seed = constructive_plan(inst, locks, [0, 1])
    assert [(inst.requests[b.request].id, b.staff) for b in seed] == [("b", 0)]
    result = solve(scenario, FAST)
    assert [str(v) for v in validate(scenario, result.to_schedule("t"))] == []


def test_the_fcfs_baseline_keeps_the_locks_it_can() -> None:
    """Containers stay still in FCFS: a lock needing a move is displaced with that
    cause, and the request keeps its other lock (it used to be left out whole)."""
    data = world(
        containers=[container()],
        requests=[request("q", sessions=2, max_travel_minutes=200)],
        locked=[
            lock("q", "2027-01-05"),
            {**lock("q", "2027-01-12", resource="box-1", site="far"), "index": 1},
        ],
    )
    scenario = parse(data)
    fcfs = solve(scenario, SolveParams(time_limit=1, workers=1, baseline_only=True))
    assert [str(v) for v in validate(scenario, fcfs.to_schedule("t"))] == []
    assert kept(fcfs, "q", "2027-01-05") and len(fcfs.sessions) == 2
    assert [(d.index, d.reason) for d in fcfs.displaced] == [
        (
            1,
            "the request is served, but not with this session: box-1 stands elsewhere or is "
            "moving on 2027-01-12",
        )
    ]
    result, displaced = planned(data)  # the optimiser moves the container and keeps both
    assert displaced == {} and kept(result, "q", "2027-01-12")


def test_a_container_lock_without_site_keeps_its_named_instructor() -> None:
    """The lock named ola but no site: the model only asked ola to teach *some*
    dry-room group in that slot (he took b's at the hub) and the hand-out gave a's
    locked session to kari, so `hubplan solve` refused its own plan (rule 8)."""
    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    box = {**container(), "start_site": "far", "types": ["dry-room"]}
    kari = {"id": "kari", "home_site": "far", "types": ["dry-room", "fire-safety"]}
    data = world(
        equipment=[
            {"id": "dry-1", "type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]},
            {"id": "fire-f", "type": "fire-safety", "site": "far", "seats": 12, "parts": ["day"]},
        ],
        containers=[box],
        staff=[
            {**OLA, "max_sessions_per_week": 5},
            {**kari, "parts": ["day"], "max_sessions_per_week": 5},
        ],
        requests=[
            request("a", site="far", max_travel_minutes=20, **day),
            request("b", **day),
            request("e", site="far", equipment_type="fire-safety", max_travel_minutes=20, **day),
        ],
        locked=[lock("a", "2027-01-05", resource="box-1", staff="ola")],
    )
    result, displaced = planned(data)
    assert displaced == {}
    assert [s.staff for s in result.sessions if s.request == "a"] == ["ola"]
