"""Minimal-change repair of a plan after disruptions (pure, like ``solve``).

Given the disrupted scenario and the plan in force, the repaired plan is,
in this order of importance:

1. keep as many previously served requests served as possible;
2. change as few sessions and container trips as possible - another unit on
   the same date and slot costs 1, another date or slot at the same site 3,
   another site 5; a trip dropped or added 3, so a rescheduled trip 6;
3. sessions inside the frozen window (the next ``frozen_days`` working days
   from ``today``) stay exactly as they are unless they became impossible;
4. then the usual objective: served value (waitlisted requests may be
   promoted), fewer container km, less pupil travel.

Steps 1-2 are one weighted solve (weights keep them strictly ordered), step
4 two more with the earlier results held. The seed is the old plan with its
broken requests re-placed greedily - moving one or two competitors where
that makes room (:mod:`services.planner.ejection`) - so the answer is never
worse than that.

Only the neighbourhood of the breaks is searched: the broken requests and
every request that competes with them for a unit on a day; all others may
only do what the seed does. The time limit is a deadline from the call, so
building the model counts against it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from schemas.scenario import LockedSession, Scenario
from schemas.schedule import Schedule, Session
from services.planner.ejection import place_with_ejection
from services.planner.finalize import model_moves
from services.planner.greedy import seed_order, served_requests
from services.planner.instance import Instance, build_instance
from services.planner.ledger import Booking
from services.planner.locks import KeptLock, check_locks, lock_of
from services.planner.model.build import add_hint, build_model
from services.planner.model.objective import secondary
from services.planner.model.variables import Move
from services.planner.options import (
    CONTAINER,
    FIXED,
    Candidate,
    Option,
    candidates,
    expand,
    positions,
    staff_days,
    where_they_stand,
)
from services.planner.plan_result import PlanResult, SolveParams
from services.planner.repair_diff import SessionChange, diff_sessions
from services.planner.repair_moves import (
    MoveNotKept,
    booked_trips,
    not_kept,
    trip_change,
    trips_hold,
)
from services.planner.result import Teachers, assemble_result, teachers_of
from services.planner.seeding import constructive_plan, drop_unplaceable_locks
from services.planner.solve import Reporter, hint_solution, make_solver
from services.planner.tidy_moves import tidy_moves

UNIT, DATE, SITE = 1, 3, 5


@dataclass(frozen=True)
class RepairParams:
    time_limit: float = 2.0  # a deadline from the call: building the model counts too
    workers: int = 0
    frozen_days: int = 2
    # nothing new before it; start of the frozen window (default: horizon start)
    today: dt.date | None = None
    notice_days: int = 5  # container moves departing within this many working days are locked
    disrupted_containers: frozenset[str] = frozenset()  # ... unless the container itself is hit
    shortcut: bool = False  # return the seed when it provably keeps everything at least cost


@dataclass
class RepairResult:
    plan: PlanResult
    changes: list[SessionChange]
    lost: list[str] = field(default_factory=list)  # served before, not now
    promoted: list[str] = field(default_factory=list)  # not served before, now
    moves_not_kept: list[MoveNotKept] = field(default_factory=list)  # booked trips it changed

    @property
    def changed_sessions(self) -> int:
        return sum(1 for c in self.changes if c.kind != "added")


def frozen_locks(
    scenario: Scenario, previous: Sequence[Session], params: RepairParams
) -> list[LockedSession]:
    """The old sessions before today (they happened) and inside the frozen window,
    as site-pinned locks."""
    start = params.today or scenario.horizon.start
    weekdays = set(scenario.weekdays)
    working: list[dt.date] = []
    day = start
    while len(working) < params.frozen_days and day <= scenario.horizon.end:
        if day.isoweekday() in weekdays and not any(
            r.from_ <= day <= r.to for r in scenario.closed
        ):
            working.append(day)
        day += dt.timedelta(days=1)
    window = set(working)
    return [lock_of(s) for s in previous if s.date < start or s.date in window]


def repair(
    scenario: Scenario, current: Schedule, params: RepairParams | None = None
) -> RepairResult:
    params = params or RepairParams()
    started = time.perf_counter()
    today = params.today or scenario.horizon.start
    known = {r.id for r in scenario.requests}
    previous = [s for s in current.sessions if s.request in known]
    locked = [*scenario.locked, *frozen_locks(scenario, previous, params)]
    scenario = scenario.model_copy(update={"locked": _unique(locked)})
    inst = build_instance(scenario, not_before=today)
    kept, displaced = check_locks(inst)
    options_of = _options(inst, kept)
    kept, more = drop_unplaceable_locks(inst, kept, options_of)
    displaced += more
    before = defaultdict(list)
    for s in previous:
        before[inst.request_index[s.request]].append(s)
    trips = model_moves(inst, current.container_moves)
    seed, broken = _seed(inst, kept, before, options_of, positions(inst, current.container_moves))
    booked = booked_trips(
        inst, current.container_moves, today, params.notice_days, params.disrupted_containers
    )
    fixed = booked.fixed
    if (
        params.shortcut
        and len(trips) == len(current.container_moves)
        and trips_hold(inst, trips, fixed)
        and _seed_is_optimal(inst, seed, before, options_of)
    ):
        # nothing to search: every served request kept, each broken session moved as
        # little as it possibly could, containers where they were; promotions are
        # left to the background optimiser
        plan = seed
        moves: list[Move] = trips
        teachers, statuses = teachers_of(inst, seed), {"all": "OPTIMAL"}
    else:
        plan, moves, teachers, statuses = _around_the_breaks(
            inst, kept, options_of, before, seed, broken, params, started, fixed, trips
        )
    naming = kept + _unchanged(inst, plan, before, {k.request for k in kept})
    result = assemble_result(
        inst,
        plan,
        moves,
        teachers,
        naming,
        displaced,
        _status(statuses),
        None,
        statuses,
        0,
        0,
        time.perf_counter() - started,
        0.0,
    )
    served_now = {s.request for s in result.sessions}
    served_before = {s.request for s in previous}
    return RepairResult(
        plan=result,
        changes=diff_sessions(previous, result.sessions),
        lost=sorted(served_before - served_now),
        promoted=sorted(served_now - served_before),
        moves_not_kept=not_kept(booked, result.moves),
    )


def _options(inst: Instance, kept: list[KeptLock]) -> list[list[Option]]:
    """Each request's options from today on, and those of its locks before today
    (sessions that happened stay where they were)."""
    staffed = staff_days(inst)
    options_of = [
        expand(inst, r, candidates(inst, q, staffed)) for r, q in enumerate(inst.requests)
    ]
    past = [k for k in kept if k.day < inst.first_day]
    if past:
        anytime = replace(inst, first_day=0)
        cands = {
            r: candidates(anytime, inst.requests[r], staffed) for r in {k.request for k in past}
        }
        for k in past:  # the lock's own day and slot, at each site it could be held at
            options_of[k.request] += [
                Option(k.request, c.kind, c.resource, k.day, k.slot, c.site, c.travel)
                for c in cands[k.request]
                if (c.kind, c.resource) == (k.kind, k.resource) and k.day in c.days
            ]
    return options_of


def _unchanged(
    inst: Instance, plan: list[Booking], before: dict[int, list[Session]], locked: set[int]
) -> list[KeptLock]:
    """Bookings that repeat an old session, as naming locks: same unit, index, instructor."""
    staff_index = {p.id: i for i, p in enumerate(inst.staff or [])}
    out = []
    for b in plan:
        if b.request in locked:
            continue
        for s in before.get(b.request, []):
            if (s.date, s.slot, s.site) != (inst.days[b.day], inst.slot_ids[b.slot], b.site):
                continue
            probe = Option(b.request, b.kind, b.resource, b.day, b.slot, b.site, b.travel)
            if _same_resource(inst, probe, s.resource):
                lock = lock_of(s)
                out.append(
                    KeptLock(
                        lock,
                        b.request,
                        b.kind,
                        b.resource,
                        s.resource,
                        b.day,
                        b.slot,
                        staff_index.get(s.staff or ""),
                        s.site,
                        binding=False,
                    )
                )
                break
    return out


def notice_locked_moves(inst: Instance, current: Schedule, params: RepairParams) -> list[Move]:
    """Moves of the plan in force that the repair keeps exactly (``repair_moves``)."""
    today = params.today or inst.scenario.horizon.start
    return booked_trips(
        inst, current.container_moves, today, params.notice_days, params.disrupted_containers
    ).fixed


def _unique(locks: list[LockedSession]) -> list[LockedSession]:
    seen: dict[tuple[str, int], LockedSession] = {}
    for lock in locks:
        seen.setdefault((lock.request, lock.index), lock)
    return list(seen.values())


def _status(statuses: dict[str, str]) -> str:
    return "OPTIMAL" if statuses and all(s == "OPTIMAL" for s in statuses.values()) else "FEASIBLE"


def _seed(
    inst: Instance,
    kept: list[KeptLock],
    before: dict[int, list[Session]],
    options_of: list[list[Option]],
    where: list[list[str | None]],
) -> tuple[list[Booking], list[int]]:
    """The old plan where it still holds, broken requests re-placed first, then the waitlist;
    containers stand where the old plan has them. Also: the broken requests."""
    old_locks = [lock_of(s) for sessions in before.values() for s in sessions]
    probe = inst.scenario.model_copy(update={"locked": _unique([k.lock for k in kept] + old_locks)})
    valid, _ = check_locks(build_instance(probe))
    valid, _ = drop_unplaceable_locks(inst, _reindex(inst, valid), options_of)
    whole = {r for r in before if sum(1 for k in valid if k.request == r) == len(before[r])}
    broken = [r for r in before if r not in whole]
    others = [r for r in seed_order(inst, [len(o) for o in options_of]) if r not in before]

    def smallest_change(r: int, k: int, c: Candidate) -> float:
        """Change cost of a candidate day for a request with old sessions, then nearness."""
        old = before.get(r)
        if not old:
            return float(k)  # waitlisted: earliest first, as always
        probe = Option(r, c.kind, c.resource, k, inst.slot_ids.index(old[0].slot), c.site, c.travel)
        near = min(abs((inst.days[k] - s.date).days) for s in old)
        return _change_cost(inst, probe, old) * 1000 + near

    plan = constructive_plan(inst, valid, broken + others, where, smallest_change)
    # a whole lock the seed still could not hold (e.g. its container is in transit
    # then under the plan's moves) is broken too
    held = served_requests(plan, inst)
    broken += [r for r in before if r in whole and r not in held]
    # a broken request the greedy could not re-place: try moving one competitor
    staffed = staff_days(inst)
    pinned = {k.request for k in kept}  # locked or frozen: never moved

    def cands_of(q: int) -> list[Candidate]:
        return where_they_stand(candidates(inst, inst.requests[q], staffed), where)

    for r in broken:
        if r in served_requests(plan, inst) or r in pinned:
            continue
        better = place_with_ejection(
            inst,
            plan,
            r,
            lambda q: options_of[q],
            cands_of,
            movable=lambda q: q not in pinned,
            droppable=lambda q: q not in before,
            prefer=smallest_change,
        )
        if better is not None:
            plan = better
    return plan, broken


def _around_the_breaks(
    inst: Instance,
    kept: list[KeptLock],
    options_of: list[list[Option]],
    before: dict[int, list[Session]],
    seed: list[Booking],
    broken: list[int],
    params: RepairParams,
    started: float,
    fixed: list[Move],
    trips: list[Move],
) -> tuple[list[Booking], list[Move], Teachers, dict[str, str]]:
    """Solve around the broken requests: they, their competitors, and everyone
    else held to the seed.

    The narrow model is a tenth of the whole region's or less on most
    disruptions, so it is built and searched within the time limit. In 12
    disruptions measured on 800-request plans (docs/benchmarks.md) a second
    pass over the whole region kept no booking the narrow pass had lost, at
    twice the latency: the seed's ejection chains already find the room that
    moving a competitor makes.
    """
    around = _neighbourhood(options_of, broken)
    narrow = _restrict(options_of, seed, around)
    deadline = started + params.time_limit
    return _optimise(inst, kept, narrow, before, seed, params, deadline, fixed, trips)


def _neighbourhood(options_of: list[list[Option]], broken: list[int]) -> set[int]:
    """The broken requests and every request that could use a unit on a day they could.

    Only these may move in the narrow repair: room for a broken session is
    found on its own candidates, or by shifting a request that competes for
    them. Everything else keeps what the seed gives it.
    """
    touched = {(o.kind, o.resource, o.day) for r in broken for o in options_of[r]}
    return set(broken) | {
        r
        for r, options in enumerate(options_of)
        if any((o.kind, o.resource, o.day) in touched for o in options)
    }


def _restrict(
    options_of: list[list[Option]], seed: list[Booking], around: set[int]
) -> list[list[Option]]:
    """All options inside ``around``; outside it, only the options the seed uses."""
    seeded = {(b.request, b.kind, b.resource, b.day, b.slot, b.site) for b in seed}
    return [
        options
        if r in around
        else [o for o in options if (r, o.kind, o.resource, o.day, o.slot, o.site) in seeded]
        for r, options in enumerate(options_of)
    ]


def _seed_is_optimal(
    inst: Instance,
    seed: list[Booking],
    before: dict[int, list[Session]],
    options_of: list[list[Option]],
) -> bool:
    """True when the seed keeps every served request and each session it changed
    could not have changed less (a lower bound from the options, ignoring others)."""
    confirmed = list(before)
    score_keep, score_change = _score(inst, seed, before, confirmed)
    if score_keep < len(confirmed):
        return False
    floor = 0
    for r, sessions in before.items():
        exact = {
            (b.day, b.slot, b.site)
            for b in seed
            if b.request == r
            and any(
                (inst.days[b.day], inst.slot_ids[b.slot], b.site, b.unit or "")
                == (s.date, s.slot, s.site, s.resource)
                for s in sessions
            )
        }
        held = {day for day, _, _ in exact}
        for s in sessions:
            k = bisect.bisect_left(inst.days, s.date)
            if k < len(inst.days) and (k, inst.slot_ids.index(s.slot), s.site) in exact:
                continue  # kept as it was
            # this session had to change: the cheapest option on a day not already held
            floor += min(
                (_change_cost(inst, o, sessions) for o in options_of[r] if o.day not in held),
                default=SITE,
            )
    return -score_change <= floor


def _reindex(inst: Instance, kept: list[KeptLock]) -> list[KeptLock]:
    """Locks checked on a copy of the instance, mapped back to this instance's indices."""
    return [
        KeptLock(
            k.lock,
            inst.request_index[k.lock.request],
            k.kind,
            k.resource,
            k.unit,
            k.day,
            k.slot,
            k.staff,
            k.site,
        )
        for k in kept
    ]


