"""The background optimiser: full CP-SAT solve of a region, off the event loop.

Runs in the worker's solver process (``solver_pool``; the worker must keep
heartbeating and consuming), on a snapshot where every confirmed session is
a pinned lock. Only waitlisted requests can gain sessions; the proposal is
sent back through ``hubplan.intake`` and applied by the agent only if the
region has not changed since the snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from schemas.events import PlanProposed
from schemas.scenario import Scenario
from schemas.schedule import ContainerMove
from services.planner.solve import SolveParams, solve
from services.validator import validate


def solve_snapshot(
    scenario_json: str,
    waitlisted: list[str],
    seconds: float,
    workers: int,
    fair_share: bool = False,
    booked_moves: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Plain JSON in, plain JSON out (it crosses a process boundary).

    ``booked_moves``: trips inside the logistics notice period; they must stay.
    """
    scenario = Scenario.model_validate_json(scenario_json)
    fixed = tuple(ContainerMove.model_validate(m, strict=False) for m in booked_moves or [])
    params = SolveParams(
        time_limit=seconds, workers=workers, fair_share=fair_share, fixed_moves=fixed
    )
    result = solve(scenario, params)
    served = {s.request for s in result.sessions}
    locked = {lock.request for lock in scenario.locked}
    # defence in depth: apply nothing the independent validator would reject
    problems = validate(scenario, result.to_schedule(scenario.name or "snapshot"))
    safe = (
        not result.displaced
        and locked <= served
        and not [p for p in problems if p.rule != "metrics"]
    )
    promote: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in result.sessions:
        if s.request in waitlisted:
            promote[s.request].append(s.model_dump(mode="json", exclude_none=True))
    gap = None
    if result.bound:
        gap = max(0.0, (result.bound - result.served_value) / result.bound)
    return {
        "safe": safe,
        "promote": dict(promote) if safe else {},
        "moves": [
            m.model_dump(mode="json", by_alias=True, exclude_none=True) for m in result.moves
        ],
        "seconds": result.solve_seconds,
        "gap": gap,
        "status": result.status,
    }


def dumps(scenario: Scenario) -> str:
    return scenario.model_dump_json(by_alias=True, exclude_none=True)


def fit_proposal(
    proposal: PlanProposed, limit: int, size: Callable[[PlanProposed], int]
) -> PlanProposed:
    """The proposal with as many promotions as fit ``limit`` bytes (``size`` measures
    the encoded event); ``partial`` when some were left out.

    Any subset of a plan's promotions is a valid plan (fewer sessions never break
    capacity; the moves stay consistent with every confirmed session), and a
    partial proposal leaves the region to be optimised again, so the rest
    follows. Without this a big promotion (~2,600 sessions) was refused by
    the worker's own intake as too large.
    """
    if size(proposal) <= limit:
        return proposal
    ids = sorted(proposal.promote)

    def first(n: int) -> PlanProposed:
        kept = {rid: proposal.promote[rid] for rid in ids[:n]}
        return proposal.model_copy(update={"promote": kept, "partial": True})

    lo, hi = 0, len(ids) - 1  # the most that fit, by bisection (size grows with n)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if size(first(mid)) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return first(lo)
