"""HTTP views for logistics staff: transport orders, calendar feeds, chart, map.

Each route is a lookup (the region's catalogue and live plan from the read
side) plus one call into ``services.logistics.views`` - the same functions
``hubplan moves`` uses offline.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from schemas.scenario import Scenario
from schemas.schedule import Schedule
from services.gateway.auth import principal_of, require
from services.gateway.config import Principal
from services.gateway.plan_view import plan_document
from services.gateway.readside import Projection
from services.logistics import views
from services.logistics.errors import LogisticsError, UnknownReferenceError


def logistics_router(projection: Callable[[], Projection]) -> APIRouter:
    router = APIRouter(prefix="/v1/logistics", tags=["logistics"])

    def region_data(region: str, who: Principal) -> tuple[Scenario, Schedule]:
        require(who, "logistics", "operator")
        proj = projection()
        catalogue = proj.catalogues.get(region)
        if catalogue is None:
            raise HTTPException(404, {"field": "region", "message": f"no catalogue for '{region}'"})
        plan = plan_document(proj, region)
        plan["unserved"] = []  # the logistics views need sessions and moves only
        return views.scenario_of_catalogue(region, catalogue), Schedule.model_validate_json(
            json.dumps(plan)
        )

    def guarded(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except UnknownReferenceError as exc:
            raise HTTPException(404, {"field": exc.kind, "message": str(exc)}) from None
        except LogisticsError as exc:
            raise HTTPException(422, {"field": "plan", "message": str(exc)}) from None

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
        today = today or since or dt.date.today()  # as `hubplan moves`: notice from today
        filters = {"container": container, "since": since, "until": until, "today": today}
        if format == "csv":
            body = guarded(lambda: views.orders_csv_text(scenario, schedule, **filters))
            return Response(body, media_type=views.CSV_TYPE)
        body = guarded(lambda: views.orders_json(scenario, schedule, **filters))
        return Response(body, media_type="application/json")

    @router.get("/{region}/containers/{container}.ics", summary="A container's calendar feed")
    async def container_feed(
        region: str, container: str, who: Principal = Depends(principal_of)
    ) -> Response:
        scenario, schedule = region_data(region, who)
        return Response(
            guarded(lambda: views.container_ics(scenario, schedule, container)),
            media_type=views.ICS_TYPE,
        )

    @router.get("/{region}/sites/{site}.ics", summary="A site's calendar feed")
    async def site_feed(region: str, site: str, who: Principal = Depends(principal_of)) -> Response:
        scenario, schedule = region_data(region, who)
        return Response(
            guarded(lambda: views.site_ics(scenario, schedule, site)), media_type=views.ICS_TYPE
        )

    @router.get("/{region}/chart.svg", summary="Gantt chart of container stays and moves")
    async def chart(
        region: str, who: Principal = Depends(principal_of), container: str | None = None
    ) -> Response:
        scenario, schedule = region_data(region, who)
        return Response(
            guarded(lambda: views.chart_svg(scenario, schedule, container=container)),
            media_type=views.SVG_TYPE,
        )

    @router.get("/{region}/map.svg", summary="Map of sites with the move legs")
    async def site_map(
        region: str, who: Principal = Depends(principal_of), container: str | None = None
    ) -> Response:
        scenario, schedule = region_data(region, who)
        return Response(
            guarded(lambda: views.map_svg(scenario, schedule, container=container)),
            media_type=views.SVG_TYPE,
        )

    return router
