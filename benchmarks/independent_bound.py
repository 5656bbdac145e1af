"""An upper bound on served value from solvers other than CP-SAT.

CP-SAT reports its own bound, but a bound from the solver being judged is a
weak witness: a bug in its presolve or a too-loose time limit would show up
as a small "gap" nobody can check. Here the planner's own region models are
translated to MIPs (``cp_to_mip``) and bounded by

* GLOP, the LP relaxation solved to optimality (always a valid bound), and
* SCIP (CBC when the wheel lacks SCIP), branch and bound under a time limit,
  whose dual bound is at least as tight as the LP's once the root is solved.

Regions are independent models (as in ``services.planner.solve``), so the
scenario's bound is the sum of per-region bounds, each capped by the region's
requested value. Same model, different solver: this checks the search, not
the formulation (a rule the model gets wrong is the validator's business).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ortools.linear_solver import linear_solver_pb2 as mp
from ortools.linear_solver import pywraplp

from benchmarks.cp_to_mip import as_pb2, to_mip
from schemas.scenario import Scenario
from services.planner.instance import build_instance
from services.planner.locks import check_locks
from services.planner.model.build import build_model
from services.planner.options import candidates, expand, staff_days

_STATUS = {
    pywraplp.Solver.OPTIMAL: "OPTIMAL",
    pywraplp.Solver.FEASIBLE: "FEASIBLE",
    pywraplp.Solver.INFEASIBLE: "INFEASIBLE",
    pywraplp.Solver.UNBOUNDED: "UNBOUNDED",
    pywraplp.Solver.ABNORMAL: "ABNORMAL",
    pywraplp.Solver.NOT_SOLVED: "NOT_SOLVED",
}


class BoundError(RuntimeError):
    """A solver could not produce a valid bound (load error, LP not optimal)."""


@dataclass(frozen=True)
class ModelBound:
    """Bounds on one model's objective, in CP-SAT's objective units.

    For a maximisation ``lp`` and ``mip`` are upper bounds (for a
    minimisation, lower bounds); ``incumbent`` is the best solution the MIP
    solver found, if any.
    """

    maximize: bool
    lp: float
    mip: float
    incumbent: float | None
    mip_status: str
    mip_solver: str
    lp_seconds: float
    mip_seconds: float
    columns: int
    rows: int

    @property
    def best(self) -> float:
        return min(self.lp, self.mip) if self.maximize else max(self.lp, self.mip)


def mip_solver_name() -> str:
    """SCIP when this ortools wheel has it, else CBC."""
    return "SCIP" if pywraplp.Solver.CreateSolver("SCIP") is not None else "CBC"


def _load(name: str, proto: mp.MPModelProto) -> pywraplp.Solver:
    solver = pywraplp.Solver.CreateSolver(name)
    if solver is None:
        raise BoundError(f"solver {name} is not available in this ortools build")
    error = solver.LoadModelFromProto(proto)
    if error:
        raise BoundError(f"{name} rejected the translated model: {error}")
    return solver


def bound_model(model: Any, *, mip_seconds: float, mip_solver: str | None = None) -> ModelBound:
    """LP-relaxation and time-limited MIP bounds of a CP-SAT model.

    ``model``: a ``CpModel``, its ``.proto``, or a ``cp_model_pb2.CpModelProto``.
    """
    proto = as_pb2(model)
    relaxed = to_mip(proto, integer=False)
    maximize = relaxed.maximize
    worst = math.inf if maximize else -math.inf

    started = time.perf_counter()
    lp = _load("GLOP", relaxed)
    status = lp.Solve()
    lp_seconds = time.perf_counter() - started
    if status == pywraplp.Solver.INFEASIBLE:
        lp_value = -worst  # nothing feasible: any objective value is beaten
    elif status == pywraplp.Solver.OPTIMAL:
        lp_value = lp.Objective().Value()
    else:
        # an unfinished simplex value is not a bound
        raise BoundError(f"GLOP ended {_STATUS.get(status, status)} on the LP relaxation")

    name = mip_solver or mip_solver_name()
    integral = to_mip(proto, integer=True)
    started = time.perf_counter()
    mip = _load(name, integral)
    mip.SetTimeLimit(max(1, int(mip_seconds * 1000)))
    status = mip.Solve()
    mip_seconds_used = time.perf_counter() - started
    incumbent = None
    if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        incumbent = mip.Objective().Value()
    if status == pywraplp.Solver.INFEASIBLE:
        mip_bound = -worst
    elif incumbent is not None:
        mip_bound = mip.Objective().BestBound()
    else:
        # stopped before a first solution (often still in presolve on big
        # regions): MPSolver then reports a bound of 0, which is no bound
        mip_bound = worst
    if not math.isfinite(mip_bound):
        mip_bound = worst
    return ModelBound(
        maximize=maximize,
        lp=lp_value,
        mip=mip_bound,
        incumbent=incumbent,
        mip_status=_STATUS.get(status, str(status)),
        mip_solver=name,
        lp_seconds=lp_seconds,
        mip_seconds=mip_seconds_used,
        columns=len(integral.variable),
        rows=len(integral.constraint),
    )


@dataclass(frozen=True)
class RegionBound:
    region: str
    requests: int
    requested_value: int
    cp_variables: int
    cp_constraints: int
    build_seconds: float
    bound: ModelBound

    @property
    def lp(self) -> int:
        return min(self.requested_value, _floor(self.bound.lp))

    @property
    def mip(self) -> int:
        return min(self.requested_value, _floor(self.bound.mip))

    @property
    def best(self) -> int:
        return min(self.lp, self.mip)


@dataclass(frozen=True)
class ScenarioBound:
    regions: list[RegionBound]

    @property
    def lp(self) -> int:
        return sum(r.lp for r in self.regions)

    @property
    def mip(self) -> int:
        return sum(r.mip for r in self.regions)

    @property
    def best(self) -> int:
        return sum(r.best for r in self.regions)

    @property
    def incumbent(self) -> int | None:
        found = [r.bound.incumbent for r in self.regions]
        if any(v is None for v in found):
            return None
        return sum(round(v) for v in found if v is not None)


def _floor(value: float) -> int:
    """Served value is an integer: round a float bound down, allowing solver tolerance."""
    if value == math.inf:
        return 2**62
    return math.floor(value + 1e-6 * max(1.0, abs(value)))


def scenario_bound(
    scenario: Scenario, *, mip_seconds: float, mip_solver: str | None = None
) -> ScenarioBound:
    """Upper bound on the served value of ``scenario``, region by region.

    ``mip_seconds`` is shared between regions by size, as the planner shares
    its time. Scenarios with locks are refused: the planner first drops locks
    that no longer fit and adds a bonus for the rest, and mirroring that here
    would tie the benchmark to planner internals.
    """
    if scenario.locked:
        raise ValueError("scenario_bound handles unlocked scenarios only")
    inst = build_instance(scenario)
    kept, _ = check_locks(inst)
    staffed = staff_days(inst)
    options_of = [
        expand(inst, r, candidates(inst, req, staffed)) for r, req in enumerate(inst.requests)
    ]
    regions: dict[str, list[int]] = defaultdict(list)
    for r, req in enumerate(inst.requests):
        regions[inst.region_of_request(req)].append(r)
    sizes = {g: sum(len(options_of[r]) for r in rs) + 1 for g, rs in regions.items()}
    total = sum(sizes.values())
    out = []
    for region in sorted(regions, key=lambda g: -sizes[g]):
        rs = regions[region]
        requested = sum(inst.requests[r].value for r in rs)
        started = time.perf_counter()
        model, _, _ = build_model(inst, [o for r in rs for o in options_of[r]], rs, kept)
        built = time.perf_counter() - started
        proto = as_pb2(model)
        share = mip_seconds * sizes[region] / total
        out.append(
            RegionBound(
                region=region,
                requests=len(rs),
                requested_value=requested,
                cp_variables=len(proto.variables),
                cp_constraints=len(proto.constraints),
                build_seconds=built,
                bound=bound_model(proto, mip_seconds=share, mip_solver=mip_solver),
            )
        )
    return ScenarioBound(out)
