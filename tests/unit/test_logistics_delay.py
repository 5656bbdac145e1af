"""A delayed truck's extra days are transit, not setup, in orders, events and calendars."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar

from services.logistics.book import planned_move
from services.logistics.calendars import container_calendar, site_calendar
from services.logistics.itinerary import itineraries, split_days, transport_orders
from tests.builders import container, parse, trip, world

D = dt.date.fromisoformat
# depot -> far: one day of driving, one of setup. Leaving Wednesday 13th it would be
# ready Friday 15th; the truck was reported late and it is ready Tuesday 19th.
DELAYED = trip("2027-01-13", "2027-01-19")
ON_TIME = trip("2027-01-13", "2027-01-15")


def _scenario():  # type: ignore[no-untyped-def]
    return parse(
        world(horizon={"start": "2027-01-04", "end": "2027-01-29"}, containers=[container()])
    )


def test_split_days_books_a_delay_as_transit() -> None:
    assert split_days(2, 1, 1) == (1, 1)  # rule 6 exactly
    assert split_days(4, 1, 1) == (3, 1)  # two days late: still on the road
    assert split_days(1, 1, 1) == (1, 0)  # shorter than rule 6: driving first
    assert split_days(4, 1, None) == (1, 3)  # unknown container: as before


def test_a_delayed_trip_reads_transit_3_setup_1_everywhere() -> None:
    sc = _scenario()
    (order,) = transport_orders(sc, [DELAYED], today=D("2027-01-14"))
    assert (order.transit_days, order.setup_days) == (3, 1)
    event_move = planned_move(sc, DELAYED, D("2027-01-14"))
    assert (event_move.transit_days, event_move.setup_days) == (3, 1)
    (leg,) = itineraries(sc, [DELAYED])["box-1"].legs
    assert leg.transit_dates == [D("2027-01-13"), D("2027-01-14"), D("2027-01-15")]
    assert leg.setup_dates == [D("2027-01-18")]
    # the site's calendar shows setup only on Monday 18th; the transit says it is late
    its = itineraries(sc, [DELAYED])
    for feed in (container_calendar(sc, its["box-1"]), site_calendar(sc, its, "far")):
        events = {
            str(e["summary"]).split(":")[0]: e for e in Calendar.from_ical(feed).walk("VEVENT")
        }
        setup = events["Setup"]
        assert setup.decoded("dtstart") == D("2027-01-18")
        assert setup.decoded("dtend") == D("2027-01-19")  # all-day: end exclusive
        assert "2 of them delayed" in str(events["Transit"]["description"])
    # on time: one day each, and no delay mentioned
    (order,) = transport_orders(sc, [ON_TIME], today=D("2027-01-14"))
    assert (order.transit_days, order.setup_days) == (1, 1)
