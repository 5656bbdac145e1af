"""Distances and working days, written apart from the planner on purpose."""

from __future__ import annotations

import datetime as dt
import math

from schemas.scenario import Scenario


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    s = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, s)))


class ById:
    """The scenario's entities by id, as the rule checks look them up."""

    def __init__(self, sc: Scenario) -> None:
        self.req = {r.id: r for r in sc.requests}
        self.site = {s.id: s for s in sc.sites}
        self.unit = {e.id: e for e in sc.equipment}
        self.box = {c.id: c for c in sc.containers}
        self.slot = {s.id: s for s in sc.slots}
        self.staff = {p.id: p for p in sc.staff or []}


class Distances:
    def __init__(self, scenario: Scenario) -> None:
        self.where = {s.id: (s.lat, s.lon) for s in scenario.sites}
        self.t = scenario.travel
        self.matrix = scenario.travel.minutes or {}

    def km(self, a: str, b: str) -> float:
        """Road km: the scenario's ``travel.km`` (either direction) when given."""
        if a == b:
            return 0.0
        roads = self.t.km or {}
        for x, y in ((a, b), (b, a)):
            if y in roads.get(x, {}):
                return roads[x][y]
        return haversine_km(self.where[a], self.where[b]) * self.t.road_factor

    def _given(self, a: str, b: str) -> float | None:
        if b in self.matrix.get(a, {}):
            return self.matrix[a][b]
        if a in self.matrix.get(b, {}):
            return self.matrix[b][a]
        return None

    def minutes(self, a: str, b: str, kmh: float) -> float:
        if a == b:
            return 0.0
        given = self._given(a, b)
        return given if given is not None else self.km(a, b) * 60 / kmh

    def car(self, a: str, b: str) -> float:
        return self.minutes(a, b, self.t.car_kmh)

    def truck(self, a: str, b: str) -> float:
        return self.minutes(a, b, self.t.truck_kmh)


class WorkCalendar:
    def __init__(self, scenario: Scenario) -> None:
        self.sc = scenario
        self.days = []
        day = scenario.horizon.start
        while day <= scenario.horizon.end:
            if self.is_working(day):
                self.days.append(day)
            day += dt.timedelta(days=1)
        self.pos = {d: i for i, d in enumerate(self.days)}

    def is_working(self, day: dt.date) -> bool:
        if day.isoweekday() not in self.sc.weekdays:
            return False
        return not any(r.from_ <= day <= r.to for r in self.sc.closed)

    def site_closed(self, site_id: str, day: dt.date) -> bool:
        site = next(s for s in self.sc.sites if s.id == site_id)
        if site.calendar is None:
            return False
        return any(r.from_ <= day <= r.to for r in self.sc.calendars.get(site.calendar, []))

    def shift(self, day: dt.date, working_days: int) -> dt.date | None:
        """The working day ``working_days`` after ``day`` (which must be a working day)."""
        i = self.pos.get(day)
        if i is None or i + working_days >= len(self.days):
            return None
        return self.days[i + working_days]
