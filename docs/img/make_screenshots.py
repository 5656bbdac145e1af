"""Make the Prometheus screenshots in docs/operations.md (a real browser, real data).

    python docs/img/make_screenshots.py            # ~4 minutes; needs prometheus + chromium

Starts the stack with its local Prometheus (scraping every 2 s), streams the
shipped Agder/Nordland scenario through the HTTP API in waves with some
cancellations and a poison message, then lets headless Chromium photograph
Prometheus' graph page for the key panels' queries.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from aiokafka import AIOKafkaProducer

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from schemas.events import INTAKE  # noqa: E402
from services.observability.prometheus import PrometheusOptions  # noqa: E402
from services.scenarios.shipped import load_shipped  # noqa: E402
from services.stack import Stack, StackConfig, default_tokens  # noqa: E402

OUT = Path(__file__).resolve().parent
SHOTS = {  # file -> (PromQL, tab: 0 graph / 1 table); the dashboards' queries, all regions
    "prom-utilisation-hub-horizon.png": (
        'sum by (hub) (hubplan_slot_booked_sessions{window="horizon"}) / '
        '(sum by (hub) (hubplan_slot_capacity_sessions{window="horizon"}) > 0)', "0"),
    "prom-utilisation-hub-week.png": (
        'sum by (hub, window) (hubplan_slot_booked_sessions{window=~"week[1-4]"}) / '
        '(sum by (hub, window) (hubplan_slot_capacity_sessions{window=~"week[1-4]"}) > 0)', "1"),
    "prom-demand-vs-capacity.png": (
        "sum by (equipment_type) (hubplan_demand_sessions) / "
        "(sum by (equipment_type) (hubplan_capacity_sessions) > 0)", "0"),
    "prom-waitlist.png": ("sum by (region) (hubplan_waitlist_size)", "0"),
    "prom-decision-latency-p95.png": (
        "histogram_quantile(0.95, sum by (le) (rate(hubplan_decision_latency_seconds_bucket[1m])))",
        "0"),
    "prom-events-per-second.png": ("sum by (type) (rate(hubplan_events_total[1m]))", "0"),
    "prom-consumer-lag.png": ("max by (consumer, topic) (hubplan_consumer_lag_messages)", "0"),
    "prom-container-travel.png": (
        "sum by (container) (hubplan_planned_container_travel_meters) / 1000", "0"),
}


def load(stack: Stack, data: dict, bootstrap: str, waves: int = 6, pause: float = 20) -> None:
    op = {"Authorization": f"Bearer {stack.token('operator')}"}
    rng = random.Random(7)
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as http:
        http.put("/v1/catalogue", params={"requests": "false"}, json=data, headers=op)
        time.sleep(5)
        requests = data["requests"]
        for w in range(waves):
            if w == waves - 1:  # a poison message mid-stream: it is dead-lettered
                asyncio.run(poison(bootstrap))
            for body in requests[w::waves]:
                school = {"Authorization": f"Bearer {stack.token('school', body['site'])}"}
                http.post("/v1/requests", json=body, headers=school)
            http.post("/v1/requests", json={"site": "nowhere"}, headers=op)  # a 422
            time.sleep(pause / 2)
            views = http.get("/v1/requests", headers=op).json()["requests"]
            confirmed = [v["request_id"] for v in views if v["status"] == "confirmed"]
            for rid in rng.sample(confirmed, min(3, len(confirmed))):
                http.delete(f"/v1/requests/{rid}", headers=op)
            time.sleep(pause / 2)


async def poison(bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    await producer.send_and_wait(INTAKE, b"{not json", key=b"agder")
    await producer.stop()


def shoot(url: str, path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is not installed (Debian: apt-get install chromium)")
    profile = tempfile.mkdtemp()
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
         "--virtual-time-budget=15000", f"--screenshot={path}", "--window-size=1400,900", url],
        check=True, capture_output=True, timeout=120,
    )
    shutil.rmtree(profile, ignore_errors=True)


def main() -> int:
    data = json.loads(json.dumps(load_shipped("agder-nordland-spring-2027")))
    work = Path(tempfile.mkdtemp(prefix="hubplan-shots-"))
    config = StackConfig(
        data_dir=work,
        tokens=default_tokens(work, sorted({r["site"] for r in data["requests"]})),
        scheduler_env={"HUBPLAN_OPTIMISER_TIME_LIMIT": "3"},
        prometheus=PrometheusOptions(scrape_interval="2s"),
    )
    stack = Stack(config).start()
    try:
        load(stack, data, stack.bootstrap)
        time.sleep(20)
        assert stack.prometheus is not None
        base = stack.prometheus.url
        for name, (expr, tab) in SHOTS.items():
            query = {"g0.expr": expr, "g0.tab": tab, "g0.stacked": "0", "g0.range_input": "4m",
                     "g0.show_exemplars": "0"}
            shoot(f"{base}/graph?{urlencode(query)}", OUT / name)
            print("wrote", OUT / name)
        shoot(stack.prometheus.alerts_url, OUT / "prom-alerts.png")
        print("wrote", OUT / "prom-alerts.png")
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
