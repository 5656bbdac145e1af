"""Logistics views of real solved plans: itineraries, exports, pictures, CLI.

Each shipped scenario is solved once (short time limit) and every view is
checked against the plan it came from, the way the validator checks plans.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from icalendar import Calendar, Component

from schemas.scenario import Scenario
from schemas.schedule import Schedule
from services.cli.files import dump
from services.cli.main import main
from services.logistics.calendars import container_calendar, fleet_calendar, site_calendar
from services.logistics.exports import (
    moves_document,
    moves_json,
    orders_csv,
    read_moves_json,
    read_orders_csv,
)
from services.logistics.itinerary import add_working_days, schedule_itineraries, transport_orders
from services.logistics.models import Itinerary
from services.logistics.pictures import gantt_chart, save, site_map
from services.planner.calendar import transit_days
from services.planner.solve import SolveParams, solve
from services.planner.travel import TravelTable
from services.scenarios.shipped import list_shipped, load_shipped
from services.validator import validate

STAMP = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
Plan = tuple[Scenario, Schedule, dict[str, Itinerary]]
MOVE_RULES = {"6", "structure", "metrics"}  # what container moves can get wrong
_SOLVED: dict[str, tuple[Scenario, Schedule]] = {}


def _solved(name: str) -> tuple[Scenario, Schedule]:
    if name not in _SOLVED:
        scenario = Scenario.model_validate_json(json.dumps(load_shipped(name)))
        result = solve(scenario, SolveParams(time_limit=5, workers=2))
        _SOLVED[name] = (scenario, result.to_schedule(name))
    return _SOLVED[name]


@pytest.fixture(scope="module", params=list_shipped())
def plan(request: pytest.FixtureRequest) -> Plan:
    scenario, schedule = _solved(request.param)
    return scenario, schedule, schedule_itineraries(scenario, schedule)


@pytest.mark.parametrize("name", list_shipped())
def test_solved_plan_passes_the_validator(name: str) -> None:
    scenario, schedule = _solved(name)
    problems = validate(scenario, schedule)
    assert not [v for v in problems if v.rule in MOVE_RULES]
    assert problems == []


# -- itineraries ---------------------------------------------------------------------
def test_every_move_is_one_leg_and_one_order(plan: Plan) -> None:
    scenario, schedule, its = plan
    assert schedule.container_moves, "a shipped plan should move its containers"
    assert sum(len(it.legs) for it in its.values()) == len(schedule.container_moves)
    orders = transport_orders(scenario, schedule.container_moves)
    assert len(orders) == len(schedule.container_moves)
    assert [o.depart for o in orders] == sorted(o.depart for o in orders)


def test_stays_and_legs_tile_the_horizon_without_overlap(plan: Plan) -> None:
    scenario, _, its = plan
    for it in its.values():
        spans = sorted(
            [(s.start, s.end, "stay") for s in it.stays]
            + [(leg.depart, leg.ready - dt.timedelta(days=1), "leg") for leg in it.legs]
        )
        assert spans[0][0] == scenario.horizon.start
        for (_, end, _), (start, _, _) in zip(spans, spans[1:], strict=False):
            assert start == end + dt.timedelta(days=1), f"{it.container}: gap or overlap at {start}"
        for leg in it.legs:
            days = set(leg.transit_dates) | set(leg.setup_dates)
            assert not any(s.start <= d <= s.end for s in it.stays for d in days)


def test_stays_hold_exactly_the_container_sessions(plan: Plan) -> None:
    _, schedule, its = plan
    for box, it in its.items():
        mine = Counter((s.request, s.index) for s in schedule.sessions if s.resource == box)
        held = Counter((s.request, s.index) for st in it.stays for s in st.sessions)
        assert held == mine
        for stay in it.stays:
            assert all(s.site == stay.site for s in stay.sessions)


def test_legs_follow_rule_6(plan: Plan) -> None:
    scenario, _, its = plan
    table = TravelTable.of(scenario)
    setup = {c.id: c.setup_days for c in scenario.containers}
    for it in its.values():
        for leg in it.legs:
            assert leg.transit_days == transit_days(table.truck_minutes(leg.from_site, leg.to_site))
            assert leg.setup_days == setup[it.container]
            last_transit = leg.transit_dates[-1]
            assert add_working_days(scenario, last_transit, leg.setup_days + 1) == leg.ready


# -- exports -------------------------------------------------------------------------
def test_csv_and_json_round_trip(plan: Plan) -> None:
    scenario, schedule, its = plan
    orders = transport_orders(scenario, schedule.container_moves, today=scenario.horizon.start)
    assert read_orders_csv(orders_csv(orders)) == orders
    doc = moves_document(scenario, orders, its.values(), today=scenario.horizon.start)
    assert read_moves_json(moves_json(doc)) == doc


def _events(ics: bytes) -> list[Component]:
    cal = Calendar.from_ical(ics)
    assert cal["version"] == "2.0" and "prodid" in cal
    return list(cal.walk("VEVENT"))


def _kind(event: Component) -> str:
    """The event's single category: transit, setup or stay."""
    raw = event["categories"].to_ical()
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def test_fleet_calendar_has_every_move_once(plan: Plan) -> None:
    scenario, schedule, its = plan
    events = _events(fleet_calendar(scenario, its, stamp=STAMP))
    uids = [str(e["uid"]) for e in events]
    assert len(uids) == len(set(uids))
    transits = Counter(
        (str(e["summary"]).split()[1], e.decoded("dtstart"))
        for e in events
        if _kind(e) == "transit"
    )
    moves = Counter((m.container, m.depart) for m in schedule.container_moves)
    assert transits == moves
    for e in events:
        assert isinstance(e.decoded("dtstart"), dt.date) and not isinstance(
            e.decoded("dtstart"), dt.datetime
        )
        assert e.decoded("dtend") > e.decoded("dtstart")


