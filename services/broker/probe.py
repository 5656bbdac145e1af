"""Socket helpers: free loopback ports and a "does Kafka answer?" probe.

Why a hand-written probe instead of aiokafka: the broker is started from
synchronous code (pytest fixtures, the CLI) that has no event loop, and the
probe must work the same against Apache Kafka and Tansu. Two tiny requests
are enough: ApiVersions (the broker parses Kafka requests) and Metadata v4
with no topics (the broker has registered itself and lists one live node).
A port that merely accepts TCP connections is not ready: Kafka opens its
listener before the node has joined the KRaft quorum.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable

_API_VERSIONS = 18
_METADATA = 3
_CLIENT_ID = b"hubplan-probe"


def port_is_free(host: str, port: int) -> bool:
    """Return True if ``host:port`` can be bound right now.

    SO_REUSEADDR is set because the JVM sets it on its server sockets, so a
    port still in TIME_WAIT from the previous run counts as free, as it is
    for Kafka.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1", *, avoid: tuple[int, ...] = ()) -> int:
    """Ask the kernel for an unused port on ``host`` (not one in ``avoid``)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        if port not in avoid:
            return port


def _request(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> bytes:
    header = struct.pack(">hhih", api_key, version, corr, len(_CLIENT_ID)) + _CLIENT_ID
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    size = struct.unpack(">i", _read_exact(sock, 4))[0]
    response = _read_exact(sock, size)
    if struct.unpack(">i", response[:4])[0] != corr:
        raise ConnectionError("correlation id mismatch")
    return response[4:]


def _read_exact(sock: socket.socket, n: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < n:
        chunk = sock.recv(n - len(chunks))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        chunks += chunk
    return bytes(chunks)


def kafka_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """Return True if a Kafka broker at ``host:port`` serves requests and lists a live node."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            versions = _request(sock, _API_VERSIONS, 0, 1, b"")
            if struct.unpack(">h", versions[:2])[0] != 0:
                return False
            # Metadata v4: topics = empty array, allow_auto_topic_creation = false.
            metadata = _request(sock, _METADATA, 4, 2, struct.pack(">ib", 0, 0))
            # Response v4: throttle_time_ms (int32), then the brokers array length.
            brokers: int = struct.unpack(">i", metadata[4:8])[0]
            return brokers > 0
    except (OSError, ConnectionError, struct.error):
        return False


def wait_for_kafka(
    host: str, port: int, *, deadline: float, still_alive: Callable[[], bool] | None = None
) -> bool:
    """Poll :func:`kafka_answers` until it succeeds or ``time.monotonic()`` passes ``deadline``.

    ``still_alive`` is an optional zero-argument callable; when it returns
    False the wait ends early, so a crashed broker is reported at once rather
    than after the whole timeout.
    """
    while time.monotonic() < deadline:
        if still_alive is not None and not still_alive():
            return False
        if kafka_answers(host, port, timeout=min(2.0, max(0.1, deadline - time.monotonic()))):
            return True
        time.sleep(0.1)
    return False
