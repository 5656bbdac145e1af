"""Why a request was not served, as a spec reason code and an actionable detail.

Each code is only given when it is true, checked in this order:

* ``no-capacity``   - nothing of the type in the region, or nothing within
  reach with enough seats / the right part of day;
* ``out-of-reach``  - units of the type exist, none within the travel limit;
* ``no-slot-in-window`` - the window has fewer usable dates (weekdays,
  closures, calendars, unit service days, gap) than sessions asked;
* ``no-staff``      - enough dates, but not with a qualified free instructor;
* otherwise the request is feasible alone: ``crowded_code`` (``not-optimised``
  after a full solve, ``no-capacity`` when it did not fit around bookings
  that were already confirmed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from schemas.schedule import Unserved
from services.planner.greedy import place_request
from services.planner.instance import Instance
from services.planner.ledger import Ledger
from services.planner.options import candidates, staff_days


def max_spaced(dates: Iterable[dt.date], spacing: int) -> int:
    """Most dates that can be picked at least ``spacing`` days apart (earliest first)."""
    count, last = 0, None
    for d in sorted(set(dates)):
        if last is None or (d - last).days >= spacing:
            count, last = count + 1, d
    return count


def _name(inst: Instance, site: str) -> str:
    return inst.sites[site].name


def explain_unserved(inst: Instance, r: int, crowded_code: str = "not-optimised") -> Unserved:
    req = inst.requests[r]
    code, detail = _diagnose(inst, r, crowded_code)
    return Unserved.model_validate({"request": req.id, "reason": code, "detail": detail})


def _diagnose(inst: Instance, r: int, crowded_code: str) -> tuple[str, str]:
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
        found = max_spaced(dates, spacing)
        if found < need or place_request(inst, Ledger(inst), r, with_staff) is None:
            return "no-staff", (
                f"no instructor for {kind} ({req.part}) is free on {need} suitable dates "
                f"between {req.earliest} and {req.latest}"
            )
    elif place_request(inst, Ledger(inst), r, plain) is None:  # pragma: no cover - see max_spaced
        return "no-slot-in-window", f"the window cannot hold {need} sessions of {kind}"
    options = sorted({_name(inst, w[1]) for w in fitting})
    if crowded_code == "not-optimised":
        return crowded_code, (
            f"could be served alone, but the {kind} slots within reach "
            f"({', '.join(options)}) went to higher-value requests; a wider window or "
            f"longer travel limit raises the chance"
        )
    return crowded_code, (
        f"all {kind} slots within reach ({', '.join(options)}) are booked between "
        f"{req.earliest} and {req.latest}; you are on the waiting list"
    )
