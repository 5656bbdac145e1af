"""Why a request was not served, as a spec reason code and an actionable detail.

Each code is only given when it is true, checked in this order:

* ``no-capacity``   - nothing of the type in the region, or nothing within
  reach with enough seats / the right part of day;
* ``out-of-reach``  - units of the type exist, none within the travel limit;
* ``no-slot-in-window`` - the window has fewer usable dates (weekdays,
  closures, calendars, unit service days, gap) than sessions asked;
* ``no-staff``      - enough dates, but not with a qualified free instructor
  (or not within the instructors' weekly limits);
* ``no-slot-in-window`` also when the dates exist but no plan of the request
  alone does (a container cannot be at two sites, or moved, in time);
* ``no-capacity``   - feasible alone, but the slots it could use are held by
  confirmed (locked) sessions;
* otherwise ``crowded_code``: ``not-optimised`` after a solve (worded for
  the FCFS baseline when that is the plan), ``no-capacity`` on the streaming
  fast path when it did not fit around confirmed bookings.

"Feasible alone" is decided exactly (``alone.py``): a request the planner
could not serve in any plan is never called ``not-optimised``. With the
final plan at hand the detail names what holds the request's slots.

``invalid`` is never given here: a request that contradicts the catalogue
(unknown site, a part no slot offers, a window outside the horizon) makes the
whole scenario fail its contract, with the JSON path, before any planning;
the streaming services use ``invalid`` for a request they reject at the door.
"""

from __future__ import annotations

from collections import Counter

from schemas.scenario import Request
from schemas.schedule import Unserved
from services.planner.alone import feasible_alone
from services.planner.fill_in import FinalPlan, fits_whole
from services.planner.greedy import max_spaced
from services.planner.instance import Instance
from services.planner.options import CONTAINER, Candidate, StaffDays, candidates, expand, staff_days

__all__ = ["explain_unserved", "max_spaced"]


def _name(inst: Instance, site: str) -> str:
    return inst.sites[site].name


def explain_unserved(
    inst: Instance,
    r: int,
    crowded_code: str = "not-optimised",
    final: FinalPlan | None = None,
    *,
    fcfs: bool = False,
) -> Unserved:
    """Why request ``r`` is not served; ``final``, the plan it is not in, lets the
    detail name what holds its slots (``fcfs``: that plan is the FCFS baseline)."""
    req = inst.requests[r]
    code, detail = _diagnose(inst, r, crowded_code, final, fcfs)
    return Unserved.model_validate({"request": req.id, "reason": code, "detail": detail})


def _diagnose(
    inst: Instance, r: int, crowded_code: str, final: FinalPlan | None, fcfs: bool
) -> tuple[str, str]:
    req = inst.requests[r]
    kind, home = req.equipment_type, _name(inst, req.site)
    region = inst.region_of_request(req)
    where: list[tuple[float, str, int, frozenset[str]]] = []  # minutes, site, seats, parts
    for pool in inst.pools:
        if pool.type == kind and inst.region_of_site[pool.site] == region:
            minutes = inst.travel.car_minutes(req.site, pool.site)
            where.append((minutes, pool.site, pool.seats, pool.parts))
    for box in inst.boxes:
        if kind in box.types and box.region == region:
            pads = {box.start_site}
            if box.max_moves != 0:
                pads |= set(inst.pads_by_region.get(region, []))
            for pad in pads:
                minutes = inst.travel.car_minutes(req.site, pad)
                where.append((minutes, pad, box.seats, frozenset({"day", "evening"})))
    if not where:
        return "no-capacity", f"no {kind} exists in region {region}; ask the hub operator"
    reach = [w for w in where if w[0] <= req.max_travel_minutes]
    if not reach:
        minutes, site, _, _ = min(where)
        return "out-of-reach", (
            f"no {kind} within {req.max_travel_minutes:.0f} minutes of {home}; "
            f"nearest is {_name(inst, site)} at {minutes:.0f} minutes"
        )
    fitting = [w for w in reach if w[2] >= req.group_size and req.part in w[3]]
    if not fitting:
        seats = max(w[2] for w in reach)
        if seats < req.group_size:
            return "no-capacity", (
                f"every {kind} within reach has at most {seats} seats; the group has "
                f"{req.group_size}: split the group into smaller requests"
            )
        return "no-capacity", f"no {kind} within reach offers {req.part} sessions"
    spacing = max(req.min_gap_days, 1)
    need = req.sessions
    plain = candidates(inst, req, None)
    dates = [inst.days[k] for c in plain for k in c.days]
    if max_spaced(dates, spacing) < need:
        found = max_spaced(dates, spacing)
        return "no-slot-in-window", (
            f"only {found} usable date(s) for {kind} between {req.earliest} and {req.latest} "
            f"(weekdays, holidays, school calendar, service days, {req.min_gap_days}-day gap); "
            f"{need} needed: widen the window or reduce the gap"
        )
    staffed = staff_days(inst)
    if staffed is not None:
        with_staff = candidates(inst, req, staffed)
        dates = [inst.days[k] for c in with_staff for k in c.days]
        if max_spaced(dates, spacing) < need:
            return "no-staff", _no_staff(req)
    alone = feasible_alone(inst, r, staffed)
    if alone is False:
        if staffed is not None and feasible_alone(inst, r, staffed, with_staff=False):
            return "no-staff", _no_staff(req) + " (within their weekly limits)"
        return "no-slot-in-window", _no_fit(inst, r, plain)
    options = sorted({_name(inst, w[1]) for w in fitting})
    if crowded_code == "no-capacity" and final is None:  # the streaming fast path
        return crowded_code, (
            f"all {kind} slots within reach ({', '.join(options)}) are booked between "
            f"{req.earliest} and {req.latest}; you are on the waiting list"
        )
    maybe = "" if alone else " (the solver could not settle in time whether it fits alone)"
    if final is None:
        return crowded_code, (
            f"could be served alone{maybe}, but not beside the requests the plan serves "
            f"({kind} within reach: {', '.join(options)})"
        )
    return _crowded(inst, r, final, staffed, crowded_code, fcfs, maybe)


