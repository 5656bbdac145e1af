"""Complete a finished plan: put back displaced locks and add whole requests that fit.

A time-limited solve (or the seed it falls back to) can leave a request out
that fits whole into the final plan as it stands - the audit found two in
the shipped scenario after 5 s - and then its ``not-optimised`` reason is
false. Likewise a lock displaced for clashing with a lock whose request was
later dropped could be kept after all. This pass changes nothing already
planned except to put a displaced lock back:

1. a served request whose displaced lock is free again moves one of its
   other (unlocked) sessions onto the lock;
2. every unserved request, highest value first, is added if it fits whole
   around the plan - containers where the plan's moves have them, units,
   instructors (slot, week, same-day travel) as booked - keeping as many of
   its displaced locks as can be kept. Whether it fits is decided exactly: a
   one-request CP-SAT model over the free options (instructors make the
   earliest-first greedy inexact).

Every rule the planner keeps holds for what is added, so the validator
accepts the result; it also checks rule 8 the same way (a displaced lock
that could be put back is an error).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from services.planner.greedy import max_spaced, served_requests
from services.planner.instance import Instance
from services.planner.ledger import Booking, Ledger
from services.planner.locks import DisplacedLock, KeptLock, usable_alone
from services.planner.model.variables import Move
from services.planner.options import (
    FIXED,
    Option,
    StaffDays,
    candidates,
    expand,
    staff_days,
    where_they_stand,
)

FIT_SECONDS = 2.0  # one request against a fixed plan: milliseconds; the limit is a guard


@dataclass
class FinalPlan:
    """The plan as occupancy: what is booked, where containers stand, who holds what."""

    inst: Instance
    plan: list[Booking]
    where: list[list[str | None]]
    locked: set[tuple[int, int, int]]  # (request, day, slot) of kept locks: cannot move
    filled: bool = False  # complete_plan has added every request that fits
    # regions whose value solve was proven optimal: no better plan was missed there
    proven: frozenset[str] = frozenset()
    ledger: Ledger = field(init=False)
    holders: dict[tuple[int, int, int, int], list[Booking]] = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.inst)
        self.holders = defaultdict(list)
        for b in self.plan:
            self.book(b)

    def book(self, b: Booking) -> None:
        self.ledger.book(b)
        self.holders[(b.kind, b.resource, b.day, b.slot)].append(b)

    def release(self, b: Booking) -> None:
        self.ledger.release(b)
        self.holders[(b.kind, b.resource, b.day, b.slot)].remove(b)

    def free_options(self, r: int, staffed: StaffDays | None) -> list[Option]:
        """Options of request ``r`` free in this plan (an instructor too, with staff)."""
        inst = self.inst
        cands = where_they_stand(candidates(inst, inst.requests[r], staffed), self.where)
        return [
            o
            for o in expand(inst, r, cands)
            if self.ledger.resource_free(o) and self.teachers(o) != []
        ]

    def teachers(self, o: Option | Booking) -> list[int] | None:
        """Instructors free for ``o`` (None: the scenario has no staff)."""
        inst = self.inst
        if inst.staff is None:
            return None
        req = inst.requests[o.request]
        return [
            i
            for i in range(len(inst.staff))
            if self.ledger.staff_can(i, req.equipment_type, req.part, o.day, o.slot, o.site)
        ]


def where_of(inst: Instance, moves: Sequence[Move]) -> list[list[str | None]]:
    """Each container's site per working day under ``moves`` (None: moving, in setup)."""
    out = []
    for b, box in enumerate(inst.boxes):
        row: list[str | None] = [box.start_site] * len(inst.days)
        for m in sorted((m for m in moves if m.box == b), key=lambda m: m.depart):
            for k in range(m.depart, len(inst.days)):
                row[k] = None if k < m.ready else m.target
        out.append(row)
    return out


