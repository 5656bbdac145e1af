"""What the live path serves: earliest-first vs least-contested placement. Prints numbers.

    python -m benchmarks.live_placement [--quick]

The streaming scheduler confirms each request on arrival and never moves it
again, so *where* it puts a request decides what later requests can get.
This replays scenarios through ``LivePlan`` exactly as the worker decides
them - a plan built from the catalogue alone, requests added one at a time
in ``submitted_at`` order, containers where they stand - once with the
earliest feasible sessions (``try_add(ranked=False)``) and once with the
least contested ones (the default, ``services/planner/pressure.py``), and
prints served value, where in their windows sessions land, decision time,
and the validator's verdict on both plans. The demo is the shipped
Agder/Nordland scenario ``hubplan demo`` streams; "seed N" are
``generate(seed=N, requests=300)``, "2 regions" ``requests=800, regions=2``. No background optimiser, no
cancellations: the placement rule alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from schemas.scenario import Scenario
from schemas.schedule import SCHEDULE_FORMAT, Schedule
from services.planner.insert import LivePlan
from services.scenarios.generator import generate
from services.scenarios.shipped import load_shipped
from services.validator import validate

SCENARIOS = {
    "demo (shipped)": lambda: load_shipped("agder-nordland-spring-2027"),
    "seed 1": lambda: generate(seed=1, requests=300, regions=1),
    "seed 2": lambda: generate(seed=2, requests=300, regions=1),
    "seed 3": lambda: generate(seed=3, requests=300, regions=1),
    "seed 4": lambda: generate(seed=4, requests=300, regions=1),
    "seed 1, 2 regions": lambda: generate(seed=1, requests=800, regions=2),
    "seed 2, 2 regions": lambda: generate(seed=2, requests=800, regions=2),
}
QUICK = ("demo (shipped)", "seed 1")


@dataclass(frozen=True)
class Replay:
    value: int
    served: int
    window_position: float  # mean of (date - earliest) / (latest - earliest) over sessions
    decision_ms_p50: float
    decision_ms_p99: float
    violations: int


def replay(scenario: Scenario, ranked: bool) -> Replay:
    live = LivePlan(scenario.model_copy(update={"requests": []}), {})
    times: list[float] = []
    for req in sorted(scenario.requests, key=lambda r: r.submitted_at.astimezone(dt.UTC)):
        start = time.perf_counter()
        live.try_add(req, ranked=ranked)
        times.append((time.perf_counter() - start) * 1000)
    by_id = {r.id: r for r in scenario.requests}
    sessions = [s for rid in live.bookings for s in live.sessions(rid)]
    positions = [
        (s.date - by_id[s.request].earliest).days
        / max((by_id[s.request].latest - by_id[s.request].earliest).days, 1)
        for s in sessions
    ]
    value = sum(by_id[rid].value for rid in live.bookings)
    schedule = Schedule.model_validate(
        {
            "format": SCHEDULE_FORMAT,
            "scenario": scenario.name or "replay",
            "sessions": sessions,
            "container_moves": [],
            "unserved": [
                {"request": r.id, "reason": "no-capacity", "detail": "waitlisted"}
                for r in scenario.requests
                if r.id not in live.bookings
            ],
            "metrics": {
                "served_value": value,
                "requested_value": sum(r.value for r in scenario.requests),
                "container_km": 0.0,
                "solve_seconds": 0.0,
            },
        }
    )
    cuts = statistics.quantiles(times, n=100)
    return Replay(
        value=value,
        served=len(live.bookings),
        window_position=statistics.fmean(positions) if positions else 0.0,
        decision_ms_p50=cuts[49],
        decision_ms_p99=cuts[98],
        violations=len(validate(scenario, schedule)),
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="the demo and one generated scenario")
    args = p.parse_args()
    t = Table(title="Live placement: earliest-first vs least-contested (same arrival order)")
    for col in ("scenario", "requests", "rule", "served", "value", "vs earliest"):
        t.add_column(col, justify="left" if col in ("scenario", "rule") else "right")
    for col in ("window position", "decision p50 / p99", "violations"):
        t.add_column(col, justify="right")
    for name, make in SCENARIOS.items():
        if args.quick and name not in QUICK:
            continue
        scenario = Scenario.model_validate_json(json.dumps(make(), default=str))
        base = replay(scenario, ranked=False)
        for rule, result in (("earliest", base), ("least contested", replay(scenario, True))):
            t.add_row(
                name if rule == "earliest" else "",
                str(len(scenario.requests)) if rule == "earliest" else "",
                rule,
                str(result.served),
                f"{result.value:,}",
                f"{result.value / base.value - 1:+.1%}" if base.value else "-",
                f"{result.window_position:.2f}",
                f"{result.decision_ms_p50:.2f} / {result.decision_ms_p99:.2f} ms",
                str(result.violations),
            )
    Console(width=150).print(t)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
