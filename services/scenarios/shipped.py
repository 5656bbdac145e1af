"""Scenarios shipped with hubplan, and the recipes that regenerate them.

Demos, the CLI and integration tests need fixed, realistic inputs that do not
change under their feet. Generated files are committed as JSON (readable,
diffable, usable without Python) and each has a ``Recipe``: the generator
arguments that made it. A unit test regenerates every recipe and compares,
so a file can never silently go stale when the generator changes; after an
intended generator change, rewrite them with::

    python -m services.scenarios.shipped

The recipe lives here, not in the file, because the scenario format rejects
unknown fields (a ``seed`` field would make the file invalid).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from services.scenarios.generator import generate

DATA_PACKAGE = "services.scenarios.data"
TRAVEL_PACKAGE = "services.scenarios.data.travel"


class UnknownScenarioError(LookupError):
    """No shipped scenario has this name; ``available`` lists those that do."""

    def __init__(self, name: str, available: list[str]) -> None:
        super().__init__(f"no shipped scenario {name!r}; available: {', '.join(available)}")
        self.name = name
        self.available = available


@dataclass(frozen=True)
class Recipe:
    """Arguments of ``generate`` that reproduce one shipped file exactly."""

    seed: int
    requests: int
    regions: int
    start: dt.date
    weeks: int
    containers_per_region: int = 1
    staff: bool = True
    demand_ratio: tuple[float, float] = field(default=(1.2, 1.6))

    def build(self, name: str) -> dict[str, Any]:
        return generate(
            self.seed,
            self.requests,
            self.regions,
            start=self.start,
            weeks=self.weeks,
            staff=self.staff,
            containers_per_region=self.containers_per_region,
            demand_ratio=self.demand_ratio,
            name=name,
        )


RECIPES: dict[str, Recipe] = {
    # Spring term 2027 (4 Jan - 18 Jun) in the two battery counties: Easter
    # 2027 (28 March), Agder's winter break in week 8, Nordland's in week 10.
    # The ratio range is raised a little because the containers' minimum
    # opening adds capacity that a long horizon with modest demand cannot use.
    "agder-nordland-spring-2027": Recipe(
        seed=2027,
        requests=240,
        regions=2,
        start=dt.date(2027, 1, 4),
        weeks=24,
        demand_ratio=(1.3, 1.6),
    ),
}


def list_shipped() -> list[str]:
    """Names of all shipped scenarios (generated ones and hand-made ones)."""
    folder = resources.files(DATA_PACKAGE)
    return sorted(
        entry.name.removesuffix(".json")
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )


def shipped_travel(name: str) -> dict[str, Any] | None:
    """The travel matrix shipped for scenario ``name`` (``travel/<name>-minutes.json``:
    ``minutes``, maybe ``km``, and ``about``: how it was made), or None."""
    entry = resources.files(TRAVEL_PACKAGE).joinpath(f"{name}-minutes.json")
    if not entry.is_file():
        return None
    found: dict[str, Any] = json.loads(entry.read_text(encoding="utf-8"))
    return found


def load_shipped(name: str, *, travel: bool = True) -> dict[str, Any]:
    """The shipped scenario ``name`` as a dict, read from package data.

    With ``travel`` (the default), a travel matrix shipped for it fills
    ``travel.minutes`` (and ``travel.km``): ``agder-example`` is the spec's
    example file byte for byte (a vendored copy) and plans with its matrix,
    whose ``about`` says it is estimated, not routed.
    """
    available = list_shipped()
    if name not in available:
        raise UnknownScenarioError(name, available)
    text = resources.files(DATA_PACKAGE).joinpath(f"{name}.json").read_text(encoding="utf-8")
    scenario: dict[str, Any] = json.loads(text)
    matrix = shipped_travel(name) if travel else None
    if matrix is not None:
        scenario.setdefault("travel", {})["minutes"] = matrix["minutes"]
        if "km" in matrix:
            scenario["travel"]["km"] = matrix["km"]
    return scenario


def regenerate(name: str) -> dict[str, Any]:
    """What the generator makes today for the recipe of ``name``."""
    if name not in RECIPES:
        raise UnknownScenarioError(name, sorted(RECIPES))
    return RECIPES[name].build(name)


def to_json(scenario: dict[str, Any]) -> str:
    """The file text: one-space indent like the spec's example, UTF-8 names kept."""
    return json.dumps(scenario, indent=1, ensure_ascii=False) + "\n"


def write_all(folder: Path | None = None) -> list[Path]:
    """Rewrite every generated scenario file; returns the paths written."""
    target = folder or Path(str(resources.files(DATA_PACKAGE)))
    written = []
    for name in RECIPES:
        path = target / f"{name}.json"
        path.write_text(to_json(regenerate(name)), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all():
        sys.stdout.write(f"wrote {written_path}\n")
