"""The read side: a projection of intake, decisions and plans for HTTP reads.

Every gateway replays the three topics from the beginning at start (no
consumer group: each needs all of it) and then follows them. What it keeps
is small: per request its latest decision; per operator event (catalogue,
resource change, disruption) its receipt, and its payload while it waits for
one; per region the catalogue's site map, the latest plan summary and its
container moves each time they changed (``plan_history.py``).
``apply`` is pure bookkeeping so it runs in unit tests without Kafka;
``Follower`` is the thin aiokafka loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.common import Strict
from schemas.events import (
    DECISIONS,
    INTAKE,
    OPERATOR_EVENTS,
    PLANS,
    BookingCancellationConfirmed,
    BookingCancelled,
    BookingConfirmed,
    BookingDisplaced,
    BookingRejected,
    BookingRequested,
    BookingRescheduled,
    BookingWaitlisted,
    CatalogueLoaded,
    Envelope,
    EventHandled,
    PlanChanged,
    ResourceChanged,
)
from schemas.wire import WireError, decode
from services.gateway.plan_history import PlanHistory

log = logging.getLogger("hubplan.gateway.readside")


@dataclass
class RequestView:
    request_id: str
    region: str | None = None
    site: str | None = None
    request: dict[str, Any] | None = None
    asked: dict[str, Any] | None = None  # as submitted (an accepted offer changes ``request``)
    publishing: bool = False  # claimed by this gateway, its event not on the intake yet
    status: str = "pending"
    sessions: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    detail: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    cancel_requested: bool = False
    changes: list[dict[str, Any]] = field(default_factory=list)
    offers: list[dict[str, Any]] = field(default_factory=list)
    asked_at: float = 0.0  # clock time its request or cancel last came by on the intake

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "request_id": self.request_id,
            "status": self.status,
            "site": self.site,
            "region": self.region,
            "sessions": self.sessions,
        }
        if self.reason:
            out.update(reason=self.reason, detail=self.detail)
        if self.errors:
            out["errors"] = self.errors
        if self.cancel_requested and self.status != "cancelled":
            out["cancellation"] = "pending"
        if self.changes:
            out["changes"] = self.changes
        if self.status == "waitlisted" and self.offers:
            out["offers"] = [{"offer": i, **o} for i, o in enumerate(self.offers)]
        if self.request is not None:
            out["request"] = self.request
        return out


@dataclass
class EventView:
    """An operator's event and what the scheduler made of it."""

    event_id: str
    type: str
    region: str
    status: str = "pending"  # then the receipt's outcome: applied | ignored | rejected | failed
    detail: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    data: dict[str, Any] | None = None  # the payload while pending, to publish again
    asked_at: float = 0.0
    mine: bool = False  # published by this gateway process: it may publish it again
    superseded: bool = False  # a later operator event of its region came by first

    @property
    def may_resend(self) -> bool:
        """Only the latest operator event of a region is published again: a copy of
        an older one would land after the later change and undo it."""
        return self.status == "pending" and self.mine and not self.superseded

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "event_id": self.event_id,
            "type": self.type,
            "region": self.region,
            "status": self.status,
        }
        if self.detail:
            out["detail"] = self.detail
        elif self.status == "pending" and self.superseded:
            out["detail"] = (
                "no receipt yet, and a later change to the region came after it, so it is "
                "not published again automatically; if it stays pending, send it again"
            )
        if self.errors:
            out["errors"] = self.errors
        return out


