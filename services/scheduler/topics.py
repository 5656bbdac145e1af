"""The scheduler's topics: raw bytes in and out (the codec is ``schemas.wire``)."""

from __future__ import annotations

import faust

from schemas.events import DEADLETTER, DECISIONS, INTAKE, PLANS
from services.scheduler.kafka_transport import raw_topics


def declare(app: faust.App, partitions: int) -> dict[str, faust.TopicT]:
    return raw_topics(app, (INTAKE, DECISIONS, PLANS, DEADLETTER), partitions)
