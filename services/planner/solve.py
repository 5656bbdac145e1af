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

from ortools.sat.python import cp_model

from schemas.scenario import Scenario
from services.planner.fairness import add_balance, add_min_share, add_shares, servable_alone
from services.planner.finalize import model_moves
from services.planner.greedy import fcfs_order, seed_order
from services.planner.instance import Instance, build_instance
from services.planner.ledger import Booking
from services.planner.locks import KeptLock, check_locks
from services.planner.model.build import add_hint, build_model
from services.planner.model.neighbourhoods import assignment_of, improve
from services.planner.model.objective import lock_bonus, pupil_travel, secondary
from services.planner.model.variables import Move, Solution
from services.planner.options import Option, candidates, expand, staff_days
from services.planner.plan_result import PlanResult, Progress, SolveParams
from services.planner.result import Teachers, assemble_result, teachers_of
from services.planner.seeding import (
    constructive_plan,
    drop_unplaceable_locks,
    plan_objective,
    plan_value,
)
from services.planner.tidy_moves import tidy_moves

__all__ = ["PlanResult", "Progress", "SolveParams", "solve"]


def solve(scenario: Scenario, params: SolveParams | None = None) -> PlanResult:
    params = params or SolveParams()
    started = time.perf_counter()
    inst = build_instance(scenario)
    kept, displaced = check_locks(inst)
    staffed = staff_days(inst)
    options_of: list[list[Option]] = []
    for r, req in enumerate(inst.requests):
        options_of.append(expand(inst, r, candidates(inst, req, staffed)))
    kept, more = drop_unplaceable_locks(inst, kept, options_of)
    displaced += more
    fcfs_plan = constructive_plan(inst, kept, fcfs_order(inst))
    fcfs_value = plan_value(inst, fcfs_plan)
    seed_plan = constructive_plan(inst, kept, seed_order(inst, [len(o) for o in options_of]))
    if plan_objective(inst, fcfs_plan, kept) > plan_objective(inst, seed_plan, kept):
        seed_plan = fcfs_plan
    first_plan = time.perf_counter() - started
    plan: list[Booking] = list(seed_plan)
    moves: list[Move] = []
    teachers: Teachers = {}
    region_status: dict[str, str] = {}
    status, bound = ("FCFS" if params.baseline_only else "SEED"), None
    if not params.baseline_only:
        plan, moves, teachers, status, bound, region_status = _optimise(
            inst, kept, options_of, seed_plan, params, started
        )
    else:
        plan = fcfs_plan
    return assemble_result(
        inst,
        plan,
        moves,
        teachers,
        kept,
        displaced,
        status,
        bound,
        region_status,
        fcfs_value,
        plan_value(inst, seed_plan),
        time.perf_counter() - started,
        first_plan,
    )


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


