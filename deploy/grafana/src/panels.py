"""Shared building blocks for hubplan's dashboards (grafana-foundation-sdk).

Why a helper per panel kind: every panel must carry a description, a unit
and thresholds with at least one step above the base (the issue's rule,
checked by ``tests/unit/test_metrics_deploy.py`` against
``deploy/grafana/dashboard.schema.json``, which names the one exemption), so
the helpers take them as required arguments instead of trusting memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grafana_foundation_sdk.builders import (
    bargauge,
    dashboard,
    prometheus,
    stat,
    statetimeline,
    table,
    timeseries,
)
from grafana_foundation_sdk.builders.common import (
    GraphThresholdsStyleConfig,
    ReduceDataOptions,
    StackingConfig,
    VizLegendOptions,
    VizTooltipOptions,
)
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus as prom_model

# every panel, target and query variable reads the Prometheus the ``datasource``
# variable picks; its default is the one deploy/grafana/provisioning provisions,
# and an operator importing the JSON into their own Grafana picks theirs
PROVISIONED = "prometheus"  # uid of the provisioned datasource
DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
GREEN, ORANGE, RED, BLUE = "green", "orange", "red", "blue"
Steps = Sequence[tuple[float | None, str]]
# thresholds used again and again
UTILISATION: Steps = [(None, BLUE), (0.5, GREEN), (0.8, ORANGE), (0.95, RED)]
# events, requests or decisions per second: one worker is built to decide
# >= 2,000 events/s (docs/benchmarks.md); past half of that, plan more workers
WORKER_RATE: Steps = [(None, GREEN), (1_000, ORANGE), (2_000, RED)]


def query(expr: str, legend: str = "", *, instant: bool = False, ref: str = "A") -> Any:
    q = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    if legend:
        q = q.legend_format(legend)
    q = q.instant().format(prom_model.PromQueryFormat.TABLE) if instant else q.range()
    return q


def prop(id_val: str, value: object) -> model.DynamicConfigValue:
    """One field property, for ``override_by_name`` / ``override_by_query``."""
    return model.DynamicConfigValue(id_val=id_val, value=value)


def thresholds(steps: Steps) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=v, color=c) for v, c in steps])
    )


def _common(
    panel: Any, title: str, about: str, unit: str, steps: Steps, targets: list[Any], w: int, h: int
) -> Any:
    panel = panel.title(title).description(about).unit(unit).thresholds(thresholds(steps))
    panel = panel.datasource(DATASOURCE).span(w).height(h)
    for t in targets:
        panel = panel.with_target(t)
    return panel


def series(
    title: str,
    about: str,
    unit: str,
    targets: list[Any],
    *,
    steps: Steps,
    w: int = 12,
    h: int = 8,
    stack: bool = False,
) -> Any:
    """A time series; ``steps`` are drawn as dashed lines when more than the base."""
    panel = _common(timeseries.Panel(), title, about, unit, steps, targets, w, h)
    panel = panel.legend(
        VizLegendOptions()
        .show_legend(True)
        .display_mode(common.LegendDisplayMode.LIST)
        .placement(common.LegendPlacement.BOTTOM)
    ).tooltip(
        VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI).sort(common.SortOrder.DESCENDING)
    )
    if len(steps) > 1:
        dashed = common.GraphThresholdsStyleMode.DASHED
        panel = panel.thresholds_style(GraphThresholdsStyleConfig().mode(dashed))
    if stack:
        panel = panel.stacking(StackingConfig().mode(common.StackingMode.NORMAL))
    return panel


def single(
    title: str,
    about: str,
    unit: str,
    targets: list[Any],
    *,
    steps: Steps,
    w: int = 6,
    h: int = 5,
    mappings: list[Any] | None = None,
) -> Any:
    """A stat: the last value, coloured by the thresholds."""
    panel = _common(stat.Panel(), title, about, unit, steps, targets, w, h)
    panel = panel.reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    if mappings:
        panel = panel.mappings(mappings)
    return panel


def bars(
    title: str,
    about: str,
    unit: str,
    targets: list[Any],
    *,
    steps: Steps,
    w: int = 12,
    h: int = 8,
    max_value: float | None = None,
) -> Any:
    """Horizontal bar gauge per series (instant queries: the current value)."""
    panel = _common(bargauge.Panel(), title, about, unit, steps, targets, w, h)
    panel = panel.reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    panel = panel.min(0)
    if max_value is not None:
        panel = panel.max(max_value)
    return panel


def matrix(
    title: str,
    about: str,
    unit: str,
    target: Any,
    *,
    rows: str,
    columns: str,
    steps: Steps,
    w: int = 24,
    h: int = 9,
) -> Any:
    """A heatmap as a table: one row per ``rows`` label, one coloured column per ``columns``."""
    panel = _common(table.Panel(), title, about, unit, steps, [target], w, h).show_header(True)
    panel = panel.with_transformation(
        model.DataTransformerConfig(
            id_val="groupingToMatrix",
            options={"columnField": columns, "rowField": rows, "valueField": "Value"},
        )
    )
    return panel.override_by_field_type(
        "number",
        [
            model.DynamicConfigValue(
                id_val="custom.cellOptions", value={"type": "color-background", "mode": "basic"}
            )
        ],
    )


def rows_table(
    title: str, about: str, unit: str, targets: list[Any], *, steps: Steps, w: int = 12, h: int = 8
) -> Any:
    """A plain table of instant query rows (labels as columns)."""
    panel = _common(table.Panel(), title, about, unit, steps, targets, w, h).show_header(True)
    return panel.with_transformation(model.DataTransformerConfig(id_val="merge", options={}))


def timeline(title: str, about: str, targets: list[Any], *, w: int = 24, h: int = 8) -> Any:
    """State timeline: one row per series, filled while the series is 1 (nothing
    below 1 is drawn: a series absent or 0 is not there)."""
    steps: Steps = [(None, "transparent"), (1, GREEN)]
    panel = _common(statetimeline.Panel(), title, about, "none", steps, targets, w, h)
    here = model.ValueMap(options={"1": model.ValueMappingResult(text="here", color=GREEN)})
    return panel.mappings([here]).show_value(common.VisibilityMode.NEVER)


def up_mappings() -> list[Any]:
    return [
        model.ValueMap(
            options={
                "0": model.ValueMappingResult(text="DOWN", color=RED),
                "1": model.ValueMappingResult(text="UP", color=GREEN),
            }
        )
    ]


def variable(name: str, label: str, about: str, label_values: str) -> dashboard.QueryVariable:
    """A multi-value label filter; "All" is ``.*``, so panels use ``label=~"$name"``.

    ``label_values`` is Grafana's ``label_values(<selector>, <label>)`` query;
    tests/integration/test_observability.py evaluates it against a live Prometheus.
    """
    return (
        dashboard.QueryVariable(name)
        .label(label)
        .description(about)
        .datasource(DATASOURCE)
        .query({"query": label_values, "refId": name})
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
    )


def datasource_variable() -> dashboard.DatasourceVariable:
    """Which Prometheus the dashboard reads: any of type prometheus, by default the
    provisioned one (uid ``prometheus``)."""
    return (
        dashboard.DatasourceVariable("datasource")
        .label("Data source")
        .description(
            "The Prometheus that scrapes hubplan (jobs hubplan-scheduler, -gateway, -logistics)."
        )
        .type("prometheus")
        .current(model.VariableOption(selected=True, text="Prometheus", value=PROVISIONED))
    )


def region_variable() -> dashboard.QueryVariable:
    return variable(
        "region",
        "Region",
        "Planning region (one Kafka key).",
        "label_values(hubplan_plan_version, region)",
    )


def board(
    uid: str,
    title: str,
    about: str,
    panels: list[Any],
    variables: Sequence[dashboard.QueryVariable] = (),
) -> dashboard.Dashboard:
    """A hubplan dashboard: the datasource and region variables first, then ``variables``."""
    b = (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(about)
        .tags(["hubplan"])
        .time("now-6h", "now")
        .refresh("30s")
        .timezone("browser")
        .with_variable(datasource_variable())
        .with_variable(region_variable())
    )
    for v in variables:
        b = b.with_variable(v)
    for p in panels:
        b = b.with_row(p) if isinstance(p, dashboard.Row) else b.with_panel(p)
    return b
