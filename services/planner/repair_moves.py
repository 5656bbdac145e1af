"""Which container trips a repair must keep, which it may change, and why.

A trip is *booked* when it departs inside the logistics notice period
(:func:`services.planner.calendar.notice_deadline`); one departing on or
before today has *left*. The repair

* keeps every trip that has left (the truck is on the road or there);
* keeps every other booked trip, unless its container is disrupted: named
  by the disruption (broken, delayed), removed, or its booked trip arrives
  on a pad that now takes no container that day (``pad-unavailable``, which
  is then a disruption of that container). Such a container's trips that
  have not left are re-planned, and every booked trip the repaired plan no
  longer has is reported with that reason (:class:`MoveNotKept`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from schemas.schedule import ContainerMove
from services.planner.calendar import in_notice_period, move_span, pad_takes, setup_start
from services.planner.finalize import model_moves
from services.planner.instance import Instance
from services.planner.model.variables import Move, PlanVars

# a trip dropped or added costs like a session moved to another date; a rescheduled
# trip is both (6), more than a session moved to another site (5): logistics has to
# rebook it, and every stay on either side of it changes
TRIP = 3


@dataclass(frozen=True)
class MoveNotKept:
    """A booked trip of the plan in force that the repaired plan does not have."""

    move: ContainerMove
    reason: str

    def describe(self) -> str:
        m = self.move
        return (
            f"{m.container} {m.from_}->{m.to} departing {m.depart} (ready {m.ready}): {self.reason}"
        )


@dataclass(frozen=True)
class BookedTrips:
    fixed: list[Move]  # the repair keeps these exactly
    booked: list[ContainerMove]  # every trip inside the notice period
    released: dict[str, str]  # container -> why its booked trips may change


def booked_trips(
    inst: Instance,
    moves: Sequence[ContainerMove],
    today: dt.date,
    notice_days: int,
    disrupted: Collection[str] = (),
) -> BookedTrips:
    """Sort the plan in force's trips into kept and released (see the module docstring)."""
    sc = inst.scenario
    booked = [m for m in moves if in_notice_period(sc, m.depart, today, notice_days)]
    released = {c: "its container was disrupted" for c in disrupted}
    for m in booked:
        if m.container not in inst.box_index:
            released[m.container] = "its container was removed"
        elif m.depart > today:
            setup = inst.boxes[inst.box_index[m.container]].setup_days
            first = setup_start(sc, m.ready, setup)
            if not pad_takes(inst.sites[m.to].pad_unavailable, first, m.ready):
                why = f"the pad at {m.to} takes no container between {first} and {m.ready}"
                released.setdefault(m.container, why)
    fixed = [m for m in booked if m.depart <= today or m.container not in released]
    return BookedTrips(model_moves(inst, fixed), booked, released)


def not_kept(trips: BookedTrips, after: Iterable[ContainerMove]) -> list[MoveNotKept]:
    """Booked trips missing from the repaired plan, each with its reason."""
    now = {_key(m) for m in after}
    return [
        MoveNotKept(m, trips.released.get(m.container, "the repair could not keep it"))
        for m in trips.booked
        if _key(m) not in now
    ]


def trips_hold(inst: Instance, trips: Sequence[Move], fixed: Sequence[Move]) -> bool:
    """The plan in force's trips are still a valid itinerary in the disrupted scenario:
    each container's trips follow one another, and each (unless it must be kept as it
    is) takes rule 6's time and arrives on a day its pad takes containers."""
    keep = set(fixed)
    ready_at: dict[int, int] = {}
    for m in sorted(trips, key=lambda m: (m.box, m.depart)):
        if m.depart < ready_at.get(m.box, 0):
            return False
        ready_at[m.box] = m.ready
        if m in keep:
            continue
        span = move_span(
            inst.travel.truck_minutes(m.origin, m.target), inst.boxes[m.box].setup_days
        )
        first, ready = inst.days[m.ready - inst.boxes[m.box].setup_days], inst.days[m.ready]
        if m.ready != m.depart + span or not pad_takes(
            inst.sites[m.target].pad_unavailable, first, ready
        ):
            return False
    return True


def trip_change(v: PlanVars, old: Collection[Move], days: int) -> tuple[cp_model.LinearExpr, int]:
    """What the model's trips cost against the plan in force's ``old`` trips, and the
    most it can be (each container makes at most one trip a working day)."""
    kept = [var for m, var in v.moves.items() if m in old]
    new = [var for m, var in v.moves.items() if m not in old]
    boxes = len({m.box for m in v.moves})
    cost = TRIP * (len(old) - cp_model.LinearExpr.sum(kept) + cp_model.LinearExpr.sum(new))
    return cost, TRIP * (len(old) + min(len(new), days * boxes))


def _key(m: ContainerMove) -> tuple[object, ...]:
    return (m.container, m.from_, m.to, m.depart, m.ready)
