"""Cancels, and the waitlist retry they leave to a command sent to the worker itself.

A cancel frees its sessions at once but does not retry the waitlist: with
thousands waiting that is ~4 greedy placements per freed session. It sends
``RetryWaitlist`` behind itself on the region's intake partition instead,
so a run of queued cancels is retried once (docs/pipeline.md,
"Cancellations"). Any other event of the region first offers what was freed
to the waitlist (``Scheduler.handle`` calls :func:`retry_freed`), so first
come, first served holds.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from schemas.events import (
    INTAKE,
    BookingCancellationConfirmed,
    BookingCancelled,
    Envelope,
    RetryWaitlist,
    envelope,
)
from services.scheduler.state import RegionRuntime

if TYPE_CHECKING:
    from services.scheduler.handlers import Out, Outcome, Scheduler


def on_cancel(sched: Scheduler, event: Envelope, p: BookingCancelled) -> Outcome:
    from services.scheduler.handlers import Outcome

    rec = sched.store.bookings.get(p.request_id)
    if rec is None or rec["status"] in ("cancelled", "rejected"):
        msgs = [sched.current_decision(p.request_id)] if rec else []
        return Outcome(msgs, "cancel-noop", event.key)
    rt = sched.runtime(rec["region"])
    assert rt is not None
    freed = rt.live.cancel(p.request_id)
    rt.waitlist.discard(p.request_id)
    sched.record(rt, rt.requests[p.request_id], "cancelled", sessions=[])
    rt.requests.pop(p.request_id, None)
    rt.status.pop(p.request_id, None)
    confirmed = BookingCancellationConfirmed(
        request_id=p.request_id, site=rec["request"]["site"], freed_sessions=len(freed)
    )
    msgs = [sched.decision_out(rt.region, confirmed)]
    if freed:  # a waitlisted request's cancel frees nothing: no retry
        rt.freed += freed
        if rt.retry_token is None:
            msgs.append(_retry_command(sched, rt))
    sched.touch(rt, "cancel")
    return Outcome(msgs, "cancelled", rt.region)


def retry_freed(sched: Scheduler, region: str) -> list[Out]:
    """Offer what cancellations freed since the last retry to the waitlist."""
    rt = sched.cache.get(region)
    if rt is None or not rt.freed:
        return []
    freed, rt.freed = rt.freed, []
    msgs = sched.promote(rt, freed)
    if msgs:
        sched.touch(rt, "cancel")
    return msgs


def on_retry(sched: Scheduler, p: RetryWaitlist) -> Outcome:
    from services.scheduler.handlers import Outcome

    rt = sched.runtime(p.region)
    if rt is None:
        return Outcome([], "ignored", p.region)
    if p.token == rt.retry_token:
        rt.retry_token = None
        msgs = retry_freed(sched, p.region)
    else:
        # sent before this worker rebuilt the region (restart, rebalance):
        # what was freed is not known here, so every waiting shape is retried
        rt.freed, rt.retry_token = [], None
        msgs = sched.promote(rt)
        if msgs:
            sched.touch(rt, "cancel")
    return Outcome(msgs, "waitlist-retried", p.region, promoted_after_cancel=len(msgs))


def _retry_command(sched: Scheduler, rt: RegionRuntime) -> Out:
    from services.scheduler.handlers import Out

    rt.retry_token = uuid.uuid4().hex
    command = RetryWaitlist(region=rt.region, token=rt.retry_token)
    return Out(INTAKE, envelope(command, key=rt.region, source=sched.source))
