"""Create hubplan's topics before any service uses them.

Auto-creation would give every topic the broker default partition count;
the intake topic's partitions are the unit of scale-out (one region's state
lives on one), so they are created explicitly, with compaction off and a
generous retention (the topics are the system of record for replays).
"""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from schemas.events import DEADLETTER, DECISIONS, INTAKE, PLANS
from schemas.logistics import LOGISTICS


async def ensure_topics(
    bootstrap: str, partitions: int, timeout: float = 30.0, compacted: tuple[str, ...] = ()
) -> list[str]:
    """Create missing topics (``compacted``: table changelogs); returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = {
            INTAKE: partitions,
            DECISIONS: partitions,
            PLANS: partitions,
            LOGISTICS: partitions,  # keyed by container
            DEADLETTER: 1,
        }
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
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new, timeout_ms=int(timeout * 1000))
        return [t.name for t in new]
    finally:
        await admin.close()


def ensure_topics_sync(
    bootstrap: str, partitions: int, compacted: tuple[str, ...] = ()
) -> list[str]:
    return asyncio.run(ensure_topics(bootstrap, partitions, compacted=compacted))


async def group_members(bootstrap: str, group: str) -> tuple[str, int]:
    """(state, member count) of a consumer group, e.g. ("Stable", 2)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        responses = await admin.describe_consumer_groups([group])
        for response in responses:
            for entry in response.to_object()["groups"]:
                if entry["group"] == group:
                    return str(entry["state"]), len(entry["members"])
        return "Dead", 0
    finally:
        await admin.close()


def wait_for_group(bootstrap: str, group: str, members: int, timeout: float = 90.0) -> None:
    """Block until ``members`` consumers are in the group and it is stable.

    Starting several workers and sending work before all joined makes the
    late ones take over partitions mid-stream right away; waiting gives one
    clean initial assignment.
    """
    import time

    deadline = time.monotonic() + timeout
    state, count = "Unknown", 0
    while time.monotonic() < deadline:
        try:
            state, count = asyncio.run(group_members(bootstrap, group))
        except KafkaError as exc:  # e.g. no coordinator yet while the offsets topic is created
            state = type(exc).__name__
        if state == "Stable" and count >= members:
            return
        time.sleep(0.5)
    raise TimeoutError(f"consumer group {group}: {count}/{members} member(s), state {state}")
