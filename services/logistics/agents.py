"""Thin agents: decode, hand to the handler, send what it returns, then write the tables.

Three agents, one per source topic. All three are keyed by region and
co-partitioned with the tables, so a region's state lives on one worker
whichever topic changes it. A region's messages are handled one at a time
(a lock per region): a plan waiting for its move events to be delivered
must not be overtaken by a decision that would write an older state.

Only ``hubplan.plans`` is ours to judge: a message there that cannot be
decoded goes to ``hubplan.deadletter`` with the reason. The intake and the
decisions have their own consumers that judge them (the scheduler, the
gateway); here anything unreadable or irrelevant on them is skipped.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from typing import Any

from aiokafka.errors import KafkaError
from faust.exceptions import FaustError

from schemas.events import (
    DECISIONS,
    INTAKE,
    PLANS,
    CatalogueLoaded,
    DisruptionReported,
    PlanChanged,
    ResourceChanged,
)
from schemas.wire import WireError, decode, encode
from services.logistics.app import LogisticsApp
from services.logistics.handlers import DECISIONS_READ, Step

log = logging.getLogger("hubplan.logistics")
OPERATOR_TYPES = {m.TYPE for m in (CatalogueLoaded, ResourceChanged, DisruptionReported)}


def event_type(raw: bytes | None) -> str | None:
    """The envelope's type without validating the rest (most intake messages are not ours)."""
    try:
        body = json.loads(raw or b"")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    kind = body.get("type") if isinstance(body, dict) else None
    return kind if isinstance(kind, str) else None


def wire(s: LogisticsApp) -> None:
    app, topics, handler, m = s.app, s.topics, s.handler, s.metrics
    locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def run(step: Step) -> None:
        """Send, wait until Kafka has every message, then write the tables.

        In this order a crash in between sends the same messages again (the
        same ids) instead of a table that says they went out when they did not.
        """
        sent = [
            await topics[out.topic].send(key=out.event.key.encode(), value=encode(out.event))
            for out in step.messages
        ]
        for delivery in sent:
            await delivery
        for name, key, value in step.writes:
            table = s.tables[name]
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value

    async def handled(region: str, work: Any) -> Step:
        async with locks[region]:
            step: Step = work()
            await run(step)
            return step

    @app.agent(topics[PLANS], name="hubplan-logistics-plans")
    async def plans(stream: Any) -> None:
        async for event in stream.events():
            raw, message = event.value, event.message
            where = (message.topic, message.partition, message.offset)
            reason: str | None = None
            try:
                _, payload = decode(raw)
            except WireError as exc:
                reason = exc.reason
                step = handler.dead_letter(raw, event.key, where, exc.reason, exc.errors)
                await run(step)
                log.warning("dead-lettered %s[%s]@%s: %s", *where, exc.reason)
            else:
                if not isinstance(payload, PlanChanged):
                    continue  # other types may share the topic later; not ours to judge
                try:
                    step = await handled(payload.region, lambda p=payload: handler.on_plan(p))
                except (FaustError, KafkaError):
                    raise  # infrastructure: crash, and the plan is delivered again
                except Exception as exc:  # a bug must not stop every region: park the plan
                    log.exception("logistics failed on plan %s", where)
                    errors = [{"field": "(root)", "message": repr(exc)[:500]}]
                    reason = "handler-error"
                    step = handler.dead_letter(raw, event.key, where, reason, errors)
                    await run(step)
            m.observe(
                message.partition,
                message.offset,
                [o.topic for o in step.messages],
                [o.kind for o in step.messages if o.kind != "dead-letter"],
                dead_reason=reason,
            )

    async def follow(stream: Any, wanted: set[str], work: Any) -> None:
        async for event in stream.events():
            raw = event.value
            if event_type(raw) not in wanted:
                continue
            try:
                env, payload = decode(raw)
                step = await handled(env.key, lambda e=env, p=payload: work(e, p))
            except (FaustError, KafkaError):
                raise
            except WireError:
                continue  # the scheduler or the gateway judges this topic
            except Exception:  # a bug: log it, keep the region's last good state
                log.exception("logistics failed on %s", event.message.topic)
                continue
            m.sent(o.kind for o in step.messages)

    @app.agent(topics[INTAKE], name="hubplan-logistics-catalogues")
    async def catalogues(stream: Any) -> None:
        await follow(stream, OPERATOR_TYPES, lambda env, p: handler.on_operator_event(p))

    @app.agent(topics[DECISIONS], name="hubplan-logistics-sessions")
    async def sessions(stream: Any) -> None:
        await follow(
            stream, {d.TYPE for d in DECISIONS_READ}, lambda env, p: handler.on_decision(env.key, p)
        )
