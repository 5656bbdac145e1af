"""``hubplan up`` (run the stack) and ``hubplan demo`` (the README's main job)."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from schemas.scenario import Scenario
from schemas.schedule import Schedule
from services.cli.errors import CliError
from services.cli.reasons import reasons_table
from services.observability.prometheus import INSTALL_HINT, PrometheusOptions, find_binary
from services.planner.calendar import working_days
from services.scenarios.shipped import list_shipped, load_shipped
from services.stack import Stack, StackConfig, StackError, default_tokens
from services.validator import validate

out = Console(soft_wrap=True)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "up", help="start broker (embedded unless KAFKA_BOOTSTRAP_SERVERS), workers, gateway"
    )
    p.add_argument(
        "--data-dir", default=".hubplan/stack", help="where broker data, logs and tokens live"
    )
    p.add_argument("--workers", type=int, default=1, help="scheduler workers (default 1)")
    p.add_argument("--partitions", type=int, default=6, help="intake partitions (default 6)")
    p.add_argument("--port", type=int, default=8080, help="gateway port (default 8080)")
    p.add_argument("--with-prometheus", action="store_true", help="also start a local Prometheus")
    p.set_defaults(run=cmd_up)

    p = sub.add_parser(
        "demo", help="start the stack, stream a real scenario through the API, report"
    )
    p.add_argument(
        "--scenario",
        default="agder-nordland-spring-2027",
        choices=list_shipped(),
        help="shipped scenario to load",
    )
    p.add_argument("--data-dir", default=".hubplan/demo", help="wiped at start unless --keep-data")
    p.add_argument("--keep-data", action="store_true", help="do not wipe the data dir first")
    p.add_argument("-o", "--output", default="hubplan-demo-plan.json", help="plan file to write")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument(
        "--settle",
        type=float,
        default=20.0,
        help="seconds to let the background optimiser promote waitlisted requests",
    )
    p.add_argument(
        "--keep-running", action="store_true", help="leave the stack up after the report"
    )
    p.add_argument("--with-prometheus", action="store_true", help="also start a local Prometheus")
    p.set_defaults(run=cmd_demo)


def _stack(
    data_dir: Path,
    workers: int,
    partitions: int,
    port: int,
    sites: list[str],
    prometheus: bool = False,
) -> Stack:
    if prometheus and find_binary() is None:
        out.print(f"[yellow]prometheus is not installed, starting without it; {INSTALL_HINT}[/]")
        prometheus = False
    config = StackConfig(
        data_dir=data_dir,
        workers=workers,
        partitions=partitions,
        gateway_port=port,
        tokens=default_tokens(data_dir, sites),
        prometheus=PrometheusOptions() if prometheus else None,
    )
    try:
        return Stack(config).start(on_step=lambda m: out.print(f"[dim]{m}[/]"))
    except StackError as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:  # broker errors carry their own clear message
        raise CliError(f"could not start the stack: {exc}") from None


def _run_until_stopped(stack: Stack, tick: Callable[[float], None] = time.sleep) -> None:
    """Keep the stack up until Ctrl-C or SIGTERM, starting again what exits by itself."""
    stop = {"now": False}

    def handler(*_: Any) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, handler)
    try:
        while not stop["now"]:
            tick(1.0)
            if stop["now"]:  # a group-wide SIGTERM also stopped the children: no restarts
                break
            try:
                revived = stack.revive_exited()
            except StackError as exc:
                raise CliError(f"{exc}; stopping everything") from None
            for line in revived:
                out.print(f"[yellow]{line}[/]")
    except KeyboardInterrupt:
        pass


def cmd_up(args: argparse.Namespace) -> int:
    sites = sorted({s["id"] for name in list_shipped() for s in load_shipped(name)["sites"]})
    stack = _stack(
        Path(args.data_dir), args.workers, args.partitions, args.port, sites, args.with_prometheus
    )
    try:
        out.print(f"[bold green]hubplan is up[/]  broker {stack.bootstrap}")
        if stack.broker_note:
            out.print(f"[yellow]{stack.broker_note}[/]")
        out.print(f"  gateway   {stack.gateway_url}  (API docs {stack.gateway_url}/docs)")
        out.print(
            f"  metrics   {stack.gateway_url}/metrics, workers on "
            + ", ".join(f"http://127.0.0.1:{p}/metrics" for p in stack.worker_metrics)
            + f", logistics on http://127.0.0.1:{stack.logistics_metrics}/metrics"
        )
        if stack.prometheus is not None:
            prom = stack.prometheus
            out.print(f"  prometheus {prom.url}  (alerts {prom.alerts_url})")
        out.print(
            f"  tokens    {Path(args.data_dir) / 'tokens.json'}  (operator: {stack.token('operator')})"
        )
        out.print("Ctrl-C stops everything.")
        _run_until_stopped(stack)
    finally:
        out.print("stopping ...")
        stack.stop()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    if data_dir.exists() and not args.keep_data:
        shutil.rmtree(data_dir)
    raw = load_shipped(args.scenario)
    scenario = Scenario.model_validate_json(json.dumps(raw))
    sites = sorted({r.site for r in scenario.requests})
    stack = _stack(data_dir, args.workers, 6, 0, sites, args.with_prometheus)
    try:
        if stack.broker_note:
            out.print(f"[yellow]{stack.broker_note}[/]")
        plan = asyncio.run(_drive(stack, raw, scenario, args.settle))
        Path(args.output).write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
        _report(scenario, plan, args.output)
        if stack.prometheus is not None:
            out.print(f"prometheus at {stack.prometheus.url}")
        if args.keep_running:
            out.print(f"stack still running at {stack.gateway_url}; Ctrl-C stops it")
            _run_until_stopped(stack)
    finally:
        stack.stop()
    return 0


async def _wait_applied(
    http: httpx.AsyncClient, event: dict[str, str], auth: dict[str, str]
) -> None:
    """Wait for an operator event's receipt; anything but 'applied' stops the demo."""
    got: dict[str, Any] = {}
    for _ in range(6):  # a fresh worker may still be joining its group
        got = (await http.get(event["status_url"], params={"wait": 10}, headers=auth)).json()
        if got.get("status") != "pending":
            break
    if got.get("status") != "applied":
        raise CliError(
            f"the catalogue of {event['region']} was not loaded: {got.get('status')}"
            f" {got.get('detail') or '(no receipt from the scheduler in 60 s)'}"
        )


