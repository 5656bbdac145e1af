"""Bytes <-> events: the only place that knows the wire format (JSON).

``decode`` never raises anything but :class:`WireError`, whose ``reason`` is
short and stable (it becomes a dead-letter label) and whose ``errors`` name
the fields at fault.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, get_args

from pydantic import ValidationError

from schemas.common import Strict, describe_errors
from schemas.events import MAX_EVENT_BYTES, PAYLOADS, Envelope

# why a message cannot become an event (``decode`` here, ``decode_logistics``)
WireReason = Literal[
    "empty-message",
    "too-large",
    "not-json",
    "not-an-envelope",
    "bad-envelope",
    "unknown-type",
    "schema-invalid",
]
# why a consumer parks an event it could read: it contradicts the state
# (services/scheduler/*_handlers.py), the handler failed, or what it would send
# is too large (services/scheduler/agents.py, services/logistics/agents.py)
ConsumerReason = Literal[
    "unknown-reference",
    "catalogue-invalid",
    "catalogue-change-invalid",
    "disruption-invalid",
    "offer-unknown",
    "handler-error",
    "output-too-large",
]
# every ``reason`` a dead letter can have: a metrics label, pre-exported at 0
DeadLetterReason = Literal[WireReason, ConsumerReason]
WIRE_REASONS: tuple[str, ...] = get_args(WireReason)
DEADLETTER_REASONS: tuple[str, ...] = get_args(DeadLetterReason)


class WireError(Exception):
    """A message that cannot become an event."""

    def __init__(self, reason: WireReason, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(
            reason if not errors else f"{reason}: {errors[0]['field']}: {errors[0]['message']}"
        )
        self.reason = reason
        self.errors = errors or []


def encode(event: Envelope) -> bytes:
    return event.model_dump_json(by_alias=True, exclude_none=True).encode()


def decode(
    raw: bytes | None, payloads: Mapping[str, type[Strict]] = PAYLOADS
) -> tuple[Envelope, Strict]:
    """Parse and validate an envelope and its typed payload (``payloads``: the event
    types the topic carries, by type name; hubplan's own events by default)."""
    if raw is None:
        raise WireError("empty-message")
    if len(raw) > MAX_EVENT_BYTES:
        message = f"{len(raw):,} bytes; events are at most {MAX_EVENT_BYTES:,}"
        raise WireError("too-large", [{"field": "(root)", "message": message}])
    try:
        body: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError("not-json", [{"field": "(root)", "message": str(exc)}]) from None
    if not isinstance(body, dict):
        raise WireError("not-an-envelope", [{"field": "(root)", "message": "expected an object"}])
    try:
        event = Envelope.model_validate_json(raw)
    except ValidationError as exc:
        raise WireError("bad-envelope", describe_errors(exc)) from None
    model = payloads.get(event.type)
    if model is None:
        raise WireError(
            "unknown-type", [{"field": "type", "message": f"unknown event type {event.type}"}]
        )
    try:
        payload = model.model_validate_json(json.dumps(body["data"]))
    except ValidationError as exc:
        errors = [
            {"field": f"data.{e['field']}", "message": e["message"]} for e in describe_errors(exc)
        ]
        raise WireError("schema-invalid", errors) from None
    return event, payload
