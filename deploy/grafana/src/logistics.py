""" "Logistics": where the container labs stand and how far the trucks drive."""

from __future__ import annotations

from typing import Any

from panels import GREEN, ORANGE, RED, bars, board, query, rows_table, series, timeline

R = 'region=~"$region"'


def build() -> Any:
    where = f"max by (region, container, site) (hubplan_container_location_info{{{R}}})"
    panels = [
        timeline(
            "Container locations over time",
            "One row per container and site: filled while the current plan has the container "
            "at that site on the reference day (today, or the horizon's first day before it "
            "starts). A row switching means a move started or the plan moved it.",
            [query(where, "{{container}} at {{site}}")],
        ),
        rows_table(
            "Where each container stands, next departure",
            "Current site per the plan (in-transit while on the truck or in setup), and the "
            "departure day of its next planned move.",
            "none",
            [
                query(where, instant=True),
                query(
                    "min by (region, container) (hubplan_container_next_move_timestamp_seconds"
                    f"{{{R}}}) * 1000",
                    instant=True,
                    ref="B",
                ),
            ],
            steps=[(None, GREEN)],
        ),
        bars(
            "Planned moves per container",
            "Moves in the current plan over the horizon. Each move costs a truck, a driver and "
            "setup days without sessions.",
            "short",
            [
                query(
                    f"sum by (container) (hubplan_planned_container_moves{{{R}}})",
                    "{{container}}",
                    instant=True,
                )
            ],
            steps=[(None, GREEN), (4, ORANGE), (8, RED)],
        ),
        bars(
            "Planned truck distance per container",
            "Road distance of the planned moves over the horizon (the optimiser's second "
            "objective keeps it low).",
            "lengthm",
            [
                query(
                    f"sum by (container) (hubplan_planned_container_travel_meters{{{R}}})",
                    "{{container}}",
                    instant=True,
                )
            ],
            steps=[(None, GREEN), (500_000, ORANGE), (1_000_000, RED)],
        ),
        series(
            "Planned moves and distance by region over time",
            "How the plan's container logistics change as requests arrive and the optimiser "
            "re-plans.",
            "lengthm",
            [
                query(
                    f"sum by (region) (hubplan_planned_container_travel_meters{{{R}}})",
                    "{{region}} distance",
                )
            ],
        ),
        series(
            "Plan updates not yet read (hubplan.plans lag)",
            "Messages on hubplan.plans not yet consumed by the logistics consumer and the "
            "gateway read side.",
            "short",
            [
                query(
                    'max by (consumer) (hubplan_consumer_lag_messages{topic="hubplan.plans"})',
                    "{{consumer}}",
                )
            ],
            steps=[(None, GREEN), (50, ORANGE), (500, RED)],
        ),
    ]
    return board(
        "hubplan-logistics",
        "Logistics",
        "Container labs: where they stand, their planned moves and truck kilometres.",
        panels,
    )
