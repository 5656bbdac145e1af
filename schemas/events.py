"""Event contracts on Kafka: one envelope, typed payloads, past-tense names.

Every message is an :class:`Envelope` (CloudEvents-style: ``id``, ``type``
with version, ``source``, ``time``, ``key``, ``data``) serialised as JSON.
``key`` is the region: all events of a region share a partition, so one
worker owns a region's state and sees its events in order. A breaking change
to a payload is a new type version (``...v2``), never an edit of ``v1``.

Topics (documented in ``docs/asyncapi.json``, generated from this module):

========================  ===========================================  ====================
topic                     types                                        producer -> consumer
========================  ===========================================  ====================
``hubplan.intake``        catalogue + booking events, optimiser        gateway, scheduler
                          proposals, waitlist retries                  -> scheduler
``hubplan.decisions``     BookingConfirmed / Waitlisted / Rejected /   scheduler -> gateway
                          Cancelled, EventHandled (receipts)           read side
``hubplan.plans``         PlanChanged                                  scheduler -> gateway,
                                                                       logistics
``hubplan.deadletter``    DeadLettered (original bytes + reason)       all -> operators
========================  ===========================================  ====================
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any, ClassVar, Literal

from pydantic import Field

from schemas.common import LABEL, PRINCIPAL, Id, Strict
from schemas.disruptions import Disruption
from schemas.scenario import Catalogue, Request
from schemas.schedule import ContainerMove, Session, UnservedReason

INTAKE = "hubplan.intake"
DECISIONS = "hubplan.decisions"
PLANS = "hubplan.plans"
DEADLETTER = "hubplan.deadletter"
TOPICS = (INTAKE, DECISIONS, PLANS, DEADLETTER)

# The largest event value a service sends or decides on: half of Kafka's default
# 1 MiB message limit, so a dead-letter record carrying such an event still fits.
MAX_EVENT_BYTES = 512 * 1024
# How much of a larger message's value its dead-letter record keeps.
DEAD_LETTER_KEEPS = 64 * 1024


def dead_letter_original(raw: bytes | None) -> str:
    """A message value for ``DeadLettered.original_base64``: whole up to the event
    limit, else its first ``DEAD_LETTER_KEEPS`` bytes (the rest stays on its topic,
    at its offset), so a dead-letter record always fits Kafka."""
    kept = raw or b""
    if len(kept) > MAX_EVENT_BYTES:
        kept = kept[:DEAD_LETTER_KEEPS]
    return base64.b64encode(kept).decode()


class Envelope(Strict):
    """The one wrapper every Kafka message has."""

    id: str = Field(min_length=1, max_length=128, description="Unique event id (dedupe key).")
    type: str = Field(
        pattern=r"^hubplan\.[a-z.-]+\.v\d+$", description="e.g. hubplan.booking.requested.v1"
    )
    source: str = Field(
        min_length=1, max_length=PRINCIPAL, description="Producing service, e.g. 'gateway'."
    )
    time: dt.datetime = Field(description="When the event happened (UTC).")
    key: str = Field(min_length=1, max_length=128, description="Partition key: the region.")
    data: dict[str, Any] = Field(description="The typed payload, see the type's model.")


# -- catalogue ---------------------------------------------------------------
class RegionCatalogue(Catalogue):
    """A region's world: everything but requests, as in the scenario format."""


class CatalogueLoaded(Strict):
    """An operator loaded (or replaced) a region's catalogue."""

    TYPE: ClassVar[str] = "hubplan.catalogue.loaded.v1"
    region: Id
    scenario: str | None = Field(
        default=None, max_length=LABEL, description="Name of the scenario it came from."
    )
    catalogue: RegionCatalogue


ResourceKind = Literal["equipment", "container", "staff", "site", "calendar", "closed"]


class ResourceChanged(Strict):
    """One catalogue object added, replaced or removed."""

    TYPE: ClassVar[str] = "hubplan.resource.changed.v1"
    region: Id
    kind: ResourceKind
    op: Literal["upsert", "remove"]
    id: str = Field(
        min_length=1,
        max_length=PRINCIPAL,
        description="Object id (calendar id; 'closed' for closures).",
    )
    value: dict[str, Any] | list[Any] | None = Field(
        default=None, description="The new object in scenario format (upsert only)."
    )