class Projection:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.region_of_site: dict[str, str] = {}
        self.site_names: dict[str, str] = {}
        self.catalogues: dict[str, dict[str, Any]] = {}
        self.requests: dict[str, RequestView] = {}
        self.events: dict[str, EventView] = {}
        self._latest_event: dict[str, str] = {}  # region -> its latest operator event id
        self.event_to_request: dict[str, str] = {}
        self.plans: dict[str, dict[str, Any]] = {}
        self.plan_history = PlanHistory()
        self._waiters: dict[str, list[asyncio.Event]] = {}
        self.applied = 0

    # -- writes ------------------------------------------------------------
    def apply(self, event: Envelope, payload: Strict) -> None:
        self.applied += 1
        if isinstance(payload, OPERATOR_EVENTS):
            self._asked(event)
        if isinstance(payload, CatalogueLoaded):
            cat = payload.catalogue
            self.catalogues[payload.region] = cat.model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
            for site in cat.sites:
                self.region_of_site[site.id] = payload.region
                self.site_names[site.id] = site.name
        elif (
            isinstance(payload, ResourceChanged)
            and payload.kind == "site"
            and isinstance(payload.value, dict)
        ):
            if payload.op == "upsert":
                self.region_of_site[payload.id] = payload.region
                self.site_names[payload.id] = str(payload.value.get("name", payload.id))
        elif isinstance(payload, BookingRequested):
            view = self._view(payload.request.id)
            view.request = view.asked = payload.request.model_dump(mode="json")
            view.site, view.region = payload.request.site, event.key
            view.asked_at = self.clock()
            self.event_to_request[event.id] = payload.request.id
        elif isinstance(payload, BookingCancelled):
            view = self._view(payload.request_id)
            view.cancel_requested, view.asked_at = True, self.clock()
            self.event_to_request[event.id] = payload.request_id
        elif isinstance(payload, BookingConfirmed):
            self._decide(
                payload.request_id,
                event.key,
                payload.site,
                "confirmed",
                sessions=[s.model_dump(mode="json", exclude_none=True) for s in payload.sessions],
            )
            if payload.request is not None:
                self._view(payload.request_id).request = payload.request.model_dump(mode="json")
        elif isinstance(payload, BookingWaitlisted):
            self._decide(
                payload.request_id,
                event.key,
                payload.site,
                "waitlisted",
                reason=payload.reason,
                detail=payload.detail,
            )
            self._view(payload.request_id).offers = [
                o.model_dump(mode="json", exclude_none=True) for o in payload.offers
            ]
        elif isinstance(payload, BookingRejected):
            self._decide(
                payload.request_id,
                event.key,
                payload.site,
                "rejected",
                reason="invalid",
                detail="; ".join(f"{e['field']}: {e['message']}" for e in payload.errors),
                errors=payload.errors,
            )
        elif isinstance(payload, BookingRescheduled):
            self._decide(
                payload.request_id,
                event.key,
                payload.site,
                "confirmed",
                sessions=[s.model_dump(mode="json", exclude_none=True) for s in payload.sessions],
            )
            self._view(payload.request_id).changes.append(
                {
                    "kind": "rescheduled",
                    "reason": payload.reason,
                    "old_sessions": [
                        s.model_dump(mode="json", exclude_none=True) for s in payload.old_sessions
                    ],
                }
            )
        elif isinstance(payload, BookingDisplaced):
            self._decide(
                payload.request_id,
                event.key,
                payload.site,
                "waitlisted",
                reason="no-capacity",
                detail=f"displaced by {payload.reason}; you are on the waiting list",
            )
            self._view(payload.request_id).changes.append(
                {"kind": "displaced", "reason": payload.reason}
            )
        elif isinstance(payload, BookingCancellationConfirmed):
            self._decide(payload.request_id, event.key, payload.site, "cancelled")
        elif isinstance(payload, PlanChanged):
            self.plans[payload.region] = payload.model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
            self.plan_history.record(event.time, payload)
        elif isinstance(payload, EventHandled):
            # the receipt can be read before the event itself (another topic)
            receipt = self.events.setdefault(
                payload.event_id, EventView(payload.event_id, payload.event_type, payload.region)
            )
            receipt.status, receipt.detail = payload.outcome, payload.detail
            receipt.errors, receipt.data = payload.errors, None
            self._wake(f"event:{payload.event_id}")

    def expect_event(self, event_id: str, event_type: str, region: str) -> None:
        """This gateway has just published it: readable before it comes by on the
        intake, and published again by this gateway if no receipt comes."""
        view = self.events.setdefault(event_id, EventView(event_id, event_type, region))
        view.mine = True

    def _asked(self, event: Envelope) -> None:
        view = self.events.setdefault(event.id, EventView(event.id, event.type, event.key))
        latest = self._latest_event.get(event.key)
        if latest is not None and latest != event.id:
            self.events[latest].superseded = True
        self._latest_event[event.key] = event.id
        if view.status == "pending":
            view.data, view.asked_at = event.data, self.clock()

    def reserve(self, request: dict[str, Any], region: str, event_id: str | None = None) -> bool:
        """Claim a request id for a submission about to be published; False if taken.

        No await between the check and the claim, so two simultaneous POSTs
        of one id cannot both pass (they once did, and the second school's
        request was lost under the first one's id). An id may be claimed
        again only if all it has is a rejection (as the scheduler allows);
        the claim starts a fresh view, so nothing of the earlier attempt (a
        cancel, its errors) carries over. ``event_id`` (from an
        Idempotency-Key) is recorded at once, so a retry during the publish
        is a replay, not a 409.
        """
        rid = request["id"]
        view = self.requests.get(rid)
        if view is not None and view.request is not None:
            return False  # a request holds the id
        if view is not None and view.status not in ("pending", "rejected"):
            return False  # a decision holds it (read before its request came by)
        view = self.requests[rid] = RequestView(rid, region=region, site=request["site"])
        view.request = view.asked = request
        view.asked_at, view.publishing = self.clock(), True
        if event_id is not None:
            self.event_to_request[event_id] = rid
        return True

    def published(self, rid: str) -> None:
        """The claimed request is on the intake: from now on the resubmitter may
        send it again if no decision comes."""
        view = self.requests.get(rid)
        if view is not None:
            view.publishing, view.asked_at = False, self.clock()

    def release(self, rid: str, event_id: str | None = None) -> None:
        """Undo ``reserve`` when the publish failed (the client is told so)."""
        view = self.requests.get(rid)
        if view is not None and view.publishing and view.status == "pending":
            del self.requests[rid]
        if event_id is not None and self.event_to_request.get(event_id) == rid:
            del self.event_to_request[event_id]

    def _view(self, rid: str) -> RequestView:
        view = self.requests.get(rid)
        if view is None:
            view = self.requests[rid] = RequestView(rid)
        return view

    def _decide(
        self,
        rid: str,
        region: str,
        site: str | None,
        status: str,
        *,
        sessions: list[dict[str, Any]] | None = None,
        reason: str | None = None,
        detail: str | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        view = self._view(rid)
        view.region, view.site = region, site or view.site
        view.status, view.sessions = status, sessions or []
        view.reason, view.detail, view.errors = reason, detail, errors or []
        self._wake(rid)

    def _wake(self, key: str) -> None:
        for waiter in self._waiters.pop(key, []):
            waiter.set()

    # -- reads -------------------------------------------------------------
    def overdue(self, seconds: float) -> list[RequestView]:
        """Requests (or cancels) on the intake ``seconds`` ago or more, still undecided."""
        cutoff = self.clock() - seconds
        return [
            v
            for v in self.requests.values()
            if v.region is not None
            and v.request is not None
            and not v.publishing
            and v.asked_at <= cutoff
            and (
                v.status == "pending"
                or (v.cancel_requested and v.status in ("confirmed", "waitlisted"))
            )
        ]

    def overdue_events(self, seconds: float) -> list[EventView]:
        """This gateway's operator events on the intake ``seconds`` ago or more, still
        without a receipt, each the latest of its region (see ``EventView.may_resend``)."""
        cutoff = self.clock() - seconds
        return [
            v
            for v in self.events.values()
            if v.may_resend and v.data is not None and v.asked_at <= cutoff
        ]

    async def wait_decided(self, rid: str, seconds: float) -> None:
        """Wait until a request has a decision other than 'pending' (or time out)."""
        view = self.requests.get(rid)
        if view is None or view.status == "pending":
            await self._wait(rid, seconds)

    async def wait_handled(self, event_id: str, seconds: float) -> None:
        """Wait until an operator event has its receipt (or time out)."""
        view = self.events.get(event_id)
        if view is None or view.status == "pending":
            await self._wait(f"event:{event_id}", seconds)

    async def _wait(self, key: str, seconds: float) -> None:
        if seconds <= 0:
            return
        waiter = asyncio.Event()
        waiters = self._waiters.setdefault(key, [])
        waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter.wait(), seconds)
        except TimeoutError:
            waiters.remove(waiter)  # a client polling an undecided request leaves nothing behind
            if not waiters:
                self._waiters.pop(key, None)


