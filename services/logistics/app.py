"""Build the logistics service's Faust app: settings -> app, topics, tables, handlers.

One bootstrap function wires everything so tests (and ``hubplan up``) can
build an app against any broker. The transport is the scheduler's
(``services.scheduler.kafka_transport.App``), with the fixes for Faust's
rebalance, recovery and delivery quirks that DEVELOPERS.md describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust

from services.logistics.config import LogisticsSettings
from services.logistics.handlers import Logistics
from services.logistics.metrics import LogisticsMetrics
from services.logistics.topics import declare
from services.scheduler.kafka_transport import App

TABLES = ("catalogues", "sessions", "regions")


def changelog_topics(app_id: str = "hubplan-logistics") -> list[str]:
    """Faust's changelog topic names; created up front (compacted) by ``hubplan up``."""
    return [f"{app_id}-{name}-changelog" for name in TABLES]


@dataclass
class LogisticsApp:
    app: faust.App
    topics: dict[str, faust.TopicT]
    tables: dict[str, Any]  # faust.Table: a MutableMapping whose writes go to its changelog
    handler: Logistics
    metrics: LogisticsMetrics
    settings: LogisticsSettings


@dataclass
class _Store:
    catalogues: Any
    sessions: Any
    regions: Any


def build(settings: LogisticsSettings, metrics: LogisticsMetrics | None = None) -> LogisticsApp:
    # Tansu: one message per batch (DEVELOPERS.md), so nothing to linger for
    extra = {"producer_max_batch_size": 1, "producer_linger": 0.0} if settings.tansu else {}
    app = App(
        settings.group_id,
        broker=[f"kafka://{b.strip()}" for b in settings.bootstrap.split(",")],
        store="memory://",
        datadir=str(Path(settings.data_dir)),
        topic_partitions=settings.partitions,
        topic_replication_factor=1,
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=False,
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=min(3.0, settings.session_timeout / 3),
        broker_request_timeout=max(40.0, settings.session_timeout * 2),
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=0,
        **extra,
    )
    tables = {
        name: app.Table(
            name,
            default=None,
            partitions=settings.partitions,
            schema=faust.Schema(key_serializer="json", value_serializer="json"),
        )
        for name in TABLES
    }
    store = _Store(**tables)
    return LogisticsApp(
        app=app,
        topics=declare(app, settings.partitions),
        tables=tables,
        handler=Logistics(store, source=settings.source, notice_days=settings.notice_days),
        metrics=metrics or LogisticsMetrics(),
        settings=settings,
    )
