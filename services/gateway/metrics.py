"""Gateway metrics: its own counters plus read-side gauges refreshed on scrape."""

from __future__ import annotations

from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Counter, Gauge

from services.gateway.readside import Projection


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
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
        self.requests_by_status = Gauge(
            "hubplan_requests", "Requests by current status.", ["region", "status"], registry=r
        )
        self.readside_events = Gauge(
            "hubplan_readside_events_applied",
            "Events applied by the read-side projection.",
            registry=r,
        )

    def refresh(self, proj: Projection) -> None:
        counts = Tally((v.region or "unknown", v.status) for v in proj.requests.values())
        for (region, status), n in counts.items():
            self.requests_by_status.labels(region, status).set(n)
        self.readside_events.set(proj.applied)
