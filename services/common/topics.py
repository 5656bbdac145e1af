"""Create hubplan's topics before any service uses them.

Auto-creation would give every topic the broker default partition count;
the intake topic's partitions are the unit of scale-out (one region's state
lives on one), so they are created explicitly, with compaction off and a
generous retention (the topics are the system of record for replays).
"""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from schemas.events import DEADLETTER, DECISIONS, INTAKE, PLANS


async def ensure_topics(
    bootstrap: str, partitions: int, timeout: float = 30.0, compacted: tuple[str, ...] = ()
) -> list[str]:
    """Create missing topics (``compacted``: table changelogs); returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = {INTAKE: partitions, DECISIONS: partitions, PLANS: partitions, DEADLETTER: 1}
        new = [
            NewTopic(
                name, num_partitions=n, replication_factor=1, topic_configs={"retention.ms": "-1"}
            )
            for name, n in wanted.items()
            if name not in existing
        ]
        new += [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs={"cleanup.policy": "compact"},
            )
            for name in compacted
            if name not in existing
        ]
        if new:
            try:
                await admin.create_topics(new, timeout_ms=int(timeout * 1000))
            except TopicAlreadyExistsError:
                pass
        return [t.name for t in new]
    finally:
        await admin.close()


def ensure_topics_sync(
    bootstrap: str, partitions: int, compacted: tuple[str, ...] = ()
) -> list[str]:
    return asyncio.run(ensure_topics(bootstrap, partitions, compacted=compacted))
