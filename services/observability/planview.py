"""Operator figures of one region's plan, as pure functions of schema objects.

Why here and not in the scheduler: the same numbers feed gauges, tests and
(later) reports, and computing them must not need Kafka or Prometheus.

Definitions (also in ``docs/operations.md``):

* **capacity** of a unit in a window: for every working day in the window on
  which the unit is available and its site is open, one session per slot of
  a part the unit serves. **booked**: confirmed sessions on the unit in the
  window. **utilisation** = booked / capacity.
* **windows**: ``week1`` .. ``week4`` are four seven-day windows, the first
  starting today (today clamped into the horizon: a plan for next spring
  shows its first weeks until the spring comes), so they hold only capacity
  that can still be booked; ``horizon`` is the whole planning horizon.
* fixed equipment is counted at its hub under its own type; each container
  lab is its own row (``hub`` = container id, type ``mobile-lab``), because
  it moves and serves several types with one set of slots.
* **demand** per type and part: sessions asked for by active (confirmed or
  waitlisted) requests; **capacity** per type: fixed units of the type plus
  every container able to serve it (a container counts under each of its
  types, so per-type capacities may add up to more than the total).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from schemas.common import DateRange
from schemas.events import RegionCatalogue
from schemas.scenario import Request
from schemas.schedule import ContainerMove, Session
from services.planner.calendar import in_ranges

WEEKS_AHEAD = 4
MOBILE = "mobile-lab"
TOP_PROGRAMMES = 20  # label values kept per region; the rest become "other"
IN_TRANSIT = "in-transit"

Cell = tuple[str, str, str, str]  # (hub, equipment_type, part, window)


@dataclass(frozen=True)
class Window:
    name: str
    start: dt.date
    end: dt.date  # inclusive

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


@dataclass
class ContainerFigures:
    site: str  # where it stands on the reference day, or "in-transit"
    moves: int
    meters: float
    next_move: dt.date | None


@dataclass
class RegionFigures:
    """Everything the gauges of one region show; plain data."""

    booked: dict[Cell, int] = field(default_factory=dict)
    capacity: dict[Cell, int] = field(default_factory=dict)
    demand: dict[tuple[str, str], int] = field(default_factory=dict)  # (type, part)
    type_capacity: dict[tuple[str, str], int] = field(default_factory=dict)
    waitlist: dict[tuple[str, str], int] = field(default_factory=dict)  # (school, programme)
    containers: dict[str, ContainerFigures] = field(default_factory=dict)

    def utilisation(self) -> dict[Cell, float]:
        return {c: self.booked.get(c, 0) / cap for c, cap in self.capacity.items() if cap > 0}


def reference_day(today: dt.date, start: dt.date, end: dt.date) -> dt.date:
    return min(max(today, start), end)


def windows(start: dt.date, end: dt.date, today: dt.date) -> list[Window]:
    """``WEEKS_AHEAD`` seven-day windows from the reference day (clipped to the
    horizon), and the horizon.

    Why from today and not from the ISO week's Monday: days already gone can
    take no booking, so counting them made "the next two weeks" look emptier
    (or fuller) than what is left, on every day but Monday.
    """
    ref = reference_day(today, start, end)
    out = []
    for k in range(WEEKS_AHEAD):
        first = ref + dt.timedelta(days=7 * k)
        last = first + dt.timedelta(days=6)
        if first > end:
            break
        out.append(Window(f"week{k + 1}", first, min(last, end)))
    out.append(Window("horizon", start, end))
    return out


def working_days(cat: RegionCatalogue) -> list[dt.date]:
    """Allowed weekdays of the horizon not closed everywhere (spec rule 1)."""
    days, day = [], cat.horizon.start
    weekdays = set(cat.weekdays)
    while day <= cat.horizon.end:
        if day.isoweekday() in weekdays and not in_ranges(day, cat.closed):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def container_site(start_site: str, moves: Sequence[ContainerMove], day: dt.date) -> str:
    """Where a container stands on ``day`` given its planned moves."""
    where = start_site
    for m in sorted(moves, key=lambda m: m.depart):
        if day >= m.ready:
            where = m.to
        elif day >= m.depart:
            return IN_TRANSIT
    return where


def region_figures(
    cat: RegionCatalogue,
    requests: Mapping[str, Request],
    status: Mapping[str, str],
    sessions: Iterable[Session],
    moves: Sequence[ContainerMove],
    today: dt.date,
) -> RegionFigures:
    out = RegionFigures()
    wins = windows(cat.horizon.start, cat.horizon.end, today)
    days = working_days(cat)
    part_of = {s.id: s.part for s in cat.slots}
    slots_per_part: Counter[str] = Counter(s.part for s in cat.slots)
    site_closed = {s.id: list(cat.calendars.get(s.calendar or "", [])) for s in cat.sites}
    row_of: dict[str, tuple[str, str]] = {e.id: (e.site, e.type) for e in cat.equipment}
    row_of.update({c.id: (c.id, MOBILE) for c in cat.containers})

    def add_capacity(
        hub: str,
        kind: str,
        parts: Iterable[str],
        off: Sequence[DateRange],
        open_on: Mapping[dt.date, bool] | None = None,
    ) -> None:
        for day in days:
            if in_ranges(day, off) or (open_on is not None and not open_on.get(day, False)):
                continue
            for w in wins:
                if day in w:
                    for p in parts:
                        cell = (hub, kind, p, w.name)
                        out.capacity[cell] = out.capacity.get(cell, 0) + slots_per_part[p]

    for e in cat.equipment:
        add_capacity(e.site, e.type, e.parts, [*e.unavailable, *site_closed.get(e.site, [])])
    for c in cat.containers:
        mine = [m for m in moves if m.container == c.id]
        placed = {d: container_site(c.start_site, mine, d) != IN_TRANSIT for d in days}
        add_capacity(c.id, MOBILE, sorted(slots_per_part), c.unavailable, placed)
    for s in sessions:
        hub_kind = row_of.get(s.resource)
        if hub_kind is None or s.slot not in part_of:
            continue
        for w in wins:
            if s.date in w:
                cell = (*hub_kind, part_of[s.slot], w.name)
                out.booked[cell] = out.booked.get(cell, 0) + 1
    _by_type(out, cat, requests, status, days, site_closed)
    _waitlist(out, requests, status)
    _containers(out, cat, moves, reference_day(today, cat.horizon.start, cat.horizon.end))
    return out


def _by_type(
    out: RegionFigures,
    cat: RegionCatalogue,
    requests: Mapping[str, Request],
    status: Mapping[str, str],
    days: Sequence[dt.date],
    site_closed: Mapping[str, list[DateRange]],
) -> None:
    for rid, st in status.items():
        if st in ("confirmed", "waitlisted") and rid in requests:
            r = requests[rid]
            key = (r.equipment_type, r.part)
            out.demand[key] = out.demand.get(key, 0) + r.sessions
    for (hub, kind, part, window), cap in out.capacity.items():
        if window != "horizon":
            continue
        kinds = [kind] if kind != MOBILE else next(c.types for c in cat.containers if c.id == hub)
        for t in kinds:
            out.type_capacity[(t, part)] = out.type_capacity.get((t, part), 0) + cap
    for t, part in list(out.demand):  # demand for a type nobody offers: capacity 0, not absent
        out.type_capacity.setdefault((t, part), 0)


def _waitlist(
    out: RegionFigures, requests: Mapping[str, Request], status: Mapping[str, str]
) -> None:
    waiting = [requests[r] for r, st in status.items() if st == "waitlisted" and r in requests]
    top = {p for p, _ in Counter(r.programme for r in waiting).most_common(TOP_PROGRAMMES)}
    tally = Counter((r.site, r.programme if r.programme in top else "other") for r in waiting)
    out.waitlist = dict(tally)


def _containers(
    out: RegionFigures, cat: RegionCatalogue, moves: Sequence[ContainerMove], ref: dt.date
) -> None:
    for c in cat.containers:
        mine = [m for m in moves if m.container == c.id]
        upcoming = [m.depart for m in mine if m.depart >= ref]
        out.containers[c.id] = ContainerFigures(
            site=container_site(c.start_site, mine, ref),
            moves=len(mine),
            meters=sum(m.km for m in mine) * 1000.0,
            next_move=min(upcoming) if upcoming else None,
        )
