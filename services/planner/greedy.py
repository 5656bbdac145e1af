"""Constructive plans: the first-come-first-served baseline and the solver's seed.

Both place requests one at a time, each taking its earliest feasible sessions
around what is already booked, and roll a request back when it cannot be
served whole. They differ only in order and in whether containers may be used
away from where they stand:

* **FCFS** (the baseline users compare against): ``submitted_at`` order,
  containers stay at their start site.
* **Seed** (the CP-SAT hint): highest value first, scarce requests before
  flexible ones; also keeps containers still, so the hint is cheap and valid.

Taking the earliest dates that keep ``min_gap_days`` is optimal for one
request against a fixed occupancy (the classic interval-scheduling argument),
so a request is only rolled back when it truly does not fit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from services.planner.instance import Instance
from services.planner.ledger import Booking, Ledger
from services.planner.options import (
    CONTAINER,
    Candidate,
    Option,
    candidates,
    staff_days,
    where_they_stand,
)


def place_request(
    inst: Instance,
    ledger: Ledger,
    r: int,
    cands: Sequence[Candidate],
    existing: Sequence[Booking] = (),
    prefer: Callable[[int, Candidate], float] | None = None,
) -> list[Booking] | None:
    """Book the missing sessions of request ``r`` at the earliest feasible dates.

    ``prefer(day, candidate)`` reorders the search, lowest first (repair uses
    it to try the smallest change first); without it, earliest first.

    ``existing`` are sessions of ``r`` already booked (kept locks); the new
    ones avoid their dates by the request's gap. Returns the new bookings, or
    None (and books nothing) if the request cannot be completed.
    """
    req = inst.requests[r]
    need = req.sessions - len(existing)
    if need <= 0:
        return []
    spacing = max(req.min_gap_days, 1)
    taken_dates = [inst.days[b.day] for b in existing]
    free_indices = sorted(set(range(req.sessions)) - {b.index for b in existing})
    slots = inst.slots_of_part(req.part)
    by_day: dict[int, list[Candidate]] = defaultdict(list)
    for c in cands:
        for k in c.days:
            by_day[k].append(c)
    chosen: list[Booking] = []
    days = sorted(by_day)
    if prefer is not None:
        days.sort(key=lambda k: (min(prefer(k, c) for c in by_day[k]), k))
    for k in days:
        date = inst.days[k]
        if any(abs((date - t).days) < spacing for t in taken_dates):
            continue
        ranked = sorted(by_day[k], key=_travel)
        if prefer is not None:
            ranked.sort(key=lambda c: prefer(k, c))
        booking = _first_fit(inst, ledger, r, k, slots, ranked)
        if booking is None:
            continue
        booking.index = free_indices[len(chosen)]
        ledger.book(booking)
        chosen.append(booking)
        taken_dates.append(date)
        if len(chosen) == need:
            # a ranking visits days out of order: number the sessions by date
            for b, index in zip(
                sorted(chosen, key=lambda b: (b.day, b.slot)), free_indices, strict=True
            ):
                b.index = index
            return chosen
    for b in chosen:
        ledger.release(b)
    return None


def _travel(c: Candidate) -> tuple[float, int]:
    return (c.travel, c.kind)


def _first_fit(
    inst: Instance, ledger: Ledger, r: int, k: int, slots: list[int], cands: list[Candidate]
) -> Booking | None:
    for c in cands:
        if c.kind != CONTAINER and not _offers(inst, c, slots):
            continue
        for s in slots:
            option = Option(r, c.kind, c.resource, k, s, c.site, c.travel)
            if not ledger.resource_free(option):
                continue
            staff = ledger.pick_staff(option)
            if inst.staff is not None and staff is None:
                continue
            return Booking(r, -1, c.kind, c.resource, k, s, c.site, c.travel, staff)
    return None


def _offers(inst: Instance, c: Candidate, slots: list[int]) -> bool:
    parts = inst.pools[c.resource].parts
    return any(inst.slot_part[s] in parts for s in slots)


def construct(
    inst: Instance,
    order: Iterable[int],
    *,
    containers_fixed: bool,
    ledger: Ledger | None = None,
    kept: Sequence[Booking] = (),
    where: Sequence[Sequence[str | None]] | None = None,
    prefer: Callable[[int, int, Candidate], float] | None = None,
) -> tuple[list[Booking], Ledger]:
    """Place requests in ``order`` around ``kept`` bookings (already in ``ledger``).

    ``where``: each container's site per working day (a plan's moves); when
    given, containers are used only where they stand then.
    """
    if ledger is None:
        ledger = Ledger(inst)
        for b in kept:
            ledger.book(b)
    staffed = staff_days(inst)
    kept_by_request: dict[int, list[Booking]] = defaultdict(list)
    for b in kept:
        kept_by_request[b.request].append(b)
    plan = list(kept)
    for r in order:
        cands = candidates(inst, inst.requests[r], staffed, containers_fixed=containers_fixed)
        if where is not None:
            cands = where_they_stand(cands, where)
        rank = None if prefer is None else (lambda k, c, r=r: prefer(r, k, c))
        placed = place_request(inst, ledger, r, cands, kept_by_request.get(r, ()), rank)
        if placed is not None:
            plan.extend(placed)
    return plan, ledger


def fcfs_order(inst: Instance) -> list[int]:
    return sorted(
        range(len(inst.requests)),
        key=lambda r: (inst.requests[r].submitted_at.astimezone(dt.UTC), r),
    )


def seed_order(inst: Instance, option_counts: Sequence[int]) -> list[int]:
    """Value per session first; among equals, the request with fewer options."""

    def key(r: int) -> tuple[float, int, int]:
        req = inst.requests[r]
        return (-req.value / req.sessions, option_counts[r], r)

    return sorted(range(len(inst.requests)), key=key)


def served_requests(plan: Iterable[Booking], inst: Instance) -> set[int]:
    count: dict[int, int] = defaultdict(int)
    for b in plan:
        count[b.request] += 1
    return {r for r, n in count.items() if n >= inst.requests[r].sessions}


def max_spaced(dates: Iterable[dt.date], spacing: int) -> int:
    """Most dates that can be picked at least ``spacing`` days apart (earliest first)."""
    count, last = 0, None
    for d in sorted(set(dates)):
        if last is None or (d - last).days >= spacing:
            count, last = count + 1, d
    return count
