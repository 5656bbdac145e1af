"""Regions of a generated scenario: real sites, hubs, depots and their calendars.

A region is one county of ``norway-sites.json``: its upper-secondary schools
and fagskoler become sites with their register coordinates, two schools with
the strongest technical programmes become hubs, and the county's battery
factory becomes the container depot. Asked for more regions than the file
has, the generator invents ``synth-NN`` regions whose ids say they are made up.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from services.scenarios.facts import Place, counties, great_circle_km, places_in, slugify
from services.scenarios.holidays import DateRange, fagskole_calendar, school_calendar

ROAD_FACTOR = 1.3
CAR_KMH = 60.0

# Hub choice: the programmes a battery hub builds on (TIF = technology and
# industrial production, TIP = its older name, Elektro incl. automation).
_HUB_KEYWORDS = {
    "TIF": 2,
    "TIP": 2,
    "Elektro": 1,
    "kjemiprosess": 1,
    "laboratoriefag": 1,
    "hosts": 1,
}

# Two counties are cut by E39 ferries (other_facts.ferry_bottlenecks); a
# great-circle estimate would draw a straight line over the fjord. The side
# test is a latitude split; the minutes (crossing + waiting) are our estimate,
# the file names the ferries but not their times.
FERRY_SPLITS: dict[str, tuple[float, float, str]] = {
    # county: (latitude between the two shores, extra minutes, ferry)
    "rogaland": (59.2, 40.0, "Mortavika-Arsvagen"),  # Haugesund north, Stavanger south
    "vestland": (60.0, 60.0, "Halhjem-Sandvikvag"),  # Bergen north, Stord south
}


@dataclass
class Region:
    """Everything the demand and supply builders need to know about one region."""

    id: str
    county: str  # county id for calendar facts ("agder"); synthetic ones have none
    sites: list[dict[str, Any]]
    hubs: list[str]
    depot: str
    notes: dict[str, str] = field(default_factory=dict)
    calendars: dict[str, list[DateRange]] = field(default_factory=dict)
    ferry_minutes: dict[str, dict[str, float]] = field(default_factory=dict)

    def site(self, site_id: str) -> dict[str, Any]:
        return next(s for s in self.sites if s["id"] == site_id)

    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        return [s for s in self.sites if s["kind"] in kinds]

    def car_minutes(self, a: str, b: str) -> float:
        """Travel minutes as the planner will compute them (ferries included)."""
        if a == b:
            return 0.0
        explicit = self.ferry_minutes.get(a, {}).get(b)
        if explicit is not None:
            return explicit
        sa, sb = self.site(a), self.site(b)
        return (
            great_circle_km(sa["lat"], sa["lon"], sb["lat"], sb["lon"]) * ROAD_FACTOR / CAR_KMH * 60
        )


def build_regions(count: int, rng: random.Random, start: dt.date, end: dt.date) -> list[Region]:
    """``count`` regions: real counties first (Agder, Nordland, ...), then synthetic."""
    real = counties()
    out: list[Region] = []
    for index in range(count):
        child = random.Random(rng.randrange(2**32))  # one stream per region: stable ids
        if index < len(real):
            out.append(_real_region(real[index], child, start, end))
        else:
            out.append(_synthetic_region(index + 1, child, start, end))
    return out


def _real_region(county: str, rng: random.Random, start: dt.date, end: dt.date) -> Region:
    region_id = slugify(county)
    schools = places_in(county, "school")
    hubs = _pick_hubs(schools)
    vgs_calendar, fagskole_cal = f"{region_id}-vgs", f"{region_id}-fagskole"
    sites: list[dict[str, Any]] = []
    notes: dict[str, str] = {}
    for place in schools:
        site_id = slugify(place.name)
        is_hub = place in hubs
        sites.append(
            _site(
                site_id,
                _long_name(place.name),
                "hub" if is_hub else "school",
                place,
                region_id,
                vgs_calendar,
                is_hub or rng.random() < 0.75,
            )
        )
        notes[site_id] = place.note
    fagskoler = places_in(county, "fagskole")
    for place in fagskoler:
        site_id = slugify(place.name)
        sites.append(
            _site(
                site_id, place.name, "fagskole", place, region_id, fagskole_cal, rng.random() < 0.5
            )
        )
        notes[site_id] = place.note
    factories = places_in(county, "factory")
    depot_place = factories[0] if factories else hubs[0]
    depot_id = f"{slugify(depot_place.municipality)}-depot"
    sites.append(
        _site(
            depot_id,
            f"Container depot, {depot_place.name}",
            "depot",
            depot_place,
            region_id,
            None,
            True,
        )
    )
    calendars = {vgs_calendar: school_calendar(region_id, start, end)}
    if fagskoler:
        calendars[fagskole_cal] = fagskole_calendar(region_id, start, end)
    region = Region(
        region_id, region_id, sites, [slugify(h.name) for h in hubs], depot_id, notes, calendars
    )
    region.ferry_minutes = _ferry_minutes(region)
    return region


def _synthetic_region(number: int, rng: random.Random, start: dt.date, end: dt.date) -> Region:
    """A made-up inland region for scale tests; ids start with ``synth-``."""
    region_id = f"synth-{number:02d}"
    centre_lat = 60.6 + (number % 5) * 0.7
    centre_lon = 9.0 + (number // 5 % 4) * 1.4
    calendar_id = f"{region_id}-vgs"
    sites: list[dict[str, Any]] = []
    for k in range(1, 6):
        kind = "hub" if k <= 2 else "school"
        sites.append(
            {
                "id": f"{region_id}-vgs-{k}",
                "name": f"Synthetic school {k}, region {number}",
                "kind": kind,
                "lat": round(centre_lat + rng.uniform(-0.5, 0.5), 4),
                "lon": round(centre_lon + rng.uniform(-1.0, 1.0), 4),
                "calendar": calendar_id,
                "container_pad": kind == "hub" or rng.random() < 0.75,
                "region": region_id,
            }
        )
    depot_id = f"{region_id}-depot"
    sites.append(
        {
            "id": depot_id,
            "name": f"Synthetic container depot, region {number}",
            "kind": "depot",
            "lat": round(centre_lat, 4),
            "lon": round(centre_lon, 4),
            "container_pad": True,
            "region": region_id,
        }
    )
    # No county facts exist for a made-up region, so every break is a default rule.
    calendars = {calendar_id: school_calendar(region_id, start, end)}
    return Region(
        region_id,
        region_id,
        sites,
        [f"{region_id}-vgs-1", f"{region_id}-vgs-2"],
        depot_id,
        {},
        calendars,
    )


def _pick_hubs(schools: list[Place]) -> list[Place]:
    """The best-equipped school, then the best other one, far from the first on ties.

    Spreading the two hubs leaves schools near neither, which is where a
    container earns its keep; that mirrors how counties place shared labs.
    """

    def score(place: Place) -> int:
        return sum(weight for word, weight in _HUB_KEYWORDS.items() if word in place.note)

    first = max(schools, key=score)  # max keeps file order on ties
    rest = [s for s in schools if s is not first]
    if not rest:
        return [first]
    second = max(
        rest, key=lambda s: (score(s), great_circle_km(first.lat, first.lon, s.lat, s.lon))
    )
    return [first, second]


def _ferry_minutes(region: Region) -> dict[str, dict[str, float]]:
    """Explicit minutes for pairs on opposite sides of the county's ferry."""
    split = FERRY_SPLITS.get(region.county)
    if split is None:
        return {}
    latitude, extra, _ferry = split

    def side(site: dict[str, Any]) -> bool:
        return float(site["lat"]) >= latitude

    out: dict[str, dict[str, float]] = {}
    for a in region.sites:
        for b in region.sites:
            if a["id"] != b["id"] and side(a) != side(b):
                km = great_circle_km(a["lat"], a["lon"], b["lat"], b["lon"])
                minutes = round(km * ROAD_FACTOR / CAR_KMH * 60 + extra, 1)
                out.setdefault(a["id"], {})[b["id"]] = minutes
    return out


def _site(
    site_id: str, name: str, kind: str, place: Place, region: str, calendar: str | None, pad: bool
) -> dict[str, Any]:
    site: dict[str, Any] = {
        "id": site_id,
        "name": name,
        "kind": kind,
        "lat": place.lat,
        "lon": place.lon,
    }
    if calendar is not None:
        site["calendar"] = calendar
    site["container_pad"] = pad
    site["region"] = region
    return site


def _long_name(name: str) -> str:
    """'Sam Eyde vgs' -> 'Sam Eyde videregående skole', as schools sign themselves."""
    return name[: -len(" vgs")] + " videregående skole" if name.endswith(" vgs") else name
