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
from services.scheduler.kafka_transport import json_table, worker_app

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
    app = worker_app(
        settings.group_id,
        bootstrap=settings.bootstrap,
        data_dir=str(Path(settings.data_dir)),
        partitions=settings.partitions,
        session_timeout=settings.session_timeout,
        tansu=settings.tansu,
    )
    tables = {name: json_table(app, name, settings.partitions) for name in TABLES}
    store = _Store(**tables)
    return LogisticsApp(
        app=app,
        topics=declare(app, settings.partitions),
        tables=tables,
        handler=Logistics(store, source=settings.source, notice_days=settings.notice_days),
        metrics=metrics or LogisticsMetrics(),
        settings=settings,
    )
