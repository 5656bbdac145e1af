"""Disruptions in the running service: catalogue first, repair in the background.

A ``DisruptionReported`` changes the region's catalogue at once and marks
the region for repair (persisted in the ``regions`` table, so a restart does
not forget it). The worker's timer runs the minimal-change repair
(``services.planner.repair``) off the event loop and sends a
``RepairProposed`` back through the intake topic; it is applied only on the
version it was computed for. Applying it emits ``BookingRescheduled`` for
every booking whose sessions moved, ``BookingDisplaced`` for bookings that
could not be kept, and confirmations for requests the repair promoted.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from schemas.common import describe_errors
from schemas.disruptions import BookingWithdrawn
from schemas.events import (
    BookingCancelled,
    BookingDisplaced,
    BookingRescheduled,
    DisruptionReported,
    Envelope,
    RegionCatalogue,
    RepairProposed,
)
from schemas.schedule import SCHEDULE_FORMAT, Schedule, Session
from services.planner.calendar import reference_day
from services.planner.disruptions import DisruptionError, apply_disruptions
from services.planner.repair import RepairParams, repair
from services.scheduler.state import RegionRuntime, snapshot

if TYPE_CHECKING:
    from services.scheduler.handlers import Out, Outcome, Scheduler


def describe(p: DisruptionReported) -> str:
    d = p.disruption
    what = (
        getattr(d, "equipment", None) or getattr(d, "container", None) or getattr(d, "staff", None)
    )
    what = what or getattr(d, "site", None) or getattr(d, "resource", None) or ""
    start, end = getattr(d, "from_", None), getattr(d, "to", None)
    span = f" {start}..{end}" if start is not None else ""
    return f"{d.kind} {what}{span}".strip()


def on_disruption(sched: Scheduler, event: Envelope, p: DisruptionReported) -> Outcome:
    from services.scheduler.handlers import InvalidEvent, Outcome

    if isinstance(p.disruption, BookingWithdrawn):  # a cancel by another name
        rec = sched.store.bookings.get(p.disruption.request)
        # a region's events stay on its partition: no withdrawing another region's booking
        if rec is not None and rec.get("region") != p.region:
            message = f"request '{p.disruption.request}' is not in region '{p.region}'"
            raise InvalidEvent(
                "unknown-reference", [{"field": "data.disruption.request", "message": message}]
            )
        cancel = BookingCancelled(request_id=p.disruption.request, cancelled_by=p.reported_by)
        return sched.handle_cancel(event, cancel)
    rt = sched.runtime(p.region)
    if rt is None:
        raise InvalidEvent(
            "unknown-reference",
            [{"field": "data.region", "message": f"no catalogue for '{p.region}'"}],
        )
    scenario = snapshot(rt).model_copy(update={"locked": []})
    today = reference_day(scenario)  # as the repair counts it
    try:
        after, _, trips = apply_disruptions(scenario, [p.disruption], rt.moves, today)
    except ValidationError as exc:  # e.g. an added unit at a site the region lacks
        errors = [{**e, "field": f"data.disruption.{e['field']}"} for e in describe_errors(exc)]
        raise InvalidEvent("disruption-invalid", errors) from None
    except (DisruptionError, ValueError) as exc:
        field = getattr(exc, "field", None)
        where = f"data.disruption.{field}" if field else "data.disruption"
        raise InvalidEvent("disruption-invalid", [{"field": where, "message": str(exc)}]) from None
    catalogue = {k: getattr(after, k) for k in RegionCatalogue.model_fields}
    checked = RegionCatalogue.model_validate(catalogue)
    sched.store.catalogues[p.region] = checked.model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    meta = dict(sched.store.regions.get(p.region) or {})
    if trips != rt.moves:  # a delayed trip's new ready day: a fact from now on
        meta["moves"] = [m.model_dump(mode="json", by_alias=True, exclude_none=True) for m in trips]
    meta["repair"] = "; ".join(x for x in (meta.get("repair"), describe(p)) if x)
    box = getattr(p.disruption, "container", None)
    if isinstance(box, str):  # its own moves may change despite the notice period
        meta["repair_containers"] = sorted({*meta.get("repair_containers", []), box})
    sched.store.regions[p.region] = meta
    rt = sched.reload(p.region)
    sched.touch(rt, "disruption")
    return Outcome([], "disruption", p.region)


def repair_input(rt: RegionRuntime, frozen_days: int, today: dt.date) -> tuple[str, str]:
    """(scenario JSON, current schedule JSON) for the repair thread."""
    scenario = snapshot(rt).model_copy(update={"locked": []})
    # an unkept booking goes in with all its old sessions: the repair sees the ones
    # the catalogue lost as locks it cannot keep, and reschedules or displaces them
    sessions = [
        s
        for r, st in rt.status.items()
        if st == "confirmed"
        for s in (rt.unkept.get(r) or rt.live.sessions(r))
    ]
    current = Schedule.model_validate(
        {
            "format": SCHEDULE_FORMAT,
            "scenario": rt.region,
            "sessions": sessions,
            "container_moves": rt.moves,
            "metrics": {
                "served_value": 0,
                "requested_value": 0,
                "container_km": 0.0,
                "solve_seconds": 0.0,
            },
        },
        strict=False,
    )
    return (
        scenario.model_dump_json(by_alias=True, exclude_none=True),
        current.model_dump_json(by_alias=True, exclude_none=True),
    )


def run_repair(
    scenario_json: str,
    current_json: str,
    seconds: float,
    frozen_days: int,
    notice_days: int,
    today: str,
    disrupted: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Plain JSON in and out (runs in an executor).

    ``notice_days``: the service's ``HUBPLAN_NOTICE_DAYS``; trips departing
    inside that notice period stay unless their container is ``disrupted``.
    """
    from schemas.scenario import Scenario

    scenario = Scenario.model_validate_json(scenario_json)
    current = Schedule.model_validate_json(current_json)
    start = max(dt.date.fromisoformat(today), scenario.horizon.start)
    result = repair(
        scenario,
        current,
        RepairParams(
            time_limit=seconds,
            workers=1,
            frozen_days=frozen_days,
            notice_days=notice_days,
            today=start,
            disrupted_containers=frozenset(disrupted),
            shortcut=True,  # the background optimiser promotes the waitlist right after
        ),
    )
    touched = {c.request for c in result.changes}
    sessions: dict[str, list[dict[str, Any]]] = {r: [] for r in touched if r not in result.lost}
    for s in result.plan.sessions:
        if s.request in sessions:
            sessions[s.request].append(s.model_dump(mode="json", exclude_none=True))
    return {
        "sessions": sessions,
        "lost": result.lost,
        "moves": [
            m.model_dump(mode="json", by_alias=True, exclude_none=True) for m in result.plan.moves
        ],
        "changed": result.changed_sessions,
        "seconds": result.plan.solve_seconds,
        "moves_not_kept": [gone.describe() for gone in result.moves_not_kept],
    }


