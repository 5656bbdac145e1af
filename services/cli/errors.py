"""Errors the CLI turns into one clear line and exit code 2.

CliError
├── InputFileError      a file is missing, unreadable or not JSON
└── ContractError       a file breaks the scenario/schedule contract
"""

from __future__ import annotations


class CliError(Exception):
    """Base: anything the user can fix from the message alone."""


class InputFileError(CliError):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path


class ContractError(CliError):
    def __init__(self, path: str, problems: list[dict[str, str]]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{path}: {first['field']}: {first['message']}{more}")
        self.path = path
        self.problems = problems
