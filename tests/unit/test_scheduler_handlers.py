"""Scheduler logic on plain dicts: decisions, dedupe, cancel/promote, dead letters."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from schemas.events import (
    INTAKE,
    BookingCancelled,
    BookingRejected,
    BookingRequested,
    CatalogueLoaded,
    EventHandled,
    OfferAccepted,
    PlanProposed,
    RegionCatalogue,
    ResourceChanged,
    RetryWaitlist,
    envelope,
)
from schemas.scenario import Request
from schemas.schedule import Session
from schemas.wire import WireError, decode, encode
from services.scheduler.handlers import Outcome, Scheduler
from services.scheduler.state import Store, snapshot
from tests.builders import request, world

DAY = {"earliest": "2027-01-05", "latest": "2027-01-05"}


def fresh() -> Scheduler:
    sched = Scheduler(Store({}, {}, {}, {}))
    data = world()
    cat = RegionCatalogue.model_validate_json(
        json.dumps({k: v for k, v in data.items() if k not in ("format", "name", "requests")})
    )
    sched.handle(
        envelope(CatalogueLoaded(region="r", catalogue=cat), key="r", source="t"),
        CatalogueLoaded(region="r", catalogue=cat),
    )
    return sched


def ask(sched: Scheduler, rid: str, event_id: str | None = None, **fields: Any):
    req = Request.model_validate_json(json.dumps(request(rid, **fields)))
    payload = BookingRequested(request=req, requested_by="test")
    return sched.handle(envelope(payload, key="r", source="t", event_id=event_id), payload)


def decision_types(outcome) -> list[str]:
    return [m.event.type for m in outcome.messages if m.topic == "hubplan.decisions"]


def deliver(sched: Scheduler, outcome: Outcome) -> list[Outcome]:
    """Feed back what the scheduler sent to its own intake topic, through the wire codec."""
    done = []
    for out in outcome.messages:
        if out.topic == INTAKE:
            env, payload = decode(encode(out.event))
            done.append(sched.handle(env, payload))
    return done


def cancel(sched: Scheduler, rid: str) -> Outcome:
    payload = BookingCancelled(request_id=rid, cancelled_by="test")
    return sched.handle(envelope(payload, key="r", source="t"), payload)


def test_confirm_then_waitlist_then_promote_on_cancel() -> None:
    s = fresh()
    assert ask(s, "a", **DAY).kind == "confirmed"
    assert ask(s, "b", **DAY).kind == "confirmed"
    third = ask(s, "c", **DAY)
    assert third.kind == "waitlisted"
    assert s.store.bookings["c"]["reason"] == "no-capacity"
    out = cancel(s, "a")
    assert decision_types(out) == ["hubplan.booking.cancellation-confirmed.v1"]
    assert s.store.bookings["a"]["status"] == "cancelled"
    # the retry travels behind the cancel on the region's partition
    assert [m.event.type for m in out.messages if m.topic == INTAKE] == [RetryWaitlist.TYPE]
    assert s.store.bookings["c"]["status"] == "waitlisted"
    (retried,) = deliver(s, out)
    assert retried.kind == "waitlist-retried" and retried.promoted_after_cancel == 1
    assert decision_types(retried) == ["hubplan.booking.confirmed.v1"]
    assert s.store.bookings["c"]["status"] == "confirmed"


def test_queued_cancels_share_one_retry_in_first_come_order() -> None:
    s = fresh()
    for rid in ("a", "b", "c", "d", "e"):
        ask(s, rid, **DAY)
    assert [s.store.bookings[r]["status"] for r in "cde"] == ["waitlisted"] * 3
    first, second = cancel(s, "a"), cancel(s, "b")
    assert [m.topic for m in second.messages] == ["hubplan.decisions"]  # no second retry
    (retried,) = deliver(s, first)
    promoted = [m.event.data["request_id"] for m in retried.messages]
    assert promoted == ["c", "d"] and s.store.bookings["e"]["status"] == "waitlisted"
    assert deliver(s, second) == []


def test_a_new_request_cannot_take_what_a_cancel_freed_for_the_waitlist() -> None:
    s = fresh()
    for rid in ("a", "b", "c"):
        ask(s, rid, **DAY)
    out = cancel(s, "a")
    late = ask(s, "d", **DAY)  # arrives before the retry command
    assert late.kind == "waitlisted"
    assert [m.event.data["request_id"] for m in late.messages] == ["c", "d"]
    assert late.promoted_after_cancel == 1 and s.store.bookings["c"]["status"] == "confirmed"
    (retried,) = deliver(s, out)
    assert retried.messages == []  # nothing left to offer


def test_a_retry_sent_before_a_rebuild_retries_every_shape() -> None:
    s = fresh()
    for rid in ("a", "b", "c"):
        ask(s, rid, **DAY)
    out = cancel(s, "a")
    s.forget()  # a rebalance or restart: what the cancel freed is no longer known
    (retried,) = deliver(s, out)
    assert retried.promoted_after_cancel == 1 and s.store.bookings["c"]["status"] == "confirmed"


def test_redelivery_and_retries_never_book_twice() -> None:
    s = fresh()
    first = ask(s, "a", event_id="ev-1", sessions=2)
    again = ask(s, "a", event_id="ev-1", sessions=2)  # same event redelivered
    retry = ask(s, "a", event_id="ev-2", sessions=2)  # client retried with a new event
    assert first.kind == "confirmed" and again.kind == "duplicate" and retry.kind == "duplicate"
    rt = s.runtime("r")
    assert rt is not None and len(rt.live.sessions("a")) == 2
    assert sum(len(v) for v in rt.live.bookings.values()) == 2


def test_bookings_dedupe_on_the_request_id_not_on_seen() -> None:
    s = fresh()
    assert ask(s, "a", event_id="ev-a").kind == "confirmed"
    assert "ev-a" not in s.store.seen  # one changelog write less per booking
    # a killed worker's writes land partly: here its ``seen`` entry did and its
    # booking did not; the redelivered event must still be decided
    s.store.seen["ev-b"] = 1
    assert ask(s, "b", event_id="ev-b").kind == "confirmed"
    assert cancel(s, "a").kind == "cancelled"
    assert cancel(s, "a").kind == "cancel-noop"


def test_unknown_site_is_rejected_and_dead_lettered() -> None:
    s = fresh()
    out = ask(s, "x", site="atlantis")
    assert out.kind == "rejected" and out.dead_letter is not None
    assert out.dead_letter[0] == "unknown-reference"
    assert "atlantis" in out.dead_letter[1][0]["message"]
    assert ask(s, "y").kind == "confirmed"  # the next good one is still decided


def test_state_survives_a_cache_loss() -> None:
    s = fresh()
    ask(s, "a", **DAY)
    ask(s, "b", **DAY)
    before = s.runtime("r").live.sessions("a")
    s.forget()  # as after a rebalance: rebuild from the tables
    assert s.runtime("r").live.sessions("a") == before
    assert ask(s, "c", **DAY).kind == "waitlisted"


class CountingDict(dict):  # type: ignore[type-arg]
    writes = 0

    def __setitem__(self, key: Any, value: Any) -> None:
        self.writes += 1
        super().__setitem__(key, value)


def test_versions_are_written_rarely_and_jump_past_a_rebuild() -> None:
    s = fresh()
    s.store.regions = CountingDict(s.store.regions)
    for i in range(30):
        ask(s, f"v{i}", **DAY)
    assert s.store.regions.writes == 0  # not one changelog write per event
    rt = s.runtime("r")
    assert rt is not None and rt.version == 31
    in_flight = PlanProposed(region="r", base_version=rt.version, promote={}, moves=[])
    s.forget()  # a restart: the in-memory version is gone, the table has an older one
    rebuilt = s.runtime("r")
    assert rebuilt is not None and rebuilt.version > 31
    # computed before the restart, it must not apply to the rebuilt state
    assert s.handle(envelope(in_flight, key="r", source="t"), in_flight).kind == "stale-proposal"


def test_a_region_rebuilt_after_a_rebalance_is_announced_again() -> None:
    s = fresh()
    ask(s, "a", **DAY)
    assert [o.event.data["region"] for o in s.plan_updates()] == ["r"]
    assert s.plan_updates() == []  # nothing new
    s.forget()  # rebalance: the runtime and what it had announced are gone
    s.runtime("r")
    (again,) = s.plan_updates()
    assert again.event.data["region"] == "r" and again.event.data["served_value"] > 0


def test_optimiser_proposals_apply_only_to_the_version_they_saw() -> None:
    s = fresh()
    ask(s, "a", **DAY)
    ask(s, "b", **DAY)
    ask(s, "c", **DAY)
    rt = s.runtime("r")
    stale = PlanProposed(region="r", base_version=rt.version - 1, promote={}, moves=[])
    assert s.handle(envelope(stale, key="r", source="t"), stale).kind == "stale-proposal"
    scenario = snapshot(rt)
    assert len(scenario.locked) == 2
    fresh_one = PlanProposed(region="r", base_version=rt.version, promote={}, moves=[])
    assert s.handle(envelope(fresh_one, key="r", source="t"), fresh_one).kind == "optimised"
    assert not s.runtime("r").dirty  # c waits, but the optimiser had its say
    rt = s.runtime("r")
    part = PlanProposed(region="r", base_version=rt.version, promote={}, moves=[], partial=True)
    assert s.handle(envelope(part, key="r", source="t"), part).kind == "optimised"
    assert s.runtime("r").dirty  # the promotions left out follow in the next run


def test_invalid_catalogue_goes_to_dead_letter() -> None:
    s = fresh()
    data = world()
    data["equipment"][0]["site"] = "nowhere"
    cat = RegionCatalogue.model_validate_json(
        json.dumps({k: v for k, v in data.items() if k not in ("format", "name", "requests")})
    )
    payload = CatalogueLoaded(region="r", catalogue=cat)
    out = s.handle(envelope(payload, key="r", source="t"), payload)
    assert out.kind == "dead-letter" and out.dead_letter[0] == "catalogue-invalid"
    assert ask(s, "a").kind == "confirmed"  # old catalogue still in force


def test_disruption_changes_catalogue_then_repair_reschedules() -> None:
    from schemas.disruptions import EquipmentUnavailable
    from schemas.events import DisruptionReported, RepairProposed
    from services.scheduler.repair_handlers import repair_input, run_repair

    s = fresh()
    assert ask(s, "a", **DAY).kind == "confirmed"
    old = s.runtime("r").live.sessions("a")[0]
    broken = EquipmentUnavailable.model_validate(
        {
            "kind": "equipment-unavailable",
            "equipment": old.resource,
            "from": str(old.date),
            "to": str(old.date),
        },
        strict=False,
    )
    payload = DisruptionReported(region="r", disruption=broken, reported_by="ops")
    out = s.handle(envelope(payload, key="r", source="t"), payload)
    assert out.kind == "disruption"
    rt = s.runtime("r")
    assert rt.repair and "equipment-unavailable" in rt.repair
    scenario_json, current_json = repair_input(rt, 2, rt.catalogue.horizon.start)
    result = run_repair(scenario_json, current_json, 3.0, 0, 5, "2027-01-04")
    # the only unit is gone that day, and the window is that day: the booking is displaced
    assert result["lost"] == ["a"]
    proposal = RepairProposed(
        region="r", base_version=rt.version, cause=rt.repair, sessions={}, lost=["a"], moves=[]
    )
    applied = s.handle(envelope(proposal, key="r", source="t"), proposal)
    # displaced (what it had), then its decision on the repaired plan: the true reason
    assert decision_types(applied) == [
        "hubplan.booking.displaced.v1",
        "hubplan.booking.waitlisted.v1",
    ]
    rec = s.store.bookings["a"]
    assert rec["status"] == "waitlisted" and rec["detail"].startswith("displaced by equipment")
    assert rec["reason"] == "no-slot-in-window"  # its one-day window has no unit left
    assert "repair" not in s.store.regions["r"]


def test_a_removed_unit_s_bookings_are_rescheduled_by_the_repair_not_left_on_it() -> None:
    from schemas.disruptions import ResourceRemoved
    from schemas.events import DisruptionReported, RepairProposed
    from services.scheduler.repair_handlers import repair_input, run_repair

    s = fresh()
    unit = {"type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]}
    change = ResourceChanged(region="r", kind="equipment", op="upsert", id="dry-2", value=unit)
    s.handle(envelope(change, key="r", source="t"), change)
    assert ask(s, "a", **DAY).kind == "confirmed"
    gone = s.runtime("r").live.sessions("a")[0].resource
    removed = ResourceRemoved(kind="resource-removed", resource=gone)
    payload = DisruptionReported(region="r", disruption=removed, reported_by="ops")
    assert s.handle(envelope(payload, key="r", source="t"), payload).kind == "disruption"
    rt = s.runtime("r")
    assert "a" in rt.unkept  # still confirmed in the table until the repair says otherwise
    scenario_json, current_json = repair_input(rt, 0, rt.catalogue.horizon.start)
    result = run_repair(scenario_json, current_json, 3.0, 0, 5, "2027-01-04")
    assert result["lost"] == [] and [x["resource"] for x in result["sessions"]["a"]] != [gone]
    proposal = RepairProposed(
        region="r",
        base_version=rt.version,
        cause=rt.repair or "",
        sessions={
            r: [Session.model_validate(x, strict=False) for x in v]
            for r, v in result["sessions"].items()
        },
        lost=result["lost"],
        moves=[],
    )
    applied = s.handle(envelope(proposal, key="r", source="t"), proposal)
    assert decision_types(applied) == ["hubplan.booking.rescheduled.v1"]
    rec = s.store.bookings["a"]
    assert rec["status"] == "confirmed" and all(x["resource"] != gone for x in rec["sessions"])
    assert s.runtime("r").unkept == {}


def test_repair_moves_a_session_and_emits_rescheduled() -> None:
    from schemas.disruptions import EquipmentUnavailable
    from schemas.events import DisruptionReported, RepairProposed
    from schemas.schedule import Session
    from services.scheduler.repair_handlers import repair_input, run_repair

    s = fresh()
    assert ask(s, "a").kind == "confirmed"
    old = s.runtime("r").live.sessions("a")[0]
    broken = EquipmentUnavailable.model_validate(
        {
            "kind": "equipment-unavailable",
            "equipment": old.resource,
            "from": str(old.date),
            "to": str(old.date),
        },
        strict=False,
    )
    payload = DisruptionReported(region="r", disruption=broken, reported_by="ops")
    s.handle(envelope(payload, key="r", source="t"), payload)
    rt = s.runtime("r")
    result = run_repair(*repair_input(rt, 0, rt.catalogue.horizon.start), 3.0, 0, 5, "2027-01-04")
    assert result["lost"] == [] and list(result["sessions"]) == ["a"]
    sessions = {
        r: [Session.model_validate(x, strict=False) for x in v]
        for r, v in result["sessions"].items()
    }
    proposal = RepairProposed(
        region="r", base_version=rt.version, cause=rt.repair, sessions=sessions, lost=[], moves=[]
    )
    applied = s.handle(envelope(proposal, key="r", source="t"), proposal)
    assert decision_types(applied) == ["hubplan.booking.rescheduled.v1"]
    new = s.runtime("r").live.sessions("a")[0]
    assert new.date != old.date


def test_run_repair_uses_the_notice_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """HUBPLAN_NOTICE_DAYS reaches the live repair (it always repaired with 5)."""
    from services.planner.repair import repair
    from services.scheduler import repair_handlers

    seen: list[int] = []

    def spy(scenario, current, params):  # type: ignore[no-untyped-def]
        seen.append(params.notice_days)
        return repair(scenario, current, params)

    monkeypatch.setattr(repair_handlers, "repair", spy)
    s = fresh()
    assert ask(s, "a").kind == "confirmed"
    rt = s.runtime("r")
    inputs = repair_handlers.repair_input(rt, 0, rt.catalogue.horizon.start)
    repair_handlers.run_repair(*inputs, 1.0, 0, 9, "2027-01-04")
    assert seen == [9]


def receipts(outcome: Outcome) -> list[dict[str, Any]]:
    return [m.event.data for m in outcome.messages if m.event.type == EventHandled.TYPE]


def test_an_applied_catalogue_gets_a_receipt_and_a_redelivery_gets_the_same_one() -> None:
    s = fresh()
    unit = {"type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]}
    payload = ResourceChanged(region="r", kind="equipment", op="upsert", id="dry-2", value=unit)
    event = envelope(payload, key="r", source="t")
    (first,) = receipts(s.handle(event, payload))
    assert first["event_id"] == event.id and first["outcome"] == "applied"
    assert first["event_type"] == ResourceChanged.TYPE
    again = s.handle(event, payload)
    assert again.kind == "duplicate" and receipts(again) == [first]


def test_a_rejected_change_gets_a_receipt_naming_the_field_and_is_not_retried() -> None:
    s = fresh()
    unit = {"type": "dry-room", "site": "no-such-site", "seats": 12, "parts": ["day"]}
    payload = ResourceChanged(region="r", kind="equipment", op="upsert", id="dry-2", value=unit)
    event = envelope(payload, key="r", source="t")
    out = s.handle(event, payload)
    assert out.dead_letter is not None  # still dead-lettered, as before
    (receipt,) = receipts(out)
    assert receipt["outcome"] == "rejected" and "no-such-site" in receipt["detail"]
    assert receipt["errors"] == [
        {"field": "data.value.site", "message": "unknown site 'no-such-site'"}
    ]
    again = s.handle(event, payload)
    assert again.dead_letter is None and receipts(again) == [receipt]


def test_every_bad_field_of_a_change_is_named() -> None:
    s = fresh()
    unit = {"type": "dry-room", "site": "hub", "seats": -5, "parts": ["day", "night"]}
    payload = ResourceChanged(region="r", kind="equipment", op="upsert", id="dry-2", value=unit)
    (receipt,) = receipts(s.handle(envelope(payload, key="r", source="t"), payload))
    assert receipt["outcome"] == "rejected"
    fields = sorted(e["field"] for e in receipt["errors"])
    assert fields == ["data.value.parts[1]", "data.value.seats"]


def test_removing_what_is_not_there_changes_nothing_and_says_so() -> None:
    s = fresh()
    for kind in ("equipment", "calendar"):
        payload = ResourceChanged(region="r", kind=kind, op="remove", id="ghost")
        out = s.handle(envelope(payload, key="r", source="t"), payload)
        (receipt,) = receipts(out)
        assert receipt["outcome"] == "ignored" and "nothing changed" in receipt["detail"]
        assert out.dead_letter is None


def test_a_change_to_a_region_without_catalogue_is_ignored_with_a_reason() -> None:
    s = Scheduler(Store({}, {}, {}, {}))
    payload = ResourceChanged(region="elsewhere", kind="staff", op="remove", id="x")
    (receipt,) = receipts(s.handle(envelope(payload, key="elsewhere", source="t"), payload))
    assert receipt["outcome"] == "ignored" and "no catalogue" in receipt["detail"]


def test_a_handler_bug_parks_an_operator_event_with_a_failed_receipt() -> None:
    s = fresh()
    payload = ResourceChanged(region="r", kind="staff", op="remove", id="x")
    event = envelope(payload, key="r", source="t")
    out = s.handler_failed(event, payload, "KeyError('boom')")
    assert out.dead_letter is not None and out.dead_letter[0] == "handler-error"
    (receipt,) = receipts(out)
    assert receipt["outcome"] == "failed" and "partly applied" in receipt["detail"]
    assert receipt["errors"] == [{"field": "(handler)", "message": "KeyError('boom')"}]
    assert receipts(s.handle(event, payload)) == [receipt]  # redelivered: not run again


def test_a_receipt_names_the_payloads_region_whatever_the_key() -> None:
    s = fresh()
    payload = ResourceChanged(region="elsewhere", kind="staff", op="remove", id="x")
    (receipt,) = receipts(s.handle(envelope(payload, key="not an id!", source="t"), payload))
    assert receipt["region"] == "elsewhere" and receipt["outcome"] == "ignored"


def test_withdrawing_a_booking_that_does_not_exist_is_ignored_not_applied() -> None:
    from schemas.disruptions import BookingWithdrawn
    from schemas.events import DisruptionReported

    s = fresh()
    gone = BookingWithdrawn.model_validate(
        {"kind": "booking-cancelled", "request": "never-asked"}, strict=False
    )
    payload = DisruptionReported(region="r", disruption=gone, reported_by="ops")
    (receipt,) = receipts(s.handle(envelope(payload, key="r", source="t"), payload))
    assert receipt["outcome"] == "ignored" and "no such booking" in receipt["detail"]


def test_withdrawing_another_regions_booking_is_refused_and_changes_nothing() -> None:
    from schemas.disruptions import BookingWithdrawn
    from schemas.events import DisruptionReported

    s = fresh()
    assert ask(s, "mine", **DAY).kind == "confirmed"
    theirs = BookingWithdrawn.model_validate(
        {"kind": "booking-cancelled", "request": "mine"}, strict=False
    )
    payload = DisruptionReported(region="elsewhere", disruption=theirs, reported_by="ops")
    (receipt,) = receipts(s.handle(envelope(payload, key="elsewhere", source="t"), payload))
    assert receipt["outcome"] == "rejected" and "not in region 'elsewhere'" in receipt["detail"]
    assert s.store.bookings["mine"]["status"] == "confirmed"


def test_a_disruption_outside_the_horizon_is_refused() -> None:
    from schemas.disruptions import EquipmentUnavailable
    from schemas.events import DisruptionReported

    s = fresh()
    later = EquipmentUnavailable.model_validate(
        {
            "kind": "equipment-unavailable",
            "equipment": "dry-1",
            "from": "2030-01-01",
            "to": "2030-03-01",
        },
        strict=False,
    )
    payload = DisruptionReported(region="r", disruption=later, reported_by="ops")
    (receipt,) = receipts(s.handle(envelope(payload, key="r", source="t"), payload))
    assert receipt["outcome"] == "rejected" and "outside the horizon" in receipt["detail"]


def test_bookings_get_no_receipt() -> None:
    s = fresh()
    assert receipts(ask(s, "a", **DAY)) == []


def test_an_event_seen_before_receipts_were_kept_still_gets_one() -> None:
    s = fresh()
    payload = ResourceChanged(region="r", kind="staff", op="remove", id="x")
    event = envelope(payload, key="r", source="t")
    s.store.seen[event.id] = 1  # what older versions stored
    (receipt,) = receipts(s.handle(event, payload))
    assert receipt["outcome"] == "applied" and "before receipts" in receipt["detail"]


def _malformed(rid: str, key: str = "r", **bad: Any) -> bytes:
    req = Request.model_validate_json(json.dumps(request(rid)))
    event = envelope(BookingRequested(request=req, requested_by="t"), key=key, source="other")
    body = json.loads(encode(event))
    body["data"]["request"].update(bad)
    return json.dumps(body).encode()


def test_a_schema_invalid_booking_request_is_rejected_by_name_once() -> None:
    s = fresh()
    raw = _malformed("odd", max_travel_minutes="far")
    with pytest.raises(WireError) as caught:
        decode(raw)
    err = caught.value
    assert err.reason == "schema-invalid"
    out = s.reject_malformed(raw, err.reason, err.errors)
    assert out is not None and out.kind == "rejected" and out.dead_letter is None
    (decision,) = [m.event for m in out.messages]
    assert decision.type == BookingRejected.TYPE and decision.key == "r"
    assert decision.data["request_id"] == "odd" and decision.data["site"] == "near"
    assert decision.data["errors"][0]["field"] == "data.request.max_travel_minutes"
    assert s.store.bookings["odd"]["status"] == "rejected"
    # a malformed copy of a request the region knows changes nothing
    assert s.reject_malformed(raw, err.reason, err.errors) is None


def test_a_malformed_copy_of_a_known_request_or_a_foreign_region_is_only_dead_lettered() -> None:
    s = fresh()
    good = Request.model_validate_json(json.dumps(request("known", **DAY)))
    s.handle(
        envelope(BookingRequested(request=good, requested_by="t"), key="r", source="t"),
        BookingRequested(request=good, requested_by="t"),
    )
    before = dict(s.store.bookings["known"])
    errors = [{"field": "data.request.sessions", "message": "bad"}]
    assert s.reject_malformed(_malformed("known", sessions=0), "schema-invalid", errors) is None
    assert s.store.bookings["known"] == before
    foreign = _malformed("new-one", key="atlantis", sessions=0)
    assert s.reject_malformed(foreign, "schema-invalid", errors) is None
    assert s.reject_malformed(b"not json", "not-json", errors) is None


def test_a_rejected_id_can_be_sent_again_corrected_but_a_decided_one_cannot() -> None:
    s = fresh()
    raw = _malformed("fixme", group_size="twelve")
    assert s.reject_malformed(raw, "schema-invalid", [{"field": "x", "message": "y"}])
    fixed = Request.model_validate_json(json.dumps(request("fixme", **DAY)))
    payload = BookingRequested(request=fixed, requested_by="t")
    out = s.handle(envelope(payload, key="r", source="t"), payload)
    assert out.kind == "confirmed" and s.store.bookings["fixme"]["status"] == "confirmed"
    again = s.handle(envelope(payload, key="r", source="t"), payload)
    assert again.kind == "duplicate"


def test_a_failing_repairs_backoff_survives_the_reload_a_change_does() -> None:
    s = fresh()
    rt = s.runtime("r")
    assert rt is not None
    rt.repair_failures, rt.repair_not_before = 3, 1e12
    unit = {"type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]}
    change = ResourceChanged(region="r", kind="equipment", op="upsert", id="dry-9", value=unit)
    s.handle(envelope(change, key="r", source="t"), change)  # reloads the region's runtime
    again = s.runtime("r")
    assert again is not rt and (again.repair_failures, again.repair_not_before) == (3, 1e12)


def test_an_accepted_offer_books_the_sessions_it_showed_not_a_ranked_choice() -> None:
    s = fresh()
    tue = {"earliest": "2027-01-05", "latest": "2027-01-05"}
    ask(s, "mon", earliest="2027-01-04", latest="2027-01-04")  # Monday is contested now
    ask(s, "a", **tue)
    ask(s, "b", **tue)
    ask(s, "c", **tue)  # Tuesday is full: waitlisted, with a wider window on offer
    rec = s.store.bookings["c"]
    assert rec["status"] == "waitlisted"
    window = next(i for i, o in enumerate(rec["offers"]) if o["kind"] == "window")
    shown = [(x["date"], x["slot"]) for x in rec["offers"][window]["sessions"]]
    assert shown == [("2027-01-04", "pm")]  # the earliest: Monday's last slot
    accept = OfferAccepted(request_id="c", offer=window, accepted_by="t")
    out = s.handle(envelope(accept, key="r", source="t"), accept)
    assert out.kind == "confirmed"  # a ranked placement would pick a quiet day instead
    assert [(x["date"], x["slot"]) for x in s.store.bookings["c"]["sessions"]] == shown


def test_an_added_unit_at_an_unknown_site_is_refused_in_plain_words() -> None:
    from schemas.disruptions import ResourceAdded
    from schemas.events import DisruptionReported

    s = fresh()
    added = ResourceAdded.model_validate(
        {
            "kind": "resource-added",
            "equipment": {
                "id": "dry-7",
                "type": "dry-room",
                "site": "atlantis",
                "seats": 12,
                "parts": ["day"],
            },
        },
        strict=False,
    )
    payload = DisruptionReported(region="r", disruption=added, reported_by="ops")
    (receipt,) = receipts(s.handle(envelope(payload, key="r", source="t"), payload))
    assert receipt["outcome"] == "rejected"
    (error,) = receipt["errors"]
    assert error["field"].startswith("data.disruption.") and error["field"].endswith(".site")
    assert error["message"] == "unknown site 'atlantis'"
    assert "input_value" not in receipt["detail"] and "\n" not in receipt["detail"]


def _with_twin(s: Scheduler) -> None:
    unit = {"type": "dry-room", "site": "hub", "seats": 12, "parts": ["day"]}
    change = ResourceChanged(region="r", kind="equipment", op="upsert", id="dry-2", value=unit)
    s.handle(envelope(change, key="r", source="t"), change)


def _repair_now(s: Scheduler) -> Outcome:
    from schemas.events import RepairProposed
    from services.scheduler.repair_handlers import repair_input, run_repair

    rt = s.runtime("r")
    assert rt is not None and rt.repair
    scenario_json, current_json = repair_input(rt, 0, rt.catalogue.horizon.start)
    result = run_repair(scenario_json, current_json, 3.0, 0, 5, "2027-01-04")
    proposal = RepairProposed(
        region="r",
        base_version=rt.version,
        cause=rt.repair,
        sessions={
            r: [Session.model_validate(x, strict=False) for x in v]
            for r, v in result["sessions"].items()
        },
        lost=result["lost"],
        moves=[],
    )
    return s.handle(envelope(proposal, key="r", source="t"), proposal)


def test_a_unit_removed_from_the_catalogue_sends_its_bookings_to_the_repair() -> None:
    s = fresh()
    _with_twin(s)
    assert ask(s, "a", sessions=2, earliest="2027-01-05", latest="2027-01-06").kind == "confirmed"
    first, second = s.runtime("r").live.sessions("a")
    remove = ResourceChanged(region="r", kind="equipment", op="remove", id=first.resource)
    s.handle(envelope(remove, key="r", source="t"), remove)
    rt = s.runtime("r")
    assert set(rt.unkept) == {"a"} and rt.repair and "catalogue change" in rt.repair
    assert s.store.bookings["a"]["status"] == "confirmed"  # until the repair decides
    if second.resource != first.resource:  # its good session is held meanwhile
        assert second in rt.live.sessions("a")
    applied = _repair_now(s)
    assert decision_types(applied) == ["hubplan.booking.rescheduled.v1"]
    rec = s.store.bookings["a"]
    assert rec["status"] == "confirmed"
    assert all(x["resource"] != first.resource for x in rec["sessions"])
    assert s.runtime("r").unkept == {} and s.runtime("r").repair is None


def test_a_cancelled_unkept_booking_is_not_repaired_back() -> None:
    from schemas.events import BookingCancelled
    from services.scheduler.repair_handlers import repair_input

    s = fresh()
    assert ask(s, "a", **DAY).kind == "confirmed"
    gone = s.runtime("r").live.sessions("a")[0].resource
    _with_twin(s)
    remove = ResourceChanged(region="r", kind="equipment", op="remove", id=gone)
    s.handle(envelope(remove, key="r", source="t"), remove)
    assert "a" in s.runtime("r").unkept
    cancel = BookingCancelled(request_id="a", cancelled_by="t")
    s.handle(envelope(cancel, key="r", source="t"), cancel)
    rt = s.runtime("r")
    assert rt.unkept == {}
    _, current = repair_input(rt, 0, rt.catalogue.horizon.start)
    assert '"request":"a"' not in current.replace(" ", "")


def test_a_rejected_event_redelivered_after_a_catalogue_load_is_still_rejected() -> None:
    s = Scheduler(Store({}, {}, {}, {}))
    early = Request.model_validate_json(json.dumps(request("early", **DAY)))
    payload = BookingRequested(request=early, requested_by="t")
    event = envelope(payload, key="r", source="t")
    assert s.handle(event, payload).kind == "rejected"  # the region has no catalogue yet
    loaded = fresh().store.catalogues["r"]
    s.store.catalogues["r"] = loaded  # the catalogue arrives
    again = s.handle(event, payload)  # the same event, redelivered
    assert again.kind == "duplicate" and s.store.bookings["early"]["status"] == "rejected"
    resent = s.handle(envelope(payload, key="r", source="t"), payload)  # a new event: decided
    assert resent.kind == "confirmed"


def test_a_displaced_booking_gets_its_place_back_if_the_repaired_plan_has_room() -> None:
    from schemas.events import RepairProposed

    s = fresh()
    _with_twin(s)
    assert ask(s, "a", **DAY).kind == "confirmed"
    rt = s.runtime("r")
    # a (conservative) repair gave it up, but the plan after it has room on that day
    proposal = RepairProposed(
        region="r", base_version=rt.version, cause="test", sessions={}, lost=["a"], moves=[]
    )
    applied = s.handle(envelope(proposal, key="r", source="t"), proposal)
    assert decision_types(applied) == [
        "hubplan.booking.displaced.v1",
        "hubplan.booking.confirmed.v1",
    ]
    assert s.store.bookings["a"]["status"] == "confirmed" and "a" not in s.runtime("r").waitlist


def test_an_optimiser_promotion_onto_a_day_already_gone_is_not_applied() -> None:
    s = fresh()
    for rid in ("a", "b", "c"):
        ask(s, rid, **DAY)
    rt = s.runtime("r")
    assert "c" in rt.waitlist
    past = Session.model_validate(
        {
            "request": "c",
            "index": 0,
            "date": "2020-01-07",
            "slot": "am",
            "site": "hub",
            "resource": "dry-1",
        },
        strict=False,
    )
    proposal = PlanProposed(region="r", base_version=rt.version, promote={"c": [past]}, moves=[])
    s.handle(envelope(proposal, key="r", source="t"), proposal)
    assert s.store.bookings["c"]["status"] == "waitlisted"


def test_a_delayed_truck_gets_its_ready_day_at_once_and_a_bad_delay_names_its_field() -> None:
    """The live service applies a delay to the trip on the road (it is a fact before
    the repair runs) and refuses one for a truck that has not left, naming the field."""
    from schemas.disruptions import ContainerDelayed
    from schemas.events import DisruptionReported
    from tests.builders import container, trip

    s = fresh()
    box = ResourceChanged(
        region="r",
        kind="container",
        op="upsert",
        id="box-1",
        value={k: v for k, v in container().items() if k != "id"},
    )
    s.handle(envelope(box, key="r", source="t"), box)
    # a trip that left on the horizon start (the service's today before the term)
    left = trip("2027-01-04", "2027-01-06")
    s.store.regions["r"] = {
        **s.store.regions["r"],
        "moves": [left.model_dump(mode="json", by_alias=True)],
    }
    s.reload("r")

    def report(ready: str) -> Outcome:
        late = ContainerDelayed.model_validate(
            {"kind": "container-delayed", "container": "box-1", "ready": ready}, strict=False
        )
        payload = DisruptionReported(region="r", disruption=late, reported_by="ops")
        return s.handle(envelope(payload, key="r", source="t"), payload)

    (refused,) = receipts(report("2027-01-05"))  # not after the trip's ready day
    assert refused["outcome"] == "rejected"
    assert [e["field"] for e in refused["errors"]] == ["data.disruption.ready"]
    assert report("2027-01-08").kind == "disruption"
    rt = s.runtime("r")
    assert [(m.depart, m.ready) for m in rt.moves] == [(left.depart, dt.date(2027, 1, 8))]
    assert rt.repair and "container-delayed" in rt.repair
