"""Thin agents: decode, hand to the scheduler, send what it returns.

Also the optimiser timer (solves in a process pool, never on the loop) and
the dead-letter path for anything that cannot be decoded or applied.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from aiokafka.errors import KafkaError
from faust.exceptions import FaustError

from schemas.events import (
    DEADLETTER,
    INTAKE,
    MAX_EVENT_BYTES,
    DeadLettered,
    PlanProposed,
    RepairProposed,
    dead_letter_original,
    envelope,
)
from schemas.schedule import ContainerMove, Session
from schemas.wire import WireError, decode, encode
from services.planner.calendar import in_notice_period, reference_day
from services.scheduler.app import SchedulerApp
from services.scheduler.handlers import Outcome
from services.scheduler.optimiser import dumps, fit_proposal, solve_snapshot
from services.scheduler.repair_handlers import repair_input, run_repair
from services.scheduler.solver_pool import SolverPool
from services.scheduler.state import snapshot

log = logging.getLogger("hubplan.scheduler")


def tables_ready(app: Any) -> bool:
    """Not rebalancing and not recovering the tables.

    ``app.rebalancing`` alone is not enough: Faust clears it when partitions
    are assigned, before the tables are recovered, and a runtime built from
    half-recovered tables would stay cached with bookings missing.
    """
    return not app.rebalancing and not app.in_recovery


def wire(s: SchedulerApp) -> None:
    app, topics, sched, m = s.app, s.topics, s.scheduler, s.metrics
    solvers = SolverPool()

    async def dead_letter(
        raw: bytes | None,
        key: bytes | None,
        message: Any,
        reason: str,
        errors: list[dict[str, str]],
    ) -> None:
        payload = DeadLettered(
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            reason=reason,
            errors=errors,
            original_base64=dead_letter_original(raw),
            original_key=key.decode(errors="replace") if isinstance(key, bytes) else key,
        )
        event = envelope(payload, key="deadletter", source="scheduler")
        await topics[DEADLETTER].send(key=event.key.encode(), value=encode(event))
        m.deadletters.labels(reason).inc()
        log.warning(
            "dead-lettered %s[%s]@%s: %s %s",
            message.topic,
            message.partition,
            message.offset,
            reason,
            errors[:1],
        )

    async def emit(
        outcome: Outcome, started: float, event_time: dt.datetime, payload: Any
    ) -> list[dict[str, str]]:
        """Send what handling produced; returns what was too large to send."""
        producer = app.producer
        too_large: list[dict[str, str]] = []
        for out in outcome.messages:
            value = encode(out.event)
            if len(value) > MAX_EVENT_BYTES:
                # Kafka would refuse it, the delivery check would stop the worker,
                # and the event would come back to do the same: park the event
                # instead (bounded inputs make this a bug, not bad input)
                message = f"{out.event.type}: {len(value):,} bytes, at most {MAX_EVENT_BYTES:,}"
                too_large.append({"field": "(root)", "message": message})
                continue
            # straight into aiokafka's batch (returns once queued, not when acked):
            # Faust's send_soon buffer adds a task hand-off per message (~30 us).
            # Just as safe: Faust flushes the producer, aiokafka's batches
            # included, before it commits the source offset.
            await producer.send(out.topic, out.event.key.encode(), value, None, None, None)
        rt = sched.cache.get(outcome.region or "unknown")
        m.observe_outcome(outcome, payload, rt, started, event_time)
        return too_large

    @app.timer(interval=0.2)
    async def publish_plans() -> None:
        """Plan summaries and region gauges, micro-batched (O(region) work, not per event).

        Every region this worker owns is announced, not only those touched since
        the last rebalance: a rebalance drops the runtimes, and with them any
        change not yet announced (seen in the tests: a catalogue decided just
        before a rebalance never got its PlanChanged); a region taken over from
        another worker is announced by its new owner.
        """
        if not tables_ready(app):
            return
        for region in list(sched.store.catalogues.keys()):
            sched.runtime(region)  # rebuilt from the tables once, then cached
        for out in sched.plan_updates():
            await topics[out.topic].send(key=out.event.key.encode(), value=encode(out.event))
            data = out.event.data
            m.waitlist.labels(data["region"]).set(data["waitlisted"])
            asked = data["requested_value"]
            m.served_share.labels(data["region"]).set(
                data["served_value"] / asked if asked else 1.0
            )

    @app.timer(interval=5.0)
    async def observe_plans() -> None:
        m.observe_regions(sched.cache)  # utilisation etc.: O(region) work, so on a timer

    @app.agent(topics[INTAKE], name="hubplan-decide")
    async def decide(stream: Any) -> None:
        async for event in stream.events():
            started = time.perf_counter()
            raw, message = event.value, event.message
            try:
                env, payload = decode(raw)
            except WireError as exc:
                m.events.labels("undecodable", exc.reason).inc()
                await dead_letter(raw, event.key, message, exc.reason, exc.errors)
                rejected = sched.reject_malformed(raw, exc.reason, exc.errors)
                if rejected is not None:  # a request we can name gets its decision
                    await emit(rejected, started, dt.datetime.now(dt.UTC), None)
                continue
            try:
                outcome = sched.handle(env, payload)
            except (FaustError, KafkaError):
                raise  # infrastructure, not the event: crash, and the event is redelivered
            except Exception as exc:  # a bug must not stop the region: park the event
                log.exception("handler failed on %s", env.type)
                outcome = sched.handler_failed(env, payload, repr(exc)[:500])
            m.events.labels(env.type, outcome.kind).inc()
            if outcome.dead_letter is not None:
                await dead_letter(raw, event.key, message, *outcome.dead_letter)
            too_large = await emit(outcome, started, env.time, payload)
            if too_large:
                log.error("not sent, too large, for %s: %s", env.type, too_large)
                await dead_letter(raw, event.key, message, "output-too-large", too_large)

    @app.timer(interval=s.settings.optimiser_interval)
    async def optimise() -> None:
        if not tables_ready(app):
            return  # the owned regions are not known yet
        now = time.monotonic()
        # every region this worker owns, not only those cached since the last
        # rebalance: a waitlist inherited from another worker must be optimised too
        for region in list(sched.store.catalogues.keys()):
            rt = sched.runtime(region)
            if rt is None or not rt.dirty or rt.solving or not rt.waitlist:
                continue
            if rt.repair is not None or rt.unkept:
                continue  # the repair first: it decides the bookings the catalogue broke
            if now - rt.changed_at < s.settings.optimiser_debounce:
                continue
            rt.solving, rt.dirty = True, False
            scenario = snapshot(rt)
            today = reference_day(scenario)  # as logistics and the gateway count it
            notice = s.settings.notice_days
            booked = [
                m.model_dump(mode="json", by_alias=True)
                for m in rt.moves
                if in_notice_period(scenario, m.depart, today, notice)
            ]
            asyncio.ensure_future(
                run_optimiser(region, rt.version, dumps(scenario), sorted(rt.waitlist), booked)
            )

    @app.timer(interval=0.2)
    async def repair_regions() -> None:
        """Disrupted regions are repaired at once (no debounce, own short time limit)."""
        if not tables_ready(app):
            return
        for region in list(sched.store.catalogues.keys()):
            rt = sched.runtime(region)
            if rt is None or rt.repair is None or rt.solving:
                continue
            if time.monotonic() < rt.repair_not_before:
                continue
            rt.solving = True
            ref = reference_day(rt.catalogue.horizon)
            today = ref.isoformat()
            scenario_json, current_json = repair_input(rt, s.settings.frozen_days, ref)
            hit = tuple((sched.store.regions.get(region) or {}).get("repair_containers", []))
            asyncio.ensure_future(
                run_repair_job(
                    region, rt.version, rt.repair, scenario_json, current_json, today, hit
                )
            )

    async def run_repair_job(
        region: str,
        version: int,
        cause: str,
        scenario_json: str,
        current_json: str,
        today: str,
        disrupted: tuple[str, ...] = (),
    ) -> None:
        failed = True
        try:
            result = await solvers.run(
                run_repair,
                scenario_json,
                current_json,
                s.settings.repair_time_limit,
                s.settings.frozen_days,
                s.settings.notice_days,
                today,
                disrupted,
            )
            m.solver.labels(region).observe(result["seconds"])
            for gone in result["moves_not_kept"]:  # logistics gets the move events too
                log.warning("repair of %s: booked trip not kept: %s", region, gone)
            proposal = RepairProposed(
                region=region,
                base_version=version,
                cause=cause,
                sessions={
                    r: [Session.model_validate(x, strict=False) for x in v]
                    for r, v in result["sessions"].items()
                },
                lost=result["lost"],
                moves=[ContainerMove.model_validate(x, strict=False) for x in result["moves"]],
            )
            event = envelope(proposal, key=region, source="scheduler-repair")
            value = encode(event)
            if len(value) > MAX_EVENT_BYTES:  # a repair is all or nothing: cannot be split
                raise ValueError(f"repair proposal of {len(value):,} bytes is too large")
            await topics[INTAKE].send(key=region.encode(), value=value)
            failed = False
        except Exception:
            log.exception("repair failed for %s", region)
            m.observe_solver_error(region)
        finally:
            rt = sched.cache.get(region)
            if rt is not None:
                rt.solving = False
                # a failing repair is a bug: retry after 2, 4, 8 ... s (at most
                # 5 min), not every 0.2 s with a traceback each time
                rt.repair_failures = rt.repair_failures + 1 if failed else 0
                delay = min(2.0**rt.repair_failures, 300.0) if failed else 0.0
                rt.repair_not_before = time.monotonic() + delay

    def size_on_the_wire(proposal: PlanProposed) -> int:
        return len(encode(envelope(proposal, key=proposal.region, source="scheduler-optimiser")))

    async def run_optimiser(
        region: str, version: int, scenario_json: str, waitlisted: list[str], booked: list[Any]
    ) -> None:
        try:
            result = await solvers.run(
                solve_snapshot,
                scenario_json,
                waitlisted,
                s.settings.optimiser_time_limit,
                s.settings.optimiser_workers,
                s.settings.fair_share,
                booked,
            )
            m.observe_solver(region, result, s.settings.optimiser_time_limit)
            if result["promote"]:
                proposal = PlanProposed(
                    region=region,
                    base_version=version,
                    promote={
                        r: [Session.model_validate(x, strict=False) for x in v]
                        for r, v in result["promote"].items()
                    },
                    moves=[ContainerMove.model_validate(x, strict=False) for x in result["moves"]],
                )
                proposal = fit_proposal(proposal, MAX_EVENT_BYTES, size_on_the_wire)
                if not proposal.promote:
                    raise ValueError(f"no promotion fits {MAX_EVENT_BYTES:,} bytes")
                event = envelope(proposal, key=region, source="scheduler-optimiser")
                await topics[INTAKE].send(key=region.encode(), value=encode(event))
        except BrokenProcessPool:
            log.warning("solver process died while optimising %s; it restarts", region)
            m.observe_solver_error(region)
            rt = sched.cache.get(region)
            if rt is not None:
                rt.dirty = True  # not this region's fault: try again with the new process
        except Exception:
            log.exception("optimiser failed for %s", region)
            m.observe_solver_error(region)
        finally:
            rt = sched.cache.get(region)
            if rt is not None:
                rt.solving = False

    @app.on_partitions_revoked.connect
    async def on_revoked(app: Any, revoked: Any, **kwargs: Any) -> None:
        sched.forget()

    @app.on_partitions_assigned.connect
    async def on_assigned(app: Any, assigned: Any, **kwargs: Any) -> None:
        sched.forget()

    @app.on_before_shutdown.connect
    async def stop_pool(app: Any, **kwargs: Any) -> None:
        solvers.shutdown()

    @app.task
    async def start_solver() -> None:
        """Start the solver process with the worker, not on the first disruption."""
        await asyncio.wrap_future(solvers.warm())