async def _drive(
    stack: Stack, raw: dict[str, Any], scenario: Scenario, settle: float
) -> dict[str, Any]:
    op = {"Authorization": f"Bearer {stack.token('operator')}"}
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as http:
        r = await http.put("/v1/catalogue", params={"requests": "false"}, json=raw, headers=op)
        if r.status_code != 202:
            raise CliError(f"loading the catalogue failed: {r.status_code} {r.text[:300]}")
        for event in r.json()["events"]:  # each region's catalogue, applied before any request
            await _wait_applied(http, event, op)
        requests = [x for x in raw["requests"]]
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=out) as bar:
            sent = bar.add_task("submitting requests", total=len(requests))
            limit = asyncio.Semaphore(16)

            async def submit(req: dict[str, Any]) -> None:
                school = {
                    "Authorization": f"Bearer {stack.token('school', req['site'])}",
                    "Idempotency-Key": f"demo-{req['id']}",
                }
                async with limit:
                    resp = await http.post("/v1/requests", json=req, headers=school)
                if resp.status_code != 202:
                    raise CliError(
                        f"request {req['id']} refused: {resp.status_code} {resp.text[:200]}"
                    )
                bar.advance(sent)

            await asyncio.gather(*(submit(x) for x in requests))
            decided = bar.add_task("waiting for decisions", total=len(requests))
            while True:
                views = (await http.get("/v1/requests", headers=op)).json()["requests"]
                done = sum(1 for v in views if v["status"] != "pending")
                bar.update(decided, completed=done)
                if done >= len(requests):
                    break
                await asyncio.sleep(0.2)
            promote = bar.add_task("optimiser promoting waitlisted requests", total=settle)
            started, last, last_change = time.monotonic(), None, time.monotonic()
            while time.monotonic() - started < settle:
                plan = (await http.get("/v1/plan", headers=op)).json()
                if plan["metrics"]["served_value"] != last:
                    last, last_change = plan["metrics"]["served_value"], time.monotonic()
                bar.update(promote, completed=time.monotonic() - started)
                if time.monotonic() - last_change > min(8.0, settle):
                    break
                await asyncio.sleep(0.5)
            bar.update(promote, completed=settle)
        plan = (await http.get("/v1/plan", headers=op)).json()
        plan["scenario"] = scenario.name or "demo"
        return dict(plan)


