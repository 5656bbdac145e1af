"""Gateway metrics on a fresh registry per test (STYLE.md rule 10)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry

from services.gateway.metrics import GatewayMetrics
from services.gateway.readside import Projection, RequestView
from services.logistics.config import LogisticsSettings
from services.logistics.topics import SOURCES
from services.observability.lag import LagProbe, hubplan_groups
from services.scheduler.config import SchedulerSettings
from services.stack import StackConfig


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


def test_lag_is_measured_on_every_topic_each_consumer_group_reads() -> None:
    """The groups the gateway's probe watches are the ones the Faust apps really
    join (the app id is the group), on every topic their agents read."""

    groups = hubplan_groups("p")
    logistics = {g.topic for g in groups if g.consumer == "logistics"}
    assert logistics == set(SOURCES) == {"hubplan.plans", "hubplan.intake", "hubplan.decisions"}
    assert {g.topic for g in groups if g.consumer == "scheduler"} == {"hubplan.intake"}
    config = StackConfig(data_dir=Path("unused"), group_prefix="p")
    ids = {g.consumer: g.group_id for g in groups}
    assert ids == {"scheduler": config.app_id, "logistics": config.logistics_id}
    default = {g.consumer: g.group_id for g in hubplan_groups()}
    assert default["logistics"] == LogisticsSettings.model_fields["group_id"].default
    assert default["scheduler"] == SchedulerSettings.model_fields["app_id"].default