# -- bookings ----------------------------------------------------------------
class BookingRequested(Strict):
    TYPE: ClassVar[str] = "hubplan.booking.requested.v1"
    request: Request
    requested_by: str = Field(
        max_length=PRINCIPAL, description="Principal that submitted it (token name)."
    )


class BookingCancelled(Strict):
    TYPE: ClassVar[str] = "hubplan.booking.cancelled.v1"
    request_id: Id
    cancelled_by: str = Field(max_length=PRINCIPAL)
    reason: str | None = Field(default=None, max_length=LABEL)


class PlanProposed(Strict):
    """The background optimiser's result, applied only if the region is unchanged."""

    TYPE: ClassVar[str] = "hubplan.plan.proposed.v1"
    region: Id
    base_version: int = Field(ge=0, description="Region version the proposal was computed on.")
    promote: dict[Id, list[Session]] = Field(description="Waitlisted request -> its new sessions.")
    moves: list[ContainerMove]
    partial: bool = Field(
        default=False,
        description="Promotions were left out to fit the event size: optimise again after it.",
    )


class RetryWaitlist(Strict):
    """Command to itself: retry the waitlist on capacity that cancellations freed.

    A cancellation frees capacity at once but leaves the retry to this
    command, sent behind it on the region's partition: a run of cancellations
    already queued is applied first and the waitlist is retried once for all
    of them. Any other event of the region retries first (first come, first
    served: a new request never takes what a waiting one could use).
    """

    TYPE: ClassVar[str] = "hubplan.waitlist.retry.v1"
    region: Id
    token: str = Field(
        min_length=1,
        max_length=64,
        description="Matches the worker's pending retry; any other token retries every shape.",
    )


class DisruptionReported(Strict):
    """Reality changed (a unit broke, a truck is late, ...): the region must be repaired."""

    TYPE: ClassVar[str] = "hubplan.disruption.reported.v1"
    region: Id
    disruption: Disruption
    reported_by: str = Field(max_length=PRINCIPAL)


class RepairProposed(Strict):
    """A minimal-change repair, applied only if the region is unchanged since."""

    TYPE: ClassVar[str] = "hubplan.repair.proposed.v1"
    region: Id
    base_version: int = Field(ge=0)
    cause: str = Field(description="The disruption, in words.")
    sessions: dict[Id, list[Session]] = Field(description="New sessions of every changed request.")
    lost: list[Id] = Field(description="Requests that could not be kept.")
    moves: list[ContainerMove]


# -- decisions ---------------------------------------------------------------
class BookingConfirmed(Strict):
    TYPE: ClassVar[str] = "hubplan.booking.confirmed.v1"
    request_id: Id
    site: Id
    sessions: list[Session]
    via: Literal["insert", "optimiser", "replay", "offer", "repair"] = "insert"
    request: Request | None = Field(
        default=None, description="The request as booked, when it changed (an accepted offer)."
    )


class CounterOffer(Strict):
    """Something the school could have right now instead (accept it through the API)."""

    kind: Literal["window", "further", "fewer", "smaller", "evening"]
    request: Request = Field(description="The request as it would be booked.")
    sessions: list[Session]
    text_nb: str
    text_en: str


class BookingWaitlisted(Strict):
    TYPE: ClassVar[str] = "hubplan.booking.waitlisted.v1"
    request_id: Id
    site: Id
    reason: UnservedReason
    detail: str
    offers: list[CounterOffer] = Field(default_factory=list, description="Up to 3, best first.")


class OfferAccepted(Strict):
    """A school takes one of the counter-offers of its waitlisted request."""

    TYPE: ClassVar[str] = "hubplan.offer.accepted.v1"
    request_id: Id
    offer: int = Field(ge=0, description="Index into the offers of the latest waitlisted decision.")
    accepted_by: str = Field(max_length=PRINCIPAL)


