"""Each hard rule of the spec: the planner keeps it, and the validator catches a breach."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from schemas.schedule import Schedule
from services.planner.solve import PlanResult, SolveParams, solve
from services.validator import validate
from tests.builders import container, parse, request, schedule, world

FAST = SolveParams(time_limit=5, workers=2)


def plan(data: dict[str, Any]) -> tuple[PlanResult, Schedule]:
    scenario = parse(data)
    result = solve(scenario, FAST)
    sch = result.to_schedule("t")
    assert validate(scenario, sch) == []
    return result, sch


def rules_broken(data: dict[str, Any], sch: Schedule, **edit: Any) -> set[str]:
    """Rules the validator reports after editing the first session."""
    raw = sch.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["sessions"][0].update(edit)
    return {v.rule for v in validate(parse(data), schedule(raw))}


# rule 1: window, horizon, weekdays, closures, calendars ---------------------------
def test_rule1_sessions_only_on_usable_days() -> None:
    data = world(
        closed=[{"from": "2027-01-04", "to": "2027-01-06", "reason": "closed"}],
        calendars={"school": [{"from": "2027-01-07", "to": "2027-01-07"}]},
        requests=[request("a", latest="2027-01-11")],
    )
    _, sch = plan(data)
    # 4-6 closed everywhere, 7 school calendar, 9-10 weekend: the 8th or the 11th
    assert [str(s.date) for s in sch.sessions] == ["2027-01-08"]


def test_rule1_validator_rejects_closed_day() -> None:
    data = world(
        calendars={"school": [{"from": "2027-01-05", "to": "2027-01-05"}]}, requests=[request("a")]
    )
    _, sch = plan(data)
    assert "1" in rules_broken(data, sch, date="2027-01-05")
    assert "1" in rules_broken(data, sch, date="2027-01-09")  # a Saturday


# rule 2: day slots for pupils, evening for adults, unit must offer the part ----------
def test_rule2_parts_follow_audience() -> None:
    data = world(requests=[request("kids"), request("adults", audience="adults", site="hub")])
    _, sch = plan(data)
    slots = {s.request: s.slot for s in sch.sessions}
    assert slots["kids"] in {"am", "pm"} and slots["adults"] == "eve"


def test_rule2_unit_without_evening_cannot_host_adults() -> None:
    data = world(
        equipment=[
            {"id": "dry-1", "type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]}
        ],
        requests=[request("adults", audience="adults")],
    )
    result, _ = plan(data)
    assert [u.reason for u in result.unserved] == ["no-capacity"]


def test_rule2_validator_rejects_wrong_part() -> None:
    data = world(requests=[request("a")])
    _, sch = plan(data)
    assert "2" in rules_broken(data, sch, slot="eve")


# rule 3: type, seats, unavailability ----------------------------------------------
def test_rule3_seats_and_service_days() -> None:
    data = world(
        equipment=[
            {"id": "small", "type": "dry-room", "site": "hub", "seats": 6, "parts": ["day"]},
            {
                "id": "big",
                "type": "dry-room",
                "site": "hub",
                "seats": 12,
                "parts": ["day"],
                "unavailable": [{"from": "2027-01-04", "to": "2027-01-07"}],
            },
        ],
        requests=[request("a", latest="2027-01-08")],
    )
    _, sch = plan(data)
    assert [(s.resource, str(s.date)) for s in sch.sessions] == [("big", "2027-01-08")]


def test_rule3_validator_rejects_small_or_unavailable_unit() -> None:
    data = world(
        equipment=[
            {
                "id": "dry-1",
                "type": "dry-room",
                "site": "hub",
                "seats": 12,
                "parts": ["day"],
                "unavailable": [{"from": "2027-01-15", "to": "2027-01-15"}],
            },
            {"id": "small", "type": "dry-room", "site": "hub", "seats": 4, "parts": ["day"]},
        ],
        requests=[request("a", latest="2027-01-14")],
    )
    _, sch = plan(data)
    assert "3" in rules_broken(data, sch, resource="small")
    assert "3" in rules_broken(data, sch, date="2027-01-15", resource="dry-1")


# rule 4: one session per unit and slot; distinct dates with the gap ----------------
def test_rule4_capacity_and_gaps() -> None:
    one_day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    data = world(
        requests=[
            request("a", **one_day, priority=1),
            request("b", **one_day, priority=2),
            request("c", **one_day, priority=3),
            request("g", sessions=2, min_gap_days=7, group_size=8),
        ]
    )
    result, sch = plan(data)
    # am + pm on the 5th hold two of a/b/c; the highest priorities win
    assert {u.request for u in result.unserved} == {"a"}
    g = sorted(s.date for s in sch.sessions if s.request == "g")
    assert (g[1] - g[0]).days >= 7


def test_rule4_validator_rejects_double_booking_and_short_gap() -> None:
    data = world(requests=[request("a"), request("g", sessions=2, min_gap_days=3)])
    _, sch = plan(data)
    raw = sch.model_dump(mode="json", by_alias=True, exclude_none=True)
    a = next(s for s in raw["sessions"] if s["request"] == "a")
    g = [s for s in raw["sessions"] if s["request"] == "g"]
    a.update(date=g[0]["date"], slot=g[0]["slot"])
    assert "4" in {v.rule for v in validate(parse(data), schedule(raw))}
    raw = sch.model_dump(mode="json", by_alias=True, exclude_none=True)
    g = sorted((s for s in raw["sessions"] if s["request"] == "g"), key=lambda s: s["date"])
    g[1]["date"] = "2027-01-05" if g[0]["date"] == "2027-01-04" else g[0]["date"]
    assert "4" in {v.rule for v in validate(parse(data), schedule(raw))}


# rule 5: region, site of the unit, travel limit ------------------------------------
def test_rule5_travel_limit_and_region() -> None:
    data = world(
        sites=world()["sites"]
        + [
            {
                "id": "other-hub",
                "name": "Other hub",
                "kind": "hub",
                "lat": 58.56,
                "lon": 8.86,
                "region": "elsewhere",
                "container_pad": False,
            }
        ],
        equipment=world()["equipment"]
        + [{"id": "dry-x", "type": "dry-room", "site": "other-hub", "seats": 12, "parts": ["day"]}],
        requests=[request("a", max_travel_minutes=30), request("f", site="far")],
    )
    result, sch = plan(data)
    assert [(s.request, s.resource) for s in sch.sessions] == [("a", "dry-1")]
    assert [(u.request, u.reason) for u in result.unserved] == [("f", "out-of-reach")]


def test_rule5_validator_rejects_wrong_site_and_long_trip() -> None:
    data = world(requests=[request("a")])
    _, sch = plan(data)
    assert "5" in rules_broken(data, sch, site="near")
    limited = world(requests=[request("a", max_travel_minutes=10)])
    assert "5" in rules_broken(limited, sch)


# rule 6: container positions and moves ----------------------------------------------
def test_rule6_container_moves_to_reach_a_far_school() -> None:
    data = world(
        containers=[container()], requests=[request("f", site="far", max_travel_minutes=20)]
    )
    result, sch = plan(data)
    assert result.unserved == []
    (move,) = sch.container_moves
    assert (move.from_, move.to) == ("depot", "far")
    # 170 truck minutes: 1 transit day (the departure day) + 1 setup day, so the
    # container is ready two working days after it leaves (no weekend in between here)
    working = [
        d for d in (move.depart + dt.timedelta(n) for n in range(1, 5)) if d.isoweekday() < 6
    ]
    assert move.ready == working[1]
    assert sch.sessions[0].date >= move.ready and sch.sessions[0].site == "far"


def test_rule6_max_moves_zero_keeps_container_home() -> None:
    data = world(
        containers=[container(max_moves=0)],
        requests=[request("f", site="far", max_travel_minutes=20)],
    )
    result, sch = plan(data)
    assert sch.container_moves == [] and result.unserved[0].reason == "out-of-reach"


def test_rule6_validator_rejects_bad_moves() -> None:
    data = world(
        containers=[container()], requests=[request("f", site="far", max_travel_minutes=20)]
    )
    _, sch = plan(data)
    raw = sch.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["container_moves"][0]["ready"] = "2027-01-05"
    assert "6" in {v.rule for v in validate(parse(data), schedule(raw))}
    raw = sch.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["sessions"][0]["date"] = raw["container_moves"][0]["depart"]  # in transit that day
    assert "5" in {v.rule for v in validate(parse(data), schedule(raw))}
    raw = sch.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["container_moves"][0]["to"] = "hub"
    raw["container_moves"][0]["from"] = "near"
    assert "6" in {v.rule for v in validate(parse(data), schedule(raw))}


def test_rule6_validator_takes_a_later_ready_day_only_from_a_container_reported_late() -> None:
    """A delayed truck (container-delayed) is ready later than rule 6 says; the
    disrupted scenario shows it as the container unavailable until then."""
    moves = [
        {
            "container": "box-1",
            "from": "depot",
            "to": "far",
            "depart": "2027-01-13",
            "ready": "2027-01-20",
            "km": 184.3,
        }
    ]
    metrics = {"served_value": 0, "requested_value": 0, "container_km": 184.3, "solve_seconds": 0}
    late = schedule(
        {
            "format": "hubplan-schedule/1",
            "scenario": "t",
            "sessions": [],
            "container_moves": moves,
            "metrics": metrics,
        }
    )
    horizon = {"start": "2027-01-04", "end": "2027-01-29"}

    def rule6(unavailable: list[dict[str, str]]) -> list[str]:
        data = world(horizon=horizon, containers=[container(unavailable=unavailable)])
        return [v.message for v in validate(parse(data), late) if v.rule == "6"]

    assert rule6([]) and "ready should be 2027-01-15" in rule6([])[0]
    assert rule6([{"from": "2027-01-13", "to": "2027-01-19"}]) == []
    assert rule6([{"from": "2027-01-13", "to": "2027-01-17"}])  # free on Monday the 18th


# rule 7: instructors ----------------------------------------------------------------
def _two_sites(gap_minutes: float | None) -> dict[str, Any]:
    travel: dict[str, Any] = {"road_factor": 1.3, "car_kmh": 60, "truck_kmh": 65}
    if gap_minutes is not None:
        travel["minutes"] = {"hub": {"near": gap_minutes}}
    one_day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    return world(
        travel=travel,
        equipment=[
            {"id": "dry-1", "type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]},
            {"id": "plc-1", "type": "plc-rig", "site": "near", "seats": 12, "parts": ["day"]},
        ],
        staff=[
            {
                "id": "ola",
                "home_site": "hub",
                "types": ["dry-room", "plc-rig"],
                "parts": ["day"],
                "max_sessions_per_week": 5,
            }
        ],
        requests=[
            request("d", site="hub", **one_day),
            request("p", site="near", equipment_type="plc-rig", **one_day),
        ],
    )


def test_rule7_instructor_drives_between_sites_in_the_gap() -> None:
    result, sch = plan(_two_sites(None))  # 24 min drive, 60 min gap
    assert result.unserved == []
    assert {s.staff for s in sch.sessions} == {"ola"}
    assert {s.slot for s in sch.sessions} == {"am", "pm"}


def test_rule7_too_far_to_drive_serves_one() -> None:
    result, _ = plan(_two_sites(90))  # 90 min drive does not fit a 60 min gap
    assert len(result.unserved) == 1


def test_rule7_validator_rejects_staff_breaches() -> None:
    data = _two_sites(None)
    _, sch = plan(data)
    assert "7" in rules_broken(_two_sites(90), sch)
    data["staff"][0]["max_sessions_per_week"] = 1
    assert "7" in {v.rule for v in validate(parse(data), sch)}
    data = _two_sites(None)
    data["staff"][0]["unavailable"] = [{"from": "2027-01-05", "to": "2027-01-05"}]
    assert "7" in {v.rule for v in validate(parse(data), sch)}


# rule 8: locks ---------------------------------------------------------------------
def test_rule8_locks_kept_and_displaced() -> None:
    lock = {"request": "a", "index": 0, "date": "2027-01-14", "slot": "pm", "resource": "dry-1"}
    data = world(requests=[request("a")], locked=[lock])
    _, sch = plan(data)
    s = sch.sessions[0]
    assert (str(s.date), s.slot, s.resource) == ("2027-01-14", "pm", "dry-1")
    broken = world(
        equipment=[
            {
                "id": "dry-1",
                "type": "dry-room",
                "site": "hub",
                "seats": 12,
                "parts": ["day"],
                "unavailable": [{"from": "2027-01-14", "to": "2027-01-14"}],
            }
        ],
        requests=[request("a")],
        locked=[lock],
    )
    result, sch = plan(broken)
    assert [d.request for d in sch.displaced] == ["a"]
    assert "unavailable" in sch.displaced[0].reason
    assert result.unserved == [] and str(sch.sessions[0].date) != "2027-01-14"


def test_rule8_validator_rejects_moved_lock() -> None:
    lock = {"request": "a", "index": 0, "date": "2027-01-14", "slot": "pm", "resource": "dry-1"}
    data = world(requests=[request("a")], locked=[lock])
    _, sch = plan(data)
    assert "8" in rules_broken(data, sch, date="2027-01-13")


def _locked_plan() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    lock = {"request": "a", "index": 0, "date": "2027-01-14", "slot": "pm", "resource": "dry-1"}
    data = world(requests=[request("a")], locked=[lock])
    _, sch = plan(data)
    return data, lock, sch.model_dump(mode="json", by_alias=True, exclude_none=True)


def _rule8(data: dict[str, Any], raw: dict[str, Any]) -> list[str]:
    return [v.message for v in validate(parse(data), schedule(raw)) if v.rule == "8"]


def test_rule8_validator_rejects_a_displacement_without_cause() -> None:
    """Nothing stops the lock being kept: 'displaced' is no excuse for moving it."""
    data, lock, raw = _locked_plan()
    raw["sessions"][0]["date"] = "2027-01-05"
    raw["displaced"] = [{**lock, "reason": "felt like it"}]
    assert _rule8(data, raw) == [
        "locked session a#0 is displaced ('felt like it') but could have been kept: "
        "moving a#0 from 2027-01-05 onto it breaks no rule"
    ]
    # dropping the request does not help: it fits whole with the lock in place
    raw["sessions"], raw["unserved"] = (
        [],
        [{"request": "a", "reason": "no-capacity", "detail": "x"}],
    )
    raw["metrics"]["served_value"] = 0
    assert _rule8(data, raw) == [
        "locked session a#0 is displaced ('felt like it') but could have been kept: "
        "a fits whole beside this plan: 2027-01-14 pm dry-1"
    ]


def test_rule8_validator_rejects_rows_that_are_no_lock() -> None:
    data, lock, raw = _locked_plan()
    raw["displaced"] = [
        {
            "request": "a",
            "index": 5,
            "date": "2027-01-04",
            "slot": "am",
            "resource": "x",
            "reason": "?",
        }
    ]
    assert _rule8(data, raw) == ["displaced a#5 on 2027-01-04 matches no lock"]
    raw["displaced"] = [{**lock, "date": "2027-01-13", "reason": "?"}]  # not the lock's date
    assert "displaced a#0 on 2027-01-13 does not match its lock" in _rule8(data, raw)
    raw["displaced"] = [{**lock, "reason": "?"}]  # the plan keeps it
    assert _rule8(data, raw) == ["locked session a#0 is kept but listed as displaced"]


def test_rule8_validator_rejects_an_invented_displaced_row() -> None:
    """'lo' was never locked: a row claiming its confirmed session was displaced is
    made up. Only the repair (which locks its frozen window itself) may list rows
    the scenario does not lock, and it says so with ``allow_frozen``."""
    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    data = world(
        slots=[{"id": "am", "part": "day", "start": "08:30", "end": "11:30"}],
        requests=[request("hi", priority=3, **day), request("lo", priority=1, **day)],
    )
    raw = _raw(data)
    assert [s["request"] for s in raw["sessions"]] == ["hi"]
    row = {"request": "lo", "index": 0, "date": "2027-01-05", "slot": "am", "resource": "dry-1"}
    raw["displaced"] = [{**row, "reason": "made up"}]
    assert _rule8(data, raw) == ["displaced lo#0 on 2027-01-05 matches no lock"]
    frozen = validate(parse(data), schedule(raw), allow_frozen=True)
    assert [str(v) for v in frozen] == []


def test_rule8_validator_accepts_a_lock_that_became_unusable() -> None:
    data, lock, raw = _locked_plan()
    data["equipment"][0]["unavailable"] = [{"from": "2027-01-14", "to": "2027-01-14"}]
    raw["sessions"][0]["date"] = "2027-01-13"
    raw["displaced"] = [{**lock, "reason": "dry-1 is unavailable on 2027-01-14"}]
    assert _rule8(data, raw) == []


# one reject test per validator branch ----------------------------------------------
def _found(data: dict[str, Any], raw: dict[str, Any]) -> set[str]:
    return {str(v) for v in validate(parse(data), schedule(raw))}


def _raw(data: dict[str, Any]) -> dict[str, Any]:
    _, sch = plan(data)
    return sch.model_dump(mode="json", by_alias=True, exclude_none=True)


def test_validator_rejects_pupils_on_a_day_their_own_school_is_closed() -> None:
    """The school's calendar alone: the hub (where the session is) is open."""
    sites = world()["sites"]
    for s in sites:
        s["calendar"] = {"near": "near-cal"}.get(s["id"])
    data = world(sites=sites, calendars={"near-cal": []}, requests=[request("a")])
    raw = _raw(data)
    day = raw["sessions"][0]["date"]
    data["calendars"]["near-cal"] = [{"from": day, "to": day}]
    tag = f"a#0 on {day} {raw['sessions'][0]['slot']}"
    assert _found(data, raw) == {f"rule 1: {tag}: the pupils' school near is closed that day"}


