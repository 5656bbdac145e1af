"""Planner benchmark: plan quality, speed and memory on generated scenarios.

    python -m benchmarks.planner            # full run, about 15 minutes on 2 cores
    python -m benchmarks.planner --quick    # 300 requests, short limits (smoke test)
    python -m benchmarks.planner --only two-regions-800 --limits 600 --mip-seconds 600

Per instance, each in its own process (``benchmarks.runs``): the seed and
FCFS plans (validated), the planner at each time limit (every plan
validated), and the independent LP / MIP bounds (``independent_bound``).
Prints the tables (``benchmarks.report``) and checks the targets listed in
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks.report import render, summary
from benchmarks.runs import Spec, run_job

INSTANCES = [
    Spec("agder-300", 1, 300, 1),
    Spec("two-regions-800", 1, 800, 2),
    Spec("three-regions-1500", 1, 1500, 3),
    Spec("norway-3000", 1, 3000, 6),
]
LIMITS: tuple[float, ...] = (5.0, 20.0, 60.0)
# SCIP's time per instance (shared by region size): its dual bound keeps
# tightening after 60 s, and below ~30 s per 500-request region it rarely
# gets past presolve
MIP_SECONDS = {300: 60.0, 800: 90.0, 1500: 120.0, 3000: 180.0}


def machine() -> dict[str, Any]:
    cpu, mem = "unknown", 0
    try:
        info = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), cpu)
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        mem = next((int(ln.split()[1]) * 1024 for ln in meminfo if ln.startswith("MemTotal:")), 0)
    except OSError:
        pass
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "ram_bytes": mem,
        "python": platform.python_version(),
        "ortools": version("ortools"),
    }


def measure(
    spec: Spec, limits: tuple[float, ...], mip_seconds: float, workers: int
) -> dict[str, Any]:
    say = Console(stderr=True).log
    say(f"{spec.name}: seed and FCFS plans")
    out: dict[str, Any] = {"spec": spec.__dict__, "seed": run_job("seed", spec)}
    out["solves"] = []
    for limit in limits:
        say(f"{spec.name}: solve, {limit:g} s")
        out["solves"].append(run_job("solve", spec, limit, workers))
    say(f"{spec.name}: independent bounds, LP + MIP {mip_seconds:g} s")
    out["bound"] = run_job("bound", spec, mip_seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 requests, 2 s and 5 s only")
    parser.add_argument("--only", help="run only the instance with this name")
    parser.add_argument("--limits", help="comma-separated planner time limits, seconds")
    parser.add_argument("--mip-seconds", type=float, help="SCIP time per instance")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write raw results here")
    args = parser.parse_args()
    specs, limits, mip = INSTANCES, LIMITS, dict(MIP_SECONDS)
    if args.quick:
        specs, limits, mip = INSTANCES[:1], (2.0, 5.0), {300: 5.0}
    if args.only:
        specs = [s for s in specs if s.name == args.only]
        if not specs:
            parser.error(f"no instance {args.only!r}; have {[s.name for s in INSTANCES]}")
    if args.limits:
        limits = tuple(float(x) for x in args.limits.split(","))
    if args.mip_seconds is not None:
        mip = {s.requests: args.mip_seconds for s in specs}
    info = machine()
    started = time.perf_counter()
    raw = [measure(s, limits, mip[s.requests], args.workers) for s in specs]
    rows = [summary(r) for r in raw]
    info["benchmark_seconds"] = time.perf_counter() - started
    render(rows, info)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "raw": raw, "summary": rows}, indent=1))


if __name__ == "__main__":
    main()
