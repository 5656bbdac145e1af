"""Trips a repair must keep are kept whatever their dates; nothing new departs in the past."""

from __future__ import annotations

import datetime as dt

from ortools.sat.python import cp_model

from services.planner.instance import build_instance
from services.planner.model.build import build_model
from services.planner.model.variables import Move
from services.planner.options import candidates, expand, staff_days
from tests.builders import container, parse, request, world

TODAY = dt.date(2027, 1, 11)


def test_fixed_trips_are_arcs_whatever_their_dates_and_new_ones_start_today() -> None:
    data = world(
        horizon={"start": "2027-01-04", "end": "2027-01-29"},
        containers=[container("box-1"), container("box-2"), container("box-3")],
        sites=[
            *world()["sites"][:2],
            {
                **world()["sites"][2],
                "pad_unavailable": [{"from": "2027-01-20", "to": "2027-01-20"}],
            },
            world()["sites"][3],
        ],
        requests=[request("f", site="far", max_travel_minutes=20, latest="2027-01-29")],
    )
    inst = build_instance(parse(data), not_before=TODAY)
    day = {d: k for k, d in enumerate(inst.days)}
    fixed = [
        # left before today
        Move(0, "depot", "far", day[dt.date(2027, 1, 5)], day[dt.date(2027, 1, 7)]),
        # a delayed truck: ready a week after rule 6's day
        Move(1, "depot", "far", day[dt.date(2027, 1, 11)], day[dt.date(2027, 1, 20)] + 1),
        # arrives on a day the pad is closed (the caller decided it must stay)
        Move(2, "depot", "far", day[dt.date(2027, 1, 18)], day[dt.date(2027, 1, 20)]),
    ]
    options = expand(inst, 0, candidates(inst, inst.requests[0], staff_days(inst)))
    assert options and min(o.day for o in options) >= inst.first_day == day[TODAY]
    model, v, _ = build_model(inst, options, [0], [], fixed)
    assert all(m.depart >= inst.first_day for m in v.moves if m not in fixed)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 5
    solver.parameters.num_workers = 2
    assert solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    _, _, moves = v.extract(solver)
    assert set(fixed) <= set(moves)
