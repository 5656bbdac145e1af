"""What the scheduler does with each event: pure logic over a ``Store``.

The Faust agent only decodes, calls :meth:`Scheduler.handle` and sends what
comes back, so everything here runs in unit tests with plain dicts.

At-least-once delivery is made safe here: a booking or cancel whose request
id is already known, or any other event whose id is in ``seen``, is not
applied again; instead the request's *current* decision is re-emitted
(harmless for readers that keep the latest).

An operator's catalogue, resource or disruption event gets a receipt
(:class:`EventHandled`: applied, ignored, rejected or failed) on the decisions topic;
``seen`` keeps the receipt, so a redelivered event gets the same one again.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import ValidationError

from schemas.common import ID_PATTERN, Strict, describe_errors
from schemas.events import (
    DECISIONS,
    OPERATOR_EVENTS,
    PLANS,
    BookingCancellationConfirmed,
    BookingCancelled,
    BookingConfirmed,
    BookingRejected,
    BookingRequested,
    BookingWaitlisted,
    CatalogueLoaded,
    CounterOffer,
    DisruptionReported,
    Envelope,
    EventHandled,
    OfferAccepted,
    PlanChanged,
    PlanProposed,
    RegionCatalogue,
    RepairProposed,
    ResourceChanged,
    RetryWaitlist,
    envelope,
)
from schemas.scenario import Request, request_problems
from schemas.schedule import Session, Unserved
from schemas.wire import DeadLetterReason
from services.planner.ledger import Booking
from services.scheduler.cancel_handlers import on_cancel, on_retry, retry_freed
from services.scheduler.catalogue_edit import (
    CatalogueChangeError,
    NothingToRemove,
    apply_change,
    name_value_fields,
)
from services.scheduler.offer_handlers import offers_for, on_offer_accepted
from services.scheduler.repair_handlers import on_disruption, on_repair
from services.scheduler.state import (
    VERSION_STRIDE,
    RegionRuntime,
    Store,
    load_runtime,
    scenario_of,
)

# outcomes of a receipted event that changed nothing, with what to tell the operator
IGNORED = {
    "catalogue-missing": "the region has no catalogue yet; load one first",
    "cancel-noop": "no such booking to withdraw, or it was cancelled or rejected already",
    "remove-noop": "the catalogue has no such object to remove; nothing changed",
}


def _receipt(
    event: Envelope,
    payload: CatalogueLoaded | ResourceChanged | DisruptionReported,
    outcome: Literal["applied", "ignored", "rejected", "failed"],
    detail: str,
    errors: list[dict[str, str]] | None = None,
) -> EventHandled:
    # the region from the payload: the envelope key is any string a producer chose
    return EventHandled(
        region=payload.region,
        event_id=event.id,
        event_type=event.type,
        outcome=outcome,
        detail=detail,
        errors=errors or [],
    )


@dataclass(frozen=True)
class Out:
    topic: str
    event: Envelope


@dataclass(frozen=True)
class Outcome:
    """What handling one event produced, for the agent and for metrics."""

    messages: list[Out]
    kind: str  # e.g. "confirmed", "waitlisted", "duplicate", "stale-proposal"
    region: str | None = None
    dead_letter: tuple[str, list[dict[str, str]]] | None = None  # (reason, errors)
    promoted_after_cancel: int = 0  # waitlisted requests booked on capacity cancels freed


class InvalidEvent(Exception):
    """A well-formed event that contradicts the state (goes to the dead-letter topic)."""

    def __init__(self, reason: DeadLetterReason, errors: list[dict[str, str]]) -> None:
        super().__init__(
            f"{reason}: {errors[0]['field']}: {errors[0]['message']}" if errors else reason
        )
        self.reason, self.errors = reason, errors


class Scheduler:
    def __init__(
        self, store: Store, source: str = "scheduler", clock: Callable[[], float] = time.monotonic
    ):
        self.store = store
        self.source = source
        self.clock = clock
        self.cache: dict[str, RegionRuntime] = {}

    # -- entry -------------------------------------------------------------
    def handle(self, event: Envelope, payload: Strict) -> Outcome:
        # bookings and cancels dedupe on their request id (the bookings table says
        # what became of it), so they need no ``seen`` entry: one changelog write
        # less per event, and ``seen`` stays as small as the rarer events
        by_request = isinstance(payload, (BookingRequested, BookingCancelled))
        if not by_request and event.id in self.store.seen:
            return self._replay(event, payload)
        # first come, first served: what cancellations freed goes to the waitlist
        # before any other event of the region can take it
        queued = isinstance(payload, (BookingCancelled, RetryWaitlist))
        first = [] if queued else retry_freed(self, event.key)
        try:
            out = self._dispatch(event, payload)
        except InvalidEvent as exc:
            out = Outcome([], "dead-letter", event.key, dead_letter=(exc.reason, exc.errors))
        if isinstance(payload, OPERATOR_EVENTS):
            receipt = self._receipt_of(event, payload, out.kind, out.dead_letter)
            self.store.seen[event.id] = receipt.model_dump(mode="json")
            out = replace(out, messages=[*out.messages, self._decision_out(event.key, receipt)])
        elif not by_request:
            self.store.seen[event.id] = 1
        if first:
            out = replace(out, messages=first + out.messages, promoted_after_cancel=len(first))
        return out

    def reject_malformed(
        self, raw: bytes | None, reason: str, errors: list[dict[str, str]]
    ) -> Outcome | None:
        """A booking request that fails the schema still gets its one decision.

        The gateway checks the same contract, so this is another producer (or
        one on an older contract). Without it the request stayed ``pending``
        for good. Only when the envelope names a new request id and a region
        this worker holds: a malformed copy of a known request changes nothing.
        """
        if reason != "schema-invalid" or raw is None:
            return None
        body = json.loads(raw)  # decode got as far as the payload: it is JSON
        request = (body.get("data") or {}).get("request") if isinstance(body, dict) else None
        if body.get("type") != BookingRequested.TYPE or not isinstance(request, dict):
            return None
        rid, site, region = request.get("id"), request.get("site"), body.get("key")

        def is_id(x: object) -> bool:
            return isinstance(x, str) and re.fullmatch(ID_PATTERN, x) is not None

        if not is_id(rid) or rid in self.store.bookings:
            return None
        if not isinstance(region, str) or region not in self.store.catalogues:
            return None  # a region of ours only: decisions and their metrics are per region
        site = str(site) if is_id(site) else None
        outcome = self._reject(str(rid), site, str(region), errors, str(body.get("id")))
        return replace(outcome, dead_letter=None)  # the caller dead-letters the bytes

    def handler_failed(self, event: Envelope, payload: Strict, error: str) -> Outcome:
        """A bug in a handler: the event is parked (the agent dead-letters it) and
        not run again on redelivery; an operator's event gets a 'failed' receipt."""
        errors = [{"field": "(handler)", "message": error}]
        out = Outcome([], "error", event.key, dead_letter=("handler-error", errors))
        if not isinstance(payload, OPERATOR_EVENTS):
            return out
        receipt = _receipt(
            event,
            payload,
            "failed",
            "the scheduler failed on it (a bug; logged, and the event is on the dead-letter "
            "topic); it may be partly applied: check the region, then send it again",
            errors,
        )
        self.store.seen[event.id] = receipt.model_dump(mode="json")
        return replace(out, messages=[self._decision_out(event.key, receipt)])

    def _receipt_of(
        self,
        event: Envelope,
        payload: CatalogueLoaded | ResourceChanged | DisruptionReported,
        kind: str,
        dead_letter: tuple[str, list[dict[str, str]]] | None,
    ) -> EventHandled:
        """What became of an operator's event, in words the operator can act on."""
        if dead_letter is not None:
            reason, errors = dead_letter
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or reason
            return _receipt(event, payload, "rejected", f"{reason}: {detail}", errors)
        if kind in IGNORED:
            return _receipt(event, payload, "ignored", IGNORED[kind])
        return _receipt(event, payload, "applied", kind)

    def _dispatch(self, event: Envelope, payload: Strict) -> Outcome:
        if isinstance(payload, BookingRequested):
            return self._requested(event, payload)
        if isinstance(payload, BookingCancelled):
            return on_cancel(self, event, payload)
        if isinstance(payload, CatalogueLoaded):
            data = payload.catalogue.model_dump(mode="json", by_alias=True, exclude_none=True)
            return self._catalogue(payload.region, data, "catalogue")
        if isinstance(payload, ResourceChanged):
            return self._resource_changed(payload)
        if isinstance(payload, PlanProposed):
            return self._proposal(payload)
        if isinstance(payload, RetryWaitlist):
            return on_retry(self, payload)
        if isinstance(payload, DisruptionReported):
            return on_disruption(self, event, payload)
        if isinstance(payload, RepairProposed):
            return on_repair(self, payload)
        if isinstance(payload, OfferAccepted):
            return on_offer_accepted(self, payload)
        return Outcome([], "ignored", event.key)

    # the repair handlers (repair_handlers.py) use these
    def record(self, *args: Any, **kwargs: Any) -> None:
        self._record(*args, **kwargs)

    def touch(self, rt: RegionRuntime, cause: str) -> None:
        self._touch(rt, cause)

    def decision_out(self, region: str, payload: Strict) -> Out:
        return self._decision_out(region, payload)

    def current_decision(self, rid: str, via: str = "insert") -> Out:
        return self._current_decision(rid, via)

    def handle_cancel(self, event: Envelope, payload: BookingCancelled) -> Outcome:
        return on_cancel(self, event, payload)

    def runtime(self, region: str) -> RegionRuntime | None:
        rt = self.cache.get(region)
        if rt is None:
            rt = load_runtime(self.store, region)
            if rt is not None:
                self.cache[region] = rt
        return rt

    def reload(self, region: str) -> RegionRuntime:
        """Rebuild a region's runtime from the tables after a change to them.

        Keeps the version count (no jump, see ``state.VERSION_STRIDE``), a
        failing repair's backoff, and the token of a RetryWaitlist on its way:
        ``handle`` has already offered what was freed to the waitlist before
        this event, so that command still only has to retry what later cancels
        free.
        """
        old = self.cache.pop(region, None)
        rt = self.runtime(region)
        assert rt is not None, f"region {region} has no catalogue"
        if old is not None:  # same process: its versions and pending retry go on
            rt.retry_token = old.retry_token
            rt.version, rt.version_saved = old.version, old.version_saved
            # a failing repair keeps its backoff through the reload every change does
            rt.repair_failures, rt.repair_not_before = old.repair_failures, old.repair_not_before
        return rt

    def forget(self) -> None:
        """Drop every cache (partitions moved; the tables are the truth)."""
        self.cache.clear()

    # -- bookings ----------------------------------------------------------
    def _requested(self, event: Envelope, p: BookingRequested) -> Outcome:
        req, region = p.request, event.key
        known = self.store.bookings.get(req.id)
        # an id rejected before it was ever a valid request (malformed, unknown
        # site) may be sent again, corrected, by a new event, as the gateway
        # allows; the rejected event itself, redelivered, is a duplicate (it
        # could otherwise be decided differently now, say after a catalogue
        # load), and so is anything else under a known id
        if known is not None:
            again = (
                known["status"] == "rejected"
                and not known["request"]
                and known.get("event_id") != event.id
            )
            if not again:
                return Outcome([self._current_decision(req.id)], "duplicate", region)
        rt = self.runtime(region)
        if rt is None:
            return self._reject(
                req.id,
                req.site,
                region,
                [{"field": "key", "message": f"region '{region}' has no catalogue"}],
                event.id,
            )
        base = scenario_of(rt.catalogue, [], region)
        problems = request_problems(base, req, "data.request")
        if problems:
            errors = [
                {"field": x.split(": ", 1)[0], "message": x.split(": ", 1)[1]} for x in problems
            ]
            return self._reject(req.id, req.site, region, errors, event.id)
        rt.requests[req.id] = req
        decided = rt.live.add(req)
        if isinstance(decided, Unserved):
            self._record(
                rt,
                req,
                "waitlisted",
                reason=decided.reason,
                detail=decided.detail,
                offers=offers_for(rt, req),
            )
            rt.waitlist.add(req)
            kind = "waitlisted"
        else:
            self._record(rt, req, "confirmed", sessions=decided)
            kind = "confirmed"
        self._touch(rt, "insert")
        return Outcome([self._current_decision(req.id)], kind, region)

    def promote(self, rt: RegionRuntime, freed: list[Booking] | None = None) -> list[Out]:
        """Try waitlisted requests again, first come first served.

        After a cancellation only requests that could use what it ``freed``
        are tried (``LivePlan.could_gain``); one request per shape stands
        for the rest of its shape (``Waitlist.promote``).
        """
        out = []

        def fits(rid: str) -> bool:
            decided = rt.live.try_add(rt.requests[rid])
            if decided is None:
                return False
            self._record(rt, rt.requests[rid], "confirmed", sessions=decided)
            out.append(self._current_decision(rid))
            return True

        def worth_trying(rid: str) -> bool:
            return freed is None or rt.live.could_gain(rt.requests[rid], freed)

        types = None if freed is None else rt.live.gaining_types(freed)
        rt.waitlist.promote(fits, worth_trying, types)
        return out

    # -- catalogue ---------------------------------------------------------
    def _catalogue(self, region: str, catalogue: dict[str, Any], cause: str) -> Outcome:
        try:
            checked = RegionCatalogue.model_validate(catalogue, strict=False)
            scenario_of(checked, [], region)
        except ValidationError as exc:
            raise InvalidEvent("catalogue-invalid", describe_errors(exc)) from None
        if {s.region for s in checked.sites} != {region}:
            raise InvalidEvent(
                "catalogue-invalid",
                [
                    {
                        "field": "data.catalogue.sites",
                        "message": f"every site must be in region '{region}'",
                    }
                ],
            )
        self.store.catalogues[region] = catalogue
        rt = self.reload(region)
        if rt.unkept and rt.repair is None:
            # bookings the new catalogue cannot keep whole: the repair reschedules
            # them (or displaces them, with counter-offers), as after a disruption
            meta = dict(self.store.regions.get(region) or {})
            meta["repair"] = rt.repair = f"catalogue change ({cause})"
            self.store.regions[region] = meta
        msgs: list[Out] = self.promote(rt)
        self._touch(rt, cause)
        return Outcome(msgs, "catalogue", region)

    def _resource_changed(self, p: ResourceChanged) -> Outcome:
        current = self.store.catalogues.get(p.region)
        if current is None:
            return Outcome([], "catalogue-missing", p.region)
        try:
            changed = apply_change(current, p)
        except NothingToRemove:
            return Outcome([], "remove-noop", p.region)
        except CatalogueChangeError as exc:
            raise InvalidEvent("catalogue-change-invalid", exc.errors) from None
        try:
            return self._catalogue(p.region, changed, f"resource:{p.kind}")
        except InvalidEvent as exc:  # e.g. an unknown site: name the event's own field
            raise InvalidEvent(exc.reason, name_value_fields(exc.errors, p, changed)) from None

    # -- optimiser ---------------------------------------------------------
    def _proposal(self, p: PlanProposed) -> Outcome:
        rt = self.runtime(p.region)
        if rt is None or rt.version != p.base_version:
            if rt is not None:
                rt.dirty = True  # try again on the newer state
            return Outcome([], "stale-proposal", p.region)
        meta = dict(self.store.regions.get(p.region) or {})
        meta["moves"] = [
            m.model_dump(mode="json", by_alias=True, exclude_none=True) for m in p.moves
        ]
        self.store.regions[p.region] = meta
        # nothing booked on a day already gone (the solve knows no "today")
        today = dt.date.today()
        promoted = {
            rid: s
            for rid, s in p.promote.items()
            if rid in rt.waitlist and all(x.date >= today for x in s)
        }
        for rid, sessions in promoted.items():
            self._record(rt, rt.requests[rid], "confirmed", sessions=sessions)
        rt = self.reload(p.region)
        self._touch(rt, "optimiser", optimised=not p.partial)  # partial: the rest next run
        msgs = [self._current_decision(rid, via="optimiser") for rid in promoted]
        return Outcome(msgs, "optimised", p.region)

    # -- records and messages ------------------------------------------------
    def _record(
        self,
        rt: RegionRuntime,
        req: Request,
        status: str,
        *,
        sessions: list[Session] | None = None,
        reason: str | None = None,
        detail: str | None = None,
        offers: list[dict[str, Any]] | None = None,
    ) -> None:
        old = self.store.bookings.get(req.id) or {}
        self.store.bookings[req.id] = {
            "region": rt.region,
            "request": req.model_dump(mode="json"),
            "status": status,
            "sessions": [s.model_dump(mode="json", exclude_none=True) for s in sessions or []],
            "reason": reason,
            "detail": detail,
            "offers": offers or [],
            "seq": int(old.get("seq", 0)) + 1,
        }
        rt.status[req.id] = status  # type: ignore[assignment]
        rt.unkept.pop(req.id, None)  # decided again: no longer the repair's to decide

    def _touch(self, rt: RegionRuntime, cause: str, optimised: bool = False) -> None:
        rt.version += 1
        rt.plan_cause = cause
        rt.dirty = not optimised and bool(rt.waitlist)
        rt.changed_at = self.clock()
        if rt.version_saved is None or rt.version - rt.version_saved >= VERSION_STRIDE - 1:
            meta = dict(self.store.regions.get(rt.region) or {"moves": []})
            meta["version"] = rt.version_saved = rt.version
            self.store.regions[rt.region] = meta

    def _reject(
        self,
        rid: str,
        site: str | None,
        region: str,
        errors: list[dict[str, str]],
        event_id: str,
    ) -> Outcome:
        """Record a request as rejected; ``event_id`` is the event that asked, so its
        redelivery stays a duplicate while a new event may send the id again."""
        self.store.bookings[rid] = {
            "event_id": event_id,
            "region": region,
            "request": None,
            "status": "rejected",
            "sessions": [],
            "reason": "invalid",
            "detail": "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            "errors": errors,
            "site": site,
            "seq": 1,
        }
        out = self._decision_out(region, BookingRejected(request_id=rid, site=site, errors=errors))
        return Outcome([out], "rejected", region, dead_letter=("unknown-reference", errors))

    def _current_decision(self, rid: str, via: str = "insert") -> Out:
        rec = self.store.bookings[rid]
        region = rec["region"]
        site = (rec.get("request") or {}).get("site") or rec.get("site")
        status = rec["status"]
        payload: Strict
        if status == "confirmed":
            payload = BookingConfirmed(
                request_id=rid,
                site=site,
                via=via,
                sessions=[Session.model_validate(s, strict=False) for s in rec["sessions"]],
            )
        elif status == "waitlisted":
            payload = BookingWaitlisted(
                request_id=rid,
                site=site,
                reason=rec["reason"],
                detail=rec["detail"],
                offers=[
                    CounterOffer.model_validate(o, strict=False) for o in rec.get("offers") or []
                ],
            )
        elif status == "cancelled":
            payload = BookingCancellationConfirmed(request_id=rid, site=site, freed_sessions=0)
        else:
            payload = BookingRejected(request_id=rid, site=site, errors=rec.get("errors") or [])
        return self._decision_out(region, payload)

    def _decision_out(self, region: str, payload: Strict) -> Out:
        return Out(DECISIONS, envelope(payload, key=region, source=self.source))

    def plan_updates(self) -> list[Out]:
        """PlanChanged for every region changed since the last call (micro-batched:
        a burst of a thousand decisions yields one summary, not a thousand)."""
        out = []
        for rt in self.cache.values():
            if rt.plan_sent != rt.version:
                out.append(self._plan_changed(rt, rt.plan_cause))
                rt.plan_sent = rt.version
        return out

    def _plan_changed(self, rt: RegionRuntime, cause: str) -> Out:
        confirmed = [r for r, s in rt.status.items() if s == "confirmed"]
        payload = PlanChanged(
            region=rt.region,
            version=rt.version,
            cause=cause,
            served_value=sum(rt.requests[r].value for r in confirmed),
            requested_value=sum(rt.requests[r].value for r in rt.status),
            sessions=sum(rt.requests[r].sessions for r in confirmed),
            waitlisted=len(rt.waitlist),
            moves=rt.moves,
        )
        return Out(PLANS, envelope(payload, key=rt.region, source=self.source))

    def _replay(self, event: Envelope, payload: Strict) -> Outcome:
        if isinstance(payload, OPERATOR_EVENTS):
            kept = self.store.seen[event.id]
            receipt = (
                EventHandled.model_validate(kept)
                if isinstance(kept, dict)
                else _receipt(  # seen before receipts were kept
                    event,
                    payload,
                    "applied",
                    "handled before receipts were kept; if it was rejected, "
                    "the dead-letter topic has the reason",
                )
            )
            return Outcome([self._decision_out(event.key, receipt)], "duplicate", event.key)
        rid = getattr(payload, "request_id", None) or getattr(
            getattr(payload, "request", None), "id", None
        )
        if rid and rid in self.store.bookings:
            return Outcome([self._current_decision(rid, via="replay")], "duplicate", event.key)
        return Outcome([], "duplicate", event.key)
