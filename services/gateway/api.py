"""HTTP API: schools submit/read/cancel requests, operators load the catalogue,
anyone authorised reads the plan. Commands become events on ``hubplan.intake``;
reads come from the projection. OpenAPI docs at ``/docs``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from aiokafka import AIOKafkaProducer
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.common import Strict, describe_errors, format_loc
from schemas.events import (
    INTAKE,
    MAX_EVENT_BYTES,
    BookingCancelled,
    BookingRequested,
    CatalogueLoaded,
    DisruptionReported,
    Envelope,
    OfferAccepted,
    RegionCatalogue,
    ResourceChanged,
    envelope,
)
from schemas.scenario import Request as BookingRequest
from schemas.scenario import Scenario
from schemas.wire import encode
from services.gateway.auth import TokenTable, may_see, principal_of, require
from services.gateway.body_guard import BodyGuard
from services.gateway.config import GatewaySettings, Principal
from services.gateway.feed_keys import FeedSigner, derived_secret
from services.gateway.logistics_routes import logistics_router
from services.gateway.metrics import GatewayMetrics
from services.gateway.openapi_bodies import with_contract_bodies
from services.gateway.plan_view import plan_document
from services.gateway.readside import Follower, Projection
from services.gateway.resubmit import Resubmitter

ID_NAMESPACE = uuid.UUID("5b1f3c52-3a49-4bd4-9a57-8f0c6f0e2a11")


def unprocessable(errors: list[dict[str, str]]) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, {"errors": errors})


def create_app(settings: GatewaySettings, metrics: GatewayMetrics | None = None) -> FastAPI:
    tokens = TokenTable(settings.principals)
    metrics = metrics or GatewayMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap, linger_ms=2, enable_idempotence=False, acks="all"
        )
        await producer.start()
        follower = Follower(settings.bootstrap, app.state.projection)
        await follower.start()
        app.state.producer, app.state.follower = producer, follower
        lag = await metrics.start_lag_probe(settings.bootstrap, follower, settings.group_prefix)
        resubmit = None
        if settings.resubmit_after > 0:
            resubmitter = Resubmitter(
                app.state.projection,
                publish,
                settings.resubmit_after,
                on_resubmit=lambda event_type: metrics.resubmitted.labels(event_type).inc(),
            )
            resubmit = asyncio.create_task(resubmitter.run(follower.caught_up))
        try:
            yield
        finally:
            if resubmit is not None:
                resubmit.cancel()
            await lag.stop()
            await follower.stop()
            await producer.stop()

    app = FastAPI(
        title="hubplan gateway",
        version="1",
        lifespan=lifespan,
        description="Book shared battery-training equipment; see what you got and why.",
    )
    app.state.tokens = tokens
    secret = settings.feed_secret.encode() if settings.feed_secret else None
    app.state.feed_signer = FeedSigner(
        secret or derived_secret({t: p.model_dump() for t, p in settings.principals.items()})
    )
    app.state.projection = Projection()
    app.state.metrics = metrics

    app.add_middleware(BodyGuard)
    app.openapi = with_contract_bodies(app)  # type: ignore[method-assign]

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Every error answer has one shape: ``{"errors": [{"field", "message"}]}``."""
        detail = exc.detail
        if isinstance(detail, dict) and "errors" in detail:
            body = detail
        elif isinstance(detail, dict):
            body = {"errors": [detail]}
        else:  # Starlette's and FastAPI's own, e.g. a body that is not UTF-8
            body = {"errors": [{"field": "(request)", "message": str(detail)}]}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, exc: RequestValidationError) -> JSONResponse:
        def field(loc: tuple[Any, ...]) -> str:
            # "query.status" -> "status": the parameter's own name; a whole body stays "body"
            inside = len(loc) > 1 and loc[0] in ("body", "query", "path", "header")
            inside = inside and not isinstance(loc[1], int)  # ("body", 8): a JSON syntax error
            return format_loc(loc[1:] if inside else loc)

        errors = [{"field": field(tuple(e["loc"])), "message": str(e["msg"])} for e in exc.errors()]
        return JSONResponse({"errors": errors}, status_code=422)

    def outgoing(key: str, payload: Strict, event_id: str | None = None) -> tuple[Envelope, bytes]:
        """The event and its bytes, or 413 when Kafka (and the scheduler) would refuse it."""
        event = envelope(payload, key=key, source="gateway", event_id=event_id)
        value = encode(event)
        if len(value) > MAX_EVENT_BYTES:
            message = f"the {event.type} event would be {len(value):,} bytes; at most "
            raise HTTPException(413, {"field": "body", "message": f"{message}{MAX_EVENT_BYTES:,}"})
        return event, value

    async def send(key: str, event: Envelope, value: bytes) -> str:
        await app.state.producer.send_and_wait(INTAKE, value, key=key.encode())
        metrics.published.labels(event.type).inc()
        return event.id

    async def publish(key: str, payload: Strict, event_id: str | None = None) -> str:
        return await send(key, *outgoing(key, payload, event_id))

    def projection() -> Projection:
        return app.state.projection

    def caught_up() -> None:
        """Requests are checked against what the read side knows (ids taken, whose
        a request is), so they wait until it has read the event log after a start."""
        follower = getattr(app.state, "follower", None)
        if follower is None or not follower.caught_up.is_set():
            message = "the gateway is still reading the event log; retry in a moment"
            raise HTTPException(
                503, {"field": "(service)", "message": message}, headers={"Retry-After": "1"}
            )

    # -- requests --------------------------------------------------------------
    @app.post(
        "/v1/requests",
        status_code=202,
        tags=["requests"],
        summary="Submit a booking request (answer: 202 + status URL)",
    )
    async def submit(
        body: dict[str, Any],
        response: Response,
        who: Principal = Depends(principal_of),
        _: None = Depends(caught_up),
        idempotency_key: str | None = Header(default=None),
    ) -> dict[str, Any]:
        require(who, "school", "operator")
        proj = projection()
        event_id = None
        if idempotency_key:
            event_id = str(uuid.uuid5(ID_NAMESPACE, f"{who.name}:{idempotency_key}"))
            known = proj.event_to_request.get(event_id)
            if known is not None:
                _same_request_or_409(known, body, idempotency_key)
                metrics.requests.labels("retry").inc()
                return _accepted(known, response, replay=True)
        data = dict(body)
        now = dt.datetime.now(dt.UTC).isoformat()
        if who.role == "school":
            # first come, first served is by arrival here: a school cannot date
            # its request back to jump the waitlist (an operator loading a
            # scenario file keeps the file's times)
            data["submitted_at"] = now
        else:
            data.setdefault("submitted_at", now)
        if "id" not in data:
            seed = idempotency_key or uuid.uuid4().hex
            data["id"] = "req-" + hashlib.sha256(f"{who.name}:{seed}".encode()).hexdigest()[:16]
        try:
            req = BookingRequest.model_validate_json(json.dumps(data))
        except ValidationError as exc:
            metrics.requests.labels("invalid").inc()
            raise unprocessable(describe_errors(exc)) from None
        if who.role == "school" and req.priority > settings.school_max_priority:
            metrics.requests.labels("invalid").inc()
            limit = settings.school_max_priority
            message = f"a school may ask for priority 1-{limit}; an operator can set more"
            raise unprocessable([{"field": "priority", "message": message}])
        if who.role == "school" and req.site != who.site:
            raise HTTPException(
                403, {"field": "site", "message": f"your token acts for {who.site}"}
            )
        region = proj.region_of_site.get(req.site)
        if region is None:
            metrics.requests.labels("invalid").inc()
            raise unprocessable([{"field": "site", "message": f"unknown site '{req.site}'"}])
        if not proj.reserve(req.model_dump(mode="json"), region, event_id):
            raise HTTPException(
                409, {"field": "id", "message": f"request '{req.id}' exists already"}
            )
        try:
            event_id = await publish(
                region, BookingRequested(request=req, requested_by=who.name), event_id
            )
        except BaseException:
            proj.release(req.id, event_id)
            raise
        proj.event_to_request[event_id] = req.id
        proj.published(req.id)
        metrics.requests.labels("accepted").inc()
        return _accepted(req.id, response)

    def _same_request_or_409(rid: str, body: dict[str, Any], key: str) -> None:
        """A retry must repeat the request it retries; a reused key with other
        fields would otherwise be dropped without a word."""
        view = projection().requests.get(rid)
        stored = (view.asked or view.request) if view is not None else None
        if stored is None:
            return  # not read back yet: nothing to compare with
        same = {k: stored[k] for k in ("id", "submitted_at") if k in stored}
        try:
            retried = BookingRequest.model_validate_json(json.dumps({**body, **same}))
        except ValidationError as exc:
            raise unprocessable(describe_errors(exc)) from None
        original = BookingRequest.model_validate(stored, strict=False)
        fields = BookingRequest.model_fields
        changed = [k for k in fields if getattr(retried, k) != getattr(original, k)]
        if changed:
            message = (
                f"Idempotency-Key '{key}' was used for request {rid} with other values "
                f"({', '.join(changed)}); send a new key for a new request"
            )
            raise HTTPException(409, {"field": "Idempotency-Key", "message": message})

    def _accepted(rid: str, response: Response, replay: bool = False) -> dict[str, Any]:
        url = f"/v1/requests/{rid}"
        response.headers["Location"] = url
        return {"request_id": rid, "status_url": url, "replayed": replay}

    def visible(rid: str, who: Principal) -> Any:
        view = projection().requests.get(rid)
        if view is None or not may_see(who, view.site):
            raise HTTPException(404, {"field": "request_id", "message": f"no request '{rid}'"})
        return view

    @app.get("/v1/requests/{rid}", tags=["requests"], summary="A request's current decision")
    async def read(
        rid: str,
        who: Principal = Depends(principal_of),
        wait: float = Query(0.0, ge=0, le=30, description="Seconds to wait for a decision"),
    ) -> dict[str, Any]:
        view = visible(rid, who)
        await projection().wait_decided(rid, wait)
        return dict(view.public())

    @app.get("/v1/requests", tags=["requests"], summary="Your requests (schools) or all")
    async def list_requests(
        who: Principal = Depends(principal_of),
        site: str | None = None,
        status_filter: Literal["pending", "confirmed", "waitlisted", "rejected", "cancelled"]
        | None = Query(None, alias="status"),
    ) -> dict[str, Any]:
        views = [v for v in projection().requests.values() if may_see(who, v.site)]
        if site:
            views = [v for v in views if v.site == site]
        if status_filter:
            views = [v for v in views if v.status == status_filter]
        return {"requests": [v.public() for v in views]}

    @app.delete(
        "/v1/requests/{rid}", status_code=202, tags=["requests"], summary="Cancel a request"
    )
    async def cancel(
        rid: str,
        who: Principal = Depends(principal_of),
        reason: str | None = None,
        _: None = Depends(caught_up),
    ) -> dict[str, Any]:
        require(who, "school", "operator")
        view = visible(rid, who)
        if view.region is None:
            raise HTTPException(
                409, {"field": "request_id", "message": "not yet known to the scheduler"}
            )
        await publish(
            view.region, BookingCancelled(request_id=rid, cancelled_by=who.name, reason=reason)
        )
        view.cancel_requested = True
        metrics.requests.labels("cancel").inc()
        return {"request_id": rid, "status_url": f"/v1/requests/{rid}"}

    @app.post(
        "/v1/requests/{rid}/offers/{offer}/accept",
        status_code=202,
        tags=["requests"],
        summary="Take one of a waitlisted request's counter-offers",
    )
    async def accept(
        rid: str,
        offer: int,
        who: Principal = Depends(principal_of),
        _: None = Depends(caught_up),
    ) -> dict[str, Any]:
        require(who, "school", "operator")
        view = visible(rid, who)
        if view.status != "waitlisted" or offer >= len(view.offers) or offer < 0:
            raise HTTPException(
                409, {"field": "offer", "message": "no such offer on a waitlisted request"}
            )
        await publish(
            view.region or "", OfferAccepted(request_id=rid, offer=offer, accepted_by=who.name)
        )
        return {"request_id": rid, "status_url": f"/v1/requests/{rid}"}

    # -- catalogue -------------------------------------------------------------
    @app.put(
        "/v1/catalogue",
        status_code=202,
        tags=["catalogue"],
        summary="Load a whole scenario file: catalogue per region, and its requests",
    )
    async def load(
        body: dict[str, Any],
        who: Principal = Depends(principal_of),
        requests: bool = Query(True, description="Also submit the file's requests"),
    ) -> dict[str, Any]:
        require(who, "operator")
        try:
            scenario = Scenario.model_validate_json(json.dumps(body))
        except ValidationError as exc:
            raise unprocessable(describe_errors(exc)) from None
        regions = sorted({s.region for s in scenario.sites})
        # every region's catalogue is sized before any is sent: all or nothing
        ready = [
            (
                region,
                outgoing(
                    region,
                    CatalogueLoaded(
                        region=region,
                        scenario=scenario.name,
                        catalogue=_catalogue_of(scenario, region),
                    ),
                ),
            )
            for region in regions
        ]
        events = []
        for region, (event, value) in ready:
            event_id = await send(region, event, value)
            events.append(receipt_link(region, event_id, CatalogueLoaded.TYPE))
        sent = 0
        if requests:
            region_of = {s.id: s.region for s in scenario.sites}
            for req in scenario.requests:
                await publish(
                    region_of[req.site], BookingRequested(request=req, requested_by=who.name)
                )
                sent += 1
        return {"regions": regions, "events": events, "requests_submitted": sent}

    @app.post(
        "/v1/catalogue/{region}/changes",
        status_code=202,
        tags=["catalogue"],
        summary="Add, replace or remove one catalogue object",
    )
    async def change(
        region: str, body: dict[str, Any], who: Principal = Depends(principal_of)
    ) -> dict[str, Any]:
        require(who, "operator")
        try:
            payload = ResourceChanged.model_validate_json(json.dumps({**body, "region": region}))
        except ValidationError as exc:
            raise unprocessable(describe_errors(exc)) from None
        if region not in projection().catalogues:
            raise HTTPException(404, {"field": "region", "message": f"no catalogue for '{region}'"})
        return receipt_link(region, await publish(region, payload), ResourceChanged.TYPE)

    @app.post(
        "/v1/regions/{region}/disruptions",
        status_code=202,
        tags=["catalogue"],
        summary="Report a disruption; the region is repaired with as few changes as possible",
    )
    async def disrupt(
        region: str, body: dict[str, Any], who: Principal = Depends(principal_of)
    ) -> dict[str, Any]:
        require(who, "operator", "logistics")
        if region not in projection().catalogues:
            raise HTTPException(404, {"field": "region", "message": f"no catalogue for '{region}'"})
        try:
            payload = DisruptionReported.model_validate_json(
                json.dumps({"region": region, "disruption": body, "reported_by": who.name})
            )
        except ValidationError as exc:
            # "disruption.equipment-unavailable.from" -> "from": the body's own field;
            # an error about the body as a whole ("disruption.resource-added") -> "body"
            kind = str(body.get("kind"))

            def own(field: str) -> str:
                field = field.removeprefix("disruption").removeprefix(".")
                if field == kind:
                    return "body"
                return field.removeprefix(f"{kind}.") or "body"

            errors = [
                {"field": own(e["field"]), "message": e["message"]} for e in describe_errors(exc)
            ]
            raise unprocessable(errors) from None
        return receipt_link(region, await publish(region, payload), DisruptionReported.TYPE)

    def receipt_link(region: str, event_id: str, event_type: str) -> dict[str, str]:
        """Where to see the event's receipt; readable at once, 'pending' until it comes."""
        projection().expect_event(event_id, event_type, region)
        return {"region": region, "event_id": event_id, "status_url": f"/v1/events/{event_id}"}

    @app.get(
        "/v1/events/{event_id}",
        tags=["catalogue"],
        summary="What became of a catalogue change or disruption: applied, ignored or rejected",
    )
    async def event_status(
        event_id: str,
        who: Principal = Depends(principal_of),
        wait: float = Query(0.0, ge=0, le=30, description="Seconds to wait for the receipt"),
    ) -> dict[str, Any]:
        require(who, "operator", "logistics")
        # another gateway's event may not have come by this one's read side yet
        await projection().wait_handled(event_id, wait)
        view = projection().events.get(event_id)
        if view is None:
            raise HTTPException(
                404,
                {"field": "event_id", "message": f"no catalogue or disruption event '{event_id}'"},
            )
        return view.public()

    # -- plan and health ---------------------------------------------------------
    @app.get("/v1/plan", tags=["plan"], summary="The current plan in the schedule format")
    async def plan(
        who: Principal = Depends(principal_of), region: str | None = None
    ) -> dict[str, Any]:
        if region is not None and region not in projection().catalogues:
            raise HTTPException(404, {"field": "region", "message": f"no region '{region}'"})
        doc = plan_document(projection(), region)
        if who.role == "school":
            doc["sessions"] = [
                s for s in doc["sessions"] if projection().requests[s["request"]].site == who.site
            ]
            doc["unserved"] = [
                u for u in doc["unserved"] if projection().requests[u["request"]].site == who.site
            ]
        return jsonable_encoder(doc)

    @app.get("/v1/regions", tags=["plan"], summary="Regions with their plan summary")
    async def regions(who: Principal = Depends(principal_of)) -> dict[str, Any]:
        proj = projection()
        return {
            "regions": [{"region": r, "plan": proj.plans.get(r)} for r in sorted(proj.catalogues)]
        }

    app.include_router(logistics_router(projection, settings.notice_days))

    @app.get("/healthz", tags=["ops"], summary="Liveness and read-side catch-up")
    async def health() -> JSONResponse:
        ready = app.state.follower.caught_up.is_set() if hasattr(app.state, "follower") else False
        return JSONResponse(
            {"ok": True, "caught_up": ready, "events": projection().applied},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def prometheus() -> Response:
        follower = getattr(app.state, "follower", None)
        metrics.refresh(projection(), follower.caught_up.is_set() if follower else None)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _catalogue_of(scenario: Scenario, region: str) -> RegionCatalogue:
    sites = [s for s in scenario.sites if s.region == region]
    ids = {s.id for s in sites}
    calendars = {c for c in (s.calendar for s in sites) if c}
    minutes = scenario.travel.minutes
    if minutes:
        minutes = {
            a: {b: m for b, m in row.items() if b in ids} for a, row in minutes.items() if a in ids
        }
    staff = None if scenario.staff is None else [p for p in scenario.staff if p.home_site in ids]
    return RegionCatalogue(
        horizon=scenario.horizon,
        slots=scenario.slots,
        weekdays=scenario.weekdays,
        calendars={k: v for k, v in scenario.calendars.items() if k in calendars},
        closed=scenario.closed,
        sites=sites,
        travel=scenario.travel.model_copy(update={"minutes": minutes or None}),
        equipment=[e for e in scenario.equipment if e.site in ids],
        containers=[c for c in scenario.containers if c.start_site in ids],
        staff=staff,
    )
