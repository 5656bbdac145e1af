"""Itineraries as iCalendar feeds (RFC 5545): one per container, per site, per fleet.

For people: a school subscribes to its site feed, a container's owner to
the container feed, the logistics coordinator to the fleet feed.

Calendar events are all-day (``DTSTART;VALUE=DATE``, exclusive ``DTEND``)
because rule 6 plans in working days, not hours. UIDs are built from the
container, route and date, never random: re-exporting the same plan gives
the same UIDs, so a subscribed calendar updates in place instead of
duplicating events.

An event whose UID stays while its content changes (a new ready day, a stay
that ends earlier, TENTATIVE becoming CONFIRMED) must carry a higher
``SEQUENCE``, or calendar clients keep the old copy (RFC 5545 3.8.7.4).
Every event of a feed carries the feed's *revision*: ``LAST-MODIFIED`` is
the time the plan last changed (the later of that and the start of the
reference day, whose notice period sets the status), and ``SEQUENCE`` is
that time in seconds since 2020-01-01 UTC. Both only grow, need no stored
state, and stay put while nothing changes; they grow for every event at
once, which a client simply reads as "updated".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from icalendar import Calendar, Event

from schemas.scenario import Scenario
from services.logistics.errors import UnknownReferenceError
from services.logistics.itinerary import DEFAULT_NOTICE_DAYS
from services.logistics.models import Itinerary, Leg, Stay
from services.planner.calendar import in_notice_period, transit_days

PRODID = "-//hubplan//container logistics//EN"
UID_DOMAIN = "hubplan"
ONE_DAY = dt.timedelta(days=1)
SEQUENCE_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def revision(plan_changed: dt.datetime | None, today: dt.date | None) -> dt.datetime:
    """A feed's revision: when its plan last changed, or the reference day began if later.

    ``plan_changed`` None means unknown: now (an export of a plan nobody dated).
    """
    times = [plan_changed or dt.datetime.now(dt.UTC)]
    if today is not None:
        times.append(dt.datetime.combine(today, dt.time(), dt.UTC))
    return max(t if t.tzinfo else t.replace(tzinfo=dt.UTC) for t in times).replace(microsecond=0)


def sequence_of(revised: dt.datetime) -> int:
    """``SEQUENCE`` for a revision: seconds since 2020 (grows with it; fits 32 bits to 2088)."""
    return max(0, int((revised - SEQUENCE_EPOCH).total_seconds()))


def _delay(leg: Leg) -> str:
    """ ", N of them delayed" when the truck takes longer than its driving time says."""
    late = leg.transit_days - transit_days(leg.truck_minutes)
    return f", {late} of them delayed" if late > 0 else ""


def _uid(kind: str, *parts: str) -> str:
    return f"{kind}-{'-'.join(parts)}@{UID_DOMAIN}"


def _all_day(
    uid: str,
    summary: str,
    first: dt.date,
    last: dt.date,
    stamp: dt.datetime,
    *,
    location: str,
    geo: tuple[float, float],
    description: str,
    category: str,
    status: str | None,
    revised: dt.datetime,
    transparent: bool = False,
) -> Event:
    ev = Event()
    ev.add("uid", uid)
    ev.add("dtstamp", stamp)
    ev.add("last-modified", revised)
    ev.add("sequence", sequence_of(revised))
    ev.add("summary", summary)
    ev.add("dtstart", first)
    ev.add("dtend", last + ONE_DAY)  # exclusive end date, RFC 5545 3.6.1
    ev.add("location", location)
    ev.add("geo", geo)
    ev.add("description", description)
    ev.add("categories", [category])
    ev.add("transp", "TRANSPARENT" if transparent else "OPAQUE")
    if status:
        ev.add("status", status)
    return ev


def leg_events(
    scenario: Scenario,
    leg: Leg,
    stamp: dt.datetime,
    status: str | None = None,
    *,
    setup: bool = True,
    revised: dt.datetime | None = None,
) -> list[Event]:
    """The transit event, and the setup event when the leg has setup days."""
    sites = {s.id: s for s in scenario.sites}
    revised = revised or stamp
    a, b = sites[leg.from_site], sites[leg.to_site]
    route = (leg.container, leg.from_site, leg.to_site, leg.depart.strftime("%Y%m%d"))
    out = [
        _all_day(
            _uid("transit", *route),
            f"Transit: {leg.container} {a.name} → {b.name}",
            leg.transit_dates[0] if leg.transit_dates else leg.depart,
            leg.transit_dates[-1] if leg.transit_dates else leg.depart,
            stamp,
            location=a.name,
            geo=(a.lat, a.lon),
            description=(
                f"{leg.km:.0f} km, {leg.driving_hours} h driving, "
                f"{len(leg.transit_dates)} working day(s) in transit{_delay(leg)}. "
                f"Ready at {b.name} "
                f"on {leg.ready.isoformat()}. Receiving site: {b.name}."
            ),
            category="transit",
            status=status,
            revised=revised,
        )
    ]
    if setup and leg.setup_dates:
        out.append(
            _all_day(
                _uid("setup", *route),
                f"Setup: {leg.container} at {b.name}",
                leg.setup_dates[0],
                leg.setup_dates[-1],
                stamp,
                location=b.name,
                geo=(b.lat, b.lon),
                description=(
                    f"{len(leg.setup_dates)} working day(s) of setup; no sessions until "
                    f"{leg.ready.isoformat()}."
                ),
                category="setup",
                status=status,
                revised=revised,
            )
        )
    return out


def stay_event(
    scenario: Scenario, stay: Stay, stamp: dt.datetime, revised: dt.datetime | None = None
) -> Event:
    site = next(s for s in scenario.sites if s.id == stay.site)
    lines = [f"{s.date.isoformat()} {s.slot}: {s.request} #{s.index}" for s in stay.sessions]
    held = f"{len(lines)} session(s):\n" + "\n".join(lines) if lines else "No sessions planned."
    return _all_day(
        _uid("stay", stay.container, stay.site, stay.start.strftime("%Y%m%d")),
        f"{stay.container} at {stay.site_name}",
        stay.start,
        stay.end,
        stamp,
        location=site.name,
        geo=(site.lat, site.lon),
        description=held,
        category="stay",
        status=None,
        revised=revised or stamp,
        transparent=True,  # a weeks-long stay must not block anyone's free/busy
    )


def _calendar(name: str, description: str, events: list[Event]) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)  # the display name Google/Apple/Outlook show
    cal.add("name", name)  # RFC 7986 spelling of the same
    cal.add("x-wr-caldesc", description)
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for ev in sorted(events, key=lambda e: (e.decoded("dtstart"), str(e["uid"]))):
        cal.add_component(ev)
    return bytes(cal.to_ical())


def _status(scenario: Scenario, leg: Leg, today: dt.date | None, notice_days: int) -> str | None:
    """CONFIRMED inside the notice period, TENTATIVE after it (when a day is given)."""
    if today is None:
        return None
    locked = in_notice_period(scenario, leg.depart, today, notice_days)
    return "CONFIRMED" if locked else "TENTATIVE"


def itinerary_events(
    scenario: Scenario,
    itinerary: Itinerary,
    *,
    site: str | None = None,
    stamp: dt.datetime,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    revised: dt.datetime | None = None,
) -> list[Event]:
    """Events of one container, or only those touching ``site`` when given."""
    events = []
    for leg in itinerary.legs:
        if site is None or site in (leg.from_site, leg.to_site):
            # a site sees a setup only where it happens: at the destination
            events += leg_events(
                scenario,
                leg,
                stamp,
                _status(scenario, leg, today, notice_days),
                setup=site is None or site == leg.to_site,
                revised=revised,
            )
    events += [
        stay_event(scenario, s, stamp, revised)
        for s in itinerary.stays
        if site is None or s.site == site
    ]
    return events


def _feed_events(
    scenario: Scenario,
    itineraries: Iterable[Itinerary],
    *,
    site: str | None,
    stamp: dt.datetime | None,
    today: dt.date | None,
    notice_days: int,
    plan_changed: dt.datetime | None,
) -> list[Event]:
    """The events of a feed, every one stamped with the feed's one revision."""
    stamp = stamp or _now()
    revised = revision(plan_changed or stamp, today)
    return [
        e
        for it in itineraries
        for e in itinerary_events(
            scenario,
            it,
            site=site,
            stamp=stamp,
            today=today,
            notice_days=notice_days,
            revised=revised,
        )
    ]


