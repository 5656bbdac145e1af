"""Tables and target checks for the planner benchmark's raw results.

``summary`` turns one instance's raw measurements (``benchmarks.runs``) into
headline numbers and target verdicts; ``render`` prints them with rich.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

# the targets (see docs/benchmarks.md)
GAP_TARGET = {300: 0.02, 800: 0.04, 1500: 0.06}
FCFS_MARGIN = (800, 0.15)
FIRST_PLAN_TARGET = (1500, 0.5)
MEMORY_TARGET = (3000, 4 * 1024**3)


def summary(row: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers of one instance, and which targets it meets."""
    spec, solves, bound, seed = row["spec"], row["solves"], row["bound"], row["seed"]
    last = solves[-1]
    served = last["served_value"]
    fcfs = last["fcfs_value"]
    regions = bound["regions"]
    n = spec["requests"]
    out = {
        "name": spec["name"],
        "requests": n,
        "regions": spec["regions"],
        "requested": last["requested_value"],
        "fcfs": fcfs,
        "seed": last["seed_value"],
        "first_plan": max(s["first_plan_seconds"] for s in solves),
        "served": {s["limit"]: s["served_value"] for s in solves},
        "wall": {s["limit"]: s["wall_seconds"] for s in solves},
        "at_seed": {
            s["limit"]: sum(v == "SEED" for v in s["region_status"].values()) for s in solves
        },
        "status": {s["limit"]: s["region_status"] for s in solves},
        "cp_bound": last["bound"],
        "lp": bound["lp"],
        "independent": bound["best"],
        "scip_tighter": sum(r["mip"] < r["lp"] for r in regions),
        "scip_incumbent": bound["incumbent"],
        "gap": (bound["best"] - served) / bound["best"] if bound["best"] else 0.0,
        "over_fcfs": served / fcfs - 1 if fcfs else float("inf"),
        "cp_variables": sum(r["cp_variables"] for r in regions),
        "cp_constraints": sum(r["cp_constraints"] for r in regions),
        "build_seconds": sum(r["build_seconds"] for r in regions),
        "peak_bytes": max(s["peak_bytes"] for s in solves),
        "plans_checked": len(solves) + 1 + ("seed_violations" in seed),
        "violations": sum(s["violation_count"] for s in solves)
        + seed["fcfs_violations"]
        + seed.get("seed_violations", 0),
        "seed_checked": "seed_violations" in seed,
    }
    checks = {"served >= FCFS (every limit)": all(s["served_value"] >= fcfs for s in solves)}
    checks["every plan valid"] = out["violations"] == 0 and out["seed_checked"]
    if n == FCFS_MARGIN[0]:
        checks[f">= {FCFS_MARGIN[1]:.0%} above FCFS"] = out["over_fcfs"] >= FCFS_MARGIN[1]
    if n in GAP_TARGET:
        checks[f"gap <= {GAP_TARGET[n]:.0%}"] = out["gap"] <= GAP_TARGET[n]
    size, seconds = FIRST_PLAN_TARGET
    if n == size:
        checks[f"first plan <= {seconds} s"] = out["first_plan"] <= seconds
    if n == MEMORY_TARGET[0]:
        checks["peak memory < 4 GB"] = out["peak_bytes"] < MEMORY_TARGET[1]
    out["checks"] = checks
    out["per_region"] = [_region(r, last) for r in regions]
    return out


def _region(bound: dict[str, Any], last: dict[str, Any]) -> dict[str, Any]:
    """One region: the planner's value at the longest limit against both bounds."""
    name = bound["region"]
    served = last["served_by_region"].get(name, 0)
    scip = bound["mip"] if bound["mip"] < bound["requested_value"] else None
    best = min(bound["lp"], bound["mip"])
    return {
        "name": name,
        "requests": bound["requests"],
        "requested": bound["requested_value"],
        "served": served,
        "status": last["region_status"].get(name, "-"),
        "lp": bound["lp"],
        "scip": scip,
        "scip_status": bound["mip_status"],
        "scip_incumbent": bound["incumbent"],
        "gap": (best - served) / best if best else 0.0,
        "cp_variables": bound["cp_variables"],
        "lp_seconds": bound["lp_seconds"],
    }


def _table(title: str, columns: list[str], left: int = 1) -> Table:
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i < left else "right")
    return table


def render(rows: list[dict[str, Any]], info: dict[str, Any]) -> None:
    console = Console(width=200)
    console.print(
        f"[bold]{info['cpu']}[/], nproc {info['nproc']}, "
        f"{info['ram_bytes'] / 1024**3:.1f} GiB, ortools {info['ortools']}, {info['date']}"
    )
    limits = sorted({lim for r in rows for lim in r["served"]})
    at = [f"@{lim:g}s" for lim in limits]
    quality = _table(
        "Planner: served value (priority x group x sessions)",
        [
            "instance",
            "requested",
            "FCFS",
            "seed",
            *at,
            "vs FCFS",
            "CP-SAT bd",
            "LP bd",
            "LP+SCIP bd",
            "gap",
        ],
    )
    for r in rows:
        quality.add_row(
            r["name"],
            str(r["requested"]),
            str(r["fcfs"]),
            str(r["seed"]),
            *[str(r["served"].get(lim, "")) for lim in limits],
            f"{r['over_fcfs']:+.1%}",
            f"{r['cp_bound']:.0f}" if r["cp_bound"] is not None else "-",
            str(r["lp"]),
            f"{r['independent']} ({r['scip_tighter']}/{r['regions']})",
            f"{r['gap']:.1%}",
        )
    console.print(quality)
    speed = _table(
        "Planner: time, size, memory, validity",
        [
            "instance",
            "first plan s",
            *[f"wall {a}" for a in at],
            *[f"regions at seed {a}" for a in at],
            "CP vars",
            "CP cons",
            "build s",
            "peak MiB",
            "violations / plans",
        ],
    )
    for r in rows:
        speed.add_row(
            r["name"],
            f"{r['first_plan']:.3f}",
            *[f"{r['wall'][lim]:.1f}" for lim in limits],
            *[f"{r['at_seed'][lim]}/{r['regions']}" for lim in limits],
            f"{r['cp_variables']:,}",
            f"{r['cp_constraints']:,}",
            f"{r['build_seconds']:.1f}",
            f"{r['peak_bytes'] / 1024**2:.0f}",
            f"{r['violations']} / {r['plans_checked']}",
        )
    console.print(speed)
    targets = _table("Planner: targets", ["instance", "target", "met"], left=2)
    for r in rows:
        for name, ok in r["checks"].items():
            targets.add_row(r["name"], name, "yes" if ok else "[bold red]NO[/]")
    console.print(targets)
    regions = _table(
        "Planner: per region at the longest limit",
        [
            "instance",
            "region",
            "requests",
            "CP vars",
            "served",
            "status",
            "LP bd",
            "SCIP bd",
            "SCIP status",
            "SCIP plan",
            "gap",
        ],
        left=2,
    )
    for r in rows:
        for g in r["per_region"]:
            incumbent = g["scip_incumbent"]
            regions.add_row(
                r["name"],
                g["name"],
                str(g["requests"]),
                f"{g['cp_variables']:,}",
                str(g["served"]),
                g["status"],
                str(g["lp"]),
                str(g["scip"]) if g["scip"] is not None else "-",
                g["scip_status"],
                f"{incumbent:.0f}" if incumbent is not None else "-",
                f"{g['gap']:.1%}",
            )
    console.print(regions)
