"""The ``hubplan`` planning commands as a user runs them: exit codes and what they print.

Bad input is one line on stderr and exit code 2 (never a traceback); a plan
that breaks a hard rule is exit code 1 with the violations listed.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from services.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "services/scenarios/data/agder-example.json"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hubplan: error: ")
    assert "Traceback" not in err
    return lines[0]


def _cells(out: str) -> list[list[str]]:
    """The rows of the tables in ``out``, each as its stripped cells."""
    rows = [line.split("│")[1:-1] for line in out.splitlines() if line.startswith("│")]
    return [[cell.strip() for cell in row] for row in rows]


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("solve") / "plan.json"
    assert main(["solve", str(EXAMPLE), "-o", str(out), "--time-limit", "2", "--workers", "1"]) == 0
    return out


def test_solve_writes_a_schedule_the_validator_accepts(
    solved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = json.loads(solved.read_text("utf-8"))
    assert schedule["sessions"], "the example scenario serves at least one request"
    code, out, _ = _run(capsys, "validate", str(EXAMPLE), str(solved))
    assert code == 0
    assert out.startswith(f"valid: {len(schedule['sessions'])} sessions")


def test_solve_summary_counts_unserved_once_and_the_table_gives_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "plan.json"
    code, out, _ = _run(capsys, "solve", str(EXAMPLE), "-o", str(out_file), "--baseline", "fcfs")
    assert code == 0
    unserved = json.loads(out_file.read_text("utf-8"))["unserved"]
    if unserved:
        assert ["requests not served", f"{len(unserved)} (reasons below)"] in _cells(out)
        assert f"Why {len(unserved)} request(s) were not served" in out
        for reason in {u["reason"] for u in unserved}:
            assert reason in out
    else:
        assert "every request was served" in out
    assert f"schedule written to {out_file}" in out


def test_validate_lists_violations_and_exits_1(
    solved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = json.loads(solved.read_text("utf-8"))
    first = schedule["sessions"][0]
    schedule["sessions"].append(dict(first))  # the same unit twice in one slot
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(schedule), "utf-8")
    code, out, _ = _run(capsys, "validate", str(EXAMPLE), str(broken))
    assert code == 1
    assert "violation(s)" in out.splitlines()[-1]
    assert first["request"] in out


def test_validate_of_another_scenarios_plan_is_one_error_line(
    solved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan made for another scenario used to print hundreds of 'unknown request'
    lines; it is bad input (exit 2), said once."""
    schedule = json.loads(solved.read_text("utf-8"))
    schedule["scenario"] = "agder-nordland-spring-2027"
    other = tmp_path / "other-plan.json"
    other.write_text(json.dumps(schedule), "utf-8")
    code, out, err = _run(capsys, "validate", str(EXAMPLE), str(other))
    assert code == 2 and out == ""
    line = _one_error_line(err)
    assert "agder-nordland-spring-2027" in line and "agder-spring-2027-example" in line


def test_solve_of_locks_that_clash_writes_a_valid_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two locks for one instructor over her weekly cap: one is displaced with the
    reason (solve used to write a plan breaking rule 7 and exit 0)."""
    from tests.builders import request, world

    staff = {"home_site": "hub", "types": ["dry-room"], "parts": ["day"]}
    lock = {"index": 0, "slot": "am", "resource": "dry-1", "staff": "ola"}
    data = world(
        staff=[{"id": "ola", **staff, "max_sessions_per_week": 1}],
        requests=[request("a"), request("b")],
        locked=[
            {"request": "a", "date": "2027-01-05", **lock},
            {"request": "b", "date": "2027-01-06", **lock},
        ],
    )
    scenario, plan = tmp_path / "cap.json", tmp_path / "plan.json"
    scenario.write_text(json.dumps(data), "utf-8")
    code, _, _ = _run(capsys, "solve", str(scenario), "-o", str(plan), "--time-limit", "2")
    assert code == 0
    assert _run(capsys, "validate", str(scenario), str(plan))[0] == 0
    (displaced,) = json.loads(plan.read_text("utf-8"))["displaced"]
    assert displaced["request"] == "b" and "week 2027-W01" in displaced["reason"]


def test_solve_never_writes_a_plan_that_breaks_a_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The net under the planner: a result the validator rejects is reported, not written."""
    from services.cli import plan_commands
    from services.planner.solve import solve

    def broken(*args: object, **kwargs: object) -> object:
        result = solve(*args, **kwargs)  # type: ignore[arg-type]
        result.sessions.append(result.sessions[0])  # the same unit twice in one slot
        return result

    monkeypatch.setattr(plan_commands, "solve", broken)
    plan = tmp_path / "plan.json"
    code, out, _ = _run(capsys, "solve", str(EXAMPLE), "-o", str(plan), "--time-limit", "1")
    assert code == 1
    assert "rule 4" in out and "nothing written" in out
    assert not plan.exists()


