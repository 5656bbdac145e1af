"""The scenario contract (``hubplan-scenario/1``): what the planner is given.

Field names follow ``shared/spec/scenario-format.md`` exactly. Single-object
rules live on each model; rules that span objects (ids that must exist,
duplicates, locks that must point at real things) live in
``Scenario._cross_checks`` and report the JSON path they are about.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError, field_validator, model_validator

from schemas.common import (
    LABEL,
    Audience,
    ClockTime,
    Date,
    DateRange,
    Id,
    Part,
    Strict,
    clock_minutes,
)

SCENARIO_FORMAT = "hubplan-scenario/1"
LOCAL_ZONE = ZoneInfo("Europe/Oslo")  # the spec's times are Norwegian local time
SiteKind = Literal["school", "hub", "fagskole", "depot"]


class Horizon(Strict):
    start: Date = Field(description="First date of the planning window, inclusive.")
    end: Date = Field(description="Last date of the planning window, inclusive.")

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class Slot(Strict):
    id: Id
    part: Part = Field(description="'day' slots serve pupils, 'evening' slots serve adults.")
    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> Slot:
        if clock_minutes(self.end) <= clock_minutes(self.start):
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self


class Site(Strict):
    id: Id
    name: str = Field(
        min_length=1,
        max_length=LABEL,
        description="Human name, e.g. 'Sam Eyde videregående skole'.",
    )
    kind: SiteKind
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    region: Id = Field(default="default", description="Independent planning unit.")
    calendar: Id | None = Field(default=None, description="Key into `calendars`.")
    container_pad: bool = Field(description="Whether a container lab may stand here.")
    pad_unavailable: list[DateRange] = Field(
        default_factory=list,
        description="Dates the pad cannot take a container (project addition): no arrival, "
        "no sessions in a container there.",
    )


class Travel(Strict):
    road_factor: float = Field(default=1.3, gt=0, description="Road km per great-circle km.")
    car_kmh: float = Field(default=60, gt=0)
    truck_kmh: float = Field(default=65, gt=0)
    minutes: dict[Id, dict[Id, float]] | None = Field(
        default=None,
        description="Explicit travel minutes site -> site; wins over the estimate.",
    )
    km: dict[Id, dict[Id, float]] | None = Field(
        default=None,
        description="Road km site -> site, e.g. a router's distances (project addition): "
        "wins over great-circle km x road_factor for container km and for the minutes "
        "estimate of pairs without explicit minutes; one direction serves both.",
    )


class Equipment(Strict):
    id: Id
    type: Id = Field(description="Equipment type, e.g. 'dry-room'.")
    site: Id
    seats: int = Field(ge=1)
    parts: list[Part] = Field(min_length=1)
    unavailable: list[DateRange] = Field(default_factory=list)


class Container(Strict):
    id: Id
    types: list[Id] = Field(min_length=1)
    seats: int = Field(ge=1)
    start_site: Id
    setup_days: int = Field(ge=0)
    max_moves: int | None = Field(default=None, ge=0)
    unavailable: list[DateRange] = Field(default_factory=list)


class Instructor(Strict):
    id: Id
    home_site: Id
    types: list[Id] = Field(min_length=1)
    parts: list[Part] = Field(min_length=1)
    max_sessions_per_week: int = Field(ge=0)
    unavailable: list[DateRange] = Field(default_factory=list)


class Request(Strict):
    id: Id
    site: Id = Field(description="The requesting school or organisation.")
    audience: Audience
    # upper bounds (project addition): far above any real request, low enough
    # that no request can make a decision, an offer search or the objective blow up
    programme: str = Field(min_length=1, max_length=LABEL)
    equipment_type: Id
    group_size: int = Field(ge=1, le=1000)
    sessions: int = Field(ge=1, le=250, description="At most 250 (a school year's working days).")
    min_gap_days: int = Field(default=0, ge=0, le=366)
    earliest: Date
    latest: Date
    max_travel_minutes: float = Field(ge=0, le=1440, description="At most 1440 (a day).")
    priority: int = Field(ge=1, le=1000)
    submitted_at: dt.datetime = Field(
        description="When the request came in; a timestamp without an offset is "
        "Europe/Oslo local time, like every time in the spec.",
    )

    @field_validator("submitted_at")
    @classmethod
    def _local_when_naive(cls, value: dt.datetime) -> dt.datetime:
        # read as the machine's zone, FCFS order would depend on where it runs
        return value.replace(tzinfo=LOCAL_ZONE) if value.tzinfo is None else value

    @model_validator(mode="after")
    def _window(self) -> Request:
        if self.latest < self.earliest:
            raise ValueError(f"latest ({self.latest}) is before earliest ({self.earliest})")
        return self

    @property
    def part(self) -> Part:
        return "day" if self.audience == "pupils" else "evening"

    @property
    def value(self) -> int:
        return self.priority * self.group_size * self.sessions


class LockedSession(Strict):
    request: Id
    index: int = Field(ge=0)
    date: Date
    slot: Id
    resource: Id
    staff: Id | None = None
    site: Id | None = Field(
        default=None,
        description="Where it is held (project addition): pins a container's position.",
    )


class Catalogue(Strict):
    """Everything a scenario holds but its requests: one region's or many regions' world.

    The event contract ``RegionCatalogue`` is this, so the two cannot drift apart.
    """

    horizon: Horizon
    slots: list[Slot] = Field(min_length=1)
    weekdays: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    calendars: dict[Id, list[DateRange]] = Field(default_factory=dict)
    closed: list[DateRange] = Field(default_factory=list)
    sites: list[Site] = Field(min_length=1)
    travel: Travel = Field(default_factory=Travel)
    equipment: list[Equipment] = Field(default_factory=list)
    containers: list[Container] = Field(default_factory=list)
    staff: list[Instructor] | None = None


class Scenario(Catalogue):
    format: Literal["hubplan-scenario/1"]
    name: str | None = Field(default=None, max_length=LABEL)
    requests: list[Request] = Field(default_factory=list)
    locked: list[LockedSession] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        problems = _cross_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # When a part fails on its own, the cross checks above never run; the
    # loaders still report unknown ids, so one pass names every problem (an
    # unknown site once hid behind the same request's inverted window).
    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Scenario:
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as exc:
            try:
                raw = json.loads(json_data)
            except ValueError:
                raise exc from None
            raise _with_references(exc, raw) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Scenario:
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise _with_references(exc, obj) from None


def _with_references(exc: ValidationError, raw: Any) -> ValidationError:
    """``exc`` plus the unknown ids of ``raw`` when the cross checks did not run."""
    errors = exc.errors()
    if not isinstance(raw, dict) or not all(e["loc"] for e in errors):
        return exc  # the cross checks ran: they report at the root
    missing = _unknown_references(raw)
    if not missing:
        return exc
    line_errors: list[Any] = [
        {"type": e["type"], "loc": e["loc"], "input": e["input"], "ctx": e.get("ctx", {})}
        for e in errors
    ]
    problem = ValueError("\n".join(missing))
    line_errors.append({"type": "value_error", "loc": (), "input": raw, "ctx": {"error": problem}})
    return ValidationError.from_exception_data(exc.title, line_errors)


# (list, field, list it refers to, what the message calls it)
_REFERENCES = (
    ("sites", "calendar", "calendars", "calendar"),
    ("equipment", "site", "sites", "site"),
    ("containers", "start_site", "sites", "site"),
    ("staff", "home_site", "sites", "site"),
    ("requests", "site", "sites", "site"),
    ("locked", "request", "requests", "request"),
    ("locked", "slot", "slots", "slot"),
    ("locked", "staff", "staff", "instructor"),
    ("locked", "site", "sites", "site"),
)


def _unknown_references(data: dict[str, Any]) -> list[str]:
    """Ids the raw scenario refers to but does not define (``path: message``)."""

    def items(key: str) -> list[Any]:
        value = data.get(key)
        if isinstance(value, dict):  # calendars: keyed by id
            return [{"id": k} for k in value]
        return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []

    out = []
    for key, field, target, what in _REFERENCES:
        known = {x.get("id") for x in items(target)}
        for i, item in enumerate(data.get(key) or []):
            ref = item.get(field) if isinstance(item, dict) else None
            if isinstance(ref, str) and ref not in known:
                out.append(f"{key}[{i}].{field}: unknown {what} '{ref}'")
    resources = {x.get("id") for x in items("equipment") + items("containers")}
    for i, item in enumerate(data.get("locked") or []):
        ref = item.get("resource") if isinstance(item, dict) else None
        if isinstance(ref, str) and ref not in resources:
            out.append(f"locked[{i}].resource: unknown resource '{ref}'")
    return out


def _duplicates(kind: str, ids: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for index, item in enumerate(ids):
        if item in seen:
            out.append(f"{kind}[{index}].id: duplicate id '{item}'")
        seen.add(item)
    return out


def _cross_problems(s: Scenario) -> list[str]:
    """Every rule that spans objects, as ``path: message`` lines."""
    problems: list[str] = []
    for kind, items in (
        ("slots", [x.id for x in s.slots]),
        ("sites", [x.id for x in s.sites]),
        ("equipment", [x.id for x in s.equipment]),
        ("containers", [x.id for x in s.containers]),
        ("staff", [x.id for x in s.staff or []]),
        ("requests", [x.id for x in s.requests]),
    ):
        problems += _duplicates(kind, items)
    resource_ids = [e.id for e in s.equipment] + [c.id for c in s.containers]
    if len(set(resource_ids)) != len(resource_ids):
        clash = sorted({r for r in resource_ids if resource_ids.count(r) > 1})
        problems.append(f"containers: ids also used by equipment: {', '.join(clash)}")
    for i, day in enumerate(s.weekdays):
        if not 1 <= day <= 7:
            problems.append(f"weekdays[{i}]: {day} is not an ISO weekday 1-7")
    sites = {x.id: x for x in s.sites}
    for i, site in enumerate(s.sites):
        if site.calendar is not None and site.calendar not in s.calendars:
            problems.append(f"sites[{i}].calendar: unknown calendar '{site.calendar}'")
    if s.travel.minutes:
        for a, row in s.travel.minutes.items():
            if a not in sites:
                problems.append(f"travel.minutes.{a}: unknown site '{a}'")
            for b, minutes in row.items():
                if b not in sites:
                    problems.append(f"travel.minutes.{a}.{b}: unknown site '{b}'")
                if minutes < 0:
                    problems.append(f"travel.minutes.{a}.{b}: negative minutes {minutes}")
    for i, unit in enumerate(s.equipment):
        if unit.site not in sites:
            problems.append(f"equipment[{i}].site: unknown site '{unit.site}'")
    for i, box in enumerate(s.containers):
        if box.start_site not in sites:
            problems.append(f"containers[{i}].start_site: unknown site '{box.start_site}'")
    for i, person in enumerate(s.staff or []):
        if person.home_site not in sites:
            problems.append(f"staff[{i}].home_site: unknown site '{person.home_site}'")
    parts: set[str] = {slot.part for slot in s.slots}
    for i, req in enumerate(s.requests):
        problems += _request_problems(s, i, req, sites, parts)
    problems += _lock_problems(s)
    return problems


def request_problems(scenario: Scenario, req: Request, path: str = "request") -> list[str]:
    """Problems of one request against a scenario's catalogue (``path: message``)."""
    sites = {x.id: x for x in scenario.sites}
    parts: set[str] = {slot.part for slot in scenario.slots}
    return [
        p.replace("requests[0]", path, 1) for p in _request_problems(scenario, 0, req, sites, parts)
    ]


