"""Prometheus metrics of the logistics consumer (same naming rules as the others)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class LogisticsMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.plans = Counter(
            "hubplan_logistics_plans_total",
            "hubplan.plans messages handled.",
            ["outcome"],
            registry=r,
        )
        self.move_events = Counter(
            "hubplan_logistics_move_events_total",
            "Move events produced, by kind.",
            ["kind"],
            registry=r,
        )
        self.last_offset = Gauge(
            "hubplan_logistics_last_offset",
            "Last hubplan.plans offset handled, per partition.",
            ["partition"],
            registry=r,
        )

    def observe(
        self, partition: int, offset: int, out_topics: list[str], out_kinds: list[str], dead: bool
    ) -> None:
        self.plans.labels("dead-letter" if dead else "ok").inc()
        for kind in out_kinds:
            self.move_events.labels(kind).inc()
        self.last_offset.labels(str(partition)).set(offset)
