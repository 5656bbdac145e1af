"""``hubplan replan``: apply disruptions offline and show what moved and why."""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter

from rich.console import Console
from rich.table import Table

from schemas.disruptions import DisruptionList
from schemas.scenario import LockedSession, Scenario
from schemas.schedule import ContainerMove, Schedule
from services.cli.errors import CliError
from services.cli.files import load, load_scenario, load_schedule, write
from services.planner.disruptions import DisruptionError, apply_disruptions
from services.planner.repair import RepairParams, repair
from services.planner.repair_diff import KIND_TEXT, diff_moves
from services.validator import validate

out = Console(soft_wrap=True)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "replan",
        help="apply disruptions to a plan with as few changes as possible; print the diff",
        description="What-if and repair: 'what if container 2 breaks in week 9?'. EVENTS is "
        '{"disruptions": [{"kind": "equipment-unavailable", "equipment": "...", "from": "...", '
        '"to": "..."}, ...]} with kinds equipment-unavailable, container-broken, '
        "container-delayed, instructor-unavailable, site-closed, pad-unavailable, resource-added, "
        "resource-removed, booking-cancelled.",
    )
    p.add_argument("scenario")
    p.add_argument("schedule", help="the plan in force")
    p.add_argument("events", help="disruptions JSON")
    p.add_argument("-o", "--output", required=True, help="where to write the repaired schedule")
    p.add_argument(
        "--scenario-out",
        metavar="FILE",
        help="also write the disrupted scenario: the one the repaired schedule is valid for "
        "(validate against it, or replan from it again)",
    )
    p.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        help="nothing is placed before it; start of the frozen window and the notice period; "
        "trips departing on or before it have left (YYYY-MM-DD, default: the horizon start)",
    )
    p.add_argument(
        "--frozen-days", type=int, default=2, help="working days not to touch (default 2)"
    )
    p.add_argument(
        "--notice-days",
        type=int,
        default=5,
        help="container moves departing within this many working days stay (default 5)",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        help="seconds for the repair, model building included (default 10)",
    )
    p.add_argument("--workers", type=int, default=0)
    p.set_defaults(run=cmd_replan)


def cmd_replan(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    current = load_schedule(args.schedule)
    known = {r.id for r in scenario.requests}
    foreign = sorted({s.request for s in current.sessions} - known)
    if foreign:  # a plan of another scenario: its "repair" would be nonsense
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise CliError(
            f"{args.schedule}: request '{foreign[0]}'{more} is not in {args.scenario}; "
            "is this the plan of another scenario?"
        )
    events = load(args.events, DisruptionList)
    try:
        after, withdrawn, trips = apply_disruptions(
            scenario, events.disruptions, current.container_moves, args.today
        )
    except DisruptionError as exc:
        raise CliError(f"{args.events}: {exc}") from None
    hit = frozenset(
        c for c in (getattr(d, "container", None) for d in events.disruptions) if isinstance(c, str)
    )
    result = repair(
        after,
        # what was reported is a fact of the plan in force: a delayed trip's ready day
        current.model_copy(update={"container_moves": trips}),
        RepairParams(
            time_limit=args.time_limit,
            workers=args.workers,
            frozen_days=args.frozen_days,
            today=args.today,
            notice_days=args.notice_days,
            disrupted_containers=hit,
        ),
    )
    schedule = result.plan.to_schedule(f"{scenario.name or 'scenario'} (repaired)")
    write(args.output, schedule)
    if args.scenario_out:
        write(args.scenario_out, with_frozen_locks(after, schedule))
    problems = validate(after, schedule, allow_frozen=True)  # a repair's plan
    t = Table(title=f"{len(result.changes)} change(s)")
    for col in ("request", "change", "before", "after"):
        t.add_column(col)
    for c in result.changes:
        old = f"{c.old.date} {c.old.slot} {c.old.site} {c.old.resource}" if c.old else "-"
        new = f"{c.new.date} {c.new.slot} {c.new.site} {c.new.resource}" if c.new else "-"
        t.add_row(c.request, KIND_TEXT[c.kind], old, new)
    out.print(t)
    kinds = Counter(c.kind for c in result.changes if c.kind != "added")
    summary = ", ".join(f"{k}: {n}" for k, n in kinds.items()) or "none"
    out.print(f"sessions changed: {sum(kinds.values())} ({summary})")
    trips = diff_moves(current.container_moves, schedule.container_moves)
    if trips:
        m = Table(title=f"{len(trips)} container trip change(s)")
        for col in ("container", "before", "after"):
            m.add_column(col)
        for tc in trips:
            m.add_row(tc.container, *(_trip(x) for x in (tc.old, tc.new)))
        out.print(m)
    out.print(f"container trips changed: {len(trips)}")
    for gone in result.moves_not_kept:
        out.print(f"[red]booked trip not kept[/]: {gone.describe()}")
    if withdrawn:
        out.print(f"withdrawn: {', '.join(withdrawn)}")
    if result.lost:
        out.print(f"[red]no longer served[/]: {', '.join(result.lost)}")
    if result.promoted:
        out.print(f"[green]promoted from the waitlist[/]: {', '.join(result.promoted)}")
    for d in schedule.displaced:
        out.print(f"displaced lock {d.request}#{d.index} ({d.date} {d.slot}): {d.reason}")
    out.print(
        f"served value {schedule.metrics.served_value:,} (was {current.metrics.served_value:,}); "
        f"written to {args.output}"
    )
    if args.scenario_out:
        out.print(f"disrupted scenario written to {args.scenario_out}")
    if problems:
        raise CliError(f"the repaired plan breaks a rule: {problems[0]}")
    return 0


def with_frozen_locks(after: Scenario, schedule: Schedule) -> Scenario:
    """``after`` with a lock for every frozen-window session the repair had to displace.

    The repair locks the frozen window itself; a displaced row of such a lock names
    no lock of ``after``, and ``hubplan validate`` refuses a row no lock names. With
    the lock written out, the scenario says what the plan was held to.
    """
    named = {(lock.request, lock.index) for lock in after.locked}
    frozen = [
        LockedSession(
            request=d.request,
            index=d.index,
            date=d.date,
            slot=d.slot,
            resource=d.resource,
            staff=d.staff,
            site=d.site,
        )
        for d in schedule.displaced
        if (d.request, d.index) not in named
    ]
    if not frozen:
        return after
    return after.model_copy(update={"locked": [*after.locked, *frozen]})


def _trip(m: ContainerMove | None) -> str:
    return f"{m.from_} -> {m.to}, depart {m.depart}, ready {m.ready}" if m else "-"
