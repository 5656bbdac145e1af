"""Assemble one region's CP-SAT model from options, rules and objective.

``build_model`` is pure: plain planner data in, a model and its variables
out. Hard rules are listed in ``HARD_RULES`` so a reader sees the whole
formulation in one place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ortools.sat.python import cp_model

from services.planner.instance import Instance
from services.planner.ledger import Booking
from services.planner.locks import KeptLock
from services.planner.model import cuts, rules
from services.planner.model.objective import served_value
from services.planner.model.variables import Move, PlanVars
from services.planner.options import Option

HARD_RULES = (
    rules.whole_or_nothing,
    rules.distinct_dates_with_gap,
    rules.unit_capacity,
    rules.container_positions,
    rules.instructors,
    cuts.container_presence,  # redundant for whole plans; tightens the LP (cuts.py)
)


def build_model(
    inst: Instance,
    options: Sequence[Option],
    requests: Sequence[int],
    kept: Sequence[KeptLock],
    fixed_moves: Sequence[Move] = (),
) -> tuple[cp_model.CpModel, PlanVars, cp_model.LinearExpr]:
    """The model for ``requests`` (one region), their options, kept locks and moves
    that must happen (inside the logistics notice period)."""
    model = cp_model.CpModel()
    x = [
        model.new_bool_var(
            f"x_{inst.requests[o.request].id}_{o.kind}{o.resource}_{o.day}_{o.slot}_{o.site}"
        )
        for o in options
    ]
    served = {r: model.new_bool_var(f"served_{inst.requests[r].id}") for r in requests}
    v = PlanVars(options=list(options), x=x, served=served, fixed_moves=list(fixed_moves))
    for rule in HARD_RULES:
        rule(model, inst, v)
    for move in fixed_moves:  # every one is an arc of its container's flow
        model.add(v.moves[move] == 1)
    locked = keep_locks(model, inst, v, kept)
    value = served_value(inst, v, locked)
    model.maximize(value)
    return model, v, value


def keep_locks(
    model: cp_model.CpModel, inst: Instance, v: PlanVars, kept: Sequence[KeptLock]
) -> set[int]:
    """Rule 8: a kept lock's session is chosen exactly when its request is served."""
    by_key: dict[tuple[int, int, int, int, int], list[tuple[str, cp_model.IntVar]]] = defaultdict(
        list
    )
    for o, var in zip(v.options, v.x, strict=True):
        by_key[(o.request, o.kind, o.resource, o.day, o.slot)].append((o.site, var))
    locked = set()
    for lock in kept:
        found = [
            (site, var)
            for site, var in by_key.get(
                (lock.request, lock.kind, lock.resource, lock.day, lock.slot), []
            )
            if lock.site is None or site == lock.site
        ]
        served = v.served.get(lock.request)
        if served is None:
            continue
        model.add(sum(var for _, var in found) == served)
        locked.add(lock.request)
        if lock.staff is not None:
            # The named instructor teaches in the lock's own group: at whichever site
            # the lock's session is held. Asking only for *some* group of the type in
            # the slot let them teach another session while the hand-out gave the
            # locked one to someone else.
            kind = inst.requests[lock.request].equipment_type
            for site, var in found:
                teach = v.teach.get((lock.staff, lock.day, lock.slot, site, kind))
                if teach is None:  # they cannot teach there: not this site
                    model.add(var == 0)
                else:
                    model.add(teach >= var)
    return locked


def add_hint(
    model: cp_model.CpModel,
    inst: Instance,
    v: PlanVars,
    plan: Sequence[Booking],
    moves: Sequence[Move] = (),
) -> None:
    """Seed the solver with a complete, valid plan; containers at their start site
    unless the plan comes with its ``moves``."""
    where: dict[tuple[int, int], str | None] = {}
    for m in sorted(moves, key=lambda m: m.depart):
        for k in range(m.depart, len(inst.days)):
            where[(m.box, k)] = None if k < m.ready else m.target
    index = {
        (o.request, o.kind, o.resource, o.day, o.slot, o.site): i for i, o in enumerate(v.options)
    }
    on = {index[(b.request, b.kind, b.resource, b.day, b.slot, b.site)] for b in plan}
    for i, var in enumerate(v.x):
        model.add_hint(var, i in on)
    served = {b.request for b in plan}
    for r, var in v.served.items():
        model.add_hint(var, r in served)
    for (b, k, site), var in v.at.items():
        model.add_hint(var, site == where.get((b, k), inst.boxes[b].start_site))
    chosen = set(moves)
    for move, var in v.moves.items():
        model.add_hint(var, move in chosen)
    teaching = {
        (b.staff, b.day, b.slot, b.site, inst.requests[b.request].equipment_type)
        for b in plan
        if b.staff is not None
    }
    for key, var in v.teach.items():
        model.add_hint(var, key in teaching)
