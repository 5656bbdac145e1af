"""The logistics service's topics: raw bytes in and out (the codec is ``schemas.wire``)."""

from __future__ import annotations

import faust

from schemas.events import DEADLETTER, DECISIONS, INTAKE, PLANS
from schemas.logistics import LOGISTICS
from services.scheduler.kafka_transport import raw_topics

SOURCES = (PLANS, INTAKE, DECISIONS)  # keyed by region, co-partitioned with the tables


def declare(app: faust.App, partitions: int) -> dict[str, faust.TopicT]:
    return raw_topics(app, (*SOURCES, LOGISTICS, DEADLETTER), partitions)
