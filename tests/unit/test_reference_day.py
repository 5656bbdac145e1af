"""One reference day and one notice setting for the scheduler, logistics and the gateway.

Live, before a term opened, the scheduler kept trips of the term's first days
as booked (it counts from the horizon start) while the orders and the move
events called them open (they counted from the bare date), and a
HUBPLAN_NOTICE_DAYS of 10 reached only the scheduler.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from schemas.events import CatalogueLoaded, PlanChanged, RegionCatalogue
from schemas.logistics import MovePlanned, decode_logistics
from schemas.wire import encode
from services.gateway import logistics_routes
from services.gateway.api import create_app
from services.gateway.config import GatewaySettings
from services.logistics.config import LogisticsSettings
from services.logistics.handlers import Logistics, Tables
from services.planner import calendar
from services.planner.calendar import reference_day
from services.scheduler.config import SchedulerSettings
from tests.builders import container, parse, trip, world
from tests.unit.test_logistics_routes import LOGI, TOKENS, Client

D = dt.date.fromisoformat
BEFORE_TERM = D("2026-11-27")  # a Friday weeks before the horizon opens on 2027-01-04
HORIZON = {"start": "2027-01-04", "end": "2027-01-29"}


def test_reference_day_is_oslo_today_never_before_the_horizon() -> None:
    sc = parse(world(horizon=HORIZON))
    assert reference_day(sc, BEFORE_TERM) == D("2027-01-04")
    assert reference_day(sc.horizon, D("2027-01-13")) == D("2027-01-13")
    # 23:30 UTC on the 12th is already the 13th in Oslo
    late = dt.datetime(2027, 1, 12, 23, 30, tzinfo=dt.UTC)
    assert reference_day(sc, late) == D("2027-01-13")
    assert reference_day(sc) >= sc.horizon.start  # the clock, clamped


def test_one_notice_setting_for_all_three_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBPLAN_NOTICE_DAYS", "10")
    monkeypatch.setenv("HUBPLAN_TOKENS", json.dumps(TOKENS))
    assert SchedulerSettings().notice_days == 10
    assert LogisticsSettings().notice_days == 10
    assert GatewaySettings().notice_days == 10
    # the logistics service's old, documented variable is an alias of the shared one
    monkeypatch.delenv("HUBPLAN_NOTICE_DAYS")
    monkeypatch.setenv("HUBPLAN_LOGISTICS_NOTICE_DAYS", "7")
    assert LogisticsSettings().notice_days == 7


def _catalogue() -> RegionCatalogue:
    data = world(containers=[container("box-1")], horizon=HORIZON)
    fields = set(RegionCatalogue.model_fields)
    return RegionCatalogue.model_validate_json(
        json.dumps({k: v for k, v in data.items() if k in fields})
    )


def _plan(version: int, depart: str, ready: str) -> PlanChanged:
    return PlanChanged(
        region="r",
        version=version,
        cause="optimiser",
        served_value=0,
        requested_value=0,
        sessions=0,
        waitlisted=0,
        moves=[trip(depart, ready)],
    )


def test_move_events_before_the_term_count_from_the_horizon_start() -> None:
    svc = Logistics(Tables(), today=lambda: BEFORE_TERM)
    step = svc.on_operator_event(CatalogueLoaded(region="r", catalogue=_catalogue()))
    for name, key, value in step.writes:
        getattr(svc.store, name)[key] = value
    step = svc.on_plan(_plan(1, "2027-01-06", "2027-01-08"))
    (out,) = step.messages
    _, payload = decode_logistics(encode(out.event))
    assert isinstance(payload, MovePlanned)
    assert payload.move.locked  # the scheduler keeps it: 01-06 is inside 01-04 + 5 working days
    (_, _, state), *_ = step.writes
    assert state["as_of"] == "2027-01-04"


async def test_gateway_orders_use_the_reference_day_and_the_notice_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.gateway.readside import Projection
    from tests.unit.test_logistics_routes import at

    proj = Projection()
    for n, payload in enumerate(
        [CatalogueLoaded(region="r", catalogue=_catalogue()), _plan(1, "2027-01-15", "2027-01-19")]
    ):
        proj.apply(at(dt.datetime(2026, 11, 20, tzinfo=dt.UTC), payload, n), payload)
    # the clock says 27 November (before the term)
    monkeypatch.setattr(
        logistics_routes,
        "reference_day",
        lambda s, now=None: calendar.reference_day(s, BEFORE_TERM),
    )
    app = create_app(GatewaySettings(tokens=json.dumps(TOKENS), notice_days=10))
    app.state.projection = proj
    got = await Client(app).get("/v1/logistics/r/orders", headers=LOGI)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["notice_days"] == 10 and body["today"] == "2027-01-04"
    (order,) = body["orders"]
    # 01-15 is the 9th working day after 01-04: locked with 10, not with the old 5
    assert order["locked"] is True
    feed = await Client(app).get("/v1/logistics/r/fleet.ics", headers=LOGI)
    assert b"STATUS:CONFIRMED" in feed.content
