"""Every command that takes a SCENARIO takes a shipped scenario's name, through one resolver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli.files import load_scenario
from services.cli.main import main
from tests.builders import world


def test_solve_and_validate_take_a_shipped_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.json"
    args = ["solve", "agder-example", "-o", str(plan), "--time-limit", "1", "--workers", "1"]
    assert main(args) == 0
    assert json.loads(plan.read_text())["scenario"] == "agder-spring-2027-example"
    assert main(["validate", "agder-example", str(plan)]) == 0
    assert "valid:" in capsys.readouterr().out


def test_a_file_wins_over_a_shipped_name_and_unknown_names_say_no_such_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("agder-example").write_text(json.dumps(world()))
    assert load_scenario("agder-example").name == "tiny"
    assert main(["solve", "no-such-scenario", "-o", "p.json"]) == 2
    assert "no such file" in capsys.readouterr().err
