"""``hubplan travel-matrix``: a scenario's travel minutes and km from an OSRM road router.

A thin wrapper around ``services.logistics.travel_matrix``: ask the router's
``table`` service for every pair of the scenario's sites (or read a saved
answer) and write the scenario with ``travel.minutes`` and ``travel.km``
filled in, ready for ``hubplan solve``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from services.cli.errors import CliError
from services.cli.files import dump, load_scenario
from services.logistics.errors import TravelMatrixError
from services.logistics.travel_matrix import (
    fetch_osrm_table,
    scenario_km_from_osrm,
    scenario_minutes_from_osrm,
    with_travel_minutes,
)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "travel-matrix",
        help="travel minutes and road km between a scenario's sites from an OSRM router",
        description="Ask an OSRM server's table service (annotations=duration,distance) for "
        "every pair of the scenario's sites and write the scenario with travel.minutes and "
        "travel.km filled in. OSRM's car profile: the spec uses one matrix for cars and the "
        "container truck.",
    )
    p.add_argument("scenario", help="scenario JSON, or the name of a shipped scenario")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--osrm", metavar="URL", help="OSRM server, e.g. http://localhost:5000")
    src.add_argument("--table", metavar="FILE", help="a saved OSRM table answer instead")
    p.add_argument("-o", "--output", metavar="FILE", help="write there instead of stdout")
    p.add_argument(
        "--matrix-only",
        action="store_true",
        help='write {"minutes": ..., "km": ...} instead of the whole scenario',
    )
    p.set_defaults(run=cmd_travel_matrix)


def cmd_travel_matrix(args: argparse.Namespace, transport: Any = None) -> int:
    """``transport``: an httpx transport (tests); None talks to the network."""
    scenario = load_scenario(args.scenario)
    try:
        if args.osrm:
            table = fetch_osrm_table(args.osrm, scenario, transport=transport)
        else:
            table = json.loads(Path(args.table).read_text(encoding="utf-8"))
        minutes = scenario_minutes_from_osrm(scenario, table)
        km = scenario_km_from_osrm(scenario, table)
    except OSError as exc:
        raise CliError(f"{args.table}: {exc.strerror}") from None
    except (ValueError, TravelMatrixError) as exc:
        raise CliError(str(exc).splitlines()[0]) from None
    if args.matrix_only:
        found = {"minutes": minutes, **({"km": km} if km is not None else {})}
        text = json.dumps(found, indent=1, ensure_ascii=False) + "\n"
    else:
        text = dump(with_travel_minutes(scenario, minutes, km))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        pairs = sum(len(row) for row in minutes.values())
        print(f"{args.output}: {pairs} routed pairs", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
