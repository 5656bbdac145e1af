"""Pipeline benchmark on a real embedded Kafka: prints numbers, asserts nothing.

    python -m benchmarks.pipeline [--quick]

1. raw broker rate: aiokafka produce -> consume of 1 KB messages;
2. HTTP -> decision latency at 5 requests/s against a region whose plan
   already holds ~1,000 sessions (POST, then the decision seen on
   hubplan.decisions);
3. a burst of 5,000 booking events put on hubplan.intake at once: time until
   every one has a decision;
4. non-solver events: status reads over HTTP (16 concurrent clients), and,
   through one scheduler worker, redelivered (already seen) bookings and
   cancellations, events/s - end to end (client producing while the worker
   consumes), and as a backlog drained by the worker, timed by the decisions'
   record timestamps (the worker's own send times), with the longest pause
   between two decisions (a stall).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import signal
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console
from rich.table import Table

from schemas.events import DECISIONS, INTAKE, BookingCancelled, BookingRequested, envelope
from schemas.scenario import Request
from schemas.wire import decode, encode
from services.scenarios.generator import generate
from services.stack import Stack, StackConfig, default_tokens

out = Console()


def big_region(requests: int, seed: int = 7) -> dict[str, Any]:
    """One generated region, with hub units opened up so ~1,000 sessions fit."""
    data = generate(seed=seed, requests=requests, regions=1, weeks=20, staff=False)
    for unit in data["equipment"]:
        unit["unavailable"] = []
        unit["parts"] = ["day", "evening"]
    for req in data["requests"]:
        req["max_travel_minutes"] = 240
    return data


async def raw_rate(bootstrap: str, n: int) -> float:
    topic = f"bench-raw-{int(time.time())}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    payload = b"x" * 1024
    started = time.perf_counter()
    for i in range(n):
        await producer.send(topic, payload, key=str(i % 6).encode())
    await producer.flush()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    got = 0
    while got < n:
        for msgs in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
            got += len(msgs)
    elapsed = time.perf_counter() - started
    await consumer.stop()
    await producer.stop()
    return n / elapsed


async def status_reads(
    base_url: str, headers: dict[str, str], ids: list[str], n: int, clients: int = 16
) -> float:
    """Decisions read back over HTTP per second (the gateway's read side, no Kafka round trip).

    aiohttp as the client: httpx in this same process topped out first.
    """
    done = 0
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base_url, headers=headers, connector=connector) as http:

        async def client(k: int) -> None:
            nonlocal done
            for i in range(k, n, clients):
                async with http.get(f"/v1/requests/{ids[i % len(ids)]}") as r:
                    assert r.status == 200, await r.text()
                    await r.read()
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(clients)))
        return done / (time.perf_counter() - started)


class DecisionWatch:
    """Follows hubplan.decisions and records when each request got one."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.seen: dict[str, float] = {}
        self.cancelled: dict[str, float] = {}
        self.created_ms: list[int] = []  # each decision's record timestamp: when the worker sent it
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            DECISIONS, bootstrap_servers=self.bootstrap, auto_offset_reset="latest", group_id=None
        )
        await self.consumer.start()
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(1.0)

    async def _run(self) -> None:
        while True:
            for msgs in (await self.consumer.getmany(timeout_ms=100, max_records=5000)).values():
                now = time.perf_counter()
                for m in msgs:
                    self.created_ms.append(m.timestamp)
                    env, payload = decode(m.value)
                    rid = env.data.get("request_id")
                    if env.type.endswith("cancellation-confirmed.v1"):
                        self.cancelled.setdefault(rid, now)
                    else:
                        self.seen.setdefault(rid, now)

    async def wait_for(self, ids: list[str], table: dict[str, float], timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if all(i in table for i in ids):
                return True
            await asyncio.sleep(0.05)
        return False

    def worker_rate(self, since_ms: int) -> float:
        """Decisions per second by the worker's own send times, for those sent after
        ``since_ms`` (epoch ms; set when the worker was stopped, so decisions of the
        previous phase read late do not stretch the span)."""
        stamps = [t for t in self.created_ms if t >= since_ms]
        span = (max(stamps) - min(stamps)) / 1000 if len(stamps) > 1 else 0.0
        return len(stamps) / span if span > 0 else float("nan")

    def worker_pause_ms(self, since_ms: int) -> int:
        """The longest gap between two of the worker's decisions sent after ``since_ms``."""
        stamps = sorted(t for t in self.created_ms if t >= since_ms)
        return max((b - a for a, b in zip(stamps, stamps[1:], strict=False)), default=0)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.consumer.stop()


def _req(base: dict[str, Any], rid: str) -> dict[str, Any]:
    return {**base, "id": rid, "submitted_at": dt.datetime.now(dt.UTC).isoformat()}


async def run(quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    data_dir = Path(tempfile.mkdtemp(prefix="hubplan-bench-"))
    scenario = big_region(600 if quick else 650)
    sites = sorted({r["site"] for r in scenario["requests"]})
    stack = Stack(
        StackConfig(
            data_dir=data_dir, partitions=6, workers=1, tokens=default_tokens(data_dir, sites)
        )
    )
    await asyncio.to_thread(stack.start, lambda _: None)
    try:
        results["raw_msgs_per_s"] = await raw_rate(stack.bootstrap, 20_000 if quick else 100_000)
        watch = DecisionWatch(stack.bootstrap)
        await watch.start()
        op = {"Authorization": f"Bearer {stack.token('operator')}"}
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as http:
            base_ids = [r["id"] for r in scenario["requests"]]
            r = await http.put("/v1/catalogue", json=scenario, headers=op)
            assert r.status_code == 202, r.text
            await watch.wait_for(base_ids, watch.seen, 600)
            plan = (await http.get("/v1/plan", headers=op)).json()
            results["plan_sessions"] = len(plan["sessions"])
            # 2. latency at 5 requests/s
            template = scenario["requests"][0]
            school = {"Authorization": f"Bearer {stack.token('school', template['site'])}"}
            latencies = []
            count = 50 if quick else 150
            for i in range(count):
                tick = time.perf_counter()
                rid = f"lat-{i}"
                sent = time.perf_counter()
                resp = await http.post("/v1/requests", json=_req(template, rid), headers=school)
                assert resp.status_code == 202, resp.text
                await watch.wait_for([rid], watch.seen, 30)
                latencies.append(watch.seen[rid] - sent)
                await asyncio.sleep(max(0.0, 0.2 - (time.perf_counter() - tick)))
            q = statistics.quantiles(latencies, n=100)
            results["latency_p50_ms"], results["latency_p95_ms"], results["latency_p99_ms"] = (
                q[49] * 1000,
                q[94] * 1000,
                q[98] * 1000,
            )
            # 2b. status reads: GET a request's decision, 16 clients at once
            results["status_reads_per_s"] = await status_reads(
                stack.gateway_url, op, [f"lat-{i}" for i in range(count)], 2000 if quick else 10_000
            )
        # 3. burst straight onto the intake topic
        burst = 1000 if quick else 5000
        producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, linger_ms=5)
        await producer.start()
        region = scenario["sites"][0]["region"]
        events = []
        for i in range(burst):
            req = Request.model_validate_json(json.dumps(_req(template, f"burst-{i}")))
            events.append(
                envelope(
                    BookingRequested(request=req, requested_by="bench"), key=region, source="bench"
                )
            )
        started = time.perf_counter()
        for e in events:
            await producer.send(INTAKE, encode(e), key=region.encode())
        await producer.flush()
        ok = await watch.wait_for([f"burst-{i}" for i in range(burst)], watch.seen, 600)
        results["burst"] = burst
        results["burst_seconds"] = time.perf_counter() - started if ok else float("nan")
        # 4. non-solver events: redeliveries of seen events, then cancellations.
        # Each is measured twice: end to end (the client producing while the
        # worker consumes), and as a backlog - the worker paused (SIGSTOP)
        # while the events are produced, then drained - timed by the
        # decisions' record timestamps, i.e. the worker's own send times.
        worker = stack.workers[0]

        async def produce(raws: list[bytes]) -> None:
            for raw in raws:
                await producer.send(INTAKE, raw, key=region.encode())
            await producer.flush()

        def marked(raws: list[bytes]) -> tuple[list[bytes], str]:
            """The events and a new booking after them: its decision means all are done."""
            last = f"dup-marker-{time.time()}"
            marker = Request.model_validate_json(json.dumps(_req(template, last)))
            event = envelope(
                BookingRequested(request=marker, requested_by="b"), key=region, source="b"
            )
            return [*raws, encode(event)], last

        redelivered = [encode(e) for e in events]
        started = time.perf_counter()
        batch, last = marked(redelivered)
        await produce(batch)
        await watch.wait_for([last], watch.seen, 600)
        results["redelivered_per_s"] = (burst + 1) / (time.perf_counter() - started)
        await asyncio.sleep(1.0)
        batch, last = marked(redelivered)
        worker.send_signal(signal.SIGSTOP)
        since = int(time.time() * 1000)  # the worker sends nothing from here until SIGCONT
        try:
            await produce(batch)
        finally:
            worker.send_signal(signal.SIGCONT)
        await watch.wait_for([last], watch.seen, 600)
        results["redelivered_backlog_per_s"] = watch.worker_rate(since)
        results["redelivered_backlog_pause_ms"] = watch.worker_pause_ms(since)
        half = burst // 2
        cancels = [
            encode(
                envelope(
                    BookingCancelled(request_id=f"burst-{i}", cancelled_by="bench"),
                    key=region,
                    source="bench",
                )
            )
            for i in range(burst)
        ]
        started = time.perf_counter()
        await produce(cancels[:half])
        await watch.wait_for([f"burst-{i}" for i in range(half)], watch.cancelled, 600)
        results["cancels_per_s"] = half / (time.perf_counter() - started)
        await asyncio.sleep(1.0)
        worker.send_signal(signal.SIGSTOP)
        since = int(time.time() * 1000)
        try:
            await produce(cancels[half:])
        finally:
            worker.send_signal(signal.SIGCONT)
        await watch.wait_for([f"burst-{i}" for i in range(half, burst)], watch.cancelled, 600)
        results["cancels_backlog_per_s"] = watch.worker_rate(since)
        results["cancels_backlog_pause_ms"] = watch.worker_pause_ms(since)
        await producer.stop()
        await watch.stop()
    finally:
        await asyncio.to_thread(stack.stop)
    return results


def report(r: dict[str, Any]) -> None:
    t = Table(title="hubplan pipeline benchmark (1 scheduler worker, embedded Kafka)")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_column("target", justify="right")
    raw = r["raw_msgs_per_s"]
    t.add_row("raw broker rate (produce -> consume, 1 KB)", f"{raw:,.0f} msg/s", "")
    t.add_row(
        "region plan size before the latency run", f"{r['plan_sessions']:,} sessions", "~1,000"
    )
    for q in ("p50", "p95", "p99"):
        t.add_row(
            f"HTTP -> decision latency {q} at 5 req/s",
            f"{r[f'latency_{q}_ms']:.0f} ms",
            "<= 200 ms" if q == "p95" else "",
        )
    t.add_row(f"burst of {r['burst']:,} fully decided", f"{r['burst_seconds']:.1f} s", "<= 60 s")
    t.add_row(
        "redelivered events (dedupe), per worker, end to end",
        f"{r['redelivered_per_s']:,.0f} /s",
        ">= 2,000/s",
    )
    t.add_row(
        "redelivered, per worker, backlog drained (worker's send times; longest pause)",
        f"{r['redelivered_backlog_per_s']:,.0f} /s ({r['redelivered_backlog_pause_ms']:,} ms)",
        ">= 2,000/s",
    )
    t.add_row(
        "cancellations, per worker, end to end", f"{r['cancels_per_s']:,.0f} /s", ">= 2,000/s"
    )
    t.add_row(
        "cancellations, per worker, backlog drained (worker's send times; longest pause)",
        f"{r['cancels_backlog_per_s']:,.0f} /s ({r['cancels_backlog_pause_ms']:,} ms)",
        ">= 2,000/s",
    )
    t.add_row(
        "status reads over HTTP (gateway, 16 clients)",
        f"{r['status_reads_per_s']:,.0f} /s",
        ">= 2,000/s",
    )
    best = max(r["redelivered_backlog_per_s"], r["cancels_backlog_per_s"])
    t.add_row("non-solver rate / raw broker rate", f"{best / raw:.0%}", ">= 50%")
    out.print(t)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="smaller numbers, for a smoke run")
    p.add_argument("--json", help="also write the raw numbers here")
    args = p.parse_args()
    results = asyncio.run(run(args.quick))
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