class Follower:
    """Replays and follows the topics into a projection."""

    def __init__(self, bootstrap: str, projection: Projection) -> None:
        self.bootstrap = bootstrap
        self.projection = projection
        self.caught_up = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # No group: every gateway reads everything; subscribe() without a
        # group assigns all partitions of the topics, from the beginning.
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            group_id=None,
            max_partition_fetch_bytes=8 * 1024 * 1024,
        )
        await consumer.start()
        self._consumer = consumer
        consumer.subscribe([INTAKE, DECISIONS, PLANS])
        for _ in range(100):
            if consumer.assignment():
                break
            await consumer.getmany(timeout_ms=100, max_records=1)  # drives the assignment
            await consumer.seek_to_beginning()
        parts = sorted(consumer.assignment())
        if parts:
            await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts) if parts else {}
        self._task = asyncio.create_task(self._run(ends))

    async def _run(self, ends: dict[TopicPartition, int]) -> None:
        assert self._consumer is not None
        pending = {tp: off for tp, off in ends.items() if off > 0}
        if not pending:
            self.caught_up.set()
        while True:
            batches = await self._consumer.getmany(timeout_ms=200, max_records=2000)
            for tp, messages in batches.items():
                for msg in messages:
                    if tp in pending and msg.offset + 1 >= pending[tp]:
                        del pending[tp]  # before decoding: a bad last message still counts
                    try:
                        event, payload = decode(msg.value)
                    except WireError:
                        continue  # the scheduler dead-letters these; nothing to show
                    self.projection.apply(event, payload)
            if pending == {} and not self.caught_up.is_set():
                self.caught_up.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # shutting down
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
