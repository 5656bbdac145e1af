"""Road travel times for a scenario: from a router's table to ``travel.minutes``.

Without a matrix the planner estimates travel as great-circle km x road
factor / speed, which is wrong where fjords force detours. A road router
gives real times: OSRM's ``table`` service answers one request with a
duration matrix (seconds) over a list of coordinates. This module builds
that request from a scenario's sites and turns the answer into the
scenario's ``travel.minutes`` ({site: {site: minutes}}). It never calls the
network itself: routing happens wherever the operator runs OSRM.

``estimate_minutes`` is the offline fallback used to make the shipped
example matrix; it is an estimate, not a route (see docs/logistics.md).

Command line::

    python -m services.logistics.travel_matrix table.json --scenario s.json -o minutes.json
    python -m services.logistics.travel_matrix --estimate --scenario s.json -o minutes.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from schemas.scenario import Scenario, Site
from services.logistics.errors import TravelMatrixError
from services.planner.travel import great_circle_km

DATA_PACKAGE = "services.scenarios.data.travel"
Matrix = dict[str, dict[str, float]]


def osrm_table_url(base_url: str, sites: Sequence[Site], profile: str = "driving") -> str:
    """The OSRM ``table`` request for these sites, in this order (lon,lat pairs)."""
    coords = ";".join(f"{s.lon:.6f},{s.lat:.6f}" for s in sites)
    return f"{base_url.rstrip('/')}/table/v1/{profile}/{coords}?annotations=duration,distance"


def minutes_from_osrm(
    table: Mapping[str, Any],
    source_ids: Sequence[str],
    destination_ids: Sequence[str] | None = None,
    *,
    decimals: int = 1,
) -> Matrix:
    """``durations`` (seconds, rows = sources) as minutes keyed by site id.

    Unroutable pairs (``null``) are left out, so the planner falls back to
    its estimate for them rather than treating them as zero minutes.
    """
    targets = list(destination_ids if destination_ids is not None else source_ids)
    if table.get("code", "Ok") != "Ok":
        raise TravelMatrixError(f"router answered {table.get('code')}: {table.get('message', '')}")
    durations = table.get("durations")
    if not isinstance(durations, list):
        raise TravelMatrixError("no 'durations' matrix in the table (ask for annotations=duration)")
    for name, ids in (("sources", source_ids), ("destinations", targets)):
        given = table.get(name)
        if isinstance(given, list) and len(given) != len(ids):
            raise TravelMatrixError(f"table has {len(given)} {name}, expected {len(ids)}")
    if len(durations) != len(source_ids):
        raise TravelMatrixError(f"table has {len(durations)} rows, expected {len(source_ids)}")
    out: Matrix = {}
    for a, row in zip(source_ids, durations, strict=True):
        if not isinstance(row, list) or len(row) != len(targets):
            raise TravelMatrixError(f"row of '{a}' has the wrong length (expected {len(targets)})")
        for b, seconds in zip(targets, row, strict=True):
            if a == b or seconds is None:
                continue
            if not isinstance(seconds, int | float) or seconds < 0:
                raise TravelMatrixError(f"duration {a} -> {b} is not a non-negative number")
            out.setdefault(a, {})[b] = round(seconds / 60, decimals)
    return out


def scenario_minutes_from_osrm(scenario: Scenario, table: Mapping[str, Any]) -> Matrix:
    """For a table requested with :func:`osrm_table_url` over ``scenario.sites``."""
    return minutes_from_osrm(table, [s.id for s in scenario.sites])


def estimate_minutes(
    sites: Sequence[Site],
    *,
    detour: float = 1.3,
    town_km: float = 5.0,
    town_kmh: float = 40.0,
    road_kmh: float = 75.0,
) -> Matrix:
    """Offline estimate: great-circle km x detour, slow near both ends, faster between.

    The first and last ``town_km`` of a trip are driven at town speed (exits,
    roundabouts, school streets); the rest at a main-road average that mixes
    E18/E39 with county roads. Not a route: fjords and ferries are ignored.
    """
    out: Matrix = {}
    for a in sites:
        for b in sites:
            if a.id == b.id:
                continue
            road = great_circle_km(a.lat, a.lon, b.lat, b.lon) * detour
            slow = min(road, 2 * town_km)
            minutes = slow / town_kmh * 60 + (road - slow) / road_kmh * 60
            out.setdefault(a.id, {})[b.id] = round(minutes, 1)
    return out


def with_travel_minutes(scenario: Scenario, minutes: Mapping[str, Mapping[str, float]]) -> Scenario:
    """The scenario with ``travel.minutes`` set (entries for unknown sites dropped)."""
    known = {s.id for s in scenario.sites}
    kept = {
        a: {b: m for b, m in row.items() if b in known} for a, row in minutes.items() if a in known
    }
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["travel"]["minutes"] = {a: row for a, row in kept.items() if row}
    return Scenario.model_validate_json(json.dumps(data))


def load_travel_matrix(name: str = "agder-example-minutes") -> Matrix:
    """A shipped matrix file's ``minutes`` (see its ``about`` for how it was made)."""
    try:
        text = resources.files(DATA_PACKAGE).joinpath(f"{name}.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TravelMatrixError(f"no shipped travel matrix '{name}'") from None
    data: dict[str, Any] = json.loads(text)
    minutes: Matrix = data["minutes"]
    return minutes


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m services.logistics.travel_matrix",
        description="Make a scenario's travel.minutes from a router table.",
    )
    p.add_argument("table", nargs="?", help="OSRM table JSON (durations in seconds)")
    p.add_argument("--scenario", required=True, help="scenario whose sites the table was made for")
    p.add_argument("--estimate", action="store_true", help="no table: great-circle estimate")
    p.add_argument("-o", "--output", help="write {minutes: ...} here (default stdout)")
    args = p.parse_args(argv)
    try:
        with open(args.scenario, encoding="utf-8") as fh:
            scenario = Scenario.model_validate_json(fh.read())
        if args.estimate:
            minutes = estimate_minutes(scenario.sites)
        elif args.table:
            with open(args.table, encoding="utf-8") as fh:
                minutes = scenario_minutes_from_osrm(scenario, json.load(fh))
        else:
            raise TravelMatrixError("give a table file or --estimate")
    except (OSError, ValueError, TravelMatrixError) as exc:
        print(f"travel_matrix: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    text = json.dumps({"minutes": minutes}, indent=1, ensure_ascii=False) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
