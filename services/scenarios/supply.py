"""Resources of a generated region: hub equipment, container labs and instructors.

Supply is sized *after* demand so that requests exceed what can be offered
by a chosen ratio (about 1.2-1.6 sessions asked per session slot offered):
with spare capacity every plan is trivial, with far too little every plan is
equally bad. Hubs are school labs, so a unit is open to visiting groups only
on some weekdays of some weeks when demand is small for the horizon; the
rest is ``unavailable`` with reason ``host-school-teaching``. Containers are
hired out to industry in their idle weeks (``industry-hire``).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from typing import Any

from services.scenarios.availability import (
    blocked_weekdays,
    blocked_weeks,
    date_range,
    open_count,
    to_ranges,
)
from services.scenarios.holidays import DateRange
from services.scenarios.layout import PART_SLOTS, TYPES, Days, Layout, slots_of
from services.scenarios.regions import Region
from services.scenarios.staff import make_instructors

CONTAINER_MIN_OPEN = 0.25  # share of weeks a container stays open to schools at least


def build_supply(
    region: Region,
    layout: Layout,
    requests: list[dict[str, Any]],
    days: Days,
    ratio: float,
    staff: bool,
    rng: random.Random,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Equipment, containers and (optionally) staff sized to ``demand / ratio``.

    Demand is split by who can serve it: requests that reach a hub with their
    type size the hub units; requests only a container can reach size the
    containers. Each side is then opened just enough for ``1 / ratio`` of
    its own demand, so neither is idle while the other is swamped.
    """
    demand: dict[str, Counter[str]] = defaultdict(Counter)  # all requests
    hub_demand: dict[str, Counter[str]] = defaultdict(Counter)
    box_demand = [0.0] * len(layout.containers)
    for r in requests:
        t, part, n = r["equipment_type"], _part(r), r["sessions"]
        demand[t][part] += n
        carriers = [i for i, types in enumerate(layout.containers) if t in types]
        if carriers and not _hub_reachable(region, layout, r):
            for i in carriers:
                box_demand[i] += n / len(carriers)
        else:  # hub-reachable, or out of anyone's reach: counted against the hubs
            hub_demand[t][part] += n
    open_days = {hub: _open_days(region, hub, days) for hub in region.hubs}
    units = _size_units(layout, hub_demand, ratio, open_days, rng)
    boxes = [_container(region, i, types, rng) for i, types in enumerate(layout.containers)]

    box_full = len(days.working) * sum(PART_SLOTS.values())
    for box, wanted in zip(boxes, box_demand, strict=True):
        # A container open only a week or two is no use to the schools it serves.
        fraction = max(CONTAINER_MIN_OPEN, wanted / ratio / box_full) if box_full else 1.0
        box["unavailable"] = to_ranges(blocked_weeks(days.working, fraction, rng), "industry-hire")
    hub_full: Counter[str] = Counter()  # slot capacity per type if nothing were blocked
    for unit in units:
        hub_full[unit["type"]] += len(open_days[unit["site"]]) * slots_of(unit["parts"])
    for unit in units:
        t = unit["type"]
        wanted = sum(hub_demand[t].values()) / ratio
        fraction = wanted / hub_full[t] if hub_full[t] else 1.0
        blocked = blocked_weekdays(open_days[unit["site"]], fraction, rng)
        unit["unavailable"] = to_ranges(blocked, "host-school-teaching") + _service(unit, days, rng)
    for item in units + boxes:
        if not item["unavailable"]:
            del item["unavailable"]
    offered = sum(
        open_count(u.get("unavailable", []), open_days[u["site"]]) * slots_of(u["parts"])
        for u in units
    )
    offered += sum(
        open_count(b.get("unavailable", []), days.working) * sum(PART_SLOTS.values()) for b in boxes
    )
    people = make_instructors(region, layout, demand, offered, days, rng) if staff else []
    return units, boxes, people


def _part(request: dict[str, Any]) -> str:
    return "day" if request["audience"] == "pupils" else "evening"


def _hub_reachable(region: Region, layout: Layout, request: dict[str, Any]) -> bool:
    return any(
        request["equipment_type"] in types
        and region.car_minutes(request["site"], hub) <= request["max_travel_minutes"]
        for hub, types in layout.hub_types.items()
    )


def _size_units(
    layout: Layout,
    demand: dict[str, Counter[str]],
    ratio: float,
    open_days: dict[str, list[dt.date]],
    rng: random.Random,
) -> list[dict[str, Any]]:
    """Units per type for ``demand / ratio`` at full opening; one per hosting hub at least."""
    units: list[dict[str, Any]] = []
    for t in TYPES:
        hubs = [h for h, types in layout.hub_types.items() if t in types]
        per_unit = max(1, min(len(open_days[h]) for h in hubs)) * sum(PART_SLOTS.values())
        count = max(len(hubs), math.ceil(sum(demand[t].values()) / ratio / per_unit))
        want = [p for p in PART_SLOTS if demand[t][p]] or list(PART_SLOTS)
        for k in range(count):
            parts = want if k == 0 or len(want) == 1 or rng.random() < 0.7 else ["day"]
            hub = hubs[k % len(hubs)]
            units.append(
                {
                    "id": f"{hub}-{t}-{k // len(hubs) + 1}",
                    "type": t,
                    "site": hub,
                    "seats": rng.randint(12, 16) if k < len(hubs) else rng.randint(8, 16),
                    "parts": parts,
                }
            )
    return units


def _container(region: Region, index: int, types: list[str], rng: random.Random) -> dict[str, Any]:
    box: dict[str, Any] = {
        "id": f"{region.id}-mobile-lab-{index + 1}",
        "types": types,
        "seats": rng.randint(10, 14),
        "start_site": region.depot if index == 0 else rng.choice(region.hubs),
        "setup_days": rng.choice((1, 1, 2)),
    }
    if rng.random() < 0.5:  # some owners cap moves: each costs a truck and a crane
        box["max_moves"] = rng.randint(3, 8)
    return box


def _open_days(region: Region, hub: str, days: Days) -> list[dt.date]:
    closed = days.closed_by_calendar.get(region.site(hub).get("calendar") or "", set())
    return [d for d in days.working if d not in closed]


def _service(unit: dict[str, Any], days: Days, rng: random.Random) -> list[DateRange]:
    """A short service stop for about a third of the units."""
    if rng.random() >= 0.3 or not days.working:
        return []
    first = rng.choice(days.working)
    return [date_range(first, first + dt.timedelta(days=rng.randint(0, 2)), "service")]
