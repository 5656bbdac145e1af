"""The deploy files, checked without running them: dashboards, rules, compose.

* dashboards: the JSON on disk is what the code in ``deploy/grafana/src``
  builds (grafana-foundation-sdk), and it keeps ``dashboard.schema.json``;
* every metric a panel or an alert names exists in the services' registries,
  and those follow the naming guide (prefix, base units, ``_total``, bounded
  labels only);
* ``docker-compose.yml`` validates against the compose-spec JSON Schema
  (vendored by the check-jsonschema package), its references resolve and every
  mounted path exists.

promtool and a real Prometheus check the rest: tests/integration/test_observability.py.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from prometheus_client import CollectorRegistry, enable_created_metrics, generate_latest

from services.gateway.metrics import GatewayMetrics
from services.logistics.metrics import LogisticsMetrics
from services.scheduler.metrics import SchedulerMetrics

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
PROMETHEUS = ROOT / "deploy" / "prometheus"
BOUNDED = {
    "region",
    "hub",
    "equipment_type",
    "part",
    "window",
    "audience",
    "school",
    "programme",
    "container",
    "site",
    "outcome",
    "status",
    "reason",
    "type",
    "via",
    "plan",
    "consumer",
    "topic",
    "kind",  # logistics move events: planned, changed, cancelled
    "partition",  # logistics: one per hubplan.plans partition
    "le",
}


def boards() -> dict[str, dict[str, Any]]:
    return {
        p.name: json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))
    }


def families() -> dict[str, Any]:
    """Every family any service exports (each service in its own registry, as in
    production; a family two services share, such as the dead-letter count, once)."""
    out: dict[str, Any] = {}
    for service in (SchedulerMetrics, GatewayMetrics, LogisticsMetrics):
        registry = CollectorRegistry()
        service(registry)
        out |= {f.name: f for f in registry.collect()}
    return out


def exposed_names() -> set[str]:
    """Every sample name Prometheus can see (with _total, _bucket, ... suffixes)."""
    out = set()
    for name, fam in families().items():
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
        out |= {name + s for s in suffixes.get(fam.type, [""])}
    return out


def exprs() -> list[str]:
    found = [t["expr"] for b in boards().values() for p in b["panels"] for t in p["targets"]]
    for path in (PROMETHEUS / "rules").glob("*.yml"):
        found += [r["expr"] for g in yaml.safe_load(path.read_text())["groups"] for r in g["rules"]]
    return found


def sdk_pin() -> str:
    """The grafana-foundation-sdk version pyproject.toml pins (epoch!grafana-version)."""
    text = (ROOT / "pyproject.toml").read_text()
    found = re.search(r'"grafana-foundation-sdk==([0-9]+![0-9.]+)"', text)
    assert found, "pyproject.toml must pin grafana-foundation-sdk to one release"
    return found.group(1)


def test_the_grafana_sdk_is_pinned_to_the_grafana_compose_runs() -> None:
    """The SDK is released once per Grafana version (``<build>!<grafana version>``);
    its panel defaults follow that Grafana, so it must match the compose image."""
    grafana = compose()["services"]["grafana"]["image"]
    assert grafana.startswith("grafana/grafana:")
    assert sdk_pin().split("!")[1] == grafana.split(":")[1]


def test_dashboards_on_disk_are_what_the_code_builds() -> None:
    pytest.importorskip("grafana_foundation_sdk", reason="pip install grafana-foundation-sdk")
    installed = importlib.metadata.version("grafana_foundation_sdk")
    assert installed == sdk_pin(), (
        f"grafana-foundation-sdk {installed} is installed, pyproject.toml pins {sdk_pin()}: "
        "pip install -e '.[test]'"
    )
    sys.path.insert(0, str(GRAFANA / "src"))
    try:
        import build  # deploy/grafana/src/build.py
    finally:
        sys.path.remove(str(GRAFANA / "src"))
    rendered = build.render()
    assert set(rendered) == set(boards())
    for name, text in rendered.items():
        assert (GRAFANA / "dashboards" / name).read_text() == text, (
            f"{name} is stale: run python deploy/grafana/src/build.py"
        )


def test_dashboards_keep_the_panel_schema() -> None:
    schema = json.loads((GRAFANA / "dashboard.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    titles = {b["title"] for b in boards().values()}
    assert titles == {"Hub operations", "Pipeline health", "Logistics"}
    for name, board in boards().items():
        errors = [
            f"{list(e.path)}: {e.message}"
            for e in jsonschema.Draft202012Validator(schema).iter_errors(board)
        ]
        assert errors == [], name


def test_a_broken_panel_is_caught_by_the_schema() -> None:
    schema = json.loads((GRAFANA / "dashboard.schema.json").read_text())
    board = next(iter(boards().values()))
    del board["panels"][0]["fieldConfig"]["defaults"]["unit"]
    board["panels"][1]["description"] = ""
    steps = board["panels"][3]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    del steps[1:]  # only the base colour: no level that means anything
    assert board["panels"][3]["title"] not in THRESHOLD_EXEMPT
    first_query = next(v for v in board["templating"]["list"] if v["type"] == "query")
    first_query["query"]["query"] = "up"  # not a label_values query
    board["panels"][4]["datasource"]["uid"] = "prometheus"  # not the $datasource variable
    assert len(list(jsonschema.Draft202012Validator(schema).iter_errors(board))) == 5
    del board["templating"]["list"][0]  # no datasource variable first
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(board))
    assert len(errors) > 5 and any(list(e.path)[:2] == ["templating", "list"] for e in errors)


# panels whose thresholds have only the base step, and why a level means nothing there
THRESHOLD_EXEMPT = {
    "Demand vs capacity by equipment type": "two series per type read against each other; "
    "the ratio panel beside it carries the thresholds",
}


def test_every_panel_has_a_threshold_level_or_a_named_exemption() -> None:
    """The schema requires a step above the base except for THRESHOLD_EXEMPT, whose
    reasons it repeats; an exemption for a panel that has a level, or is gone, is stale."""
    schema = json.loads((GRAFANA / "dashboard.schema.json").read_text())
    exempt = set(schema["$defs"]["panel"]["if"]["properties"]["title"]["enum"])
    assert exempt == set(THRESHOLD_EXEMPT)
    for title, reason in THRESHOLD_EXEMPT.items():
        assert title in schema["$defs"]["panel"]["$comment"]
        assert len(reason) > 20
    panels = {p["title"]: p for b in boards().values() for p in b["panels"]}
    for title, panel in panels.items():
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert (len(steps) == 1) == (title in THRESHOLD_EXEMPT), title


def test_panels_and_alerts_name_only_metrics_the_services_export() -> None:
    known = exposed_names() | {"up"}
    used = {m for e in exprs() for m in re.findall(r"\b(hubplan_[a-z_]+|up)\b(?=[{\[\s)]|$)", e)}
    assert used - known == set()


# exported families no panel, variable or alert reads, and why that is fine
UNUSED_OK = {
    "hubplan_promotions": "the waitlist and served-share panels show what promotions do; the "
    "counter is there to split them by way (cancellation, optimiser, catalogue) when asked",
    "hubplan_events_published": "the gateway's side of 'Requests received by outcome', which "
    "counts the same calls; kept to compare with what the scheduler handled",
    "hubplan_requests": "requests by status as the read side sees them, for ad-hoc queries; "
    "the decision panels count the same decisions as they happen",
    "hubplan_readside_events_applied": "the read side's progress; 'Read side caught up' and "
    "the gateway-readside lag series are what an operator reads",
    "hubplan_logistics_last_offset": "the logistics consumer's progress per partition; its lag "
    "on hubplan.plans (Logistics, Pipeline health) says whether it moves",
}


def test_every_exported_metric_is_on_a_dashboard_or_alert_or_named_unused() -> None:
    """A metric no panel or alert reads is one nobody looks at (the logistics counters
    were, until a re-audit); UNUSED_OK names the few that are fine so, and why."""
    variables = [
        v["query"]["query"]
        for b in boards().values()
        for v in b["templating"]["list"]
        if v["type"] == "query"
    ]
    used = {m for e in [*exprs(), *variables] for m in re.findall(r"\b(hubplan_[a-z_]+)", e)}
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
    unused = {
        name
        for name, fam in families().items()
        if not {name + s for s in suffixes.get(fam.type, [""])} & used
    }
    assert unused == set(UNUSED_OK), "read somewhere now (drop it from UNUSED_OK), or unread"
    assert all(len(reason) > 40 for reason in UNUSED_OK.values())


def test_metric_names_follow_the_guide_and_labels_are_bounded() -> None:
    for name, fam in families().items():
        assert name.startswith("hubplan_"), name
        assert not re.search(r"_(ms|milliseconds|km|kilometers|percent)$", name), name
        if fam.type == "histogram":
            assert name.endswith("_seconds"), name
        for sample in fam.samples:
            assert set(sample.labels) <= BOUNDED, (name, sample.labels)
    registry = CollectorRegistry()
    scheduler = SchedulerMetrics(registry)
    labels = {
        label
        for m in [*vars(scheduler).values(), *scheduler.plan_gauges.values()]
        if hasattr(m, "_labelnames")
        for label in m._labelnames
    }
    assert labels <= BOUNDED and not labels & {"request", "request_id", "id"}


@pytest.mark.parametrize(
    "service",
    [
        SchedulerMetrics,
        GatewayMetrics,
        LogisticsMetrics,
    ],
)
def test_no_service_exports_created_series(service: Any) -> None:
    """prometheus_client adds ``<name>_created`` beside every counter and histogram
    child unless told not to; each service's metrics turn that off themselves."""
    enable_created_metrics()  # the library default, whatever an earlier test did
    registry = CollectorRegistry()
    metrics = service(registry)
    for counter in ("decisions", "requests", "plans"):  # give each service a child
        child = getattr(metrics, counter, None)
        if child is not None and child._labelnames:
            child.labels(*["x"] * len(child._labelnames)).inc()
    text = generate_latest(registry).decode()
    assert [line for line in text.splitlines() if "_created" in line] == []


