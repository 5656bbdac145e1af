"""Rule 8: previously confirmed sessions are kept unless they became impossible.

``check_locks`` sorts each lock into *keepable* (every rule that concerns it
alone still holds) or *displaced* with a reason a person can act on. Two
keepable locks that claim the same unit, container or instructor at the same
date and slot cannot both stay: the later one in the list is displaced.

A fixed unit's lock is a ``Booking`` with its unit named up front. A
container's lock leaves the site open - the spec's lock has no site - so the
model chooses where the container stands, among pads the group can reach.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.scenario import LockedSession
from schemas.schedule import Session
from services.planner.calendar import in_ranges
from services.planner.instance import Instance
from services.planner.options import CONTAINER, FIXED


def lock_of(session: Session) -> LockedSession:
    """A planned session as a lock pinned to its site (it must stay exactly so)."""
    return LockedSession(
        request=session.request,
        index=session.index,
        date=session.date,
        slot=session.slot,
        resource=session.resource,
        staff=session.staff,
        site=session.site,
    )


@dataclass(frozen=True, slots=True)
class KeptLock:
    lock: LockedSession
    request: int
    kind: int
    resource: int  # pool or container index
    unit: str
    day: int
    slot: int
    staff: int | None
    site: str | None  # pinned site; a container lock without one lets the model choose


@dataclass(frozen=True, slots=True)
class DisplacedLock:
    lock: LockedSession
    reason: str


def check_locks(inst: Instance) -> tuple[list[KeptLock], list[DisplacedLock]]:
    kept: list[KeptLock] = []
    displaced: list[DisplacedLock] = []
    claimed: dict[tuple[str, int, int], str] = {}
    for lock in inst.scenario.locked:
        result = _check_one(inst, lock)
        if isinstance(result, str):
            displaced.append(DisplacedLock(lock, result))
            continue
        keys = [(result.unit, result.day, result.slot)]
        if lock.staff is not None:
            keys.append((f"staff:{lock.staff}", result.day, result.slot))
        clash = next((claimed[k] for k in keys if k in claimed), None)
        if clash is not None:
            displaced.append(DisplacedLock(lock, f"conflicts with locked session {clash}"))
            continue
        for k in keys:
            claimed[k] = f"{lock.request}#{lock.index}"
        kept.append(result)
    return kept, displaced


def _check_one(inst: Instance, lock: LockedSession) -> KeptLock | str:
    sc = inst.scenario
    r = inst.request_index[lock.request]
    req = inst.requests[r]
    if lock.date < sc.horizon.start or lock.date > sc.horizon.end:
        return f"{lock.date} is outside the horizon"
    if lock.date.isoweekday() not in sc.weekdays or in_ranges(lock.date, sc.closed):
        return f"{lock.date} is no longer a working day (closed everywhere)"
    day = inst.days.index(lock.date)
    if lock.slot not in inst.slot_ids:
        return f"slot {lock.slot} no longer exists"
    slot = inst.slot_ids.index(lock.slot)
    if inst.slot_part[slot] != req.part:
        return f"slot {lock.slot} is not a {req.part} slot"
    if req.audience == "pupils" and day in inst.site_closed[req.site]:
        return f"{req.site} is closed on {lock.date} (school calendar)"
    if lock.resource in inst.pool_of_unit:
        p = inst.pool_of_unit[lock.resource]
        pool = inst.pools[p]
        kind, resource, seats, sites = FIXED, p, pool.seats, [pool.site]
        if pool.type != req.equipment_type:
            return f"{lock.resource} is no longer a {req.equipment_type}"
        if req.part not in pool.parts:
            return f"{lock.resource} no longer offers {req.part} sessions"
        blocked = pool.blocked
    elif lock.resource not in inst.box_index:
        return f"{lock.resource} was removed from the catalogue"
    else:
        b = inst.box_index[lock.resource]
        box = inst.boxes[b]
        kind, resource, seats = CONTAINER, b, box.seats
        if req.equipment_type not in box.types:
            return f"{lock.resource} no longer carries {req.equipment_type}"
        sites = [box.start_site] + inst.pads_by_region.get(box.region, [])
        if lock.site is not None:
            sites = [s for s in sites if s == lock.site]
        blocked = box.blocked
    if day in blocked:
        return f"{lock.resource} is unavailable on {lock.date}"
    if seats < req.group_size:
        return f"{lock.resource} has {seats} seats, the group is {req.group_size}"
    reachable = [
        s
        for s in sites
        if inst.region_of_site[s] == inst.region_of_request(req)
        and inst.travel.car_minutes(req.site, s) <= req.max_travel_minutes
        and day not in inst.site_closed[s]
    ]
    if not reachable:
        return f"{lock.resource} cannot be used within the group's travel limit on {lock.date}"
    staff = None
    if lock.staff is not None:
        staff = next((i for i, p in enumerate(inst.staff or []) if p.id == lock.staff), None)
        if staff is None:
            return f"instructor {lock.staff} was removed from the catalogue"
        assert inst.staff is not None
        person = inst.staff[staff]
        if day in inst.staff_blocked[staff]:
            return f"instructor {lock.staff} is unavailable on {lock.date}"
        if req.equipment_type not in person.types or req.part not in person.parts:
            return f"instructor {lock.staff} no longer teaches {req.equipment_type} ({req.part})"
        if inst.staff_region[staff] != inst.region_of_request(req):
            return f"instructor {lock.staff} works in another region"
    site = sites[0] if kind == FIXED else lock.site
    return KeptLock(lock, r, kind, resource, lock.resource, day, slot, staff, site)