def reconcile(
    inst: Instance,
    plan: list[Booking],
    moves: Sequence[Move],
    kept: list[KeptLock],
    displaced: list[DisplacedLock],
) -> tuple[list[KeptLock], list[DisplacedLock]]:
    """Kept locks of served requests that the plan does not hold become displaced,
    with what holds them (the FCFS baseline keeps containers still, so it serves
    such a request without its container lock)."""
    served = served_requests(plan, inst)
    here = {(b.request, b.kind, b.resource, b.day, b.slot, b.site) for b in plan}
    kept, displaced = _held_anyway(inst, plan, kept, displaced)
    missing = [
        k
        for k in kept
        if k.request in served
        and not any(
            key[:5] == (k.request, k.kind, k.resource, k.day, k.slot)
            and (k.site is None or key[5] == k.site)
            for key in here
        )
    ]
    if not missing:
        return kept, displaced
    held = {(k.request, k.day, k.slot) for k in kept if k not in missing}
    final = FinalPlan(inst, plan, where_of(inst, moves), held)
    out = list(displaced)
    for k in missing:
        checked = usable_alone(inst, k.lock)
        sites = checked[1] if not isinstance(checked, str) else ()
        why = _blocker(final, k, sites) if sites else "it no longer fits"
        out.append(
            DisplacedLock(k.lock, f"the request is served, but not with this session: {why}")
        )
    return [k for k in kept if k not in missing], out


def _held_anyway(
    inst: Instance, plan: list[Booking], kept: list[KeptLock], displaced: list[DisplacedLock]
) -> tuple[list[KeptLock], list[DisplacedLock]]:
    """A displaced lock the plan happens to hold exactly is kept after all (a
    greedy can place a request on the very slot a clashing lock held)."""
    taken = {(k.unit, k.day, k.slot) for k in kept}
    out = []
    for d in displaced:
        checked = usable_alone(inst, d.lock)
        if isinstance(checked, str):
            out.append(d)
            continue
        lock, sites = checked
        match = next(
            (
                b
                for b in plan
                if (b.request, b.kind, b.resource, b.day, b.slot)
                == (lock.request, lock.kind, lock.resource, lock.day, lock.slot)
                and b.site in sites
                and (lock.site is None or b.site == lock.site)
                and (lock.staff is None or b.staff == lock.staff)
                and (lock.unit, lock.day, lock.slot) not in taken
                and not any(
                    k.request == b.request and (k.day, k.slot) == (b.day, b.slot) for k in kept
                )
            ),
            None,
        )
        if match is None:
            out.append(d)
        else:
            taken.add((lock.unit, lock.day, lock.slot))
            kept = [*kept, lock]
    return kept, out


def complete_plan(
    inst: Instance,
    plan: list[Booking],
    moves: Sequence[Move],
    kept: list[KeptLock],
    displaced: list[DisplacedLock],
) -> tuple[list[Booking], list[KeptLock], list[DisplacedLock]]:
    """The plan with locks put back and fitting requests added (see the module doc)."""
    served = served_requests(plan, inst)
    plan = [b for b in plan if b.request in served]
    held = [k for k in kept if k.request in served]
    spare: dict[int, list[tuple[KeptLock, tuple[str, ...]]]] = defaultdict(list)
    for given in [d.lock for d in displaced] + [k.lock for k in kept if k.request not in served]:
        checked = usable_alone(inst, given)
        if not isinstance(checked, str):
            spare[checked[0].request].append(checked)
    final = FinalPlan(inst, plan, where_of(inst, moves), {(k.request, k.day, k.slot) for k in held})
    claimed = {(k.unit, k.day, k.slot) for k in held}
    for r in sorted(spare):
        if r not in served:
            continue
        for lock, sites in spare[r]:
            if (lock.unit, lock.day, lock.slot) not in claimed and _swap(final, lock, sites, held):
                claimed.add((lock.unit, lock.day, lock.slot))
                final.locked.add((lock.request, lock.day, lock.slot))
                held.append(lock)
    staffed = staff_days(inst)
    order = sorted(
        (r for r in range(len(inst.requests)) if r not in served),
        key=lambda r: (-inst.requests[r].value, r),
    )
    for r in order:
        locks = [(k, s) for k, s in spare.get(r, []) if (k.unit, k.day, k.slot) not in claimed]
        fit = _fit_whole(final, r, staffed, locks)
        if fit is None:
            continue
        bookings, kept_locks = fit
        for b in bookings:
            final.book(b)
            final.plan.append(b)
        for lock in kept_locks:
            claimed.add((lock.unit, lock.day, lock.slot))
            final.locked.add((lock.request, lock.day, lock.slot))
            held.append(lock)
    settled_kept, settled_displaced = _settle(final, kept, displaced, held, spare, served)
    return final.plan, settled_kept, settled_displaced