def test_grafana_provisioning_matches_the_dashboards() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    provisioned = {d["uid"]: d["type"] for d in ds["datasources"]}
    for name, board in boards().items():
        # every panel, target and query variable reads the $datasource variable ...
        refs = [p["datasource"] for p in board["panels"]]
        refs += [t["datasource"] for p in board["panels"] for t in p["targets"]]
        variables = board["templating"]["list"]
        refs += [v["datasource"] for v in variables if v["type"] == "query"]
        assert {r["uid"] for r in refs} == {"${datasource}"}, name
        # ... which offers every Prometheus and defaults to the provisioned one
        chooser = [v for v in variables if v["type"] == "datasource"]
        assert [v["name"] for v in chooser] == ["datasource"] == [variables[0]["name"]], name
        assert chooser[0]["query"] == provisioned[chooser[0]["current"]["value"]], name
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "hubplan.yml").read_text())
    path = provider["providers"][0]["options"]["path"]
    mounts = compose()["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{path}:ro" in mounts


def alerts() -> dict[str, dict[str, Any]]:
    out = {}
    for path in (PROMETHEUS / "rules").glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            out |= {r["alert"]: r for r in group["rules"]}
    return out


def test_runbooks_say_what_compose_and_the_services_do() -> None:
    """Scaling is HUBPLAN_SCHEDULER_WORKERS (compose's --scale leaves the expected
    count behind); the logistics consumer has its log, its lag and its restarts."""
    rules = alerts()
    lag = rules["HubplanConsumerLagHigh"]["annotations"]["runbook"]
    assert "HUBPLAN_SCHEDULER_WORKERS=N docker compose up -d" in lag
    assert "logistics" in lag
    for name, rule in rules.items():
        assert "--scale scheduler" not in json.dumps(rule), name
    assert "logistics.log" in rules["HubplanServiceDown"]["annotations"]["runbook"]
    restarting = rules["HubplanWorkerRestarting"]
    assert "hubplan-scheduler" in restarting["expr"] and "hubplan-logistics" in restarting["expr"]
    assert "scheduler could not" not in rules["HubplanDeadLetters"]["annotations"]["description"]


def test_every_service_in_compose_uses_the_one_partition_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The topics, the scheduler and logistics must agree (the logistics tables are
    co-partitioned with the topics): all read HUBPLAN_PARTITIONS, set once."""
    from services.logistics.config import LogisticsSettings
    from services.scheduler.config import SchedulerSettings

    services = compose()["services"]
    shared = services["scheduler"]["environment"]["HUBPLAN_PARTITIONS"]
    assert services["logistics"]["environment"]["HUBPLAN_PARTITIONS"] == shared
    assert "HUBPLAN_LOGISTICS_PARTITIONS" not in services["logistics"]["environment"]
    assert "os.environ['HUBPLAN_PARTITIONS']" in " ".join(services["topics"]["command"])
    assert services["topics"]["environment"]["HUBPLAN_PARTITIONS"] == shared
    for name in ("scheduler", "logistics"):  # a value other than the default is read
        for key, value in services[name]["environment"].items():
            if "${" not in str(value):  # compose interpolation: not the point here
                monkeypatch.setenv(key, "3" if key == "HUBPLAN_PARTITIONS" else str(value))
        settings = SchedulerSettings() if name == "scheduler" else LogisticsSettings()
        assert settings.partitions == 3, name


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def test_compose_file_validates_against_the_compose_spec() -> None:
    vendored = (
        importlib.resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json"
    )
    schema = json.loads(vendored.read_text())
    errors = [
        f"{list(e.path)}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(compose())
    ]
    assert errors == []


def test_compose_references_resolve_and_mounted_paths_exist() -> None:
    doc = compose()
    services = doc["services"]
    assert {"kafka", "scheduler", "gateway", "logistics", "prometheus", "grafana"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    for name, svc in services.items():
        deps = svc.get("depends_on", [])
        assert set(deps) <= set(services), name
        for secret in svc.get("secrets", []):
            assert secret in doc["secrets"], (name, secret)
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), (name, source)
            else:
                assert source in doc["volumes"], (name, source)
        if "build" in svc:
            assert (ROOT / svc["build"] / "Dockerfile").is_file()
    modules = {
        " ".join(s["command"]) for s in services.values() if isinstance(s.get("command"), list)
    }
    for module in ("services.scheduler", "services.gateway", "services.logistics"):
        assert any(module in m for m in modules), module
    scrape = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {j["job_name"] for j in scrape["scrape_configs"]}
    assert {"hubplan-scheduler", "hubplan-gateway", "hubplan-logistics"} <= jobs
    dns = next(j for j in scrape["scrape_configs"] if j["job_name"] == "hubplan-scheduler")
    port = dns["dns_sd_configs"][0]["port"]
    assert services["scheduler"]["environment"]["HUBPLAN_METRICS_PORT"] == str(port)
    logistics = next(j for j in scrape["scrape_configs"] if j["job_name"] == "hubplan-logistics")
    [target] = logistics["static_configs"][0]["targets"]
    host, logistics_port = target.split(":")
    assert host == "logistics" in services
    env = services["logistics"]["environment"]
    assert env["HUBPLAN_LOGISTICS_METRICS_PORT"] == logistics_port
    assert env["HUBPLAN_LOGISTICS_METRICS_ADDR"] == "0.0.0.0"  # scraped from another container
    exposed = re.search(r"^EXPOSE (.+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert exposed is not None
    assert {str(port), logistics_port} <= set(exposed.group(1).split())
    # Prometheus starts after every service it scrapes
    scraped = {"hubplan-scheduler": "scheduler", "hubplan-gateway": "gateway"}
    scraped["hubplan-logistics"] = "logistics"
    assert {scraped[j] for j in jobs if j in scraped} <= set(services["prometheus"]["depends_on"])
    # the replicas compose starts are the count the workers export for the
    # 'workers missing' alert: one variable sets both
    replicas = services["scheduler"]["deploy"]["replicas"]
    assert replicas.startswith("${HUBPLAN_SCHEDULER_WORKERS")
    assert services["scheduler"]["environment"]["HUBPLAN_EXPECTED_WORKERS"] == replicas
