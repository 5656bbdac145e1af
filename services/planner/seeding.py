"""Constructive plans around kept locks: the solver's seed and the FCFS baseline.

Also the plain objective of such a plan (served value plus lock bonuses), so
a solver result can be compared with its seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.planner.greedy import construct, served_requests
from services.planner.instance import Instance
from services.planner.ledger import Booking, Ledger
from services.planner.locks import DisplacedLock, KeptLock
from services.planner.model.objective import lock_bonus
from services.planner.options import CONTAINER, FIXED, Candidate, Option


def constructive_plan(
    inst: Instance,
    kept: Sequence[KeptLock],
    order: list[int],
    where: Sequence[Sequence[str | None]] | None = None,
    prefer: Callable[[int, int, Candidate], float] | None = None,
) -> list[Booking]:
    """Greedy plan around kept locks.

    Containers stay at their start site, or, with ``where`` (a plan's moves),
    where that plan has them; locks that need another position are left to
    the model. Each lock is booked only if it fits beside those booked before
    (locks naming their instructor first, so a picked instructor cannot take
    a named one's place): ``check_locks`` keeps only locks valid together, and
    this keeps an invalid seed - which the lock bonus would make win - out
    even if it did not.
    """
    ledger = Ledger(inst)
    seeded: list[Booking] = []
    skip: set[int] = set()
    away: set[int] = set()  # ids of container locks the still containers cannot hold
    for lock in kept:
        if lock.kind != CONTAINER:
            continue
        if where is not None:
            if lock.site is None or where[lock.resource][lock.day] != lock.site:
                skip.add(lock.request)
        elif lock.site not in (None, inst.boxes[lock.resource].start_site) or not _start_ok(
            inst, lock
        ):
            # containers stay still here: this lock is not kept, the rest of its
            # request is (the FCFS baseline is a plan too, and keeps what it can)
            away.add(id(lock))
    for lock in sorted(kept, key=lambda k: k.staff is None):
        if lock.request in skip or id(lock) in away:
            continue
        if lock.kind == FIXED:
            site = inst.pools[lock.resource].site
        else:
            site = (
                lock.site
                if where is not None and lock.site
                else inst.boxes[lock.resource].start_site
            )
        travel = inst.travel.car_minutes(inst.requests[lock.request].site, site)
        b = Booking(
            lock.request,
            lock.lock.index,
            lock.kind,
            lock.resource,
            lock.day,
            lock.slot,
            site,
            travel,
            lock.staff,
            lock.unit,
        )
        if inst.staff is not None and b.staff is None:
            b.staff = ledger.pick_staff(_as_option(b))
        if not _fits(inst, ledger, b, seeded):
            skip.add(lock.request)
            continue
        ledger.book(b)
        seeded.append(b)
    # a locked request whose other locks could not be seeded is left out whole
    for b in [b for b in seeded if b.request in skip]:
        ledger.release(b)
    seeded = [b for b in seeded if b.request not in skip]
    order = [r for r in order if r not in skip]
    plan, _ = construct(
        inst,
        order,
        containers_fixed=where is None,
        ledger=ledger,
        kept=seeded,
        where=where,
        prefer=prefer,
    )
    served = served_requests(plan, inst)
    return [b for b in plan if b.request in served]


def _fits(inst: Instance, ledger: Ledger, b: Booking, booked: Sequence[Booking]) -> bool:
    """Can ``b`` join the bookings so far without breaking rules 4 and 7?"""
    if not ledger.resource_free(b):
        return False
    req = inst.requests[b.request]
    spacing = max(req.min_gap_days, 1)
    date = inst.days[b.day]
    if any(
        x.request == b.request and abs((inst.days[x.day] - date).days) < spacing for x in booked
    ):
        return False
    if inst.staff is None:
        return True
    return b.staff is not None and ledger.staff_can(
        b.staff, req.equipment_type, req.part, b.day, b.slot, b.site
    )


def _as_option(b: Booking) -> Option:
    return Option(b.request, b.kind, b.resource, b.day, b.slot, b.site, b.travel)


def _start_ok(inst: Instance, lock: KeptLock) -> bool:
    req = inst.requests[lock.request]
    start = inst.boxes[lock.resource].start_site
    return (
        inst.travel.car_minutes(req.site, start) <= req.max_travel_minutes
        and lock.day not in inst.site_closed[start]
        and lock.day not in inst.pad_blocked[start]
    )


def drop_unplaceable_locks(
    inst: Instance, kept: list[KeptLock], options_of: list[list[Option]]
) -> tuple[list[KeptLock], list[DisplacedLock]]:
    locked = {lock.request for lock in kept}  # only their options matter (often none)
    keys = {
        (o.request, o.kind, o.resource, o.day, o.slot, o.site)
        for r in locked
        for o in options_of[r]
    }
    anywhere = {k[:5] for k in keys}
    ok, gone = [], []
    for lock in kept:
        key = (lock.request, lock.kind, lock.resource, lock.day, lock.slot)
        if (key + (lock.site,) in keys) if lock.site else (key in anywhere):
            ok.append(lock)
        else:
            # check_locks names every rule a lock breaks alone; this is a net for
            # a filter of options.py it does not mirror, so say what is known
            where = lock.site or "any site"
            gone.append(
                DisplacedLock(
                    lock.lock,
                    f"the request has no planning option on {lock.unit} at {where} on "
                    f"{inst.days[lock.day]} {inst.slot_ids[lock.slot]}",
                )
            )
    return ok, gone


def plan_value(inst: Instance, plan: Sequence[Booking]) -> int:
    return sum(inst.requests[r].value for r in served_requests(plan, inst))


def plan_objective(inst: Instance, plan: Sequence[Booking], kept: Sequence[KeptLock]) -> int:
    """Served value, plus the lock bonus for each locked request served with all its
    kept locks in place (as the model counts it: a plan that serves a locked
    request without its lock - the baseline keeps containers still - has no bonus)."""
    here = {(b.request, b.kind, b.resource, b.day, b.slot, b.site) for b in plan}
    locked = {k.request for k in kept}
    missing = {
        k.request
        for k in kept
        if not any(
            (k.request, k.kind, k.resource, k.day, k.slot, site) in here
            for site in _sites_of(inst, k)
        )
    }
    bonus = lock_bonus(inst)
    return sum(
        inst.requests[r].value + (bonus if r in locked - missing else 0)
        for r in served_requests(plan, inst)
    )


def _sites_of(inst: Instance, k: KeptLock) -> list[str]:
    if k.site is not None:
        return [k.site]
    return [
        inst.boxes[k.resource].start_site,
        *inst.pads_by_region.get(inst.boxes[k.resource].region, []),
    ]
