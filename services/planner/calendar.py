"""Which dates can hold sessions, and how container moves count working days.

Rule 1 and rule 6 of the spec, as plain functions of the scenario. A
*working day* is an allowed weekday that is not in ``closed``; a date is
*usable at a site* when it is a working day and not in the site's calendar.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence

from schemas.common import DateRange
from schemas.scenario import Scenario

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


def notice_cutoff(scenario: Scenario, today: dt.date, working: int) -> dt.date:
    """The first date after ``working`` working days counted from ``today``.

    Container trips departing before it are inside the logistics notice period.
    """
    days = [d for d in working_days(scenario) if d >= today]
    return days[working] if working < len(days) else scenario.horizon.end + dt.timedelta(days=1)


def iso_week(day: dt.date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return (year, week)


def index_of(days: Sequence[dt.date]) -> dict[dt.date, int]:
    return {d: i for i, d in enumerate(days)}
