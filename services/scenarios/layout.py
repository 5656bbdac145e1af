"""Where equipment stands in a generated region, and the horizon's working days.

Decided before any request is drawn, because demand depends on it: a school
far from every hub that hosts a type is where a container becomes the only
option, and the request generator shapes travel limits around that.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from services.scenarios.regions import Region

TYPES = ("dry-room", "cell-assembly", "formation-cycling", "plc-rig", "fire-safety")
PART_SLOTS = {"day": 2, "evening": 1}  # day-am + day-pm; one evening slot


@dataclass(frozen=True)
class Layout:
    """Where each equipment type stands in a region, decided before demand."""

    hub_types: dict[str, list[str]]  # hub site id -> types it hosts
    containers: list[list[str]]  # the types of each container lab

    @property
    def container_types(self) -> list[str]:
        return sorted({t for types in self.containers for t in types})


@dataclass(frozen=True)
class Days:
    """The horizon's working days and the region's closed dates per calendar."""

    working: list[dt.date]
    closed_by_calendar: dict[str, set[dt.date]]


def choose_layout(region: Region, containers: int, rng: random.Random) -> Layout:
    """Split the five types over the hubs (overlapping by one) and pick container types.

    A type at one hub only leaves the region's far side without it; the
    containers carry 2-3 types, favouring such one-hub types.
    """
    order = list(TYPES)
    rng.shuffle(order)
    if len(region.hubs) == 1:
        hub_types = {region.hubs[0]: sorted(order)}
    else:
        hub_types = {region.hubs[0]: sorted(order[:3]), region.hubs[1]: sorted(order[2:])}
    single = [t for t in order if sum(t in ts for ts in hub_types.values()) == 1]
    boxes = []
    for _ in range(containers):
        k = rng.randint(2, 3)
        picked = rng.sample(single, min(k, len(single)))
        picked += rng.sample([t for t in order if t not in picked], k - len(picked))
        boxes.append(sorted(picked))
    return Layout(hub_types, boxes)


def slots_of(parts: list[str]) -> int:
    return sum(PART_SLOTS[p] for p in parts)
