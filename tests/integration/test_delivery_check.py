"""A worker never commits past an event whose outgoing message was not delivered.

Real broker, real Faust worker process with the scheduler's transport
(tests/integration/refusing_worker.py): its answer to an event is too large
for its topic (``max.message.bytes``), so the broker refuses the batch after
the agent has moved on. The worker must then commit nothing and stop, so
that a restarted worker gets the event again (kafka_transport.py).
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import TopicPartition

pytestmark = pytest.mark.integration


async def _committed(bootstrap: str, group: str, tp: TopicPartition) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        committed: int | None = await consumer.committed(tp)
        return committed
    finally:
        await consumer.stop()


async def test_a_refused_answer_stops_the_worker_uncommitted(
    kafka_broker: str, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:8]
    source, small, group = f"dc-in-{suffix}", f"dc-small-{suffix}", f"dc-app-{suffix}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(source, 1, 1),
                NewTopic(small, 1, 1, topic_configs={"max.message.bytes": "2048"}),
            ]
        )
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker)
    await producer.start()
    try:
        await producer.send_and_wait(source, b"event", key=b"k")
    finally:
        await producer.stop()

    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.refusing_worker"]
            + [kafka_broker, source, small, group, str(tmp_path / "data")],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            code = worker.wait(90)  # Faust commits every ~3 s; the first one must fail
        except subprocess.TimeoutExpired:
            worker.kill()
            pytest.fail(f"the worker kept running:\n{log.read_text()[-3000:]}")
    text = log.read_text()
    assert "answered 0" in text, text[-3000:]
    assert code != 0, text[-3000:]
    assert "not committing past an undelivered message" in text
    assert "MessageSizeTooLargeError" in text
    # a restarted worker gets the event again
    assert await _committed(kafka_broker, group, TopicPartition(source, 0)) is None
