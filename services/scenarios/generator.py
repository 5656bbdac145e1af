"""Realistic, seeded scenario generator (``hubplan-scenario/1``).

Tests, benchmarks and demos need scenarios that look like the real problem:
Norwegian schools at their real coordinates, public holidays and county
school breaks, hub labs, container labs, instructors, and more demand than
capacity. ``generate`` builds one as a plain dict in the exact spec format,
deterministically from a seed (``random.Random(seed)`` is the only source of
chance: the same arguments always give the same JSON).

How the pieces fit: ``regions`` picks real sites and calendars, ``supply``
places equipment types on hubs and in containers, ``demand`` draws requests
against that layout (so some far schools can be served only by a container),
and ``supply`` then sizes the units and staff so requests exceed capacity by
``demand_ratio``.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from services.scenarios.demand import make_requests
from services.scenarios.holidays import closed_ranges
from services.scenarios.layout import Days, choose_layout
from services.scenarios.regions import CAR_KMH, ROAD_FACTOR, build_regions
from services.scenarios.supply import build_supply

FORMAT = "hubplan-scenario/1"
# A fixed default, never "today": output must not depend on when it runs.
DEFAULT_START = dt.date(2027, 1, 4)  # first Monday of the 2027 spring term
TRUCK_KMH = 65.0
SLOTS: list[dict[str, str]] = [
    # vgs teaching runs in 90-minute double lessons 08:15-15:15 and adult
    # classes start from about 16:30 (other_facts.school_day); as in the example.
    {"id": "day-am", "part": "day", "start": "08:30", "end": "11:30"},
    {"id": "day-pm", "part": "day", "start": "12:15", "end": "15:00"},
    {"id": "evening", "part": "evening", "start": "17:30", "end": "20:30"},
]
WEEKDAYS = [1, 2, 3, 4, 5]


def horizon_end(start: dt.date, weeks: int) -> dt.date:
    """Last day of a ``weeks``-week horizon: the Friday of its last week.

    Eleven weeks from Monday 4 January 2027 end on Friday 19 March, as in the
    spec's example; a weekend tail would only add days nobody can use.
    """
    end = start + dt.timedelta(days=7 * weeks - 1)
    while end.weekday() >= 5 and end > start:
        end -= dt.timedelta(days=1)
    return end


def generate(
    seed: int,
    requests: int,
    regions: int = 1,
    *,
    start: dt.date | None = None,
    weeks: int = 11,
    staff: bool = True,
    containers_per_region: int = 1,
    demand_ratio: tuple[float, float] = (1.2, 1.6),
    name: str | None = None,
) -> dict[str, Any]:
    """A scenario dict with ``requests`` requests spread over ``regions`` regions.

    Regions are real counties (Agder, Nordland, Rogaland, Telemark, Vestland,
    Østfold), then ``synth-NN`` ones. Each region draws its own
    ``demand_ratio`` (sessions requested per session slot offered); with very
    few requests per region the ratio cannot be reached, because every hub
    type keeps at least one unit open at least one week.
    """
    if requests < 0 or regions < 1 or weeks < 1 or containers_per_region < 0:
        raise ValueError("need requests >= 0, regions >= 1, weeks >= 1, containers_per_region >= 0")
    low, high = demand_ratio
    if not 0 < low <= high:
        raise ValueError(f"demand_ratio must be 0 < low <= high, got {demand_ratio}")
    rng = random.Random(seed)
    start = start or DEFAULT_START
    end = horizon_end(start, weeks)
    built = build_regions(regions, rng, start, end)
    region_seeds = [rng.randrange(2**32) for _ in built]

    closed = closed_ranges(start, end)
    calendars = {cid: ranges for region in built for cid, ranges in region.calendars.items()}
    days = Days(
        working=[
            d for d in _dates(start, end) if d.isoweekday() in WEEKDAYS and not _in(d, closed)
        ],
        closed_by_calendar={
            cid: {d for d in _dates(start, end) if _in(d, ranges)}
            for cid, ranges in calendars.items()
        },
    )
    scenario: dict[str, Any] = {
        "format": FORMAT,
        "name": name or f"generated-seed{seed}-{requests}req-{regions}reg",
        "horizon": {"start": start.isoformat(), "end": end.isoformat()},
        "slots": [dict(slot) for slot in SLOTS],
        "weekdays": list(WEEKDAYS),
        "closed": closed,
        "calendars": calendars,
        "sites": [site for region in built for site in region.sites],
        "travel": {"road_factor": ROAD_FACTOR, "car_kmh": CAR_KMH, "truck_kmh": TRUCK_KMH},
        "equipment": [],
        "containers": [],
        "requests": [],
        "locked": [],
    }
    minutes = {a: row for region in built for a, row in region.ferry_minutes.items()}
    if minutes:
        scenario["travel"]["minutes"] = minutes
    people: list[dict[str, Any]] = []
    per_region = [requests // regions + (i < requests % regions) for i in range(regions)]
    for region, region_seed, count in zip(built, region_seeds, per_region, strict=True):
        child = random.Random(region_seed)
        layout = choose_layout(region, containers_per_region, child)
        asked = make_requests(region, layout, count, child, start, end)
        units, boxes, staff_list = build_supply(
            region, layout, asked, days, child.uniform(low, high), staff, child
        )
        scenario["equipment"] += units
        scenario["containers"] += boxes
        scenario["requests"] += asked
        people += staff_list
    scenario["requests"].sort(key=lambda r: (r["submitted_at"], r["id"]))
    if staff:
        scenario["staff"] = people
    # Keep the spec's field order (staff before requests) for readable files.
    order = [
        "format",
        "name",
        "horizon",
        "slots",
        "weekdays",
        "closed",
        "calendars",
        "sites",
        "travel",
        "equipment",
        "containers",
        "staff",
        "requests",
        "locked",
    ]
    return {key: scenario[key] for key in order if key in scenario}


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _in(day: dt.date, ranges: list[Any]) -> bool:
    text = day.isoformat()
    return any(r["from"] <= text <= r["to"] for r in ranges)
