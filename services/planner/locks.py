"""Rule 8: previously confirmed sessions are kept unless they became impossible.

``check_locks`` sorts each lock into *keepable* (every rule that concerns it
alone still holds) or *displaced* with a reason a person can act on; then
``lock_clashes`` keeps the largest set of keepable locks that can stand
together (rules 4, 6 and 7 between locks) and displaces the rest, naming the
lock each one clashes with. The seed and the model only ever see locks that
are valid together.

A fixed unit's lock is a ``Booking`` with its unit named up front. A
container's lock without the optional ``site`` leaves the site open - the
spec's lock has no site - so the model chooses where the container stands,
among the sites the group can reach that day.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.scenario import LockedSession, Request
from schemas.schedule import Session
from services.planner.calendar import in_ranges, move_span
from services.planner.instance import Instance
from services.planner.lock_clashes import LockSpot, keep_compatible
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
    # False for the repair's naming locks (an unchanged session keeps its unit, index
    # and, if still free, its instructor): a wish, not rule 8
    binding: bool = True


@dataclass(frozen=True, slots=True)
class DisplacedLock:
    lock: LockedSession
    reason: str
    # (request, index) of the kept locks it clashes with: if they are not kept in
    # the end, the reason is no longer true and is worded again (fill_in.py)
    partners: tuple[tuple[str, int], ...] = ()


def check_locks(inst: Instance) -> tuple[list[KeptLock], list[DisplacedLock]]:
    """Locks to keep, and locks displaced with the reason (scenario order in both)."""
    alone: list[tuple[KeptLock, tuple[str, ...]]] = []
    why: dict[int, str] = {}
    position: dict[int, int] = {}  # alone index -> lock number
    for n, lock in enumerate(inst.scenario.locked):
        result = usable_alone(inst, lock)
        if isinstance(result, str):
            why[n] = result
        else:
            position[len(alone)] = n
            alone.append(result)
    spots = [
        LockSpot(k.request, k.lock.index, k.kind, k.resource, k.unit, k.day, k.slot, k.staff, sites)
        for k, sites in alone
    ]
    keep, clashes = keep_compatible(inst, spots)
    partners: dict[int, tuple[tuple[str, int], ...]] = {}
    for i, (text, others) in clashes.items():
        why[position[i]] = text
        partners[position[i]] = tuple(
            (inst.requests[spots[j].request].id, spots[j].index) for j in others
        )
    kept = [alone[i][0] for i in keep]
    displaced = [
        DisplacedLock(inst.scenario.locked[n], why[n], partners.get(n, ())) for n in sorted(why)
    ]
    return kept, displaced


def usable_alone(inst: Instance, lock: LockedSession) -> tuple[KeptLock, tuple[str, ...]] | str:
    """The lock and the sites it may be held at, or why it breaks a rule on its own."""
    sc = inst.scenario
    r = inst.request_index[lock.request]
    req = inst.requests[r]
    if lock.date < sc.horizon.start or lock.date > sc.horizon.end:
        return f"{lock.date} is outside the horizon"
    if lock.date.isoweekday() not in sc.weekdays or in_ranges(lock.date, sc.closed):
        return f"{lock.date} is no longer a working day (closed everywhere)"
    if not req.earliest <= lock.date <= req.latest:
        return f"{lock.date} is outside the request's window {req.earliest}..{req.latest}"
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
        if lock.site is not None and lock.site != pool.site:
            return f"{lock.resource} stands at {pool.site}, not at {lock.site}"
        blocked = pool.blocked
    elif lock.resource not in inst.box_index:
        return f"{lock.resource} was removed from the catalogue"
    else:
        b = inst.box_index[lock.resource]
        box = inst.boxes[b]
        kind, resource, seats = CONTAINER, b, box.seats
        if req.equipment_type not in box.types:
            return f"{lock.resource} no longer carries {req.equipment_type}"
        blocked = box.blocked
        if lock.site is not None:
            problem = _container_site(inst, b, lock.site, day)
            if problem is not None:
                return problem
            sites = [lock.site]
        else:
            sites = [
                s for s in _container_sites(inst, b) if _container_site(inst, b, s, day) is None
            ]
            if not sites:
                return f"{lock.resource} cannot stand at any site on {lock.date} (moves, pads)"
    if day in blocked:
        return f"{lock.resource} is unavailable on {lock.date}"
    if seats < req.group_size:
        return f"{lock.resource} has {seats} seats, the group is {req.group_size}"
    problem = _site_problem(inst, req, lock, sites, day)
    if problem is not None:
        return problem
    reachable = [s for s in sites if _usable_site(inst, req, s, day)]
    staff = None
    if lock.staff is not None:
        staff = next((i for i, p in enumerate(inst.staff or []) if p.id == lock.staff), None)
        if staff is None:
            return f"instructor {lock.staff} was removed from the catalogue"
        problem = _staff_problem(inst, req, staff, day)
        if problem is not None:
            return problem
    elif inst.staff is not None and not any(
        _staff_problem(inst, req, i, day) is None for i in range(len(inst.staff))
    ):
        return f"no instructor for {req.equipment_type} ({req.part}) is free on {lock.date}"
    site = reachable[0] if kind == FIXED else lock.site
    kept = KeptLock(lock, r, kind, resource, lock.resource, day, slot, staff, site)
    return kept, tuple(reachable)


def _container_sites(inst: Instance, b: int) -> list[str]:
    box = inst.boxes[b]
    pads = [] if box.max_moves == 0 else inst.pads_by_region.get(box.region, [])
    return [box.start_site] + [p for p in pads if p != box.start_site]


def _container_site(inst: Instance, b: int, site: str, day: int) -> str | None:
    """Why container ``b`` cannot stand and teach at ``site`` on ``day`` (None: it can)."""
    box = inst.boxes[b]
    date = inst.days[day]
    if site != box.start_site:
        if not inst.sites[site].container_pad:
            return f"{site} has no container pad"
        if box.max_moves == 0:
            return (
                f"{box.id} may not move (max_moves 0) and stands at {box.start_site}; "
                f"the lock needs it at {site}"
            )
        if inst.region_of_site[site] != box.region:
            return f"{box.id} works in region {box.region}; {site} is in another region"
        span = move_span(inst.travel.truck_minutes(box.start_site, site), box.setup_days)
        if day < span:
            return (
                f"{box.id} cannot be ready at {site} by {date}: the trip from "
                f"{box.start_site} takes {span} working day(s) of transit and setup"
            )
    if day in inst.pad_blocked[site]:
        return f"the pad at {site} is unavailable on {date}"
    return None


def _site_problem(
    inst: Instance, req: Request, lock: LockedSession, sites: list[str], day: int
) -> str | None:
    """Why none of ``sites`` can hold the group's session on ``day`` (None: one can)."""
    if any(_usable_site(inst, req, s, day) for s in sites):
        return None
    site = sites[0]
    if inst.region_of_site[site] != inst.region_of_request(req):
        return f"{lock.resource} is in another region than {req.site}"
    if day in inst.site_closed[site]:
        return f"{site} is closed on {lock.date} (site calendar)"
    minutes = inst.travel.car_minutes(req.site, site)
    return (
        f"{site} is {minutes:.0f} minutes from {req.site}, over the group's travel limit of "
        f"{req.max_travel_minutes:.0f}"
    )


def _usable_site(inst: Instance, req: Request, site: str, day: int) -> bool:
    return (
        inst.region_of_site[site] == inst.region_of_request(req)
        and inst.travel.car_minutes(req.site, site) <= req.max_travel_minutes
        and day not in inst.site_closed[site]
    )


def _staff_problem(inst: Instance, req: Request, i: int, day: int) -> str | None:
    assert inst.staff is not None
    person = inst.staff[i]
    if day in inst.staff_blocked[i]:
        return f"instructor {person.id} is unavailable on {inst.days[day]}"
    if req.equipment_type not in person.types or req.part not in person.parts:
        return f"instructor {person.id} no longer teaches {req.equipment_type} ({req.part})"
    if inst.staff_region[i] != inst.region_of_request(req):
        return f"instructor {person.id} works in another region"
    if person.max_sessions_per_week <= 0:
        return f"instructor {person.id} teaches no sessions (max_sessions_per_week 0)"
    return None
