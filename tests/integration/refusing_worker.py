"""A Faust worker with the scheduler's transport whose answers the broker refuses.

Run by test_delivery_check.py as ``python -m tests.integration.refusing_worker
BOOTSTRAP SOURCE SMALL GROUP DATADIR``: it answers each event on SOURCE with
8 KB sent to SMALL, a topic whose ``max.message.bytes`` is smaller, sent the
way services/scheduler/agents.py sends decisions (queued, not awaited).
"""

from __future__ import annotations

import sys
from typing import Any

from faust import Worker

from services.scheduler.kafka_transport import App


def main() -> None:
    bootstrap, source, small, group, datadir = sys.argv[1:6]
    app = App(
        group,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        datadir=datadir,
        web_enabled=False,
        topic_partitions=1,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
    )

    @app.agent(app.topic(source))
    async def answer(stream: Any) -> None:
        async for event in stream.events():
            await app.producer.send(small, event.key, b"x" * 8192, None, None, None)
            print(f"answered {event.message.offset}", flush=True)

    worker = Worker(app, loglevel="WARNING", quiet=True)
    worker.spinner = None  # its log handler would turn on DEBUG logging
    sys.argv = [sys.argv[0], "worker"]
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