def _no_staff(req: Request) -> str:
    return (
        f"no instructor for {req.equipment_type} ({req.part}) is free on {req.sessions} "
        f"suitable dates between {req.earliest} and {req.latest}"
    )


def _no_fit(inst: Instance, r: int, plain: list[Candidate]) -> str:
    """Enough usable dates, yet no valid plan: containers cannot be everywhere in time."""
    req = inst.requests[r]
    boxes = sorted({inst.boxes[c.resource].id for c in plain if c.kind == CONTAINER})
    head = (
        f"{req.sessions} sessions of {req.equipment_type} do not fit between {req.earliest} "
        f"and {req.latest}"
    )
    if boxes:
        return (
            f"{head}: the usable dates need {', '.join(boxes)} at more than one site, or "
            f"moved before a session, and a move (transit and setup) leaves no time; "
            f"widen the window"
        )
    return f"{head} with a {req.min_gap_days}-day gap; widen the window or reduce the gap"


def _crowded(
    inst: Instance,
    r: int,
    final: FinalPlan,
    staffed: StaffDays | None,
    crowded_code: str,
    fcfs: bool,
    maybe: str,
) -> tuple[str, str]:
    """Why a request feasible alone is not in the final plan: what holds its slots."""
    req = inst.requests[r]
    spacing = max(req.min_gap_days, 1)
    holders: Counter[str] = Counter()
    locked: set[str] = set()
    elsewhere: Counter[str] = Counter()
    busy_staff: set[int] = set()
    open_dates = set()  # dates not taken by locked sessions
    free_dates = set()  # dates with a free option beside the plan
    for o in expand(inst, r, candidates(inst, req, staffed)):
        key = (o.kind, o.resource, o.day, o.slot)
        by_lock = False
        if o.kind == CONTAINER and final.where[o.resource][o.day] != o.site:
            elsewhere[inst.boxes[o.resource].id] += 1
        elif not final.ledger.resource_free(o):
            held = final.holders.get(key, [])
            names = {inst.requests[b.request].id for b in held}
            holders.update(names)
            by_lock = all((b.request, b.day, b.slot) in final.locked for b in held)
            if by_lock:
                locked.update(names)
        elif final.teachers(o) == []:
            busy_staff.add(o.day)
        else:
            free_dates.add(inst.days[o.day])
        if not by_lock:
            open_dates.add(inst.days[o.day])
    if max_spaced(open_dates, spacing) < req.sessions:
        return "no-capacity", (
            f"the {req.equipment_type} slots it could use are held by confirmed (locked) "
            f"sessions of {_names(locked)}; it can only be served if one is cancelled"
        )
    if not final.filled and fits_whole(final, r, staffed):
        return crowded_code, (
            "could be served alone, and fits beside this plan as it stands: the plan was not "
            "completed with it (a full solve adds such requests; a repair leaves them to the "
            "background optimiser)"
        )
    free = max_spaced(free_dates, spacing)
    gap = f" {req.min_gap_days} days apart" if req.min_gap_days > 1 else ""
    blockers = [
        f"only {free} date(s){gap} stay free for it, {req.sessions} needed"
        if free < req.sessions
        else f"its free dates do not give {req.sessions} sessions within the instructors' "
        f"weekly limits"
    ]
    if holders:
        taken = _names(set(holders), holders)
        blockers.append(
            f"earlier requests took its slots ({taken})"
            if fcfs
            else f"its usable slots are taken by {taken}"
        )
    for box, n in sorted(elsewhere.items()):
        blockers.append(
            f"containers stay where they stand, and {box} would have to move"
            if fcfs
            else f"{box} stands elsewhere or is moving on {n} of its slot(s)"
        )
    if busy_staff:
        blockers.append(f"no instructor is free on {len(busy_staff)} of its dates")
    said = "; ".join(blockers)
    if fcfs:
        return crowded_code, (
            f"could be served alone{maybe}, but not in first-come-first-served order: {said}"
        )
    # a region proven optimal has no better plan: the time limit is no excuse there
    why = (
        "they are worth more together"
        if inst.region_of_request(req) in final.proven
        else "they are worth more together, or the solver ran out of time"
    )
    return crowded_code, (
        f"could be served alone{maybe}, but not beside the requests this plan serves "
        f"({why}): {said}"
    )


def _names(ids: set[str], counts: Counter[str] | None = None) -> str:
    ordered = sorted(ids, key=lambda x: (-(counts or Counter())[x], x))
    more = f" and {len(ordered) - 4} more" if len(ordered) > 4 else ""
    return ", ".join(ordered[:4]) + more