def test_explain_says_where_a_served_request_goes(
    solved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = json.loads(solved.read_text("utf-8"))["sessions"][0]
    code, out, _ = _run(capsys, "explain", str(solved), session["request"])
    assert code == 0
    assert out.startswith(f"{session['request']}: served with")
    assert f"{session['date']} {session['slot']} at {session['site']}" in out


def test_explain_says_why_a_request_is_not_served(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.builders import request, world

    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    data = world(requests=[request(f"r{i}", priority=1 + i, **day) for i in range(3)])
    scenario, plan = tmp_path / "s.json", tmp_path / "plan.json"
    scenario.write_text(json.dumps(data), "utf-8")
    assert _run(capsys, "solve", str(scenario), "-o", str(plan), "--time-limit", "2")[0] == 0
    code, out, _ = _run(capsys, "explain", str(plan), "r0")
    assert code == 0
    assert out.splitlines() == [
        "r0: not served (not-optimised)",
        "  could be served alone, but not beside the requests this plan serves (they are "
        "worth more together): only 0 date(s) stay free for it, 1 needed; its usable slots "
        "are taken by r1, r2",
    ]


def test_explain_lists_the_displaced_locks_of_an_unserved_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The unserved branch returned before the displaced rows were listed."""
    from tests.builders import request, world

    day = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    data = world(
        requests=[request("a", **day)],
        locked=[
            {"request": "a", "index": 0, "date": "2027-01-05", "slot": "am", "resource": "dry-1"}
        ],
    )
    data["equipment"][0]["unavailable"] = [{"from": "2027-01-05", "to": "2027-01-05"}]
    scenario, plan = tmp_path / "s.json", tmp_path / "plan.json"
    scenario.write_text(json.dumps(data), "utf-8")
    assert _run(capsys, "solve", str(scenario), "-o", str(plan), "--time-limit", "2")[0] == 0
    (displaced,) = json.loads(plan.read_text("utf-8"))["displaced"]
    code, out, _ = _run(capsys, "explain", str(plan), "a")
    assert code == 0
    assert out.splitlines()[0].startswith("a: not served (")
    assert out.splitlines()[-1] == (
        f"  locked session #0 on 2027-01-05 was displaced: {displaced['reason']}"
    )


def test_explain_an_unknown_request_is_one_error_line(
    solved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "explain", str(solved), "no-such-request")
    assert code == 2
    assert "no request 'no-such-request'" in _one_error_line(err)


def test_missing_file_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.json"
    code, _, err = _run(capsys, "solve", str(missing), "-o", str(tmp_path / "out.json"))
    assert code == 2
    assert _one_error_line(err) == f"hubplan: error: {missing}: no such file"


def test_not_json_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "hubplan-scenario/1",\n  oops}', "utf-8")
    code, _, err = _run(capsys, "validate", str(bad), str(bad))
    assert code == 2
    assert "not JSON" in _one_error_line(err) and "line 2" in err


def test_contract_breach_names_the_json_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(EXAMPLE.read_text("utf-8"))
    data["requests"][0]["group_size"] = "many"
    data["sites"][1]["colour"] = "blue"
    bad = tmp_path / "scenario.json"
    bad.write_text(json.dumps(data), "utf-8")
    code, _, err = _run(capsys, "solve", str(bad), "-o", str(tmp_path / "out.json"))
    assert code == 2
    line = _one_error_line(err)
    assert "sites[1].colour" in line or "requests[0].group_size" in line
    assert "more problem" in line  # both are reported, the first one named
    assert not (tmp_path / "out.json").exists()


def test_generate_writes_a_scenario_that_solves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "gen.json"
    code, _, _ = _run(capsys, "generate", "--seed", "4", "--requests", "12", "-o", str(scenario))
    assert code == 0
    data = json.loads(scenario.read_text("utf-8"))
    assert len(data["requests"]) == 12
    plan = tmp_path / "plan.json"
    assert (
        main(["solve", str(scenario), "-o", str(plan), "--time-limit", "1", "--workers", "1"]) == 0
    )
    capsys.readouterr()
    code, out, _ = _run(capsys, "validate", str(scenario), str(plan))
    assert code == 0, out


def test_a_file_that_is_not_utf8_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe{}")
    code, _, err = _run(capsys, "validate", str(binary), str(binary))
    assert code == 2
    assert "not UTF-8" in _one_error_line(err)


@pytest.mark.parametrize(
    "argv",
    [
        ["solve", "s.json", "-o", "x.json", "--time-limit", "nan"],
        ["solve", "s.json", "-o", "x.json", "--time-limit", "-1"],
        ["solve", "s.json", "-o", "x.json", "--workers", "-3"],
        ["generate", "--weeks", "0"],
        ["generate", "--regions", "0"],
        ["generate", "--containers", "-1"],
    ],
)
def test_nonsense_arguments_are_refused_before_anything_runs(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {argv[-2]}" in err and "Traceback" not in err


def test_validate_reports_unknown_ids_instead_of_crashing(
    solved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = json.loads(solved.read_text("utf-8"))
    schedule["sessions"][0]["request"] = "ghost"
    schedule["sessions"][1]["slot"] = "midnight"
    schedule["container_moves"] = [
        {
            "container": "nobox",
            "from": "nowhere",
            "to": "ghost-town",
            "depart": "2027-01-04",
            "ready": "2027-01-06",
            "km": 1.0,
        }
    ]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(schedule), "utf-8")
    code, out, err = _run(capsys, "validate", str(EXAMPLE), str(broken))
    assert code == 1 and "Traceback" not in err
    for ghost in ("request 'ghost'", "slot 'midnight'", "container 'nobox'", "site 'ghost-town'"):
        assert ghost in out
    assert out.splitlines()[-1] == "5 violation(s)"


def test_replan_refuses_the_plan_of_another_scenario(
    solved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = json.loads(solved.read_text("utf-8"))
    kept = schedule["sessions"][0]["request"]
    for session in schedule["sessions"]:
        if session["request"] != kept:
            session["request"] = "from-another-scenario"
    plan = tmp_path / "other-plan.json"
    plan.write_text(json.dumps(schedule), "utf-8")
    events = tmp_path / "events.json"
    events.write_text(
        json.dumps({"disruptions": [{"kind": "booking-cancelled", "request": kept}]}), "utf-8"
    )
    code, _, err = _run(
        capsys, "replan", str(EXAMPLE), str(plan), str(events), "-o", str(tmp_path / "x.json")
    )
    assert code == 2
    line = _one_error_line(err)
    assert "'from-another-scenario'" in line and "another scenario?" in line


@pytest.mark.parametrize(
    "argv, said",
    [
        (
            ["solve", "s.json", "-o", "x.json", "--baseline", "fcfs", "--fair-share"],
            "no --fair-share",
        ),
        (
            ["moves", "s.json", "p.json", "--format", "ics", "--site", "a", "--container", "b"],
            "drop --container",
        ),
        (
            ["moves", "s.json", "p.json", "--format", "ics", "--from", "2027-01-01"],
            "filter orders only",
        ),
    ],
)
def test_options_that_cannot_go_together_are_refused(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, *argv)
    assert code == 2 and said in _one_error_line(err)


def test_replan_can_write_the_scenario_its_plan_is_valid_for(
    solved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = json.loads(solved.read_text("utf-8"))["sessions"][0]["request"]
    events = tmp_path / "events.json"
    events.write_text(
        json.dumps({"disruptions": [{"kind": "booking-cancelled", "request": gone}]}), "utf-8"
    )
    plan, after = tmp_path / "repaired.json", tmp_path / "after.json"
    argv = ["replan", str(EXAMPLE), str(solved), str(events), "-o", str(plan)]
    code, out, _ = _run(capsys, *argv, "--scenario-out", str(after), "--time-limit", "2")
    assert code == 0 and f"disrupted scenario written to {after}" in out
    assert gone not in {r["id"] for r in json.loads(after.read_text("utf-8"))["requests"]}
    code, out, _ = _run(capsys, "validate", str(after), str(plan))
    assert code == 0, out


def _one_trip_files(
    tmp_path: Path, depart: str, ready: str, session: str, *events: object
) -> list[str]:
    """Scenario, plan and events files of a tiny world: box-1 goes depot -> far departing
    ``depart`` and holds request f's one session there on ``session``."""
    from tests.builders import container, request, trip, world

    data = world(
        horizon={"start": "2027-01-04", "end": "2027-01-29"},
        containers=[container("box-1")],
        requests=[request("f", site="far", max_travel_minutes=20, latest="2027-01-29")],
    )
    f = {"request": "f", "index": 0, "date": session, "slot": "pm", "site": "far"}
    metrics = {"served_value": 10, "requested_value": 10, "container_km": 0, "solve_seconds": 0}
    plan = {
        "format": "hubplan-schedule/1",
        "scenario": "tiny",
        "sessions": [{**f, "resource": "box-1"}],
        "container_moves": [trip(depart, ready).model_dump(mode="json", by_alias=True)],
        "metrics": metrics,
    }
    paths = []
    for name, body in (("scenario", data), ("plan", plan), ("events", {"disruptions": events})):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(body), "utf-8")
        paths.append(str(path))
    return paths


def test_replan_reports_a_booked_trip_it_could_not_keep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pad closes on a booked trip's arrival day: the trip is re-planned, and the
    run says so (it used to report 'sessions changed: 0' and move the trip into the past)."""
    closed = {"kind": "pad-unavailable", "site": "far", "from": "2027-01-29", "to": "2027-01-29"}
    files = _one_trip_files(tmp_path, "2027-01-27", "2027-01-29", "2027-01-29", closed)
    after = tmp_path / "after.json"
    argv = ["replan", *files, "-o", str(after), "--today", "2027-01-25", "--frozen-days", "0"]
    code, out, _ = _run(capsys, *argv, "--time-limit", "2")
    assert code == 0, out
    assert "container trips changed: 1" in out
    assert "booked trip not kept: box-1 depot->far departing 2027-01-27" in out
    moves = json.loads(after.read_text("utf-8"))["container_moves"]
    assert [m["depart"] >= "2027-01-25" for m in moves] == [True]


def test_replan_of_a_delayed_truck_shows_the_new_ready_day_in_the_transport_orders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The truck left on the 13th and is ready on the 20th instead of the 15th: the trip
    keeps its departure, the orders say ready on the 20th, the session moves after it."""
    late = {"kind": "container-delayed", "container": "box-1", "ready": "2027-01-20"}
    files = _one_trip_files(tmp_path, "2027-01-13", "2027-01-15", "2027-01-15", late)
    after, disrupted = tmp_path / "after.json", tmp_path / "disrupted.json"
    argv = ["replan", *files, "-o", str(after), "--today", "2027-01-14", "--frozen-days", "0"]
    code, out, _ = _run(capsys, *argv, "--scenario-out", str(disrupted), "--time-limit", "2")
    assert code == 0, out
    assert "container trips changed: 1" in out and "sessions changed: 1" in out
    orders = tmp_path / "orders.csv"
    argv = ["moves", str(disrupted), str(after), "--format", "csv", "-o", str(orders)]
    code, out, _ = _run(capsys, *argv)
    assert code == 0, out
    (row,) = list(csv.DictReader(orders.read_text("utf-8").splitlines()))
    assert (row["depart"], row["ready"]) == ("2027-01-13", "2027-01-20")
    (session,) = json.loads(after.read_text("utf-8"))["sessions"]
    assert session["date"] >= "2027-01-20"
    code, out, _ = _run(capsys, "validate", str(disrupted), str(after))
    assert code == 0, out
