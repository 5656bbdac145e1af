"""Consumer lag, measured from outside the consumers.

Why outside: when every scheduler worker is dead or stuck, nobody inside the
group can report that the intake is piling up - yet that is exactly when the
lag matters. The gateway (always running, already a Kafka client) runs this
probe every few seconds:

* a **consumer group** (scheduler, logistics): end offset minus the group's
  committed offset, summed over the topic's partitions. A group that never
  committed anything on the topic is not reported (it has not started).
* the gateway's **own read side** (no group): high-water mark minus position
  of its consumer.

The result is a plain dict ``{(consumer, topic): messages}``; the caller
decides what to do with it (the gateway sets a gauge).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from schemas.events import DECISIONS, INTAKE, PLANS

log = logging.getLogger("hubplan.observability.lag")

LagKey = tuple[str, str]  # (consumer, topic)
# what the logistics app's agents read (services.logistics.topics.SOURCES; a unit
# test keeps the two equal - not imported, so the gateway does not load Faust)
LOGISTICS_READS = (PLANS, INTAKE, DECISIONS)


@dataclass(frozen=True)
class Group:
    consumer: str  # label value: who consumes
    group_id: str
    topic: str


def hubplan_groups(prefix: str = "hubplan") -> tuple[Group, ...]:
    """The scheduler's and the logistics consumer's groups (``<prefix>-scheduler`` ...).

    A Faust app's consumer group is its app id: the scheduler's is
    ``<prefix>-scheduler`` (it reads ``hubplan.intake``), the logistics
    service's ``<prefix>-logistics`` (``HUBPLAN_LOGISTICS_GROUP_ID``, as
    ``hubplan up`` sets it), which reads ``hubplan.plans``, ``hubplan.intake``
    and ``hubplan.decisions``.
    """
    return (
        Group("scheduler", f"{prefix}-scheduler", INTAKE),
        *(Group("logistics", f"{prefix}-logistics", t) for t in LOGISTICS_READS),
    )


class LagProbe:
    """Measure lag every ``interval`` seconds and hand it to ``on_lag``."""

    def __init__(
        self,
        bootstrap: str,
        on_lag: Callable[[dict[LagKey, int]], None],
        groups: tuple[Group, ...] = hubplan_groups(),
        own: Callable[[], AIOKafkaConsumer | None] | None = None,
        own_name: str = "gateway-readside",
        interval: float = 5.0,
    ) -> None:
        self.bootstrap, self.on_lag, self.groups = bootstrap, on_lag, groups
        self.own, self.own_name, self.interval = own, own_name, interval
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> LagProbe:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await self._admin.start()
        self._offsets = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
        await self._offsets.start()
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._offsets is not None:
            await self._offsets.stop()
        if self._admin is not None:
            await self._admin.close()

    async def _run(self) -> None:
        while True:
            try:
                self.on_lag(await self.measure())
            except (KafkaError, OSError, TimeoutError) as exc:  # broker away: try again
                log.warning("consumer lag probe failed: %r", exc)
            await asyncio.sleep(self.interval)

    async def measure(self) -> dict[LagKey, int]:
        assert self._admin is not None and self._offsets is not None
        out: dict[LagKey, int] = {}
        parts = await self._partitions(sorted({g.topic for g in self.groups}))
        offsets: dict[str, Any] = {}  # one request per group, however many topics it reads
        for g in self.groups:
            if not parts.get(g.topic):
                continue
            if g.group_id not in offsets:
                offsets[g.group_id] = await self._admin.list_consumer_group_offsets(g.group_id)
            committed = offsets[g.group_id]
            mine = {tp: om.offset for tp, om in committed.items() if tp.topic == g.topic}
            if not mine or all(o < 0 for o in mine.values()):
                continue
            tps = [TopicPartition(g.topic, p) for p in parts[g.topic]]
            ends = await self._offsets.end_offsets(tps)
            starts = await self._offsets.beginning_offsets(tps)
            out[(g.consumer, g.topic)] = sum(
                max(0, ends[tp] - (mine[tp] if mine.get(tp, -1) >= 0 else starts[tp])) for tp in tps
            )
        out.update(await self._own_lag())
        return out

    async def _partitions(self, topics: list[str]) -> dict[str, list[int]]:
        """Partition numbers per existing topic, asked of the broker each time.

        Why not ``partitions_for_topic`` of the offsets consumer: a consumer
        subscribed to nothing keeps no topic metadata (``topics()`` fetches it
        without keeping it), so that was always None and every group's lag
        read 0, a stopped scheduler included. All topics are described, not
        just ``topics``: a metadata request naming a missing topic lets a broker
        that auto-creates topics create it, with the wrong partition count.
        """
        assert self._admin is not None
        out = {}
        for t in await self._admin.describe_topics():
            if t["topic"] in topics and t["error_code"] == 0:
                out[t["topic"]] = sorted(p["partition"] for p in t["partitions"])
        return out

    async def _own_lag(self) -> dict[LagKey, int]:
        consumer = self.own() if self.own is not None else None
        if consumer is None:
            return {}
        out: dict[LagKey, int] = {}
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            if high is None:  # nothing fetched yet on this partition
                continue
            position = await consumer.position(tp)
            key = (self.own_name, tp.topic)
            out[key] = out.get(key, 0) + max(0, high - position)
        return out