def test_validator_rejects_a_unit_that_lacks_the_part() -> None:
    data = world(requests=[request("a", audience="adults", site="hub")])
    raw = _raw(data)
    data["equipment"][0]["parts"] = ["day"]
    s = raw["sessions"][0]
    assert _found(data, raw) == {
        f"rule 2: a#0 on {s['date']} eve: dry-1 does not offer evening sessions"
    }


def test_validator_rejects_a_unit_of_another_type() -> None:
    data = world(requests=[request("a")])
    raw = _raw(data)
    data["equipment"].append(
        {"id": "plc-1", "type": "plc-rig", "site": "hub", "seats": 12, "parts": ["day"]}
    )
    s = raw["sessions"][0]
    s["resource"] = "plc-1"
    assert _found(data, raw) == {f"rule 3: a#0 on {s['date']} {s['slot']}: plc-1 is not a dry-room"}


def test_validator_rejects_a_resource_of_another_region() -> None:
    data = world(requests=[request("a")])
    raw = _raw(data)
    for s in data["sites"]:
        if s["id"] == "hub":
            s["region"] = "elsewhere"
    s = raw["sessions"][0]
    assert _found(data, raw) == {
        f"rule 5: a#0 on {s['date']} {s['slot']}: resource region elsewhere is not the "
        "request's region"
    }


