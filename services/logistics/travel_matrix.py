"""Road travel times for a scenario: from a router's table to ``travel.minutes``.

Without a matrix the planner estimates travel as great-circle km x road
factor / speed, which is wrong where fjords force detours. A road router
gives real times: OSRM's ``table`` service answers one request with a
duration matrix (seconds) over a list of coordinates. This module builds
that request from a scenario's sites and turns the answer into the
scenario's ``travel.minutes`` ({site: {site: minutes}}) and its distances into
``travel.km``. Only ``fetch_osrm_table`` (``hubplan travel-matrix --osrm``)
calls the network: routing happens wherever the operator runs OSRM.

``estimate_minutes`` is the offline fallback used to make the shipped
example matrix; it is an estimate, not a route (see docs/logistics.md).

Command line::

    hubplan travel-matrix s.json --osrm http://localhost:5000 -o s-routed.json
    python -m services.logistics.travel_matrix table.json --scenario s.json -o minutes.json
    python -m services.logistics.travel_matrix --estimate --scenario s.json -o minutes.json

The first asks the router itself and writes the scenario with ``travel.minutes``
and ``travel.km`` (the table's distances; a project addition) filled in.
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
    return _from_osrm(table, "durations", 60.0, source_ids, destination_ids, decimals)


def km_from_osrm(
    table: Mapping[str, Any],
    source_ids: Sequence[str],
    destination_ids: Sequence[str] | None = None,
    *,
    decimals: int = 1,
) -> Matrix:
    """``distances`` (metres) as road km keyed by site id, for ``travel.km``;
    unroutable pairs left out as for the minutes."""
    return _from_osrm(table, "distances", 1000.0, source_ids, destination_ids, decimals)


def _from_osrm(
    table: Mapping[str, Any],
    name: str,
    per_unit: float,
    source_ids: Sequence[str],
    destination_ids: Sequence[str] | None,
    decimals: int,
) -> Matrix:
    targets = list(destination_ids if destination_ids is not None else source_ids)
    if table.get("code", "Ok") != "Ok":
        raise TravelMatrixError(f"router answered {table.get('code')}: {table.get('message', '')}")
    durations = table.get(name)
    if not isinstance(durations, list):
        annotation = name.rstrip("s")
        raise TravelMatrixError(
            f"no '{name}' matrix in the table (ask for annotations={annotation})"
        )
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
                what = name.rstrip("s")
                raise TravelMatrixError(f"{what} {a} -> {b} is not a non-negative number")
            out.setdefault(a, {})[b] = round(seconds / per_unit, decimals)
    return out


def scenario_minutes_from_osrm(scenario: Scenario, table: Mapping[str, Any]) -> Matrix:
    """For a table requested with :func:`osrm_table_url` over ``scenario.sites``."""
    return minutes_from_osrm(table, [s.id for s in scenario.sites])


def scenario_km_from_osrm(scenario: Scenario, table: Mapping[str, Any]) -> Matrix | None:
    """The table's road km over ``scenario.sites``; None when it has no distances."""
    if "distances" not in table:
        return None
    return km_from_osrm(table, [s.id for s in scenario.sites])


def fetch_osrm_table(
    base_url: str, scenario: Scenario, *, transport: Any = None, timeout: float = 120.0
) -> dict[str, Any]:
    """GET the ``table`` of ``scenario.sites`` from an OSRM server (``transport``: tests)."""
    import httpx

    url = osrm_table_url(base_url, scenario.sites)
    try:
        with httpx.Client(transport=transport, timeout=timeout) as http:
            reply = http.get(url)
    except httpx.HTTPError as exc:
        raise TravelMatrixError(f"cannot reach the router at {base_url}: {exc}") from None
    try:
        table: dict[str, Any] = reply.json()
    except ValueError:
        raise TravelMatrixError(f"router answered HTTP {reply.status_code}, not JSON") from None
    if reply.status_code != 200 and table.get("code", "Ok") == "Ok":
        raise TravelMatrixError(f"router answered HTTP {reply.status_code}")
    return table


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


def with_travel_minutes(
    scenario: Scenario,
    minutes: Mapping[str, Mapping[str, float]],
    km: Mapping[str, Mapping[str, float]] | None = None,
) -> Scenario:
    """The scenario with ``travel.minutes`` (and ``travel.km`` when given) set; entries
    for unknown sites are dropped."""
    known = {s.id for s in scenario.sites}

    def kept(matrix: Mapping[str, Mapping[str, float]]) -> Matrix:
        rows = {
            a: {b: v for b, v in row.items() if b in known}
            for a, row in matrix.items()
            if a in known
        }
        return {a: row for a, row in rows.items() if row}

    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["travel"]["minutes"] = kept(minutes)
    if km is not None:
        data["travel"]["km"] = kept(km)
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
        km: Matrix | None = None
        if args.estimate:
            minutes = estimate_minutes(scenario.sites)
        elif args.table:
            with open(args.table, encoding="utf-8") as fh:
                table = json.load(fh)
            minutes = scenario_minutes_from_osrm(scenario, table)
            km = scenario_km_from_osrm(scenario, table)
        else:
            raise TravelMatrixError("give a table file or --estimate")
    except (OSError, ValueError, TravelMatrixError) as exc:
        print(f"travel_matrix: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    found = {"minutes": minutes, **({"km": km} if km is not None else {})}
    text = json.dumps(found, indent=1, ensure_ascii=False) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
