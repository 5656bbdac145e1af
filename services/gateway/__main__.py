"""Run the gateway: ``python -m services.gateway`` (settings from HUBPLAN_* env)."""

from __future__ import annotations

import sys

import uvicorn

from services.gateway.api import create_app
from services.gateway.config import ConfigError, GatewaySettings


def main() -> int:
    try:
        settings = GatewaySettings()
        app = create_app(settings)
    except (ConfigError, ValueError) as exc:
        print(f"hubplan-gateway: bad configuration: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
