"""What the gateway's HTTP views (and ``hubplan moves``) call: one function per view.

Each takes a validated scenario and schedule and returns the body to send,
so an HTTP handler is a lookup plus one call. The gateway has no scenario
file, only a region's catalogue (``CatalogueLoaded``) and its plan
(``plan_document``); :func:`scenario_of_catalogue` bridges the first.

The gateway's routes (``services/gateway/logistics_routes.py``, role
``logistics`` or ``operator``) and what each calls::

    GET /v1/logistics/{region}/orders[?from&until&container&today&format=csv]
                                              orders_json / orders_csv_text
    GET /v1/logistics/{region}/changes?since=[&container&today&format=csv]
                                              changes.compare_moves (live plan history)
    GET /v1/logistics/{region}/containers/{id}.ics[?today]   container_ics  text/calendar
    GET /v1/logistics/{region}/sites/{id}.ics[?today]        site_ics       text/calendar
    GET /v1/logistics/{region}/fleet.ics[?today]             fleet_ics      text/calendar
    GET /v1/logistics/{region}/chart.svg|.png[?container]    chart_drawing  image/svg+xml|png
    GET /v1/logistics/{region}/map.svg|.png[?container]      map_drawing    image/svg+xml|png

Errors are :class:`services.logistics.errors.LogisticsError`: the gateway
maps ``UnknownReferenceError`` to 404 and the others to 422.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from schemas.scenario import Scenario
from schemas.schedule import Schedule
from services.logistics.book import scenario_of_catalogue as scenario_of_catalogue
from services.logistics.calendars import container_calendar, fleet_calendar, site_calendar
from services.logistics.drawing import Drawing
from services.logistics.errors import UnknownReferenceError
from services.logistics.exports import moves_document, moves_json, orders_csv
from services.logistics.itinerary import (
    DEFAULT_NOTICE_DAYS,
    schedule_itineraries,
    transport_orders,
)
from services.logistics.models import Itinerary, MovesDocument, TransportOrder
from services.logistics.pictures import gantt_chart, site_map

CSV_TYPE = "text/csv; charset=utf-8"
ICS_TYPE = "text/calendar; charset=utf-8"
SVG_TYPE = "image/svg+xml"
PNG_TYPE = "image/png"


def itineraries_for(
    scenario: Scenario, schedule: Schedule, container: str | None = None
) -> dict[str, Itinerary]:
    """Itineraries of every container, or of ``container`` only (404 if unknown)."""
    its = schedule_itineraries(scenario, schedule)
    if container is not None and container not in its:
        raise UnknownReferenceError("container", container, list(its))
    return {k: v for k, v in its.items() if container in (None, k)}


def orders(
    scenario: Scenario,
    schedule: Schedule,
    *,
    container: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> list[TransportOrder]:
    """Transport orders departing in ``[since, until]``; ``locked`` relative to ``today``."""
    return transport_orders(
        scenario,
        schedule.container_moves,
        container=container,
        since=since,
        until=until,
        today=today,
        notice_days=notice_days,
    )


def orders_document(
    scenario: Scenario,
    schedule: Schedule,
    *,
    container: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> MovesDocument:
    """Orders plus itineraries: the JSON view (a pydantic model: FastAPI response_model)."""
    chosen = itineraries_for(scenario, schedule, container)
    found = orders(
        scenario,
        schedule,
        container=container,
        since=since,
        until=until,
        today=today,
        notice_days=notice_days,
    )
    return moves_document(scenario, found, chosen.values(), today=today, notice_days=notice_days)


def orders_json(scenario: Scenario, schedule: Schedule, **filters: Any) -> str:
    return moves_json(orders_document(scenario, schedule, **filters))


def orders_csv_text(scenario: Scenario, schedule: Schedule, **filters: Any) -> str:
    return orders_csv(orders(scenario, schedule, **filters))


def container_ics(
    scenario: Scenario,
    schedule: Schedule,
    container: str,
    *,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    plan_changed: dt.datetime | None = None,
) -> bytes:
    """The calendar feed of one container (subscribe URL for its owner).

    ``today`` sets CONFIRMED/TENTATIVE by the notice period; ``plan_changed``
    (when the plan last changed) sets the events' SEQUENCE (``calendars.py``).
    """
    chosen = itineraries_for(scenario, schedule, container)
    return container_calendar(
        scenario,
        chosen[container],
        today=today,
        notice_days=notice_days,
        plan_changed=plan_changed,
    )


def site_ics(
    scenario: Scenario,
    schedule: Schedule,
    site: str,
    *,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    plan_changed: dt.datetime | None = None,
) -> bytes:
    """The calendar feed of one site: which container arrives, sets up, stands, leaves."""
    return site_calendar(
        scenario,
        itineraries_for(scenario, schedule, None),
        site,
        today=today,
        notice_days=notice_days,
        plan_changed=plan_changed,
    )


def fleet_ics(
    scenario: Scenario,
    schedule: Schedule,
    *,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    plan_changed: dt.datetime | None = None,
) -> bytes:
    """Every container's feed in one (the logistics coordinator's)."""
    return fleet_calendar(
        scenario,
        itineraries_for(scenario, schedule, None),
        today=today,
        notice_days=notice_days,
        plan_changed=plan_changed,
    )


def chart_drawing(
    scenario: Scenario,
    schedule: Schedule,
    *,
    container: str | None = None,
    today: dt.date | None = None,
) -> Drawing:
    """Gantt chart of stays, transits and setups (``.svg()``, or ``.png()`` with matplotlib)."""
    return gantt_chart(scenario, itineraries_for(scenario, schedule, container), today=today)


def map_drawing(scenario: Scenario, schedule: Schedule, *, container: str | None = None) -> Drawing:
    """Map of the sites with every move leg drawn."""
    return site_map(scenario, itineraries_for(scenario, schedule, container))


def chart_svg(
    scenario: Scenario,
    schedule: Schedule,
    *,
    container: str | None = None,
    today: dt.date | None = None,
) -> str:
    return chart_drawing(scenario, schedule, container=container, today=today).svg()


def map_svg(scenario: Scenario, schedule: Schedule, *, container: str | None = None) -> str:
    return map_drawing(scenario, schedule, container=container).svg()
