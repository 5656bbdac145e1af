"""The consumer-lag probe against a real broker: a group behind by N reads N."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.observability.lag import Group, LagProbe

pytestmark = pytest.mark.integration


async def test_a_group_behind_its_topic_reads_the_messages_it_has_not_committed(
    kafka_broker: str,
) -> None:
    """Three partitions; the group committed 2 of 5 messages on one of them and none
    on the others: lag is 3 there, plus everything on the never-committed ones."""
    topic, group = f"lag-{uuid.uuid4().hex[:8]}", f"lag-group-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker)
    await producer.start()
    for partition, count in ((0, 5), (1, 4), (2, 0)):
        for n in range(count):
            await producer.send_and_wait(topic, f"m{n}".encode(), partition=partition)
    await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_broker, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.commit({TopicPartition(topic, 0): 2})
    finally:
        await consumer.stop()

    seen: dict[tuple[str, str], int] = {}
    probe = LagProbe(kafka_broker, seen.update, groups=(Group("me", group, topic),))
    await probe.start()
    try:
        measured = await probe.measure()
    finally:
        await probe.stop()
    # partition 0: 5 - 2; partition 1: never committed, counted from its start (4)
    assert measured == {("me", topic): 3 + 4}


async def test_one_group_reading_two_topics_has_lag_on_each(kafka_broker: str) -> None:
    """Like the logistics consumer (plans, intake, decisions): one series per topic."""
    topics = [f"lag-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    group = f"lag-group-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker)
    await admin.start()
    await admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1) for t in topics])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker)
    await producer.start()
    for topic, count in zip(topics, (3, 5), strict=True):
        for n in range(count):
            await producer.send_and_wait(topic, f"m{n}".encode(), partition=0)
    await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_broker, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(t, 0) for t in topics])
        await consumer.commit({TopicPartition(topics[0], 0): 1, TopicPartition(topics[1], 0): 4})
    finally:
        await consumer.stop()
    probe = LagProbe(
        kafka_broker, lambda _: None, groups=tuple(Group("me", group, t) for t in topics)
    )
    await probe.start()
    try:
        measured = await probe.measure()
    finally:
        await probe.stop()
    assert measured == {("me", topics[0]): 2, ("me", topics[1]): 1}
