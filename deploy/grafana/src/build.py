"""Write hubplan's Grafana dashboards as JSON: ``python deploy/grafana/src/build.py``.

The dashboards are code (grafana-foundation-sdk, Grafana's own typed
builders); the JSON under ``deploy/grafana/dashboards/`` is what Grafana
provisions. ``tests/unit/test_metrics_deploy.py`` fails when the two differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "dashboards"
sys.path.insert(0, str(HERE))

import hub_operations  # noqa: E402
import logistics  # noqa: E402
import pipeline_health  # noqa: E402
from grafana_foundation_sdk.cog.encoder import JSONEncoder  # noqa: E402

BOARDS = {
    "hub-operations.json": hub_operations.build,
    "pipeline-health.json": pipeline_health.build,
    "logistics.json": logistics.build,
}


def render() -> dict[str, str]:
    """File name -> JSON text, exactly as written to disk."""
    out = {}
    for name, build in BOARDS.items():
        data: Any = json.loads(json.dumps(build().build(), cls=JSONEncoder))
        out[name] = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return out


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for name, text in render().items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
