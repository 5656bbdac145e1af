"""Re-planning benchmark: prints numbers, asserts nothing.

    python -m benchmarks.replan [--requests 800] [--disruptions 20] [--time-limit 2]

A generated scenario is solved once; then, one at a time, single
disruptions hit a unit that holds sessions (a day out of service). For each:
the minimal-change repair (latency, sessions changed, served value) against
re-solving the disrupted scenario from scratch (sessions changed relative to
the old plan, served value). Targets (issue "Stable re-planning", 800
requests): repair p95 <= 2 s, at least 5x fewer changed sessions than from
scratch, served value after repair >= 98% of the from-scratch value.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from rich.console import Console
from rich.table import Table

from schemas.disruptions import DisruptionList
from schemas.scenario import Scenario
from services.planner.disruptions import apply_disruptions
from services.planner.repair import RepairParams, repair
from services.planner.repair_diff import diff_sessions
from services.planner.solve import SolveParams, solve
from services.scenarios.generator import generate
from services.validator import validate

out = Console()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--requests", type=int, default=800)
    p.add_argument("--disruptions", type=int, default=20)
    p.add_argument("--time-limit", type=float, default=2.0, help="repair time limit (s)")
    p.add_argument("--scratch-limit", type=float, default=20.0, help="from-scratch solve limit (s)")
    p.add_argument("--seed", type=int, default=11)
    args = p.parse_args()
    scenario = Scenario.model_validate_json(
        json.dumps(generate(seed=args.seed, requests=args.requests, regions=1))
    )
    out.print(f"solving the base plan ({args.requests} requests) ...")
    base = solve(scenario, SolveParams(time_limit=60, workers=2)).to_schedule("base")
    rng = random.Random(args.seed)
    rows = []
    for i in range(args.disruptions):
        hit = rng.choice(
            [
                s
                for s in base.sessions
                if not s.resource.startswith(tuple(c.id for c in scenario.containers))
            ]
        )
        event = {
            "kind": "equipment-unavailable",
            "equipment": hit.resource,
            "from": str(hit.date),
            "to": str(hit.date),
            "reason": f"bench {i}",
        }
        events = DisruptionList.model_validate({"disruptions": [event]}, strict=False).disruptions
        after = apply_disruptions(scenario, events, base.container_moves).scenario
        started = time.perf_counter()
        params = RepairParams(time_limit=args.time_limit, workers=2, frozen_days=0, shortcut=True)
        fixed = repair(after, base, params)
        latency = time.perf_counter() - started
        scratch = solve(after, SolveParams(time_limit=args.scratch_limit, workers=2))
        scratch_changes = [
            c for c in diff_sessions(base.sessions, scratch.sessions) if c.kind != "added"
        ]
        valid = not validate(
            after, fixed.plan.to_schedule("r"), allow_frozen=True
        ) and not validate(after, scratch.to_schedule("s"))
        before = {x.request for x in base.sessions}
        scratch_lost = before - {x.request for x in scratch.sessions}
        rows.append(
            {
                "lost": len(fixed.lost),
                "scratch_lost": len(scratch_lost),
                "latency": latency,
                "changed": fixed.changed_sessions,
                "scratch_changed": len(scratch_changes),
                "value": fixed.plan.served_value,
                "scratch_value": scratch.served_value,
                "valid": valid,
            }
        )
        out.print(
            f"  {i + 1:2d}: repair {latency:.2f} s, {fixed.changed_sessions} changed "
            f"(scratch {len(scratch_changes)}), lost {len(fixed.lost)} "
            f"(scratch {len(scratch_lost)}), value {fixed.plan.served_value} "
            f"(scratch {scratch.served_value}){'' if valid else ' INVALID'}"
        )
    lat = sorted(r["latency"] for r in rows)
    p95 = lat[max(0, round(0.95 * len(lat)) - 1)]
    changed = sum(r["changed"] for r in rows)
    scratch_changed = sum(r["scratch_changed"] for r in rows)
    ratio = scratch_changed / changed if changed else float("inf")
    value = statistics.mean(r["value"] / r["scratch_value"] for r in rows if r["scratch_value"])
    t = Table(
        title=f"re-planning, {args.requests} requests, {len(rows)} single disruptions, 2 workers"
    )
    for col in ("measure", "value", "target"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    t.add_row(
        "repair latency p50 / p95", f"{statistics.median(lat):.2f} s / {p95:.2f} s", "p95 <= 2 s"
    )
    t.add_row("sessions changed: repair / from scratch", f"{changed} / {scratch_changed}", "")
    t.add_row("from scratch changes x more", f"{ratio:.1f}x", ">= 5x")
    lost = sum(r["lost"] for r in rows)
    t.add_row(
        "bookings lost: repair / from scratch",
        f"{lost} / {sum(r['scratch_lost'] for r in rows)}",
        "",
    )
    t.add_row("served value after repair / from scratch", f"{value:.1%}", ">= 98%")
    t.add_row("every plan valid", str(all(r["valid"] for r in rows)), "True")
    out.print(t)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
