"""Reading and writing contract files, with errors that name the file and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from schemas.common import describe_errors
from schemas.scenario import Scenario
from schemas.schedule import Schedule
from services.cli.errors import ContractError, InputFileError

M = TypeVar("M", bound=BaseModel)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from None


def load(path: str, model: type[M]) -> M:
    text = _read(path)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"not JSON: {exc.msg} at line {exc.lineno}") from None
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        raise ContractError(path, describe_errors(exc)) from None


def load_scenario(path: str) -> Scenario:
    """A scenario file, or the name of a shipped scenario when no such file exists.

    The one resolver of every command that takes a SCENARIO (solve, validate,
    moves, replan, travel-matrix): a file always wins, so a local file named
    like a shipped scenario is never shadowed.
    """
    if not Path(path).exists():
        from services.scenarios.shipped import list_shipped, load_shipped

        if path in list_shipped():
            return Scenario.model_validate_json(json.dumps(load_shipped(path)))
    return load(path, Scenario)


def load_schedule(path: str) -> Schedule:
    return load(path, Schedule)


def dump(model: BaseModel) -> str:
    return model.model_dump_json(indent=2, by_alias=True, exclude_none=True) + "\n"


def write(path: str, model: BaseModel) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(dump(model), encoding="utf-8")
    except OSError as exc:
        raise InputFileError(path, f"cannot write: {exc.strerror or exc}") from None
