"""Prometheus metrics of the scheduler (names per the Prometheus guide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class SchedulerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        r = registry
        self.events = Counter(
            "hubplan_events_total",
            "Events handled by the scheduler.",
            ["type", "outcome"],
            registry=r,
        )
        self.decisions = Counter(
            "hubplan_decisions_total", "Decisions emitted.", ["region", "outcome"], registry=r
        )
        self.latency = Histogram(
            "hubplan_decision_latency_seconds",
            "Event time to decision sent.",
            ["region"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30),
            registry=r,
        )
        self.deadletters = Counter(
            "hubplan_deadletter_messages_total",
            "Messages sent to the dead-letter topic.",
            ["reason"],
            registry=r,
        )
        self.solver = Histogram(
            "hubplan_solver_duration_seconds",
            "Background optimiser runs.",
            ["region"],
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120),
            registry=r,
        )
        self.solver_gap = Gauge(
            "hubplan_solver_gap_ratio",
            "Relative gap of the last optimiser run.",
            ["region"],
            registry=r,
        )
        self.promoted = Counter(
            "hubplan_promotions_total",
            "Waitlisted requests promoted.",
            ["region", "via"],
            registry=r,
        )
        self.waitlist = Gauge(
            "hubplan_waitlist_size", "Waitlisted requests.", ["region"], registry=r
        )
        self.served_share = Gauge(
            "hubplan_served_value_ratio", "Served / requested value.", ["region"], registry=r
        )
