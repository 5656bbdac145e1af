"""The scenario turned into indexed plain data the model and heuristics share.

Why a separate step: every later stage (greedy, CP-SAT, reasons) asks the same
questions - which working days a site can host sessions, which units are
interchangeable, how far a group travels. Answering them once, with dates as
working-day indices, keeps the hot loops free of date arithmetic.

Identical fixed units (same site, type set, seats, parts, unavailability) are
*pooled*: the model books a pool with capacity = number of units and the unit
names are handed out afterwards. That removes the symmetry between twins
without any extra constraint.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from schemas.common import clock_minutes
from schemas.scenario import Container, Instructor, Request, Scenario, Site
from services.planner.calendar import in_ranges, iso_week, working_days
from services.planner.travel import TravelTable


@dataclass(frozen=True, slots=True)
class Pool:
    """Interchangeable fixed units at one site."""

    id: str
    site: str
    type: str
    seats: int
    parts: frozenset[str]
    units: tuple[str, ...]
    blocked: frozenset[int]  # working-day indices the units are unavailable

    @property
    def capacity(self) -> int:
        return len(self.units)


@dataclass(frozen=True, slots=True)
class Box:
    """A container lab with its blocked days and candidate pads."""

    id: str
    types: frozenset[str]
    seats: int
    start_site: str
    setup_days: int
    max_moves: int | None
    blocked: frozenset[int]
    region: str


@dataclass(slots=True)
class Instance:
    """Everything the planner needs, indexed. Built by :func:`build_instance`."""

    scenario: Scenario
    days: list[dt.date]
    weeks: list[tuple[int, int]]
    slot_ids: list[str]
    slot_part: list[str]
    slot_start: list[int]
    slot_end: list[int]
    travel: TravelTable
    sites: dict[str, Site]
    region_of_site: dict[str, str]
    site_closed: dict[str, frozenset[int]]
    pad_blocked: dict[str, frozenset[int]]  # days a site's pad takes no container
    pools: list[Pool]
    pool_of_unit: dict[str, int]
    boxes: list[Box]
    box_index: dict[str, int]
    pads_by_region: dict[str, list[str]]
    staff: list[Instructor] | None
    staff_blocked: list[frozenset[int]]
    staff_region: list[str]  # an instructor works in the region of their home site
    requests: list[Request]
    request_index: dict[str, int] = field(default_factory=dict)
    first_day: int = 0
    """No new session and no new container trip before this working day
    (repair: today's index; the past only holds what happened)."""

    def day_range(self, earliest: dt.date, latest: dt.date) -> range:
        """Working-day indices within ``[earliest, latest]``."""
        lo = bisect.bisect_left(self.days, earliest)
        hi = bisect.bisect_right(self.days, latest)
        return range(lo, hi)

    def region_of_request(self, req: Request) -> str:
        return self.region_of_site[req.site]

    def slots_of_part(self, part: str) -> list[int]:
        return [i for i, p in enumerate(self.slot_part) if p == part]

    def slot_gap(self, first: int, second: int) -> int:
        """Minutes between the end of one slot and the start of another (<0: overlap)."""
        if self.slot_start[first] > self.slot_start[second]:
            first, second = second, first
        return self.slot_start[second] - self.slot_end[first]


def _blocked(days: list[dt.date], ranges: list) -> frozenset[int]:  # type: ignore[type-arg]
    if not ranges:
        return frozenset()
    return frozenset(i for i, d in enumerate(days) if in_ranges(d, ranges))


def _pools(scenario: Scenario, days: list[dt.date]) -> list[Pool]:
    PoolKey = tuple[str, str, int, frozenset[str], frozenset[int]]
    groups: dict[PoolKey, list[str]] = defaultdict(list)
    for unit in scenario.equipment:
        key: PoolKey = (
            unit.site,
            unit.type,
            unit.seats,
            frozenset(unit.parts),
            _blocked(days, unit.unavailable),
        )
        groups[key].append(unit.id)
    pools = []
    for (site, kind, seats, parts, blocked), units in groups.items():
        pools.append(
            Pool(
                id=units[0] if len(units) == 1 else f"pool:{'+'.join(units)}",
                site=site,
                type=kind,
                seats=seats,
                parts=parts,
                units=tuple(units),
                blocked=blocked,
            )
        )
    return pools


def _box(box: Container, days: list[dt.date], region: str) -> Box:
    return Box(
        id=box.id,
        types=frozenset(box.types),
        seats=box.seats,
        start_site=box.start_site,
        setup_days=box.setup_days,
        max_moves=box.max_moves,
        blocked=_blocked(days, box.unavailable),
        region=region,
    )


def build_instance(scenario: Scenario, not_before: dt.date | None = None) -> Instance:
    """``not_before``: nothing new is placed on an earlier day (``first_day``)."""
    days = working_days(scenario)
    sites = {s.id: s for s in scenario.sites}
    region_of_site = {s.id: s.region for s in scenario.sites}
    site_closed = {
        s.id: _blocked(days, scenario.calendars.get(s.calendar, [])) if s.calendar else frozenset()
        for s in scenario.sites
    }
    pools = _pools(scenario, days)
    pool_of_unit = {u: i for i, p in enumerate(pools) for u in p.units}
    boxes = [_box(c, days, region_of_site[c.start_site]) for c in scenario.containers]
    pads: dict[str, list[str]] = defaultdict(list)
    for s in scenario.sites:
        if s.container_pad:
            pads[s.region].append(s.id)
    staff = list(scenario.staff) if scenario.staff is not None else None
    inst = Instance(
        scenario=scenario,
        days=days,
        weeks=[iso_week(d) for d in days],
        slot_ids=[s.id for s in scenario.slots],
        slot_part=[s.part for s in scenario.slots],
        slot_start=[clock_minutes(s.start) for s in scenario.slots],
        slot_end=[clock_minutes(s.end) for s in scenario.slots],
        travel=TravelTable.of(scenario),
        sites=sites,
        region_of_site=region_of_site,
        site_closed=site_closed,
        pad_blocked={s.id: _blocked(days, s.pad_unavailable) for s in scenario.sites},
        pools=pools,
        pool_of_unit=pool_of_unit,
        boxes=boxes,
        box_index={b.id: i for i, b in enumerate(boxes)},
        pads_by_region=dict(pads),
        staff=staff,
        staff_blocked=[_blocked(days, p.unavailable) for p in staff or []],
        staff_region=[region_of_site[p.home_site] for p in staff or []],
        requests=list(scenario.requests),
    )
    inst.request_index = {r.id: i for i, r in enumerate(inst.requests)}
    if not_before is not None:
        inst.first_day = bisect.bisect_left(days, not_before)
    return inst