def _moved() -> tuple[dict[str, Any], dict[str, Any]]:
    data = world(
        containers=[container()], requests=[request("f", site="far", max_travel_minutes=20)]
    )
    return data, _raw(data)


def test_validator_rejects_more_moves_than_max_moves() -> None:
    data, raw = _moved()
    data["containers"][0]["max_moves"] = 0
    assert "rule 6: box-1 moves 1 times, max_moves is 0" in _found(data, raw)


def test_validator_rejects_a_move_to_a_site_without_pad() -> None:
    data, raw = _moved()
    for s in data["sites"]:
        if s["id"] == "far":
            s["container_pad"] = False
    assert _found(data, raw) == {"rule 6: box-1 moves to far, which has no container pad"}


def test_validator_rejects_a_move_on_a_non_working_day() -> None:
    data, raw = _moved()
    move = raw["container_moves"][0]
    data["closed"] = [{"from": move["depart"], "to": move["depart"]}]
    assert f"rule 6: box-1 departs on {move['depart']}, not a working day" in _found(data, raw)


def test_validator_rejects_a_session_without_instructor() -> None:
    data = _two_sites(None)
    raw = _raw(data)
    s = raw["sessions"][0]
    del s["staff"]
    assert _found(data, raw) == {
        f"rule 7: {s['request']}#0 on {s['date']} {s['slot']}: no (known) instructor"
    }


