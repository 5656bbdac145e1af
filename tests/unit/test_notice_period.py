"""One notice period for the planner and logistics, pinned on its boundary day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from schemas.scenario import Scenario
from schemas.schedule import ContainerMove, Schedule
from services.logistics.itinerary import is_locked, transport_orders
from services.planner.calendar import in_notice_period, notice_deadline
from services.planner.instance import build_instance
from services.planner.repair import RepairParams, notice_locked_moves
from tests.builders import container, parse, trip, world

D = dt.date.fromisoformat
MONDAY, SATURDAY = D("2027-01-11"), D("2027-01-16")


def _scenario(**changes: Any) -> Scenario:
    return parse(
        world(
            horizon={"start": "2027-01-04", "end": "2027-02-26"},
            containers=[container("box-1")],
            **changes,
        )
    )


def _plan(moves: list[ContainerMove]) -> Schedule:
    """A plan in force with these trips and no sessions."""
    metrics = {"served_value": 0, "requested_value": 0, "container_km": 0.0, "solve_seconds": 0.0}
    return Schedule.model_validate(
        {
            "format": "hubplan-schedule/1",
            "scenario": "s",
            "sessions": [],
            "container_moves": moves,
            "metrics": metrics,
        },
        strict=False,
    )


def test_the_notice_period_is_the_next_n_working_days_after_today() -> None:
    sc = _scenario()
    # Monday: Tue 12, Wed 13, Thu 14, Fri 15, Mon 18
    assert notice_deadline(sc, MONDAY, 5) == D("2027-01-18")
    assert in_notice_period(sc, D("2027-01-18"), MONDAY, 5)
    assert not in_notice_period(sc, D("2027-01-19"), MONDAY, 5)
    assert in_notice_period(sc, D("2027-01-05"), MONDAY, 5)  # left already
    # Saturday: Mon 18 .. Fri 22
    assert notice_deadline(sc, SATURDAY, 5) == D("2027-01-22")
    assert not in_notice_period(sc, D("2027-01-25"), SATURDAY, 5)
    assert notice_deadline(sc, MONDAY, 0) == MONDAY
    # a day closed everywhere is not a working day
    closed = _scenario(closed=[{"from": "2027-01-13", "to": "2027-01-13"}])
    assert notice_deadline(closed, MONDAY, 5) == D("2027-01-19")


def test_repair_and_logistics_lock_the_same_moves() -> None:
    """Logistics marks an order locked exactly when the repair keeps its trip."""
    sc = _scenario()
    inst = build_instance(sc)
    departures = [D("2027-01-15"), D("2027-01-18"), D("2027-01-19"), D("2027-01-22")]
    for today in (MONDAY, SATURDAY):
        for depart in departures:
            move = trip(str(depart), str(depart + dt.timedelta(days=1)))
            current = _plan([move])
            kept = bool(notice_locked_moves(inst, current, RepairParams(today=today)))
            assert kept == is_locked(sc, move, today), (today, depart)
            (order,) = transport_orders(sc, [move], today=today)
            assert order.locked == kept
    # the boundary: Monday's trip on the 18th is inside, the 19th's outside
    current = _plan([trip("2027-01-18", "2027-01-19"), trip("2027-01-19", "2027-01-20")])
    kept = notice_locked_moves(inst, current, RepairParams(today=MONDAY))
    assert [inst.days[m.depart] for m in kept] == [D("2027-01-18")]