def _settle(
    final: FinalPlan,
    kept: list[KeptLock],
    displaced: list[DisplacedLock],
    held: list[KeptLock],
    spare: dict[int, list[tuple[KeptLock, tuple[str, ...]]]],
    served_before: set[int],
) -> tuple[list[KeptLock], list[DisplacedLock]]:
    """Kept and displaced locks after the pass, each displaced one with a true reason."""
    inst = final.inst
    held_keys = {(k.lock.request, k.lock.index) for k in held}
    served = served_requests(final.plan, inst)
    usable = {(k.lock.request, k.lock.index): (k, s) for v in spare.values() for k, s in v}
    out: list[DisplacedLock] = []
    for d in displaced:
        key = (d.lock.request, d.lock.index)
        if key in held_keys:
            continue
        if d.partners and not set(d.partners) <= held_keys and key in usable:
            # the lock it clashed with is not kept in the end: say what holds it now
            d = DisplacedLock(d.lock, _blocker(final, *usable[key]))
        out.append(d)
    lost = []
    for k in kept:
        key = (k.lock.request, k.lock.index)
        if k.request in served_before or key in held_keys:
            continue
        if k.request in served and key in usable:
            reason = "the request is served, but not with this session: " + _blocker(
                final, *usable[key]
            )
            out.append(DisplacedLock(k.lock, reason))
        else:
            lost.append(k)  # its request is unserved: worded from that reason
    return held + lost, out


def _blocker(final: FinalPlan, lock: KeptLock, sites: tuple[str, ...]) -> str:
    """What in the final plan stops ``lock`` from being kept."""
    inst = final.inst
    when = f"{inst.days[lock.day]} {inst.slot_ids[lock.slot]}"
    site = _site_of(final, lock, sites)
    if site is None:
        return f"{lock.unit} stands elsewhere or is moving on {inst.days[lock.day]}"
    probe = Booking(
        lock.request, -1, lock.kind, lock.resource, lock.day, lock.slot, site, 0.0, None, lock.unit
    )
    if not final.ledger.resource_free(probe):
        held = final.holders.get((lock.kind, lock.resource, lock.day, lock.slot), [])
        names = ", ".join(sorted({inst.requests[b.request].id for b in held}))
        return f"{lock.unit} is taken on {when} by {names}"
    teachers = final.teachers(probe)
    if teachers is not None and lock.staff is not None and lock.staff not in teachers:
        assert inst.staff is not None
        return (
            f"instructor {inst.staff[lock.staff].id} is not free for it on {when} (another "
            f"session, the weekly limit or travel)"
        )
    if teachers == []:
        return f"no instructor is free for it on {when} (other sessions, weekly limits or travel)"
    return "with it, the request's other sessions find no dates that keep its gap"


def _site_of(final: FinalPlan, lock: KeptLock, sites: tuple[str, ...]) -> str | None:
    if lock.kind == FIXED:
        return sites[0]
    there = final.where[lock.resource][lock.day]
    return there if there in sites else None


def _swap(final: FinalPlan, lock: KeptLock, sites: tuple[str, ...], held: list[KeptLock]) -> bool:
    """Move one unlocked session of a served request onto its displaced lock, if valid."""
    inst = final.inst
    site = _site_of(final, lock, sites)
    if site is None:
        return False
    req = inst.requests[lock.request]
    pinned = {(k.day, k.slot) for k in held if k.request == lock.request}
    mine = [b for b in final.plan if b.request == lock.request]
    spacing = max(req.min_gap_days, 1)
    date = inst.days[lock.day]
    travel = inst.travel.car_minutes(req.site, site)
    for b in mine:
        if (b.day, b.slot) in pinned:
            continue
        rest = [x for x in mine if x is not b]
        if any(abs((inst.days[x.day] - date).days) < spacing for x in rest):
            continue
        final.release(b)
        new = Booking(
            lock.request,
            b.index,
            lock.kind,
            lock.resource,
            lock.day,
            lock.slot,
            site,
            travel,
            None,
            lock.unit,
        )
        teachers = final.teachers(new)
        if lock.staff is not None:
            teachers = [lock.staff] if teachers is not None and lock.staff in teachers else []
        if final.ledger.resource_free(new) and teachers != []:
            new.staff = teachers[0] if teachers else None
            final.book(new)
            final.plan[final.plan.index(b)] = new
            return True
        final.book(b)
    return False


