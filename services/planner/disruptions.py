"""Apply disruptions to a scenario: plain data in, the changed scenario out.

Each disruption becomes what the planner already understands - an
unavailability range, a calendar closure, a catalogue object more or less, a
request withdrawn - so repair needs no special cases for them. A delayed
truck is a fact about the plan's trips too: the trip on the road gets its
new ``ready`` day (and the repair keeps trips that have left as they are).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from schemas.disruptions import (
    BookingWithdrawn,
    ContainerBroken,
    ContainerDelayed,
    Disruption,
    EquipmentUnavailable,
    InstructorUnavailable,
    PadUnavailable,
    ResourceAdded,
    ResourceRemoved,
    SiteClosed,
)
from schemas.scenario import Scenario
from schemas.schedule import ContainerMove
from services.planner.calendar import is_working_day, setup_start


class DisruptionError(ValueError):
    """A disruption names something the scenario does not have, or contradicts the plan.

    ``field``: the disruption's own field at fault, when one is.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Disrupted(NamedTuple):
    scenario: Scenario  # the disrupted scenario
    withdrawn: list[str]  # ids of withdrawn requests (dropped from it)
    moves: list[ContainerMove]  # the plan's trips with what was reported (a delay's ready)


def _range(start: dt.date, end: dt.date, reason: str) -> dict[str, Any]:
    return {"from": start, "to": end, "reason": reason}


def apply_disruptions(
    scenario: Scenario,
    disruptions: Sequence[Disruption],
    moves: Sequence[ContainerMove] = (),
    today: dt.date | None = None,
) -> Disrupted:
    """Apply ``disruptions`` in order to ``scenario`` and the plan's trips ``moves``.

    ``today`` (default: the horizon start) tells which trips have left: only
    such a trip can be delayed, and a pad cannot close on its arrival day.
    """
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    withdrawn: list[str] = []
    trips = list(moves)
    h = scenario.horizon
    today = today or h.start
    for d in disruptions:
        start, end = getattr(d, "from_", None), getattr(d, "to", None)
        if start is not None and end is not None and (end < h.start or start > h.end):
            raise DisruptionError(
                f"{d.kind}: {start}..{end} is outside the horizon {h.start}..{h.end}"
            )
        if isinstance(d, EquipmentUnavailable):
            _unavailable(data["equipment"], d.equipment, _range(d.from_, d.to, d.reason))
        elif isinstance(d, ContainerBroken):
            _unavailable(data["containers"], d.container, _range(d.from_, d.to, d.reason))
        elif isinstance(d, InstructorUnavailable):
            _unavailable(data.get("staff") or [], d.staff, _range(d.from_, d.to, d.reason))
        elif isinstance(d, ContainerDelayed):
            trips = _delayed(scenario, data, d, trips, today)
        elif isinstance(d, SiteClosed):
            _site_closed(data, d)
        elif isinstance(d, PadUnavailable):
            site = next((s for s in data["sites"] if s["id"] == d.site), None)
            if site is None or not site.get("container_pad"):
                message = f"pad-unavailable: '{d.site}' has no container pad"
                raise DisruptionError(message, "site")
            _not_under_way(scenario, d, trips, today)
            site.setdefault("pad_unavailable", []).append(_range(d.from_, d.to, d.reason))
        elif isinstance(d, ResourceAdded):
            _added(data, d)
        elif isinstance(d, ResourceRemoved):
            _removed(data, d)
        elif isinstance(d, BookingWithdrawn):
            before = len(data["requests"])
            data["requests"] = [r for r in data["requests"] if r["id"] != d.request]
            if len(data["requests"]) == before:
                raise DisruptionError(f"booking-cancelled: unknown request '{d.request}'")
            data["locked"] = [x for x in data.get("locked", []) if x["request"] != d.request]
            withdrawn.append(d.request)
    return Disrupted(Scenario.model_validate(data, strict=False), withdrawn, trips)


def _unavailable(items: list[dict[str, Any]], ident: str, window: dict[str, Any]) -> None:
    for item in items:
        if item["id"] == ident:
            item.setdefault("unavailable", []).append(window)
            return
    raise DisruptionError(f"unknown resource '{ident}'")


