""" "Logistics": where the container labs stand and how far the trucks drive."""

from __future__ import annotations

from typing import Any

from panels import GREEN, ORANGE, RED, bars, board, prop, query, rows_table, series, timeline

R = 'region=~"$region"'
NEXT = f"min by (region, container) (hubplan_container_next_move_timestamp_seconds{{{R}}})"
RI = "$__rate_interval"
KM = "/ 1000"  # the metrics keep metres (base units); Grafana's lengthkm does not rescale


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
            "Current site per the plan (in-transit while on the truck or in setup), the "
            "departure day of its next planned move, and the days until then: red within 7 "
            "days (the 5-working-day notice period, when the trip is booked with the haulier "
            "and the optimiser keeps it), orange within 14.",
            "d",
            [
                query(where, instant=True),
                query(f"{NEXT} * 1000", instant=True, ref="B"),  # Grafana's times are ms
                query(f"({NEXT} - time()) / 86400", instant=True, ref="C"),
            ],
            steps=[(None, RED), (7, ORANGE), (14, GREEN)],
        )
        .override_by_name("Time", [prop("custom.hidden", True)])
        .override_by_name("Value #A", [prop("custom.hidden", True)])  # always 1: "here"
        .override_by_name(
            "Value #B", [prop("unit", "dateTimeAsIso"), prop("displayName", "next departure")]
        )
        .override_by_name(
            "Value #C",
            [
                prop("displayName", "days to departure"),
                prop("decimals", 0),
                prop("custom.cellOptions", {"type": "color-background", "mode": "basic"}),
            ],
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
            "lengthkm",
            [
                query(
                    f"sum by (container) (hubplan_planned_container_travel_meters{{{R}}}) {KM}",
                    "{{container}}",
                    instant=True,
                )
            ],
            steps=[(None, GREEN), (500, ORANGE), (1_000, RED)],
        ),
        series(
            "Planned moves and distance by region over time",
            "How the plan's container logistics change as requests arrive and the optimiser "
            "re-plans: truck kilometres (left axis; dashed lines at 1,000 and 2,000 km per "
            "region over the horizon, twice the per-container levels) and the number of "
            "moves (right axis).",
            "lengthkm",
            [
                query(
                    f"sum by (region) (hubplan_planned_container_travel_meters{{{R}}}) {KM}",
                    "{{region}} km",
                ),
                query(
                    f"sum by (region) (hubplan_planned_container_moves{{{R}}})",
                    "{{region}} moves",
                    ref="B",
                ),
            ],
            steps=[(None, GREEN), (1_000, ORANGE), (2_000, RED)],
        ).override_by_query(
            "B",
            [
                prop("unit", "short"),
                prop("decimals", 0),
                prop("custom.axisPlacement", "right"),
                prop("custom.thresholdsStyle", {"mode": "off"}),  # the lines are in km
            ],
        ),
        series(
            "Plans handled by outcome",
            "hubplan.plans messages the logistics consumer handled per rate window: ok "
            "(itinerary updated, move events sent) or dead-letter (undecodable, or the "
            "handler failed: the message is parked on hubplan.deadletter with its reason, "
            "and HubplanDeadLetters fires). The dashed lines, at 1 and 10, are for "
            "dead-letter: any one is worth reading. The scheduler sends a region's plan at "
            "most every 0.2 s, so ok follows the re-planning, not the request rate.",
            "short",
            [
                query(
                    f"sum by (outcome) (increase(hubplan_logistics_plans_total[{RI}]))",
                    "{{outcome}}",
                )
            ],
            steps=[(None, GREEN), (1, ORANGE), (10, RED)],
        ).override_by_name("ok", [prop("custom.thresholdsStyle", {"mode": "off"})]),
        series(
            "Move events by kind",
            "Move events the logistics consumer put on hubplan.logistics per rate window "
            "(what hubs and the haulier are told): planned (a new move), changed (its day, "
            "site or container changed), cancelled. Dashed lines at 10 and 50 per window: "
            "many changed or cancelled moves mean the optimiser keeps re-planning moves "
            "already announced.",
            "short",
            [
                query(
                    f"sum by (kind) (increase(hubplan_logistics_move_events_total[{RI}]))",
                    "{{kind}}",
                )
            ],
            steps=[(None, GREEN), (10, ORANGE), (50, RED)],
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
