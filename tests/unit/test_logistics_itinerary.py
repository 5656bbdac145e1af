"""Itineraries, transport orders and notice locks on hand-built plans."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from schemas.scenario import Scenario
from schemas.schedule import ContainerMove, Session
from services.logistics.errors import InconsistentMovesError, UnknownReferenceError
from services.logistics.itinerary import (
    add_working_days,
    is_locked,
    itineraries,
    locked_moves,
    notice_deadline,
    transport_orders,
)
from tests.builders import container, parse, world

D = dt.date.fromisoformat


def scenario(**changes: Any) -> Scenario:
    # two weeks from Monday 4 Jan 2027; Wednesday 6 Jan closed everywhere
    return parse(
        world(
            containers=[container("box-1")],
            closed=[{"from": "2027-01-06", "to": "2027-01-06", "reason": "holiday"}],
            **changes,
        )
    )


def move(frm: str, to: str, depart: str, ready: str, km: float = 10.0) -> ContainerMove:
    return ContainerMove.model_validate(
        {
            "container": "box-1",
            "from": frm,
            "to": to,
            "depart": D(depart),
            "ready": D(ready),
            "km": km,
        }
    )


def session(day: str, site: str, index: int = 0) -> Session:
    return Session(request="r1", index=index, date=D(day), slot="am", site=site, resource="box-1")


def test_working_days_skip_weekends_and_closures_beyond_the_horizon() -> None:
    sc = scenario()
    assert add_working_days(sc, D("2027-01-05"), 1) == D("2027-01-07")  # 6th closed
    assert add_working_days(sc, D("2027-01-15"), 1) == D("2027-01-18")  # after horizon end


def test_stays_split_at_moves_and_hold_their_sessions() -> None:
    sc = scenario()
    # depot -> near: departs Tue 5th, 1 transit day, 6th closed, setup Thu 7th, ready Fri 8th
    its = itineraries(
        sc,
        [move("depot", "near", "2027-01-05", "2027-01-08")],
        [session("2027-01-04", "depot"), session("2027-01-11", "near", 1)],
    )
    it = its["box-1"]
    assert [(s.site, s.start, s.end) for s in it.stays] == [
        ("depot", D("2027-01-04"), D("2027-01-04")),
        ("near", D("2027-01-08"), D("2027-01-15")),
    ]
    assert [len(s.sessions) for s in it.stays] == [1, 1]
    leg = it.legs[0]
    assert leg.transit_dates == [D("2027-01-05")] and leg.setup_dates == [D("2027-01-07")]
    assert it.region == "r" and it.stays[1].site_name == "Near vgs"


def test_container_without_moves_stays_home_all_horizon() -> None:
    it = itineraries(scenario(), [])["box-1"]
    assert it.legs == [] and [(s.site, s.start, s.end) for s in it.stays] == [
        ("depot", D("2027-01-04"), D("2027-01-15"))
    ]


@pytest.mark.parametrize(
    ("moves", "sessions", "problem"),
    [
        ([move("near", "hub", "2027-01-05", "2027-01-08")], [], "stands at depot"),
        ([move("depot", "near", "2027-01-09", "2027-01-12")], [], "not a working day"),
        (
            [
                move("depot", "near", "2027-01-05", "2027-01-08"),
                move("near", "hub", "2027-01-07", "2027-01-11"),
            ],
            [],
            "before ready",
        ),
        (
            [move("depot", "near", "2027-01-05", "2027-01-08")],
            [session("2027-01-07", "near")],
            "while moving",
        ),
    ],
)
def test_inconsistent_moves_are_reported(
    moves: list[ContainerMove], sessions: list[Session], problem: str
) -> None:
    with pytest.raises(InconsistentMovesError, match=problem):
        itineraries(scenario(), moves, sessions)


def test_unknown_container_or_site_is_named() -> None:
    bad = ContainerMove.model_validate(
        {
            "container": "ghost",
            "from": "depot",
            "to": "near",
            "depart": D("2027-01-05"),
            "ready": D("2027-01-08"),
            "km": 1.0,
        }
    )
    with pytest.raises(UnknownReferenceError, match="ghost"):
        itineraries(scenario(), [bad])
    with pytest.raises(UnknownReferenceError, match="nowhere"):
        itineraries(scenario(), [move("depot", "nowhere", "2027-01-05", "2027-01-08")])


def test_transport_orders_filter_by_window_and_name_the_receiving_site() -> None:
    sc = scenario()
    moves = [
        move("depot", "near", "2027-01-05", "2027-01-08", km=21.5),
        move("near", "hub", "2027-01-11", "2027-01-13"),
    ]
    orders = transport_orders(sc, moves, since=D("2027-01-06"))
    assert [(o.from_site, o.to_site) for o in orders] == [("near", "hub")]
    first = transport_orders(sc, moves, until=D("2027-01-05"))[0]
    assert first.contact == "Near vgs" and first.km == 21.5 and first.transit_days == 1
    assert first.from_name == "Depot" and first.region == "r" and first.driving_hours > 0


def test_notice_period_counts_working_days() -> None:
    sc = scenario()
    # Monday 4th + 5 working days, the closed 6th skipped: 5, 7, 8, 11, 12
    assert notice_deadline(sc, D("2027-01-04"), 5) == D("2027-01-12")
    moves = [
        move("depot", "near", "2027-01-05", "2027-01-08"),
        move("near", "hub", "2027-01-12", "2027-01-14"),
        move("hub", "depot", "2027-01-14", "2027-01-18"),
    ]
    locked = locked_moves(sc, moves, D("2027-01-04"))
    assert [m.depart for m in locked] == [D("2027-01-05"), D("2027-01-12")]
    assert is_locked(sc, moves[0], D("2027-01-11"))  # already departed: locked too
    assert not is_locked(sc, moves[2], D("2027-01-04"), notice_days=5)
    assert locked_moves(sc, moves, D("2027-01-04"), notice_days=0) == []
    orders = transport_orders(sc, moves, today=D("2027-01-04"))
    assert [o.locked for o in orders] == [True, True, False]
