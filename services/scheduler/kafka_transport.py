"""Faust's aiokafka transport, with one fix the scheduler needs.

**No events lost to a rebalance on partitions never committed.** While a
worker recovers its tables after a rebalance, records it fetched from
``hubplan.intake`` are thrown away, and Faust then seeks every partition
back to its committed offset. aiokafka's ``seek_to_committed`` skips
partitions whose committed offset is none (or 0), so those stay where the
fetcher got to: the thrown-away events were never processed by anyone.
Seen in the SIGKILL failover test (about one run in five): the survivor took
over partitions the killed worker had not committed yet, fetched their 33 and
22 events during recovery, and then waited at the end of the log with the
requests undecided. Such partitions are now sought to their beginning once
the tables are recovered; what was already applied is deduplicated
(``handlers.Scheduler.handle``).

**Not changed: Faust's 1.5 s broker fetch wait** (``fetch_max_wait_ms=1500``
in its driver). aiokafka leaves partitions with buffered records out of the
next fetch, so a worker working through a batch can wait up to 1.5 s on a
fetch of quiet changelog partitions (a bare agent sending one message per
event: 1,480 events/s; with a 50 ms wait, 5,800/s). We ran with 50 ms for a
while and table recovery after a rebalance then hung (30 s and more, no
changelog records arriving) in 3 of ~6 integration runs, and in none of 3
runs with 1.5 s; why is not understood, so the wait stays Faust's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import faust
from aiokafka import TopicPartition
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TransportT

log = logging.getLogger("hubplan.scheduler")


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    async def seek_to_committed(self) -> Mapping[Any, int]:
        return await self.call_thread(self._seek_to_committed_or_start)  # type: ignore[no-any-return]

    async def _seek_to_committed_or_start(self) -> Mapping[TopicPartition, int | None]:
        consumer = self._ensure_consumer()
        committed: dict[TopicPartition, int | None] = await consumer.seek_to_committed()
        changelogs = self.app.tables.changelog_topics  # recovery positions those itself
        never = [tp for tp, at in committed.items() if not at and tp.topic not in changelogs]
        # Faust also seeks while it recovers the tables; the seek that counts is
        # the one after recovery, which the stream partitions resume from
        if never and not self.app.in_recovery:
            log.info("no committed offset, reading from the start: %s", sorted(map(str, never)))
            # a plain seek to the first offset: seek_to_beginning() would wait
            # for the fetcher to reset the position
            for tp, start in (await consumer.beginning_offsets(never)).items():
                consumer.seek(tp, start)
        return committed


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class App(faust.App):
    """A ``faust.App`` whose consumer re-reads never-committed partitions after a rebalance."""

    def _new_transport(self) -> TransportT:
        return _Transport(self.conf.broker_consumer, self)
