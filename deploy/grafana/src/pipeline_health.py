""" "Pipeline health": is the event pipeline keeping up, and is the optimiser useful."""

from __future__ import annotations

from typing import Any

from panels import (
    GREEN,
    ORANGE,
    RED,
    WORKER_RATE,
    board,
    prop,
    query,
    series,
    single,
    up_mappings,
)

R = 'region=~"$region"'
RI = "$__rate_interval"
LIMIT = "scalar(max(hubplan_solver_time_limit_seconds))"


def quantile(q: float, metric: str, by: str = "") -> str:
    keep = f"le{', ' + by if by else ''}"
    return f"histogram_quantile({q}, sum by ({keep}) (rate({metric}_bucket{{{R}}}[{RI}])))"


def build() -> Any:
    latency = "hubplan_decision_latency_seconds"
    solver = "hubplan_solver_duration_seconds"
    panels = [
        single(
            "Services up",
            "Prometheus' scrape of every hubplan target: UP or DOWN. A DOWN worker's regions "
            "move to the others after the Kafka session timeout.",
            "none",
            [query('up{job=~"hubplan-.*"}', "{{job}} {{instance}}")],
            steps=[(None, RED), (1, GREEN)],
            mappings=up_mappings(),
            w=6,
        ),
        single(
            "Requests published again (15 min)",
            "Requests, cancels and operator events a gateway published again because no "
            "decision or receipt came within "
            "HUBPLAN_RESUBMIT_AFTER seconds: the scheduler was stalled or lost an event. "
            "Should be 0.",
            "short",
            [query("sum(increase(hubplan_resubmitted_total[15m]))")],
            steps=[(None, GREEN), (1, ORANGE), (10, RED)],
            w=6,
        ),
        single(
            "Read side caught up",
            "1 once every gateway has replayed intake, decisions and plans (reads are current).",
            "none",
            [query("min(hubplan_readside_caught_up)")],
            steps=[(None, RED), (1, GREEN)],
            w=6,
        ),
        single(
            "Dead letters since start",
            "Messages parked on hubplan.deadletter (all reasons) since the workers started.",
            "short",
            [query("sum(hubplan_deadletter_messages_total)")],
            steps=[(None, GREEN), (1, ORANGE), (50, RED)],
            w=6,
        ),
        series(
            "Events processed per second",
            "Stacked: intake events handled by the scheduler workers, by event type "
            "(undecodable: dead-lettered). Dashed lines: 1,000 and 2,000 events/s, half of "
            "and all that one worker is built to decide (docs/benchmarks.md); a load near "
            "them needs more workers (up to the partition count). Its own line, not "
            "stacked: hubplan.plans messages handled by the logistics consumer (it also "
            "reads catalogue events and decisions, which are not counted here; their lag is "
            "on 'Consumer lag').",
            "ops",
            [
                query(f"sum by (type) (rate(hubplan_events_total[{RI}]))", "{{type}}"),
                query(
                    f"sum(rate(hubplan_logistics_plans_total[{RI}]))",
                    "logistics: plans",
                    ref="B",
                ),
            ],
            steps=WORKER_RATE,
            stack=True,
        ).override_by_query(
            "B",
            [
                prop("custom.stacking", {"mode": "none"}),
                prop("custom.thresholdsStyle", {"mode": "off"}),  # the levels are a worker's
            ],
        ),
        series(
            "Requests received by outcome",
            "Booking API calls at the gateway: accepted, invalid (422), retry (idempotent "
            "replay), cancel. Each accepted call or cancel is one event for the workers: the "
            "dashed lines are the same per-worker levels as on 'Events processed per second'.",
            "reqps",
            [
                query(
                    f"sum by (outcome) (rate(hubplan_requests_received_total[{RI}]))", "{{outcome}}"
                )
            ],
            steps=WORKER_RATE,
            stack=True,
        ),
        series(
            "Decisions by outcome",
            "First decisions per second: confirmed, waitlisted, rejected, cancelled. Dashed "
            "lines: half of and all that one worker is built to decide (docs/benchmarks.md).",
            "ops",
            [
                query(
                    f"sum by (outcome) (rate(hubplan_decisions_total{{{R}}}[{RI}]))", "{{outcome}}"
                )
            ],
            steps=WORKER_RATE,
            stack=True,
        ),
        series(
            "Request → decision latency",
            "From the request event's time (stamped by the gateway) to the decision sent by the "
            "scheduler, through Kafka. The alert fires when p95 stays above 2 s.",
            "s",
            [
                query(quantile(0.5, latency), "p50"),
                query(quantile(0.95, latency), "p95", ref="B"),
                query(quantile(0.99, latency), "p99", ref="C"),
            ],
            steps=[(None, GREEN), (1, ORANGE), (2, RED)],
        ),
        series(
            "Consumer lag",
            "Messages not yet consumed, per consumer and topic, measured by the gateway from "
            "committed offsets (so a dead consumer still shows).",
            "short",
            [
                query(
                    "max by (consumer, topic) (hubplan_consumer_lag_messages)",
                    "{{consumer}} · {{topic}}",
                )
            ],
            steps=[(None, GREEN), (100, ORANGE), (1000, RED)],
        ),
        series(
            "Dead-lettered messages by reason",
            "New messages on hubplan.deadletter per rate window, by reason. Each one is an "
            "event the scheduler could not apply; read it with the original bytes kept there.",
            "short",
            [
                query(
                    f"sum by (reason) (increase(hubplan_deadletter_messages_total[{RI}]))",
                    "{{reason}}",
                )
            ],
            steps=[(None, GREEN), (1, ORANGE), (10, RED)],
        ),
        series(
            "Solver duration vs time limit",
            "Background CP-SAT runs as a share of the configured time limit "
            "(HUBPLAN_OPTIMISER_TIME_LIMIT, hubplan_solver_time_limit_seconds): p95 over the "
            "rate window and mean since start. From the dashed line at 95 % a run counts as a "
            "time-limit hit. Hits are normal for large regions; hits that promote nothing are "
            "not (next panel, and the alert). The p95 is interpolated inside histogram buckets "
            "(1, 2, 5, 10 s ...), so near the limit it can read above 100 %; the mean is exact.",
            "percentunit",
            [
                query(f"{quantile(0.95, solver, 'region')} / {LIMIT}", "p95 {{region}}"),
                query(
                    f"sum by (region) ({solver}_sum{{{R}}}) / "
                    f"sum by (region) ({solver}_count{{{R}}}) / {LIMIT}",
                    "mean {{region}}",
                    ref="B",
                ),
            ],
            # services/scheduler/metrics.py counts a run at >= 95 % of the limit as a hit
            steps=[(None, GREEN), (0.95, ORANGE)],
        ),
        series(
            "Solver gap (last run)",
            "Relative gap between the best plan and the proven bound in the last run.",
            "percentunit",
            [query(f"max by (region) (hubplan_solver_gap_ratio{{{R}}})", "{{region}}")],
            steps=[(None, GREEN), (0.05, ORANGE), (0.2, RED)],
        ),
        series(
            "Solver runs by status; time limit hit without a plan",
            "Runs per rate window by CP-SAT status, and runs that used the whole time limit "
            "and proposed no promotion (the alert counts these).",
            "short",
            [
                query(
                    f"sum by (status) (increase(hubplan_solver_runs_total{{{R}}}[{RI}]))",
                    "{{status}}",
                ),
                query(
                    "sum by (region) (increase(hubplan_solver_time_limit_hits_total"
                    f'{{{R}, plan="none"}}[{RI}]))',
                    "limit, no plan: {{region}}",
                    ref="B",
                ),
            ],
            steps=[(None, GREEN), (1, ORANGE)],
        ),
    ]
    return board(
        "hubplan-pipeline",
        "Pipeline health",
        "Rates, latency, consumer lag, dead letters and the background optimiser.",
        panels,
    )
