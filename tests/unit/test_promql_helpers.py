"""The PromQL helpers the observability tests rely on (tests/promql.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.promql import label_values, selectors, substitute

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_selectors_skip_functions_groupings_ranges_and_numbers() -> None:
    expr = (
        "histogram_quantile(0.95, sum by (le, region) "
        '(rate(hubplan_decision_latency_seconds_bucket{region=~"a|b"}[5m]))) > 2'
    )
    assert selectors(expr) == ['hubplan_decision_latency_seconds_bucket{region=~"a|b"}']
    expr = 'count(up{job="hubplan-scheduler"} == 1) < max(hubplan_scheduler_workers_expected)'
    assert selectors(expr) == ['up{job="hubplan-scheduler"}', "hubplan_scheduler_workers_expected"]
    expr = "absent(up == 1) or on() vector(0) unless bool x offset 5m * 1e3"
    assert selectors(expr) == ["up", "x"]
    assert selectors('topk(15, sum without (le) (m{a="{b}"}))') == ['m{a="{b}"}']


def test_every_alert_and_panel_expression_has_a_selector() -> None:
    """The finder copes with everything deploy/ holds (or the live check would be empty)."""
    exprs = []
    for path in (DEPLOY / "prometheus" / "rules").glob("*.yml"):
        exprs += [r["expr"] for g in yaml.safe_load(path.read_text())["groups"] for r in g["rules"]]
    for path in (DEPLOY / "grafana" / "dashboards").glob("*.json"):
        board = json.loads(path.read_text())
        exprs += [t["expr"] for p in board["panels"] for t in p["targets"]]
    for expr in exprs:
        found = selectors(expr)
        assert found, expr
        assert all(s.startswith(("hubplan_", "up", "process_")) for s in found), (expr, found)


def test_substitute_fills_every_variable_or_says_which_is_missing() -> None:
    expr = 'rate(m{region=~"$region", part=~"$part"}[$__rate_interval])'
    assert substitute(expr, {"region": "obs-agder", "part": ".*"}) == (
        'rate(m{region=~"obs-agder", part=~".*"}[1m])'
    )
    with pytest.raises(ValueError, match=r"\$part"):
        substitute(expr, {"region": ".*"})


def test_label_values_queries() -> None:
    assert label_values("label_values(hubplan_plan_version, region)") == (
        "hubplan_plan_version",
        "region",
    )
    q = 'label_values({__name__=~"a|b", region=~"$region"}, equipment_type)'
    assert label_values(q) == ('{__name__=~"a|b", region=~"$region"}', "equipment_type")
    assert label_values("label_values(job)") == (None, "job")
    with pytest.raises(ValueError):
        label_values("query_result(up)")
