"""Assemble a plan result: names handed out, unserved explained, metrics summed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from schemas.scenario import LockedSession
from schemas.schedule import Displaced
from services.planner import finalize
from services.planner.fairness import fairness_figures, site_shares
from services.planner.fill_in import FinalPlan, complete_plan, reconcile, where_of
from services.planner.greedy import served_requests
from services.planner.instance import Instance
from services.planner.ledger import Booking
from services.planner.locks import DisplacedLock, KeptLock
from services.planner.model.variables import Move
from services.planner.plan_result import PlanResult
from services.planner.reasons import explain_unserved

Teachers = dict[tuple[int, int, str, str], list[int]]


def teachers_of(inst: Instance, plan: Sequence[Booking]) -> Teachers:
    out: Teachers = defaultdict(list)
    for b in plan:
        if b.staff is not None:
            out[(b.day, b.slot, b.site, inst.requests[b.request].equipment_type)].append(b.staff)
    return dict(out)


def assemble_result(
    inst: Instance,
    plan: list[Booking],
    moves: list[Move],
    teachers: Teachers,
    kept: list[KeptLock],
    displaced: list[DisplacedLock],
    status: str,
    bound: float | None,
    region_status: dict[str, str],
    fcfs_value: int,
    seed_value: int,
    seconds: float,
    first_plan: float,
    *,
    fill_in: bool | None = None,
) -> PlanResult:
    """The result of a plan; ``fill_in`` completes it first (``fill_in.py``).

    ``fill_in`` defaults to "this is the offline optimiser's plan": a bound is
    given and the status is not the FCFS baseline. The baseline stays what it
    is, and the repair leaves promotions to the background optimiser.
    """
    served = served_requests(plan, inst)
    plan = [b for b in plan if b.request in served]
    if not teachers:
        teachers = teachers_of(inst, plan)
    finalize.hand_out_staff(inst, plan, teachers, kept)
    kept, displaced = reconcile(inst, plan, moves, kept, displaced)
    fcfs = status == "FCFS"
    if fill_in is None:
        fill_in = bound is not None and not fcfs
    if fill_in:
        plan, kept, displaced = complete_plan(inst, plan, moves, kept, displaced)
        served = served_requests(plan, inst)
    finalize.name_units(inst, plan, kept)
    finalize.number_sessions(inst, plan, kept)
    held = {(k.request, k.day, k.slot) for k in kept if k.request in served}
    # only the optimiser's statuses speak of value (a repair's of fewest changes)
    proven = frozenset(
        g for g, s in region_status.items() if s == "OPTIMAL" and bound is not None and not fcfs
    )
    final = FinalPlan(inst, plan, where_of(inst, moves), held, filled=fill_in, proven=proven)
    unserved = [
        explain_unserved(inst, r, final=final, fcfs=fcfs)
        for r in range(len(inst.requests))
        if r not in served
    ]
    why = {u.request: u.detail for u in unserved}
    lost = [k for k in kept if k.request not in served]
    displaced_rows = [_displaced(d.lock, d.reason) for d in displaced] + [
        _displaced(
            k.lock,
            f"the request could no longer be served whole: {why[inst.requests[k.request].id]}",
        )
        for k in lost
    ]
    pupil_travel = sum(b.travel for b in plan if inst.requests[b.request].audience == "pupils")
    crowded = {inst.request_index[u.request] for u in unserved if u.reason == "not-optimised"}
    shares = site_shares(inst, served | crowded, served)
    return PlanResult(
        status=status,
        sessions=finalize.sessions_of(inst, plan),
        moves=finalize.moves_of(inst, moves),
        unserved=unserved,
        displaced=displaced_rows,
        served_value=sum(inst.requests[r].value for r in served),
        requested_value=sum(r.value for r in inst.requests),
        container_km=sum(inst.travel.road_km(m.origin, m.target) for m in moves),
        pupil_travel_minutes=pupil_travel,
        bound=bound,
        solve_seconds=seconds,
        fcfs_value=fcfs_value,
        seed_value=seed_value,
        first_plan_seconds=first_plan,
        region_status=region_status,
        **fairness_figures(shares),
    )


def _displaced(lock: LockedSession, reason: str) -> Displaced:
    data = lock.model_dump(exclude_none=True)
    return Displaced.model_validate({**data, "reason": reason}, strict=False)
