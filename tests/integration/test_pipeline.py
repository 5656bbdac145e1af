"""The event pipeline end to end on a real Kafka: HTTP in, decisions out.

Every test uses its own region (and request ids), so tests share one broker
and one running stack without seeing each other's bookings.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas.events import DEADLETTER, INTAKE, BookingRequested, envelope
from schemas.scenario import Request
from schemas.wire import decode, encode
from services.stack import Stack
from tests.integration.helpers import decision, headers, load, receipt, req, submit

pytestmark = pytest.mark.integration
DAY = {"earliest": "2027-01-05", "latest": "2027-01-05"}


def test_served_waitlisted_cancel_and_promotion(stack: Stack) -> None:
    load(stack, "flow")
    bodies = [req("flow", f"r{i}", **DAY) for i in range(3)]
    for b in bodies:
        assert submit(stack, b).status_code == 202
    states = [decision(stack, b["id"], b["site"]) for b in bodies]
    assert sorted(s["status"] for s in states) == ["confirmed", "confirmed", "waitlisted"]
    waiting = next(s for s in states if s["status"] == "waitlisted")
    assert waiting["reason"] == "no-capacity" and waiting["detail"]
    confirmed = next(s for s in states if s["status"] == "confirmed")
    r = httpx.delete(
        f"{stack.gateway_url}/v1/requests/{confirmed['request_id']}",
        headers=headers(stack, "school", "flow-near"),
    )
    assert r.status_code == 202
    assert decision(stack, confirmed["request_id"], "flow-near")["status"] in (
        "cancelled",
        "confirmed",
    )
    deadline = time.monotonic() + 20
    while decision(stack, waiting["request_id"], "flow-near")["status"] != "confirmed":
        assert time.monotonic() < deadline, "waitlisted request was not promoted after the cancel"
        time.sleep(0.2)


def test_retries_and_redelivery_book_once(stack: Stack, kafka_broker: str) -> None:
    load(stack, "dup")
    body = req("dup", "once", sessions=2)
    first = submit(stack, body, **{"Idempotency-Key": "k-1"})
    again = submit(stack, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["request_id"] == again.json()["request_id"]
    assert decision(stack, body["id"], body["site"])["status"] == "confirmed"

    async def redeliver() -> None:
        payload = BookingRequested(
            request=Request.model_validate_json(json.dumps(req("dup", "twice"))),
            requested_by="test",
        )
        event = envelope(payload, key="dup", source="test")
        producer = AIOKafkaProducer(bootstrap_servers=kafka_broker)
        await producer.start()
        for _ in range(3):  # the same event, delivered three times
            await producer.send_and_wait(INTAKE, encode(event), key=b"dup")
        await producer.stop()

    asyncio.run(redeliver())
    assert decision(stack, "dup-twice", "dup-near")["status"] == "confirmed"
    plan = httpx.get(
        f"{stack.gateway_url}/v1/plan", params={"region": "dup"}, headers=headers(stack, "operator")
    ).json()
    per_request: dict[str, int] = {}
    for s in plan["sessions"]:
        per_request[s["request"]] = per_request.get(s["request"], 0) + 1
    assert per_request == {"dup-once": 2, "dup-twice": 1}
    # one school, everything it asked for served: an even plan
    assert plan["metrics"]["lowest_share"] == 1.0 and plan["metrics"]["fairness_gini"] == 0.0


def test_garbage_wrong_schema_unknown_site_go_to_dead_letter(
    stack: Stack, kafka_broker: str
) -> None:
    load(stack, "dlq")
    marker = uuid.uuid4().hex
    good = Request.model_validate_json(json.dumps(req("dlq", "after")))
    unknown = Request.model_validate_json(
        json.dumps(req("dlq", "lost", site="atlantis-" + marker[:8]))
    )
    odd = Request.model_validate_json(json.dumps(req("dlq", "odd")))
    wrong = envelope(BookingRequested(request=odd, requested_by="t"), key="dlq", source="t")
    wrong_bytes = encode(wrong).replace(b'"group_size"', b'"groupsize"')

    async def scenario() -> list[dict[str, Any]]:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_broker)
        await producer.start()
        await producer.send_and_wait(INTAKE, f"garbage {marker}".encode(), key=b"dlq")
        oversized = f"{marker} oversized ".encode() + b"x" * 600_000
        await producer.send_and_wait(INTAKE, oversized, key=b"dlq")
        await producer.send_and_wait(INTAKE, wrong_bytes, key=b"dlq")
        bad_site = envelope(
            BookingRequested(request=unknown, requested_by="t"), key="dlq", source="t"
        )
        await producer.send_and_wait(INTAKE, encode(bad_site), key=b"dlq")
        ok = envelope(BookingRequested(request=good, requested_by="t"), key="dlq", source="t")
        await producer.send_and_wait(INTAKE, encode(ok), key=b"dlq")
        await producer.stop()
        consumer = AIOKafkaConsumer(
            DEADLETTER, bootstrap_servers=kafka_broker, auto_offset_reset="earliest", group_id=None
        )
        await consumer.start()
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(found) < 4:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                for m in messages:
                    _, dead = decode(m.value)
                    original = base64.b64decode(dead.original_base64)  # type: ignore[attr-defined]
                    if (
                        marker.encode() in original
                        or original == wrong_bytes
                        or unknown.site.encode() in original
                    ):
                        found.append({**dead.model_dump(), "kept": len(original)})
        await consumer.stop()
        return found

    found = asyncio.run(scenario())
    assert sorted(d["reason"] for d in found) == [
        "not-json",
        "schema-invalid",
        "too-large",
        "unknown-reference",
    ]
    too_large = next(d for d in found if d["reason"] == "too-large")
    assert too_large["kept"] == 64 * 1024  # the rest stays on the intake topic at its offset
    schema = next(d for d in found if d["reason"] == "schema-invalid")
    assert any("group_size" in e["field"] for e in schema["errors"])
    assert decision(stack, "dlq-after", "dlq-near")["status"] == "confirmed"
    # the malformed request names an id and a region: it gets its decision too
    rejected = decision(stack, "dlq-odd", "dlq-near")
    assert rejected["status"] == "rejected"
    assert {e["field"] for e in rejected["errors"]} >= {"data.request.groupsize"}


def test_operator_changes_get_a_receipt_an_operator_can_read(stack: Stack) -> None:
    load(stack, "rcpt")  # the catalogue's own receipt is checked there
    op = headers(stack, "operator")
    changes = f"{stack.gateway_url}/v1/catalogue/rcpt/changes"
    unit = {"type": "dry-room", "site": "rcpt-hub", "seats": 8, "parts": ["day"]}
    good = httpx.post(
        changes,
        json={"kind": "equipment", "op": "upsert", "id": "rcpt-dry-2", "value": unit},
        headers=op,
    )
    assert good.status_code == 202, good.text
    assert good.json()["status_url"] == f"/v1/events/{good.json()['event_id']}"
    assert receipt(stack, good.json()["status_url"])["status"] == "applied"
    nowhere = {**unit, "site": "rcpt-atlantis"}
    bad = httpx.post(
        changes,
        json={"kind": "equipment", "op": "upsert", "id": "rcpt-dry-3", "value": nowhere},
        headers=op,
    )
    assert bad.status_code == 202  # well-formed: only the scheduler knows the site is unknown
    got = receipt(stack, bad.json()["status_url"])
    assert got["status"] == "rejected" and "rcpt-atlantis" in got["detail"]
    assert got["errors"][0]["field"].endswith(".site")
    school = headers(stack, "school", "flow-near")
    assert (
        httpx.get(f"{stack.gateway_url}{bad.json()['status_url']}", headers=school).status_code
        == 403
    )
    missing = httpx.get(f"{stack.gateway_url}/v1/events/no-such-event", headers=op)
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "event_id"


def test_schools_only_see_their_own_requests(stack: Stack) -> None:
    load(stack, "auth")
    mine = req("auth", "mine")
    assert submit(stack, mine).status_code == 202
    assert decision(stack, mine["id"], "auth-near")["status"] == "confirmed"
    other = headers(stack, "school", "auth-hub")
    url = f"{stack.gateway_url}/v1/requests/{mine['id']}"
    assert httpx.get(url, headers=other).status_code == 404
    assert httpx.delete(url, headers=other).status_code == 404
    foreign = req("auth", "spoof")
    r = httpx.post(f"{stack.gateway_url}/v1/requests", json=foreign, headers=other)
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "site"
    listed = httpx.get(f"{stack.gateway_url}/v1/requests", headers=other).json()["requests"]
    assert all(v["site"] == "auth-hub" for v in listed)
    assert httpx.get(url, headers={"Authorization": "Bearer nope-nope-nope"}).status_code == 401


def test_validation_errors_name_the_field(stack: Stack) -> None:
    body = req("auth", "bad", group_size=0)
    r = submit(stack, body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "group_size"
    r = submit(stack, {**req("auth", "typo"), "grup_size": 3})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "grup_size"


def test_hostile_input_gets_a_clear_answer_and_the_stack_keeps_deciding(stack: Stack) -> None:
    load(stack, "host")
    url = f"{stack.gateway_url}/v1/requests"
    school = headers(stack, "school", "host-near")

    def field_of(r: httpx.Response, code: int) -> str:
        assert r.status_code == code, r.text
        return str(r.json()["errors"][0]["field"])

    plain = httpx.post(url, content=json.dumps(req("host", "plain")), headers=school)
    assert field_of(plain, 415) == "Content-Type"
    as_json = {**school, "Content-Type": "application/json"}
    huge = httpx.post(url, content=b"{" + b" " * (9 * 1024 * 1024) + b"}", headers=as_json)
    assert field_of(huge, 413) == "body"
    not_utf8 = httpx.post(url, content=b'{"id": "\xff\xfe"}', headers=as_json)
    assert 400 <= not_utf8.status_code < 500 and not_utf8.json()["errors"]
    # bounds that once let one request stall or crash the scheduler (docs/pipeline.md)
    assert field_of(submit(stack, req("host", "many", sessions=100_000)), 422) == "sessions"
    assert field_of(submit(stack, req("host", "long", programme="p" * 700_000)), 422) == "programme"
    infinite = json.dumps(req("host", "inf")).replace(
        '"max_travel_minutes": 60', '"max_travel_minutes": Infinity'
    )
    assert "Infinity" in infinite
    r = httpx.post(url, content=infinite, headers=as_json)
    assert field_of(r, 422) == "max_travel_minutes"
    # a back-dated school request is dated on arrival; a reused key must repeat its request
    first = req("host", "first", submitted_at="2020-01-01T00:00:00Z")
    assert submit(stack, first, **{"Idempotency-Key": "k-1"}).status_code == 202
    got = decision(stack, first["id"], "host-near")
    assert got["status"] == "confirmed"
    assert got["request"]["submitted_at"] > "2026-"
    again = submit(stack, first, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 202 and again.json()["replayed"] is True
    changed = submit(stack, {**first, "group_size": 5}, **{"Idempotency-Key": "k-1"})
    assert field_of(changed, 409) == "Idempotency-Key"
    assert "group_size" in changed.json()["errors"][0]["message"]
    assert field_of(submit(stack, req("host", "vip", priority=99)), 422) == "priority"
    bogus = httpx.get(url, params={"status": "bogus"}, headers=school)
    assert field_of(bogus, 422) == "status"
    nowhere = httpx.get(
        f"{stack.gateway_url}/v1/plan", params={"region": "nowhere"}, headers=school
    )
    assert field_of(nowhere, 404) == "region"

    # two schools POST one id at the same moment: one gets it, the other a 409
    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.post(
                            "/v1/requests",
                            json={**req("host", "race", site=site), "id": "host-race"},
                            headers=headers(stack, "school", f"host-{site}"),
                        )
                        for site in ("near", "far")
                    )
                )
            )

    answers = asyncio.run(race())
    assert sorted(r.status_code for r in answers) == [202, 409]
    winner = "near" if answers[0].status_code == 202 else "far"
    won = decision(stack, "host-race", f"host-{winner}")
    assert won["site"] == f"host-{winner}" and won["request"]["site"] == f"host-{winner}"
    after = req("host", "after", earliest="2027-01-11", latest="2027-01-15")
    assert submit(stack, after).status_code == 202
    assert decision(stack, after["id"], "host-near")["status"] == "confirmed"
