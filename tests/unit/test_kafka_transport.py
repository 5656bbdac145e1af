"""The scheduler's Faust transport: records handed to the streams without extra
tasks, a short broker fetch wait, a batching producer that remembers failed
deliveries (the commit that refuses them: tests/integration/test_delivery_check.py).

Faust's fetch loop calls ``consumer.wait_first(callback(record),
consumer.suspend_flow.wait())`` once per record. These tests make that call
the way the loop does, on a consumer that is built but never started (no
broker needed).
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError, ProducerClosed
from prometheus_client import CollectorRegistry

from services.scheduler.app import build
from services.scheduler.config import SchedulerSettings
from services.scheduler.kafka_transport import FETCH_MAX_WAIT_MS, App, DeliveryCheckedProducer
from services.scheduler.metrics import SchedulerMetrics


def _new_consumer() -> Any:
    """Built inside the test's own loop: mode's services keep the loop they are made in.

    Flow control is resumed as a started worker has it outside rebalances."""
    app = App("hubplan-unit-transport", broker="kafka://127.0.0.1:1", store="memory://")
    app.flow_control.resume()
    return app.consumer


async def _waiting_hand_over(consumer: Any) -> asyncio.Task[Any]:
    """The fetch loop's call with a hand-over that waits forever, once it is waiting."""
    started = asyncio.Event()

    async def waiting_hand_over() -> None:
        started.set()
        await asyncio.Event().wait()

    loop = asyncio.create_task(
        consumer.wait_first(waiting_hand_over(), consumer.suspend_flow.wait())
    )
    await asyncio.wait_for(started.wait(), timeout=5)
    return loop


async def _interruptible(consumer: Any) -> None:
    """A hand-over that waits is given up once the flow is suspended (a rebalance)."""
    loop = await _waiting_hand_over(consumer)
    consumer.suspend_flow.set()  # what the rebalance does first
    result = await asyncio.wait_for(loop, timeout=5)
    assert result.results == [True]  # the flow wait won; the hand-over was dropped


async def test_a_record_is_handed_over_in_the_fetch_loops_own_task() -> None:
    consumer = _new_consumer()
    loop_task = asyncio.current_task()
    ran_in: list[asyncio.Task[object] | None] = []

    async def hand_over() -> str:
        ran_in.append(asyncio.current_task())
        return "delivered"

    flow_wait = consumer.suspend_flow.wait()
    result = await consumer.wait_first(hand_over(), flow_wait)

    assert result.results == ["delivered"] and not result.stopped
    assert ran_in == [loop_task]  # no task of its own
    assert flow_wait.cr_frame is None  # closed, never left dangling


async def test_with_the_flow_suspended_faust_stops_waiting_for_a_blocked_hand_over() -> None:
    consumer = _new_consumer()
    never = asyncio.Event()
    consumer.suspend_flow.set()

    async def blocked_hand_over() -> None:
        await never.wait()

    result = await asyncio.wait_for(
        consumer.wait_first(blocked_hand_over(), consumer.suspend_flow.wait()),
        timeout=5,
    )
    assert result.results == [True]  # the flow wait won; the hand-over was dropped


async def test_while_the_producer_buffer_is_over_its_limit_the_hand_over_stays_interruptible() -> (
    None
):
    consumer = _new_consumer()
    consumer.app.producer.buffer.max_messages = -1  # "over": the hand-over would wait for it
    await _interruptible(consumer)


async def test_while_flow_control_is_suspended_the_hand_over_stays_interruptible() -> None:
    consumer = _new_consumer()
    consumer.app.flow_control.suspend()
    await _interruptible(consumer)


async def test_a_waiting_hand_over_ends_when_the_fetch_loop_is_cancelled() -> None:
    loop = await _waiting_hand_over(_new_consumer())  # at shutdown Faust cancels the loop
    loop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop


async def test_a_failing_hand_over_raises_in_the_fetch_loop() -> None:
    consumer = _new_consumer()

    async def undecodable() -> None:
        raise ValueError("bad record")

    with pytest.raises(ValueError, match="bad record"):
        await consumer.wait_first(undecodable(), consumer.suspend_flow.wait())


async def test_other_waits_keep_fausts_behaviour() -> None:
    consumer = _new_consumer()

    async def quick() -> int:
        return 7

    result = await consumer.wait_first(quick(), timeout=5)
    assert result.results == [7]


def _build(settings: SchedulerSettings) -> Any:
    """The worker's app as ``hubplan up`` builds it (metrics in a registry of their own)."""
    return build(settings, SchedulerMetrics(CollectorRegistry()))


