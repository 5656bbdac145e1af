"""The gateway's logistics routes on a read side fed by hand: changes, feeds, pictures.

The app is the real one (``create_app``) without its lifespan, so no Kafka:
the projection is filled with the events the read side would have read.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from schemas.events import (
    BookingConfirmed,
    CatalogueLoaded,
    Envelope,
    PlanChanged,
    RegionCatalogue,
)
from schemas.schedule import ContainerMove, Session
from services.gateway.api import create_app
from services.gateway.config import GatewaySettings
from services.gateway.readside import Projection
from services.logistics.calendars import sequence_of
from tests.builders import container, world

UTC = dt.UTC
T1 = dt.datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # plan v1: box-1 leaves on the 5th
T2 = dt.datetime(2027, 1, 5, 8, 0, tzinfo=UTC)  # plan v2: it leaves a week later
TOKENS = {
    "logi-token-123": {"name": "logi", "role": "logistics"},
    "school-token-1": {"name": "near", "role": "school", "site": "near"},
}
LOGI = {"Authorization": "Bearer logi-token-123"}


def at(time: dt.datetime, payload: Any, n: int) -> Envelope:
    return Envelope(
        id=f"e{n}",
        type=payload.TYPE,
        source="test",
        time=time,
        key="r",
        data=payload.model_dump(mode="json", by_alias=True, exclude_none=True),
    )


def trip(depart: str, ready: str) -> ContainerMove:
    return ContainerMove.model_validate(
        {
            "container": "box-1",
            "from": "depot",
            "to": "far",
            "depart": depart,
            "ready": ready,
            "km": 182.0,
            "truck_minutes": 168.0,
        },
        strict=False,
    )


def plan(version: int, move: ContainerMove) -> PlanChanged:
    return PlanChanged(
        region="r",
        version=version,
        cause="optimiser",
        served_value=1,
        requested_value=1,
        sessions=1,
        waitlisted=0,
        moves=[move],
    )


def held(day: str) -> BookingConfirmed:
    session = Session(
        request="r1",
        index=0,
        date=dt.date.fromisoformat(day),
        slot="am",
        site="far",
        resource="box-1",
    )
    return BookingConfirmed(request_id="r1", site="far", sessions=[session])


class Client:
    """Requests straight into the ASGI app (httpx's transport; no server, no lifespan)."""

    def __init__(self, app: Any) -> None:
        self.transport = httpx.ASGITransport(app=app)

    async def get(
        self, path: str, params: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        async with httpx.AsyncClient(transport=self.transport, base_url="http://gw") as http:
            return await http.get(path, params=params, headers=headers)


@pytest.fixture
def client() -> Client:
    data = world(
        containers=[container("box-1")],
        horizon={"start": "2027-01-04", "end": "2027-01-29"},
    )
    fields = set(RegionCatalogue.model_fields)
    cat = RegionCatalogue.model_validate_json(
        json.dumps({k: v for k, v in data.items() if k in fields})
    )
    proj = Projection()
    for n, (time, payload) in enumerate(
        [
            (T1, CatalogueLoaded(region="r", catalogue=cat)),
            (T1, held("2027-01-08")),
            (T1, plan(1, trip("2027-01-05", "2027-01-07"))),
            (T2, held("2027-01-15")),
            (T2, plan(2, trip("2027-01-12", "2027-01-14"))),
        ]
    ):
        proj.apply(at(time, payload, n), payload)
    app = create_app(GatewaySettings(tokens=json.dumps(TOKENS)))
    app.state.projection = proj
    return Client(app)  # the lifespan (Kafka) does not run


async def test_changes_since_a_day_compare_with_the_plan_live_then(client: Client) -> None:
    base = "/v1/logistics/r/changes"
    got = await client.get(base, params={"since": "2027-01-05"}, headers=LOGI)  # 23:00 UTC the 4th
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["baseline_version"], body["version"]) == (1, 2)
    assert body["new"] == [] and body["cancelled"] == []
    (changed,) = body["changed"]
    assert changed["changed"] == ["depart", "ready"]
    assert (changed["before"]["depart"], changed["after"]["depart"]) == ("2027-01-05", "2027-01-12")
    assert changed["after"]["transit_days"] == 1 and changed["after"]["setup_days"] == 1
    # before the region had a plan: everything is new; after the last change: nothing
    first = (await client.get(base, params={"since": "2027-01-01"}, headers=LOGI)).json()
    assert [m["depart"] for m in first["new"]] == ["2027-01-12"]
    assert first["baseline_version"] is None
    quiet = (
        await client.get(base, params={"since": "2027-01-05T09:00:00+00:00"}, headers=LOGI)
    ).json()
    assert quiet["new"] == quiet["changed"] == quiet["cancelled"] == []
    # "+00:00" typed into a URL unescaped arrives as " 00:00": still the time meant
    raw = await client.get(base, params={"since": "2027-01-05T09:00:00 00:00"}, headers=LOGI)
    assert raw.status_code == 200 and raw.json()["baseline_version"] == 2
    csv_text = (
        await client.get(base, params={"since": "2027-01-05", "format": "csv"}, headers=LOGI)
    ).text
    assert csv_text.splitlines()[1].startswith("changed,box-1,depot,far,2027-01-12,2027-01-14")
    bad = await client.get(base, params={"since": "yesterday"}, headers=LOGI)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "since"
    school = {"Authorization": "Bearer school-token-1"}
    assert (
        await client.get(base, params={"since": "2027-01-05"}, headers=school)
    ).status_code == 403
    assert (
        await client.get("/v1/logistics/x/changes?since=2027-01-05", headers=LOGI)
    ).status_code == 404


def _events(body: bytes) -> list[Any]:
    return list(Calendar.from_ical(body).walk("VEVENT"))


@pytest.mark.parametrize("path", ["containers/box-1.ics", "sites/far.ics", "fleet.ics"])
async def test_feeds_carry_status_sequence_and_every_move_once(client: Client, path: str) -> None:
    got = await client.get(f"/v1/logistics/r/{path}", params={"today": "2027-01-10"}, headers=LOGI)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/calendar")
    events = _events(got.content)
    transits = [e for e in events if str(e["uid"]).startswith("transit-")]
    assert [e.decoded("dtstart") for e in transits] == [dt.date(2027, 1, 12)]
    # 5 working days after Sunday the 10th: up to Friday the 15th, so the trip is booked
    assert str(transits[0]["status"]) == "CONFIRMED"
    # the feed's revision: the later of the plan's last change (T2) and the start of `today`,
    # whose notice period set the statuses
    revised = dt.datetime(2027, 1, 10, tzinfo=UTC)
    for e in events:
        assert int(e["sequence"]) == sequence_of(revised)
        assert e.decoded("last-modified") == revised
    # the same feed again: the same SEQUENCE; an earlier day: the plan's own time counts
    again = _events(
        (await client.get(f"/v1/logistics/r/{path}?today=2027-01-10", headers=LOGI)).content
    )
    assert {int(e["sequence"]) for e in again} == {sequence_of(revised)}
    earlier = _events(
        (await client.get(f"/v1/logistics/r/{path}?today=2027-01-04", headers=LOGI)).content
    )
    assert {e.decoded("last-modified") for e in earlier} == {T2}
    # without ?today= the notice counts from today, as for the orders: still a status
    default = _events((await client.get(f"/v1/logistics/r/{path}", headers=LOGI)).content)
    assert all(str(e["status"]) in ("CONFIRMED", "TENTATIVE") for e in default if "status" in e)
    assert any("status" in e for e in default)


async def test_pictures_as_svg_and_png(client: Client) -> None:
    pytest.importorskip("matplotlib")
    for name in ("chart", "map"):
        svg = await client.get(f"/v1/logistics/r/{name}.svg", headers=LOGI)
        assert svg.status_code == 200 and "box-1" in svg.text
        png = await client.get(f"/v1/logistics/r/{name}.png", headers=LOGI)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG")
    assert (
        await client.get("/v1/logistics/r/chart.png?container=nope", headers=LOGI)
    ).status_code == 404