def _change_cost(inst: Instance, o: Option, old: list[Session]) -> int:
    """What using option o costs request o.request, given its old sessions."""
    date, slot = inst.days[o.day], inst.slot_ids[o.slot]
    best = SITE
    for s in old:
        if s.site != o.site:
            continue
        same_time = s.date == date and s.slot == slot
        if same_time and _same_resource(inst, o, s.resource):
            return 0
        best = min(best, UNIT if same_time else DATE)
    return best


def _score(
    inst: Instance, plan: list[Booking], before: dict[int, list[Session]], confirmed: list[int]
) -> tuple[int, int]:
    """(kept requests, -session change cost): the order repair optimises in."""
    served = served_requests(plan, inst)
    cost = sum(
        _change_cost(
            inst,
            Option(b.request, b.kind, b.resource, b.day, b.slot, b.site, b.travel),
            before[b.request],
        )
        for b in plan
        if b.request in before
    )
    return sum(1 for r in confirmed if r in served), -cost


def _old_teaching(
    inst: Instance, requests: list[int], before: dict[int, list[Session]]
) -> list[tuple[int, int, int, str, str]]:
    """teach-variable keys of the old plan's instructor assignments."""
    staff_index = {p.id: i for i, p in enumerate(inst.staff or [])}
    out = []
    for r in requests:
        for s in before.get(r, []):
            k = bisect.bisect_left(inst.days, s.date)
            if s.staff in staff_index and k < len(inst.days) and inst.days[k] == s.date:
                slot = inst.slot_ids.index(s.slot)
                out.append((staff_index[s.staff], k, slot, s.site, inst.requests[r].equipment_type))
    return out


