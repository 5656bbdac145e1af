"""What the logistics service keeps and says, as pure functions of plain data.

The service reads three topics independently (catalogues on the intake,
sessions on the decisions, moves on the plans), so for a moment its moves
and sessions may come from different plan versions. These functions take
that in their stride: a session the moves do not explain yet is counted as
``unplaced`` rather than an error (the offline views in ``itinerary.py``
stop on such a plan instead, because a schedule file must be whole).

Everything returned for the service's table is JSON-able (dicts, lists,
strings, numbers): Faust tables ignore custom serializers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from schemas.logistics import (
    MoveCancelled,
    MoveChanged,
    MoveEvent,
    MoveField,
    MovePlanned,
    PlannedMove,
)
from schemas.scenario import SCENARIO_FORMAT, Scenario
from schemas.schedule import ContainerMove, Session
from services.logistics.diff import MoveDiff
from services.logistics.itinerary import DEFAULT_NOTICE_DAYS, is_locked, is_working, split_days
from services.planner.calendar import transit_days
from services.planner.travel import TravelTable

ONE_DAY = dt.timedelta(days=1)
# plan field -> event field (the plan says truck_minutes, a transport order driving minutes)
FIELD_NAMES: dict[str, MoveField] = {
    "depart": "depart",
    "ready": "ready",
    "km": "km",
    "truck_minutes": "driving_minutes",
}
DERIVED: tuple[MoveField, ...] = ("transit_days", "setup_days", "driving_minutes")


def scenario_of_catalogue(region: str, catalogue: Mapping[str, Any]) -> Scenario:
    """A request-free scenario from a region's catalogue (``RegionCatalogue`` as JSON)."""
    data = {"format": SCENARIO_FORMAT, "name": region, **catalogue, "requests": [], "locked": []}
    return Scenario.model_validate_json(json.dumps(data))


def checked_catalogue(region: str, catalogue: Mapping[str, Any]) -> Scenario | None:
    """The catalogue as a scenario if the scheduler would take it (as its ``_catalogue``), else
    None: valid as a scenario, and every site in ``region``."""
    try:
        scenario = scenario_of_catalogue(region, catalogue)
    except (ValidationError, ValueError):
        return None
    return scenario if {s.region for s in scenario.sites} == {region} else None


def unknown_references(scenario: Scenario, moves: Iterable[ContainerMove]) -> list[str]:
    """Containers and sites the moves name that the catalogue lacks (sorted)."""
    sites = {s.id for s in scenario.sites}
    boxes = {c.id for c in scenario.containers}
    missing = set()
    for m in moves:
        if m.container not in boxes:
            missing.add(f"container {m.container}")
        missing |= {f"site {x}" for x in (m.from_, m.to) if x not in sites}
    return sorted(missing)