FAIR_LEVEL_SHARE = 0.2  # of a region's time, per fair-share level (two levels)


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
    seed_teachers = teachers_of(inst, seed)
    seed_value = plan_objective(inst, seed, kept)
    plain_bound = float(sum(inst.requests[r].value for r in requests))
    if not options:
        return seed, [], seed_teachers, "OPTIMAL", 0.0
    wanted_boxes = {b for b, box in enumerate(inst.boxes) if box.region == region}
    fixed = [m for m in model_moves(inst, params.fixed_moves) if m.box in wanted_boxes]
    model, v, value = build_model(inst, options, requests, kept, fixed)
    add_hint(model, inst, v, seed)
    fair = params.fair_share
    if fair:  # smallest school share, then balance, then total value; each level held
        shares = add_shares(model, inst, v, servable_alone(inst, requests))
        levels = (
            ("fair share", add_min_share(model, shares)),
            ("balance", add_balance(model, shares)),
        )
        for phase, level in levels:
            model.maximize(level)
            solver = make_solver(params, seconds * FAIR_LEVEL_SHARE)
            if solver.solve(model, Reporter(region, phase, params.on_progress)) in (
                cp_model.OPTIMAL,
                cp_model.FEASIBLE,
            ):
                model.add(level >= round(solver.objective_value))
                hint_solution(model, solver)  # feasible under every level so far
        model.maximize(value)
        seconds *= 1 - FAIR_LEVEL_SHARE * len(levels)
    # the value phase: CP-SAT on the whole region, then domain-shaped
    # neighbourhoods (``neighbourhoods``) from its incumbent
    value_seconds = seconds * (1 - params.secondary_share)
    lns_seconds = value_seconds * params.neighbourhood_share
    solver = make_solver(params, value_seconds - lns_seconds)
    locked_served = [v.served[r] for r in sorted({k.request for k in kept}) if r in v.served]
    bonus = lock_bonus(inst)
    status = solver.solve(
        model,
        Reporter(region, "value", params.on_progress, locked_served, bonus, cap=plain_bound),
    )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return seed, [], seed_teachers, "SEED", plain_bound
    proven = status == cp_model.OPTIMAL
    incumbent = assignment_of(model, solver)
    # objective = value + bonus * (locks kept); every plan as good keeps at
    # least as many locks as this one, so this is a bound on plain value
    bonus_paid = bonus * sum(incumbent.value(var) for var in locked_served)
    bound = min(plain_bound, solver.best_objective_bound - bonus_paid)
    if not proven and lns_seconds > 0.5:
        sink, began = params.on_progress, time.perf_counter()
        incumbent = improve(
            model,
            inst,
            v,
            incumbent,
            lns_seconds,
            lambda s: make_solver(params, s),
            params.seed,
            None
            if sink is None
            else lambda objective: sink(
                Progress(
                    region,
                    "neighbourhoods",
                    objective - bonus_paid,
                    bound,
                    time.perf_counter() - began,
                )
            ),
        )
    if incumbent.objective < seed_value and not fair:  # a fair plan may serve less
        return seed, [], seed_teachers, "SEED", bound
    best = round(incumbent.objective)
    chosen, teachers, moves = v.extract(incumbent)
    # second phase: value held, fewer container km, then less pupil travel;
    # hint every variable from the first phase, and skip it when too short
    phase2 = seconds * params.secondary_share
    if phase2 < 0.5:
        plan = [
            Booking(o.request, -1, o.kind, o.resource, o.day, o.slot, o.site, o.travel)
            for o in chosen
        ]
        status_text = "OPTIMAL" if proven else "FEASIBLE"
        return plan, tidy_moves(inst, plan, moves, fixed), teachers, status_text, bound
    hint_solution(model, incumbent)
    model.add(value >= best)
    model.minimize(secondary(inst, v))
    solver2 = make_solver(params, phase2)
    per_km = 10 * (pupil_travel(inst, v)[1] + 1)  # secondary() in container km
    status2 = solver2.solve(
        model, Reporter(region, "container km", params.on_progress, scale=per_km)
    )
    if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen, teachers, moves = v.extract(solver2)
    plan = [
        Booking(o.request, -1, o.kind, o.resource, o.day, o.slot, o.site, o.travel) for o in chosen
    ]
    moves = tidy_moves(inst, plan, moves, fixed)
    return plan, moves, teachers, "OPTIMAL" if proven else "FEASIBLE", bound


def hint_solution(model: cp_model.CpModel, solution: Solution) -> None:
    """Hint every variable with a solution's value, so the next phase starts from it.

    Every variable, auxiliaries included: with presolve off (short limits)
    CP-SAT does not complete a partial hint quickly and may find nothing.
    """
    model.clear_hints()  # type: ignore[no-untyped-call]
    for i in range(len(model.proto.variables)):
        var = model.get_int_var_from_proto_index(i)
        model.add_hint(var, solution.value(var))


def make_solver(params: SolveParams, seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.num_workers = params.workers
    solver.parameters.random_seed = params.seed
    # measured (docs/benchmarks.md): a stronger LP relaxation helps this model
    solver.parameters.linearization_level = 2
    if seconds < 10:
        # CP-SAT reports the (complete, valid) hint only after presolve, which
        # alone took 1.4-5.5 s per region at 800+ requests; with short limits
        # the search starts from the hint at once instead
        solver.parameters.cp_model_presolve = False
    return solver


class Reporter(cp_model.CpSolverSolutionCallback):
    """Progress in the user's units: served value without lock bonuses, km."""

    def __init__(
        self,
        region: str,
        phase: str,
        sink: Callable[[Progress], None] | None,
        locked_served: Sequence[cp_model.IntVar] = (),
        bonus: int = 0,
        scale: float = 1.0,
        cap: float = float("inf"),
    ) -> None:
        """``cap``: the most the bound can be (the region's requested value): CP-SAT's
        bound may still count bonuses of locks the incumbent has not kept yet."""
        super().__init__()
        self.region, self.phase, self.sink = region, phase, sink
        self.locked_served, self.bonus, self.scale = locked_served, bonus, scale
        self.cap = cap
        self.started = time.perf_counter()

    def on_solution_callback(self) -> None:
        if self.sink is None:
            return
        paid = self.bonus * sum(self.value(var) for var in self.locked_served)
        self.sink(
            Progress(
                self.region,
                self.phase,
                (self.objective_value - paid) / self.scale,
                min(self.cap, (self.best_objective_bound - paid) / self.scale),
                time.perf_counter() - self.started,
            )
        )
