"""Could one request be served whole in an otherwise empty plan? Exactly.

``not-optimised`` may only be said of a request that is feasible alone.
Placing it greedily with every candidate at once was not a proof: the greedy
put a container at different sites on different days with no move between
them, and called an impossible request feasible.

First a cheap witness: the greedy over the fixed units plus *one* container
site at a time. One site per container is a valid plan (at most one move,
leaving on the first working day, ready before its first session), so a
success proves feasibility. Only when no such witness exists is the request
built as a one-request CP-SAT model (container moves, instructors, every
rule) and solved.
"""

from __future__ import annotations

from dataclasses import replace

from ortools.sat.python import cp_model

from services.planner.greedy import place_request
from services.planner.instance import Instance
from services.planner.ledger import Ledger
from services.planner.model.build import build_model
from services.planner.options import CONTAINER, Candidate, StaffDays, candidates, expand

ALONE_SECONDS = 2.0  # one request's model: milliseconds; the limit is a guard


def feasible_alone(
    inst: Instance, r: int, staffed: StaffDays | None, *, with_staff: bool = True
) -> bool | None:
    """True/False when settled; None when the solver ran out of time.

    ``with_staff=False`` asks the same ignoring instructors (to tell a staff
    shortage from a calendar one).
    """
    allowed = staffed if with_staff else None
    cands = candidates(inst, inst.requests[r], allowed)
    if not cands:
        return False
    if _witness(inst, r, cands, with_staff):
        return True
    return _solve(inst, r, cands, with_staff)


def _witness(inst: Instance, r: int, cands: list[Candidate], with_staff: bool) -> bool:
    fixed = [c for c in cands if c.kind != CONTAINER]
    boxes = [c for c in cands if c.kind == CONTAINER]
    world = inst if with_staff else replace(inst, staff=None)  # no instructor booked
    return any(
        place_request(world, Ledger(world), r, fixed + extra) is not None
        for extra in [[], *([c] for c in boxes)]
    )


def _solve(inst: Instance, r: int, cands: list[Candidate], with_staff: bool) -> bool | None:
    world = inst if with_staff else replace(inst, staff=None)  # no instructor rule
    model, v, _ = build_model(world, expand(world, r, cands), [r], [])
    model.add(v.served[r] == 1)
    model.clear_objective()  # type: ignore[no-untyped-call]
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = ALONE_SECONDS
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    if status == cp_model.INFEASIBLE:
        return False
    return None
