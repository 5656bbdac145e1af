"""Move events: the pure diff, the region book, and the consumer's handler."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from schemas.events import DEADLETTER, BookingCancelled, PlanChanged, envelope
from schemas.schedule import ContainerMove
from schemas.wire import WireError, decode, encode
from services.logistics.diff import MoveBook, diff_moves
from services.logistics.events import (
    LOGISTICS,
    MoveCancelled,
    MoveChanged,
    MoveEvent,
    MovePlanned,
    decode_logistics,
)
from services.logistics.service import handle

D = dt.date.fromisoformat


def mv(box: str, frm: str, to: str, depart: str, ready: str, km: float = 10.0) -> ContainerMove:
    return ContainerMove.model_validate(
        {"container": box, "from": frm, "to": to, "depart": D(depart), "ready": D(ready), "km": km}
    )


A = mv("box-1", "depot", "near", "2027-01-05", "2027-01-07")
B = mv("box-1", "near", "hub", "2027-01-11", "2027-01-13")
C = mv("box-2", "depot", "far", "2027-01-06", "2027-01-08")


def kinds(events: list[MoveEvent]) -> list[tuple[str, str]]:
    return [(type(e).__name__, e.container) for e in events]


def test_same_plan_gives_no_events() -> None:
    assert diff_moves([A, B, C], [C, B, A], region="r", version=2) == []


def test_new_moves_are_planned_and_dropped_ones_cancelled() -> None:
    events = diff_moves([A, C], [A, B], region="r", version=3)
    assert kinds(events) == [("MovePlanned", "box-1"), ("MoveCancelled", "box-2")]
    planned, cancelled = events
    assert isinstance(planned, MovePlanned) and planned.move == B and planned.plan_version == 3
    assert isinstance(cancelled, MoveCancelled) and cancelled.move == C


def test_same_route_on_another_day_is_a_change() -> None:
    later = mv("box-1", "near", "hub", "2027-01-12", "2027-01-14")
    (event,) = diff_moves([A, B], [A, later], region="r", version=4)
    assert isinstance(event, MoveChanged)
    assert event.before == B and event.after == later and event.changed == ["depart", "ready"]


def test_new_ready_or_km_on_the_same_departure_is_a_change() -> None:
    slower = mv("box-1", "depot", "near", "2027-01-05", "2027-01-08", km=12.0)
    (event,) = diff_moves([A], [slower], region="r", version=1)
    assert isinstance(event, MoveChanged) and event.changed == ["ready", "km"]


def test_new_destination_is_cancel_plus_plan() -> None:
    elsewhere = mv("box-1", "depot", "far", "2027-01-05", "2027-01-07")
    events = diff_moves([A], [elsewhere], region="r", version=1)
    assert sorted(type(e).__name__ for e in events) == ["MoveCancelled", "MovePlanned"]


def test_closest_departures_are_paired() -> None:
    early = mv("box-1", "depot", "near", "2027-01-04", "2027-01-06")
    late = mv("box-1", "depot", "near", "2027-02-01", "2027-02-03")
    moved = mv("box-1", "depot", "near", "2027-02-02", "2027-02-04")
    events = diff_moves([early, late], [early, moved], region="r", version=1)
    assert len(events) == 1 and isinstance(events[0], MoveChanged) and events[0].before == late


def plan(version: int, moves: list[ContainerMove], region: str = "r") -> PlanChanged:
    return PlanChanged(
        region=region,
        version=version,
        cause="insert",
        served_value=0,
        requested_value=0,
        sessions=0,
        waitlisted=0,
        moves=moves,
    )


def test_book_ignores_stale_and_repeated_versions() -> None:
    book = MoveBook()
    assert kinds(book.apply(plan(1, [A]))) == [("MovePlanned", "box-1")]
    assert book.apply(plan(1, [A, B])) == []  # redelivery of version 1
    assert book.apply(plan(0, [])) == []  # older
    assert kinds(book.apply(plan(2, []))) == [("MoveCancelled", "box-1")]
    assert book.latest("r") == [] and book.versions == {"r": 2}
    book.apply(plan(1, [C], region="s"))
    assert book.latest("s", "box-2") == [C] and book.latest("s", "box-1") == []


def test_handler_emits_envelopes_keyed_by_container_with_stable_ids() -> None:
    raw = encode(envelope(plan(5, [A, C]), key="r", source="scheduler"))
    first = handle(raw, MoveBook(), source="logistics")
    again = handle(raw, MoveBook(), source="logistics")
    assert [o.topic for o in first] == [LOGISTICS, LOGISTICS]
    assert [o.key for o in first] == [b"box-1", b"box-2"]
    ids = [json.loads(o.value)["id"] for o in first]
    assert (
        ids
        == [json.loads(o.value)["id"] for o in again]
        == ["logistics:r:v5:0", "logistics:r:v5:1"]
    )
    env, payload = decode_logistics(first[0].value)
    assert env.type == "hubplan.container-move.planned.v1" and env.key == "box-1"
    assert isinstance(payload, MovePlanned) and payload.move == A


def test_handler_dead_letters_garbage_and_skips_other_types() -> None:
    (out,) = handle(b"{not json", MoveBook(), source="logistics", partition=2, offset=7, key=b"r")
    assert out.topic == DEADLETTER
    _, dead = decode(out.value)
    assert dead.reason == "not-json" and dead.offset == 7  # type: ignore[attr-defined]
    other = encode(
        envelope(BookingCancelled(request_id="x", cancelled_by="t"), key="r", source="gateway")
    )
    assert handle(other, MoveBook(), source="logistics") == []


def test_handler_dead_letters_an_oversized_message_with_its_head_only() -> None:
    raw = b'{"big": "' + b"x" * 600_000 + b'"}'
    (out,) = handle(raw, MoveBook(), source="logistics", offset=3, key=b"r")
    _, dead = decode(out.value)
    assert dead.reason == "too-large"  # type: ignore[attr-defined]
    kept = base64.b64decode(dead.original_base64)  # type: ignore[attr-defined]
    assert kept == raw[: 64 * 1024]


def test_logistics_decoder_rejects_foreign_and_broken_messages() -> None:
    with pytest.raises(WireError, match="unknown-type"):
        decode_logistics(encode(envelope(plan(1, []), key="r", source="scheduler")))
    with pytest.raises(WireError):
        decode_logistics(None)
    bad = json.loads(
        handle(encode(envelope(plan(1, [A]), key="r", source="s")), MoveBook(), source="l")[0].value
    )
    bad["data"]["plan_version"] = -1
    with pytest.raises(WireError, match="schema-invalid"):
        decode_logistics(json.dumps(bad).encode())
