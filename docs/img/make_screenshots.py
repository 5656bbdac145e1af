"""Make the Prometheus screenshots in docs/operations.md (a real browser, real data).

    python docs/img/make_screenshots.py            # ~6 minutes; needs prometheus + chromium

Starts the stack with its local Prometheus (scraping every 2 s), streams the
shipped Agder/Nordland scenario through the HTTP API in waves with some
cancellations and a poison message, plus the tests' small "lab" region whose
container lab the optimiser must move twice (tests/integration/helpers.py;
the scenario alone gives about one move), stops the scheduler worker for a
few seconds during the last wave (so consumer lag shows), then lets headless
Chromium photograph Prometheus' graph page for the panels' queries.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import signal
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
from tests.integration.helpers import lab_requests, lab_world  # noqa: E402

OUT = Path(__file__).resolve().parent
LAB = "lab"
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
    "prom-acceptance-rate.png": (
        'sum(rate(hubplan_decisions_total{outcome="confirmed"}[1m])) / '
        'sum(rate(hubplan_decisions_total{outcome=~"confirmed|waitlisted|rejected"}[1m]))', "0"),
    "prom-day-vs-evening.png": (
        'sum by (part) (hubplan_slot_booked_sessions{window="horizon"}) / '
        '(sum by (part) (hubplan_slot_capacity_sessions{window="horizon"}) > 0)', "0"),
    "prom-waitlist-by-school.png": (
        "topk(15, sum by (school) (hubplan_waitlisted_requests))", "1"),
    "prom-waitlist-by-programme.png": ("sum by (programme) (hubplan_waitlisted_requests)", "1"),
    "prom-dead-letters.png": (
        "sum by (reason) (increase(hubplan_deadletter_messages_total[1m]))", "0"),
    "prom-solver-duration.png": (  # the mean: exact, where the p95 interpolates in buckets
        "sum by (region) (rate(hubplan_solver_duration_seconds_sum[1m])) "
        "/ sum by (region) (rate(hubplan_solver_duration_seconds_count[1m])) "
        "/ scalar(max(hubplan_solver_time_limit_seconds))", "0"),
    "prom-container-locations.png": (
        "max by (region, container, site) (hubplan_container_location_info)", "1"),
    "prom-container-moves.png": ("sum by (container) (hubplan_planned_container_moves)", "0"),
}


def load(stack: Stack, data: dict, bootstrap: str, waves: int = 6, pause: float = 20) -> None:
    op = {"Authorization": f"Bearer {stack.token('operator')}"}
    rng = random.Random(7)
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as http:
        http.put("/v1/catalogue", params={"requests": "false"}, json=data, headers=op)
        http.put("/v1/catalogue", json=lab_world(LAB), headers=op)
        time.sleep(5)
        for body in lab_requests(LAB):
            http.post("/v1/requests", json=body, headers=op)
        requests = data["requests"]
        for w in range(waves):
            last = w == waves - 1
            if last:  # a poison message mid-stream: it is dead-lettered
                asyncio.run(poison(bootstrap))
                stack.workers[0].send_signal(signal.SIGSTOP)  # intake piles up: lag
            for body in requests[w::waves]:
                school = {"Authorization": f"Bearer {stack.token('school', body['site'])}"}
                http.post("/v1/requests", json=body, headers=school)
            if last:
                time.sleep(7)  # under the worker's 10 s session timeout
                stack.workers[0].send_signal(signal.SIGCONT)
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


def shoot(url: str, path: Path, height: int = 900) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is not installed (Debian: apt-get install chromium)")
    profile = tempfile.mkdtemp()
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
         "--virtual-time-budget=15000", f"--screenshot={path}", f"--window-size=1400,{height}",
         url],
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
        moves = httpx.get(f"{base}/api/v1/query",
                          params={"query": "sum by (container) (hubplan_planned_container_moves)"})
        print("planned moves:", {x["metric"]["container"]: x["value"][1]
                                 for x in moves.json()["data"]["result"]})
        for name, (expr, tab) in SHOTS.items():
            query = {"g0.expr": expr, "g0.tab": tab, "g0.stacked": "0", "g0.range_input": "4m",
                     "g0.show_exemplars": "0"}
            shoot(f"{base}/graph?{urlencode(query)}", OUT / name)
            print("wrote", OUT / name)
        shoot(stack.prometheus.alerts_url, OUT / "prom-alerts.png", height=1300)
        print("wrote", OUT / "prom-alerts.png")
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