def _transits(events: list[Component]) -> Counter[tuple[str, dt.date]]:
    return Counter(
        (str(e["summary"]).split()[1], e.decoded("dtstart"))
        for e in events
        if _kind(e) == "transit"
    )


def test_container_feed_has_each_of_its_moves_once(plan: Plan) -> None:
    scenario, schedule, its = plan
    today = scenario.horizon.start
    for box, it in its.items():
        events = _events(container_calendar(scenario, it, stamp=STAMP, today=today))
        uids = [str(e["uid"]) for e in events]
        assert len(uids) == len(set(uids))
        mine = Counter(
            (m.container, m.depart) for m in schedule.container_moves if m.container == box
        )
        assert _transits(events) == mine
        assert len([e for e in events if _kind(e) == "stay"]) == len(it.stays)
        assert all(
            str(e["status"]) in ("CONFIRMED", "TENTATIVE") for e in events if _kind(e) != "stay"
        )


def test_site_feed_has_each_move_to_or_from_the_site_once(plan: Plan) -> None:
    scenario, schedule, its = plan
    for site in {m.to for m in schedule.container_moves} | {
        m.from_ for m in schedule.container_moves
    }:
        events = _events(site_calendar(scenario, its, site, stamp=STAMP))
        uids = [str(e["uid"]) for e in events]
        assert len(uids) == len(set(uids))
        touching = Counter(
            (m.container, m.depart) for m in schedule.container_moves if site in (m.from_, m.to)
        )
        assert _transits(events) == touching, site


def test_feed_sequence_follows_the_plan_revision(plan: Plan) -> None:
    """Same plan, same SEQUENCE; a later plan (same UIDs) a higher one, so clients update."""
    scenario, _, its = plan
    box = next(iter(its))
    monday = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)

    def feed(changed: dt.datetime, stamp: dt.datetime = STAMP) -> list[Component]:
        return _events(container_calendar(scenario, its[box], stamp=stamp, plan_changed=changed))

    first, again = feed(monday), feed(monday, STAMP + dt.timedelta(hours=5))
    later = feed(monday + dt.timedelta(minutes=1))
    assert [str(e["uid"]) for e in first] == [str(e["uid"]) for e in later]
    assert [int(e["sequence"]) for e in first] == [int(e["sequence"]) for e in again]
    assert all(int(a["sequence"]) < int(b["sequence"]) for a, b in zip(first, later, strict=True))
    assert {e.decoded("last-modified") for e in later} == {monday + dt.timedelta(minutes=1)}


