"""Minimal-change repair: known minima on small cases, frozen window, promotion."""

from __future__ import annotations

import datetime as dt
from typing import Any

from schemas.disruptions import DisruptionList
from schemas.schedule import Schedule
from services.planner.disruptions import apply_disruptions
from services.planner.repair import RepairParams, repair
from services.planner.solve import SolveParams, solve
from services.validator import validate
from tests.builders import parse, request, trip, world

FAST = SolveParams(time_limit=3, workers=2)


def _planned(data: dict[str, Any]) -> Schedule:
    return solve(parse(data), FAST).to_schedule("before")


def _disrupt(data: dict[str, Any], schedule: Schedule, *items: dict[str, Any], **params: Any):
    events = DisruptionList.model_validate({"disruptions": list(items)}, strict=False).disruptions
    after, _ = apply_disruptions(parse(data), events, schedule.container_moves)
    result = repair(after, schedule, RepairParams(time_limit=5, workers=2, **params))
    assert validate(after, result.plan.to_schedule("after")) == []
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
    result = _disrupt(
        data,
        before,
        {
            "kind": "equipment-unavailable",
            "equipment": s.resource,
            "from": str(s.date),
            "to": str(s.date),
        },
        today=s.date,
        frozen_days=2,
    )
    assert [d.request for d in result.plan.displaced] == ["a"]
    assert result.lost == [] and result.plan.sessions[0].date != s.date


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


def test_delayed_container_shifts_its_sessions_and_its_trip() -> None:
    """A late truck moves its container's sessions; logistics sees the trip change."""
    from services.logistics.diff import diff_moves
    from tests.builders import container

    data = world(
        horizon={"start": "2027-01-04", "end": "2027-01-29"},
        containers=[container("box-1")],
        requests=[request("f", site="far", max_travel_minutes=20, latest="2027-01-29")],
    )
    before = _planned(data)
    (trip,) = before.container_moves
    late = trip.ready + dt.timedelta(days=7)
    result = _disrupt(
        data,
        before,
        {"kind": "container-delayed", "container": "box-1", "ready": str(late)},
        today=dt.date(2027, 1, 4),
        frozen_days=0,
    )
    # no session in the window the late truck covers (it left, it is not there yet)
    assert not [s for s in result.plan.sessions if trip.depart <= s.date < late]
    events = diff_moves(before.container_moves, result.plan.moves)
    assert events and all(e.container == "box-1" for e in events)


def test_moves_inside_the_notice_period_are_kept() -> None:
    """A trip logistics has already booked (departing within 5 working days) stays, even
    when the repaired plan would not need it; one further out may go."""
    from schemas.schedule import ContainerMove
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
        today=dt.date(2027, 1, 4),
        frozen_days=0,
    )

    def trips(moves: list[ContainerMove]) -> set[tuple[object, ...]]:
        return {(m.container, m.from_, m.to, m.depart, m.ready) for m in moves}

    assert trips([booked]) <= trips(result.plan.moves)
    assert not trips([later]) & trips(result.plan.moves)  # outside the notice period: cut
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
    from tests.builders import container

    data = world(
        horizon={"start": "2027-01-04", "end": "2027-01-29"},
        containers=[container("box-1")],
        requests=[request("f", site="far", max_travel_minutes=20, latest="2027-01-29")],
    )
    before = _planned(data)
    (s,) = before.sessions
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
        today=dt.date(2027, 1, 4),
        frozen_days=0,
        disrupted_containers=frozenset({"box-1"}),
    )
    assert result.lost == [] and [c.kind for c in result.changes] == ["date"]
    assert result.plan.sessions[0].date != s.date


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
