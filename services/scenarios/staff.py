"""Instructors of a generated region: who can teach what, when, how much.

With staff in a scenario, every session needs an instructor who has the type
and the part, so instructors are drawn to cover every type and part that has
demand, and their weekly limits add up to about the slot capacity on offer
(staff then bind now and then, as in real regions, without halving plans).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

from services.scenarios.availability import date_range
from services.scenarios.facts import slugify
from services.scenarios.layout import PART_SLOTS, TYPES, Days, Layout
from services.scenarios.regions import Region

# The most common Norwegian surnames (SSB), for ids a planner reads easily.
SURNAMES = (
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
    "Jørgensen",
    "Halvorsen",
    "Henriksen",
    "Lund",
    "Sørensen",
    "Moen",
    "Gundersen",
    "Iversen",
    "Strand",
    "Solberg",
    "Svendsen",
    "Eide",
    "Knutsen",
    "Martinsen",
    "Paulsen",
    "Bakken",
    "Mathisen",
    "Lie",
    "Aas",
    "Sæther",
)


def make_instructors(
    region: Region,
    layout: Layout,
    demand: dict[str, Counter[str]],
    offered: int,
    days: Days,
    rng: random.Random,
) -> list[dict[str, Any]]:
    """Instructors whose weekly limits roughly match the ``offered`` slot capacity."""
    weeks = max(1, len({d.isocalendar()[:2] for d in days.working}))
    count = max(2, round(offered * rng.uniform(0.95, 1.15) / (6 * weeks)))
    names: Counter[str] = Counter()
    people: list[dict[str, Any]] = []
    for i in range(count):
        home = region.hubs[i % len(region.hubs)]
        pool = sorted(set(layout.hub_types[home]) | set(layout.container_types))
        surname = slugify(rng.choice(SURNAMES))
        names[surname] += 1
        suffix = "" if names[surname] == 1 else f"-{names[surname]}"
        person: dict[str, Any] = {
            "id": f"inst-{region.id}-{surname}{suffix}",
            "home_site": home,
            "types": sorted(rng.sample(pool, min(len(pool), rng.randint(2, 4)))),
            "parts": rng.choices((["day", "evening"], ["day"], ["evening"]), (6, 3, 1))[0],
            "max_sessions_per_week": rng.randint(4, 8),
        }
        if rng.random() < 0.35 and days.working:
            first = rng.choice(days.working)
            reason = rng.choice(("kurs", "hospitering", "avspasering"))
            person["unavailable"] = [
                date_range(first, first + dt.timedelta(days=rng.randint(1, 4)), reason)
            ]
        people.append(person)
    # Every type and part with demand needs someone able to teach it.
    for t in TYPES:
        for part in PART_SLOTS:
            if demand[t][part] and not any(t in p["types"] and part in p["parts"] for p in people):
                person = min(people, key=lambda p: (len(p["types"]), p["id"]))
                person["types"] = sorted(set(person["types"]) | {t})
                person["parts"] = [x for x in PART_SLOTS if x in person["parts"] or x == part]
    return people
