"""Pointless container trips are cut out, and the result still keeps rule 6."""

from __future__ import annotations

from services.planner.calendar import move_span
from services.planner.instance import build_instance
from services.planner.ledger import Booking
from services.planner.model.variables import Move
from services.planner.options import CONTAINER
from services.planner.tidy_moves import tidy_moves
from tests.builders import container, parse, request, world


def _setup():
    data = world(
        containers=[container()],
        requests=[request("f", site="far", max_travel_minutes=20)],
        horizon={"start": "2027-01-04", "end": "2027-01-29"},
    )
    inst = build_instance(parse(data))
    return inst


def test_detour_through_an_unused_stay_becomes_one_trip() -> None:
    inst = _setup()
    span = lambda a, b: move_span(inst.travel.truck_minutes(a, b), 1)  # noqa: E731
    first = Move(0, "depot", "near", 0, span("depot", "near"))
    second = Move(0, "near", "far", first.ready + 1, first.ready + 1 + span("near", "far"))
    session = Booking(0, 0, CONTAINER, 0, second.ready + 2, 0, "far", 10.0)
    tidy = tidy_moves(inst, [session], [first, second])
    assert tidy == [Move(0, "depot", "far", 0, span("depot", "far"))]
    assert tidy[0].ready <= session.day


def test_trailing_and_round_trips_are_dropped() -> None:
    inst = _setup()
    out = Move(0, "depot", "far", 0, 3)
    back = Move(0, "far", "depot", 5, 8)
    session = Booking(0, 0, CONTAINER, 0, 12, 0, "depot", 1.0)
    assert tidy_moves(inst, [session], [out, back]) == []  # never used at "far"
    used_far = Booking(0, 0, CONTAINER, 0, 4, 0, "far", 1.0)
    assert tidy_moves(inst, [used_far], [out, back]) == [out]  # nothing happens after "back"


def test_merged_trip_is_ready_before_the_first_session_there() -> None:
    inst = _setup()
    first = Move(0, "depot", "near", 0, 2)
    second = Move(0, "near", "hub", 3, 5)
    session = Booking(0, 0, CONTAINER, 0, 5, 0, "hub", 1.0)
    tidy = tidy_moves(inst, [session], [first, second])
    assert len(tidy) == 1 and (tidy[0].origin, tidy[0].target) == ("depot", "hub")
    assert tidy[0].ready <= session.day


def test_no_merge_when_the_direct_trip_is_longer() -> None:
    inst = _setup()
    # with an explicit matrix the detour can be faster than the direct road
    first = Move(0, "hub", "depot", 0, 2)
    second = Move(0, "depot", "far", 3, 6)
    inst.travel.explicit.setdefault("hub", {})["far"] = 5000.0  # a day's drive and more
    session = Booking(0, 0, CONTAINER, 0, 6, 0, "far", 1.0)
    kept = tidy_moves(inst, [session], [first, second])
    assert [(m.origin, m.target) for m in kept] in (
        [("hub", "depot"), ("depot", "far")],
        [("hub", "far")],
    )
    for m in kept:
        if (m.origin, m.target) == ("hub", "far"):
            assert m.ready <= session.day