def test_container_feed_uids_are_stable(plan: Plan) -> None:
    scenario, _, its = plan
    box = next(iter(its))
    first = container_calendar(scenario, its[box], stamp=STAMP)
    later = container_calendar(scenario, its[box], stamp=STAMP + dt.timedelta(days=3))
    assert [str(e["uid"]) for e in _events(first)] == [str(e["uid"]) for e in _events(later)]


def test_site_feed_shows_only_that_site(plan: Plan) -> None:
    scenario, schedule, its = plan
    site = schedule.container_moves[0].to
    name = next(s.name for s in scenario.sites if s.id == site)
    events = _events(site_calendar(scenario, its, site, stamp=STAMP))
    arrivals = [m for m in schedule.container_moves if m.to == site]
    setups = [e for e in events if _kind(e) == "setup"]
    assert len(setups) == len(arrivals)
    assert all(name in str(e["summary"]) or name in str(e["description"]) for e in events)


# -- pictures ------------------------------------------------------------------------
def _svg_text(path: Path) -> str:
    root = ET.parse(path).getroot()
    return "\n".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))


def test_chart_and_map_name_containers_and_sites(plan: Plan, tmp_path: Path) -> None:
    scenario, _, its = plan
    chart = save(gantt_chart(scenario, its, today=scenario.horizon.start), tmp_path / "c.svg")
    where = save(site_map(scenario, its), tmp_path / "m.svg")
    visited = {st.site for it in its.values() for st in it.stays}
    for path, names in (
        (chart, [s.name for s in scenario.sites if s.id in visited]),
        (where, [s.name for s in scenario.sites]),
    ):
        text = _svg_text(path)
        for box in its:
            assert box in text
        for name in names:
            assert name in text, f"{path.name} lacks {name}"


