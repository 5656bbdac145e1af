"""Requests, cancels and operator events that wait too long are published again."""

from __future__ import annotations

import json
from typing import Any

from schemas.common import Strict
from schemas.disruptions import EquipmentUnavailable
from schemas.events import (
    BookingCancelled,
    BookingConfirmed,
    BookingRejected,
    BookingRequested,
    DisruptionReported,
    EventHandled,
    ResourceChanged,
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

    async def publish(key: str, payload: Strict, event_id: str | None = None) -> str:
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


def disruption() -> DisruptionReported:
    broken = EquipmentUnavailable.model_validate(
        {
            "kind": "equipment-unavailable",
            "equipment": "dry-1",
            "from": "2027-01-05",
            "to": "2027-01-06",
        },
        strict=False,
    )
    return DisruptionReported(region="r", disruption=broken, reported_by="ops")


def receipt(event_id: str, outcome: str = "applied", detail: str = "catalogue") -> EventHandled:
    return EventHandled(
        region="r",
        event_id=event_id,
        event_type=ResourceChanged.TYPE,
        outcome=outcome,
        detail=detail,
    )


def test_an_operator_event_reads_pending_until_its_receipt_comes() -> None:
    proj = Projection(Clock())
    change = ResourceChanged(region="r", kind="staff", op="remove", id="kari")
    proj.expect_event("e1", ResourceChanged.TYPE, "r")  # just published: readable at once
    assert proj.events["e1"].public() == {
        "event_id": "e1",
        "type": ResourceChanged.TYPE,
        "region": "r",
        "status": "pending",
    }
    proj.apply(envelope(change, key="r", source="gateway", event_id="e1"), change)
    rejected = receipt("e1", "rejected", "catalogue-invalid: staff[0].site: unknown site 'x'")
    rejected = rejected.model_copy(
        update={"errors": [{"field": "staff[0].site", "message": "unknown site 'x'"}]}
    )
    decided(proj, rejected)
    view = proj.events["e1"].public()
    assert view["status"] == "rejected" and view["errors"][0]["field"] == "staff[0].site"
    assert "unknown site" in view["detail"]


def test_a_receipt_read_before_its_event_is_not_undone_by_the_event() -> None:
    clock = Clock()
    proj = Projection(clock)
    change = ResourceChanged(region="r", kind="staff", op="remove", id="kari")
    decided(proj, receipt("e1"))
    proj.apply(envelope(change, key="r", source="gateway", event_id="e1"), change)
    clock.now = 100.0
    assert proj.events["e1"].status == "applied" and proj.overdue_events(30) == []


async def test_an_event_without_receipt_is_published_again_with_its_own_id() -> None:
    clock = Clock()
    proj = Projection(clock)
    lost, handled = disruption(), ResourceChanged(region="r", kind="staff", op="remove", id="x")
    handled_event = envelope(handled, key="r", source="gateway")
    proj.expect_event(handled_event.id, handled_event.type, "r")
    proj.apply(handled_event, handled)
    decided(proj, receipt(handled_event.id))
    lost_event = envelope(lost, key="r", source="gateway")
    proj.expect_event(lost_event.id, lost_event.type, "r")  # published by this gateway
    proj.apply(lost_event, lost)
    sent: list[tuple[str, Strict, str | None]] = []
    kinds: list[str] = []

    async def publish(key: str, payload: Strict, event_id: str | None = None) -> str:
        sent.append((key, payload, event_id))
        return event_id or "new"

    resubmit = Resubmitter(proj, publish, after=30, attempts=2, on_resubmit=kinds.append)
    clock.now = 31.0
    assert await resubmit.once() == 1
    ((key, payload, event_id),) = sent
    assert (key, event_id, payload) == ("r", lost_event.id, lost)  # same id: deduplicated
    assert kinds == [DisruptionReported.TYPE]
    proj.apply(envelope(payload, key=key, source="gateway", event_id=event_id), payload)
    clock.now = 62.0
    assert await resubmit.once() == 1
    clock.now = 200.0
    assert await resubmit.once() == 0  # two attempts, then it stays pending for a person


async def test_waiting_for_a_receipt_ends_when_it_comes() -> None:
    import asyncio

    proj = Projection(Clock())
    proj.expect_event("e1", ResourceChanged.TYPE, "r")
    waiting = asyncio.create_task(proj.wait_handled("e1", 5))
    await asyncio.sleep(0)
    assert not waiting.done()
    decided(proj, receipt("e1"))
    await asyncio.wait_for(waiting, 1)
    await proj.wait_handled("e1", 5)  # already handled: returns at once


async def test_only_this_gateways_latest_event_of_a_region_is_published_again() -> None:
    clock = Clock()
    proj = Projection(clock)

    def published(payload: Strict, region: str, mine: bool) -> str:
        event = envelope(payload, key=region, source="gateway")
        if mine:
            proj.expect_event(event.id, event.type, region)
        proj.apply(event, payload)
        return event.id

    older = published(ResourceChanged(region="r", kind="staff", op="remove", id="a"), "r", True)
    later = published(ResourceChanged(region="r", kind="staff", op="remove", id="b"), "r", True)
    replayed = published(ResourceChanged(region="s", kind="staff", op="remove", id="c"), "s", False)
    clock.now = 31.0
    assert [v.event_id for v in proj.overdue_events(30)] == [later]
    # a copy of the older one would land after the later change and undo it
    assert "not published again" in proj.events[older].public()["detail"]
    # history replayed at start (another gateway's, or from before a restart): left alone
    assert proj.events[replayed].status == "pending" and not proj.events[replayed].may_resend


async def test_a_poll_that_times_out_leaves_no_waiter_behind() -> None:
    proj = Projection(Clock())
    proj.expect_event("e1", ResourceChanged.TYPE, "r")
    await proj.wait_handled("e1", 0.01)
    await proj.wait_decided("never-decided", 0.01)
    assert proj._waiters == {}
