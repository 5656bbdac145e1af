"""Rule 8, checked apart from the planner: locks kept, or displaced for a reason that holds.

A locked session must appear unchanged unless it can no longer be kept. A
``displaced`` row is accepted only when this module can re-derive that:

* the lock breaks a hard rule on its own: its date, slot, resource, site or
  instructor is no longer usable for its request (rules 1-3, 5-7), or
* it cannot be put back into this plan: the request is served elsewhere and
  moving that session onto the lock breaks a rule (the unit or container
  is taken, the container stands elsewhere, the instructor is busy, over
  their week or too far away, another session of the request is too close),
  or the request is unserved and no placement of it whole around the plan,
  with this lock in place, is found.

That covers a lock clashing with another lock the plan keeps. A row for a
session the scenario does not lock is made up, and an error - except in a
repair's plan (``allow_frozen``): the repair locks the old plan's frozen
window itself (its unit may since have left the catalogue), and such a row is
checked the same way when it can be a session of its request. A row that
names a lock the plan keeps is an error. An instructor works
in the region of their home site (regions are independent planning units),
so a lock naming one from another region may be displaced.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Iterable

from schemas.common import clock_minutes
from schemas.scenario import Instructor, LockedSession, Request, Scenario
from schemas.schedule import Schedule, Session
from services.validator.geo import ById, Distances, WorkCalendar

Positions = dict[str, dict[dt.date, str | None]]


class LockCheck(ById):
    def __init__(
        self,
        sc: Scenario,
        plan: Schedule,
        positions: Positions,
        geo: Distances,
        cal: WorkCalendar,
        bad: Callable[[str, str], None],
        allow_frozen: bool = False,
    ) -> None:
        self.sc, self.plan, self.positions, self.geo, self.cal = sc, plan, positions, geo, cal
        self.bad, self.allow_frozen = bad, allow_frozen
        super().__init__(sc)

    def run(self) -> None:
        locks = {(x.request, x.index): x for x in self.sc.locked}
        rows: dict[tuple[str, int], str] = {}
        for d in self.plan.displaced:
            key = (d.request, d.index)
            row = LockedSession.model_validate(
                d.model_dump(exclude={"reason"}, exclude_none=True), strict=False
            )
            if key in rows:
                self.bad("8", f"locked session {d.request}#{d.index} is displaced twice")
            elif key in locks and row != locks[key]:
                self.bad(
                    "8", f"displaced {d.request}#{d.index} on {d.date} does not match its lock"
                )
            elif key not in locks and not (self.allow_frozen and self.possible(row)):
                self.bad("8", f"displaced {d.request}#{d.index} on {d.date} matches no lock")
            else:
                rows[key] = d.reason
                # a session the repair locked (its frozen window) is checked like a
                # lock of the scenario
                locks.setdefault(key, row)
        have = {(s.request, s.index): s for s in self.plan.sessions}
        for key, lock in locks.items():
            tag = f"locked session {lock.request}#{lock.index}"
            s = have.get(key)
            if s is not None and _unchanged(lock, s):
                if key in rows:
                    self.bad("8", f"{tag} is kept but listed as displaced")
                continue
            if key not in rows:
                self.bad("8", f"{tag} changed and is not listed as displaced")
                continue
            if self.unusable(lock) is not None:
                continue
            witness = self.put_back(lock, s)
            if witness is not None:
                self.bad(
                    "8",
                    f"{tag} is displaced ('{rows[key]}') but could have been kept: {witness}",
                )

    def possible(self, row: LockedSession) -> bool:
        """Could the row be a session of its request at all (known ids, index in range)?"""
        r = self.req.get(row.request)
        # its resource or instructor may have left the catalogue since it was booked
        return r is not None and row.index < r.sessions and row.slot in self.slot

    # -- the lock alone -----------------------------------------------------------
    def unusable(self, lock: LockedSession) -> str | None:
        """Why the lock breaks a rule on its own (None: it does not)."""
        r, day, sc = self.req[lock.request], lock.date, self.sc
        if not (sc.horizon.start <= day <= sc.horizon.end and r.earliest <= day <= r.latest):
            return "outside the window or horizon"
        if not self.cal.is_working(day):
            return "not a working day"
        if self.slot[lock.slot].part != _part(r):
            return "wrong part of day"
        if r.audience == "pupils" and self.cal.site_closed(r.site, day):
            return "the pupils' school is closed"
        if lock.resource not in self.unit and lock.resource not in self.box:
            return "its resource left the catalogue"
        if lock.staff is not None and lock.staff not in self.staff:
            return "its instructor left the catalogue"
        if lock.site is not None and lock.site not in self.site:
            return "its site left the catalogue"
        if not self.sites_for(lock):
            return "no site where the resource can hold it"
        if lock.staff is not None:
            return self.staff_unusable(self.staff[lock.staff], r, day)
        if self.sc.staff is not None and all(self.staff_unusable(p, r, day) for p in self.sc.staff):
            return "no instructor can teach it that day"
        return None

    def staff_unusable(self, p: Instructor, r: Request, day: dt.date) -> str | None:
        if r.equipment_type not in p.types or _part(r) not in p.parts:
            return f"{p.id} does not teach it"
        if any(x.from_ <= day <= x.to for x in p.unavailable) or p.max_sessions_per_week < 1:
            return f"{p.id} is unavailable"
        if self.site[p.home_site].region != self.site[r.site].region:
            return f"{p.id} works in another region"
        return None

    def sites_for(self, lock: LockedSession) -> list[str]:
        """Sites where the lock's resource could hold its session that day (rules 1-3, 5, 6)."""
        r, day = self.req[lock.request], lock.date
        region = self.site[r.site].region
        if lock.resource in self.unit:
            e = self.unit[lock.resource]
            ok = (
                e.type == r.equipment_type
                and e.seats >= r.group_size
                and _part(r) in e.parts
                and not any(x.from_ <= day <= x.to for x in e.unavailable)
            )
            sites = [e.site] if ok and lock.site in (None, e.site) else []
        else:
            c = self.box[lock.resource]
            if (
                r.equipment_type not in c.types
                or c.seats < r.group_size
                or any(x.from_ <= day <= x.to for x in c.unavailable)
            ):
                return []
            home = self.site[c.start_site].region
            sites = [c.start_site]
            if c.max_moves != 0:
                sites += [
                    s.id
                    for s in self.sc.sites
                    if s.container_pad and s.region == home and s.id != c.start_site
                ]
            sites = [s for s in sites if lock.site in (None, s) and self.in_time(c.id, s, day)]
        return [
            s
            for s in sites
            if self.site[s].region == region
            and self.geo.car(r.site, s) <= r.max_travel_minutes + 1e-6
            and not self.cal.site_closed(s, day)
            and not (
                lock.resource in self.box
                and any(x.from_ <= day <= x.to for x in self.site[s].pad_unavailable)
            )
        ]

    def in_time(self, box: str, site: str, day: dt.date) -> bool:
        """Could the container, leaving on the first working day, be ready at ``site``?"""
        c = self.box[box]
        if site == c.start_site:
            return True
        if not self.cal.days:
            return False
        transit = max(1, math.ceil(self.geo.truck(c.start_site, site) / 480 - 1e-9))
        ready = self.cal.shift(self.cal.days[0], transit + c.setup_days)
        return ready is not None and ready <= day

    # -- the lock back in this plan -------------------------------------------------
    def put_back(self, lock: LockedSession, moved: Session | None) -> str | None:
        """A way to keep the lock in this plan, described; None if none is found."""
        r = self.req[lock.request]
        others = [s for s in self.plan.sessions if s is not moved]
        mine = [s for s in others if s.request == r.id]
        placed = self.fits(r, lock.date, lock.slot, lock.resource, lock.staff, lock.site, others)
        if placed is None:
            return None
        if moved is not None:
            spacing = max(1, r.min_gap_days)
            if any(abs((s.date - lock.date).days) < spacing for s in mine):
                return None
            return f"moving {r.id}#{lock.index} from {moved.date} onto it breaks no rule"
        # unserved: the lock and the request's other sessions, earliest first
        chosen = [placed]
        for day in self.cal.days:
            if len(chosen) == r.sessions:
                break
            if any(abs((s.date - day).days) < max(1, r.min_gap_days) for s in chosen):
                continue
            extra = self.any_fit(r, day, others + chosen)
            if extra is not None:
                chosen.append(extra)
        if len(chosen) < r.sessions:
            return None
        when = ", ".join(f"{s.date} {s.slot} {s.resource}" for s in chosen)
        return f"{r.id} fits whole beside this plan: {when}"

    def any_fit(self, r: Request, day: dt.date, plan: list[Session]) -> Session | None:
        """One session of ``r`` on ``day`` that fits beside ``plan``, if any."""
        for slot in self.sc.slots:
            for res in list(self.unit) + list(self.box):
                s = self.fits(r, day, slot.id, res, None, None, plan)
                if s is not None:
                    return s
        return None

    def fits(
        self,
        r: Request,
        day: dt.date,
        slot: str,
        res: str,
        staff: str | None,
        site: str | None,
        plan: list[Session],
    ) -> Session | None:
        """The session of ``r`` on ``res`` at day and slot if it breaks no rule beside ``plan``."""
        probe = LockedSession.model_validate(
            {"request": r.id, "index": 0, "date": day, "slot": slot, "resource": res},
            strict=False,
        )
        if not r.earliest <= day <= r.latest or self.unusable(probe) is not None:
            return None
        if any(s.resource == res and s.date == day and s.slot == slot for s in plan):
            return None
        sites = self.sites_for(probe)
        if res in self.box:
            where = self.positions.get(res, {}).get(day)
            sites = [s for s in sites if s == where]
        sites = [s for s in sites if site in (None, s)]
        if not sites:
            return None
        teacher = None
        if self.sc.staff is not None:
            names = [staff] if staff is not None else list(self.staff)
            teacher = next(
                (
                    n
                    for n in names
                    if self.staff_unusable(self.staff[n], r, day) is None
                    and self.staff_free(n, day, slot, sites[0], plan)
                ),
                None,
            )
            if teacher is None:
                return None
        return Session.model_validate(
            {
                "request": r.id,
                "index": 0,
                "date": day,
                "slot": slot,
                "site": sites[0],
                "resource": res,
                "staff": teacher,
            },
            strict=False,
        )

    def staff_free(self, who: str, day: dt.date, slot: str, site: str, plan: list[Session]) -> bool:
        week = day.isocalendar()[:2]
        load = Counter(s.date.isocalendar()[:2] for s in plan if s.staff == who)
        if load[week] >= self.staff[who].max_sessions_per_week:
            return False
        return all(self.same_day_ok(s, slot, site) for s in _on(plan, who, day))

    def same_day_ok(self, s: Session, slot: str, site: str) -> bool:
        a, b = self.slot[s.slot], self.slot[slot]
        if clock_minutes(a.start) > clock_minutes(b.start):
            a, b = b, a
        gap = clock_minutes(b.start) - clock_minutes(a.end)
        if s.slot == slot or gap < 0:
            return False
        return s.site == site or self.geo.car(s.site, site) <= gap + 1e-6


def _on(plan: Iterable[Session], who: str, day: dt.date) -> list[Session]:
    return [s for s in plan if s.staff == who and s.date == day]


def _part(r: Request) -> str:
    return "day" if r.audience == "pupils" else "evening"


def _unchanged(lock: LockedSession, s: Session) -> bool:
    return (
        (s.date, s.slot, s.resource) == (lock.date, lock.slot, lock.resource)
        and (lock.staff is None or s.staff == lock.staff)
        and (lock.site is None or s.site == lock.site)
    )
