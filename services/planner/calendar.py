"""Which dates can hold sessions, and how container moves count working days.

Rule 1 and rule 6 of the spec, as plain functions of the scenario. A
*working day* is an allowed weekday that is not in ``closed``; a date is
*usable at a site* when it is a working day and not in the site's calendar.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from schemas.common import DateRange
from schemas.scenario import Horizon, Scenario

OSLO = ZoneInfo("Europe/Oslo")  # dates in a scenario are Norwegian dates

TRUCK_MINUTES_PER_DAY = 480  # rule 6: one working day of driving


def in_ranges(day: dt.date, ranges: Iterable[DateRange]) -> bool:
    return any(r.from_ <= day <= r.to for r in ranges)


def horizon_dates(scenario: Scenario) -> list[dt.date]:
    start, end = scenario.horizon.start, scenario.horizon.end
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def working_days(scenario: Scenario) -> list[dt.date]:
    """Allowed weekdays in the horizon that are not closed everywhere."""
    weekdays = set(scenario.weekdays)
    return [
        d
        for d in horizon_dates(scenario)
        if d.isoweekday() in weekdays and not in_ranges(d, scenario.closed)
    ]


def closed_at_site(scenario: Scenario, site_id: str) -> list[DateRange]:
    """The calendar ranges of a site (empty when it has no calendar)."""
    site = next(s for s in scenario.sites if s.id == site_id)
    return list(scenario.calendars.get(site.calendar, [])) if site.calendar else []


def transit_days(truck_minutes: float) -> int:
    """Working days a truck needs, the departure day counted (rule 6)."""
    return max(1, math.ceil(truck_minutes / TRUCK_MINUTES_PER_DAY - 1e-9))


def move_span(truck_minutes: float, setup_days: int) -> int:
    """Working days from ``depart`` up to, not including, ``ready``."""
    return transit_days(truck_minutes) + setup_days


def ready_index(depart_index: int, truck_minutes: float, setup_days: int) -> int:
    """Index into the working-day list of the day a moved container is ready."""
    return depart_index + move_span(truck_minutes, setup_days)


def setup_start(scenario: Scenario, ready: dt.date, setup_days: int) -> dt.date:
    """The first setup day of a move ready on ``ready``: ``setup_days`` working days
    before it (``ready`` itself without setup). A delayed truck's extra days are
    transit, so this holds for a delayed move too."""
    day, left = ready, setup_days
    while left > 0:
        day -= dt.timedelta(days=1)
        if is_working_day(scenario, day):
            left -= 1
    return day


def pad_takes(ranges: Iterable[DateRange], first_setup: dt.date, ready: dt.date) -> bool:
    """Rule 6 as read here: the container stands on the destination pad from its first
    setup day to ``ready`` (every date between, weekends too), so a pad that is
    unavailable on any of those dates cannot take the move."""
    return not any(r.from_ <= ready and first_setup <= r.to for r in ranges)


def is_working_day(scenario: Scenario, day: dt.date) -> bool:
    """Rule 6's working day, on any date (not only inside the horizon)."""
    return day.isoweekday() in scenario.weekdays and not in_ranges(day, scenario.closed)


def notice_deadline(scenario: Scenario, today: dt.date, notice_days: int) -> dt.date:
    """The last departure date inside the logistics notice period on ``today``.

    The one definition of the notice period, for the planner (repair and the
    background optimiser keep such trips) and for logistics (orders marked
    locked) alike. A trip is inside a notice period of n working days when
    it departs within the next n working days after ``today``: on or before
    the n-th working day after today, today itself not counted. A trip that
    departs on or before today has left already and is inside too.

    Monday 2027-01-11 with 5: Tuesday 12th to Monday 18th, so a trip leaving
    on the 18th is locked and one leaving on the 19th is not. Saturday
    2027-01-16 with 5: Monday 18th to Friday 22nd. With 0: up to today.
    Days are counted past the horizon end.
    """
    if not scenario.weekdays:
        raise ValueError("the scenario allows no weekdays")
    day, left = today, notice_days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(scenario, day):
            left -= 1
    return day


def reference_day(
    scenario_or_horizon: Scenario | Horizon, now: dt.datetime | dt.date | None = None
) -> dt.date:
    """The day the notice period counts from: today in Norway, never before the horizon opens.

    The one "today" of the scheduler (optimiser and repair), the logistics
    service (move events, itineraries) and the gateway (orders, feeds), so a
    trip the planner keeps as booked is ``locked`` everywhere. Before a term
    starts, the first trips of the term are the ones about to be booked, so
    the count starts at the horizon start. ``now``: a date (taken as a
    Norwegian date), an aware time (converted to Oslo), or None for the clock.
    """
    horizon = (
        scenario_or_horizon.horizon
        if isinstance(scenario_or_horizon, Scenario)
        else scenario_or_horizon
    )
    if now is None:
        now = dt.datetime.now(OSLO)
    if isinstance(now, dt.datetime):
        now = now.astimezone(OSLO).date() if now.tzinfo else now.date()
    return max(now, horizon.start)


def in_notice_period(scenario: Scenario, depart: dt.date, today: dt.date, notice_days: int) -> bool:
    """A trip departing on ``depart`` is inside the notice period (see ``notice_deadline``)."""
    return depart <= notice_deadline(scenario, today, notice_days)


def iso_week(day: dt.date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return (year, week)


def index_of(days: Sequence[dt.date]) -> dict[dt.date, int]:
    return {d: i for i, d in enumerate(days)}
