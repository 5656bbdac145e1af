"""Per-container move events on ``hubplan.logistics`` (to move into ``schemas/``).

The scheduler publishes whole plans (``PlanChanged`` with every move of a
region); a haulier, a school or a calendar bridge wants to hear "this move
is new / moved / off". These payloads say that, one container move each,
in the same envelope as every other hubplan event. Messages are keyed by
container so one container's events stay in order on one partition.

Like ``schemas.events``: strict pydantic, past-tense names, a breaking
change is a new type version.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationError

from schemas.common import Id, Strict, describe_errors
from schemas.events import Envelope
from schemas.schedule import ContainerMove
from schemas.wire import WireError

LOGISTICS = "hubplan.logistics"
MoveField = Literal["from", "to", "depart", "ready", "km", "truck_minutes"]


class MovePlanned(Strict):
    """A move appeared in the region's plan."""

    TYPE: ClassVar[str] = "hubplan.container-move.planned.v1"
    region: Id
    container: Id
    plan_version: int = Field(ge=0, description="PlanChanged.version that introduced it.")
    move: ContainerMove


class MoveChanged(Strict):
    """A planned move kept its route but got new dates (or km/driving time)."""

    TYPE: ClassVar[str] = "hubplan.container-move.changed.v1"
    region: Id
    container: Id
    plan_version: int = Field(ge=0)
    before: ContainerMove
    after: ContainerMove
    changed: list[MoveField] = Field(min_length=1, description="Fields that differ.")


class MoveCancelled(Strict):
    """A planned move is no longer in the region's plan."""

    TYPE: ClassVar[str] = "hubplan.container-move.cancelled.v1"
    region: Id
    container: Id
    plan_version: int = Field(ge=0)
    move: ContainerMove


MoveEvent = MovePlanned | MoveChanged | MoveCancelled
PAYLOADS: dict[str, type[Strict]] = {m.TYPE: m for m in (MovePlanned, MoveChanged, MoveCancelled)}


def decode_logistics(raw: bytes | None) -> tuple[Envelope, MoveEvent]:
    """Parse a ``hubplan.logistics`` message; errors as :class:`schemas.wire.WireError`."""
    if raw is None:
        raise WireError("empty-message")
    try:
        event = Envelope.model_validate_json(raw)
    except ValidationError as exc:
        raise WireError("bad-envelope", describe_errors(exc)) from None
    model = PAYLOADS.get(event.type)
    if model is None:
        raise WireError(
            "unknown-type", [{"field": "type", "message": f"unknown event type {event.type}"}]
        )
    try:
        body: Any = json.loads(raw)
        payload = model.model_validate_json(json.dumps(body["data"]))
    except ValidationError as exc:
        errors = [
            {"field": f"data.{e['field']}", "message": e["message"]} for e in describe_errors(exc)
        ]
        raise WireError("schema-invalid", errors) from None
    assert isinstance(payload, MovePlanned | MoveChanged | MoveCancelled)
    return event, payload
