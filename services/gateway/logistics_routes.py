"""HTTP views for logistics staff: transport orders, what changed, calendar feeds, chart, map.

Each route is a lookup (the region's catalogue and live plan from the read
side) plus one call into ``services.logistics.views`` - the same functions
``hubplan moves`` uses offline. ``changes`` compares the live plan with the
one live at ``since``, from the read side's plan history (rebuilt from
``hubplan.plans`` at every start, see ``plan_history.py``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from schemas.scenario import Scenario
from schemas.schedule import ContainerMove, Schedule
from services.gateway.auth import principal_of, require
from services.gateway.config import Principal
from services.gateway.feed_keys import FeedSigner, feed_reader
from services.gateway.plan_view import plan_document
from services.gateway.readside import Projection
from services.logistics import views
from services.logistics.book import scenario_of_catalogue
from services.logistics.changes import changes_csv, changes_json, compare_moves
from services.logistics.drawing import Drawing, PngUnavailableError
from services.logistics.errors import LogisticsError, UnknownReferenceError
from services.planner.calendar import reference_day

OSLO = ZoneInfo("Europe/Oslo")
TODAY = (
    "Reference day of the notice period (default: today in Norway, or the horizon start "
    "if later, as the scheduler counts it)."
)


def parse_since(text: str) -> dt.datetime:
    """``YYYY-MM-DD`` (midnight in Norway) or an ISO 8601 time (no offset: Norwegian time).

    A ``+01:00`` typed into a URL arrives as `` 01:00`` (a ``+`` is a space in a
    query string); that is taken as the offset it was meant to be.
    """
    text = re.sub(r" (\d\d(:?\d\d)?)$", r"+\1", text)
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), OSLO)
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        message = f"'{text}' is neither a date (YYYY-MM-DD) nor an ISO 8601 time"
        raise HTTPException(422, {"field": "since", "message": message}) from None
    return when if when.tzinfo else when.replace(tzinfo=OSLO)


def logistics_router(projection: Callable[[], Projection], notice_days: int = 5) -> APIRouter:
    """``notice_days``: HUBPLAN_NOTICE_DAYS, the scheduler's and logistics' setting too."""
    router = APIRouter(prefix="/v1/logistics", tags=["logistics"])

    def region_scenario(region: str, who: Principal) -> Scenario:
        require(who, "logistics", "operator")
        catalogue = projection().catalogues.get(region)
        if catalogue is None:
            raise HTTPException(404, {"field": "region", "message": f"no catalogue for '{region}'"})
        return scenario_of_catalogue(region, catalogue)

    def region_data(region: str, who: Principal) -> tuple[Scenario, Schedule]:
        scenario = region_scenario(region, who)
        plan = plan_document(projection(), region)
        plan["unserved"] = []  # the logistics views need sessions and moves only
        return scenario, Schedule.model_validate_json(json.dumps(plan))

    def feed_times(scenario: Scenario, region: str, today: dt.date | None) -> dict[str, Any]:
        """The notice day (default the reference day, as the orders), the notice period and
        when the plan last changed."""
        changed = projection().plan_history.changed_at(region)
        return {
            "today": today or reference_day(scenario),
            "notice_days": notice_days,
            "plan_changed": changed,
        }

    def guarded(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except UnknownReferenceError as exc:
            raise HTTPException(404, {"field": exc.kind, "message": str(exc)}) from None
        except LogisticsError as exc:
            raise HTTPException(422, {"field": "plan", "message": str(exc)}) from None

    async def picture(drawing: Drawing, kind: str) -> Response:
        if kind == "svg":
            return Response(drawing.svg(), media_type=views.SVG_TYPE)
        try:  # matplotlib takes a while: off the event loop, which serves everyone
            png = await asyncio.to_thread(drawing.png)
        except PngUnavailableError as exc:
            raise HTTPException(501, {"field": "format", "message": str(exc)}) from None
        return Response(png, media_type=views.PNG_TYPE)

    @router.get("/{region}/orders", summary="Transport orders (JSON, or CSV with format=csv)")
    async def orders(
        region: str,
        who: Principal = Depends(principal_of),
        since: dt.date | None = Query(None, alias="from"),
        until: dt.date | None = None,
        container: str | None = None,
        today: dt.date | None = None,
        format: str = Query("json", pattern="^(json|csv)$"),
    ) -> Response:
        if since is not None and until is not None and until < since:
            message = f"{until} is before from={since}"
            raise HTTPException(422, {"field": "until", "message": message})
        scenario, schedule = region_data(region, who)
        # as `hubplan moves`: from `from`, else the scheduler's reference day
        today = today or since or reference_day(scenario)
        filters = {
            "container": container,
            "since": since,
            "until": until,
            "today": today,
            "notice_days": notice_days,
        }
        if format == "csv":
            body = guarded(lambda: views.orders_csv_text(scenario, schedule, **filters))
            return Response(body, media_type=views.CSV_TYPE)
        body = guarded(lambda: views.orders_json(scenario, schedule, **filters))
        return Response(body, media_type="application/json")

    @router.get(
        "/{region}/changes",
        summary="Moves new, changed or cancelled since a day or a time (JSON, or CSV)",
    )
    async def changes(
        region: str,
        since: str = Query(
            ...,
            description="YYYY-MM-DD (from midnight in Norway) or an ISO 8601 time; the live "
            "plan is compared with the plan that was live then",
        ),
        who: Principal = Depends(principal_of),
        container: str | None = None,
        today: dt.date | None = Query(None, description=TODAY),
        format: str = Query("json", pattern="^(json|csv)$"),
    ) -> Response:
        when = parse_since(since)
        scenario = region_scenario(region, who)
        history = projection().plan_history
        then, now = history.at(region, when), history.now(region)

        def moves(kept: Any) -> list[ContainerMove]:
            found = kept.moves if kept is not None else []
            return [ContainerMove.model_validate(m, strict=False) for m in found]

        found = guarded(
            lambda: compare_moves(
                scenario,
                moves(then),
                moves(now),
                baseline=f"live plan at {when.isoformat()}",
                today=today or reference_day(scenario),
                notice_days=notice_days,
                container=container,
                versions=(then.version if then else None, now.version if now else None),
            )
        )
        if format == "csv":
            return Response(changes_csv(found), media_type=views.CSV_TYPE)
        return Response(changes_json(found), media_type="application/json")

    @router.get(
        "/{region}/feeds",
        summary="Subscribable URLs (with ?key=) of the region's calendar feeds",
    )
    async def feeds(
        region: str, request: Request, who: Principal = Depends(principal_of)
    ) -> dict[str, Any]:
        """Each URL opens exactly one feed without a bearer token (a calendar app sends
        none). Containers: the region's; sites: its pads and the containers' start sites."""
        scenario = region_scenario(region, who)
        signer: FeedSigner = request.app.state.feed_signer
        base = str(request.base_url).rstrip("/")

        def url(path: str) -> str:
            return f"{base}{path}?key={signer.key(path)}"

        prefix = f"/v1/logistics/{region}"
        starts = {c.start_site for c in scenario.containers}
        return {
            "region": region,
            "fleet": url(f"{prefix}/fleet.ics"),
            "containers": {
                c.id: url(f"{prefix}/containers/{c.id}.ics") for c in scenario.containers
            },
            "sites": {
                s.id: url(f"{prefix}/sites/{s.id}.ics")
                for s in scenario.sites
                if s.container_pad or s.id in starts
            },
        }

    @router.get("/{region}/containers/{container}.ics", summary="A container's calendar feed")
    async def container_feed(
        region: str,
        container: str,
        who: Principal = Depends(feed_reader),
        today: dt.date | None = Query(None, description=TODAY),
    ) -> Response:
        scenario, schedule = region_data(region, who)
        times = feed_times(scenario, region, today)
        return Response(
            guarded(lambda: views.container_ics(scenario, schedule, container, **times)),
            media_type=views.ICS_TYPE,
        )

    @router.get("/{region}/sites/{site}.ics", summary="A site's calendar feed")
    async def site_feed(
        region: str,
        site: str,
        who: Principal = Depends(feed_reader),
        today: dt.date | None = Query(None, description=TODAY),
    ) -> Response:
        scenario, schedule = region_data(region, who)
        times = feed_times(scenario, region, today)
        return Response(
            guarded(lambda: views.site_ics(scenario, schedule, site, **times)),
            media_type=views.ICS_TYPE,
        )

    @router.get("/{region}/fleet.ics", summary="Every container of the region in one feed")
    async def fleet_feed(
        region: str,
        who: Principal = Depends(feed_reader),
        today: dt.date | None = Query(None, description=TODAY),
    ) -> Response:
        scenario, schedule = region_data(region, who)
        times = feed_times(scenario, region, today)
        return Response(
            guarded(lambda: views.fleet_ics(scenario, schedule, **times)),
            media_type=views.ICS_TYPE,
        )

    async def chart(region: str, who: Principal, container: str | None, kind: str) -> Response:
        scenario, schedule = region_data(region, who)
        drawing = guarded(lambda: views.chart_drawing(scenario, schedule, container=container))
        return await picture(drawing, kind)

    async def site_map(region: str, who: Principal, container: str | None, kind: str) -> Response:
        scenario, schedule = region_data(region, who)
        drawing = guarded(lambda: views.map_drawing(scenario, schedule, container=container))
        return await picture(drawing, kind)

    @router.get("/{region}/chart.svg", summary="Gantt chart of container stays and moves (SVG)")
    async def chart_svg(
        region: str, who: Principal = Depends(principal_of), container: str | None = None
    ) -> Response:
        return await chart(region, who, container, "svg")

    @router.get("/{region}/chart.png", summary="Gantt chart of container stays and moves (PNG)")
    async def chart_png(
        region: str, who: Principal = Depends(principal_of), container: str | None = None
    ) -> Response:
        return await chart(region, who, container, "png")

    @router.get("/{region}/map.svg", summary="Map of sites with the move legs (SVG)")
    async def map_svg(
        region: str, who: Principal = Depends(principal_of), container: str | None = None
    ) -> Response:
        return await site_map(region, who, container, "svg")

    @router.get("/{region}/map.png", summary="Map of sites with the move legs (PNG)")
    async def map_png(
        region: str, who: Principal = Depends(principal_of), container: str | None = None
    ) -> Response:
        return await site_map(region, who, container, "png")

    return router
