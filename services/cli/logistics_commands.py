"""``hubplan moves``: transport orders, calendar feeds, chart and map of container moves.

The offline face of :mod:`services.logistics`; the gateway serves the same
functions over HTTP, so what a user sees here is what a subscribed calendar
or a browser shows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from schemas.logistics import PlannedMove
from schemas.scenario import Scenario
from schemas.schedule import Schedule
from services.cli.errors import CliError, InputFileError
from services.cli.files import load_scenario, load_schedule
from services.logistics import views
from services.logistics.calendars import fleet_calendar
from services.logistics.changes import changes_csv, changes_json, compare_moves
from services.logistics.drawing import Drawing, PngUnavailableError
from services.logistics.errors import LogisticsError
from services.logistics.exports import orders_csv
from services.logistics.itinerary import DEFAULT_NOTICE_DAYS, notice_deadline
from services.logistics.models import MoveChanges, TransportOrder
from services.logistics.pictures import gantt_chart, save, site_map
from services.planner.calendar import reference_day

console = Console(stderr=True)
out = Console(soft_wrap=True)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "moves",
        help="container moves: transport orders, calendars (ics), chart and map",
        description="Transport orders of a schedule's container moves, as a table, CSV, JSON "
        "or iCalendar feed; optionally a Gantt chart and a map (SVG or PNG).",
    )
    p.add_argument("scenario", help="scenario JSON, or the name of a shipped scenario")
    p.add_argument("schedule", help="schedule JSON made from that scenario")
    p.add_argument("--container", help="only this container")
    p.add_argument("--site", help="ics: the feed of this site (arrivals, setups, stays)")
    p.add_argument("--from", dest="since", metavar="DATE", help="orders departing on/after DATE")
    p.add_argument("--until", metavar="DATE", help="orders departing on/before DATE")
    p.add_argument(
        "--today",
        metavar="DATE",
        help="reference day of the notice period (default: --from, else today)",
    )
    p.add_argument(
        "--notice-days",
        type=int,
        default=DEFAULT_NOTICE_DAYS,
        help=f"working days before departure a move is locked (default {DEFAULT_NOTICE_DAYS})",
    )
    p.add_argument("--format", choices=["table", "csv", "ics", "json"], default="table")
    p.add_argument(
        "--compare",
        metavar="OLD_SCHEDULE",
        help="what changed since OLD_SCHEDULE (same scenario): new, changed and cancelled "
        "moves (table, csv or json)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write there instead of stdout")
    p.add_argument("--chart", metavar="FILE", help="Gantt chart of stays and moves (.svg/.png)")
    p.add_argument("--map", dest="map_file", metavar="FILE", help="map of sites, legs (.svg/.png)")
    p.set_defaults(run=cmd_moves)


def _date(value: str | None, flag: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{flag}: '{value}' is not a date (YYYY-MM-DD)") from None


def cmd_moves(args: argparse.Namespace) -> int:
    since, until = _date(args.since, "--from"), _date(args.until, "--until")
    given = _date(args.today, "--today") or since
    for flag, path in (("--chart", args.chart), ("--map", args.map_file)):
        _picture_suffix(path, flag)  # before anything is printed or written
    if since and until and until < since:
        raise CliError(f"--until {until} is before --from {since}")
    if args.notice_days < 0:
        raise CliError("--notice-days must be >= 0")
    if args.site and args.format != "ics":
        raise CliError("--site selects a calendar feed: use it with --format ics")
    if args.site and args.container:
        raise CliError("--site gives a site's feed with every container: drop --container")
    if args.format == "ics" and (since or until):
        raise CliError("calendar feeds cover the whole plan: --from/--until filter orders only")
    if args.compare and (args.format == "ics" or args.site):
        raise CliError("--compare lists changes as a table, csv or json: not a calendar feed")
    # the options first: a wrong combination is said before any file is read
    scenario = load_scenario(args.scenario)
    schedule = load_schedule(args.schedule)
    today = given or reference_day(scenario)  # as the scheduler and the gateway count it
    notice = args.notice_days
    if args.compare:
        return _compare(args, scenario, schedule, today, since, until)
    try:
        # the same calls the gateway's HTTP views make (services.logistics.views)
        chosen = views.itineraries_for(scenario, schedule, args.container)
        found = views.orders(
            scenario,
            schedule,
            container=args.container,
            since=since,
            until=until,
            today=today,
            notice_days=notice,
        )
        text: str | bytes
        if args.format == "table":
            text = _table_text(scenario, found, today, args)
        elif args.format == "csv":
            text = orders_csv(found)
        elif args.format == "json":
            text = views.orders_json(
                scenario,
                schedule,
                container=args.container,
                since=since,
                until=until,
                today=today,
                notice_days=notice,
            )
        else:
            # the file's time dates the plan: the same file exported again keeps every
            # event's SEQUENCE, a newer plan file raises it (calendars.py)
            feed = {"today": today, "notice_days": notice, "plan_changed": _file_time(args)}
            if args.site:
                text = views.site_ics(scenario, schedule, args.site, **feed)
            elif args.container:
                text = views.container_ics(scenario, schedule, args.container, **feed)
            else:
                text = fleet_calendar(scenario, chosen, **feed)
        _emit(text, args.output)
        if args.chart:
            _save(gantt_chart(scenario, chosen, today=today), args.chart, "--chart")
        if args.map_file:
            _save(site_map(scenario, chosen), args.map_file, "--map")
    except LogisticsError as exc:
        raise CliError(f"{args.schedule}: {exc}") from None
    return 0


def _file_time(args: argparse.Namespace) -> dt.datetime:
    stamp = Path(args.schedule).stat().st_mtime
    return dt.datetime.fromtimestamp(int(stamp), dt.UTC)


def _compare(
    args: argparse.Namespace,
    scenario: Scenario,
    schedule: Schedule,
    today: dt.date,
    since: dt.date | None,
    until: dt.date | None,
) -> int:
    """``--compare OLD``: the moves the schedule added, changed and dropped since OLD."""
    old = load_schedule(args.compare)
    try:
        found = compare_moves(
            scenario,
            old.container_moves,
            schedule.container_moves,
            baseline=args.compare,
            today=today,
            notice_days=args.notice_days,
            container=args.container,
            since=since,
            until=until,
        )
        # the pictures show the new plan; only they need it whole
        pictures = args.chart or args.map_file
        chosen = views.itineraries_for(scenario, schedule, args.container) if pictures else {}
    except LogisticsError as exc:
        raise CliError(f"{args.schedule}: {exc}") from None
    if args.format == "csv":
        text = changes_csv(found)
    elif args.format == "json":
        text = changes_json(found)
    else:
        text = _changes_text(found, args)
    _emit(text, args.output)
    if args.chart:
        _save(gantt_chart(scenario, chosen, today=today), args.chart, "--chart")
    if args.map_file:
        _save(site_map(scenario, chosen), args.map_file, "--map")
    return 0


def _changes_text(changes: MoveChanges, args: argparse.Namespace) -> str:
    """The changes as a rich table, by departure: what a haulier has to re-book."""
    t = Table(
        title=f"Move changes since {changes.baseline} ({len(changes.new)} new, "
        f"{len(changes.changed)} changed, {len(changes.cancelled)} cancelled)",
        caption=f"locked: inside the notice period ({changes.notice_days} working days "
        f"after {changes.today})",
    )
    for name in ("change", "container", "from", "to", "depart", "ready"):
        t.add_column(name, no_wrap=True)
    for name in ("transit d", "setup d", "km", "driving h"):
        t.add_column(name, justify="right", no_wrap=True)
    t.add_column("what changed", overflow="fold")
    t.add_column("notice", no_wrap=True)
    rows: list[tuple[str, PlannedMove, PlannedMove | None, str]] = [
        *(("new", m, None, "") for m in changes.new),
        *(("changed", c.after, c.before, ", ".join(c.changed)) for c in changes.changed),
        *(("cancelled", m, None, "") for m in changes.cancelled),
    ]
    style = {"new": "green", "changed": "yellow", "cancelled": "red"}
    for kind, m, before, what in sorted(rows, key=lambda r: (r[1].depart, r[1].container)):
        t.add_row(
            f"[{style[kind]}]{kind}[/]",
            m.container,
            m.from_,
            m.to,
            _was(m.depart, before.depart if before else None),
            _was(m.ready, before.ready if before else None),
            str(m.transit_days),
            str(m.setup_days),
            f"{m.km:.1f}",
            f"{m.driving_minutes / 60:.1f}",
            what,
            "[bold red]locked[/]" if m.locked else "open",
        )
    text = _render(t, args)
    if not rows:
        text += "no move changed\n"
    return text


def _was(now: dt.date, then: dt.date | None) -> str:
    return f"{then} -> {now}" if then is not None and then != now else str(now)


def _render(t: Table, args: argparse.Namespace) -> str:
    """A table coloured on a terminal, plain text in a file or pipe."""
    terminal = args.output is None and out.is_terminal
    buf = io.StringIO()
    target = Console(
        file=buf,
        width=out.width if terminal else 220,
        no_color=not terminal,
        force_terminal=terminal,
    )
    target.print(t)
    return buf.getvalue()


def _emit(text: str | bytes, output: str | None) -> None:
    data = text.encode() if isinstance(text, str) else text
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_bytes(data)
    except OSError as exc:
        raise InputFileError(output, f"cannot write: {exc.strerror or exc}") from None
    console.print(f"wrote {output}")


def _picture_suffix(path: str | None, flag: str) -> None:
    if path is not None and Path(path).suffix.lower() not in (".svg", ".png"):
        raise CliError(f"{flag}: '{path}' must end in .svg or .png")


def _save(picture: Drawing, path: str, flag: str) -> None:
    _picture_suffix(path, flag)
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        save(picture, path)
    except PngUnavailableError as exc:
        raise CliError(f"{flag}: {exc}") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot write: {exc.strerror or exc}") from None
    console.print(f"wrote {path}")


def _table_text(
    scenario: Scenario, orders: list[TransportOrder], today: dt.date, args: argparse.Namespace
) -> str:
    """The orders as a rich table: coloured on a terminal, plain text in a file."""
    deadline = notice_deadline(scenario, today, args.notice_days)
    window = f"{args.since or 'start'} to {args.until or 'end'}"
    t = Table(
        title=f"Transport orders - {scenario.name or args.scenario} ({window})",
        caption=f"locked: departs on or before {deadline} ({args.notice_days} working "
        f"days after {today})",
    )
    for name in ("depart", "ready", "container", "from", "to"):
        t.add_column(name, no_wrap=True)
    for name in ("transit d", "setup d", "km", "driving h"):
        t.add_column(name, justify="right", no_wrap=True)
    t.add_column("contact (receiving site)", overflow="fold")
    t.add_column("notice", no_wrap=True)
    for o in orders:
        t.add_row(
            str(o.depart),
            str(o.ready),
            o.container,
            o.from_site,
            o.to_site,
            str(o.transit_days),
            str(o.setup_days),
            f"{o.km:.1f}",
            f"{o.driving_hours:.1f}",
            o.contact,
            "[bold red]locked[/]" if o.locked else "open",
        )
    # a terminal gets its own width; files and pipes get room for the whole row
    text = _render(t, args)
    return text + ("no moves in this window\n" if not orders else "")
