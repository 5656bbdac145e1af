"""Gateway metrics: its own counters, read-side figures refreshed on scrape, and
the consumer lag of every hubplan consumer (measured here, outside them, so a
dead scheduler still shows up as a growing lag; see
:mod:`services.observability.lag`).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from schemas.events import BookingCancelled, BookingRequested
from services.gateway.readside import Projection
from services.observability.lag import LagKey, LagProbe, hubplan_groups


class _ReadSideEvents(Collector):
    """``hubplan_readside_events_applied_total``: a counter read from the projection
    (it counts, the projection already keeps the number; no second bookkeeping)."""

    def __init__(self) -> None:
        self.projection: Projection | None = None

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "hubplan_readside_events_applied", "Events applied by the read-side projection."
        )
        family.add_metric([], float(self.projection.applied if self.projection else 0))
        yield family


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        # no ``*_created`` series (see SchedulerMetrics): process-wide, set per service
        disable_created_metrics()
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "hubplan_requests_received_total",
            "Booking API calls by outcome.",
            ["outcome"],
            registry=r,
        )
        self.published = Counter(
            "hubplan_events_published_total",
            "Events the gateway put on hubplan.intake.",
            ["type"],
            registry=r,
        )
        self.resubmitted = Counter(
            "hubplan_resubmitted_total",
            "Requests and cancels published again after waiting too long for a decision.",
            ["type"],
            registry=r,
        )
        for kind in (BookingRequested.TYPE, BookingCancelled.TYPE):
            self.resubmitted.labels(kind)
        self.requests_by_status = Gauge(
            "hubplan_requests", "Requests by current status.", ["region", "status"], registry=r
        )
        self.caught_up = Gauge(
            "hubplan_readside_caught_up",
            "1 once the read side has replayed the topics.",
            registry=r,
        )
        self.lag = Gauge(
            "hubplan_consumer_lag_messages",
            "Messages not yet consumed, per consumer and topic.",
            ["consumer", "topic"],
            registry=r,
        )
        self._readside = _ReadSideEvents()
        r.register(self._readside)

    def refresh(self, proj: Projection, caught_up: bool | None = None) -> None:
        """Read-side gauges, recomputed from scratch so a status that emptied shows 0."""
        self._readside.projection = proj
        counts = Tally((v.region or "unknown", v.status) for v in proj.requests.values())
        self.requests_by_status.clear()
        for (region, status), n in counts.items():
            self.requests_by_status.labels(region, status).set(n)
        if caught_up is not None:
            self.caught_up.set(1 if caught_up else 0)

    def set_lag(self, lag: dict[LagKey, int]) -> None:
        self.lag.clear()  # a consumer that went away must not keep its last value
        for (consumer, topic), n in lag.items():
            self.lag.labels(consumer, topic).set(n)

    async def start_lag_probe(
        self, bootstrap: str, follower: Any = None, group_prefix: str = "hubplan"
    ) -> LagProbe:
        """Start measuring lag; ``follower`` (the read side) adds the gateway's own."""
        own = (lambda: getattr(follower, "_consumer", None)) if follower is not None else None
        groups = hubplan_groups(group_prefix)
        return await LagProbe(bootstrap, self.set_lag, groups=groups, own=own).start()
