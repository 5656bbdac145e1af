"""Requests and cancels that wait too long for a decision are published again."""

from __future__ import annotations

import json
from typing import Any

from schemas.common import Strict
from schemas.events import (
    BookingCancelled,
    BookingConfirmed,
    BookingRejected,
    BookingRequested,
    envelope,
)
from schemas.scenario import Request
from services.gateway.readside import Projection
from services.gateway.resubmit import Resubmitter
from tests.builders import request


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def asked(proj: Projection, rid: str) -> None:
    req = Request.model_validate_json(json.dumps(request(rid)))
    payload = BookingRequested(request=req, requested_by="school")
    proj.apply(envelope(payload, key="r", source="gateway"), payload)


def decided(proj: Projection, payload: Strict) -> None:
    proj.apply(envelope(payload, key="r", source="scheduler"), payload)


def cancel_asked(proj: Projection, rid: str) -> None:
    payload = BookingCancelled(request_id=rid, cancelled_by="school")
    proj.apply(envelope(payload, key="r", source="gateway"), payload)


def test_only_undecided_requests_and_cancels_become_overdue() -> None:
    clock = Clock()
    proj = Projection(clock)
    for rid in ("waits", "done", "bad", "to-cancel", "cancel-on-rejected"):
        asked(proj, rid)
    decided(proj, BookingConfirmed(request_id="done", site="s", sessions=[]))
    decided(proj, BookingRejected(request_id="bad", site="s", errors=[]))
    decided(proj, BookingConfirmed(request_id="to-cancel", site="s", sessions=[]))
    decided(proj, BookingRejected(request_id="cancel-on-rejected", site="s", errors=[]))
    clock.now = 10.0
    cancel_asked(proj, "to-cancel")
    cancel_asked(proj, "cancel-on-rejected")  # nothing to cancel: never overdue
    assert [v.request_id for v in proj.overdue(30)] == []
    clock.now = 30.0
    assert [v.request_id for v in proj.overdue(30)] == ["waits"]
    clock.now = 40.0
    assert sorted(v.request_id for v in proj.overdue(30)) == ["to-cancel", "waits"]


async def test_overdue_ones_are_published_again_a_bounded_number_of_times() -> None:
    clock = Clock()
    proj = Projection(clock)
    asked(proj, "lost")
    asked(proj, "to-cancel")
    decided(proj, BookingConfirmed(request_id="to-cancel", site="s", sessions=[]))
    cancel_asked(proj, "to-cancel")
    sent: list[tuple[str, Any]] = []
    kinds: list[str] = []

    async def publish(key: str, payload: Strict) -> str:
        sent.append((key, payload))
        return "id"

    resubmit = Resubmitter(proj, publish, after=30, attempts=2, on_resubmit=kinds.append)
    assert await resubmit.once() == 0  # not overdue yet
    clock.now = 31.0
    assert await resubmit.once() == 2
    by_type = {type(p).__name__: p for _, p in sent}
    assert by_type["BookingRequested"].request.id == "lost"  # the same request id: deduplicated
    assert by_type["BookingCancelled"].request_id == "to-cancel"
    assert {key for key, _ in sent} == {"r"} and sorted(kinds) == [
        BookingCancelled.TYPE,
        BookingRequested.TYPE,
    ]
    for key, payload in sent[:]:  # they come back through the intake: the clock restarts
        proj.apply(envelope(payload, key=key, source="gateway"), payload)
    assert await resubmit.once() == 0
    clock.now = 62.0
    assert await resubmit.once() == 2  # second and last attempt
    clock.now = 200.0
    assert await resubmit.once() == 0