class BookingRejected(Strict):
    TYPE: ClassVar[str] = "hubplan.booking.rejected.v1"
    request_id: str
    site: str | None = None
    errors: list[dict[str, str]] = Field(description="[{field, message}] of what is wrong.")


class BookingCancellationConfirmed(Strict):
    TYPE: ClassVar[str] = "hubplan.booking.cancellation-confirmed.v1"
    request_id: Id
    site: Id
    freed_sessions: int = Field(ge=0)


class EventHandled(Strict):
    """The scheduler's receipt for an operator's catalogue, resource or disruption event.

    Why: these events change a region's world but get no booking decision, so
    without a receipt an operator could not tell an applied change from one
    rejected (it also went to the dead-letter topic) or one still in flight,
    and the gateway could not tell which to publish again.
    """

    TYPE: ClassVar[str] = "hubplan.event.handled.v1"
    region: Id
    event_id: str = Field(min_length=1, max_length=128, description="The handled event's id.")
    event_type: str = Field(description="The handled event's type.")
    outcome: Literal["applied", "ignored", "rejected", "failed"] = Field(
        description="failed: the scheduler hit a bug on it (the event is dead-lettered)."
    )
    detail: str = Field("", description="Why it was ignored, rejected or failed, or what it did.")
    errors: list[dict[str, str]] = Field(
        default_factory=list, description="For a rejected event: field and message, as in the DLQ."
    )


class BookingRescheduled(Strict):
    """A confirmed booking keeps its place but some sessions moved."""

    TYPE: ClassVar[str] = "hubplan.booking.rescheduled.v1"
    request_id: Id
    site: Id
    old_sessions: list[Session]
    sessions: list[Session]
    reason: str


class BookingDisplaced(Strict):
    """A confirmed booking could not be kept after a disruption; it is waitlisted again."""

    TYPE: ClassVar[str] = "hubplan.booking.displaced.v1"
    request_id: Id
    site: Id
    old_sessions: list[Session]
    reason: str


class PlanChanged(Strict):
    TYPE: ClassVar[str] = "hubplan.plan.changed.v1"
    region: Id
    version: int = Field(ge=0)
    cause: str = Field(description="What changed it: insert, cancel, optimiser, catalogue.")
    served_value: int = Field(ge=0)
    requested_value: int = Field(ge=0)
    sessions: int = Field(ge=0)
    waitlisted: int = Field(ge=0)
    moves: list[ContainerMove]


class DeadLettered(Strict):
    TYPE: ClassVar[str] = "hubplan.deadletter.recorded.v1"
    topic: str
    partition: int
    offset: int
    reason: str = Field(description="Why the message could not be processed.")
    errors: list[dict[str, str]] = Field(default_factory=list)
    original_base64: str = Field(
        max_length=4 * (MAX_EVENT_BYTES // 3 + 1),
        description="The message value exactly as received (its first 64 KiB when it was larger).",
    )
    original_key: str | None = None


# an operator's events: the scheduler answers each with an EventHandled receipt
OPERATOR_EVENTS = (CatalogueLoaded, ResourceChanged, DisruptionReported)


PAYLOADS: dict[str, type[Strict]] = {
    m.TYPE: m
    for m in (
        CatalogueLoaded,
        ResourceChanged,
        BookingRequested,
        BookingCancelled,
        PlanProposed,
        RetryWaitlist,
        OfferAccepted,
        DisruptionReported,
        RepairProposed,
        BookingConfirmed,
        BookingRescheduled,
        BookingDisplaced,
        BookingWaitlisted,
        BookingRejected,
        BookingCancellationConfirmed,
        EventHandled,
        PlanChanged,
        DeadLettered,
    )
}


def type_of(payload: Strict) -> str:
    return str(type(payload).TYPE)  # type: ignore[attr-defined]  # every payload class sets TYPE


def envelope(payload: Strict, *, key: str, source: str, event_id: str | None = None) -> Envelope:
    """Wrap a payload; ``event_id`` defaults to a fresh UUID."""
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        type=type_of(payload),
        source=source,
        time=dt.datetime.now(dt.UTC),
        key=key,
        data=payload.model_dump(mode="json", by_alias=True, exclude_none=True),
    )
