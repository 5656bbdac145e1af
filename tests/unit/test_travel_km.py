"""A road-km matrix (travel.km) wins over great-circle x road factor; the OSRM converter
and ``hubplan travel-matrix`` fill it from the router's distances."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from services.cli.main import main
from services.logistics.travel_matrix import km_from_osrm, with_travel_minutes
from services.planner.solve import SolveParams, solve
from services.planner.travel import TravelTable
from services.validator import validate
from tests.builders import container, parse, request, world

SITES = ["hub", "near", "far", "depot"]


def _table() -> dict[str, Any]:
    """An OSRM table over the base world's four sites (seconds and metres)."""
    n = len(SITES)
    return {
        "code": "Ok",
        "durations": [[0 if i == j else 600.0 * (i + j) for j in range(n)] for i in range(n)],
        "distances": [
            [0 if i == j else (None if {i, j} == {0, 3} else 10_000.0 * (i + j)) for j in range(n)]
            for i in range(n)
        ],
        "sources": [{}] * n,
        "destinations": [{}] * n,
    }


def test_km_matrix_wins_over_the_great_circle_estimate() -> None:
    data = world()
    data["travel"]["km"] = {"depot": {"far": 250.0}}
    table = TravelTable.of(parse(data))
    assert table.road_km("depot", "far") == 250.0
    assert table.road_km("far", "depot") == 250.0  # one direction serves both
    plain = TravelTable.of(parse(world()))
    assert table.road_km("hub", "near") == plain.road_km("hub", "near")  # not in the matrix
    # without minutes for the pair, the estimate drives the matrix km
    assert table.truck_minutes("depot", "far") == pytest.approx(250.0 / 65 * 60)


def test_a_plan_reports_matrix_km_and_the_validator_agrees() -> None:
    data = world(
        containers=[container()], requests=[request("f", site="far", max_travel_minutes=20)]
    )
    data["travel"]["km"] = {"depot": {"far": 250.0}}
    scenario = parse(data)
    sch = solve(scenario, SolveParams(time_limit=3, workers=2)).to_schedule("t")
    (move,) = sch.container_moves
    assert move.km == 250.0 and sch.metrics.container_km == pytest.approx(250.0)
    assert validate(scenario, sch) == []


def test_osrm_distances_become_km_and_unroutable_pairs_are_left_out() -> None:
    km = km_from_osrm(_table(), SITES)
    assert km["near"]["far"] == 30.0 and km["far"]["near"] == 30.0
    assert "depot" not in km["hub"] and "hub" not in km["depot"]  # null: estimate instead
    scenario = with_travel_minutes(parse(world()), {"near": {"far": 50.0}}, km)
    assert scenario.travel.km is not None and scenario.travel.km["near"]["far"] == 30.0


class _Osrm(BaseHTTPRequestHandler):
    asked: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        _Osrm.asked.append(self.path)
        body = json.dumps(_table()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def osrm() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Osrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_cli_travel_matrix_asks_the_router_and_writes_the_scenario(
    osrm: str, tmp_path: Path
) -> None:
    src, out = tmp_path / "s.json", tmp_path / "routed.json"
    src.write_text(json.dumps(world()))
    assert main(["travel-matrix", str(src), "--osrm", osrm, "-o", str(out)]) == 0
    (path,) = _Osrm.asked[-1:]
    assert path.startswith("/table/v1/driving/") and "annotations=duration,distance" in path
    assert path.count(";") == len(SITES) - 1  # every site, in scenario order
    routed = parse(json.loads(out.read_text()))
    assert routed.travel.minutes is not None and routed.travel.km is not None
    assert routed.travel.minutes["hub"]["near"] == 10.0  # 600 s
    assert routed.travel.km["near"]["far"] == 30.0
    # a saved table gives the same; --matrix-only writes only the matrices
    saved = tmp_path / "table.json"
    saved.write_text(json.dumps(_table()))
    only = tmp_path / "m.json"
    assert (
        main(["travel-matrix", str(src), "--table", str(saved), "--matrix-only", "-o", str(only)])
        == 0
    )
    assert json.loads(only.read_text())["km"] == routed.travel.km


def test_cli_travel_matrix_says_in_one_line_when_the_router_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "s.json"
    src.write_text(json.dumps(world()))
    assert main(["travel-matrix", str(src), "--osrm", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hubplan: error: cannot reach the router") and "\n" not in err


def test_the_shipped_example_plans_with_its_estimated_matrix() -> None:
    from services.logistics.travel_matrix import load_travel_matrix
    from services.scenarios.shipped import load_shipped, shipped_travel

    plain = load_shipped("agder-example", travel=False)
    assert "minutes" not in plain["travel"]  # the spec's example, byte for byte
    shipped = load_shipped("agder-example")
    assert shipped["travel"]["minutes"] == load_travel_matrix("agder-example-minutes")
    about = (shipped_travel("agder-example") or {})["about"]
    assert "ESTIMATED, NOT ROUTED" in about
    assert shipped_travel("agder-nordland-spring-2027") is None
