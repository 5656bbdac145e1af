"""Realistic scenario data: holidays, county calendars, the generator, shipped files.

The generator feeds every other test tier and the demos, so its output is
checked here against the spec's rules with plain code (no planner imports):
ids, references, windows, audiences, determinism, scale, and that the
shipped files are exactly what their recipes generate.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scenarios.facts import great_circle_km, reference, slugify
from services.scenarios.generator import generate, horizon_end
from services.scenarios.holidays import (
    DateRange,
    christmas_break,
    closed_ranges,
    easter_break,
    easter_sunday,
    public_holiday_dates,
    school_calendar,
    summer_break,
    winter_break,
)
from services.scenarios.shipped import (
    RECIPES,
    UnknownScenarioError,
    list_shipped,
    load_shipped,
    regenerate,
)
from services.scenarios.stats import load_by_region

ID = re.compile(r"^[a-z0-9._-]{1,64}$")
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
D = dt.date.fromisoformat


# --- holidays --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, "2024-03-31"),
        (2025, "2025-04-20"),
        (2026, "2026-04-05"),
        (2027, "2027-03-28"),
        (2038, "2038-04-25"),
        (2285, "2285-03-22"),
        (1943, "1943-04-25"),
    ],
)
def test_easter_sunday_matches_known_dates(year: int, easter: str) -> None:
    assert easter_sunday(year) == D(easter)


def test_public_holidays_2027() -> None:
    by_reason: dict[str, list[dt.date]] = {}
    for day, reason in public_holiday_dates(2027):
        by_reason.setdefault(reason, []).append(day)
    assert by_reason["skjaertorsdag"] == [D("2027-03-25")]
    assert by_reason["langfredag"] == [D("2027-03-26")]
    assert by_reason["forste-paskedag"] == [D("2027-03-28")]
    assert by_reason["andre-paskedag"] == [D("2027-03-29")]
    assert by_reason["kristi-himmelfartsdag"] == [D("2027-05-06")]
    assert by_reason["forste-pinsedag"] == [D("2027-05-16")]
    assert by_reason["andre-pinsedag"] == [D("2027-05-17")]
    assert {
        by_reason[r][0]
        for r in (
            "nyttarsdag",
            "arbeidernes-dag",
            "grunnlovsdag",
            "forste-juledag",
            "andre-juledag",
        )
    } == {D("2027-01-01"), D("2027-05-01"), D("2027-05-17"), D("2027-12-25"), D("2027-12-26")}


def test_public_holidays_agree_with_reference_file() -> None:
    listed = {D(x) for x in reference()["calendar_facts_2026_27"]["public_holidays_2027"]}
    ours = {day for day, _ in public_holiday_dates(2027)}
    assert listed <= ours
    assert all(day.isoweekday() == 7 for day in ours - listed)  # only the Sundays added


def test_closed_ranges_are_spec_ranges_without_duplicate_dates() -> None:
    ranges = closed_ranges(D("2026-12-01"), D("2027-12-31"))
    assert all(set(r) == {"from", "to", "reason"} and r["from"] <= r["to"] for r in ranges)
    firsts = [r["from"] for r in ranges]
    assert len(firsts) == len(set(firsts))  # 17 May 2027 is one range naming both holidays
    assert "2026-12-25" in firsts and "2027-05-17" in firsts


def test_county_school_breaks_2026_27() -> None:
    def span(r: DateRange) -> tuple[str, str]:
        return (r["from"], r["to"])

    assert span(winter_break("agder", 2026)) == ("2027-02-22", "2027-02-26")
    assert span(winter_break("nordland", 2026)) == ("2027-03-08", "2027-03-12")  # week 10
    assert span(winter_break("rogaland", 2026)) == ("2027-02-15", "2027-02-19")  # week 7
    assert span(winter_break("vestland", 2026)) == ("2027-03-01", "2027-03-05")  # week 9
    assert span(winter_break("synth-09", 2026)) == ("2027-02-22", "2027-02-26")  # default 8
    assert span(easter_break("agder", 2026)) == ("2027-03-22", "2027-03-30")
    assert span(easter_break("nordland", 2026)) == ("2027-03-22", "2027-03-29")
    assert span(christmas_break("agder", 2026)) == ("2026-12-19", "2027-01-04")
    assert span(christmas_break("nordland", 2026)) == ("2026-12-19", "2027-01-03")
    assert span(summer_break("agder", 2027)) == ("2027-06-19", "2027-08-22")
    reasons = {r["reason"] for r in school_calendar("agder", D("2026-08-01"), D("2027-07-01"))}
    assert reasons == {"hostferie", "juleferie", "vinterferie", "paskeferie", "sommerferie"}


# --- generator invariants ----------------------------------------------------------------


def check_scenario(s: dict[str, Any]) -> None:
    """Every rule the brief sets for generated data, from the dict alone."""
    assert s["format"] == "hubplan-scenario/1"
    start, end = D(s["horizon"]["start"]), D(s["horizon"]["end"])
    assert start <= end
    for kind in ("slots", "sites", "equipment", "containers", "staff", "requests"):
        ids = [x["id"] for x in s.get(kind) or []]
        assert len(ids) == len(set(ids)), kind
        assert all(ID.match(i) for i in ids), kind
    resources = [x["id"] for x in s["equipment"] + s["containers"]]
    assert len(resources) == len(set(resources))
    assert all(ID.match(c) for c in s["calendars"])
    sites = {x["id"]: x for x in s["sites"]}
    assert all(x.get("calendar") in (None, *s["calendars"]) for x in sites.values())
    region_types: dict[str, set[str]] = {}
    for unit in s["equipment"]:
        region_types.setdefault(sites[unit["site"]]["region"], set()).add(unit["type"])
        assert 8 <= unit["seats"] <= 16 and unit["parts"]
    for box in s["containers"]:
        assert sites[box["start_site"]]["kind"] in ("depot", "hub")
        assert box["setup_days"] in (1, 2)
        region_types.setdefault(sites[box["start_site"]]["region"], set()).update(box["types"])
    for person in s.get("staff") or []:
        assert sites[person["home_site"]]["kind"] == "hub"
        assert 4 <= person["max_sessions_per_week"] <= 8
    for a, row in (s["travel"].get("minutes") or {}).items():
        assert a in sites and all(b in sites for b in row)
    for r in s["requests"]:
        site = sites[r["site"]]
        assert r["equipment_type"] in region_types[site["region"]]
        assert start <= D(r["earliest"]) <= D(r["latest"]) <= end
        if r["audience"] == "pupils":
            assert site.get("calendar") in s["calendars"]
            assert r["programme"] not in ("etterutdanning", "nav-restart")
        else:
            assert r["programme"] in ("etterutdanning", "nav-restart")
        assert 6 <= r["group_size"] <= 16 and 1 <= r["sessions"] <= 4
        assert 0 <= r["min_gap_days"] <= 7 and 1 <= r["priority"] <= 3
        assert 30 <= r["max_travel_minutes"] <= 120
        submitted = dt.datetime.fromisoformat(r["submitted_at"])
        assert submitted.tzinfo is not None and submitted.date() < start


def test_generator_is_deterministic_per_seed() -> None:
    assert generate(42, 300, 2) == generate(42, 300, 2)
    assert generate(42, 300, 2) != generate(43, 300, 2)


def test_default_scenario_keeps_every_rule() -> None:
    s = generate(1, 400, 3)
    check_scenario(s)
    assert s["horizon"] == {"start": "2027-01-04", "end": "2027-03-19"}
    assert [x["region"] for x in s["sites"] if x["kind"] == "depot"] == [
        "agder",
        "nordland",
        "rogaland",
    ]
    assert {x["kind"] for x in s["sites"]} == {"school", "hub", "fagskole", "depot"}


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    requests=st.integers(0, 300),
    regions=st.integers(1, 8),
    weeks=st.integers(1, 30),
    staff=st.booleans(),
    containers=st.integers(0, 3),
)
def test_any_arguments_give_valid_data(
    seed: int, requests: int, regions: int, weeks: int, staff: bool, containers: int
) -> None:
    s = generate(
        seed,
        requests,
        regions,
        weeks=weeks,
        staff=staff,
        containers_per_region=containers,
        start=dt.date(2026, 8, 17),
    )
    check_scenario(s)
    assert len(s["requests"]) == requests
    assert ("staff" in s) is staff


def test_real_sites_keep_register_coordinates() -> None:
    s = generate(5, 50, 6)
    known = {(slugify(p["name"]), p["lat"], p["lon"]) for p in reference()["sites"]}
    schools = [x for x in s["sites"] if x["kind"] in ("school", "hub", "fagskole")]
    assert all((x["id"], x["lat"], x["lon"]) in known for x in schools)
    assert {x["region"] for x in s["sites"]} == {
        "agder",
        "nordland",
        "rogaland",
        "telemark",
        "vestland",
        "ostfold",
    }


def test_extra_regions_are_clearly_synthetic() -> None:
    s = generate(5, 80, 8)
    synthetic = [x for x in s["sites"] if x["region"].startswith("synth-")]
    assert {x["region"] for x in synthetic} == {"synth-07", "synth-08"}
    assert all(x["id"].startswith("synth-") for x in synthetic)
    check_scenario(s)


def test_three_thousand_requests_over_six_regions_is_fast() -> None:
    began = time.perf_counter()
    s = generate(11, 3000, 6)
    assert time.perf_counter() - began < 3.0
    assert len(s["requests"]) == 3000
    check_scenario(s)


@pytest.mark.parametrize(("seed", "requests", "regions"), [(1, 400, 2), (2, 3000, 6)])
def test_demand_exceeds_capacity_somewhat(seed: int, requests: int, regions: int) -> None:
    for region, load in load_by_region(generate(seed, requests, regions)).items():
        assert 1.1 <= load["ratio"] <= 1.75, (region, load)


def test_some_requests_can_only_be_served_by_a_container() -> None:
    s = load_shipped("agder-nordland-spring-2027")
    sites = {x["id"]: x for x in s["sites"]}
    explicit = s["travel"].get("minutes") or {}

    def minutes(a: str, b: str) -> float:
        if a == b:
            return 0.0
        if b in explicit.get(a, {}):
            return float(explicit[a][b])
        km = great_circle_km(sites[a]["lat"], sites[a]["lon"], sites[b]["lat"], sites[b]["lon"])
        return float(km * s["travel"]["road_factor"] / s["travel"]["car_kmh"] * 60)

    only_box = 0
    for r in s["requests"]:
        region = sites[r["site"]]["region"]
        hub = any(
            u["type"] == r["equipment_type"]
            and sites[u["site"]]["region"] == region
            and minutes(r["site"], u["site"]) <= r["max_travel_minutes"]
            for u in s["equipment"]
        )
        pad = any(
            x["container_pad"]
            and x["region"] == region
            and minutes(r["site"], x["id"]) <= r["max_travel_minutes"]
            for x in s["sites"]
        )
        box = any(
            r["equipment_type"] in c["types"] and sites[c["start_site"]]["region"] == region
            for c in s["containers"]
        )
        only_box += not hub and pad and box
    assert only_box >= 0.08 * len(s["requests"])


def test_horizon_end_is_the_friday_of_the_last_week() -> None:
    assert horizon_end(D("2027-01-04"), 11) == D("2027-03-19")
    assert horizon_end(D("2027-01-04"), 24) == D("2027-06-18")


def test_slugify_transliterates_norwegian_letters() -> None:
    assert slugify("Åsane vgs") == "asane-vgs"
    assert slugify("Laksevåg og Bergen Maritime vgs") == "laksevag-og-bergen-maritime-vgs"
    assert slugify("Sæther") == "saether" and slugify("Jørgensen") == "jorgensen"
    assert slugify("Østfold") == "ostfold"


# --- shipped scenarios -------------------------------------------------------------------


def test_shipped_list_and_unknown_name() -> None:
    assert {"agder-example", "agder-nordland-spring-2027"} <= set(list_shipped())
    with pytest.raises(UnknownScenarioError, match="available"):
        load_shipped("no-such-scenario")


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_shipped_file_is_what_its_recipe_generates(name: str) -> None:
    # If this fails after an intended generator change: python -m services.scenarios.shipped
    assert load_shipped(name) == regenerate(name)


def test_agder_nordland_spring_2027_content() -> None:
    s = load_shipped("agder-nordland-spring-2027")
    check_scenario(s)
    assert s["horizon"] == {"start": "2027-01-04", "end": "2027-06-18"}
    assert 150 <= len(s["requests"]) <= 250
    assert {x["region"] for x in s["sites"]} == {"agder", "nordland"}
    closed = {r["from"] for r in s["closed"]}
    assert {"2027-03-25", "2027-03-26", "2027-03-29", "2027-05-06", "2027-05-17"} <= closed
    winter = {
        c: [(r["from"], r["to"]) for r in rs if r["reason"] == "vinterferie"]
        for c, rs in s["calendars"].items()
    }
    assert winter["agder-vgs"] == [("2027-02-22", "2027-02-26")]
    assert winter["nordland-vgs"] == [("2027-03-08", "2027-03-12")]
    for load in load_by_region(s).values():
        assert 1.15 <= load["ratio"] <= 1.7


def test_shipped_scenarios_pass_the_contract() -> None:
    scenario_schema = pytest.importorskip("schemas.scenario")
    for name in list_shipped():
        scenario_schema.Scenario.model_validate_json(json.dumps(load_shipped(name)))
    scenario_schema.Scenario.model_validate_json(json.dumps(generate(3, 500, 7)))


def test_vendored_copies_match_shared_originals() -> None:
    if not SHARED.is_dir():
        pytest.skip("shared/ is not beside this checkout")
    ours = Path(__file__).resolve().parents[2] / "services" / "scenarios"
    pairs = [
        (SHARED / "data" / "norway-sites.json", ours / "reference" / "norway-sites.json"),
        (SHARED / "spec" / "example-scenario.json", ours / "data" / "agder-example.json"),
    ]
    for original, copy in pairs:
        assert json.loads(copy.read_text("utf-8")) == json.loads(original.read_text("utf-8"))
    spec = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"
    assert spec.read_text("utf-8") == (SHARED / "spec" / "scenario-format.md").read_text("utf-8")