def fits_whole(final: FinalPlan, r: int, staffed: StaffDays | None) -> bool:
    """Would request ``r`` fit whole beside the plan as it stands?"""
    return _fit_whole(final, r, staffed, []) is not None


def _fit_whole(
    final: FinalPlan,
    r: int,
    staffed: StaffDays | None,
    locks: list[tuple[KeptLock, tuple[str, ...]]],
) -> tuple[list[Booking], list[KeptLock]] | None:
    """Bookings serving ``r`` whole beside the plan (keeping most of ``locks``), or None."""
    inst = final.inst
    req = inst.requests[r]
    options = final.free_options(r, staffed)
    spacing = max(req.min_gap_days, 1)
    if max_spaced({inst.days[o.day] for o in options}, spacing) < req.sessions:
        return None  # too few free dates: no model needed
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(options))]
    model.add(sum(x) == req.sessions)
    by_date: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for o, var in zip(options, x, strict=True):
        by_date[o.day].append(var)
    days = sorted(by_date)
    for i, first in enumerate(days):
        hi = i
        while hi + 1 < len(days) and (inst.days[days[hi + 1]] - inst.days[first]).days < spacing:
            hi += 1
        model.add(sum(v for k in days[i : hi + 1] for v in by_date[k]) <= 1)
    teach: dict[tuple[int, int], cp_model.IntVar] = {}
    if inst.staff is not None:
        week: dict[tuple[int, tuple[int, int]], list[cp_model.IntVar]] = defaultdict(list)
        for n, (o, var) in enumerate(zip(options, x, strict=True)):
            able = final.teachers(o) or []
            for i in able:
                teach[(n, i)] = model.new_bool_var(f"t{n}_{i}")
                week[(i, inst.weeks[o.day])].append(teach[(n, i)])
            model.add(sum(teach[(n, i)] for i in able) == var)
        for (i, wk), terms in week.items():
            room = inst.staff[i].max_sessions_per_week - final.ledger.staff_week.get((i, wk), 0)
            model.add(sum(terms) <= room)
    keep: list[cp_model.IntVar] = []
    for lock, sites in locks:
        match = [
            n
            for n, o in enumerate(options)
            if (o.kind, o.resource, o.day, o.slot)
            == (lock.kind, lock.resource, lock.day, lock.slot)
            and o.site in sites
            and (lock.site is None or o.site == lock.site)
        ]
        var = model.new_bool_var(f"lock{len(keep)}")
        model.add(var <= sum(x[n] for n in match))
        if lock.staff is not None:
            model.add(var <= sum(teach.get((n, lock.staff), 0) for n in match))
        keep.append(var)
    model.maximize(sum(keep))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = FIT_SECONDS
    solver.parameters.num_workers = 1
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    bookings = []
    for n, (o, var) in enumerate(zip(options, x, strict=True)):
        if solver.value(var):
            staff = next((i for (m, i), t in teach.items() if m == n and solver.value(t)), None)
            bookings.append(
                Booking(r, -1, o.kind, o.resource, o.day, o.slot, o.site, o.travel, staff)
            )
    kept = [lock for (lock, _), var in zip(locks, keep, strict=True) if solver.value(var)]
    for lock in kept:  # the lock's unit, for naming
        for b in bookings:
            if (b.kind, b.resource, b.day, b.slot) == (
                lock.kind,
                lock.resource,
                lock.day,
                lock.slot,
            ):
                b.unit = lock.unit if lock.kind == FIXED else None
    return bookings, kept
