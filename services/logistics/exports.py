"""Transport orders and itineraries as CSV, JSON and iCalendar (RFC 5545).

CSV is for the haulier's spreadsheet, JSON for programs (the gateway's HTTP
views return the same document), iCalendar for people: a school subscribes
to its site feed, a container's owner to the container feed.

Calendar events are all-day (``DTSTART;VALUE=DATE``, exclusive ``DTEND``)
because rule 6 plans in working days, not hours. UIDs are built from the
container, route and date, never random: re-exporting the same plan gives
the same UIDs, so a subscribed calendar updates in place instead of
duplicating events.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping

from icalendar import Calendar, Event

from schemas.scenario import Scenario
from services.logistics.errors import UnknownReferenceError
from services.logistics.itinerary import DEFAULT_NOTICE_DAYS, notice_deadline
from services.logistics.models import (
    ORDER_COLUMNS,
    Itinerary,
    Leg,
    MovesDocument,
    Stay,
    TransportOrder,
)

PRODID = "-//hubplan//container logistics//EN"
UID_DOMAIN = "hubplan"
ONE_DAY = dt.timedelta(days=1)


# -- CSV ---------------------------------------------------------------------------
def orders_csv(orders: Iterable[TransportOrder]) -> str:
    """One row per order, header first; dates ISO, ``locked`` as true/false."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ORDER_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for order in orders:
        row = order.model_dump(mode="json", by_alias=True)
        row["locked"] = "true" if order.locked else "false"
        writer.writerow(row)
    return buf.getvalue()


def read_orders_csv(text: str) -> list[TransportOrder]:
    """Parse :func:`orders_csv` output back (lax: CSV cells are all text)."""
    return [
        TransportOrder.model_validate(row, strict=False)
        for row in csv.DictReader(io.StringIO(text))
    ]


# -- JSON --------------------------------------------------------------------------
def moves_document(
    scenario: Scenario,
    orders: list[TransportOrder],
    itineraries: Iterable[Itinerary],
    *,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> MovesDocument:
    return MovesDocument(
        scenario=scenario.name or "scenario",
        today=today,
        notice_days=notice_days,
        notice_deadline=notice_deadline(scenario, today, notice_days) if today else None,
        orders=orders,
        itineraries=list(itineraries),
    )


def moves_json(document: MovesDocument) -> str:
    return document.model_dump_json(indent=2, by_alias=True) + "\n"


def read_moves_json(text: str) -> MovesDocument:
    return MovesDocument.model_validate_json(text)


# -- iCalendar ---------------------------------------------------------------------
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
    transparent: bool = False,
) -> Event:
    ev = Event()
    ev.add("uid", uid)
    ev.add("dtstamp", stamp)
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
) -> list[Event]:
    """The transit event, and the setup event when the leg has setup days."""
    sites = {s.id: s for s in scenario.sites}
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
                f"{len(leg.transit_dates)} working day(s) in transit. Ready at {b.name} "
                f"on {leg.ready.isoformat()}. Receiving site: {b.name}."
            ),
            category="transit",
            status=status,
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
            )
        )
    return out


def stay_event(scenario: Scenario, stay: Stay, stamp: dt.datetime) -> Event:
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
    locked = leg.depart <= notice_deadline(scenario, today, notice_days)
    return "CONFIRMED" if locked else "TENTATIVE"


def itinerary_events(
    scenario: Scenario,
    itinerary: Itinerary,
    *,
    site: str | None = None,
    stamp: dt.datetime,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
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
            )
    events += [
        stay_event(scenario, s, stamp) for s in itinerary.stays if site is None or s.site == site
    ]
    return events


def container_calendar(
    scenario: Scenario,
    itinerary: Itinerary,
    *,
    stamp: dt.datetime | None = None,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> bytes:
    """The feed of one container: its transits, setups and stays."""
    events = itinerary_events(
        scenario, itinerary, stamp=stamp or _now(), today=today, notice_days=notice_days
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
) -> bytes:
    """The feed of one site: containers arriving, setting up, standing, leaving."""
    names = {s.id: s.name for s in scenario.sites}
    if site not in names:
        raise UnknownReferenceError("site", site, list(names))
    events = [
        e
        for it in itineraries.values()
        for e in itinerary_events(
            scenario, it, site=site, stamp=stamp or _now(), today=today, notice_days=notice_days
        )
    ]
    return _calendar(f"hubplan: {names[site]}", f"Container labs at {names[site]}", events)


def fleet_calendar(
    scenario: Scenario,
    itineraries: Mapping[str, Itinerary],
    *,
    stamp: dt.datetime | None = None,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> bytes:
    """All containers in one feed (for the logistics coordinator)."""
    events = [
        e
        for it in itineraries.values()
        for e in itinerary_events(
            scenario, it, stamp=stamp or _now(), today=today, notice_days=notice_days
        )
    ]
    return _calendar(
        f"hubplan: container labs ({scenario.name or 'plan'})",
        "Moves and stays of every container lab",
        events,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
