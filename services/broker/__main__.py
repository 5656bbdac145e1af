"""``python -m services.broker``: run the local broker in the foreground.

Prints the bootstrap address for other terminals (``hubplan`` services,
kcat, tests via ``KAFKA_BOOTSTRAP_SERVERS``) and stops cleanly on Ctrl-C or
SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from . import DEFAULT_DATA_DIR, BrokerError, start_broker


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m services.broker", description="Run hubplan's local Kafka broker."
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"where topics are kept across restarts (default {DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="client port (default: last run's port if free, else any free)",
    )
    parser.add_argument(
        "--prefer",
        choices=("kafka", "tansu"),
        default="kafka",
        help="broker to try first (default kafka; tansu is memory-only)",
    )
    return parser.parse_args(argv)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Start the broker, print its address, block until interrupted."""
    args = _parse(argv)
    stop = threading.Event()
    # SIGTERM (e.g. from a process manager) should stop the broker as cleanly
    # as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        broker = start_broker(args.data_dir, prefer=args.prefer, port=args.port)
    except BrokerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        print(f"{broker.kind} broker ready: bootstrap servers {broker.bootstrap_servers}")
        print(f"  export KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap_servers}")
        if broker.persistent:
            print(f"  data dir: {Path(args.data_dir).expanduser()}")
        else:
            print(f"  WARNING: {broker.limits}")
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping broker ...", flush=True)
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