def _delayed(
    scenario: Scenario,
    data: dict[str, Any],
    d: ContainerDelayed,
    moves: list[ContainerMove],
    today: dt.date,
) -> list[ContainerMove]:
    """The trip on the road (the container's latest that has left) is ready on ``d.ready``.

    The repair keeps it as it is (it has left); the container is unavailable
    from its departure to the day before, which is also what lets the
    validator accept a ready day later than rule 6's.
    """
    left = [m for m in moves if m.container == d.container and m.depart <= today]
    if not left:
        raise DisruptionError(
            f"container-delayed: '{d.container}' has no trip that has left by {today}; "
            "a trip that has not left is changed by re-planning, not delayed",
            "container",
        )
    trip = max(left, key=lambda m: m.depart)
    where = f"its trip {trip.from_}->{trip.to} departing {trip.depart}"
    if d.ready <= trip.ready:
        raise DisruptionError(
            f"container-delayed: ready {d.ready} is not after {where}'s ready day {trip.ready}",
            "ready",
        )
    if d.ready > scenario.horizon.end:
        raise DisruptionError(
            f"container-delayed: ready {d.ready} is after the horizon end {scenario.horizon.end}",
            "ready",
        )
    if not is_working_day(scenario, d.ready):
        raise DisruptionError(
            f"container-delayed: ready {d.ready} is not a working day (ready is the first "
            "working day the container can hold sessions)",
            "ready",
        )
    window = _range(trip.depart, d.ready - dt.timedelta(days=1), d.reason)
    _unavailable(data["containers"], d.container, window)
    return [m.model_copy(update={"ready": d.ready}) if m is trip else m for m in moves]


def _not_under_way(
    scenario: Scenario, d: PadUnavailable, moves: Sequence[ContainerMove], today: dt.date
) -> None:
    """A pad cannot close while a trip that has left is set up on it (its setup days
    to its ready day): re-planning cannot call the truck back. Its delay is
    reported first."""
    setup = {c.id: c.setup_days for c in scenario.containers}
    for m in moves:
        if m.to != d.site or m.depart > today:
            continue
        first = setup_start(scenario, m.ready, setup.get(m.container, 0))
        if d.from_ <= m.ready and first <= d.to:  # the closure meets the setup
            raise DisruptionError(
                f"pad-unavailable: {m.container} left for {d.site} on {m.depart} and is set "
                f"up there {first}..{m.ready}, which meets {d.from_}..{d.to}; report its "
                "delay (container-delayed) to a day the pad takes it first",
                "from",
            )


def _site_closed(data: dict[str, Any], d: SiteClosed) -> None:
    """Close one site: it gets its own calendar (a copy when the calendar is shared)."""
    site = next((s for s in data["sites"] if s["id"] == d.site), None)
    if site is None:
        raise DisruptionError(f"site-closed: unknown site '{d.site}'")
    calendars = data.setdefault("calendars", {})
    old = site.get("calendar")
    shared = old is not None and any(
        s.get("calendar") == old and s["id"] != d.site for s in data["sites"]
    )
    if old is None or shared:
        own = f"site-{d.site}"[:64]
        calendars[own] = [dict(r) for r in calendars.get(old, [])] if old else []
        site["calendar"] = own
    calendars[site["calendar"]].append(_range(d.from_, d.to, d.reason))


def _added(data: dict[str, Any], d: ResourceAdded) -> None:
    if d.equipment is not None:
        data["equipment"].append(d.equipment.model_dump(by_alias=True, exclude_none=True))
    if d.container is not None:
        data["containers"].append(d.container.model_dump(by_alias=True, exclude_none=True))
    if d.staff is not None:
        data.setdefault("staff", []).append(d.staff.model_dump(by_alias=True, exclude_none=True))


def _removed(data: dict[str, Any], d: ResourceRemoved) -> None:
    for key in ("equipment", "containers", "staff"):
        items = data.get(key) or []
        kept = [x for x in items if x["id"] != d.resource]
        if len(kept) != len(items):
            data[key] = kept
            data["locked"] = [
                x
                for x in data.get("locked", [])
                if x["resource"] != d.resource and x.get("staff") != d.resource
            ]
            return
    raise DisruptionError(f"resource-removed: unknown resource '{d.resource}'")