def test_validator_rejects_an_unqualified_instructor() -> None:
    data = _two_sites(None)
    raw = _raw(data)
    data["staff"][0]["types"] = ["dry-room"]
    p = next(s for s in raw["sessions"] if s["request"] == "p")
    assert _found(data, raw) == {
        f"rule 7: p#0 on {p['date']} {p['slot']}: ola does not teach plc-rig (day)"
    }


def test_validator_rejects_an_instructor_in_two_sessions_at_once() -> None:
    data = _two_sites(None)
    raw = _raw(data)
    for s in raw["sessions"]:
        s["slot"] = "am"
    assert "rule 7: ola teaches two overlapping sessions on 2027-01-05 (am, am)" in _found(
        data, raw
    )


@pytest.mark.parametrize("field,value", [("served_value", 1), ("container_km", 99.0)])
def test_metrics_are_recomputed(field: str, value: Any) -> None:
    data = world(requests=[request("a")])
    _, sch = plan(data)
    raw = sch.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["metrics"][field] = value
    assert "metrics" in {v.rule for v in validate(parse(data), schedule(raw))}


def test_rule7_instructors_stay_in_their_home_region() -> None:
    """Regions are planned apart, so an instructor never teaches in another region."""
    data = _two_sites(None)
    data["sites"].append(
        {
            "id": "north",
            "name": "North vgs",
            "kind": "hub",
            "lat": 66.3,
            "lon": 14.1,
            "region": "north",
            "container_pad": False,
        }
    )
    data["equipment"].append(
        {"id": "dry-n", "type": "dry-room", "site": "north", "seats": 12, "parts": ["day"]}
    )
    data["requests"].append(request("n", site="north", earliest="2027-01-05", latest="2027-01-05"))
    result, sch = plan(data)
    assert {s.request for s in sch.sessions} == {"d", "p"}
    assert [(u.request, u.reason) for u in result.unserved] == [("n", "no-staff")]


