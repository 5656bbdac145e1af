"""Travel between sites: explicit matrix first, great-circle estimate else.

The spec: explicit ``travel.minutes`` win; otherwise minutes are
``km * road_factor / speed`` with km the great-circle distance. Road km
(container moves, the estimate) come from ``travel.km`` when the scenario
has it for the pair (a project addition: a router's distances), else
great-circle x road factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from schemas.scenario import Scenario

EARTH_RADIUS_KM = 6371.0088


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _either_way(matrix: dict[str, dict[str, float]], a: str, b: str) -> float | None:
    """The matrix entry a->b, or b->a when only that direction is given."""
    for x, y in ((a, b), (b, a)):
        row = matrix.get(x)
        if row is not None and y in row:
            return row[y]
    return None


@dataclass(frozen=True)
class TravelTable:
    """Minutes and km between the sites of one scenario, computed on demand."""

    coords: dict[str, tuple[float, float]]
    road_factor: float
    car_kmh: float
    truck_kmh: float
    explicit: dict[str, dict[str, float]]
    explicit_km: dict[str, dict[str, float]] | None = None

    @classmethod
    def of(cls, scenario: Scenario) -> TravelTable:
        t = scenario.travel
        return cls(
            coords={s.id: (s.lat, s.lon) for s in scenario.sites},
            road_factor=t.road_factor,
            car_kmh=t.car_kmh,
            truck_kmh=t.truck_kmh,
            explicit={a: dict(row) for a, row in (t.minutes or {}).items()},
            explicit_km={a: dict(row) for a, row in (t.km or {}).items()},
        )

    def __hash__(self) -> int:
        return id(self)

    def road_km(self, a: str, b: str) -> float:
        if a == b:
            return 0.0
        given = _either_way(self.explicit_km or {}, a, b)
        return given if given is not None else self._gc(a, b) * self.road_factor

    @cache  # noqa: B019 - tables live as long as their scenario
    def _gc(self, a: str, b: str) -> float:
        (la, oa), (lb, ob) = self.coords[a], self.coords[b]
        return great_circle_km(la, oa, lb, ob)

    def _explicit(self, a: str, b: str) -> float | None:
        return _either_way(self.explicit, a, b)

    def car_minutes(self, a: str, b: str) -> float:
        if a == b:
            return 0.0
        given = self._explicit(a, b)
        return given if given is not None else self.road_km(a, b) / self.car_kmh * 60

    def truck_minutes(self, a: str, b: str) -> float:
        if a == b:
            return 0.0
        given = self._explicit(a, b)
        return given if given is not None else self.road_km(a, b) / self.truck_kmh * 60
