"""Offline planning commands: solve, validate, explain, generate."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from schemas.scenario import Scenario
from schemas.schedule import Schedule
from services.cli.argtypes import non_negative_int, positive_int, positive_seconds
from services.cli.errors import CliError
from services.cli.files import dump, load_scenario, load_schedule, write
from services.cli.reasons import reasons_table
from services.planner.solve import PlanResult, Progress, SolveParams, solve
from services.validator import validate

console = Console(stderr=True)
out = Console(soft_wrap=True)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("solve", help="plan a scenario file into a schedule file")
    p.add_argument(
        "scenario", help="scenario JSON (hubplan-scenario/1), or the name of a shipped scenario"
    )
    p.add_argument("-o", "--output", required=True, help="where to write the schedule JSON")
    p.add_argument(
        "--time-limit",
        type=positive_seconds,
        default=10.0,
        help="seconds for the solver (default 10)",
    )
    p.add_argument(
        "--workers", type=non_negative_int, default=0, help="CP-SAT workers (default: all cores)"
    )
    p.add_argument(
        "--baseline", choices=["fcfs"], help="write the first-come-first-served plan instead"
    )
    p.add_argument(
        "--fair-share",
        action="store_true",
        help="raise the worst-served school's share, then lift poorly served schools, then total value",
    )
    p.set_defaults(run=cmd_solve)

    p = sub.add_parser("validate", help="check a schedule against a scenario's hard rules")
    p.add_argument("scenario")
    p.add_argument("schedule")
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("explain", help="where and when a request got its sessions, or why not")
    p.add_argument("schedule")
    p.add_argument("request_id")
    p.set_defaults(run=cmd_explain)

    p = sub.add_parser("generate", help="write a realistic synthetic scenario")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--requests", type=non_negative_int, default=300)
    p.add_argument("--regions", type=positive_int, default=1)
    p.add_argument("--weeks", type=positive_int, default=11, help="horizon length in weeks")
    p.add_argument(
        "--containers", type=non_negative_int, default=1, help="container labs per region"
    )
    p.add_argument("--no-staff", action="store_true", help="leave instructors out")
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    p.set_defaults(run=cmd_generate)


class _ProgressLine:
    """One live line: region, phase, incumbent, bound, gap."""

    def __init__(self) -> None:
        self.status = console.status("starting") if console.is_terminal else None
        if self.status is not None:
            self.status.start()

    def __call__(self, p: Progress) -> None:
        if self.status is None:
            return
        if p.phase == "container km":  # value held, km (then pupil travel) going down
            text = f"container km {p.incumbent:,.1f}, at least {max(0.0, p.bound):,.1f}"
        else:
            gap = _gap(p.incumbent, p.bound) if p.phase in ("value", "neighbourhoods") else None
            gap_text = f" gap {gap:.1%}" if gap is not None else ""
            text = f"incumbent {p.incumbent:,.0f} bound {p.bound:,.0f}{gap_text}"
        self.status.update(f"[bold]{p.region}[/] {p.phase}: {text} ({p.elapsed:.1f}s)")

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()


def _gap(value: float, bound: float | None) -> float | None:
    if bound is None or bound <= 0:
        return None
    return max(0.0, (bound - value) / bound)


def cmd_solve(args: argparse.Namespace) -> int:
    if args.baseline and args.fair_share:
        raise CliError("--baseline fcfs writes the plain FCFS plan: it has no --fair-share")
    scenario = load_scenario(args.scenario)
    line = _ProgressLine()
    try:
        result = solve(
            scenario,
            SolveParams(
                time_limit=args.time_limit,
                workers=args.workers,
                baseline_only=args.baseline == "fcfs",
                fair_share=args.fair_share,
                on_progress=line,
            ),
        )
    finally:
        line.stop()
    schedule = result.to_schedule(_name(scenario, args.scenario))
    # a net under the planner: a plan that breaks a hard rule is never written
    problems = validate(scenario, schedule)
    if problems:
        for v in problems:
            out.print(f"[red]x[/] {v}", highlight=False)
        out.print(
            f"the planner produced a plan with {len(problems)} violation(s); "
            f"nothing written to {args.output} (this is a bug: please report it)"
        )
        return 1
    write(args.output, schedule)
    out.print(summary_table(scenario, result))
    out.print(reasons_table(schedule.unserved))
    out.print(f"schedule written to {args.output}")
    return 0


def _name(scenario: Scenario, path: str) -> str:
    return scenario.name or Path(path).stem


def summary_table(scenario: Scenario, r: PlanResult) -> Table:
    served = len({s.request for s in r.sessions})
    t = Table(title=f"hubplan - {scenario.name or 'scenario'}", show_header=False)
    t.add_column("what")
    t.add_column("value", justify="right")
    t.add_row("status", r.status)
    t.add_row("requests served", f"{served} of {len(scenario.requests)}")
    t.add_row("sessions", str(len(r.sessions)))
    share = r.served_value / r.requested_value if r.requested_value else 1.0
    t.add_row("served value", f"{r.served_value:,} of {r.requested_value:,} ({share:.1%})")
    lift = (r.served_value / r.fcfs_value - 1) if r.fcfs_value else 0.0
    t.add_row("FCFS baseline value", f"{r.fcfs_value:,} (plan is {lift:+.1%})")
    if r.bound is not None:
        gap = _gap(r.served_value, r.bound)
        t.add_row("upper bound (solver)", f"{r.bound:,.0f} (gap {gap or 0:.1%})")
    if r.fairness_gini is not None:
        low = f", worst-served school {r.lowest_share:.0%}" if r.lowest_share is not None else ""
        t.add_row("fairness (Gini of school shares)", f"{r.fairness_gini:.2f}{low}")
    t.add_row("container moves", f"{len(r.moves)} ({r.container_km:,.1f} km)")
    t.add_row("pupil travel", f"{r.pupil_travel_minutes:,.0f} min one way")
    # per reason in the table printed below it, not twice
    t.add_row("requests not served", f"{len(r.unserved)} (reasons below)" if r.unserved else "0")
    if r.displaced:
        t.add_row("displaced locks", str(len(r.displaced)))
    t.add_row("wall time", f"{r.solve_seconds:.2f} s")
    return t


def cmd_validate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    schedule = load_schedule(args.schedule)
    made_for = {scenario.name, f"{scenario.name} (repaired)"}  # as solve and replan name it
    if scenario.name and schedule.scenario not in made_for:
        # every id would be unknown: one line, not one per session
        raise CliError(
            f"{args.schedule} is a plan for scenario '{schedule.scenario}', "
            f"not for '{scenario.name}' ({args.scenario})"
        )
    problems = validate(scenario, schedule)
    if not problems:
        out.print(
            f"valid: {len(schedule.sessions)} sessions, {len(schedule.container_moves)} moves"
        )
        return 0
    for v in problems:
        out.print(f"[red]x[/] {v}", highlight=False)
    out.print(f"{len(problems)} violation(s)")
    return 1


def cmd_explain(args: argparse.Namespace) -> int:
    schedule = load_schedule(args.schedule)
    mine = sorted(
        (s for s in schedule.sessions if s.request == args.request_id), key=lambda s: s.date
    )
    if mine:
        out.print(f"{args.request_id}: served with {len(mine)} session(s)")
        for s in mine:
            staff = f", instructor {s.staff}" if s.staff else ""
            travel = f", {s.travel_minutes:.0f} min away" if s.travel_minutes else ""
            out.print(f"  #{s.index} {s.date} {s.slot} at {s.site} on {s.resource}{staff}{travel}")
        _print_displaced(schedule, args.request_id)
        return 0
    for u in schedule.unserved:
        if u.request == args.request_id:
            out.print(f"{args.request_id}: not served ({u.reason})")
            out.print(f"  {u.detail}")
            _print_displaced(schedule, args.request_id)  # its locks went with it
            return 0
    raise CliError(f"{args.schedule}: no request '{args.request_id}' in this schedule")


def _print_displaced(schedule: Schedule, request_id: str) -> None:
    for d in sorted(
        (d for d in schedule.displaced if d.request == request_id), key=lambda d: d.index
    ):
        out.print(f"  locked session #{d.index} on {d.date} was displaced: {d.reason}")


def cmd_generate(args: argparse.Namespace) -> int:
    from services.scenarios.generator import generate

    data = generate(
        seed=args.seed,
        requests=args.requests,
        regions=args.regions,
        weeks=args.weeks,
        staff=not args.no_staff,
        containers_per_region=args.containers,
    )
    scenario = Scenario.model_validate_json(json.dumps(data))
    if args.output:
        write(args.output, scenario)
        console.print(
            f"wrote {args.output}: {len(scenario.requests)} requests, {len(scenario.sites)} sites, "
            f"{len({s.region for s in scenario.sites})} region(s)"
        )
    else:
        sys.stdout.write(dump(scenario))
    return 0
