"""Objective terms, in the spec's order of importance.

1. served value: ``priority * group_size * sessions`` per served request
   (kept locks weigh more than all requested value, so a lock is only dropped
   when its request can no longer be served whole);
2. fewer container km;
3. less pupil travel (group minutes, one way, summed over sessions).

The solver maximises (1) first; then, with (1) held at its best found value,
minimises (2) and (3) combined so that 0.1 km always outweighs all travel.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from services.planner.instance import Instance
from services.planner.model.variables import PlanVars


def lock_bonus(inst: Instance) -> int:
    return sum(r.value for r in inst.requests) + 1


def served_value(inst: Instance, v: PlanVars, locked: set[int]) -> cp_model.LinearExpr:
    bonus = lock_bonus(inst)
    return cp_model.LinearExpr.weighted_sum(
        list(v.served.values()),
        [inst.requests[r].value + (bonus if r in locked else 0) for r in v.served],
    )


def container_decikm(inst: Instance, v: PlanVars) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.weighted_sum(
        list(v.moves.values()),
        [round(inst.travel.road_km(m.origin, m.target) * 10) for m in v.moves],
    )


def pupil_travel(inst: Instance, v: PlanVars) -> tuple[cp_model.LinearExpr, int]:
    """Sum of pupil travel minutes, and an upper bound on it."""
    variables, minutes = [], []
    worst = 0
    for o, var in zip(v.options, v.x, strict=True):
        if inst.requests[o.request].audience == "pupils" and o.travel > 0:
            variables.append(var)
            minutes.append(round(o.travel))
    for r in v.served:
        req = inst.requests[r]
        if req.audience == "pupils":
            worst += round(req.max_travel_minutes) * req.sessions
    return cp_model.LinearExpr.weighted_sum(variables, minutes), worst


def secondary(inst: Instance, v: PlanVars) -> cp_model.LinearExpr:
    travel, worst = pupil_travel(inst, v)
    return (worst + 1) * container_decikm(inst, v) + travel
