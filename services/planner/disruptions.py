"""Apply disruptions to a scenario: plain data in, the changed scenario out.

Each disruption becomes what the planner already understands - an
unavailability range, a calendar closure, a catalogue object more or less, a
request withdrawn - so repair needs no special cases for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

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


class DisruptionError(ValueError):
    """A disruption names something the scenario does not have."""


def _range(start: dt.date, end: dt.date, reason: str) -> dict[str, Any]:
    return {"from": start, "to": end, "reason": reason}


def apply_disruptions(
    scenario: Scenario, disruptions: Sequence[Disruption], moves: Sequence[ContainerMove] = ()
) -> tuple[Scenario, list[str]]:
    """The disrupted scenario, and the ids of withdrawn requests (dropped from it)."""
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    withdrawn: list[str] = []
    h = scenario.horizon
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
            _delayed(data, d, moves)
        elif isinstance(d, SiteClosed):
            _site_closed(data, d)
        elif isinstance(d, PadUnavailable):
            site = next((s for s in data["sites"] if s["id"] == d.site), None)
            if site is None or not site.get("container_pad"):
                raise DisruptionError(f"pad-unavailable: '{d.site}' has no container pad")
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
    return Scenario.model_validate(data, strict=False), withdrawn


def _unavailable(items: list[dict[str, Any]], ident: str, window: dict[str, Any]) -> None:
    for item in items:
        if item["id"] == ident:
            item.setdefault("unavailable", []).append(window)
            return
    raise DisruptionError(f"unknown resource '{ident}'")


def _delayed(data: dict[str, Any], d: ContainerDelayed, moves: Sequence[ContainerMove]) -> None:
    """The move in progress arrives later: no sessions there before the new ready day."""
    mine = [m for m in moves if m.container == d.container and m.ready < d.ready]
    if not mine:
        raise DisruptionError(
            f"container-delayed: no move of '{d.container}' ready before {d.ready}"
        )
    late = max(mine, key=lambda m: m.ready)
    # from departure to the new ready day the container is on the road: no sessions
    window = _range(late.depart, d.ready - dt.timedelta(days=1), d.reason)
    _unavailable(data["containers"], d.container, window)


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