def planned_move(
    scenario: Scenario,
    move: ContainerMove,
    today: dt.date,
    *,
    table: TravelTable | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> PlannedMove:
    """A plan's move as a transport order states it.

    The working days before ``ready`` are split as ``leg_of`` splits them
    (``split_days``: the container's setup days last, a delay counted as
    transit), but without refusing a move the catalogue and plan disagree
    on (the scheduler planned it; say what it implies).
    """
    minutes = move.truck_minutes
    if minutes is None:
        minutes = (table or TravelTable.of(scenario)).truck_minutes(move.from_, move.to)
    span = sum(
        1
        for i in range(max(0, (move.ready - move.depart).days))
        if is_working(scenario, move.depart + ONE_DAY * i)
    )
    box = next((c for c in scenario.containers if c.id == move.container), None)
    transit, setup = split_days(span, transit_days(minutes), box.setup_days if box else None)
    return PlannedMove.model_validate(
        {
            "container": move.container,
            "from": move.from_,
            "to": move.to,
            "depart": move.depart,
            "transit_days": transit,
            "setup_days": setup,
            "ready": move.ready,
            "km": move.km,
            "driving_minutes": round(minutes, 1),
            "locked": is_locked(scenario, move, today, notice_days),
        },
        strict=False,
    )


def move_events(
    scenario: Scenario,
    diffs: Sequence[MoveDiff],
    *,
    region: str,
    version: int,
    today: dt.date,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> list[MoveEvent]:
    """One event per difference, in the diff's order (the event ids count along it)."""
    table = TravelTable.of(scenario)

    def enrich(m: ContainerMove) -> PlannedMove:
        return planned_move(scenario, m, today, table=table, notice_days=notice_days)

    out: list[MoveEvent] = []
    for d in diffs:
        common = {"region": region, "container": d.container, "plan_version": version}
        if d.kind == "planned":
            out.append(MovePlanned(**common, move=enrich(d.move)))
        elif d.kind == "cancelled":
            out.append(MoveCancelled(**common, move=enrich(d.move)))
        else:
            assert d.before is not None and d.after is not None
            before, after = enrich(d.before), enrich(d.after)
            out.append(
                MoveChanged(
                    **common, before=before, after=after, changed=changed_fields(d, before, after)
                )
            )
    return out


def changed_fields(d: MoveDiff, before: PlannedMove, after: PlannedMove) -> list[MoveField]:
    """The plan's changed fields, plus what they imply (transit, setup, driving time)."""
    named = {FIELD_NAMES[f] for f in d.changed}
    named |= {f for f in DERIVED if getattr(before, f) != getattr(after, f)}
    order: tuple[MoveField, ...] = (
        "depart",
        "ready",
        "transit_days",
        "setup_days",
        "km",
        "driving_minutes",
    )
    return [f for f in order if f in named]  # never empty: a "changed" diff names a field


def region_itineraries(
    scenario: Scenario,
    moves: Sequence[ContainerMove],
    sessions: Iterable[Mapping[str, Any]],
    today: dt.date,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> dict[str, dict[str, Any]]:
    """Each container's stays and moves over the horizon, as plain data.

    A stay is ``{"site", "from", "to", "sessions", "requests"}`` (sessions
    held there, and by which requests); a move is a :class:`PlannedMove`
    as JSON. Moves of containers the catalogue lacks are left out (the
    service holds their events back until the catalogue names them).
    """
    table = TravelTable.of(scenario)
    held: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for s in sessions:
        held[str(s["resource"])].append(s)
    by_box: dict[str, list[ContainerMove]] = defaultdict(list)
    for m in moves:
        by_box[m.container].append(m)
    h = scenario.horizon
    out: dict[str, dict[str, Any]] = {}
    for box in scenario.containers:
        legs = sorted(by_box.get(box.id, []), key=lambda m: m.depart)
        here, since = box.start_site, h.start
        spans: list[tuple[str, dt.date, dt.date]] = []
        for m in legs:
            if m.depart > since:
                spans.append((here, since, m.depart - ONE_DAY))
            here, since = m.to, m.ready
        if since <= h.end:
            spans.append((here, since, h.end))
        stays = [_stay(site, a, b, held[box.id]) for site, a, b in spans]
        placed = sum(s["sessions"] for s in stays)
        out[box.id] = {
            "start_site": box.start_site,
            "stays": stays,
            "moves": [
                planned_move(scenario, m, today, table=table, notice_days=notice_days).model_dump(
                    mode="json", by_alias=True
                )
                for m in legs
            ],
            # sessions outside every stay: moves and sessions from different plan versions
            "unplaced_sessions": len(held[box.id]) - placed,
        }
    return out


def _stay(
    site: str, start: dt.date, end: dt.date, sessions: list[Mapping[str, Any]]
) -> dict[str, Any]:
    first, last = start.isoformat(), end.isoformat()
    here = [s for s in sessions if s["site"] == site and first <= str(s["date"]) <= last]
    return {
        "site": site,
        "from": first,
        "to": last,
        "sessions": len(here),
        "requests": sorted({str(s["request"]) for s in here}),
    }


def container_sessions(
    sessions: Iterable[Session], containers: set[str] | None
) -> list[dict[str, Any]]:
    """The sessions held on containers (all of them when the containers are not known yet)."""
    return [
        s.model_dump(mode="json", exclude_none=True)
        for s in sessions
        if containers is None or s.resource in containers
    ]