def _same_resource(inst: Instance, o: Option, resource: str) -> bool:
    if o.kind == FIXED:
        return resource in inst.pools[o.resource].units
    return o.kind == CONTAINER and inst.boxes[o.resource].id == resource


def _optimise(
    inst: Instance,
    kept: list[KeptLock],
    options_of: list[list[Option]],
    before: dict[int, list[Session]],
    seed: list[Booking],
    params: RepairParams,
    deadline: float,
    fixed: list[Move],
    trips: list[Move],
) -> tuple[list[Booking], list[Move], Teachers, dict[str, str]]:
    regions: dict[str, list[int]] = defaultdict(list)
    for r, req in enumerate(inst.requests):
        regions[inst.region_of_request(req)].append(r)
    plan: list[Booking] = []
    moves: list[Move] = []
    teachers: Teachers = {}
    statuses: dict[str, str] = {}
    region_of_box = {b: box.region for b, box in enumerate(inst.boxes)}
    sizes = {g: 1 + sum(len(options_of[r]) for r in rs) for g, rs in regions.items()}
    left = sum(sizes.values())
    for region, rs in regions.items():
        wanted = set(rs)
        # the time still left, shared by the size of the regions still to solve
        share = max(0.1, deadline - time.perf_counter()) * sizes[region] / left
        left -= sizes[region]
        out = _region(
            inst,
            rs,
            [o for r in rs for o in options_of[r]],
            [k for k in kept if k.request in wanted],
            before,
            [b for b in seed if b.request in wanted],
            time.perf_counter() + share,
            params,
            [m for m in fixed if region_of_box[m.box] == region],
            [m for m in trips if region_of_box[m.box] == region],
        )
        plan += out[0]
        moves += out[1]
        teachers.update(out[2])
        statuses[region] = out[3]
    return plan, moves, teachers, statuses


