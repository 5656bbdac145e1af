"""Run the logistics consumer: ``python -m services.logistics``.

One instance is enough (it assigns itself every partition of
``hubplan.plans``); stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from services.logistics.config import LogisticsSettings
from services.logistics.metrics import LogisticsMetrics
from services.logistics.service import LogisticsService


async def _main(settings: LogisticsSettings, metrics: LogisticsMetrics | None = None) -> None:
    service = LogisticsService(settings, metrics)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, service.stop)
    await service.run()


def main() -> int:
    try:
        settings = LogisticsSettings()
    except Exception as exc:  # pydantic ValidationError: one clear line
        print(f"hubplan-logistics: bad configuration: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO)
    if settings.metrics_port:
        from prometheus_client import start_http_server

        service_metrics = LogisticsMetrics()
        start_http_server(
            settings.metrics_port, addr=settings.metrics_addr, registry=service_metrics.registry
        )
        asyncio.run(_main(settings, service_metrics))
        return 0
    asyncio.run(_main(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
