"""What ``solve`` reports while it works: served value (no lock bonus), a true bound, km."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.scenario import Scenario
from services.planner.plan_result import Progress
from services.planner.solve import SolveParams, solve

EXAMPLE = Path(__file__).resolve().parents[2] / "services/scenarios/data/agder-example.json"


def _with_locks(count: int) -> Scenario:
    """The shipped example with the first ``count`` sessions of a solved plan locked."""
    data = json.loads(EXAMPLE.read_text("utf-8"))
    first = solve(Scenario.model_validate_json(json.dumps(data)), SolveParams(time_limit=2))
    data["locked"] = [
        {
            "request": s.request,
            "index": s.index,
            "date": s.date.isoformat(),
            "slot": s.slot,
            "resource": s.resource,
            "site": s.site,
            **({"staff": s.staff} if s.staff else {}),
        }
        for s in first.sessions[:count]
    ]
    return Scenario.model_validate_json(json.dumps(data))


def test_progress_and_bound_are_in_served_value_when_locks_are_kept() -> None:
    scenario = _with_locks(20)
    heard: list[Progress] = []
    result = solve(scenario, SolveParams(time_limit=6, workers=2, on_progress=heard.append))
    value_phase = [p for p in heard if p.phase in ("value", "neighbourhoods")]
    assert value_phase, "the value phase reported progress"
    requested = result.requested_value
    for p in value_phase:  # the lock bonus (more than all requested value) is gone
        assert 0 <= p.incumbent <= p.bound + 1e-6
        assert p.bound <= requested  # not bonuses of locks the incumbent has not kept
    assert result.displaced == []
    assert result.bound is not None
    assert result.served_value <= result.bound <= requested
    assert max(p.incumbent for p in value_phase) <= result.served_value
    km = [p for p in heard if p.phase == "container km"]
    assert all(0 <= p.bound <= p.incumbent + 1e-6 for p in km)
    assert all(p.incumbent <= result.container_km + 0.1 for p in km[-1:])
