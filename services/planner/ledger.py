"""Occupancy bookkeeping for constructive planning (greedy, FCFS, fast insert).

A ``Ledger`` answers "is this option still free, and who could teach it?" in
O(1)-ish time, and can take bookings back, so heuristics can try a request
and roll back when it cannot be served whole.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from services.planner.instance import Instance
from services.planner.options import FIXED, Option


@dataclass(slots=True)
class Booking:
    """A session as the planner holds it, before it becomes a schedule row."""

    request: int
    index: int
    kind: int
    resource: int  # pool or container index
    day: int
    slot: int
    site: str
    travel: float
    staff: int | None = None
    unit: str | None = None  # a fixed unit's id once handed out; locks name it up front


class Ledger:
    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.pool_used: dict[tuple[int, int, int], int] = defaultdict(int)
        self.box_used: set[tuple[int, int, int]] = set()
        self.staff_day: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
        self.staff_week: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)
        # (region, type, part) -> instructors qualified for it: pick_staff asks for
        # each option tried, and most instructors can never teach a given one
        self.qualified: dict[tuple[str, str, str], list[int]] = {}

    # -- resources -------------------------------------------------------
    def resource_free(self, o: Option | Booking) -> bool:
        if o.kind == FIXED:
            used = self.pool_used.get((o.resource, o.day, o.slot), 0)
            return used < self.inst.pools[o.resource].capacity
        return (o.resource, o.day, o.slot) not in self.box_used

    # -- instructors -----------------------------------------------------
    def staff_can(self, i: int, kind: str, part: str, day: int, slot: int, site: str) -> bool:
        inst = self.inst
        assert inst.staff is not None
        person = inst.staff[i]
        if kind not in person.types or part not in person.parts or day in inst.staff_blocked[i]:
            return False
        if inst.staff_region[i] != inst.region_of_site[site]:
            return False
        if self.staff_week.get((i, inst.weeks[day]), 0) >= person.max_sessions_per_week:
            return False
        for other_slot, other_site in self.staff_day.get((i, day), ()):
            if not compatible(inst, slot, site, other_slot, other_site):
                return False
        return True

    def pick_staff(self, o: Option | Booking) -> int | None:
        """The least-loaded instructor who can teach this option, if any."""
        inst = self.inst
        if inst.staff is None:
            return None
        req = inst.requests[o.request]
        need = (inst.region_of_site[o.site], req.equipment_type, req.part)
        if (candidates := self.qualified.get(need)) is None:
            candidates = self.qualified[need] = [
                i
                for i, p in enumerate(inst.staff)
                if need[1] in p.types and need[2] in p.parts and inst.staff_region[i] == need[0]
            ]
        best: tuple[int, float, int] | None = None
        for i in candidates:
            person = inst.staff[i]
            if not self.staff_can(i, req.equipment_type, req.part, o.day, o.slot, o.site):
                continue
            load = self.staff_week.get((i, inst.weeks[o.day]), 0)
            key = (load, inst.travel.car_minutes(person.home_site, o.site), i)
            if best is None or key < best:
                best = key
        return None if best is None else best[2]

    # -- booking ---------------------------------------------------------
    def book(self, b: Booking) -> None:
        if b.kind == FIXED:
            self.pool_used[(b.resource, b.day, b.slot)] += 1
        else:
            self.box_used.add((b.resource, b.day, b.slot))
        if b.staff is not None:
            self.staff_day[(b.staff, b.day)].append((b.slot, b.site))
            self.staff_week[(b.staff, self.inst.weeks[b.day])] += 1

    def release(self, b: Booking) -> None:
        if b.kind == FIXED:
            self.pool_used[(b.resource, b.day, b.slot)] -= 1
        else:
            self.box_used.discard((b.resource, b.day, b.slot))
        if b.staff is not None:
            self.staff_day[(b.staff, b.day)].remove((b.slot, b.site))
            self.staff_week[(b.staff, self.inst.weeks[b.day])] -= 1


def compatible(inst: Instance, slot_a: int, site_a: str, slot_b: int, site_b: str) -> bool:
    """Can one instructor teach both sessions on the same date (rule 7)?"""
    if slot_a == slot_b:
        return False
    gap = inst.slot_gap(slot_a, slot_b)
    if gap < 0:
        return False
    return site_a == site_b or inst.travel.car_minutes(site_a, site_b) <= gap
