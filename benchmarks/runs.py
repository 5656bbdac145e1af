"""One benchmark measurement, run in a fresh process.

Each solve runs alone in its own interpreter so its peak memory (``VmHWM``)
is its own and no earlier run warms a cache for it. The parent
(``benchmarks.planner``) calls ``run_job``, which starts
``python -m benchmarks.runs JOB ARGS`` and reads one JSON line back.

Jobs:

* ``seed``: the constructive plans alone - time to the first plan, and the
  validator's verdict on both the seed and the FCFS plan;
* ``solve``: the planner under one time limit, its plan validated;
* ``bound``: the independent LP and MIP bounds, with model sizes per region.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from schemas.scenario import Scenario
from services.scenarios.generator import generate
from services.validator import validate

ROOT = Path(__file__).resolve().parent.parent
MARK = "BENCH-RESULT "


@dataclass(frozen=True)
class Spec:
    """A generated benchmark instance: same arguments, same scenario."""

    name: str
    seed: int
    requests: int
    regions: int

    def scenario(self) -> tuple[Scenario, float]:
        """The parsed scenario and the seconds generating and parsing took."""
        started = time.perf_counter()
        data = generate(self.seed, self.requests, self.regions, name=self.name)
        scenario = Scenario.model_validate_json(json.dumps(data))
        return scenario, time.perf_counter() - started


def peak_bytes() -> int:
    """This process's peak resident memory (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def job_solve(spec: Spec, limit: float, workers: int) -> dict[str, Any]:
    from services.planner.solve import SolveParams, solve

    scenario, prepared = spec.scenario()
    started = time.perf_counter()
    result = solve(scenario, SolveParams(time_limit=limit, workers=workers))
    wall = time.perf_counter() - started
    violations = validate(scenario, result.to_schedule(spec.name))
    region_of_site = {site.id: site.region for site in scenario.sites}
    served = {s.request for s in result.sessions}
    by_region: dict[str, int] = {}
    for q in scenario.requests:
        if q.id in served:
            region = region_of_site[q.site]
            by_region[region] = by_region.get(region, 0) + q.priority * q.group_size * q.sessions
    return {
        "limit": limit,
        "prepare_seconds": prepared,
        "wall_seconds": wall,
        "status": result.status,
        "region_status": result.region_status,
        "served_value": result.served_value,
        "served_by_region": by_region,
        "requested_value": result.requested_value,
        "fcfs_value": result.fcfs_value,
        "seed_value": result.seed_value,
        "bound": result.bound,
        "first_plan_seconds": result.first_plan_seconds,
        "solve_seconds": result.solve_seconds,
        "sessions": len(result.sessions),
        "moves": len(result.moves),
        "unserved": len(result.unserved),
        "violations": [str(v) for v in violations[:10]],
        "violation_count": len(violations),
        "peak_bytes": peak_bytes(),
    }


def job_seed(spec: Spec) -> dict[str, Any]:
    from services.planner.solve import SolveParams, solve

    scenario, prepared = spec.scenario()
    fcfs = solve(scenario, SolveParams(baseline_only=True))
    out: dict[str, Any] = {
        "prepare_seconds": prepared,
        "fcfs_value": fcfs.fcfs_value,
        "fcfs_first_plan_seconds": fcfs.first_plan_seconds,
        "fcfs_violations": len(validate(scenario, fcfs.to_schedule(spec.name))),
    }
    try:
        seed_value, seconds, violations = _seed_plan(scenario, spec.name)
    except (ImportError, AttributeError, TypeError) as exc:  # planner internals moved on
        out["seed_error"] = f"{type(exc).__name__}: {exc}"
    else:
        out |= {"seed_value": seed_value, "seed_seconds": seconds, "seed_violations": violations}
    out["peak_bytes"] = peak_bytes()
    return out


def _seed_plan(scenario: Scenario, name: str) -> tuple[int, float, int]:
    """The planner's seed exactly as ``solve`` builds it, validated as a schedule.

    The public API returns the seed only when the solver cannot beat it, so
    this repeats the first steps of ``services.planner.solve.solve`` with the
    same helpers: keep in step with that function.
    """
    from services.planner.greedy import fcfs_order, seed_order
    from services.planner.instance import build_instance
    from services.planner.locks import check_locks
    from services.planner.options import candidates, expand, staff_days
    from services.planner.result import assemble_result
    from services.planner.seeding import (
        constructive_plan,
        drop_unplaceable_locks,
        plan_objective,
        plan_value,
    )

    started = time.perf_counter()
    inst = build_instance(scenario)
    kept, displaced = check_locks(inst)
    staffed = staff_days(inst)
    options_of = [
        expand(inst, r, candidates(inst, q, staffed)) for r, q in enumerate(inst.requests)
    ]
    kept, more = drop_unplaceable_locks(inst, kept, options_of)
    fcfs = constructive_plan(inst, kept, fcfs_order(inst))
    seed = constructive_plan(inst, kept, seed_order(inst, [len(o) for o in options_of]))
    if plan_objective(inst, fcfs, kept) > plan_objective(inst, seed, kept):
        seed = fcfs
    seconds = time.perf_counter() - started
    value = plan_value(inst, seed)
    result = assemble_result(
        inst,
        seed,
        [],
        {},
        kept,
        displaced + more,
        "SEED",
        None,
        {},
        plan_value(inst, fcfs),
        value,
        seconds,
        seconds,
    )
    return value, seconds, len(validate(scenario, result.to_schedule(name)))


def job_bound(spec: Spec, mip_seconds: float) -> dict[str, Any]:
    from benchmarks.independent_bound import scenario_bound

    scenario, prepared = spec.scenario()
    started = time.perf_counter()
    bound = scenario_bound(scenario, mip_seconds=mip_seconds)
    return {
        "prepare_seconds": prepared,
        "wall_seconds": time.perf_counter() - started,
        "lp": bound.lp,
        "mip": bound.mip,
        "best": bound.best,
        "incumbent": bound.incumbent,
        "regions": [
            {
                "region": r.region,
                "requests": r.requests,
                "requested_value": r.requested_value,
                "cp_variables": r.cp_variables,
                "cp_constraints": r.cp_constraints,
                "build_seconds": r.build_seconds,
                "lp": r.lp,
                "mip": r.mip,
                **{k: v for k, v in asdict(r.bound).items() if k not in ("lp", "mip")},
            }
            for r in bound.regions
        ],
        "peak_bytes": peak_bytes(),
    }


def run_job(job: str, spec: Spec, *args: float, timeout: float = 3600) -> dict[str, Any]:
    """Run one job in a child interpreter and return its JSON result."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    argv = [sys.executable, "-m", "benchmarks.runs", job, json.dumps(asdict(spec))]
    argv += [str(a) for a in args]
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(MARK)]
    if done.returncode != 0 or not lines:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        raise RuntimeError(f"{job} {spec.name} failed (exit {done.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(lines[-1][len(MARK) :])
    return result


def main(argv: list[str]) -> None:
    job, spec = argv[0], Spec(**json.loads(argv[1]))
    numbers = [float(a) for a in argv[2:]]
    if job == "solve":
        out = job_solve(spec, numbers[0], int(numbers[1]))
    elif job == "seed":
        out = job_seed(spec)
    elif job == "bound":
        out = job_bound(spec, numbers[0])
    else:
        raise SystemExit(f"unknown job {job!r}")
    print(MARK + json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
