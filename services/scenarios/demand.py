"""Training requests of a generated region: who asks for what, when and how far.

Requests are drawn so that scheduling choices matter: a realistic programme
mix (vg1-vg3 classes, fagskole modules, adult courses), windows that overlap,
and a share of far-away schools whose only reachable option is a container
lab moving to them (their travel limit is below the drive to any hub with the
equipment, but their own site, or a pad near it, can take the container).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from services.scenarios.facts import kjemiprosess_class_min, vocational_class_max
from services.scenarios.layout import Layout
from services.scenarios.regions import Region


@dataclass(frozen=True)
class Programme:
    audience: str  # "pupils" (day slots) | "adults" (evening slots)
    types: dict[str, int]  # equipment type -> weight
    weight: int  # share of all requests
    keywords: tuple[str, ...] = ()  # site notes that make a school likelier to ask


PROGRAMMES: dict[str, Programme] = {
    "vg1-intro": Programme(
        "pupils", {"fire-safety": 3, "cell-assembly": 2, "plc-rig": 2, "dry-room": 1}, 12
    ),
    "vg2-intro": Programme(
        "pupils",
        {"cell-assembly": 3, "dry-room": 2, "plc-rig": 2, "fire-safety": 1, "formation-cycling": 1},
        14,
    ),
    "vg3-industrimekaniker": Programme(
        "pupils", {"cell-assembly": 3, "plc-rig": 2, "fire-safety": 1}, 5, ("TIF", "TIP")
    ),
    "vg3-automatisering": Programme(
        "pupils", {"plc-rig": 4, "formation-cycling": 1}, 6, ("automatisering", "Elektro")
    ),
    "vg3-kjemiprosess": Programme(
        "pupils", {"dry-room": 3, "formation-cycling": 2, "cell-assembly": 1}, 6, ("kjemiprosess",)
    ),
    "vg3-laboratorie": Programme(
        "pupils", {"dry-room": 2, "formation-cycling": 3}, 5, ("laboratoriefag",)
    ),
    "vg3-produksjonsteknikk": Programme(
        "pupils", {"cell-assembly": 3, "plc-rig": 2, "dry-room": 1}, 5, ("TIF", "TIP")
    ),
    "fagskole-batteri": Programme(
        "pupils", {"formation-cycling": 3, "cell-assembly": 3, "dry-room": 2, "fire-safety": 1}, 8
    ),
    "etterutdanning": Programme(
        "adults",
        {"fire-safety": 3, "plc-rig": 2, "cell-assembly": 2, "formation-cycling": 2, "dry-room": 1},
        20,
    ),
    "nav-restart": Programme("adults", {"fire-safety": 3, "cell-assembly": 2, "plc-rig": 1}, 10),
}

CONTAINER_ONLY_SHARE = 0.6  # of requests that *could* be made container-only
SUBMISSION_LEAD_DAYS = 84  # requests arrive over the 12 weeks before the horizon


def make_requests(
    region: Region, layout: Layout, count: int, rng: random.Random, start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """``count`` requests for one region, in first-come order."""
    names = [p for p in PROGRAMMES if p != "fagskole-batteri" or region.of_kind("fagskole")]
    weights = [PROGRAMMES[p].weight for p in names]
    counters: Counter[str] = Counter()
    out = []
    for _ in range(count):
        programme = rng.choices(names, weights)[0]
        spec = PROGRAMMES[programme]
        site = _pick_site(region, programme, spec, rng)
        kind_types = list(spec.types)
        equipment_type = rng.choices(kind_types, [spec.types[t] for t in kind_types])[0]
        base = f"{site}-{programme}"
        counters[base] += 1
        request: dict[str, Any] = {
            "id": f"{base}-{counters[base]}",
            "site": site,
            "audience": spec.audience,
            "programme": programme,
            "equipment_type": equipment_type,
        }
        request.update(_size_and_rhythm(programme, spec.audience, rng))
        request.update(_window(request["sessions"], request["min_gap_days"], rng, start, end))
        request["max_travel_minutes"] = _travel_limit(
            region, layout, site, equipment_type, spec.audience, rng
        )
        request["priority"] = rng.choices((1, 2, 3), (4, 4, 2))[0]
        request["submitted_at"] = _submitted_at(rng, start, spec.audience)
        out.append(request)
    return sorted(out, key=lambda r: (r["submitted_at"], r["id"]))


def _pick_site(region: Region, programme: str, spec: Programme, rng: random.Random) -> str:
    if programme == "fagskole-batteri":
        candidates = region.of_kind("fagskole")
        weights = [1.0] * len(candidates)
    elif programme == "etterutdanning":
        candidates = region.of_kind("fagskole", "hub", "school")
        weights = [{"fagskole": 3.0, "hub": 1.0, "school": 0.5}[s["kind"]] for s in candidates]
    else:
        candidates = region.of_kind("hub", "school")
        weights = [
            3.0 if any(k in region.notes.get(s["id"], "") for k in spec.keywords) else 1.0
            for s in candidates
        ]
    return str(rng.choices(candidates, weights)[0]["id"])


def _size_and_rhythm(programme: str, audience: str, rng: random.Random) -> dict[str, int]:
    """Group size, sessions and gap; vocational classes stay within 6..15 pupils."""
    if audience == "pupils":
        low = kjemiprosess_class_min() if programme == "vg3-kjemiprosess" else 6
        group = rng.randint(low, vocational_class_max())
    else:
        group = rng.randint(6, 16)
    sessions = rng.choices((1, 2, 3, 4), (2, 4, 3, 2))[0]
    gap = 0 if sessions == 1 else rng.choice((0, 1, 2, 3, 5, 7, 7))
    return {"group_size": group, "sessions": sessions, "min_gap_days": gap}


def _window(
    sessions: int, gap: int, rng: random.Random, start: dt.date, end: dt.date
) -> dict[str, str]:
    """A 2-8 week window inside the horizon, long enough for the sessions and gaps."""
    horizon_days = (end - start).days + 1
    need_days = (sessions - 1) * max(gap, 1) + 5
    min_weeks = max(2, math.ceil(need_days / 7))
    max_weeks = max(min_weeks, min(8, math.ceil(horizon_days / 7)))
    length = min(7 * rng.randint(min_weeks, max_weeks), horizon_days)
    # Windows open on the horizon's first day or on a Monday, as teachers plan.
    mondays = (start + dt.timedelta(days=d) for d in range(1, horizon_days - length + 1))
    starts = [start] + [m for m in mondays if m.weekday() == 0]
    earliest = rng.choice(starts)
    latest = min(earliest + dt.timedelta(days=length - 1), end)
    while latest.weekday() >= 5 and latest > earliest:  # end on a Friday, not a Sunday
        latest -= dt.timedelta(days=1)
    return {"earliest": earliest.isoformat(), "latest": latest.isoformat()}


def _travel_limit(
    region: Region,
    layout: Layout,
    site: str,
    equipment_type: str,
    audience: str,
    rng: random.Random,
) -> int:
    """One-way travel limit in minutes (multiples of 5, 30..120).

    Requests whose type a container carries, from a site a container can
    reach but far (>30 min) from every hub with the type, are often given a
    limit below the hub drive: only a container that moves to them serves
    them. Most other limits are raised to reach the nearest hub; the rest
    stay out of reach, as real requests sometimes are.
    """
    hub_minutes = min(
        (
            region.car_minutes(site, hub)
            for hub, types in layout.hub_types.items()
            if equipment_type in types
        ),
        default=math.inf,
    )
    if equipment_type in layout.container_types and hub_minutes > 35:
        pad_minutes = min(
            region.car_minutes(site, s["id"]) for s in region.sites if s["container_pad"]
        )
        low = max(30, _round5_up(pad_minutes))
        high = min(120, _round5_up(hub_minutes) - 5)
        if low <= high and rng.random() < CONTAINER_ONLY_SHARE:
            return rng.randrange(low, high + 1, 5)
    limit = rng.randrange(30, 80, 5) if audience == "pupils" else rng.randrange(45, 125, 5)
    if limit < hub_minutes <= 120 and rng.random() < 0.85:
        limit = min(120, _round5_up(hub_minutes) + 5 * rng.randint(0, 3))
    return limit


def _round5_up(minutes: float) -> int:
    return int(5 * math.ceil(minutes / 5 - 1e-9))


def _submitted_at(rng: random.Random, start: dt.date, audience: str) -> str:
    """A weekday timestamp in the weeks before the horizon, with Oslo's UTC offset."""
    day = start - dt.timedelta(days=rng.randint(1, SUBMISSION_LEAD_DAYS))
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    # Schools write in office hours; adult-course organisers also in the evening.
    hour = rng.randint(8, 15) if audience == "pupils" or rng.random() < 0.7 else rng.randint(18, 21)
    moment = dt.datetime(day.year, day.month, day.day, hour, rng.randrange(0, 60))
    offset = "+02:00" if _oslo_summer_time(moment) else "+01:00"
    return moment.isoformat(timespec="seconds") + offset


def _oslo_summer_time(local: dt.datetime) -> bool:
    """EU rule: CEST from the last Sunday of March to the last Sunday of October.

    Computed instead of using zoneinfo so the generator needs no tz database
    (Windows and slim containers lack one) and stays deterministic.
    """

    def last_sunday(month: int) -> dt.date:
        last = dt.date(local.year, month, 31)
        return last - dt.timedelta(days=(last.weekday() + 1) % 7)

    return last_sunday(3) <= local.date() < last_sunday(10)
