"""Real Norwegian reference facts: sites, counties and school-calendar data.

The generator must produce places a Norwegian operator would recognise, so it
reads a vendored copy of ``shared/data/norway-sites.json`` (schools and
fagskoler from the national school register, battery sites, calendar facts
with sources) instead of inventing them. The copy lives in
``reference/norway-sites.json`` so the package works without ``shared/``;
a unit test checks it has not drifted from the shared original.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

EARTH_RADIUS_KM = 6371.0088

# Norwegian letters have no ASCII decomposition, so NFKD alone would drop them.
_NORWEGIAN = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})
_NOT_ID = re.compile(r"[^a-z0-9]+")


def slugify(text: str, limit: int = 64) -> str:
    """An id of ``[a-z0-9-]`` from a Norwegian name: 'Åsane vgs' -> 'asane-vgs'.

    Ids must match the spec's ``[a-z0-9._-]{1,64}``; transliterating æ/ø/å the
    way Norwegians do in URLs keeps ids readable ('sotra-vgs', 'ostfold').
    """
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_NORWEGIAN))
        .encode("ascii", "ignore")
        .decode("ascii")
        .lower()
    )
    slug = _NOT_ID.sub("-", ascii_text).strip("-")[:limit].rstrip("-")
    if not slug:
        raise ValueError(f"cannot make an id from {text!r}")
    return slug


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance, the same estimate the spec's travel rule uses."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Place:
    """One entry of the reference file (school, fagskole or factory)."""

    name: str
    kind: str  # "school" | "fagskole" | "factory"
    municipality: str
    county: str
    lat: float
    lon: float
    note: str

    @property
    def county_id(self) -> str:
        return slugify(self.county)


@cache
def reference() -> dict[str, Any]:
    """The parsed reference file, read once (it is static package data)."""
    text = (
        resources.files("services.scenarios.reference")
        .joinpath("norway-sites.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def places() -> tuple[Place, ...]:
    """Every site of the reference file, in file order (order matters for seeds)."""
    return tuple(
        Place(
            name=item["name"],
            kind=item["kind"],
            municipality=item["municipality"],
            county=item["county"],
            lat=float(item["lat"]),
            lon=float(item["lon"]),
            note=item.get("note", ""),
        )
        for item in reference()["sites"]
    )


# Agder and Nordland first: they host the two battery clusters the project
# starts with (Eyde Energipark, Mo i Rana). The rest follow by how much the
# reference file says about them.
PREFERRED_COUNTIES = ("Agder", "Nordland", "Rogaland", "Telemark", "Vestland", "Østfold")


def counties() -> list[str]:
    """Counties with at least two schools in the file, preferred ones first."""
    seen: list[str] = []
    for place in places():
        if place.kind == "school" and place.county not in seen:
            seen.append(place.county)
    usable = [c for c in seen if sum(p.county == c and p.kind == "school" for p in places()) >= 2]
    return [c for c in PREFERRED_COUNTIES if c in usable] + [
        c for c in usable if c not in PREFERRED_COUNTIES
    ]


def places_in(county: str, kind: str) -> list[Place]:
    return [p for p in places() if p.county == county and p.kind == kind]


def calendar_facts(county_id: str) -> dict[str, Any]:
    """The 2026/27 calendar facts for a county id ('agder'), empty when absent."""
    facts: dict[str, Any] = reference().get("calendar_facts_2026_27", {})
    entry = facts.get(county_id, {})
    return dict(entry) if isinstance(entry, dict) else {}


def vocational_class_max() -> int:
    """Largest vocational class ('traditional maximum 15 pupils'), from other_facts."""
    text = str(reference().get("other_facts", {}).get("vocational_class_size", ""))
    match = re.search(r"maximum (\d+)", text)
    return int(match.group(1)) if match else 15


def kjemiprosess_class_min() -> int:
    """Smallest kjemiprosess class that runs ('needs at least 8'), from other_facts."""
    text = str(reference().get("other_facts", {}).get("vocational_class_size", ""))
    match = re.search(r"at least (\d+)", text)
    return int(match.group(1)) if match else 8
