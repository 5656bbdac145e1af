"""Faust's aiokafka transport, with the fixes the scheduler needs.

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

**Changelog records thrown away during a rebalance are read again.** When a
fetch returns while the flow is stopped (a rebalance), Faust throws the
records away and seeks every partition back to its committed offset; table
changelogs have none, so theirs stayed where the fetch had got to. If that
fetch came back after table recovery had sought its changelogs to the start
and before it resumed the flow, recovery never got those records and waited
for them forever ("No event received for active tp ... since recovery
start"). Seen in the SIGKILL failover test about one run in four once the
fetch wait was short (below); the DEBUG log showed recovery's seek to 0, a
fetch of offsets 0-7, the next fetch asking for 8, and the seek back to
committed. The seek back now also puts every assigned changelog partition
at the offset after the last one recovery has read.

**A 50 ms broker fetch wait, not Faust's 1.5 s.** aiokafka keeps one fetch
in flight per broker and leaves out of it every partition that still has
records buffered. So while the worker works through a batch of
``hubplan.intake``, the next fetch asks only for quiet partitions, and the
broker holds it until data arrives or the wait is over; the rest of the
backlog waits behind it. With Faust's hard-coded ``fetch_max_wait_ms=1500`` a
bare agent sending one message per event stalled 1.2 s at a time (7,700
events/s); with 50 ms it makes 14,600/s (``benchmarks/faust_ceiling.py``).
An idle worker pays with ~20 empty fetches a second. A first try of 50 ms
was reverted because table recovery after a rebalance hung in 3 of ~6
integration runs, with the same symptom as the changelog race above, which
the faster fetches make likely (with 1.5 s it had not been seen); most
likely it was that race.

**Records handed to the streams without four tasks each.** Faust's fetch
loop hands every record over with ``wait_first(callback(record),
suspend_flow.wait())``: four asyncio tasks and an ``asyncio.wait`` per
record, so that a rebalance can interrupt a hand-over that waits. Profiled,
that was most of a bare agent's CPU. A hand-over waits in three places:
for flow control (suspended in a rebalance), for Faust's producer buffer to
ebb, and for room in a full stream buffer. The record is now handed over
directly only when the first two cannot make it wait; then the hand-over is
synchronous up to the stream buffer, and a put waiting on a full buffer is
cancelled by the rebalance itself (it clears the buffers). Otherwise, and
whenever the flow is suspended, Faust's own path runs. Handing over directly
while the producer buffer was full would let a rebalance pass a waiting
hand-over, which would then queue its record after the buffers were cleared.

**No one-second stalls when a stream buffer fills.** Faust takes a partition
out of its fetch loop when the agent's buffer is 80% full and puts it back
when it has drained, but the loop is then asleep in a one-second
``getmany`` wait for the partitions still in it, and nothing wakes it. Once
hand-overs were cheap, a backlog hit that every few thousand records (a
bare agent: 14,000 -> 3,400 events/s). The partition now stays in; a full
buffer blocks the hand-over until the agent has taken the next event, which
is the back-pressure aiokafka's own buffer needs. The fetch loop is shared:
with a second agent (or standby tables) a full buffer would hold their
records too. The worker has one agent and no standbys.

**A producer that batches.** Faust's producer lingers 0 ms with 16 KB
batches, so a worker deciding a backlog sent produce request after produce
request; profiled, 40% of its main thread was writing them to the socket.
It lingers 5 ms with 256 KB batches (:data:`PRODUCER_DEFAULTS`), which adds
5 ms or a little more to a decision's latency (the linger timer runs on the
worker's busy loop; measured: p50 +6 ms); a bare agent sending one message
per event went from 14,600 to 15,800-20,600 events/s (three runs).

**No commit past a message that was not delivered.** The worker sends
decisions and Faust sends changelog records without awaiting each delivery:
both only queue into aiokafka's batches, and Faust flushes the producer
before it commits the source offsets. But aiokafka's flush waits for the
batches without raising when one failed (e.g. retries exhausted while the
broker was away, or a record the broker refused), so Faust would commit past
events whose decision or table write was lost. The producer now remembers
the first failed delivery, and from then on the consumer commits nothing
and crashes once, which stops the worker; a restarted worker gets the
events again from the last good commit (the scheduler deduplicates).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from types import CoroutineType
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import ProducerClosed
from faust.exceptions import ProducerSendError
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, TransportT
from mode.services import WaitArgT, WaitResults
from mode.utils.times import Seconds

FETCH_MAX_WAIT_MS = 50
PRODUCER_DEFAULTS: dict[str, Any] = {
    "producer_linger": 0.005,
    "producer_max_batch_size": 256 * 1024,
}
log = logging.getLogger("hubplan.scheduler")


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read by start(), which builds the Fetcher
        return consumer

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
        self._rewind_changelogs(consumer)
        return committed

    def _rewind_changelogs(self, consumer: AIOKafkaConsumer) -> None:
        """Put each table changelog back where table recovery has read to.

        Faust seeks to committed offsets when a fetch returns while the flow is
        stopped, and throws the fetched records away; changelogs have no
        committed offset, so theirs stayed consumed and recovery never got
        them (it waited forever for records up to the highwater).
        """
        recovery = self.app.tables.recovery  # type: ignore[attr-defined]  # TableManager has it; its ABC not
        assigned = consumer.assignment()
        for tp, read_to in list(recovery.active_offsets.items()):
            # None: newly assigned, recovery has not chosen where to start yet
            if tp in assigned and read_to is not None:
                consumer.seek(tp, max(int(read_to) + 1, 0))


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def wait_first(self, *coros: WaitArgT, timeout: Seconds | None = None) -> WaitResults:
        if timeout is None and len(coros) == 2 and self._is_hand_over(coros[1]):
            hand_over, flow_wait = coros
            flow_wait.close()  # type: ignore[union-attr]  # never awaited: closed, so no warning
            return WaitResults([hand_over], [await hand_over], False)  # type: ignore[misc]
        return await super().wait_first(*coros, timeout=timeout)  # type: ignore[arg-type]  # mode's hint leaves out its None default

    def _is_hand_over(self, flow_wait: WaitArgT) -> bool:
        """True for the fetch loop's per-record call while the flow runs."""
        return (
            isinstance(flow_wait, CoroutineType)
            and flow_wait.cr_code is type(self.suspend_flow).wait.__code__
            and flow_wait.cr_frame is not None
            and flow_wait.cr_frame.f_locals.get("self") is self.suspend_flow
            and not self.suspend_flow.is_set()
            and self._hand_over_cannot_wait()
        )

    def _hand_over_cannot_wait(self) -> bool:
        """Neither flow control nor the producer buffer would hold the hand-over
        (conductor.py awaits both before it queues the record)."""
        buffer = self.app.producer.buffer
        return self.app.flow_control.is_active() and buffer.size <= buffer.max_messages

    async def _drain_messages(self, fetcher: Any) -> None:
        """Faust's fetch loop, saying how it ended: a loop that ends outside a
        shutdown leaves the worker up and deaf, so that should be in the log."""
        try:
            await super()._drain_messages(fetcher)
        except BaseException as exc:
            log.warning(
                "fetch loop ended by %r (rebalancing=%s, in_recovery=%s, stopping=%s)",
                exc,
                self.app.rebalancing,
                self.app.in_recovery,
                self.app.should_stop,
            )
            raise
        else:
            log.info("fetch loop returned (stopping=%s)", self.app.should_stop)

    def on_buffer_full(self, tp: TP) -> None:
        """Keep the partition in the fetch loop; the full buffer blocks its hand-over."""

    async def _commit(self, offsets: Mapping[TP, int]) -> bool:
        """Commit, unless a message sent since the start was not delivered.

        Faust flushes the producer before it gets here, but aiokafka's flush
        does not raise for a failed batch. Then nothing is committed, and the
        consumer crashes once (as Faust does when an attached message fails),
        which stops the worker; shutting down commits nothing either.
        """
        undelivered = _undelivered(self.app)
        if undelivered is None:
            return await super()._commit(offsets)
        if not self._crashed.is_set():
            reason = ProducerSendError(
                f"not committing past an undelivered message: {undelivered!r}"
            )
            await self.crash(reason)
        return False


