"""Minimal-change repair: known minima on small cases, frozen window, promotion."""

from __future__ import annotations

import datetime as dt
from typing import Any

from schemas.disruptions import DisruptionList
from schemas.scenario import Scenario
from schemas.schedule import ContainerMove, Schedule
from services.cli.replan_commands import with_frozen_locks
from services.planner.disruptions import apply_disruptions
from services.planner.repair import RepairParams, repair
from services.planner.solve import SolveParams, solve
from services.planner.travel import TravelTable
from services.validator import validate
from tests.builders import parse, request, trip, world

FAST = SolveParams(time_limit=3, workers=2)


def _planned(data: dict[str, Any]) -> Schedule:
    return solve(parse(data), FAST).to_schedule("before")


def _disrupt(data: dict[str, Any], schedule: Schedule, *items: dict[str, Any], **params: Any):
    events = DisruptionList.model_validate({"disruptions": list(items)}, strict=False).disruptions
    after, _, trips = apply_disruptions(
        parse(data), events, schedule.container_moves, params.get("today")
    )
    in_force = schedule.model_copy(update={"container_moves": trips})
    result = repair(after, in_force, RepairParams(time_limit=5, workers=2, **params))
    assert validate(after, result.plan.to_schedule("after"), allow_frozen=True) == []
    return result


