"""Faust's aiokafka transport, with two fixes that matter to the scheduler.

**A short broker-side fetch wait.**
Faust's aiokafka driver builds its consumer with ``fetch_max_wait_ms=1500``
and no setting to change it. aiokafka keeps one fetch in flight per broker
and leaves out of it every partition that still has records buffered. So
while the worker works through a batch of ``hubplan.intake``, the next fetch
asks only for the quiet changelog partitions, and the broker holds it until
data arrives or 1.5 s pass; the rest of the backlog waits behind it. Measured
on one partition with a Faust agent that sends one message per event: four
such stalls of ~1.3 s in 10,000 events, 1,480 events/s; with a 50 ms wait,
5,800 events/s. An idle worker pays for it with ~20 empty fetches a second.

**No events lost to a rebalance on partitions never committed.** While a
worker recovers its tables after a rebalance, records it fetched from
``hubplan.intake`` are thrown away, and Faust then seeks every partition
back to its committed offset. aiokafka's ``seek_to_committed`` skips
partitions whose committed offset is none (or 0), so those stay where the
fetcher got to: the thrown-away events were never processed by anyone.
Seen in the SIGKILL failover test (about one run in five): the survivor took
over partitions the killed worker had not committed yet, fetched their 33 and
22 events during recovery, and then waited at the end of the log with the
requests undecided. Such partitions are now sought to their beginning; what
was already applied is deduplicated (``handlers.Scheduler.handle``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TransportT

FETCH_MAX_WAIT_MS = 50
log = logging.getLogger("hubplan.scheduler")


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # read by AIOKafkaConsumer.start() when it builds its Fetcher
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer

    async def seek_to_committed(self) -> Mapping[Any, int]:
        return await self.call_thread(self._seek_to_committed_or_start)  # type: ignore[no-any-return]

    async def _seek_to_committed_or_start(self) -> Mapping[TopicPartition, int | None]:
        consumer = self._ensure_consumer()
        committed: dict[TopicPartition, int | None] = await consumer.seek_to_committed()
        changelogs = self.app.tables.changelog_topics  # recovery positions those itself
        never = [tp for tp, at in committed.items() if not at and tp.topic not in changelogs]
        if never:
            log.info("no committed offset, reading from the start: %s", sorted(map(str, never)))
            await consumer.seek_to_beginning(*never)
        return committed


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class App(faust.App):
    """A ``faust.App`` whose consumer fetches with a 50 ms broker wait."""

    def _new_transport(self) -> TransportT:
        return _Transport(self.conf.broker_consumer, self)
