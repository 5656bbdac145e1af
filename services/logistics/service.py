"""The logistics consumer: ``hubplan.plans`` in, per-container move events out.

Flow per message: decode (``schemas.wire.decode``) -> ``MoveBook.apply`` (pure
diff, :mod:`services.logistics.diff`) -> envelopes keyed by container on
``hubplan.logistics``. Undecodable messages go to ``hubplan.deadletter``.

State is only the latest moves per region, kept in memory. On start the
consumer reads ``hubplan.plans`` from the beginning and replays, silently,
everything below the group's committed offset; after that it emits and
commits message by message (at-least-once). Event ids are derived from
region, plan version and position, so a redelivery after a crash repeats
the same ids and listeners can drop duplicates. If ``hubplan.plans`` is
compacted by region key, the replay is one message per region.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.events import (
    DEADLETTER,
    PLANS,
    DeadLettered,
    PlanChanged,
    dead_letter_original,
    envelope,
)
from schemas.wire import WireError, decode, encode
from services.logistics.config import LogisticsSettings
from services.logistics.diff import MoveBook
from services.logistics.events import LOGISTICS
from services.logistics.metrics import LogisticsMetrics

log = logging.getLogger("hubplan.logistics")


@dataclass(frozen=True)
class Outgoing:
    topic: str
    key: bytes
    value: bytes


def handle(
    raw: bytes | None,
    book: MoveBook,
    *,
    source: str,
    partition: int = 0,
    offset: int = 0,
    key: bytes | None = None,
) -> list[Outgoing]:
    """One ``hubplan.plans`` message -> what to produce. No I/O, so tests call it directly."""
    try:
        _, payload = decode(raw)
    except WireError as exc:
        dead = DeadLettered(
            topic=PLANS,
            partition=partition,
            offset=offset,
            reason=exc.reason,
            errors=exc.errors,
            original_base64=dead_letter_original(raw),
            original_key=key.decode(errors="replace") if key else None,
        )
        event = envelope(dead, key="deadletter", source=source)
        return [Outgoing(DEADLETTER, event.key.encode(), encode(event))]
    if not isinstance(payload, PlanChanged):
        return []  # other types may share the topic later; not ours to judge
    out = []
    for n, payload_out in enumerate(book.apply(payload)):
        move_event = envelope(
            payload_out,
            key=payload_out.container,
            source=source,
            event_id=f"logistics:{payload.region}:v{payload.version}:{n}",
        )
        out.append(Outgoing(LOGISTICS, move_event.key.encode(), encode(move_event)))
    return out


class LogisticsService:
    """The thin loop around :func:`handle`: assign, replay, emit, commit."""

    def __init__(
        self, settings: LogisticsSettings, metrics: LogisticsMetrics | None = None
    ) -> None:
        self.metrics = metrics or LogisticsMetrics()
        self.settings = settings
        self.book = MoveBook()
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        s = self.settings
        consumer = AIOKafkaConsumer(
            bootstrap_servers=s.bootstrap,
            group_id=s.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        producer = AIOKafkaProducer(
            bootstrap_servers=s.bootstrap, acks="all", enable_idempotence=True
        )
        try:
            await consumer.start()
            await producer.start()
            # every partition, assigned by hand: one instance keeps every region's
            # state, and plans are few (one message per plan change)
            parts = await self._partitions(consumer, producer)
            if not parts:
                return  # stopped before the topic appeared
            tps = [TopicPartition(PLANS, p) for p in parts]
            consumer.assign(tps)
            committed = {tp: (await consumer.committed(tp)) or 0 for tp in tps}
            await consumer.seek_to_beginning(*tps)
            log.info("logistics: replaying %s up to %s", PLANS, committed)
            while not self._stop.is_set():
                batches = await consumer.getmany(timeout_ms=int(s.idle_timeout * 1000))
                for tp, messages in batches.items():
                    for msg in messages:
                        out = handle(
                            msg.value,
                            self.book,
                            source=s.source,
                            partition=msg.partition,
                            offset=msg.offset,
                            key=msg.key,
                        )
                        if msg.offset < committed[tp]:
                            continue  # replay: state only, listeners had these already
                        self.metrics.observe(
                            msg.partition,
                            msg.offset,
                            [o.topic for o in out],
                            [_kind(o) for o in out if o.topic == LOGISTICS],
                            dead=any(o.topic == DEADLETTER for o in out),
                        )
                        for o in out:
                            await producer.send_and_wait(o.topic, key=o.key, value=o.value)
                        await consumer.commit({tp: msg.offset + 1})
        finally:
            await producer.stop()
            await consumer.stop()

    async def _partitions(
        self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer
    ) -> list[int]:
        """Partitions of ``hubplan.plans``, waiting while the scheduler has not made it.

        Existence is checked first (a metadata request for all topics never
        creates one); only then does the producer's per-topic lookup run,
        which on a broker with auto-creation would otherwise create the
        topic with default partitions.
        """
        while not self._stop.is_set():
            if PLANS in await consumer.topics():
                return sorted(await producer.partitions_for(PLANS))
            log.info("logistics: waiting for topic %s", PLANS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.settings.idle_timeout * 5)
        return []


def _kind(o: Outgoing) -> str:
    """planned / changed / cancelled, from the envelope type (bounded label)."""
    import json

    kind = str(json.loads(o.value).get("type", "")).split(".")
    return kind[2] if len(kind) > 2 else "unknown"
