"""The logistics service's topics: raw bytes in and out (the codec is ``schemas.wire``)."""

from __future__ import annotations

import faust

from schemas.events import DEADLETTER, DECISIONS, INTAKE, PLANS
from schemas.logistics import LOGISTICS

SOURCES = (PLANS, INTAKE, DECISIONS)  # keyed by region, co-partitioned with the tables


def declare(app: faust.App, partitions: int) -> dict[str, faust.TopicT]:
    def topic(name: str) -> faust.TopicT:
        return app.topic(
            name,
            key_type=str,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
        )

    return {name: topic(name) for name in (*SOURCES, LOGISTICS, DEADLETTER)}