class DeliveryCheckedProducer(AIOKafkaProducer):  # type: ignore[misc]  # aiokafka is untyped
    """An aiokafka producer that remembers the first delivery that failed."""

    undelivered: BaseException | None = None

    async def send(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        try:
            delivery: asyncio.Future[Any] = await super().send(*args, **kwargs)
        except ProducerClosed:
            raise  # shutting down: nothing was taken, and nothing is committed after this
        except Exception as exc:  # refused before it was queued (too large, metadata timeout)
            self._note(exc)
            raise
        delivery.add_done_callback(self._note_failure)
        return delivery

    def _note_failure(self, delivery: asyncio.Future[Any]) -> None:
        # aiokafka fails a batch's futures before the flush waiting on them wakes,
        # so a failure is noted before the commit that follows the flush looks
        failure = None if delivery.cancelled() else delivery.exception()
        if failure is not None:
            self._note(failure)

    def _note(self, exc: BaseException) -> None:
        if self.undelivered is None:  # the first failure is the one to report
            self.undelivered = exc
            log.error("a message was not delivered; no commit from now on: %r", exc)


def _undelivered(app: Any) -> BaseException | None:
    producer = getattr(app.producer, "_producer", None)  # None until the producer starts
    return getattr(producer, "undelivered", None)


class _Producer(faust_aiokafka.Producer):
    @property
    def _producer_type(self) -> type[AIOKafkaProducer]:
        return DeliveryCheckedProducer

    async def flush(self) -> None:
        """Faust's flush, but not before its buffer is empty: the buffer's own
        flush gives up after 0.1 s without progress, and a commit after it
        could pass table writes not yet handed to aiokafka."""
        while self.buffer.size:
            await self.buffer.flush()
        await super().flush()


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer
    Producer = _Producer


class App(faust.App):
    """A ``faust.App`` with the consumer above and a batching, delivery-checked producer."""

    def __init__(self, id: str, **options: Any) -> None:
        for name, value in PRODUCER_DEFAULTS.items():
            options.setdefault(name, value)
        super().__init__(id, **options)

    def _new_transport(self) -> TransportT:
        return _Transport(self.conf.broker_consumer, self)


def worker_app(
    app_id: str,
    *,
    bootstrap: str,
    data_dir: str,
    partitions: int,
    session_timeout: float,
    tansu: bool,
) -> App:
    """The Faust app every hubplan worker runs on (the scheduler, logistics): raw bytes
    on topics, in-memory tables restored from their changelogs, timeouts from the
    session timeout."""
    # Tansu: one message per batch (DEVELOPERS.md), so nothing to linger for
    extra = {"producer_max_batch_size": 1, "producer_linger": 0.0} if tansu else {}
    return App(
        app_id,
        broker=[f"kafka://{b.strip()}" for b in bootstrap.split(",")],
        store="memory://",
        datadir=data_dir,
        topic_partitions=partitions,
        topic_replication_factor=1,
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=False,
        broker_session_timeout=session_timeout,
        broker_heartbeat_interval=min(3.0, session_timeout / 3),
        broker_request_timeout=max(40.0, session_timeout * 2),
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=0,
        **extra,
    )


def json_table(app: faust.App, name: str, partitions: int) -> faust.Table[Any, Any]:
    """A table of plain JSON values (custom serializers are ignored in tables)."""
    return app.Table(  # type: ignore[return-value]
        name,
        default=None,
        partitions=partitions,
        schema=faust.Schema(key_serializer="json", value_serializer="json"),
    )


def raw_topics(app: faust.App, names: tuple[str, ...], partitions: int) -> dict[str, faust.TopicT]:
    """The named topics as raw bytes keyed by a string (the codec is ``schemas.wire``)."""
    return {
        name: app.topic(
            name,
            key_type=str,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
        )
        for name in names
    }