def _request_problems(
    s: Scenario, i: int, req: Request, sites: dict[str, Site], parts: set[str]
) -> list[str]:
    out = []
    site = sites.get(req.site)
    if site is None:
        out.append(f"requests[{i}].site: unknown site '{req.site}'")
    if req.part not in parts:
        out.append(
            f"requests[{i}].audience: {req.audience} need '{req.part}' slots, "
            f"but the scenario has no '{req.part}' slot"
        )
    if req.latest < s.horizon.start or req.earliest > s.horizon.end:
        out.append(
            f"requests[{i}].earliest: window {req.earliest}..{req.latest} lies outside "
            f"the horizon {s.horizon.start}..{s.horizon.end}"
        )
    return out


def _lock_problems(s: Scenario) -> list[str]:
    out = []
    requests = {r.id: r for r in s.requests}
    slots = {x.id for x in s.slots}
    resources = {e.id for e in s.equipment} | {c.id for c in s.containers}
    staff = {x.id for x in s.staff or []}
    seen: set[tuple[str, int]] = set()
    for i, lock in enumerate(s.locked):
        req = requests.get(lock.request)
        if req is None:
            out.append(f"locked[{i}].request: unknown request '{lock.request}'")
        elif lock.index >= req.sessions:
            out.append(
                f"locked[{i}].index: {lock.index} but request '{req.id}' has "
                f"{req.sessions} session(s)"
            )
        if (lock.request, lock.index) in seen:
            out.append(f"locked[{i}]: session {lock.request}#{lock.index} is locked twice")
        seen.add((lock.request, lock.index))
        if lock.slot not in slots:
            out.append(f"locked[{i}].slot: unknown slot '{lock.slot}'")
        if lock.resource not in resources:
            out.append(f"locked[{i}].resource: unknown resource '{lock.resource}'")
        if lock.staff is not None and lock.staff not in staff:
            out.append(f"locked[{i}].staff: unknown instructor '{lock.staff}'")
        if lock.site is not None:
            out += _lock_site_problems(s, i, lock)
    return out


def _lock_site_problems(s: Scenario, i: int, lock: LockedSession) -> list[str]:
    """A lock's ``site`` must be where its resource can hold a session (rules 5, 6)."""
    sites = {x.id: x for x in s.sites}
    site = sites.get(lock.site or "")
    if site is None:
        return [f"locked[{i}].site: unknown site '{lock.site}'"]
    unit = next((e for e in s.equipment if e.id == lock.resource), None)
    if unit is not None and unit.site != site.id:
        return [f"locked[{i}].site: '{site.id}', but unit {unit.id} stands at '{unit.site}'"]
    box = next((c for c in s.containers if c.id == lock.resource), None)
    if box is not None and site.id != box.start_site and not site.container_pad:
        return [
            f"locked[{i}].site: '{site.id}' has no container pad (container {box.id} "
            f"stands at its start site '{box.start_site}' or at a pad)"
        ]
    return []