def test_a_broken_unit_moves_only_its_own_session_to_a_free_twin() -> None:
    twins = [
        {"id": f"dry-{i}", "type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]}
        for i in (1, 2, 3)
    ]
    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    data = world(equipment=twins, requests=[request("a", **day), request("b", **day)])
    before = _planned(data)
    victim = next(s for s in before.sessions if s.resource == "dry-1")
    result = _disrupt(
        data,
        before,
        {
            "kind": "equipment-unavailable",
            "equipment": "dry-1",
            "from": str(victim.date),
            "to": str(victim.date),
        },
    )
    # the known minimum: one session changes, to a twin on the same date and slot
    assert [c.kind for c in result.changes] == ["unit"]
    change = result.changes[0]
    assert change.old == victim and change.new is not None
    assert (change.new.date, change.new.slot) == (victim.date, victim.slot)
    assert result.lost == []


def test_a_whole_day_lost_moves_exactly_that_days_sessions() -> None:
    twins = [
        {"id": f"dry-{i}", "type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]}
        for i in (1, 2)
    ]
    data = world(
        equipment=twins, requests=[request(f"r{i}", sessions=2, min_gap_days=2) for i in range(4)]
    )
    before = _planned(data)
    victim = before.sessions[0]
    hit = [s for s in before.sessions if s.resource == victim.resource and s.date == victim.date]
    result = _disrupt(
        data,
        before,
        {
            "kind": "equipment-unavailable",
            "equipment": victim.resource,
            "from": str(victim.date),
            "to": str(victim.date),
        },
        today=dt.date(2027, 1, 4),
        frozen_days=0,
    )
    assert sorted((c.old.request, c.old.index) for c in result.changes if c.old) == sorted(
        (s.request, s.index) for s in hit
    )
    assert result.lost == []


def test_a_closed_day_moves_the_sessions_of_that_day_only() -> None:
    data = world(requests=[request(f"r{i}", sessions=1) for i in range(3)])
    before = _planned(data)
    day = before.sessions[0].date
    on_day = [s for s in before.sessions if s.date == day]
    result = _disrupt(
        data, before, {"kind": "site-closed", "site": "hub", "from": str(day), "to": str(day)}
    )
    assert len(result.changes) == len(on_day)
    assert all(c.kind == "date" and c.new is not None and c.new.date != day for c in result.changes)


def test_frozen_window_is_left_alone() -> None:
    data = world(
        requests=[request(f"r{i}", earliest="2027-01-04", latest="2027-01-15") for i in range(4)]
    )
    before = _planned(data)
    first_day = min(s.date for s in before.sessions)
    frozen = {(s.request, s.date, s.slot) for s in before.sessions if s.date == first_day}
    # a closure later in the window forces changes, but not inside the frozen first days
    late = max(s.date for s in before.sessions)
    result = _disrupt(
        data,
        before,
        {"kind": "site-closed", "site": "hub", "from": str(late), "to": str(late)},
        today=first_day,
        frozen_days=1,
    )
    after = {(s.request, s.date, s.slot) for s in result.plan.sessions}
    assert frozen <= after
    assert all(c.old is None or c.old.date != first_day for c in result.changes)


def test_frozen_session_that_became_impossible_is_displaced() -> None:
    data = world(requests=[request("a", earliest="2027-01-04", latest="2027-01-15")])
    before = _planned(data)
    s = before.sessions[0]
    broken = {
        "kind": "equipment-unavailable",
        "equipment": s.resource,
        "from": str(s.date),
        "to": str(s.date),
    }
    result = _disrupt(data, before, broken, today=s.date, frozen_days=2)
    assert [d.request for d in result.plan.displaced] == ["a"]
    assert result.lost == [] and result.plan.sessions[0].date != s.date
    # the frozen window is the repair's own lock: outside the repair path the row
    # matches no lock of the scenario
    events = DisruptionList.model_validate({"disruptions": [broken]}, strict=False).disruptions
    after = apply_disruptions(parse(data), events, [], s.date)[0]
    repaired = result.plan.to_schedule("after")
    assert [str(v) for v in validate(after, repaired)] == [
        f"rule 8: displaced a#0 on {s.date} matches no lock"
    ]
    # `hubplan replan --scenario-out` writes that lock out, so the pair validates
    written = with_frozen_locks(after, repaired)
    reread = Scenario.model_validate_json(written.model_dump_json(by_alias=True))
    assert [(lock.request, lock.date) for lock in reread.locked] == [("a", s.date)]
    assert validate(reread, repaired) == []


def test_cancellation_promotes_a_waitlisted_request() -> None:
    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    data = world(requests=[request(f"r{i}", priority=3 - i, **day) for i in range(3)])
    before = _planned(data)
    assert {u.request for u in before.unserved} == {"r2"}
    result = _disrupt(data, before, {"kind": "booking-cancelled", "request": "r0"})
    assert result.promoted == ["r2"]
    assert all(c.kind in ("added", "dropped") for c in result.changes)


def test_ill_instructor_is_replaced_and_nothing_else_moves() -> None:
    staff = [
        {
            "id": n,
            "home_site": "hub",
            "types": ["dry-room"],
            "parts": ["day"],
            "max_sessions_per_week": 5,
        }
        for n in ("ada", "bo")
    ]
    data = world(
        staff=staff, requests=[request(f"r{i}", sessions=2, min_gap_days=3) for i in range(2)]
    )
    before = _planned(data)
    s = before.sessions[0]
    result = _disrupt(
        data,
        before,
        {
            "kind": "instructor-unavailable",
            "staff": s.staff,
            "from": str(s.date),
            "to": str(s.date),
        },
    )
    hers = [x for x in before.sessions if x.staff == s.staff and x.date == s.date]
    assert [c.kind for c in result.changes] == ["instructor"] * len(hers)
    assert all(c.new is not None and c.new.staff != s.staff for c in result.changes)


def _in_force(sessions: list[tuple[str, str, str, str]], moves: list[ContainerMove]) -> Schedule:
    """A plan in force written by hand: (request, date, site, resource) one-session
    requests in slot am, and trips from ``trip``."""
    metrics = {"served_value": 0, "requested_value": 0, "container_km": 0.0, "solve_seconds": 0.0}
    rows = [
        {"request": r, "index": 0, "date": d, "slot": "am", "site": site, "resource": unit}
        for r, d, site, unit in sessions
    ]
    body = {"format": "hubplan-schedule/1", "scenario": "tiny", "metrics": metrics}
    return Schedule.model_validate(
        {**body, "sessions": rows, "container_moves": moves}, strict=False
    )


def _as_planned(data: dict[str, Any], m: ContainerMove) -> ContainerMove:
    """A hand-written trip with the km and driving time the planner gives it."""
    road = TravelTable.of(parse(data))
    return m.model_copy(
        update={
            "km": round(road.road_km(m.from_, m.to), 1),
            "truck_minutes": round(road.truck_minutes(m.from_, m.to), 1),
        }
    )


def test_delayed_container_shifts_its_sessions_and_its_trip() -> None:
    """A late truck: its trip stays as it left and is ready on the reported day; its
    container's sessions move after it; logistics sees the trip's ready day change;
    another container's booked trip does not move."""
    from services.logistics.diff import diff_moves
    from tests.builders import container

    data = world(
        horizon={"start": "2027-01-04", "end": "2027-01-29"},
        containers=[container("box-1"), container("box-2")],
        requests=[
            request("f", site="far", max_travel_minutes=20, latest="2027-01-29"),
            request("n", max_travel_minutes=5, latest="2027-01-29"),
        ],
    )
    on_road = _as_planned(data, trip("2027-01-13", "2027-01-15"))
    booked = _as_planned(data, trip("2027-01-18", "2027-01-20", to="near", container_id="box-2"))
    before = _in_force(
        [("f", "2027-01-15", "far", "box-1"), ("n", "2027-01-21", "near", "box-2")],
        [on_road, booked],
    )
    late = dt.date(2027, 1, 20)
    result = _disrupt(
        data,
        before,
        {"kind": "container-delayed", "container": "box-1", "ready": str(late)},
        today=dt.date(2027, 1, 14),
        frozen_days=0,
        disrupted_containers=frozenset({"box-1"}),  # the container the disruption names
    )
    assert result.lost == []
    (f,) = [s for s in result.plan.sessions if s.request == "f"]
    assert f.date >= late  # not while the truck is on the road, nor before it is ready
    events = diff_moves(before.container_moves, result.plan.moves)
    (changed,) = events
    assert (changed.kind, changed.changed) == ("changed", ("ready",))
    assert (changed.move.depart, changed.move.ready) == (on_road.depart, late)
    assert booked in result.plan.moves  # box-2's booked trip is untouched
    assert result.moves_not_kept == []


def test_moves_inside_the_notice_period_are_kept() -> None:
    """A trip logistics has already booked (departing within 5 working days) stays, even
    when the repaired plan would not need it; one further out may go (here: its arrival
    pad closes) and is not reported, as it was not booked."""
    from tests.builders import container

    data = world(containers=[container("box-1")], requests=[request("a")])
    before = _planned(data)
    booked = trip("2027-01-05", "2027-01-07")
    later = trip("2027-01-13", "2027-01-15", frm="far", to="depot")
    current = before.model_copy(update={"container_moves": [booked, later]})
    result = _disrupt(
        data,
        current,
        {"kind": "site-closed", "site": "near", "from": "2027-01-14", "to": "2027-01-14"},
        {"kind": "pad-unavailable", "site": "depot", "from": "2027-01-15", "to": "2027-01-15"},
        today=dt.date(2027, 1, 4),
        frozen_days=0,
    )

    def trips(moves: list[ContainerMove]) -> set[tuple[object, ...]]:
        return {(m.container, m.from_, m.to, m.depart, m.ready) for m in moves}

    assert trips([booked]) <= trips(result.plan.moves)
    assert not trips([later]) & trips(result.plan.moves)  # outside the notice period: cut
    assert result.moves_not_kept == []
    hit = _disrupt(
        data,
        current,
        {
            "kind": "container-broken",
            "container": "box-1",
            "from": "2027-01-15",
            "to": "2027-01-15",
        },
        today=dt.date(2027, 1, 4),
        frozen_days=0,
        disrupted_containers=frozenset({"box-1"}),
    )
    assert not trips([booked]) & trips(hit.plan.moves)  # the container itself was hit: re-planned


def test_pad_unavailable_moves_the_container_session() -> None:
    """The pad closes on the day a booked trip arrives: the production path (no caller
    names the container) re-plans that trip and reports it; the session moves."""
    from tests.builders import container

    data = world(
        horizon={"start": "2027-01-04", "end": "2027-01-29"},
        containers=[container("box-1")],
        requests=[request("f", site="far", max_travel_minutes=20, latest="2027-01-29")],
    )
    before = _one_trip_plan(data, "2027-01-27", "2027-01-29", "2027-01-29")
    (s,) = before.sessions
    today = dt.date(2027, 1, 25)  # the trip is inside the notice period, has not left
    result = _disrupt(
        data,
        before,
        {
            "kind": "pad-unavailable",
            "site": "far",
            "from": str(s.date),
            "to": str(s.date),
            "reason": "works on the pad",
        },
        today=today,
        frozen_days=0,
    )
    assert result.lost == [] and [c.kind for c in result.changes] == ["date"]
    assert today <= result.plan.sessions[0].date != s.date
    (gone,) = result.moves_not_kept
    assert gone.move == before.container_moves[0] and "pad at far" in gone.reason
    assert all(m.depart >= today for m in result.plan.moves)


def test_shortcut_returns_the_seed_only_when_it_is_provably_least_change() -> None:
    twins = [
        {"id": f"dry-{i}", "type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]}
        for i in (1, 2, 3)
    ]
    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    data = world(equipment=twins, requests=[request("a", **day), request("b", **day)])
    before = _planned(data)
    victim = next(s for s in before.sessions if s.resource == "dry-1")
    event = {
        "kind": "equipment-unavailable",
        "equipment": "dry-1",
        "from": str(victim.date),
        "to": str(victim.date),
    }
    fast = _disrupt(data, before, event, shortcut=True)
    full = _disrupt(data, before, event, shortcut=False)
    assert [c.kind for c in fast.changes] == [c.kind for c in full.changes] == ["unit"]
    assert fast.plan.region_status == {"all": "OPTIMAL"}  # no solver was needed


def test_a_session_whose_container_is_in_transit_is_repaired_not_lost() -> None:
    """The old session passes the lock checks, but the plan's trips have its container
    on the road that day: the repair must treat it as broken, not freeze it out."""
    from tests.builders import container

    data = world(containers=[container("box-1")], requests=[request("a")])
    planned = _planned(data)
    on_13th = planned.sessions[0].model_copy(update={"date": dt.date(2027, 1, 13)})
    trips = [
        trip("2027-01-05", "2027-01-07"),
        trip("2027-01-13", "2027-01-15", frm="far", to="depot"),
    ]
    current = planned.model_copy(
        update={
            "sessions": [on_13th.model_copy(update={"site": "depot", "resource": "box-1"})],
            "container_moves": trips,
        }
    )
    result = _disrupt(
        data,
        current,
        {"kind": "site-closed", "site": "near", "from": "2027-01-14", "to": "2027-01-14"},
        today=dt.date(2027, 1, 4),
        frozen_days=0,
    )
    assert result.lost == [] and {s.request for s in result.plan.sessions} == {"a"}


def test_a_removed_unit_and_instructor_are_repaired_not_a_crash() -> None:
    twins = [
        {"id": f"dry-{i}", "type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]}
        for i in (1, 2)
    ]
    staff = [
        {
            "id": f"inst-{n}",
            "home_site": "hub",
            "types": ["dry-room"],
            "parts": ["day"],
            "max_sessions_per_week": 5,
        }
        for n in (1, 2)
    ]
    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    data = world(equipment=twins, staff=staff, requests=[request("a", **day)])
    before = _planned(data)
    (session,) = before.sessions
    for removed in (session.resource, session.staff):
        result = _disrupt(data, before, {"kind": "resource-removed", "resource": removed})
        # the only session moves to the twin unit or instructor, same date and slot
        assert result.lost == [] and [c.kind for c in result.changes] in (["unit"], ["instructor"])
        (moved,) = result.plan.sessions
        assert (moved.date, moved.slot) == (session.date, session.slot)
        assert removed not in (moved.resource, moved.staff)


def _one_trip_plan(data: dict[str, Any], depart: str, ready: str, session: str) -> Schedule:
    """box-1 depot -> far departing ``depart``, request f's one session there on ``session``."""
    planned = _planned(data)
    (s,) = planned.sessions
    at_far = s.model_copy(
        update={"date": dt.date.fromisoformat(session), "site": "far", "resource": "box-1"}
    )
    return planned.model_copy(
        update={"sessions": [at_far], "container_moves": [trip(depart, ready)]}
    )


def test_nothing_is_rescheduled_into_the_past() -> None:
    """The only free days left for a broken booking are gone already: it is lost, not
    put on a past day; a session that happened stays as it was."""
    data = world(requests=[request("a", latest="2027-01-15"), request("b", latest="2027-01-05")])
    planned = _planned(data)
    a, b = sorted(planned.sessions, key=lambda s: s.request)
    current = planned.model_copy(
        update={"sessions": [a.model_copy(update={"date": dt.date(2027, 1, 13)}), b]}
    )
    today = dt.date(2027, 1, 11)
    result = _disrupt(
        data,
        current,
        {
            "kind": "equipment-unavailable",
            "equipment": "dry-1",
            "from": str(today),
            "to": "2027-01-15",
        },
        today=today,
        frozen_days=0,
    )
    assert result.lost == ["a"]
    assert b in result.plan.sessions


def test_a_trip_change_is_a_change_so_repair_does_not_spend_one_on_its_own() -> None:
    """Mending a unit's session in one place must not reschedule a container's trip
    elsewhere (trips cost like sessions): not for nothing, and not to promote a
    waitlisted request on the side - that is the background optimiser's job."""
    from tests.builders import container

    data = world(
        horizon={"start": "2027-01-04", "end": "2027-01-29"},
        containers=[container("box-2")],
        requests=[
            request("a", site="hub", latest="2027-01-08"),
            request("n", max_travel_minutes=5, earliest="2027-01-25", latest="2027-01-29"),
            # would fit if box-2 went to near a week earlier
            request("w", max_travel_minutes=5, earliest="2027-01-06", latest="2027-01-08"),
        ],
    )
    planned = _as_planned(data, trip("2027-01-20", "2027-01-22", to="near", container_id="box-2"))
    before = _in_force(
        [("a", "2027-01-05", "hub", "dry-1"), ("n", "2027-01-27", "near", "box-2")], [planned]
    )
    result = _disrupt(
        data,
        before,
        {
            "kind": "equipment-unavailable",
            "equipment": "dry-1",
            "from": "2027-01-05",
            "to": "2027-01-05",
        },
        today=dt.date(2027, 1, 4),
        frozen_days=0,
    )
    assert [c.request for c in result.changes] == ["a"]
    assert result.plan.moves == [planned]
