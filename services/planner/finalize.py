"""Turn planner bookings into schedule rows: unit names, session indices, staff.

The model books pools and instructor groups, not names. Here the names are
handed out, locks first so a kept lock keeps its unit, index and instructor.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence

from schemas.schedule import ContainerMove, Session
from services.planner.instance import Instance
from services.planner.ledger import Booking
from services.planner.locks import KeptLock
from services.planner.model.variables import Move
from services.planner.options import FIXED


def name_units(inst: Instance, plan: Sequence[Booking], kept: Sequence[KeptLock]) -> None:
    """Give every fixed booking a concrete unit; kept locks keep theirs."""
    lock_unit = {(k.request, k.day, k.slot): k.unit for k in kept}
    taken: dict[tuple[int, int, int], set[str]] = defaultdict(set)
    for b in plan:
        unit = lock_unit.get((b.request, b.day, b.slot))
        if b.kind == FIXED and unit is not None and unit in inst.pools[b.resource].units:
            b.unit = unit
            taken[(b.resource, b.day, b.slot)].add(unit)
    for b in plan:
        if b.kind != FIXED:
            b.unit = inst.boxes[b.resource].id
        elif b.unit is None:
            used = taken[(b.resource, b.day, b.slot)]
            b.unit = next(u for u in inst.pools[b.resource].units if u not in used)
            used.add(b.unit)


def number_sessions(inst: Instance, plan: Sequence[Booking], kept: Sequence[KeptLock]) -> None:
    """Kept locks keep their index; other sessions take the free ones in date order."""
    lock_index = {(k.request, k.day, k.slot): k.lock.index for k in kept}
    by_request: dict[int, list[Booking]] = defaultdict(list)
    for b in plan:
        by_request[b.request].append(b)
    for r, bookings in by_request.items():
        fixed = {}
        for b in bookings:
            index = lock_index.get((r, b.day, b.slot))
            if index is not None:
                b.index = index
                fixed[id(b)] = index
        free = iter(sorted(set(range(inst.requests[r].sessions)) - set(fixed.values())))
        for b in sorted(bookings, key=lambda x: (x.day, x.slot)):
            if id(b) not in fixed:
                b.index = next(free)


def hand_out_staff(
    inst: Instance,
    plan: Sequence[Booking],
    teachers: dict[tuple[int, int, str, str], list[int]],
    kept: Sequence[KeptLock],
) -> None:
    """Match instructors to sessions within each (date, slot, site, type) group."""

    def spot(x: Booking | KeptLock) -> tuple[int, int, int, int, int]:
        return (x.request, x.kind, x.resource, x.day, x.slot)

    lock_staff = {spot(k): k for k in kept if k.staff is not None}
    pools = {key: list(v) for key, v in teachers.items()}
    ordered = sorted(plan, key=lambda b: spot(b) not in lock_staff)
    for b in ordered:
        key = (b.day, b.slot, b.site, inst.requests[b.request].equipment_type)
        available = pools.get(key, [])
        lock = lock_staff.get(spot(b))
        wanted = lock.staff if lock is not None else None
        if lock is not None and lock.binding:
            # the model ties a lock's instructor to its group (build.keep_locks), so
            # anyone else here would be a plan that breaks rule 8
            assert wanted in available, f"lock instructor {wanted} not free in group {key}"
        if wanted is not None and wanted in available:
            available.remove(wanted)
            b.staff = wanted
        elif available:
            b.staff = available.pop()


def sessions_of(inst: Instance, plan: Sequence[Booking]) -> list[Session]:
    staff = inst.staff or []
    rows = [
        Session(
            request=inst.requests[b.request].id,
            index=b.index,
            date=inst.days[b.day],
            slot=inst.slot_ids[b.slot],
            site=b.site,
            resource=b.unit or "",
            staff=staff[b.staff].id if b.staff is not None else None,
            travel_minutes=round(b.travel, 1),
        )
        for b in plan
    ]
    return sorted(rows, key=lambda s: (s.date, s.slot, s.site, s.resource))


def model_moves(inst: Instance, moves: Sequence[ContainerMove]) -> list[Move]:
    """Schedule moves as model arcs (skipping any that fall outside the horizon)."""
    out = []
    for m in moves:
        if m.container not in inst.box_index:
            continue
        depart = bisect.bisect_left(inst.days, m.depart)
        ready = bisect.bisect_left(inst.days, m.ready)
        if ready < len(inst.days) and inst.days[depart] == m.depart:
            out.append(Move(inst.box_index[m.container], m.from_, m.to, depart, ready))
    return out


def moves_of(inst: Instance, moves: Sequence[Move]) -> list[ContainerMove]:
    rows = [
        ContainerMove.model_validate(
            {
                "container": inst.boxes[m.box].id,
                "from": m.origin,
                "to": m.target,
                "depart": inst.days[m.depart],
                "ready": inst.days[m.ready],
                "km": round(inst.travel.road_km(m.origin, m.target), 1),
                "truck_minutes": round(inst.travel.truck_minutes(m.origin, m.target), 1),
            },
            strict=False,
        )
        for m in moves
    ]
    return sorted(rows, key=lambda m: (m.container, m.depart))