def _region(
    inst: Instance,
    requests: list[int],
    options: list[Option],
    kept: list[KeptLock],
    before: dict[int, list[Session]],
    seed: list[Booking],
    deadline: float,
    params: RepairParams,
    fixed: list[Move],
    trips: list[Move],
) -> tuple[list[Booking], list[Move], Teachers, str]:
    """``trips``: the old plan's moves, which the seed relies on. The three
    phases share the time left after building the model: 60%, then 60% of
    the rest, then the rest."""
    confirmed = [r for r in requests if r in before]
    if not options:
        return seed, trips, teachers_of(inst, seed), "OPTIMAL"
    model, v, value = build_model(inst, options, requests, kept, fixed)
    costs = [
        _change_cost(inst, o, before[o.request]) if o.request in before else 0 for o in options
    ]
    # another instructor for a session costs 1 too: reward keeping the old one
    kept_teacher = [v.teach[k] for k in _old_teaching(inst, requests, before) if k in v.teach]
    paid = [(c, x) for c, x in zip(costs, v.x, strict=True) if c]
    # a trip changed, added or dropped is a change too (not a free move to use up)
    trips_changed, most = trip_change(v, set(trips), len(inst.days))
    change = (
        cp_model.LinearExpr.weighted_sum(
            [x for _, x in paid] + kept_teacher, [c for c, _ in paid] + [-1] * len(kept_teacher)
        )
        + len(kept_teacher)
        + trips_changed
    )
    sessions = sum(inst.requests[r].sessions for r in confirmed)
    worst = SITE * sessions + len(kept_teacher) + most + 1
    keep = cp_model.LinearExpr.sum([v.served[r] for r in confirmed])
    model.maximize(worst * keep - change)
    add_hint(model, inst, v, seed, trips)
    solve = SolveParams(time_limit=params.time_limit, workers=params.workers)

    def until_deadline(share: float) -> float:
        return max(0.05, (deadline - time.perf_counter()) * share)

    solver = make_solver(solve, until_deadline(0.6))
    status = solver.solve(
        model, Reporter(inst.region_of_request(inst.requests[requests[0]]), "keep", None)
    )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return seed, trips, teachers_of(inst, seed), "SEED"
    best_keep = round(solver.value(keep)) if confirmed else 0
    best_change = round(solver.value(change))
    proven = status == cp_model.OPTIMAL
    steps: list[tuple[cp_model.LinearExprT, bool]] = [(value, True), (secondary(inst, v), False)]
    for share, (objective, maximise) in zip((0.6, 1.0), steps, strict=True):
        hint_solution(model, solver)
        if confirmed:
            model.add(keep >= best_keep)
        model.add(change <= best_change)
        if maximise:
            model.maximize(objective)
        else:
            model.add(value >= round(solver.objective_value))
            model.minimize(objective)
        nxt = make_solver(solve, until_deadline(share))
        if nxt.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solver = nxt
        else:
            proven = False
    chosen, teachers, moves = v.extract(solver)
    plan = [
        Booking(o.request, -1, o.kind, o.resource, o.day, o.slot, o.site, o.travel) for o in chosen
    ]
    if _score(inst, plan, before, confirmed) < _score(inst, seed, before, confirmed):
        return seed, trips, teachers_of(inst, seed), "SEED"
    return plan, tidy_moves(inst, plan, moves, fixed), teachers, "OPTIMAL" if proven else "FEASIBLE"
