"""The planner's entry point: a validated scenario in, a plan result out.

Pure: no Kafka, metrics, files or environment reads. Steps:

1. index the scenario (``instance``), sort locks into kept and displaced;
2. enumerate pruned options per request (``options``);
3. build a constructive seed (best of value-first greedy and FCFS);
4. per region (regions are independent), build the CP-SAT model, hint it with
   the seed, maximise served value, then - value held - minimise container
   km and pupil travel;
5. keep whichever of solver plan and seed is better (never worse than the
   seed), hand out unit and instructor names, explain every unserved request.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from schemas.scenario import LockedSession, Scenario
from schemas.schedule import SCHEDULE_FORMAT, ContainerMove, Displaced, Schedule, Session, Unserved
from services.planner import finalize
from services.planner.greedy import construct, fcfs_order, seed_order, served_requests
from services.planner.instance import Instance, build_instance
from services.planner.ledger import Booking, Ledger
from services.planner.locks import DisplacedLock, KeptLock, check_locks
from services.planner.model.build import add_hint, build_model
from services.planner.model.objective import lock_bonus, secondary
from services.planner.model.variables import Move
from services.planner.options import CONTAINER, FIXED, Option, candidates, expand, staff_days
from services.planner.reasons import explain_unserved
from services.planner.tidy_moves import tidy_moves


@dataclass(frozen=True)
class Progress:
    """One progress report: the region being solved and its incumbent/bound."""

    region: str
    phase: str
    incumbent: float
    bound: float
    elapsed: float


@dataclass(frozen=True)
class SolveParams:
    time_limit: float = 10.0
    workers: int = 0  # 0: all cores
    seed: int = 0
    secondary_share: float = 0.25  # of each region's time, for km and travel
    baseline_only: bool = False  # return the FCFS plan (``--baseline fcfs``)
    on_progress: Callable[[Progress], None] | None = None


@dataclass
class PlanResult:
    status: str
    sessions: list[Session]
    moves: list[ContainerMove]
    unserved: list[Unserved]
    displaced: list[Displaced]
    served_value: int
    requested_value: int
    container_km: float
    pupil_travel_minutes: float
    bound: float | None
    solve_seconds: float
    fcfs_value: int
    seed_value: int
    first_plan_seconds: float = 0.0  # until the constructive seed existed
    region_status: dict[str, str] = field(default_factory=dict)

    def to_schedule(self, scenario_name: str) -> Schedule:
        return Schedule.model_validate(
            {
                "format": SCHEDULE_FORMAT,
                "scenario": scenario_name,
                "sessions": self.sessions,
                "container_moves": self.moves,
                "unserved": self.unserved,
                "displaced": self.displaced,
                "metrics": {
                    "served_value": self.served_value,
                    "requested_value": self.requested_value,
                    "container_km": round(self.container_km, 1),
                    "solve_seconds": round(self.solve_seconds, 3),
                    "bound": self.bound,
                    "status": self.status,
                    "pupil_travel_minutes": round(self.pupil_travel_minutes, 1),
                    "fcfs_value": self.fcfs_value,
                },
            },
            strict=False,
        )


def solve(scenario: Scenario, params: SolveParams = SolveParams()) -> PlanResult:
    started = time.perf_counter()
    inst = build_instance(scenario)
    kept, displaced = check_locks(inst)
    staffed = staff_days(inst)
    options_of: list[list[Option]] = []
    for r, req in enumerate(inst.requests):
        options_of.append(expand(inst, r, candidates(inst, req, staffed)))
    kept, more = _drop_unplaceable_locks(inst, kept, options_of)
    displaced += more
    fcfs_plan = _constructive(inst, kept, fcfs_order(inst))
    fcfs_value = _value(inst, fcfs_plan)
    seed_plan = _constructive(inst, kept, seed_order(inst, [len(o) for o in options_of]))
    if _objective(inst, fcfs_plan, kept) > _objective(inst, seed_plan, kept):
        seed_plan = fcfs_plan
    first_plan = time.perf_counter() - started
    plan, moves, teachers = list(seed_plan), [], {}
    status, bound, region_status = "FCFS" if params.baseline_only else "SEED", None, {}
    if not params.baseline_only:
        plan, moves, teachers, status, bound, region_status = _optimise(
            inst, kept, options_of, seed_plan, params, started
        )
    else:
        plan = fcfs_plan
    return _result(
        inst, plan, moves, teachers, kept, displaced, status, bound, region_status,
        fcfs_value, _value(inst, seed_plan), time.perf_counter() - started, first_plan,
    )


def _constructive(inst: Instance, kept: Sequence[KeptLock], order: list[int]) -> list[Booking]:
    """Greedy plan with containers kept still; locks that need a move are left to the model."""
    ledger = Ledger(inst)
    seeded: list[Booking] = []
    skip: set[int] = set()
    for lock in kept:
        box_away = lock.kind == CONTAINER and (
            lock.site not in (None, inst.boxes[lock.resource].start_site) or not _start_ok(inst, lock)
        )
        if box_away:
            skip.add(lock.request)
    for lock in kept:
        if lock.request in skip:
            continue
        site = inst.pools[lock.resource].site if lock.kind == FIXED else inst.boxes[lock.resource].start_site
        travel = inst.travel.car_minutes(inst.requests[lock.request].site, site)
        b = Booking(lock.request, lock.lock.index, lock.kind, lock.resource, lock.day, lock.slot, site, travel, lock.staff)
        if inst.staff is not None and b.staff is None:
            b.staff = ledger.pick_staff(_as_option(b))
            if b.staff is None:
                skip.add(lock.request)
                continue
        ledger.book(b)
        seeded.append(b)
    # a locked request whose other locks could not be seeded is left out whole
    for b in [b for b in seeded if b.request in skip]:
        ledger.release(b)
    seeded = [b for b in seeded if b.request not in skip]
    order = [r for r in order if r not in skip]
    plan, _ = construct(inst, order, containers_fixed=True, ledger=ledger, kept=seeded)
    served = served_requests(plan, inst)
    return [b for b in plan if b.request in served]


def _as_option(b: Booking) -> Option:
    return Option(b.request, b.kind, b.resource, b.day, b.slot, b.site, b.travel)


def _start_ok(inst: Instance, lock: KeptLock) -> bool:
    req = inst.requests[lock.request]
    start = inst.boxes[lock.resource].start_site
    return (
        inst.travel.car_minutes(req.site, start) <= req.max_travel_minutes
        and lock.day not in inst.site_closed[start]
    )


def _drop_unplaceable_locks(
    inst: Instance, kept: list[KeptLock], options_of: list[list[Option]]
) -> tuple[list[KeptLock], list[DisplacedLock]]:
    keys = {
        (o.request, o.kind, o.resource, o.day, o.slot, o.site) for opts in options_of for o in opts
    }
    anywhere = {k[:5] for k in keys}
    ok, gone = [], []
    for lock in kept:
        key = (lock.request, lock.kind, lock.resource, lock.day, lock.slot)
        if (key + (lock.site,) in keys) if lock.site else (key in anywhere):
            ok.append(lock)
        else:
            gone.append(
                DisplacedLock(
                    lock.lock,
                    "no longer fits the request (window, calendars, travel limit or no "
                    "free instructor that day)",
                )
            )
    return ok, gone


def _value(inst: Instance, plan: Sequence[Booking]) -> int:
    return sum(inst.requests[r].value for r in served_requests(plan, inst))


def _objective(inst: Instance, plan: Sequence[Booking], kept: Sequence[KeptLock]) -> int:
    locked = {k.request for k in kept}
    bonus = lock_bonus(inst)
    return sum(
        inst.requests[r].value + (bonus if r in locked else 0) for r in served_requests(plan, inst)
    )


Teachers = dict[tuple[int, int, str, str], list[int]]


def _optimise(
    inst: Instance,
    kept: list[KeptLock],
    options_of: list[list[Option]],
    seed_plan: list[Booking],
    params: SolveParams,
    started: float,
) -> tuple[list[Booking], list[Move], Teachers, str, float | None, dict[str, str]]:
    regions: dict[str, list[int]] = defaultdict(list)
    for r, req in enumerate(inst.requests):
        regions[inst.region_of_request(req)].append(r)
    sizes = {g: sum(len(options_of[r]) for r in rs) + 1 for g, rs in regions.items()}
    total = sum(sizes.values())
    plan: list[Booking] = []
    moves: list[Move] = []
    teachers: Teachers = {}
    statuses: dict[str, str] = {}
    bound_total = 0.0
    budget = max(0.1, params.time_limit - (time.perf_counter() - started))
    for region in sorted(regions, key=lambda g: -sizes[g]):
        share = budget * sizes[region] / total
        rs = regions[region]
        wanted = set(rs)
        seed = [b for b in seed_plan if b.request in wanted]
        region_kept = [k for k in kept if k.request in wanted]
        options = [o for r in rs for o in options_of[r]]
        out = _solve_region(inst, region, rs, options, region_kept, seed, share, params)
        plan += out[0]
        moves += out[1]
        teachers.update(out[2])
        statuses[region] = out[3]
        bound_total += out[4]
    worst = "OPTIMAL" if all(s == "OPTIMAL" for s in statuses.values()) else "FEASIBLE"
    return plan, moves, teachers, worst, bound_total, statuses


def _solve_region(
    inst: Instance,
    region: str,
    requests: list[int],
    options: list[Option],
    kept: list[KeptLock],
    seed: list[Booking],
    seconds: float,
    params: SolveParams,
) -> tuple[list[Booking], list[Move], Teachers, str, float]:
    """Solve one region; return the seed itself when the solver does no better."""
    seed_teachers = _teachers_of(inst, seed)
    seed_value = _objective(inst, seed, kept)
    plain_bound = float(sum(inst.requests[r].value for r in requests))
    if not options:
        return seed, [], seed_teachers, "OPTIMAL", 0.0
    model, v, value = build_model(inst, options, requests, kept)
    add_hint(model, inst, v, seed)
    solver = _solver(params, seconds * (1 - params.secondary_share))
    callback = _Reporter(region, "value", params.on_progress)
    status = solver.solve(model, callback)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return seed, [], seed_teachers, "SEED", plain_bound
    if solver.objective_value < seed_value:
        return seed, [], seed_teachers, "SEED", min(plain_bound, _strip_bonus(inst, kept, solver))
    best = round(solver.objective_value)
    bound = min(plain_bound, _strip_bonus(inst, kept, solver))
    proven = status == cp_model.OPTIMAL
    chosen, teachers, moves = v.extract(solver)
    # second phase: value held, fewer container km, then less pupil travel
    model.clear_hints()
    for var in v.x:
        model.add_hint(var, bool(solver.value(var)))
    model.add(value >= best)
    model.minimize(secondary(inst, v))
    solver2 = _solver(params, max(0.2, seconds * params.secondary_share))
    status2 = solver2.solve(model, _Reporter(region, "km+travel", params.on_progress))
    if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen, teachers, moves = v.extract(solver2)
    plan = [
        Booking(o.request, -1, o.kind, o.resource, o.day, o.slot, o.site, o.travel)
        for o in chosen
    ]
    moves = tidy_moves(inst, plan, moves)
    return plan, moves, teachers, "OPTIMAL" if proven else "FEASIBLE", bound


def _strip_bonus(inst: Instance, kept: Sequence[KeptLock], solver: cp_model.CpSolver) -> float:
    """The solver's bound in plain served value (lock bonuses removed)."""
    locked = {k.request for k in kept}
    return float(solver.best_objective_bound) - lock_bonus(inst) * len(locked)


