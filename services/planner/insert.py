"""The streaming fast path: decide one request against a region's live plan.

Confirmed sessions stay where they are and containers stay where the current
plan puts them; a new request takes feasible sessions around them or is
waitlisted with a reason. Which feasible sessions: the least contested ones
by the demand of the requests known so far (``services/planner/pressure.py``;
earliest-first piles requests into the first days of their windows and
serves 6-13% less value), falling back to the earliest when that ranking
misses a fit. Counter-offers and the booking of an accepted offer use the
earliest sessions, so an offer shows exactly what accepting it books.

A ``LivePlan`` keeps the indexed instance and occupancy between calls, so a
decision costs time proportional to the request, not to the region.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace

from schemas.scenario import Request, Scenario
from schemas.schedule import ContainerMove, Session, Unserved
from services.planner.greedy import place_request
from services.planner.instance import Instance, build_instance
from services.planner.ledger import Booking, Ledger
from services.planner.options import (
    CONTAINER,
    FIXED,
    Candidate,
    candidates,
    positions,
    staff_days,
    where_they_stand,
)
from services.planner.pressure import DemandPressure
from services.planner.reasons import explain_unserved


class LivePlan:
    def __init__(
        self,
        scenario: Scenario,
        confirmed: Mapping[str, Sequence[Session]],
        moves: Sequence[ContainerMove] = (),
        not_before: dt.date | None = None,
    ) -> None:
        """``scenario`` holds the catalogue and every known request; ``confirmed``
        the sessions already promised (kept exactly as they are); nothing new is
        placed before ``not_before`` (today, in the service: a term already
        under way has days that are gone)."""
        self.inst: Instance = build_instance(scenario.model_copy(update={"locked": []}))
        self.first_day = bisect.bisect_left(self.inst.days, not_before) if not_before else 0
        self.ledger = Ledger(self.inst)
        self.staffed = staff_days(self.inst)
        self.positions = positions(self.inst, moves)
        self.units_taken: set[tuple[str, int, int]] = set()
        self.bookings: dict[str, list[Booking]] = {}
        self._candidate_memo: dict[tuple[object, ...], list[Candidate]] = {}
        self.pressure = DemandPressure(self.inst, self.ledger)
        for req in self.inst.requests:
            self.pressure.note(req, self._candidates(req))
        staff_index = {p.id: i for i, p in enumerate(self.inst.staff or [])}
        for rid, sessions in confirmed.items():
            r = self.inst.request_index[rid]
            booked = [self._booking_of(r, s, staff_index) for s in sessions]
            for b in booked:
                self._take(b)
            self.bookings[rid] = booked

    # -- public ----------------------------------------------------------
    def add(self, req: Request) -> list[Session] | Unserved:
        """Place a new (or waitlisted) request now, or say why not."""
        placed = self.try_add(req)
        if placed is None:
            r = self.inst.request_index[req.id]
            return explain_unserved(self.inst, r, crowded_code="no-capacity")
        return placed

    def try_add(self, req: Request, *, ranked: bool = True) -> list[Session] | None:
        """Place the request if it fits now (no diagnosis when it does not: cheap).

        ``ranked=False`` books the earliest feasible sessions, as ``probe`` shows them.
        """
        r = self.inst.request_index.get(req.id)
        if r is None:
            r = len(self.inst.requests)
            self.inst.requests.append(req)
            self.inst.request_index[req.id] = r
        if req.id in self.bookings:
            return self.sessions(req.id)
        cands = self._candidates(req)
        self.pressure.note(req, cands)
        # earliest-first decides whether it fits (the rule FCFS and the offers
        # use); a retry of a waitlisted request usually does not, and stops here
        placed = place_request(self.inst, self.ledger, r, cands)
        if placed is None:
            return None
        if ranked:
            for b in placed:
                self.ledger.release(b)
            better = place_request(
                self.inst, self.ledger, r, cands, prefer=self.pressure.prefer_for(req, cands)
            )
            if better is None:  # a ranked order can miss a fit (e.g. a minimum gap)
                for b in placed:
                    self.ledger.book(b)
            else:
                placed = better
        for b in placed:
            self.ledger.release(b)  # _take books it again, with a unit name
            self._take(b)
        self.bookings[req.id] = placed
        return self.sessions(req.id)

    def probe(self, req: Request) -> list[Session] | None:
        """Where ``req`` would go now, without booking it (for counter-offers)."""
        r = self.inst.request_index.get(req.id)
        if req.id in self.bookings:
            return None
        if r is None:
            r = len(self.inst.requests)
            self.inst.requests.append(req)
            self.inst.request_index[req.id] = r
            added = True
        else:
            original, self.inst.requests[r] = self.inst.requests[r], req
            added = False
        try:
            placed = place_request(self.inst, self.ledger, r, self._candidates(req))
            if placed is None:
                return None
            for b in placed:
                self.ledger.release(b)
            staff = self.inst.staff or []
            return [
                Session(
                    request=req.id,
                    index=b.index,
                    date=self.inst.days[b.day],
                    slot=self.inst.slot_ids[b.slot],
                    site=b.site,
                    resource=self._unit_for(b),
                    staff=staff[b.staff].id if b.staff is not None else None,
                    travel_minutes=round(b.travel, 1),
                )
                for b in sorted(placed, key=lambda b: b.index)
            ]
        finally:
            if added:
                self.inst.requests.pop()
                del self.inst.request_index[req.id]
            else:
                self.inst.requests[r] = original

    def _unit_for(self, b: Booking) -> str:
        if b.kind == CONTAINER:
            return self.inst.boxes[b.resource].id
        pool = self.inst.pools[b.resource]
        return next(u for u in pool.units if (u, b.day, b.slot) not in self.units_taken)

    def replace_request(self, req: Request) -> None:
        """Swap in a changed version of a known (not booked) request, e.g. an accepted offer."""
        r = self.inst.request_index[req.id]
        old = self.inst.requests[r]
        self.pressure.forget(old, self._candidates(old))
        self.inst.requests[r] = req
        self.pressure.note(req, self._candidates(req))

    def cancel(self, request_id: str) -> list[Booking]:
        """Free a request's sessions and drop its demand; returns what was freed."""
        r = self.inst.request_index.get(request_id)
        if r is not None:
            req = self.inst.requests[r]
            self.pressure.forget(req, self._candidates(req))
        booked = self.bookings.pop(request_id, [])
        for b in booked:
            self.ledger.release(b)
            self.units_taken.discard((b.unit or "", b.day, b.slot))
        return booked

    def gaining_types(self, freed: Sequence[Booking]) -> set[str]:
        """Equipment types a waitlisted request must need to gain from ``freed``:
        what the freed units offer, and what the freed instructors teach."""
        inst = self.inst
        out: set[str] = set()
        for b in freed:
            if b.kind == FIXED:
                out.add(inst.pools[b.resource].type)
            else:
                out.update(inst.boxes[b.resource].types)
            if b.staff is not None and inst.staff is not None:
                out.update(inst.staff[b.staff].types)
        return out

    def could_gain(self, req: Request, freed: Sequence[Booking]) -> bool:
        """Could ``req``, which did not fit before, fit now that ``freed`` was released?

        Everything else is as it was, so only if one of its candidates is a
        freed unit on a freed day, or a freed instructor could teach it that
        week (their weekly limit and that day's timetable eased). A cheap
        filter before a retry, never a false "no".
        """
        inst = self.inst
        first = bisect.bisect_left(inst.days, req.earliest)
        last = bisect.bisect_right(inst.days, req.latest) - 1
        if first > last:
            return False  # no day of the horizon in its window
        for b in freed:
            if b.staff is not None and inst.staff is not None:
                person = inst.staff[b.staff]
                if (
                    req.equipment_type in person.types
                    and req.part in person.parts
                    and inst.weeks[first] <= inst.weeks[b.day] <= inst.weeks[last]
                ):
                    return True
        usable = [
            b
            for b in freed
            if first <= b.day <= last
            and (
                inst.pools[b.resource].type == req.equipment_type
                if b.kind == FIXED
                else req.equipment_type in inst.boxes[b.resource].types
            )
        ]
        if not usable:
            return False
        for c in self._candidates(req):
            for b in usable:
                if (c.kind, c.resource) == (b.kind, b.resource):
                    i = bisect.bisect_left(c.days, b.day)
                    if i < len(c.days) and c.days[i] == b.day:
                        return True
        return False

    def sessions(self, request_id: str) -> list[Session]:
        staff = self.inst.staff or []
        return [
            Session(
                request=request_id,
                index=b.index,
                date=self.inst.days[b.day],
                slot=self.inst.slot_ids[b.slot],
                site=b.site,
                resource=b.unit or "",
                staff=staff[b.staff].id if b.staff is not None else None,
                travel_minutes=round(b.travel, 1),
            )
            for b in sorted(self.bookings.get(request_id, []), key=lambda b: b.index)
        ]

    # -- internals -------------------------------------------------------
    def _candidates(self, req: Request) -> list[Candidate]:
        """Candidates with containers only where the current plan has them.

        Memoised on the request fields they depend on: catalogue, instructors'
        days and container positions are fixed for a LivePlan's life, and
        waitlist retries ask for the same shapes again and again.
        """
        key = (
            req.site,
            req.equipment_type,
            req.audience,
            req.group_size,
            req.earliest,
            req.latest,
            req.max_travel_minutes,
        )
        found = self._candidate_memo.get(key)
        if found is None:
            found = where_they_stand(candidates(self.inst, req, self.staffed), self.positions)
            if self.first_day:
                found = [
                    replace(c, days=days)
                    for c in found
                    if (days := tuple(k for k in c.days if k >= self.first_day))
                ]
            self._candidate_memo[key] = found
        return found

    def _take(self, b: Booking) -> None:
        if b.kind == FIXED and b.unit is None:
            pool = self.inst.pools[b.resource]
            b.unit = next(u for u in pool.units if (u, b.day, b.slot) not in self.units_taken)
        elif b.kind == CONTAINER:
            b.unit = self.inst.boxes[b.resource].id
        self.units_taken.add((b.unit or "", b.day, b.slot))
        self.ledger.book(b)

    def _booking_of(self, r: int, s: Session, staff_index: dict[str, int]) -> Booking:
        inst = self.inst
        day = bisect.bisect_left(inst.days, s.date)
        slot = inst.slot_ids.index(s.slot)
        if s.resource in inst.pool_of_unit:
            kind, resource = FIXED, inst.pool_of_unit[s.resource]
        else:
            kind, resource = CONTAINER, inst.box_index[s.resource]
        travel = inst.travel.car_minutes(inst.requests[r].site, s.site)
        staff = staff_index.get(s.staff) if s.staff else None
        return Booking(r, s.index, kind, resource, day, slot, s.site, travel, staff, s.resource)