def _report(scenario: Scenario, plan: dict[str, Any], path: str) -> None:
    schedule = Schedule.model_validate_json(json.dumps(plan))
    names = {s.id: s.name for s in scenario.sites}
    served = {s.request for s in schedule.sessions}
    per_school: dict[str, Counter[str]] = defaultdict(Counter)
    for req in scenario.requests:
        per_school[req.site]["served" if req.id in served else "waitlisted"] += 1
    t = Table(title="Requests per school")
    for col in ("school", "served", "waitlisted"):
        t.add_column(col, justify="left" if col == "school" else "right")
    for site, c in sorted(per_school.items(), key=lambda kv: names.get(kv[0], kv[0])):
        t.add_row(names.get(site, site), str(c["served"]), str(c["waitlisted"]))
    out.print(t)
    out.print(reasons_table(schedule.unserved))
    days = len(working_days(scenario))
    per_slot = Counter(s.part for s in scenario.slots)
    used = Counter(s.resource for s in schedule.sessions)
    u = Table(title="Utilisation per hub (sessions / open unit-slots in the horizon)")
    for col in ("hub", "units", "sessions", "utilisation"):
        u.add_column(col, justify="left" if col == "hub" else "right")
    by_hub: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for e in scenario.equipment:
        off = sum(
            1 for d in working_days(scenario) if any(r.from_ <= d <= r.to for r in e.unavailable)
        )
        row = by_hub[e.site]
        row[0] += 1
        row[1] += used[e.id]
        row[2] += (days - off) * sum(per_slot[p] for p in e.parts)
    for site, (units, sessions, capacity) in sorted(by_hub.items(), key=lambda kv: names[kv[0]]):
        u.add_row(
            names[site],
            str(units),
            str(sessions),
            f"{sessions / capacity:.0%}" if capacity else "-",
        )
    out.print(u)
    m = Table(title="Container moves")
    for col in ("container", "from", "to", "depart", "ready", "km"):
        m.add_column(col, justify="right" if col == "km" else "left")
    for mv in schedule.container_moves:
        m.add_row(mv.container, mv.from_, mv.to, str(mv.depart), str(mv.ready), f"{mv.km:.0f}")
    out.print(
        m
        if schedule.container_moves
        else "Container moves: none (containers stay at their start sites)"
    )
    problems = validate(scenario, schedule)
    mm = schedule.metrics
    out.print(
        f"served value {mm.served_value:,} of {mm.requested_value:,} "
        f"({mm.served_value / max(1, mm.requested_value):.1%}); {len(served)} of "
        f"{len(scenario.requests)} requests confirmed; plan written to {path}"
    )
    if problems:
        out.print(f"[red]validator found {len(problems)} problem(s):[/] {problems[0]}")
        raise CliError("the live plan broke a hard rule (see above)")
    out.print("[green]validator: the live plan keeps every hard rule[/]")