def _solver(params: SolveParams, seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.num_workers = params.workers
    solver.parameters.random_seed = params.seed
    return solver


def _teachers_of(inst: Instance, plan: Sequence[Booking]) -> Teachers:
    out: Teachers = defaultdict(list)
    for b in plan:
        if b.staff is not None:
            out[(b.day, b.slot, b.site, inst.requests[b.request].equipment_type)].append(b.staff)
    return dict(out)


class _Reporter(cp_model.CpSolverSolutionCallback):
    def __init__(self, region: str, phase: str, sink: Callable[[Progress], None] | None) -> None:
        super().__init__()
        self.region, self.phase, self.sink = region, phase, sink
        self.started = time.perf_counter()

    def on_solution_callback(self) -> None:
        if self.sink is not None:
            self.sink(
                Progress(
                    self.region,
                    self.phase,
                    self.objective_value,
                    self.best_objective_bound,
                    time.perf_counter() - self.started,
                )
            )


def _result(
    inst: Instance,
    plan: list[Booking],
    moves: list[Move],
    teachers: Teachers,
    kept: list[KeptLock],
    displaced: list[DisplacedLock],
    status: str,
    bound: float | None,
    region_status: dict[str, str],
    fcfs_value: int,
    seed_value: int,
    seconds: float,
    first_plan: float,
) -> PlanResult:
    served = served_requests(plan, inst)
    plan = [b for b in plan if b.request in served]
    if not teachers:
        teachers = _teachers_of(inst, plan)
    finalize.hand_out_staff(inst, plan, teachers, kept)
    finalize.name_units(inst, plan, kept)
    finalize.number_sessions(inst, plan, kept)
    lost = [k for k in kept if k.request not in served]
    displaced_rows = [_displaced(d.lock, d.reason) for d in displaced] + [
        _displaced(k.lock, "the request could no longer be served whole") for k in lost
    ]
    unserved = [explain_unserved(inst, r) for r in range(len(inst.requests)) if r not in served]
    pupil_travel = sum(b.travel for b in plan if inst.requests[b.request].audience == "pupils")
    return PlanResult(
        status=status,
        sessions=finalize.sessions_of(inst, plan),
        moves=finalize.moves_of(inst, moves),
        unserved=unserved,
        displaced=displaced_rows,
        served_value=sum(inst.requests[r].value for r in served),
        requested_value=sum(r.value for r in inst.requests),
        container_km=sum(inst.travel.road_km(m.origin, m.target) for m in moves),
        pupil_travel_minutes=pupil_travel,
        bound=bound,
        solve_seconds=seconds,
        fcfs_value=fcfs_value,
        seed_value=seed_value,
        first_plan_seconds=first_plan,
        region_status=region_status,
    )


def _displaced(lock: LockedSession, reason: str) -> Displaced:
    data = lock.model_dump(exclude_none=True)
    return Displaced.model_validate({**data, "reason": reason}, strict=False)