async def test_the_worker_consumer_asks_the_broker_to_wait_at_most_50_ms(tmp_path: Path) -> None:
    built = _build(SchedulerSettings(bootstrap="127.0.0.1:1", data_dir=str(tmp_path)))
    # through the entry point Faust's consumer thread calls when it starts (no
    # connection yet): if Faust renamed the method we override, this would fail
    consumer = built.app.consumer._thread._create_consumer(asyncio.get_running_loop())
    try:
        assert consumer._fetch_max_wait_ms == FETCH_MAX_WAIT_MS == 50
        # and aiokafka still builds its Fetcher from that attribute in start()
        assert "self._fetch_max_wait_ms" in inspect.getsource(AIOKafkaConsumer.start)
    finally:
        await consumer.stop()


async def test_the_worker_producer_batches_for_5_ms(tmp_path: Path) -> None:
    built = _build(SchedulerSettings(bootstrap="127.0.0.1:1", data_dir=str(tmp_path)))
    settings = built.app.producer._settings_default()
    assert settings["linger_ms"] == 5
    assert settings["max_batch_size"] == 256 * 1024


async def test_on_tansu_the_producer_sends_one_message_per_batch_at_once(tmp_path: Path) -> None:
    """Tansu reports a short end offset for multi-message batches (DEVELOPERS.md); a
    one-message batch gains nothing from lingering, so it does not wait."""
    settings = SchedulerSettings(bootstrap="127.0.0.1:1", data_dir=str(tmp_path), tansu=True)
    produce = _build(settings).app.producer._settings_default()
    assert (produce["max_batch_size"], produce["linger_ms"]) == (1, 0)


async def test_the_producer_remembers_the_first_failed_delivery() -> None:
    producer = DeliveryCheckedProducer(bootstrap_servers="127.0.0.1:1")  # never started
    loop = asyncio.get_running_loop()
    delivered, cancelled, first, second = (loop.create_future() for _ in range(4))
    delivered.set_result("metadata")
    cancelled.cancel()
    first.set_exception(MessageSizeTooLargeError())
    second.set_exception(KafkaTimeoutError())
    for delivery in (delivered, cancelled):
        producer._note_failure(delivery)
    assert producer.undelivered is None
    for delivery in (first, second):
        producer._note_failure(delivery)
    assert isinstance(producer.undelivered, MessageSizeTooLargeError)


async def test_the_worker_builds_its_aiokafka_producer_delivery_checked(tmp_path: Path) -> None:
    built = _build(SchedulerSettings(bootstrap="127.0.0.1:1", data_dir=str(tmp_path)))
    assert built.app.producer._producer_type is DeliveryCheckedProducer


class _Positions:
    """Stands in for the aiokafka consumer: an assignment, and the seeks made on it."""

    def __init__(self, assigned: set[TopicPartition]) -> None:
        self.assigned = assigned
        self.seeks: dict[TopicPartition, int] = {}

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks[tp] = offset


async def test_changelogs_go_back_to_where_table_recovery_has_read() -> None:
    """Records Faust fetched and threw away while the flow was stopped are read again
    (they never reached the recovery; without this it waited for them forever)."""
    app = App("hubplan-unit-rewind", broker="kafka://127.0.0.1:1", store="memory://")
    fresh, halfway, gone, unset = (TopicPartition("t-bookings-changelog", p) for p in range(4))
    recovery = app.tables.recovery
    # None: just assigned (memory store), recovery has not chosen a start yet
    recovery.active_offsets.update({fresh: -1, halfway: 7, gone: 3, unset: None})
    consumer = _Positions({fresh, halfway, unset, TopicPartition("hubplan.intake", 0)})
    app.consumer._thread._rewind_changelogs(consumer)
    assert consumer.seeks == {fresh: 0, halfway: 8}  # not the partition no longer assigned


async def test_a_message_refused_before_it_was_queued_counts_as_undelivered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """aiokafka raises some refusals from send() itself (a record over max_request_size,
    a metadata timeout); the caller sees the error, and no commit may pass it either.
    A producer that is closing is not a refusal: nothing was taken."""
    producer = DeliveryCheckedProducer(bootstrap_servers="127.0.0.1:1")  # never started
    refusals: list[Exception] = [ProducerClosed(), MessageSizeTooLargeError()]

    async def refuse(self: AIOKafkaProducer, *args: Any, **kwargs: Any) -> Any:
        raise refusals.pop(0)

    monkeypatch.setattr(AIOKafkaProducer, "send", refuse)
    with pytest.raises(ProducerClosed):
        await producer.send("t", b"x")
    assert producer.undelivered is None
    with pytest.raises(MessageSizeTooLargeError):
        await producer.send("t", b"x")
    assert isinstance(producer.undelivered, MessageSizeTooLargeError)
