"""The scheduler's Faust app fetches with a short broker wait (kafka_transport.py says why)."""

from __future__ import annotations

from pathlib import Path

from services.scheduler.app import build
from services.scheduler.config import SchedulerSettings
from services.scheduler.kafka_transport import FETCH_MAX_WAIT_MS


async def test_the_worker_consumer_asks_the_broker_to_wait_at_most_50_ms(tmp_path: Path) -> None:
    built = build(SchedulerSettings(bootstrap="127.0.0.1:1", data_dir=str(tmp_path)))
    thread = built.app.consumer._thread  # builds the aiokafka consumer; no connection yet
    consumer = thread._create_worker_consumer(built.app.transport)
    assert FETCH_MAX_WAIT_MS <= 100
    # Faust's own driver passes 1,500 ms; a Faust upgrade that renames what we
    # override would silently bring the 1.3 s stalls back, so check the result
    try:
        assert consumer._fetch_max_wait_ms == FETCH_MAX_WAIT_MS
    finally:
        await consumer.stop()
