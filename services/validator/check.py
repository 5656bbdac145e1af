"""Check a schedule against every hard rule of the spec and recompute its metrics."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Container
from dataclasses import dataclass

from schemas.common import clock_minutes
from schemas.scenario import Container as ScenarioContainer
from schemas.scenario import Scenario
from schemas.schedule import ContainerMove, Schedule, Session
from services.validator.geo import ById, Distances, WorkCalendar
from services.validator.locks import LockCheck


@dataclass(frozen=True)
class Violation:
    rule: str  # "1".."8", or "metrics" / "structure"
    message: str

    def __str__(self) -> str:
        return f"rule {self.rule}: {self.message}"


def validate(
    scenario: Scenario, schedule: Schedule, *, allow_frozen: bool = False
) -> list[Violation]:
    """Every broken hard rule and wrong metric of ``schedule``.

    ``allow_frozen``: the schedule is a repair's, which locks the old plan's frozen
    window itself, so a ``displaced`` row may be a session the scenario does not
    lock. Anywhere else such a row is made up and rejected.
    """
    return _Checker(scenario, schedule, allow_frozen).run()


class _Checker(ById):
    def __init__(self, sc: Scenario, plan: Schedule, allow_frozen: bool = False) -> None:
        self.sc, self.plan, self.allow_frozen = sc, plan, allow_frozen
        self.out: list[Violation] = []
        self.geo = Distances(sc)
        self.cal = WorkCalendar(sc)
        super().__init__(sc)

    def bad(self, rule: str, message: str) -> None:
        self.out.append(Violation(rule, message))

    def run(self) -> list[Violation]:
        if self.unknown_references():
            return self.out  # the rules below would only guess about what the ids mean
        positions = self.container_positions()
        for s in self.plan.sessions:
            self.session(s, positions)
        self.per_resource_and_request()
        self.instructors()
        self.locks(positions)
        self.metrics()
        return self.out

    def unknown_references(self) -> bool:
        """Report every id the schedule uses that the scenario does not have."""
        before = len(self.out)

        def known(what: str, value: str | None, ids: Container[str], where: str) -> None:
            if value is not None and value not in ids:
                self.bad("structure", f"{where}: unknown {what} '{value}'")

        for s in self.plan.sessions:
            where = f"session {s.request}#{s.index} on {s.date}"
            known("request", s.request, self.req, where)
            known("slot", s.slot, self.slot, where)
            known("site", s.site, self.site, where)
            if s.resource not in self.unit and s.resource not in self.box:
                self.bad("structure", f"{where}: unknown resource '{s.resource}'")
            known("instructor", s.staff, self.staff, where)
        for m in self.plan.container_moves:
            where = f"move of {m.container} departing {m.depart}"
            known("container", m.container, self.box, where)
            known("site", m.from_, self.site, where)
            known("site", m.to, self.site, where)
        for u in self.plan.unserved:
            known("request", u.request, self.req, "unserved")
        for d in self.plan.displaced:
            known("request", d.request, self.req, "displaced")
        return len(self.out) > before

    # rules 1-3, 5 ------------------------------------------------------
    def session(self, s: Session, positions: dict[str, dict[dt.date, str | None]]) -> None:
        tag = f"{s.request}#{s.index} on {s.date} {s.slot}"
        r = self.req.get(s.request)
        slot = self.slot.get(s.slot)
        if r is None or slot is None or s.site not in self.site:
            self.bad("structure", f"{tag}: unknown request, slot or site")
            return
        h = self.sc.horizon
        if not (r.earliest <= s.date <= r.latest and h.start <= s.date <= h.end):
            self.bad("1", f"{tag}: outside window {r.earliest}..{r.latest} or horizon")
        if not self.cal.is_working(s.date):
            self.bad("1", f"{tag}: not an allowed weekday or closed everywhere")
        if self.cal.site_closed(s.site, s.date):
            self.bad("1", f"{tag}: {s.site} is closed by its calendar")
        if r.audience == "pupils" and self.cal.site_closed(r.site, s.date):
            self.bad("1", f"{tag}: the pupils' school {r.site} is closed that day")
        wanted = "day" if r.audience == "pupils" else "evening"
        if slot.part != wanted:
            self.bad("2", f"{tag}: {r.audience} need a {wanted} slot, got {slot.part}")
        if s.resource in self.unit:
            e = self.unit[s.resource]
            types, seats, off, region = {e.type}, e.seats, e.unavailable, self.site[e.site].region
            if slot.part not in e.parts:
                self.bad("2", f"{tag}: {e.id} does not offer {slot.part} sessions")
            if s.site != e.site:
                self.bad("5", f"{tag}: {e.id} stands at {e.site}, session says {s.site}")
        elif s.resource in self.box:
            c = self.box[s.resource]
            types, seats, off = set(c.types), c.seats, c.unavailable
            region = self.site[c.start_site].region
            where = positions.get(c.id, {}).get(s.date, "?")
            if where != s.site:
                self.bad("5", f"{tag}: {c.id} is at {where or 'in transit'} that day, not {s.site}")
            if any(r.from_ <= s.date <= r.to for r in self.site[s.site].pad_unavailable):
                self.bad("6", f"{tag}: the pad at {s.site} is unavailable that day")
        else:
            self.bad("structure", f"{tag}: unknown resource {s.resource}")
            return
        if r.equipment_type not in types:
            self.bad("3", f"{tag}: {s.resource} is not a {r.equipment_type}")
        if seats < r.group_size:
            self.bad("3", f"{tag}: {s.resource} has {seats} seats for a group of {r.group_size}")
        if any(x.from_ <= s.date <= x.to for x in off):
            self.bad("3", f"{tag}: {s.resource} is unavailable that day")
        if region != self.site[r.site].region:
            self.bad("5", f"{tag}: resource region {region} is not the request's region")
        minutes = self.geo.car(r.site, s.site)
        if minutes > r.max_travel_minutes + 1e-6:
            self.bad("5", f"{tag}: {minutes:.0f} min travel exceeds {r.max_travel_minutes:.0f}")

    # rule 6 ------------------------------------------------------------
    def container_positions(self) -> dict[str, dict[dt.date, str | None]]:
        """Where each container stands each horizon day (None: moving or in setup)."""
        by_box = defaultdict(list)
        for m in self.plan.container_moves:
            by_box[m.container].append(m)
        out: dict[str, dict[dt.date, str | None]] = {}
        days = [
            self.sc.horizon.start + dt.timedelta(n)
            for n in range((self.sc.horizon.end - self.sc.horizon.start).days + 1)
        ]
        for c in self.sc.containers:
            moves = sorted(by_box.pop(c.id, []), key=lambda m: m.depart)
            if c.max_moves is not None and len(moves) > c.max_moves:
                self.bad("6", f"{c.id} moves {len(moves)} times, max_moves is {c.max_moves}")
            here, busy_from, busy_to = c.start_site, None, None
            timeline: dict[dt.date, str | None] = {}
            plan = iter(moves)
            nxt = next(plan, None)
            for m in moves:
                self.check_move(c, m)
            for day in days:
                if nxt is not None and day == nxt.depart:
                    if nxt.from_ != here:
                        self.bad(
                            "6", f"{c.id} leaves {nxt.from_} on {nxt.depart} but stands at {here}"
                        )
                    busy_from, busy_to, here = nxt.depart, nxt.ready, nxt.to
                    nxt = next(plan, None)
                    if nxt is not None and nxt.depart < busy_to:
                        self.bad(
                            "6", f"{c.id} departs {nxt.depart} before it is ready on {busy_to}"
                        )
                moving = (
                    busy_from is not None and busy_to is not None and busy_from <= day < busy_to
                )
                timeline[day] = None if moving else here
            out[c.id] = timeline
        for name in by_box:
            self.bad("structure", f"move of unknown container {name}")
        return out

    def delayed(self, c: ScenarioContainer, due: dt.date | None, ready: dt.date) -> bool:
        """A trip may be ready later than rule 6 says when its truck was reported late
        (``container-delayed``): the container is then unavailable on every working
        day from the rule's ready day up to the reported one, so it holds no session
        it could have held."""
        if due is None or ready <= due or not self.cal.is_working(ready):
            return False
        day = due
        while day < ready:
            if self.cal.is_working(day) and not any(r.from_ <= day <= r.to for r in c.unavailable):
                return False
            day += dt.timedelta(days=1)
        return True

    def check_move(self, c: ScenarioContainer, m: ContainerMove) -> None:
        box, setup_days = c.id, c.setup_days
        if m.to not in self.site or m.from_ not in self.site:
            self.bad("structure", f"{box}: move between unknown sites")
            return
        if not self.site[m.to].container_pad:
            self.bad("6", f"{box} moves to {m.to}, which has no container pad")
        # the container stands on the pad from its first setup day (setup_days working
        # days before ready; a delay is transit) to the ready day, every date between
        first, left = m.ready, setup_days
        while left > 0:
            first -= dt.timedelta(days=1)
            left -= self.cal.is_working(first)
        if any(r.from_ <= m.ready and first <= r.to for r in self.site[m.to].pad_unavailable):
            self.bad(
                "6",
                f"{box} is set up at {m.to} {first}..{m.ready}, when its pad is unavailable",
            )
        if not self.cal.is_working(m.depart):
            self.bad("6", f"{box} departs on {m.depart}, not a working day")
            return
        # the departure day is the first transit day, so at least one
        transit = max(1, math.ceil(self.geo.truck(m.from_, m.to) / 480 - 1e-9))
        ready = self.cal.shift(m.depart, transit + setup_days)
        if ready != m.ready and not self.delayed(c, ready, m.ready):
            self.bad(
                "6",
                f"{box} {m.from_}->{m.to} departing {m.depart}: ready should be {ready}, got {m.ready}",
            )
        if abs(self.geo.km(m.from_, m.to) - m.km) > 0.2:
            self.bad(
                "metrics",
                f"{box} {m.from_}->{m.to}: km {m.km} should be {self.geo.km(m.from_, m.to):.1f}",
            )

    # rule 4 ------------------------------------------------------------
    def per_resource_and_request(self) -> None:
        use = Counter((s.resource, s.date, s.slot) for s in self.plan.sessions)
        for (res, day, slot), n in use.items():
            if n > 1:
                self.bad("4", f"{res} holds {n} sessions on {day} {slot}")
        by_req: dict[str, list[Session]] = defaultdict(list)
        for s in self.plan.sessions:
            by_req[s.request].append(s)
        for rid, sessions in by_req.items():
            r = self.req.get(rid)
            if r is None:
                continue
            if sorted(s.index for s in sessions) != list(range(r.sessions)):
                self.bad(
                    "4",
                    f"{rid}: sessions {sorted(s.index for s in sessions)} but {r.sessions} asked (whole or nothing)",
                )
            dates = sorted(s.date for s in sessions)
            for a, b in zip(dates, dates[1:], strict=False):
                if (b - a).days < max(1, r.min_gap_days):
                    self.bad(
                        "4",
                        f"{rid}: sessions on {a} and {b} are closer than {max(1, r.min_gap_days)} day(s)",
                    )
        listed = {u.request for u in self.plan.unserved}
        for rid in self.req:
            if rid not in by_req and rid not in listed:
                self.bad("structure", f"{rid} is neither served nor listed as unserved")
            if rid in by_req and rid in listed:
                self.bad("structure", f"{rid} is served and listed as unserved")

    # rule 7 ------------------------------------------------------------
    def instructors(self) -> None:
        if self.sc.staff is None:
            return
        day_of: dict[tuple[str, dt.date], list[Session]] = defaultdict(list)
        week: Counter[tuple[str, int, int]] = Counter()
        for s in self.plan.sessions:
            tag = f"{s.request}#{s.index} on {s.date} {s.slot}"
            p = self.staff.get(s.staff or "")
            if p is None:
                self.bad("7", f"{tag}: no (known) instructor")
                continue
            r, slot = self.req[s.request], self.slot[s.slot]
            if r.equipment_type not in p.types or slot.part not in p.parts:
                self.bad("7", f"{tag}: {p.id} does not teach {r.equipment_type} ({slot.part})")
            if any(x.from_ <= s.date <= x.to for x in p.unavailable):
                self.bad("7", f"{tag}: {p.id} is unavailable")
            day_of[(p.id, s.date)].append(s)
            iso = s.date.isocalendar()
            week[(p.id, iso[0], iso[1])] += 1
        for (pid, y, w), n in week.items():
            if n > self.staff[pid].max_sessions_per_week:
                self.bad(
                    "7",
                    f"{pid} teaches {n} sessions in week {y}-W{w:02d}, max {self.staff[pid].max_sessions_per_week}",
                )
        for (pid, day), sessions in day_of.items():
            for i, a in enumerate(sessions):
                for b in sessions[i + 1 :]:
                    self.same_day(pid, day, a, b)

    def same_day(self, pid: str, day: dt.date, a: Session, b: Session) -> None:
        sa, sb = self.slot[a.slot], self.slot[b.slot]
        if clock_minutes(sa.start) > clock_minutes(sb.start):
            a, b, sa, sb = b, a, sb, sa
        gap = clock_minutes(sb.start) - clock_minutes(sa.end)
        if a.slot == b.slot or gap < 0:
            self.bad("7", f"{pid} teaches two overlapping sessions on {day} ({a.slot}, {b.slot})")
        elif a.site != b.site and self.geo.car(a.site, b.site) > gap + 1e-6:
            self.bad("7", f"{pid} cannot drive {a.site}->{b.site} in {gap} min on {day}")

    # rule 8 ------------------------------------------------------------
    def locks(self, positions: dict[str, dict[dt.date, str | None]]) -> None:
        LockCheck(
            self.sc, self.plan, positions, self.geo, self.cal, self.bad, self.allow_frozen
        ).run()

    def metrics(self) -> None:
        served = {s.request for s in self.plan.sessions}
        value = sum(self.req[r].value for r in served if r in self.req)
        m = self.plan.metrics
        if m.served_value != value:
            self.bad("metrics", f"served_value {m.served_value}, recomputed {value}")
        asked = sum(r.value for r in self.sc.requests)
        if m.requested_value != asked:
            self.bad("metrics", f"requested_value {m.requested_value}, recomputed {asked}")
        km = sum(self.geo.km(x.from_, x.to) for x in self.plan.container_moves)
        if abs(m.container_km - km) > 0.1 + 0.001 * km:
            self.bad("metrics", f"container_km {m.container_km}, recomputed {km:.1f}")
