"""Build the scheduler's Faust app: settings -> app, topics, tables, handlers.

One bootstrap function wires everything so tests (and ``hubplan up``) can
build an app against any broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faust

from services.scheduler.config import SchedulerSettings
from services.scheduler.handlers import Scheduler
from services.scheduler.kafka_transport import App
from services.scheduler.metrics import SchedulerMetrics
from services.scheduler.state import Store
from services.scheduler.topics import declare

TABLES = ("hubplan-catalogues", "hubplan-regions", "hubplan-bookings", "hubplan-seen")


def changelog_topics(app_id: str = "hubplan-scheduler") -> list[str]:
    """Faust's changelog topic names; created up front so no worker races another."""
    return [f"{app_id}-{name}-changelog" for name in TABLES]


@dataclass
class SchedulerApp:
    app: faust.App
    topics: dict[str, faust.TopicT]
    scheduler: Scheduler
    metrics: SchedulerMetrics
    settings: SchedulerSettings


def build(settings: SchedulerSettings, metrics: SchedulerMetrics | None = None) -> SchedulerApp:
    # Tansu: one message per batch (DEVELOPERS.md), so nothing to linger for
    extra = {"producer_max_batch_size": 1, "producer_linger": 0.0} if settings.tansu else {}
    app = App(
        settings.app_id,
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

    def table(name: str) -> faust.Table:
        return app.Table(
            name,
            default=None,
            partitions=settings.partitions,
            schema=faust.Schema(key_serializer="json", value_serializer="json"),
        )

    catalogues, regions, bookings, seen = (table(name) for name in TABLES)
    store = Store(catalogues=catalogues, regions=regions, bookings=bookings, seen=seen)
    metrics = metrics or SchedulerMetrics()
    metrics.workers_expected.set(settings.expected_workers)
    return SchedulerApp(
        app=app,
        topics=declare(app, settings.partitions),
        scheduler=Scheduler(store),
        metrics=metrics,
        settings=settings,
    )
