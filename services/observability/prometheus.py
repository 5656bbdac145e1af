"""A local Prometheus scraping a running stack (``hubplan up --with-prometheus``,
and the integration tests).

Why generate the config instead of using ``deploy/prometheus/prometheus.yml``
as is: the deploy file names compose hosts (``gateway:8080``), the local stack
has ephemeral ports on 127.0.0.1. The job names and the rule files are the
deploy ones, so alerts and dashboards see the same series in both places.
The config is written as JSON (valid YAML), so no YAML library is needed.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
JOBS = {  # job name -> what it scrapes (the deploy config uses the same names)
    "scheduler": "hubplan-scheduler",
    "gateway": "hubplan-gateway",
    "logistics": "hubplan-logistics",
}
INSTALL_HINT = "install it with: apt-get install prometheus (Debian/Ubuntu)"


class PrometheusError(RuntimeError):
    """Prometheus is missing or did not become ready; the message says why."""


@dataclass
class PrometheusOptions:
    """How ``Stack`` starts its Prometheus (None on the stack: no Prometheus)."""

    port: int = 0  # 0: a free port
    scrape_interval: str = "5s"
    binary: str | None = None  # None: ``prometheus`` on PATH
    rules: list[Path] = field(default_factory=lambda: sorted((DEPLOY / "rules").glob("*.yml")))


def find_binary(given: str | None = None) -> str | None:
    return given or shutil.which("prometheus")


def config_of(
    targets: dict[str, list[str]], scrape_interval: str, rules: list[Path]
) -> dict[str, object]:
    """Prometheus config: one job per service kind, every target on its own."""
    return {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": [str(p) for p in rules],
        "scrape_configs": [
            {"job_name": JOBS[kind], "static_configs": [{"targets": hosts}]}
            for kind, hosts in sorted(targets.items())
            if hosts
        ],
    }


class LocalPrometheus:
    """One ``prometheus`` process with its data under ``data_dir``."""

    def __init__(
        self, data_dir: Path, targets: dict[str, list[str]], options: PrometheusOptions
    ) -> None:
        self.data_dir, self.targets, self.options = data_dir, targets, options
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.alerts_url = ""

    def start(self, timeout: float = 30.0) -> LocalPrometheus:
        binary = find_binary(self.options.binary)
        if binary is None:
            raise PrometheusError(f"prometheus is not installed; {INSTALL_HINT}")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "prometheus.yml"
        cfg = config_of(self.targets, self.options.scrape_interval, self.options.rules)
        config.write_text(json.dumps(cfg, indent=2))
        port = self.options.port or _free_port()
        log = open(self.data_dir / "prometheus.log", "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--web.enable-lifecycle",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PrometheusError(f"prometheus exited; see {self.data_dir / 'prometheus.log'}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    self.alerts_url = self._alerts_page()
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise PrometheusError(f"prometheus not ready after {timeout:.0f} s")

    def _alerts_page(self) -> str:
        """Debian's build serves only the classic UI, under /classic."""
        for path in ("/alerts", "/classic/alerts"):
            if httpx.get(f"{self.url}{path}", timeout=5).status_code == 200:
                return f"{self.url}{path}"
        return f"{self.url}/api/v1/alerts"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
