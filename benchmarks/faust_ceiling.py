"""How fast can any Faust worker go here? Prints numbers, asserts nothing.

    python -m benchmarks.faust_ceiling [--events N]

The pipeline target asks non-solver events per worker to reach half the raw
broker rate. This measures the ceiling a Faust agent sets on one partition,
with no hubplan logic at all, next to the raw aiokafka rate on the same
embedded broker:

* ``raw``: aiokafka produce -> consume of 1 KB messages (as in pipeline.py);
* ``relay``: no Faust: one aiokafka consumer and producer in a loop that
  sends one message per event it reads, the least any worker that answers
  every event must do;
* ``relay answering cancellations``: the same loop on a backlog of
  cancellation envelopes, validating each (``schemas.wire.decode``) and
  sending an encoded confirmation: no state, no table, no metrics;
* ``stateful relay``: the least a worker that survives a restart must do per
  cancellation: the same validation, a dedupe check against the bookings it
  keeps in a dict, the booking's new state written to a changelog topic (a
  second send), the confirmation, and the producer flushed and the offsets
  committed once a second; still no Faust, no plan, no metrics;
* ``consume only``: a Faust agent that counts a backlog of N 1 KB events;
* ``+ one send``: the agent also sends one message per event (a decision);
* ``+ one table write``: and writes one table key (a changelog message).

Each agent runs as a worker of its own (``python -m benchmarks.faust_ceiling
--agent MODE``) with the scheduler's transport (services/scheduler/
kafka_transport.py) and drains the backlog from the start; the rate is
events over the time from its first to its last event, and the longest
pause between two events shows stalls (a fetch or flow-control wait).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console
from rich.table import Table

from benchmarks.pipeline import raw_rate
from schemas.events import BookingCancellationConfirmed, BookingCancelled, envelope
from schemas.wire import decode, encode
from services.broker import start_broker

RELAYS = {
    "relay": "aiokafka relay, no Faust, one send per event",
    "relay-answer": "aiokafka relay answering cancellations",
    "relay-stateful": "stateful relay: + dedupe, changelog write, commits",
}
MODES = {"consume": "consume only", "send": "+ one send per event", "table": "+ one table write"}
SOURCE, CANCELS, SINK = "ceiling-in", "ceiling-cancels", "ceiling-out"
CHANGELOG = "ceiling-bookings-changelog"


def agent(mode: str) -> None:
    """One Faust worker that drains SOURCE and writes its rate to $CEILING_RESULT."""
    from faust import Worker

    from services.scheduler.kafka_transport import App

    events = int(os.environ["CEILING_EVENTS"])
    app = App(
        f"ceiling-{mode}-{time.time_ns()}",
        broker=f"kafka://{os.environ['CEILING_BOOTSTRAP']}",
        store="memory://",
        datadir=os.environ["CEILING_DATADIR"],
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        topic_partitions=1,
    )
    source = app.topic(SOURCE, partitions=1)
    table = app.Table("ceiling", default=None, partitions=1)
    seen = {"n": 0, "first": 0.0, "last": 0.0, "pause": 0.0}

    @app.agent(source)
    async def drain(stream: Any) -> None:
        async for event in stream.events():
            n = seen["n"] = seen["n"] + 1
            now = time.perf_counter()
            if n == 1:
                seen["first"] = now
            else:
                seen["pause"] = max(seen["pause"], now - seen["last"])
            seen["last"] = now
            if mode in ("send", "table"):
                await app.producer.send(SINK, event.key, event.value, None, None, None)
            if mode == "table":
                table[str(n % 1000)] = n
            if n == events:
                rate = (events - 1) / (now - seen["first"])
                result = {"rate": rate, "pause": seen["pause"]}
                Path(os.environ["CEILING_RESULT"]).write_text(json.dumps(result))
                os._exit(0)  # the number is written; no orderly shutdown needed

    worker = Worker(app, loglevel="WARNING", quiet=True)
    worker.spinner = None  # its log handler would turn on DEBUG logging
    sys.argv = [sys.argv[0], "worker"]
    worker.execute_from_commandline()


Outputs = list[tuple[str, bytes | None, bytes]]  # (topic, key, value) to send


def _forward(key: bytes | None, value: bytes) -> Outputs:
    return [(SINK, key, value)]


def _answer_cancel(key: bytes | None, value: bytes) -> Outputs:
    """The least a worker does for a cancellation: validate it, build and encode an answer."""
    env, payload = decode(value)
    if not isinstance(payload, BookingCancelled):
        raise TypeError(f"the cancellation backlog holds a {env.type}")
    answer = BookingCancellationConfirmed(
        request_id=payload.request_id, site="bench-site", freed_sessions=0
    )
    return [(SINK, key, encode(envelope(answer, key=env.key, source="bench")))]


class _Bookings:
    """The state a restartable worker keeps for cancellations: request id -> status.

    Every backlog request starts confirmed; a cancel of one already cancelled is
    a redelivery and only re-emits the answer (no second state change).
    """

    def __init__(self, events: int) -> None:
        self.status = {f"bench-{i}": "confirmed" for i in range(events)}

    def __call__(self, key: bytes | None, value: bytes) -> Outputs:
        env, payload = decode(value)
        if not isinstance(payload, BookingCancelled):
            raise TypeError(f"the cancellation backlog holds a {env.type}")
        rid = payload.request_id
        answer = BookingCancellationConfirmed(request_id=rid, site="bench-site", freed_sessions=0)
        out: Outputs = [(SINK, key, encode(envelope(answer, key=env.key, source="bench")))]
        if self.status.get(rid) == "cancelled":
            return out
        self.status[rid] = "cancelled"
        change = json.dumps({"request_id": rid, "status": "cancelled"}).encode()
        return [(CHANGELOG, rid.encode(), change), *out]


def _relay_rate(
    bootstrap: str,
    events: int,
    source: str,
    answer: Callable[[bytes | None, bytes], Outputs],
    commit: bool = False,
) -> dict[str, float]:
    """Events per second of a bare aiokafka loop that sends ``answer(event)`` for each event.

    With ``commit`` the loop is a consumer group member and, as an at-least-once
    worker must, flushes its producer and commits its offsets once a second
    (Faust's default is every 2.8 s).
    """

    async def relay() -> dict[str, float]:
        consumer = AIOKafkaConsumer(
            source,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            group_id=f"ceiling-relay-{time.time_ns()}" if commit else None,
            enable_auto_commit=False,
        )
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024
        )
        await consumer.start()
        await producer.start()
        n, first, last, pause = 0, 0.0, 0.0, 0.0
        committed = time.perf_counter()
        try:
            while n < events:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        for topic, key, value in answer(record.key, record.value):
                            await producer.send(topic, value, key=key)
                        n += 1
                        now = time.perf_counter()
                        if n == 1:
                            first = now
                        else:
                            pause = max(pause, now - last)
                        last = now
                if commit and batches and time.perf_counter() - committed >= 1.0:
                    await producer.flush()  # nothing committed past a lost send
                    await consumer.commit()
                    committed = time.perf_counter()
            await producer.flush()
        finally:
            await consumer.stop()
            await producer.stop()
        return {"rate": (n - 1) / (last - first), "pause": pause}

    return asyncio.run(relay())


async def _fill(bootstrap: str, events: int) -> None:
    """The 1 KB backlog for the agents and the plain relay, and one of cancellations."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    try:
        for i in range(events):
            await producer.send(SOURCE, b"x" * 1024, key=str(i).encode())
            cancel = BookingCancelled(request_id=f"bench-{i}", cancelled_by="bench")
            await producer.send(
                CANCELS, encode(envelope(cancel, key="bench", source="bench")), key=b"bench"
            )
        await producer.flush()
    finally:
        await producer.stop()


def run(events: int) -> dict[str, dict[str, float]]:
    root = Path(tempfile.mkdtemp(prefix="hubplan-ceiling-"))
    broker = start_broker(root / "kafka")
    results: dict[str, dict[str, float]] = {}
    try:
        bootstrap = broker.bootstrap_servers
        results["raw"] = {"rate": asyncio.run(raw_rate(bootstrap, 100_000))}
        asyncio.run(_fill(bootstrap, events))
        results["relay"] = _relay_rate(bootstrap, events, SOURCE, _forward)
        results["relay-answer"] = _relay_rate(bootstrap, events, CANCELS, _answer_cancel)
        results["relay-stateful"] = _relay_rate(
            bootstrap, events, CANCELS, _Bookings(events), commit=True
        )
        for mode in MODES:
            out = root / f"{mode}.json"
            env = {
                **os.environ,
                "CEILING_EVENTS": str(events),
                "CEILING_BOOTSTRAP": bootstrap,
                "CEILING_DATADIR": str(root / mode),
                "CEILING_RESULT": str(out),
            }
            cmd = [sys.executable, "-m", "benchmarks.faust_ceiling", "--agent", mode]
            try:
                done = subprocess.run(cmd, env=env, timeout=600, capture_output=True, text=True)
            except subprocess.TimeoutExpired:
                print(f"{mode}: the agent did not drain {events} events in 600 s")
            else:
                if not out.exists():
                    print(f"{mode}: the agent exited {done.returncode}:\n{done.stderr[-2000:]}")
            nan = {"rate": float("nan"), "pause": float("nan")}
            results[mode] = json.loads(out.read_text()) if out.exists() else nan
    finally:
        broker.stop()
    return results


def report(results: dict[str, dict[str, float]], events: int) -> None:
    t = Table(title=f"Faust agent ceiling, one partition, {events:,} events of 1 KB")
    t.add_column("measure")
    t.add_column("events/s", justify="right")
    t.add_column("of raw", justify="right")
    t.add_column("longest pause", justify="right")
    raw = results["raw"]["rate"]
    t.add_row("raw aiokafka produce -> consume", f"{raw:,.0f}", "100%", "")
    for mode, label in RELAYS.items():
        rate, pause = results[mode]["rate"], results[mode]["pause"]
        t.add_row(label, f"{rate:,.0f}", f"{rate / raw:.0%}", f"{pause * 1000:,.0f} ms")
    for mode, label in MODES.items():
        rate, pause = results[mode]["rate"], results[mode]["pause"]
        t.add_row(
            f"Faust agent, {label}", f"{rate:,.0f}", f"{rate / raw:.0%}", f"{pause * 1000:,.0f} ms"
        )
    Console().print(t)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=20_000, help="backlog per agent (default 20,000)")
    p.add_argument("--agent", choices=list(MODES), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.agent:
        agent(args.agent)
        return 0
    report(run(args.events), args.events)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
