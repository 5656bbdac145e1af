"""Gateway metrics on a fresh registry per test (STYLE.md rule 10)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry

from services.gateway.metrics import GatewayMetrics
from services.gateway.readside import Projection, RequestView
from services.observability.lag import LagProbe


def test_read_side_figures_are_recomputed_on_every_scrape() -> None:
    registry = CollectorRegistry()
    m = GatewayMetrics(registry)
    proj = Projection()
    proj.requests["x"] = RequestView("x", region="r", status="pending")
    proj.applied = 7
    m.refresh(proj, caught_up=False)
    get = registry.get_sample_value
    assert get("hubplan_requests", {"region": "r", "status": "pending"}) == 1
    assert get("hubplan_readside_events_applied_total") == 7
    assert get("hubplan_readside_caught_up") == 0
    proj.requests["x"].status = "confirmed"
    m.refresh(proj, caught_up=True)
    assert get("hubplan_requests", {"region": "r", "status": "pending"}) is None
    assert get("hubplan_requests", {"region": "r", "status": "confirmed"}) == 1
    assert get("hubplan_readside_caught_up") == 1


def test_lag_of_a_consumer_that_went_away_is_dropped() -> None:
    registry = CollectorRegistry()
    m = GatewayMetrics(registry)
    m.set_lag({("scheduler", "hubplan.intake"): 12, ("logistics", "hubplan.plans"): 3})
    m.set_lag({("scheduler", "hubplan.intake"): 0})
    get = registry.get_sample_value
    assert (
        get("hubplan_consumer_lag_messages", {"consumer": "scheduler", "topic": "hubplan.intake"})
        == 0
    )
    assert (
        get("hubplan_consumer_lag_messages", {"consumer": "logistics", "topic": "hubplan.plans"})
        is None
    )


class FakeConsumer:
    """What the probe reads from the read side's consumer."""

    def __init__(
        self, high: dict[TopicPartition, int | None], at: dict[TopicPartition, int]
    ) -> None:
        self.high, self.at = high, at

    def assignment(self) -> set[TopicPartition]:
        return set(self.high)

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.high[tp]

    async def position(self, tp: TopicPartition) -> int:
        return self.at[tp]


def test_own_lag_sums_partitions_per_topic_and_skips_unfetched() -> None:
    a, b, c = (
        TopicPartition("hubplan.intake", 0),
        TopicPartition("hubplan.intake", 1),
        TopicPartition("hubplan.plans", 0),
    )
    fake: Any = FakeConsumer({a: 10, b: 5, c: None}, {a: 7, b: 5, c: 0})
    probe = LagProbe("unused:9092", on_lag=lambda _: None, own=lambda: fake)
    assert asyncio.run(probe._own_lag()) == {("gateway-readside", "hubplan.intake"): 3}
