"""Enumerate the (request, resource, date, slot, site) options worth a variable.

Pruning happens here, before any model is built: an option exists only if it
already satisfies every rule that concerns the request alone - type, seats,
part, region, travel limit, window, weekdays, closures, site and school
calendars, resource unavailability, an instructor of the type being free that
day, and (for containers) the pad being reachable from the start site in time.
What is left for the model are the rules between requests.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from schemas.scenario import Request
from schemas.schedule import ContainerMove
from services.planner.calendar import move_span
from services.planner.instance import Box, Instance

FIXED, CONTAINER = 0, 1


@dataclass(frozen=True, slots=True)
class Candidate:
    """A resource a request could use at one site, and the days that would work."""

    kind: int  # FIXED (a pool) or CONTAINER
    resource: int  # pool index or container index
    site: str
    travel: float  # group's one-way minutes
    days: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Option:
    request: int
    kind: int
    resource: int
    day: int
    slot: int
    site: str
    travel: float


StaffDays = dict[tuple[str, str, str], frozenset[int]]


def staff_days(inst: Instance) -> StaffDays | None:
    """Days on which some instructor of the region can teach (region, type, part).

    None when the scenario has no staff (then no session needs an instructor).
    """
    if inst.staff is None:
        return None
    out: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    every_day = range(len(inst.days))
    for i, person in enumerate(inst.staff):
        if person.max_sessions_per_week <= 0:
            continue
        free = [k for k in every_day if k not in inst.staff_blocked[i]]
        for kind in person.types:
            for part in person.parts:
                out[(inst.staff_region[i], kind, part)].update(free)
    return {key: frozenset(v) for key, v in out.items()}


def candidates(
    inst: Instance,
    req: Request,
    staffed: StaffDays | None,
    *,
    containers_fixed: bool = False,
) -> list[Candidate]:
    """Every (resource, site) the request could use alone, with its usable days.

    ``containers_fixed`` keeps containers at their start site (the FCFS
    baseline's rule: containers stay where they stand).
    """
    region = inst.region_of_request(req)
    part = req.part
    dates = inst.day_range(max(req.earliest, inst.scenario.horizon.start), req.latest)
    window = range(max(dates.start, inst.first_day), dates.stop)  # nothing new in the past
    home_closed = inst.site_closed[req.site] if req.audience == "pupils" else frozenset()
    allowed = (
        staffed.get((region, req.equipment_type, part), frozenset())
        if staffed is not None
        else None
    )
    out: list[Candidate] = []

    def usable(site: str, blocked: frozenset[int], first: int = 0) -> tuple[int, ...]:
        closed = inst.site_closed[site]
        return tuple(
            k
            for k in window
            if k >= first
            and k not in blocked
            and k not in closed
            and k not in home_closed
            and (allowed is None or k in allowed)
        )

    for p, pool in enumerate(inst.pools):
        if (
            pool.type != req.equipment_type
            or pool.seats < req.group_size
            or part not in pool.parts
            or inst.region_of_site[pool.site] != region
        ):
            continue
        minutes = inst.travel.car_minutes(req.site, pool.site)
        if minutes > req.max_travel_minutes:
            continue
        days = usable(pool.site, pool.blocked)
        if days:
            out.append(Candidate(FIXED, p, pool.site, minutes, days))
    for b, box in enumerate(inst.boxes):
        if (
            req.equipment_type not in box.types
            or box.seats < req.group_size
            or box.region != region
        ):
            continue
        for pad, first in pad_ready_days(inst, box, containers_fixed):
            minutes = inst.travel.car_minutes(req.site, pad)
            if minutes > req.max_travel_minutes:
                continue
            days = usable(pad, box.blocked | inst.pad_blocked[pad], first)
            if days:
                out.append(Candidate(CONTAINER, b, pad, minutes, days))
    return out


def pad_ready_days(inst: Instance, box: Box, fixed: bool) -> list[tuple[str, int]]:
    """Sites a container can stand at, with the first working day it can be ready there."""
    out = [(box.start_site, 0)]
    if fixed or box.max_moves == 0:
        return out
    for pad in inst.pads_by_region.get(box.region, []):
        if pad == box.start_site:
            continue
        span = move_span(inst.travel.truck_minutes(box.start_site, pad), box.setup_days)
        out.append((pad, span))
    return out


def expand(inst: Instance, r: int, cands: list[Candidate]) -> list[Option]:
    """All options of request ``r`` from its candidates."""
    slots = inst.slots_of_part(inst.requests[r].part)
    out = []
    for c in cands:
        offered = (
            slots
            if c.kind == CONTAINER
            else [s for s in slots if inst.slot_part[s] in inst.pools[c.resource].parts]
        )
        for k in c.days:
            for s in offered:
                out.append(Option(r, c.kind, c.resource, k, s, c.site, c.travel))
    return out


def positions(inst: Instance, moves: Iterable[ContainerMove]) -> list[list[str | None]]:
    """Where each container stands on each working day (None: moving or in setup)."""
    out: list[list[str | None]] = []
    for box in inst.boxes:
        where: list[str | None] = [box.start_site] * len(inst.days)
        mine = sorted((m for m in moves if m.container == box.id), key=lambda m: m.depart)
        for m in mine:
            depart = bisect.bisect_left(inst.days, m.depart)
            ready = bisect.bisect_left(inst.days, m.ready)
            for k in range(depart, len(inst.days)):
                where[k] = None if k < ready else m.to
        out.append(where)
    return out


def where_they_stand(
    cands: list[Candidate], where: Sequence[Sequence[str | None]]
) -> list[Candidate]:
    """Container candidates cut to the days the container stands at their site."""
    out = []
    for c in cands:
        if c.kind == CONTAINER:
            days = tuple(k for k in c.days if where[c.resource][k] == c.site)
            if days:
                out.append(replace(c, days=days))
        else:
            out.append(c)
    return out