def test_rule8_locked_instructor_stays_at_the_locked_session() -> None:
    """A lock names its instructor; the model must not send them to another site's
    session in the same slot (and hand the lock to a colleague)."""
    one_day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    staff = [
        {
            "id": n,
            "home_site": "hub",
            "types": ["dry-room"],
            "parts": ["day"],
            "max_sessions_per_week": 5,
        }
        for n in ("ola", "kari")
    ]
    data = world(
        equipment=[
            {"id": "dry-1", "type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]},
            {"id": "dry-2", "type": "dry-room", "site": "near", "seats": 12, "parts": ["day"]},
        ],
        staff=staff,
        requests=[
            request("a", site="hub", **one_day),
            request("b", max_travel_minutes=5, **one_day),
        ],
        locked=[
            {
                "request": "a",
                "index": 0,
                "date": "2027-01-05",
                "slot": "am",
                "resource": "dry-1",
                "staff": "ola",
                "site": "hub",
            }
        ],
    )
    scenario = parse(data)
    for seed in range(6):
        result = solve(scenario, SolveParams(time_limit=2, workers=2, seed=seed))
        assert validate(scenario, result.to_schedule("t")) == []
        a = next(s for s in result.sessions if s.request == "a")
        assert a.staff == "ola"


def test_rule6_unavailable_pad_takes_no_container() -> None:
    """A pad under works (pad-unavailable) gets no arrival and no container session."""
    from tests.builders import container

    sites = world()["sites"]
    for s in sites:
        if s["id"] == "far":
            s["pad_unavailable"] = [{"from": "2027-01-04", "to": "2027-01-12", "reason": "works"}]
    data = world(
        sites=sites,
        containers=[container()],
        requests=[request("f", site="far", max_travel_minutes=20)],
    )
    result, sch = plan(data)
    assert result.unserved == []
    assert all(s.date > dt.date(2027, 1, 12) for s in sch.sessions)
    assert all(m.ready > dt.date(2027, 1, 12) for m in sch.container_moves)
    raw = sch.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["sessions"][0]["date"] = "2027-01-08"
    raw["container_moves"][0]["depart"], raw["container_moves"][0]["ready"] = (
        "2027-01-04",
        "2027-01-06",
    )
    assert "6" in {v.rule for v in validate(parse(data), schedule(raw))}


def test_rule6_a_container_never_returns_to_a_start_site_without_pad() -> None:
    """It stands at its start site when the horizon opens, later only at pads."""
    sites = world()["sites"]
    for s in sites:
        if s["id"] == "depot":
            s["container_pad"] = False
    data = world(
        sites=sites,
        equipment=[],
        containers=[container()],
        horizon={"start": "2027-01-04", "end": "2027-01-29"},
        requests=[
            request("f", site="far", max_travel_minutes=20, latest="2027-01-12"),
            request(
                "d", site="hub", max_travel_minutes=5, earliest="2027-01-25", latest="2027-01-29"
            ),
        ],
    )
    _, sch = plan(data)  # validates (it used to send box-1 back to the depot for d)
    assert [m.to for m in sch.container_moves if m.to == "depot"] == []
