"""The benchmark's independent bound: a valid bound, exact where it should be."""

from __future__ import annotations

import pytest
from ortools.sat.python import cp_model

from benchmarks.cp_to_mip import UnsupportedModel, to_mip
from benchmarks.independent_bound import bound_model, scenario_bound
from services.planner.solve import SolveParams, solve
from tests.builders import container, parse, request, world


def cp_optimum(model: cp_model.CpModel) -> float:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    assert solver.solve(model) == cp_model.OPTIMAL
    return solver.objective_value


def knapsack() -> cp_model.CpModel:
    """Optimum 8 (a, c); the LP adds a third of b: 8 + 4/3."""
    model = cp_model.CpModel()
    a, b, c = (model.new_bool_var(n) for n in "abc")
    model.add(2 * a + 3 * b + c <= 4)
    model.maximize(5 * a + 4 * b + 3 * c)
    return model


def assignment() -> cp_model.CpModel:
    """Two people, two jobs, one each at most: totally unimodular, so the LP is integral."""
    model = cp_model.CpModel()
    gain = {(0, 0): 3, (0, 1): 2, (1, 0): 4, (1, 1): 1}
    x = {k: model.new_bool_var(f"x{k}") for k in gain}
    for i in range(2):
        model.add_at_most_one(x[(i, j)] for j in range(2))
        model.add_exactly_one([x[(j, i)] for j in range(2)] + [model.new_bool_var(f"idle{i}")])
    model.maximize(sum(g * x[k] for k, g in gain.items()))
    return model


def test_lp_bound_is_above_the_optimum() -> None:
    model = knapsack()
    bound = bound_model(model, mip_seconds=5)
    assert cp_optimum(model) == 8
    assert bound.maximize and bound.lp == pytest.approx(8 + 4 / 3)
    assert bound.mip == pytest.approx(8) and bound.incumbent == pytest.approx(8)
    assert bound.best == pytest.approx(8)


def test_lp_bound_equals_the_optimum_when_integral() -> None:
    model = assignment()
    bound = bound_model(model, mip_seconds=5)
    assert cp_optimum(model) == 6
    assert bound.lp == pytest.approx(6)


def test_translation_keeps_every_supported_kind() -> None:
    """Enforcement, negated literals, holey domains, offset: the MIP optimum is CP-SAT's."""
    model = cp_model.CpModel()
    p, q, r = (model.new_bool_var(n) for n in "pqr")
    y = model.new_int_var_from_domain(cp_model.Domain.from_intervals([[0, 2], [5, 7]]), "y")
    z = model.new_int_var(0, 10, "z")
    model.add(y + z == 8).only_enforce_if(p)
    model.add_linear_expression_in_domain(
        z - y, cp_model.Domain.from_intervals([[-10, -3], [4, 4]])
    ).only_enforce_if(~q)
    model.add_bool_or([~p, q, r])
    model.add_bool_and([~r]).only_enforce_if(q)
    model.add_at_most_one([p, q, r])
    model.add_exactly_one([p, ~q])
    model.minimize(3 * z - 2 * y + 4 * q - r + 7)
    bound = bound_model(model, mip_seconds=5)
    assert not bound.maximize
    assert bound.lp <= cp_optimum(model) + 1e-6
    assert bound.incumbent == pytest.approx(cp_optimum(model))
    assert bound.mip == pytest.approx(cp_optimum(model))


def test_unsupported_constraint_is_refused() -> None:
    model = cp_model.CpModel()
    a, b = model.new_bool_var("a"), model.new_bool_var("b")
    model.add_bool_xor([a, b])
    with pytest.raises(UnsupportedModel, match="bool_xor"):
        to_mip(model)


def test_scenario_bound_is_above_the_planners_value() -> None:
    data = world(
        containers=[container()],
        requests=[
            request("far-kids", site="far", max_travel_minutes=15, sessions=2, min_gap_days=2),
            request("near-kids", sessions=2),
            request("big", group_size=12, sessions=3, priority=2),
        ],
    )
    scenario = parse(data)
    result = solve(scenario, SolveParams(time_limit=5, workers=2))
    bound = scenario_bound(scenario, mip_seconds=5)
    assert result.served_value <= bound.best <= bound.lp <= result.requested_value
    assert bound.incumbent == result.served_value  # SCIP proves the same optimum
