"""Drop container trips that end at a stay without sessions.

Within a short time limit CP-SAT's second phase (fewer km) may not finish,
and a plan can keep trips to a site where the container then holds nothing.
Logistics staff would get transport orders for pointless trips, so every such
stay is cut out: p -> q -> r becomes p -> r (or nothing when r is p) with the
same departure, provided the container is still ready before it is next
needed and the km do not grow. A trailing trip to an unused stay is dropped.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from services.planner.calendar import move_span
from services.planner.instance import Instance
from services.planner.ledger import Booking
from services.planner.model.variables import Move
from services.planner.options import CONTAINER


def tidy_moves(
    inst: Instance, plan: Sequence[Booking], moves: Sequence[Move], keep: Collection[Move] = ()
) -> list[Move]:
    """``keep``: moves inside the logistics notice period, never cut or merged."""
    out: list[Move] = []
    for b, box in enumerate(inst.boxes):
        mine = sorted((m for m in moves if m.box == b), key=lambda m: m.depart)
        used = sorted((x.day, x.site) for x in plan if x.kind == CONTAINER and x.resource == b)
        out += _tidy_one(inst, b, box.setup_days, mine, used, set(keep))
    return out


def _sessions_between(used: list[tuple[int, str]], site: str, first: int, last: int) -> list[int]:
    return [day for day, where in used if where == site and first <= day <= last]


def _tidy_one(
    inst: Instance,
    b: int,
    setup: int,
    moves: list[Move],
    used: list[tuple[int, str]],
    keep: set[Move],
) -> list[Move]:
    horizon = len(inst.days)
    changed = True
    while changed:
        changed = False
        for i, move in enumerate(moves):
            nxt = moves[i + 1] if i + 1 < len(moves) else None
            if move in keep or (nxt is not None and nxt in keep):
                continue
            stay_end = nxt.depart - 1 if nxt else horizon - 1
            if _sessions_between(used, move.target, move.ready, stay_end):
                continue
            if nxt is None:  # nothing happens after this trip: do not make it
                del moves[i]
                changed = True
                break
            merged = _merge(
                inst, b, setup, move, nxt, moves[i + 2] if i + 2 < len(moves) else None, used
            )
            if merged is not None:
                moves[i : i + 2] = merged
                changed = True
                break
    return moves


def _merge(
    inst: Instance,
    b: int,
    setup: int,
    a: Move,
    c: Move,
    after: Move | None,
    used: list[tuple[int, str]],
) -> list[Move] | None:
    """p -> q -> r as one trip p -> r leaving when the first did, if that still works."""
    p, r = a.origin, c.target
    if p == r:
        return []
    old_km = inst.travel.road_km(p, a.target) + inst.travel.road_km(a.target, r)
    if inst.travel.road_km(p, r) > old_km + 1e-9:
        return None
    ready = a.depart + move_span(inst.travel.truck_minutes(p, r), setup)
    needed = _sessions_between(used, r, c.ready, len(inst.days) - 1)
    # ready by its first session there, and a day before it leaves again
    limit = min([*needed, after.depart - 1 if after else len(inst.days) - 1])
    if ready > limit:
        return None
    return [Move(b, p, r, a.depart, ready)]
