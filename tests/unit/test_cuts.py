"""Valid inequalities (``model/cuts.py``): no plan lost, a tighter LP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from benchmarks.cp_to_mip import to_mip
from schemas.scenario import Scenario
from services.planner.instance import Instance, build_instance
from services.planner.locks import KeptLock, check_locks
from services.planner.model import build, cuts
from services.planner.model.variables import PlanVars
from services.planner.options import CONTAINER, Option, candidates, expand, staff_days
from services.planner.solve import SolveParams, solve
from services.scenarios.generator import generate
from services.validator import validate

RULES_ONLY = tuple(rule for rule in build.HARD_RULES if rule.__module__.endswith(".rules"))


@dataclass
class Region:
    name: str
    inst: Instance
    options: list[Option]
    requests: list[int]
    kept: list[KeptLock]

    def model(self, with_cuts: bool) -> tuple[cp_model.CpModel, PlanVars]:
        saved = build.HARD_RULES
        build.HARD_RULES = saved if with_cuts else RULES_ONLY
        try:
            model, v, _ = build.build_model(self.inst, self.options, self.requests, self.kept)
        finally:
            build.HARD_RULES = saved
        return model, v


def scenario(seed: int, requests: int, regions: int) -> Scenario:
    return Scenario.model_validate_json(json.dumps(generate(seed, requests, regions)))


def regions_of(seed: int, requests: int, regions: int) -> Iterator[Region]:
    inst = build_instance(scenario(seed, requests, regions))
    kept, _ = check_locks(inst)
    staffed = staff_days(inst)
    options_of = [
        expand(inst, r, candidates(inst, q, staffed)) for r, q in enumerate(inst.requests)
    ]
    by_region: dict[str, list[int]] = {}
    for r, q in enumerate(inst.requests):
        by_region.setdefault(inst.region_of_request(q), []).append(r)
    for name, rs in sorted(by_region.items()):
        yield Region(name, inst, [o for r in rs for o in options_of[r]], rs, kept)


def optimum(model: cp_model.CpModel) -> float:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 120
    assert solver.solve(model) == cp_model.OPTIMAL
    return solver.objective_value


def lp_bound(model: cp_model.CpModel) -> float:
    lp = pywraplp.Solver.CreateSolver("GLOP")
    assert not lp.LoadModelFromProto(to_mip(model, integer=False))
    assert lp.Solve() == pywraplp.Solver.OPTIMAL
    return float(lp.Objective().Value())


def test_the_cuts_are_in_the_model() -> None:
    assert cuts.container_presence in build.HARD_RULES
    assert len(RULES_ONLY) == len(build.HARD_RULES) - 1


# staff and one container per region in every case; (2, 80, 2) moves its
# container in nordland's LP and is where the cuts bite
@pytest.mark.parametrize("seed,requests,regions", [(1, 60, 1), (2, 80, 2), (5, 80, 2)])
def test_exact_optimum_is_the_same_with_and_without_cuts(
    seed: int, requests: int, regions: int
) -> None:
    for region in regions_of(seed, requests, regions):
        plain, v = region.model(with_cuts=False)
        tight, _ = region.model(with_cuts=True)
        assert v.at and v.teach  # a container and instructors are in play
        assert optimum(tight) == optimum(plain), region.name


def test_plans_with_container_moves_satisfy_the_cuts() -> None:
    """Whole plans from the uncut model, each with a forced move, break no cut."""
    region = next(r for r in regions_of(2, 80, 2) if r.name == "nordland")
    plain, v = region.model(with_cuts=False)
    box = region.inst.boxes[next(iter(v.at))[0]]
    outward = sorted(
        (m for m in v.moves if m.origin == box.start_site and m.depart % 10 == 0),
        key=lambda m: (m.depart, m.target),
    )
    assert len(outward) >= 4
    used_after_move = 0
    for move in outward[:: max(1, len(outward) // 6)]:
        forced = plain.clone()
        forced.add(forced.get_int_var_from_proto_index(v.moves[move].index) == 1)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 2
        solver.parameters.max_time_in_seconds = 10
        assert solver.solve(forced) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        values = [
            int(solver.value(forced.get_int_var_from_proto_index(i)))
            for i in range(len(forced.proto.variables))
        ]
        used_after_move += any(
            values[var.index]
            for o, var in zip(v.options, v.x, strict=True)
            if o.kind == CONTAINER and o.site == move.target and o.day >= move.ready
        )
        # the same plan, every variable fixed, in the model with the cuts
        check = plain.clone()
        cuts.container_presence(check, region.inst, v)
        for i, value in enumerate(values):
            check.add(check.get_int_var_from_proto_index(i) == value)
        assert cp_model.CpSolver().solve(check) == cp_model.OPTIMAL, move
    assert used_after_move  # some plan served sessions at a pad it moved to


def test_the_cuts_lower_the_lp_bound() -> None:
    lowered = []
    for seed, requests, regions in [(1, 60, 1), (2, 80, 2)]:
        for region in regions_of(seed, requests, regions):
            plain = lp_bound(region.model(with_cuts=False)[0])
            tight = lp_bound(region.model(with_cuts=True)[0])
            assert tight <= plain + 1e-6
            lowered.append(plain - tight)
    assert max(lowered) > 5  # nordland of (2, 80, 2): 626 -> 616.3


def test_plans_with_the_cuts_pass_the_validator() -> None:
    data = scenario(2, 80, 2)
    result = solve(data, SolveParams(time_limit=10, workers=2))
    assert result.sessions
    assert validate(data, result.to_schedule("cuts")) == []


def test_spaced_days_count_the_most_sessions_the_gap_allows() -> None:
    inst = build_instance(scenario(1, 10, 1))
    days = list(range(10))  # two working weeks, Monday 4 January 2027 on
    assert cuts._spaced(inst, days, 0) == 10
    assert cuts._spaced(inst, days, 1) == 10
    assert cuts._spaced(inst, days, 7) == 2  # Mondays only
    assert cuts._spaced(inst, [0, 1, 5], 3) == 2  # Mon 4, Mon 11
