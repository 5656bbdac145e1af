"""The live path places a request where known demand contests it least.

The base world (tests/builders.py) has one dry room at the hub with an am and
a pm day slot; pupils from "near" use it. Monday 2027-01-04 starts the horizon.
"""

from __future__ import annotations

import datetime as dt

import pytest

from schemas.scenario import Request
from schemas.schedule import Session
from services.planner.greedy import place_request
from services.planner.insert import LivePlan
from tests.builders import parse, request, world

TUE, WED = "2027-01-05", "2027-01-06"


def _requests(*specs: dict) -> list[Request]:
    return parse(world(requests=list(specs))).requests


def _catalogue_only() -> LivePlan:
    return LivePlan(parse(world()), {})


def _dates(sessions: list[Session] | object) -> list[str]:
    assert isinstance(sessions, list), sessions
    return [str(s.date) for s in sessions]


def _busy(live: LivePlan, *dates: str) -> None:
    """Book one session on each date (one slot of two taken; its demand noted)."""
    for day in dates:
        (one,) = _requests(request(f"busy-{day}", earliest=day, latest=day))
        assert _dates(live.add(one)) == [day]


def _serves_all_three(ranked: bool) -> tuple[list[str], object]:
    """Tuesday-only, Tuesday-or-Wednesday, Tuesday-only again, in that order."""
    live = _catalogue_only()
    tue_only, flexible, tue_again = _requests(
        request("tue-only", earliest=TUE, latest=TUE),
        request("flexible", earliest=TUE, latest=WED),
        request("tue-again", earliest=TUE, latest=TUE),
    )
    assert _dates(live.add(tue_only)) == [TUE]
    return _dates(live.try_add(flexible, ranked=ranked)), live.add(tue_again)


def test_a_flexible_request_leaves_a_contested_day_to_the_requests_that_need_it() -> None:
    flexible, last = _serves_all_three(ranked=True)
    assert flexible == [WED]  # Tuesday's last slot is wanted by the Tuesday-only demand
    assert _dates(last) == [TUE]


def test_earliest_first_would_have_turned_the_last_request_away() -> None:
    flexible, last = _serves_all_three(ranked=False)
    assert flexible == [TUE]
    assert not isinstance(last, list) and last.reason == "no-capacity"


def test_a_ranking_that_misses_a_fit_falls_back_to_the_earliest_sessions() -> None:
    live = _catalogue_only()
    mon, nxt_mon = "2027-01-04", "2027-01-11"
    _busy(live, mon, nxt_mon)
    # two sessions a week apart inside Mon..next Mon: only that Monday pair works,
    # and both Mondays are contested, so the ranking tries the quiet midweek first
    (gapped,) = _requests(
        request("gapped", sessions=2, min_gap_days=7, earliest=mon, latest=nxt_mon)
    )
    live.pressure.note(gapped, live._candidates(gapped))
    live.inst.requests.append(gapped)
    live.inst.request_index[gapped.id] = r = len(live.inst.requests) - 1
    cands = live._candidates(gapped)
    prefer = live.pressure.prefer_for(gapped, cands)
    assert place_request(live.inst, live.ledger, r, cands, prefer=prefer) is None
    assert _dates(live.add(gapped)) == [mon, nxt_mon]


def test_an_offer_books_exactly_what_probe_showed() -> None:
    live = _catalogue_only()
    tue_only, flexible = _requests(
        request("tue-only", earliest=TUE, latest=TUE),
        request("flexible", earliest=TUE, latest=WED),
    )
    live.add(tue_only)
    shown = live.probe(flexible)
    assert shown is not None and _dates(shown) == [TUE]  # offers are the earliest sessions
    assert live.try_add(flexible, ranked=False) == shown


def test_cancel_and_replace_keep_the_demand_estimate_to_known_requests() -> None:
    live = _catalogue_only()
    a, b = _requests(
        request("a", sessions=2, earliest=TUE, latest=WED),
        request("b", earliest=TUE, latest=TUE),
    )
    live.add(a)
    live.add(b)
    assert sum(live.pressure.option_demand.values()) == pytest.approx(3.0)
    live.cancel("a")
    assert sum(live.pressure.option_demand.values()) == pytest.approx(1.0)
    assert live.pressure.noted == {"b"}
    wider = b.model_copy(update={"latest": dt.date(2027, 1, 8)})
    live.cancel("b")
    live.replace_request(wider)
    assert sum(live.pressure.option_demand.values()) == pytest.approx(1.0)
    spread = [v for v in live.pressure.option_demand.values() if v > 1e-9]
    assert len(spread) == 8  # Tue..Fri, am and pm: the wider window's options


def test_a_rebuilt_plan_decides_the_next_request_as_the_live_one_would() -> None:
    specs = [
        request("tue-only", earliest=TUE, latest=TUE),
        request("gone", earliest=TUE, latest=WED),
        request("flexible", earliest=TUE, latest=WED),
    ]
    tue_only, gone, flexible = _requests(*specs)
    live = _catalogue_only()
    confirmed = live.add(tue_only)
    assert isinstance(confirmed, list)
    live.add(gone)
    live.cancel("gone")  # its demand goes with it
    # a worker taking the region over rebuilds from the tables: the known
    # requests (not the cancelled one) and their sessions
    rebuilt = LivePlan(parse(world(requests=specs[:1])), {"tue-only": confirmed})
    assert rebuilt.pressure.option_demand == pytest.approx(
        {k: v for k, v in live.pressure.option_demand.items() if abs(v) > 1e-9}
    )
    # Tuesday's last slot is contested by the Tuesday-only demand both know of
    assert _dates(rebuilt.add(flexible)) == _dates(live.add(flexible)) == [WED]


def test_sessions_are_numbered_in_date_order_whatever_order_they_were_chosen_in() -> None:
    live = _catalogue_only()
    _busy(live, "2027-01-04", TUE)
    # four sessions Mon..Fri: the ranking takes the quiet Wed-Fri first
    (spread,) = _requests(request("spread", sessions=4, earliest="2027-01-04", latest="2027-01-08"))
    placed = live.add(spread)
    assert isinstance(placed, list)
    assert [s.index for s in placed] == [0, 1, 2, 3]
    assert [str(s.date) for s in placed] == sorted(str(s.date) for s in placed)
    booked = sorted(live.bookings["spread"], key=lambda b: b.index)
    assert [b.day for b in booked] == sorted(b.day for b in booked)
