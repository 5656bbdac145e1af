"""Ejection chains make room for a request by moving (or dropping) a competitor."""

from __future__ import annotations

from collections.abc import Callable

from services.planner.ejection import place_with_ejection
from services.planner.greedy import served_requests
from services.planner.instance import Instance, build_instance
from services.planner.ledger import Booking
from services.planner.options import FIXED, Candidate, Option, candidates, expand, staff_days
from tests.builders import parse, request, world

DAY = {"earliest": "2027-01-05", "latest": "2027-01-05"}


def _setup(b_window: dict[str, str]) -> tuple[Instance, list[Booking]]:
    """One dry room; b and c hold both day slots of 2027-01-05; a needs that date."""
    data = world(requests=[request("a", **DAY), request("b", **b_window), request("c", **DAY)])
    inst = build_instance(parse(data))
    k = inst.days.index(parse(data).requests[0].earliest)
    am, pm = inst.slot_ids.index("am"), inst.slot_ids.index("pm")
    travel = inst.travel.car_minutes("near", "hub")
    plan = [
        Booking(1, 0, FIXED, 0, k, am, "hub", travel),
        Booking(2, 0, FIXED, 0, k, pm, "hub", travel),
    ]
    return inst, plan


def _helpers(
    inst: Instance,
) -> tuple[Callable[[int], list[Option]], Callable[[int], list[Candidate]]]:
    staffed = staff_days(inst)

    def cands_of(q: int) -> list[Candidate]:
        return candidates(inst, inst.requests[q], staffed)

    def options_of(q: int) -> list[Option]:
        return expand(inst, q, cands_of(q))

    return options_of, cands_of


def test_a_competitor_with_room_elsewhere_moves() -> None:
    inst, plan = _setup({"earliest": "2027-01-04", "latest": "2027-01-15"})
    options_of, cands_of = _helpers(inst)
    assert (
        place_with_ejection(
            inst, plan, 0, options_of, cands_of, lambda q: True, lambda q: False, depth=0
        )
        is None
    )
    new = place_with_ejection(inst, plan, 0, options_of, cands_of, lambda q: True, lambda q: False)
    assert new is not None and served_requests(new, inst) == {0, 1, 2}
    b = next(x for x in new if x.request == 1)
    assert inst.days[b.day].isoformat() != "2027-01-05"  # b moved to another date


def test_a_competitor_with_no_room_is_dropped_only_when_allowed() -> None:
    inst, plan = _setup(DAY)  # b cannot move either
    options_of, cands_of = _helpers(inst)
    kept = place_with_ejection(inst, plan, 0, options_of, cands_of, lambda q: True, lambda q: False)
    assert kept is None
    dropped = place_with_ejection(
        inst, plan, 0, options_of, cands_of, lambda q: True, lambda q: q == 1
    )
    assert dropped is not None and served_requests(dropped, inst) == {0, 2}


def test_a_pinned_competitor_never_moves() -> None:
    inst, plan = _setup({"earliest": "2027-01-04", "latest": "2027-01-15"})
    options_of, cands_of = _helpers(inst)
    assert (
        place_with_ejection(inst, plan, 0, options_of, cands_of, lambda q: q == 2, lambda q: False)
        is None
    )
