"""Load figures of a scenario: requested sessions against offered capacity.

Written apart from the generator, from the scenario dict alone, so a test can
check the generator's claim (demand exceeds capacity by about 1.2-1.6) with
code that does not share its arithmetic. Useful too when reading any
scenario: a ratio far below 1 means the planner has no real choices.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, TypedDict


class RegionLoad(TypedDict):
    """Sessions asked and slots offered in one region."""

    requests: int
    demand_sessions: int
    slot_capacity: int  # resource x date x slot triples a session could use
    staff_capacity: int | None  # sessions the instructors' weekly limits allow
    ratio: float  # demand_sessions / slot_capacity


def load_by_region(scenario: dict[str, Any]) -> dict[str, RegionLoad]:
    """Demand and capacity per region, counting only usable dates.

    A fixed unit counts each working day not in its site's calendar nor its
    ``unavailable`` ranges, times the slots of its parts; a container counts
    each working day it is not unavailable, times all slots (moves ignored).
    """
    start = dt.date.fromisoformat(scenario["horizon"]["start"])
    end = dt.date.fromisoformat(scenario["horizon"]["end"])
    weekdays = set(scenario.get("weekdays", [1, 2, 3, 4, 5]))
    closed = scenario.get("closed", [])
    working = [
        d
        for d in (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
        if d.isoweekday() in weekdays and not _in(d, closed)
    ]
    part_slots = Counter(slot["part"] for slot in scenario["slots"])
    sites = {s["id"]: s for s in scenario["sites"]}
    calendars = scenario.get("calendars", {})

    def region_of(site_id: str) -> str:
        return str(sites[site_id].get("region", "default"))

    out: dict[str, RegionLoad] = {}

    def entry(region: str) -> RegionLoad:
        return out.setdefault(
            region,
            {
                "requests": 0,
                "demand_sessions": 0,
                "slot_capacity": 0,
                "staff_capacity": None,
                "ratio": 0.0,
            },
        )

    for req in scenario.get("requests", []):
        load = entry(region_of(req["site"]))
        load["requests"] += 1
        load["demand_sessions"] += req["sessions"]
    for unit in scenario.get("equipment", []):
        site = sites[unit["site"]]
        shut = unit.get("unavailable", []) + calendars.get(site.get("calendar") or "", [])
        usable = sum(not _in(d, shut) for d in working)
        entry(region_of(unit["site"]))["slot_capacity"] += usable * sum(
            part_slots[p] for p in unit["parts"]
        )
    for box in scenario.get("containers", []):
        usable = sum(not _in(d, box.get("unavailable", [])) for d in working)
        entry(region_of(box["start_site"]))["slot_capacity"] += usable * len(scenario["slots"])
    for person in scenario.get("staff") or []:
        load = entry(region_of(person["home_site"]))
        weeks = Counter(
            d.isocalendar()[:2] for d in working if not _in(d, person.get("unavailable", []))
        )
        per_day = sum(part_slots[p] for p in person["parts"])
        taught = sum(min(person["max_sessions_per_week"], n * per_day) for n in weeks.values())
        load["staff_capacity"] = (load["staff_capacity"] or 0) + taught
    for load in out.values():
        cap = load["slot_capacity"]
        load["ratio"] = round(load["demand_sessions"] / cap, 3) if cap else float("inf")
    return out


def _in(day: dt.date, ranges: list[dict[str, str]]) -> bool:
    text = day.isoformat()
    return any(r["from"] <= text <= r["to"] for r in ranges)
