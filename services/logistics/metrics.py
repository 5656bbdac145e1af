"""Prometheus metrics of the logistics service (same naming rules as the others).

The names are what ``deploy/`` and ``docs/operations.md`` know; they stayed
when the service moved onto Faust.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    ProcessCollector,
    disable_created_metrics,
)

from services.scheduler.metrics import deadletter_counter


class LogisticsMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series
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
        self.deadletters = deadletter_counter(r)  # the scheduler's family: one DLQ view
        for kind in ("planned", "changed", "cancelled"):
            self.move_events.labels(kind)  # 0, not absent, until the first one
        for outcome in ("ok", "dead-letter"):
            self.plans.labels(outcome)

    def add_process_metrics(self) -> None:
        """``process_*`` (start time, CPU, memory) in this registry, as the scheduler has
        them in the default one: HubplanWorkerRestarting counts restarts by
        ``process_start_time_seconds``. Only for the registry the service serves."""
        ProcessCollector(registry=self.registry)

    def observe(
        self,
        partition: int,
        offset: int,
        out_topics: list[str],
        out_kinds: list[str],
        dead_reason: str | None,
    ) -> None:
        """One ``hubplan.plans`` message handled, and the move events it made."""
        self.plans.labels("ok" if dead_reason is None else "dead-letter").inc()
        if dead_reason is not None:
            self.deadletters.labels(dead_reason).inc()
        self.sent(out_kinds)
        self.last_offset.labels(str(partition)).set(offset)

    def sent(self, kinds: Iterable[str]) -> None:
        """Move events made while handling the catalogue or sessions (held-back plans)."""
        for kind in kinds:
            self.move_events.labels(kind).inc()
