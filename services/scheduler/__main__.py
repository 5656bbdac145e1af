"""Run one scheduler worker: ``python -m services.scheduler``.

Start more workers with the same settings to share the regions (Kafka
rebalances the intake partitions between them).
"""

from __future__ import annotations

import logging
import sys

from faust import Worker
from prometheus_client import start_http_server

from services.scheduler.agents import wire
from services.scheduler.app import build
from services.scheduler.config import SchedulerSettings


def main() -> int:
    try:
        settings = SchedulerSettings()
    except Exception as exc:  # pydantic ValidationError: one clear line
        print(f"hubplan-scheduler: bad configuration: {exc}", file=sys.stderr)
        return 2
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_addr)
    built = build(settings)
    wire(built)
    logging.basicConfig(level=logging.INFO)
    worker = Worker(built.app, loglevel=settings.log_level, quiet=True)
    # no terminal spinner: its log handler sets the root logger to DEBUG, so every
    # aiokafka/faust debug call built a log record (a quarter of the worker's CPU
    # per event in the pipeline benchmark's profile)
    worker.spinner = None
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
