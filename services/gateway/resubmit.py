"""Publish again what has waited too long for a decision.

Why: every request must end with a decision, but a stream processor can lose
an event in a rebalance. Seen once in CI: a Faust worker taking over a dead
worker's partition decided every event on it but one, and committed past it
(services/scheduler/kafka_transport.py fixes the one way of losing events we
could pin down). Bookings and cancels are deduplicated by request id, so
publishing them again is safe: the scheduler decides the request, or emits
the decision it already has. An operator's catalogue, resource or disruption
event without a receipt is published again with its own event id, which the
scheduler deduplicates on (it re-sends the receipt it kept), by the gateway
that published it and only while it is its region's latest operator event
(``EventView.may_resend``). Every gateway does this for what its read side
sees; a request or event is published again at most ``attempts`` times.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from schemas.common import Strict
from schemas.events import PAYLOADS, BookingCancelled, BookingRequested
from schemas.scenario import Request
from services.gateway.readside import Projection

log = logging.getLogger("hubplan.gateway.resubmit")


class Publish(Protocol):
    async def __call__(self, key: str, payload: Strict, event_id: str | None = None) -> str: ...


class Resubmitter:
    def __init__(
        self,
        projection: Projection,
        publish: Publish,
        after: float,
        attempts: int = 5,
        on_resubmit: Callable[[str], None] = lambda event_type: None,
    ) -> None:
        self.projection, self.publish = projection, publish
        self.after, self.attempts, self.on_resubmit = after, attempts, on_resubmit
        self.tries: dict[str, int] = {}

    async def once(self) -> int:
        """Publish every overdue request, cancel or operator event again; how many were."""
        done = 0
        for view in self.projection.overdue(self.after):
            rid, region = view.request_id, view.region
            assert region is not None and view.request is not None  # overdue() checks
            n = self.tries.get(rid, 0)
            if n >= self.attempts:
                continue
            self.tries[rid] = n + 1
            if view.status == "pending":
                request = Request.model_validate(view.request, strict=False)
                await self.publish(
                    region, BookingRequested(request=request, requested_by="resubmit")
                )
                self.on_resubmit(BookingRequested.TYPE)
            if view.cancel_requested:
                await self.publish(
                    region, BookingCancelled(request_id=rid, cancelled_by="resubmit")
                )
                self.on_resubmit(BookingCancelled.TYPE)
            left = self.attempts - n - 1
            log.warning(
                "no decision for %s after %.0f s: published again (%d left)", rid, self.after, left
            )
            done += 1
        return done + await self._events()

    async def _events(self) -> int:
        done = 0
        for view in self.projection.overdue_events(self.after):
            key = f"event:{view.event_id}"
            n = self.tries.get(key, 0)
            if n >= self.attempts:
                continue
            self.tries[key] = n + 1
            payload = PAYLOADS[view.type].model_validate(view.data, strict=False)
            await self.publish(view.region, payload, event_id=view.event_id)
            self.on_resubmit(view.type)
            log.warning(
                "no receipt for %s %s after %.0f s: published again (%d left)",
                view.type,
                view.event_id,
                self.after,
                self.attempts - n - 1,
            )
            done += 1
        return done

    async def run(self, caught_up: asyncio.Event) -> None:
        await caught_up.wait()  # before that, "pending" may only mean "not replayed yet"
        while True:
            await asyncio.sleep(max(1.0, self.after / 4))
            try:
                await self.once()
            except Exception:  # the broker may be away for a while; try again later
                log.exception("resubmitting overdue requests failed")
