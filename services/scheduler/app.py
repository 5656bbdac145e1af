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
from services.scheduler.kafka_transport import json_table, worker_app
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
    app = worker_app(
        settings.app_id,
        bootstrap=settings.bootstrap,
        data_dir=str(Path(settings.data_dir)),
        partitions=settings.partitions,
        session_timeout=settings.session_timeout,
        tansu=settings.tansu,
    )
    catalogues, regions, bookings, seen = (
        json_table(app, name, settings.partitions) for name in TABLES
    )
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
