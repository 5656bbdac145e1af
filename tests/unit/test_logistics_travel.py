"""Router tables -> ``travel.minutes``, and the shipped example matrix."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.scenario import Scenario
from services.logistics.errors import TravelMatrixError
from services.logistics.travel_matrix import (
    estimate_minutes,
    load_travel_matrix,
    main,
    minutes_from_osrm,
    osrm_table_url,
    scenario_minutes_from_osrm,
    with_travel_minutes,
)
from services.planner.solve import SolveParams, solve
from services.planner.travel import TravelTable
from services.scenarios.shipped import load_shipped
from services.validator import validate
from tests.builders import parse, world


def osrm(durations: list[list[Any]], n: int | None = None) -> dict[str, Any]:
    """The shape OSRM's table service answers with (waypoints trimmed)."""
    n = len(durations) if n is None else n
    waypoint = {"hint": "x", "distance": 0.0, "name": "", "location": [8.0, 58.0]}
    return {
        "code": "Ok",
        "durations": durations,
        "sources": [waypoint] * n,
        "destinations": [waypoint] * n,
    }


def example() -> Scenario:
    return Scenario.model_validate_json(json.dumps(load_shipped("agder-example", travel=False)))


def test_seconds_become_minutes_keyed_by_site_and_nulls_are_left_out() -> None:
    table = osrm([[0, 600, None], [630, 0, 1500], [None, 1490, 0]])
    assert minutes_from_osrm(table, ["a", "b", "c"]) == {
        "a": {"b": 10.0},
        "b": {"a": 10.5, "c": 25.0},
        "c": {"b": 24.8},
    }


def test_rectangular_tables_use_destination_ids() -> None:
    table = {"code": "Ok", "durations": [[60, 120]]}
    assert minutes_from_osrm(table, ["a"], ["b", "c"]) == {"a": {"b": 1.0, "c": 2.0}}


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"code": "NoTable", "message": "bad coords"}, "NoTable"),
        ({"code": "Ok"}, "durations"),
        ({"code": "Ok", "durations": [[0, 1], [1, 0]]}, "rows"),
        (osrm([[0, 1, 2], [1, 0, 2], [2, 1, 0]], n=2), "sources"),
        (osrm([[0, 1, 2], [1, 0], [2, 1, 0]]), "wrong length"),
        (osrm([[0, -1, 2], [1, 0, 2], [2, 1, 0]]), "non-negative"),
    ],
)
def test_malformed_tables_are_rejected(table: dict[str, Any], problem: str) -> None:
    with pytest.raises(TravelMatrixError, match=problem):
        minutes_from_osrm(table, ["a", "b", "c"])


def test_request_url_lists_lon_lat_in_site_order() -> None:
    sc = parse(world())
    url = osrm_table_url("http://osrm.local:5000/", sc.sites)
    assert url.startswith("http://osrm.local:5000/table/v1/driving/8.700000,58.400000;")
    assert url.count(";") == len(sc.sites) - 1 and url.endswith("annotations=duration,distance")


def test_a_converted_table_drives_the_travel_table() -> None:
    sc = parse(world())
    n = len(sc.sites)
    table = osrm([[0 if i == j else 3600 * (i + j) for j in range(n)] for i in range(n)])
    planned = with_travel_minutes(sc, scenario_minutes_from_osrm(sc, table))
    t = TravelTable.of(planned)
    assert t.car_minutes("hub", "near") == 60.0 and t.truck_minutes("near", "far") == 180.0


def test_shipped_matrix_covers_the_example_and_looks_like_roads() -> None:
    sc = example()
    minutes = load_travel_matrix("agder-example-minutes")
    ids = {s.id for s in sc.sites}
    assert set(minutes) == ids and all(set(row) == ids - {a} for a, row in minutes.items())
    est = TravelTable.of(sc)
    for a, row in minutes.items():
        for b, m in row.items():
            assert m == minutes[b][a]  # the estimate is symmetric
            assert 0.5 * est.car_minutes(a, b) < m < 2.0 * est.car_minutes(a, b) + 10
    with pytest.raises(TravelMatrixError):
        load_travel_matrix("nowhere")


def test_example_with_shipped_matrix_still_plans_validly() -> None:
    sc = with_travel_minutes(example(), load_travel_matrix())
    assert sc.travel.minutes
    schedule = solve(sc, SolveParams(time_limit=5, workers=2)).to_schedule("matrix")
    assert validate(sc, schedule) == []


def test_estimate_is_slow_in_town_and_faster_between() -> None:
    sc = parse(world())
    m = estimate_minutes(sc.sites)
    assert m["hub"]["depot"] == pytest.approx(m["depot"]["hub"])
    # hub-depot is ~1.7 km: all of it at town speed
    assert m["hub"]["depot"] == pytest.approx(
        TravelTable.of(sc).road_km("hub", "depot") / 40 * 60, abs=0.1
    )


def test_command_line(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sc = parse(world())
    (tmp_path / "s.json").write_text(sc.model_dump_json(by_alias=True, exclude_none=True))
    n = len(sc.sites)
    (tmp_path / "t.json").write_text(json.dumps(osrm([[60] * n for _ in range(n)])))
    assert (
        main(
            [
                str(tmp_path / "t.json"),
                "--scenario",
                str(tmp_path / "s.json"),
                "-o",
                str(tmp_path / "m.json"),
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "m.json").read_text())["minutes"]["hub"]["near"] == 1.0
    assert main(["--estimate", "--scenario", str(tmp_path / "s.json")]) == 0
    assert "minutes" in json.loads(capsys.readouterr().out)
    assert main(["--scenario", str(tmp_path / "s.json")]) == 2
    assert main([str(tmp_path / "missing.json"), "--scenario", str(tmp_path / "s.json")]) == 2