def test_png_pictures(plan: Plan, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    scenario, _, its = plan
    for picture, name in (
        (gantt_chart(scenario, its), "c.png"),
        (site_map(scenario, its), "m.png"),
    ):
        data = save(picture, tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5000


# -- CLI -----------------------------------------------------------------------------
def test_cli_moves_writes_every_format(
    plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, schedule, its = plan
    (tmp_path / "s.json").write_text(dump(scenario), encoding="utf-8")
    (tmp_path / "p.json").write_text(dump(schedule), encoding="utf-8")
    base = ["moves", str(tmp_path / "s.json"), str(tmp_path / "p.json")]
    first = schedule.container_moves[0]
    assert main([*base, "--from", str(first.depart), "--until", str(first.depart)]) == 0
    assert first.container in capsys.readouterr().out
    assert main([*base, "--format", "csv", "-o", str(tmp_path / "o.csv")]) == 0
    assert len(read_orders_csv((tmp_path / "o.csv").read_text())) == len(schedule.container_moves)
    assert main([*base, "--format", "json", "-o", str(tmp_path / "o.json")]) == 0
    assert read_moves_json((tmp_path / "o.json").read_text()).orders
    assert (
        main(
            [
                *base,
                "--format",
                "ics",
                "--container",
                first.container,
                "-o",
                str(tmp_path / "c.ics"),
                "--chart",
                str(tmp_path / "c.svg"),
                "--map",
                str(tmp_path / "m.svg"),
            ]
        )
        == 0
    )
    assert _events((tmp_path / "c.ics").read_bytes())
    assert (tmp_path / "c.svg").stat().st_size > 0 and (tmp_path / "m.svg").stat().st_size > 0


def test_cli_errors_are_one_line_exit_2(
    plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, schedule, _ = plan
    (tmp_path / "s.json").write_text(dump(scenario), encoding="utf-8")
    (tmp_path / "p.json").write_text(dump(schedule), encoding="utf-8")
    base = ["moves", str(tmp_path / "s.json"), str(tmp_path / "p.json")]
    for extra in (
        ["--container", "nope"],
        ["--from", "2027-02-30"],
        ["--chart", "x.gif"],
        ["--format", "ics", "--site", "nope"],
        ["--site", "x"],
        ["--notice-days", "-1"],
    ):
        capsys.readouterr()
        assert main([*base, *extra]) == 2, extra
        err = capsys.readouterr().err
        assert err.startswith("hubplan: error:") and err.count("\n") == 1, err


def test_cli_compare_lists_new_changed_and_cancelled_moves(
    plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, schedule, _ = plan
    first, *rest = sorted(schedule.container_moves, key=lambda m: m.depart)
    # dropped: a move the diff cannot take for the rescheduled one (another route)
    route = (first.container, first.from_, first.to)
    gone = next((m for m in rest if (m.container, m.from_, m.to) != route), None)
    week = dt.timedelta(days=7)
    later = first.model_copy(update={"depart": first.depart + week, "ready": first.ready + week})
    old = schedule.model_copy(update={"container_moves": [first, *rest]})
    new = schedule.model_copy(update={"container_moves": [later, *(m for m in rest if m != gone)]})
    (tmp_path / "s.json").write_text(dump(scenario), encoding="utf-8")
    (tmp_path / "old.json").write_text(dump(old), encoding="utf-8")
    (tmp_path / "new.json").write_text(dump(new), encoding="utf-8")
    base = ["moves", str(tmp_path / "s.json"), str(tmp_path / "new.json")]
    assert main([*base, "--compare", str(tmp_path / "old.json"), "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["format"] == "hubplan-move-changes/1" and found["new"] == []
    (changed,) = found["changed"]
    assert changed["container"] == first.container and changed["changed"][:2] == ["depart", "ready"]
    dropped = [(gone.container, str(gone.depart))] if gone else []
    assert [(m["container"], m["depart"]) for m in found["cancelled"]] == dropped
    assert main([*base, "--compare", str(tmp_path / "old.json")]) == 0
    table = capsys.readouterr().out
    assert f"{first.depart} -> {later.depart}" in table
    assert f"(0 new, 1 changed, {len(dropped)} cancelled)" in table
    assert main([*base, "--compare", str(tmp_path / "new.json"), "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1  # the header only: nothing changed
    assert main([*base, "--compare", str(tmp_path / "old.json"), "--format", "ics"]) == 2


# -- gateway views -------------------------------------------------------------------
def test_gateway_views_from_a_region_catalogue(plan: Plan) -> None:
    from schemas.events import RegionCatalogue
    from services.logistics import views
    from services.logistics.errors import UnknownReferenceError

    scenario, schedule, _ = plan
    region = scenario.sites[0].region
    fields = set(RegionCatalogue.model_fields)
    catalogue = {
        k: v
        for k, v in scenario.model_dump(mode="json", by_alias=True, exclude_none=True).items()
        if k in fields
    }
    live = views.scenario_of_catalogue(region, catalogue)
    assert live.requests == [] and live.sites == scenario.sites
    box = schedule.container_moves[0].container
    doc = read_moves_json(views.orders_json(live, schedule, container=box))
    assert {o.container for o in doc.orders} == {box} and len(doc.itineraries) == 1
    assert views.orders_csv_text(live, schedule).startswith("container,region,from,")
    assert b"BEGIN:VCALENDAR" in views.container_ics(live, schedule, box)
    assert b"BEGIN:VCALENDAR" in views.site_ics(live, schedule, schedule.container_moves[0].to)
    assert box in views.chart_svg(live, schedule) and box in views.map_svg(live, schedule)
    with pytest.raises(UnknownReferenceError):
        views.container_ics(live, schedule, "ghost")
