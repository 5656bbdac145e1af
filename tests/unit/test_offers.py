"""Counter-offers fit right now, are ranked, and say so in both languages."""

from __future__ import annotations

from services.planner.insert import LivePlan
from services.planner.offers import counter_offers
from tests.builders import parse, request, world


def _live(*reqs):
    data = world(requests=list(reqs))
    scenario = parse(data)
    live = LivePlan(scenario, {})
    return live, scenario


def test_full_day_gets_a_wider_window_and_fewer_sessions() -> None:
    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    live, sc = _live(request("a", **day), request("b", **day), request("c", sessions=2, **day))
    live.add(sc.requests[0])
    live.add(sc.requests[1])
    offers = counter_offers(live, sc.requests[2])
    kinds = [o.kind for o in offers]
    assert kinds[0] == "window"
    assert all(o.sessions for o in offers)
    assert "uke" in offers[0].text_nb and "week" in offers[0].text_en
    # nothing was booked by asking
    assert live.try_add(sc.requests[0]) is not None and "c" not in live.bookings


def test_too_far_gets_the_hub_with_its_minutes() -> None:
    live, sc = _live(request("f", site="far", max_travel_minutes=60))
    offers = counter_offers(live, sc.requests[0])
    further = next(o for o in offers if o.kind == "further")
    assert further.request.max_travel_minutes == 186
    assert "Hub vgs" in further.text_en and "186 minutes" in further.text_en


def test_big_group_gets_a_smaller_group() -> None:
    live, sc = _live(request("g", group_size=16))
    offers = counter_offers(live, sc.requests[0])
    smaller = next(o for o in offers if o.kind == "smaller")
    assert smaller.request.group_size == 12 and "gruppe på 12" in smaller.text_nb


def test_a_fagskole_class_gets_the_evening_and_a_schools_pupils_do_not() -> None:
    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    data = world(requests=[request("a", **day), request("b", **day), request("c", **day)])
    data["sites"][1]["kind"] = "fagskole"  # "near": its students are adults
    live = LivePlan(parse(data), {})
    sc = live.inst.scenario
    live.add(sc.requests[0])
    live.add(sc.requests[1])  # both day slots of the only date taken
    evening = next(o for o in counter_offers(live, sc.requests[2]) if o.kind == "evening")
    assert evening.request.audience == "adults"
    assert [(s.date.isoformat(), s.slot) for s in evening.sessions] == [("2027-01-05", "eve")]
    assert "kveldskurs" in evening.text_nb and "evening course" in evening.text_en

    school, sc2 = _live(request("a", **day), request("b", **day), request("c", **day))
    school.add(sc2.requests[0])
    school.add(sc2.requests[1])
    assert all(o.kind != "evening" for o in counter_offers(school, sc2.requests[2]))


def test_fewer_sessions_offers_the_most_that_fit() -> None:
    # Mon 4 .. Fri 8, two day slots, one unit: 10 unit-slots, distinct dates per request
    week = {"earliest": "2027-01-04", "latest": "2027-01-08"}
    live, sc = _live(
        request("busy", sessions=2, earliest="2027-01-04", latest="2027-01-05"),
        request("busy2", sessions=2, earliest="2027-01-04", latest="2027-01-05"),
        request("many", sessions=250, **week),
    )
    live.add(sc.requests[0])
    live.add(sc.requests[1])  # Mon and Tue are full: Wed-Fri are left
    fewer = next(o for o in counter_offers(live, sc.requests[2], limit=5) if o.kind == "fewer")
    assert fewer.request.sessions == 3
    assert [str(s.date) for s in fewer.sessions] == ["2027-01-06", "2027-01-07", "2027-01-08"]
    assert "3 session(s) instead of 250" in fewer.text_en
