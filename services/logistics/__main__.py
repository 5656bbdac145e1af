"""Run the logistics service: ``python -m services.logistics``.

A Faust worker (group ``HUBPLAN_LOGISTICS_GROUP_ID``): its tables live in
changelog topics, so a restart recovers them and carries on from the
committed offsets. More workers with the same settings share the regions.
"""

from __future__ import annotations

import logging
import sys

from faust import Worker

from services.logistics.agents import wire
from services.logistics.app import build
from services.logistics.config import LogisticsSettings
from services.logistics.metrics import LogisticsMetrics


def main() -> int:
    try:
        settings = LogisticsSettings()
    except Exception as exc:  # pydantic ValidationError: one clear line
        print(f"hubplan-logistics: bad configuration: {exc}", file=sys.stderr)
        return 2
    metrics = LogisticsMetrics()
    if settings.metrics_port:
        from prometheus_client import start_http_server

        metrics.add_process_metrics()
        start_http_server(
            settings.metrics_port, addr=settings.metrics_addr, registry=metrics.registry
        )
    built = build(settings, metrics)
    wire(built)
    logging.basicConfig(level=logging.INFO)
    worker = Worker(built.app, loglevel=settings.log_level, quiet=True)
    worker.spinner = None  # its log handler turns on DEBUG logging for everything
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