def on_repair(sched: Scheduler, p: RepairProposed) -> Outcome:
    from services.scheduler.handlers import Outcome

    rt = sched.runtime(p.region)
    if rt is None or rt.version != p.base_version:
        return Outcome([], "stale-repair", p.region)
    msgs = []
    for rid, sessions in p.sessions.items():
        if rid not in rt.requests:
            continue
        req = rt.requests[rid]
        old = rt.unkept.get(rid) or rt.live.sessions(rid)
        was = rt.status.get(rid)
        sched.record(rt, req, "confirmed", sessions=sessions)
        rt.waitlist.discard(rid)
        if was == "confirmed":
            payload = BookingRescheduled(
                request_id=rid, site=req.site, old_sessions=old, sessions=sessions, reason=p.cause
            )
            msgs.append(sched.decision_out(rt.region, payload))
        else:
            msgs.append(sched.current_decision(rid, via="optimiser"))
    lost = [r for r in p.lost if rt.status.get(r) == "confirmed"]
    for rid in lost:
        req = rt.requests[rid]
        old = rt.unkept.get(rid) or rt.live.sessions(rid)
        detail = f"displaced by {p.cause}; no other slot could keep it"
        sched.record(rt, req, "waitlisted", reason="no-capacity", detail=detail)
        msgs.append(
            sched.decision_out(
                rt.region,
                BookingDisplaced(request_id=rid, site=req.site, old_sessions=old, reason=p.cause),
            )
        )
    meta = dict(sched.store.regions.get(p.region) or {})
    meta["moves"] = [m.model_dump(mode="json", by_alias=True, exclude_none=True) for m in p.moves]
    meta.pop("repair", None)
    meta.pop("repair_containers", None)
    sched.store.regions[p.region] = meta
    rt = sched.reload(p.region)
    for rid in lost:  # on the new plan: why it waits, and what it could have instead
        msgs.append(_after_displacement(sched, rt, rid, p.cause))
    sched.touch(rt, "repair")
    return Outcome(msgs, "repaired", p.region)


def _after_displacement(sched: Scheduler, rt: RegionRuntime, rid: str, cause: str) -> Out:
    """The decision a displaced booking ends with: booked again if the repaired plan
    has room after all, else waitlisted with the true reason and counter-offers,
    like a request that had just arrived."""
    from services.scheduler.offer_handlers import offers_for

    req = rt.requests[rid]
    decided = rt.live.add(req)
    if isinstance(decided, list):
        rt.waitlist.discard(rid)
        sched.record(rt, req, "confirmed", sessions=decided)
    else:
        detail = f"displaced by {cause}: {decided.detail}"
        sched.record(
            rt, req, "waitlisted", reason=decided.reason, detail=detail, offers=offers_for(rt, req)
        )
    return sched.current_decision(rid, via="optimiser")


def session_list(raw: list[dict[str, Any]]) -> list[Session]:
    return [Session.model_validate(x, strict=False) for x in raw]
