"""The operator figures (utilisation, demand, waitlist, containers) on tiny worlds."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from schemas.events import RegionCatalogue
from schemas.scenario import Request
from schemas.schedule import Session
from services.observability.planview import (
    IN_TRANSIT,
    MOBILE,
    TOP_PROGRAMMES,
    container_site,
    region_figures,
    windows,
)
from tests.builders import container, request, trip, world

BEFORE = dt.date(2026, 11, 27)  # the tiny world's horizon is 2027-01-04 .. 2027-01-15


def catalogue(**changes: Any) -> RegionCatalogue:
    data = {k: v for k, v in world(**changes).items() if k not in ("format", "name", "requests")}
    return RegionCatalogue.model_validate_json(json.dumps(data))


def req(rid: str, **fields: Any) -> Request:
    return Request.model_validate_json(json.dumps(request(rid, **fields)))


def session(rid: str, day: str, slot: str = "am", resource: str = "dry-1") -> Session:
    return Session(
        request=rid,
        index=0,
        date=dt.date.fromisoformat(day),
        slot=slot,
        site="hub",
        resource=resource,
    )


def test_weeks_start_at_the_horizon_until_it_comes_then_follow_today() -> None:
    start, end = dt.date(2027, 1, 4), dt.date(2027, 1, 15)
    assert [(w.name, w.start, w.end) for w in windows(start, end, BEFORE)] == [
        ("week1", start, dt.date(2027, 1, 10)),
        ("week2", dt.date(2027, 1, 11), end),  # clipped to the horizon; no week3
        ("horizon", start, end),
    ]
    mid = windows(start, end, dt.date(2027, 1, 13))  # a Wednesday: Monday and Tuesday are gone
    assert [(w.name, w.start, w.end) for w in mid] == [
        ("week1", dt.date(2027, 1, 13), end),
        ("horizon", start, end),
    ]
    assert windows(start, end, dt.date(2027, 6, 1))[0].start == end


def test_the_weeks_count_only_what_is_left_from_today() -> None:
    """On a Wednesday, week1 is Wednesday .. next Tuesday: a session booked on
    Tuesday (gone) is not in it, and week2 holds only the 3 days left of the horizon."""
    f = region_figures(
        catalogue(),
        {"a": req("a", sessions=2)},
        {"a": "confirmed"},
        [session("a", "2027-01-05"), session("a", "2027-01-07")],
        [],
        dt.date(2027, 1, 6),
    )
    assert f.booked[("hub", "dry-room", "day", "week1")] == 1  # Thursday's only
    assert f.capacity[("hub", "dry-room", "day", "week1")] == 5 * 2  # Wed-Fri, Mon-Tue
    assert f.capacity[("hub", "dry-room", "day", "week2")] == 3 * 2  # Wed 13 - Fri 15
    assert f.booked[("hub", "dry-room", "day", "horizon")] == 2


def test_utilisation_is_booked_over_unit_slots_per_part_and_window() -> None:
    rs = {"a": req("a", sessions=2), "b": req("b", audience="adults")}
    f = region_figures(
        catalogue(),
        rs,
        {"a": "confirmed", "b": "waitlisted"},
        [session("a", "2027-01-05"), session("a", "2027-01-12", "pm")],
        [],
        BEFORE,
    )
    # 5 working days a week x 2 day slots; 1 evening slot
    assert f.capacity[("hub", "dry-room", "day", "week1")] == 10
    assert f.capacity[("hub", "dry-room", "evening", "horizon")] == 10
    assert f.booked[("hub", "dry-room", "day", "week1")] == 1
    assert f.booked[("hub", "dry-room", "day", "horizon")] == 2
    util = f.utilisation()
    assert util[("hub", "dry-room", "day", "week2")] == 0.1
    assert util[("hub", "dry-room", "evening", "week1")] == 0.0
    assert f.demand == {("dry-room", "day"): 2, ("dry-room", "evening"): 1}
    assert f.type_capacity == {("dry-room", "day"): 20, ("dry-room", "evening"): 10}


def test_unavailable_days_and_closed_site_days_are_no_capacity() -> None:
    data = world()
    data["equipment"][0]["unavailable"] = [{"from": "2027-01-04", "to": "2027-01-05"}]
    data["calendars"] = {"school": [{"from": "2027-01-06", "to": "2027-01-06"}]}
    cat = catalogue(equipment=data["equipment"], calendars=data["calendars"])
    f = region_figures(cat, {}, {}, [], [], BEFORE)
    assert f.capacity[("hub", "dry-room", "day", "week1")] == 2 * 2  # Thu, Fri


def test_a_container_is_its_own_row_without_its_days_on_the_truck() -> None:
    move = trip("2027-01-11", "2027-01-13", to="near", km=25.0)
    f = region_figures(catalogue(containers=[container()]), {}, {}, [], [move], BEFORE)
    assert f.capacity[("box-1", MOBILE, "day", "horizon")] == 8 * 2
    assert f.type_capacity[("dry-room", "day")] == 20 + 16  # counted under its type too
    box = f.containers["box-1"]
    assert (box.site, box.moves, box.meters, box.next_move) == (
        "depot",
        1,
        25_000.0,
        dt.date(2027, 1, 11),
    )
    assert container_site("depot", [move], dt.date(2027, 1, 12)) == IN_TRANSIT
    assert container_site("depot", [move], dt.date(2027, 1, 13)) == "near"


def test_waitlist_by_school_and_programme_keeps_the_label_values_bounded() -> None:
    n = TOP_PROGRAMMES + 2
    rs = {f"w{i}": req(f"w{i}", programme=f"prog-{i}") for i in range(n)}
    rs["x"] = req("x", programme="prog-0", site="far")
    f = region_figures(catalogue(), rs, dict.fromkeys(rs, "waitlisted"), [], [], BEFORE)
    programmes = {p for _, p in f.waitlist}
    assert len(programmes) == TOP_PROGRAMMES + 1 and "other" in programmes
    assert f.waitlist[("near", "other")] == 2
    assert f.waitlist[("far", "prog-0")] == 1
    assert sum(f.waitlist.values()) == n + 1
