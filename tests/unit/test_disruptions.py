"""Applying disruptions: a delay is a fact about a trip on the road, refused otherwise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from schemas.disruptions import DisruptionList
from services.planner.disruptions import Disrupted, DisruptionError, apply_disruptions
from tests.builders import container, parse, trip, world

D = dt.date.fromisoformat
ON_ROAD = trip("2027-01-13", "2027-01-15")  # box-1 depot -> far
LATER = trip("2027-01-20", "2027-01-22", frm="far", to="near")


def _apply(today: str, *items: dict[str, Any]) -> Disrupted:
    data = world(horizon={"start": "2027-01-04", "end": "2027-01-29"}, containers=[container()])
    events = DisruptionList.model_validate({"disruptions": list(items)}, strict=False).disruptions
    return apply_disruptions(parse(data), events, [ON_ROAD, LATER], D(today))


def _delay(ready: str) -> dict[str, Any]:
    return {"kind": "container-delayed", "container": "box-1", "ready": ready}


def test_a_delay_gives_the_trip_on_the_road_its_new_ready_day() -> None:
    after = _apply("2027-01-14", _delay("2027-01-19"))
    assert after.moves == [ON_ROAD.model_copy(update={"ready": D("2027-01-19")}), LATER]
    (box,) = after.scenario.containers
    (window,) = box.unavailable
    assert (window.from_, window.to) == (D("2027-01-13"), D("2027-01-18"))


@pytest.mark.parametrize(
    "today, ready, field, said",
    [
        ("2027-01-12", "2027-01-19", "container", "no trip that has left by 2027-01-12"),
        ("2027-01-14", "2027-01-15", "ready", "is not after its trip"),
        ("2027-01-14", "2027-02-01", "ready", "after the horizon end 2027-01-29"),
        ("2027-01-14", "2027-01-16", "ready", "is not a working day"),
    ],
)
def test_a_delay_is_refused_unless_the_truck_left_and_is_later_within_the_horizon(
    today: str, ready: str, field: str, said: str
) -> None:
    with pytest.raises(DisruptionError) as caught:
        _apply(today, _delay(ready))
    assert caught.value.field == field and said in str(caught.value)


def test_a_pad_cannot_close_on_the_arrival_day_of_a_trip_that_left() -> None:
    closed = {"kind": "pad-unavailable", "site": "far", "from": "2027-01-15", "to": "2027-01-16"}
    with pytest.raises(DisruptionError) as caught:
        _apply("2027-01-14", closed)
    assert caught.value.field == "from" and "report its delay" in str(caught.value)
    # the truck reported late first, so that its setup day (the working day before
    # ready, Monday 18th) and ready day miss the closure: both apply
    after = _apply("2027-01-14", _delay("2027-01-19"), closed)
    assert after.moves[0].ready == D("2027-01-19")
    # ready on Monday 18th would still be set up on Friday 15th, when the pad is closed
    with pytest.raises(DisruptionError):
        _apply("2027-01-14", _delay("2027-01-18"), closed)
    # a trip that has not left yet is the repair's to re-plan
    assert _apply("2027-01-12", closed).moves == [ON_ROAD, LATER]
