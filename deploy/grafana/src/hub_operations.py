""" "Hub operations": is there room at the hubs, who is waiting, what gets accepted."""

from __future__ import annotations

from typing import Any

from panels import (
    BLUE,
    GREEN,
    ORANGE,
    RED,
    UTILISATION,
    bars,
    board,
    matrix,
    query,
    series,
    single,
    variable,
)

R = 'region=~"$region"'
# the type and part filters: every slot, demand and capacity series carries both
KIND = f'{R}, equipment_type=~"$equipment_type", part=~"$part"'
BOOKED, CAPACITY = "hubplan_slot_booked_sessions", "hubplan_slot_capacity_sessions"
DEMAND, OFFER = "hubplan_demand_sessions", "hubplan_capacity_sessions"
DECIDED = f'hubplan_decisions_total{{{R}, outcome=~"confirmed|waitlisted|rejected"}}'
CONFIRMED = f'hubplan_decisions_total{{{R}, outcome="confirmed"}}'
# slot rows (fixed types and "mobile-lab" for container rows) and per-type capacity
# (the types containers serve too): the type filter offers both
TYPED = '{__name__=~"hubplan_slot_capacity_sessions|hubplan_capacity_sessions", region=~"$region"}'


def utilisation(by: str, window: str) -> str:
    sel = f'{{{KIND}, window=~"{window}"}}'
    return f"sum by ({by}) ({BOOKED}{sel}) / (sum by ({by}) ({CAPACITY}{sel}) > 0)"


def variables() -> list[Any]:
    return [
        variable(
            "equipment_type",
            "Equipment type",
            "Unit type; container labs are the rows of type mobile-lab in the utilisation "
            "panels, and count under each type they serve in demand / capacity.",
            f"label_values({TYPED}, equipment_type)",
        ),
        variable(
            "part",
            "Part of day",
            "day (pupils) or evening (adults).",
            f"label_values({CAPACITY}{{{R}}}, part)",
        ),
    ]


def build() -> Any:
    ratio_of_demand = [(None, GREEN), (0.8, ORANGE), (1.0, RED)]
    panels = [
        matrix(
            "Utilisation heatmap: hub × week",
            "Booked / bookable sessions per hub in the next 7 days (week1, from today: days "
            "gone are not counted) and the three 7-day windows after it (before the horizon "
            "starts: its first four weeks), over the types and parts chosen above (all: the "
            "hub as a whole; pick one type and part to see what the alert sees). Red from "
            "95 %: no room for new requests; the alert fires when both of the next two weeks "
            "are red for a type and part.",
            "percentunit",
            query(utilisation("hub, window", "week[1-4]"), instant=True),
            rows="hub",
            columns="window",
            steps=UTILISATION,
        ),
        bars(
            "Utilisation per hub and equipment type (horizon)",
            "Booked / bookable sessions over the whole horizon, per hub and type. Container labs "
            "are their own rows (type mobile-lab).",
            "percentunit",
            [
                query(
                    utilisation("hub, equipment_type", "horizon"),
                    "{{hub}} · {{equipment_type}}",
                    instant=True,
                )
            ],
            steps=UTILISATION,
            max_value=1,
            h=10,
        ),
        series(
            "Demand vs capacity by equipment type",
            "Sessions asked for by active (confirmed + waitlisted) requests against bookable "
            "sessions in the horizon. A container counts under each type it can serve.",
            "suffix: sessions",
            [
                query(f"sum by (equipment_type) ({DEMAND}{{{KIND}}})", "{{equipment_type}} demand"),
                query(
                    f"sum by (equipment_type) ({OFFER}{{{KIND}}})",
                    "{{equipment_type}} capacity",
                    ref="B",
                ),
            ],
            # no level: two series per type read against each other; the ratio
            # panel beside it carries the thresholds (the schema's one exemption)
            steps=[(None, BLUE)],
            h=10,
        ),
        bars(
            "Demand / capacity by equipment type",
            "Above 100 %: more sessions are asked for than the horizon can hold, whatever the "
            "planner does. Buy, borrow or move equipment.",
            "percentunit",
            [
                query(
                    f"sum by (equipment_type) ({DEMAND}{{{KIND}}}) / "
                    f"(sum by (equipment_type) ({OFFER}{{{KIND}}}) > 0)",
                    "{{equipment_type}}",
                    instant=True,
                )
            ],
            steps=ratio_of_demand,
            w=8,
        ),
        bars(
            "Day vs evening: utilisation (horizon)",
            "Day slots serve pupils, evening slots adults. Booked / bookable over the horizon.",
            "percentunit",
            [query(utilisation("part", "horizon"), "{{part}}", instant=True)],
            steps=UTILISATION,
            max_value=1,
            w=8,
        ),
        bars(
            "Day vs evening: demand / capacity",
            "Sessions asked for / bookable sessions, by part of the day.",
            "percentunit",
            [
                query(
                    f"sum by (part) ({DEMAND}{{{KIND}}}) / (sum by (part) ({OFFER}{{{KIND}}}) > 0)",
                    "{{part}}",
                    instant=True,
                )
            ],
            steps=ratio_of_demand,
            w=8,
        ),
        bars(
            "Waitlist by school (top 15)",
            "Waitlisted requests per requesting school or organisation.",
            "short",
            [
                query(
                    f"topk(15, sum by (school) (hubplan_waitlisted_requests{{{R}}}))",
                    "{{school}}",
                    instant=True,
                )
            ],
            steps=[(None, GREEN), (3, ORANGE), (10, RED)],
            h=10,
        ),
        bars(
            "Waitlist by programme",
            "Waitlisted requests per study programme (the 20 largest per region; others "
            "are summed as 'other').",
            "short",
            [
                query(
                    f"sum by (programme) (hubplan_waitlisted_requests{{{R}}})",
                    "{{programme}}",
                    instant=True,
                )
            ],
            steps=[(None, GREEN), (5, ORANGE), (20, RED)],
            h=10,
        ),
        single(
            "Acceptance rate (since the workers started)",
            "Share of first decisions that confirmed the request at once (confirmed / "
            "confirmed + waitlisted + rejected). Later promotions are not counted here.",
            "percentunit",
            [query(f"sum({CONFIRMED}) / sum({DECIDED})")],
            steps=[(None, RED), (0.5, ORANGE), (0.8, GREEN)],
        ),
        series(
            "Acceptance rate over time",
            "The same share over the rate window: how today's requests fare.",
            "percentunit",
            [
                query(
                    f"sum(rate({CONFIRMED}[$__rate_interval])) / "
                    f"sum(rate({DECIDED}[$__rate_interval]))",
                    "acceptance",
                )
            ],
            steps=[(None, RED), (0.5, ORANGE), (0.8, GREEN)],
            w=18,
            h=5,
        ),
        series(
            "Waitlist size by region",
            "Requests waiting for a slot. The background optimiser and cancellations promote "
            "them; a steady rise means demand outruns capacity.",
            "short",
            [query(f"sum by (region) (hubplan_waitlist_size{{{R}}})", "{{region}}")],
            steps=[(None, GREEN), (50, ORANGE), (150, RED)],
        ),
        series(
            "Served share of requested value",
            "Served value (priority × group size × sessions) / requested value, per region.",
            "percentunit",
            [query(f"max by (region) (hubplan_served_value_ratio{{{R}}})", "{{region}}")],
            steps=[(None, RED), (0.5, ORANGE), (0.8, GREEN)],
        ),
    ]
    return board(
        "hubplan-hub-ops",
        "Hub operations",
        "Room at the hubs for the coming weeks, demand against capacity, and who waits.",
        panels,
        variables(),
    )