def container_calendar(
    scenario: Scenario,
    itinerary: Itinerary,
    *,
    stamp: dt.datetime | None = None,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    plan_changed: dt.datetime | None = None,
) -> bytes:
    """The feed of one container: its transits, setups and stays.

    ``plan_changed``: when the plan last changed (the feed's revision, see the
    module docstring); unknown, the export time is taken.
    """
    events = _feed_events(
        scenario,
        [itinerary],
        site=None,
        stamp=stamp,
        today=today,
        notice_days=notice_days,
        plan_changed=plan_changed,
    )
    return _calendar(
        f"hubplan: {itinerary.container}",
        f"Moves and stays of container lab {itinerary.container}",
        events,
    )


def site_calendar(
    scenario: Scenario,
    itineraries: Mapping[str, Itinerary],
    site: str,
    *,
    stamp: dt.datetime | None = None,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    plan_changed: dt.datetime | None = None,
) -> bytes:
    """The feed of one site: containers arriving, setting up, standing, leaving."""
    names = {s.id: s.name for s in scenario.sites}
    if site not in names:
        raise UnknownReferenceError("site", site, list(names))
    events = _feed_events(
        scenario,
        itineraries.values(),
        site=site,
        stamp=stamp,
        today=today,
        notice_days=notice_days,
        plan_changed=plan_changed,
    )
    return _calendar(f"hubplan: {names[site]}", f"Container labs at {names[site]}", events)


def fleet_calendar(
    scenario: Scenario,
    itineraries: Mapping[str, Itinerary],
    *,
    stamp: dt.datetime | None = None,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    plan_changed: dt.datetime | None = None,
) -> bytes:
    """All containers in one feed (for the logistics coordinator)."""
    events = _feed_events(
        scenario,
        itineraries.values(),
        site=None,
        stamp=stamp,
        today=today,
        notice_days=notice_days,
        plan_changed=plan_changed,
    )
    return _calendar(
        f"hubplan: container labs ({scenario.name or 'plan'})",
        "Moves and stays of every container lab",
        events,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
