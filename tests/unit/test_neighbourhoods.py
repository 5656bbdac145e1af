"""The domain-shaped neighbourhood search: never worse, always feasible, and it helps."""

from __future__ import annotations

import json

from ortools.sat.python import cp_model

from schemas.scenario import Scenario
from services.planner.instance import Instance, build_instance
from services.planner.locks import check_locks
from services.planner.model.build import build_model
from services.planner.model.neighbourhoods import Assignment, assignment_of, improve
from services.planner.model.variables import PlanVars
from services.planner.options import candidates, expand, staff_days
from services.planner.solve import SolveParams, make_solver, solve
from services.scenarios.generator import generate
from services.validator import validate


def _region_model(requests: int) -> tuple[cp_model.CpModel, Instance, PlanVars]:
    scenario = Scenario.model_validate_json(json.dumps(generate(3, requests, 1)))
    inst = build_instance(scenario)
    kept, _ = check_locks(inst)
    staffed = staff_days(inst)
    options = [
        o
        for r, q in enumerate(inst.requests)
        for o in expand(inst, r, candidates(inst, q, staffed))
    ]
    model, v, _ = build_model(inst, options, list(range(len(inst.requests))), kept)
    return model, inst, v


def _first_solution(model: cp_model.CpModel) -> Assignment:
    solver = cp_model.CpSolver()
    solver.parameters.stop_after_first_solution = True
    solver.parameters.num_workers = 1
    assert solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return assignment_of(model, solver)


def _feasible(model: cp_model.CpModel, values: list[int]) -> bool:
    """The assignment satisfies every constraint of ``model`` (CP-SAT checks it)."""
    check = model.clone()
    for i, value in enumerate(values):
        check.add(check.get_int_var_from_proto_index(i) == value)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 30
    return solver.solve(check) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def test_improve_finds_a_better_feasible_plan_from_a_poor_start() -> None:
    model, inst, v = _region_model(120)
    start = _first_solution(model)
    better = improve(model, inst, v, start, 6.0, lambda s: make_solver(SolveParams(workers=2), s))
    assert better.objective > start.objective
    assert _feasible(model, better.values)
    # the objective it reports is the model's objective of those values
    served = sum(inst.requests[r].value * better.values[var.index] for r, var in v.served.items())
    assert served == better.objective


def test_improve_never_returns_worse_and_reports_each_gain() -> None:
    model, inst, v = _region_model(60)
    start = _first_solution(model)
    heard: list[float] = []
    better = improve(
        model,
        inst,
        v,
        start,
        3.0,
        lambda s: make_solver(SolveParams(workers=2), s),
        on_better=heard.append,
    )
    assert better.objective >= start.objective
    assert heard == sorted(heard)
    assert (heard[-1] if heard else start.objective) == better.objective


def test_solve_with_neighbourhoods_gives_a_valid_plan_at_least_the_seed() -> None:
    scenario = Scenario.model_validate_json(json.dumps(generate(5, 150, 2)))
    result = solve(scenario, SolveParams(time_limit=8, workers=2, neighbourhood_share=0.9))
    assert validate(scenario, result.to_schedule("t")) == []
    assert result.served_value >= result.seed_value >= result.fcfs_value
    assert result.bound is None or result.bound >= result.served_value
