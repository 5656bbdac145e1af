"""The ``hubplan`` command: one entry point, sub-commands per job.

Any :class:`CliError` becomes one line on stderr and exit code 2; a traceback
means a bug, never bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from services.cli import (
    logistics_commands,
    plan_commands,
    replan_commands,
    stack_commands,
    travel_commands,
)
from services.cli.errors import CliError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hubplan",
        description="Plan shared battery-training equipment: hubs, container labs, instructors.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    plan_commands.add_commands(sub)
    stack_commands.add_commands(sub)
    replan_commands.add_commands(sub)
    logistics_commands.add_commands(sub)
    travel_commands.add_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except CliError as exc:
        print(f"hubplan: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hubplan: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
