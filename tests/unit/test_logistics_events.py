"""Move events: the pure diff, and the logistics service's handlers on plain-dict tables."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest

from schemas.events import (
    DEADLETTER,
    BookingCancellationConfirmed,
    BookingConfirmed,
    CatalogueLoaded,
    DisruptionReported,
    PlanChanged,
    RegionCatalogue,
    ResourceChanged,
    envelope,
)
from schemas.logistics import (
    LOGISTICS,
    MoveCancelled,
    MoveChanged,
    MovePlanned,
    decode_logistics,
)
from schemas.schedule import ContainerMove, Session
from schemas.wire import WireError, decode, encode
from services.logistics.diff import MoveDiff, diff_moves
from services.logistics.handlers import Logistics, Step, Tables
from tests.builders import container, world

D = dt.date.fromisoformat
TODAY = D("2027-01-04")  # Monday; notice 5 working days: departures up to 2027-01-11 locked


def mv(
    box: str, frm: str, to: str, depart: str, ready: str, km: float = 10.0, **extra: Any
) -> ContainerMove:
    data = {"container": box, "from": frm, "to": to, "depart": depart, "ready": ready, "km": km}
    return ContainerMove.model_validate({**data, **extra}, strict=False)


A = mv("box-1", "depot", "near", "2027-01-05", "2027-01-07")
B = mv("box-1", "near", "hub", "2027-01-11", "2027-01-13")
C = mv("box-2", "depot", "far", "2027-01-06", "2027-01-08")


def kinds(diffs: list[MoveDiff]) -> list[tuple[str, str]]:
    return [(d.kind, d.container) for d in diffs]


# -- the diff ------------------------------------------------------------------------
def test_same_plan_gives_no_differences() -> None:
    assert diff_moves([A, B, C], [C, B, A]) == []


def test_new_moves_are_planned_and_dropped_ones_cancelled() -> None:
    diffs = diff_moves([A, C], [A, B])
    assert kinds(diffs) == [("planned", "box-1"), ("cancelled", "box-2")]
    assert diffs[0].move == B and diffs[1].move == C


def test_same_route_on_another_day_is_a_change() -> None:
    later = mv("box-1", "near", "hub", "2027-01-12", "2027-01-14")
    (d,) = diff_moves([A, B], [A, later])
    assert (d.kind, d.before, d.after, d.changed) == ("changed", B, later, ("depart", "ready"))


def test_new_ready_or_km_on_the_same_departure_is_a_change() -> None:
    slower = mv("box-1", "depot", "near", "2027-01-05", "2027-01-08", km=12.0)
    (d,) = diff_moves([A], [slower])
    assert d.kind == "changed" and d.changed == ("ready", "km")


def test_new_destination_is_cancel_plus_plan() -> None:
    elsewhere = mv("box-1", "depot", "far", "2027-01-05", "2027-01-07")
    assert sorted(d.kind for d in diff_moves([A], [elsewhere])) == ["cancelled", "planned"]


def test_closest_departures_are_paired() -> None:
    early = mv("box-1", "depot", "near", "2027-01-04", "2027-01-06")
    late = mv("box-1", "depot", "near", "2027-02-01", "2027-02-03")
    moved = mv("box-1", "depot", "near", "2027-02-02", "2027-02-04")
    (d,) = diff_moves([early, late], [early, moved])
    assert d.kind == "changed" and d.before == late


# -- the handlers ----------------------------------------------------------------------
def catalogue(**changes: Any) -> RegionCatalogue:
    data = world(containers=[container("box-1"), container("box-2")], **changes)
    fields = set(RegionCatalogue.model_fields)
    return RegionCatalogue.model_validate_json(
        json.dumps({k: v for k, v in data.items() if k in fields})
    )


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


def service(tables: Tables | None = None) -> Logistics:
    return Logistics(tables or Tables(), today=lambda: TODAY)


def apply(svc: Logistics, step: Step) -> Step:
    """What the agent does after sending: write the tables."""
    for name, key, value in step.writes:
        table = getattr(svc.store, name)
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    return step


def loaded(svc: Logistics) -> Logistics:
    apply(svc, svc.on_operator_event(CatalogueLoaded(region="r", catalogue=catalogue())))
    return svc


# depot -> far: ~182 road km, 168 truck minutes: 1 working day on the road, 1 of setup
FAR = mv("box-1", "depot", "far", "2027-01-05", "2027-01-07", km=182.0, truck_minutes=168.0)
FAR_LATE = mv("box-1", "depot", "far", "2027-01-12", "2027-01-14", km=182.0, truck_minutes=168.0)


def test_a_plan_gives_move_events_keyed_by_container_with_transit_setup_and_notice() -> None:
    svc = loaded(service())
    step = apply(svc, svc.on_plan(plan(3, [FAR, C])))
    assert [o.topic for o in step.messages] == [LOGISTICS, LOGISTICS]
    assert [o.event.key for o in step.messages] == ["box-1", "box-2"]
    assert [o.event.id for o in step.messages] == ["logistics:r:v3:0", "logistics:r:v3:1"]
    env, payload = decode_logistics(encode(step.messages[0].event))
    assert env.type == "hubplan.container-move.planned.v2"
    assert isinstance(payload, MovePlanned) and payload.plan_version == 3
    m = payload.move
    assert (m.transit_days, m.setup_days, m.driving_minutes, m.locked) == (1, 1, 168.0, True)
    # the same plan again (a redelivery) or an older one: nothing
    assert svc.on_plan(plan(3, [FAR, C])).messages == []
    assert svc.on_plan(plan(2, [])).messages == []


def test_a_rescheduled_move_is_changed_with_its_fields_and_a_dropped_one_cancelled() -> None:
    svc = loaded(service())
    apply(svc, svc.on_plan(plan(1, [FAR])))
    (out,) = apply(svc, svc.on_plan(plan(2, [FAR_LATE]))).messages
    _, changed = decode_logistics(encode(out.event))
    assert isinstance(changed, MoveChanged) and out.event.id == "logistics:r:v2:0"
    assert changed.changed == ["depart", "ready"]
    assert changed.before.locked and not changed.after.locked  # 12 Jan: after the notice
    (out,) = apply(svc, svc.on_plan(plan(3, []))).messages
    _, cancelled = decode_logistics(encode(out.event))
    assert isinstance(cancelled, MoveCancelled) and cancelled.move.depart == FAR_LATE.depart


def test_moves_wait_for_a_catalogue_that_names_their_container() -> None:
    svc = service()
    step = apply(svc, svc.on_plan(plan(4, [FAR])))  # the plans topic was read first
    assert step.outcome == "held" and step.messages == []
    assert svc.store.regions["r"]["waiting_for"] == ["catalogue"]
    step = apply(svc, svc.on_operator_event(CatalogueLoaded(region="r", catalogue=catalogue())))
    assert [o.event.id for o in step.messages] == ["logistics:r:v4:0"]
    assert "announced" not in svc.store.regions["r"]
    # a container the catalogue does not have yet holds the events back too
    new_box = mv("box-9", "depot", "near", "2027-01-05", "2027-01-07")
    assert apply(svc, svc.on_plan(plan(5, [FAR, new_box]))).outcome == "held"
    added = ResourceChanged(
        region="r", kind="container", op="upsert", id="box-9", value=container("box-9")
    )
    step = apply(svc, svc.on_operator_event(added))
    assert [(o.kind, o.event.key, o.event.id) for o in step.messages] == [
        ("planned", "box-9", "logistics:r:v5:0")
    ]


def test_catalogue_changes_the_scheduler_refuses_are_refused() -> None:
    svc = loaded(service())
    before = dict(svc.store.catalogues["r"])
    elsewhere = dict(container("box-3"), start_site="nowhere")
    bad = ResourceChanged(region="r", kind="container", op="upsert", id="box-3", value=elsewhere)
    assert svc.on_operator_event(bad).outcome == "catalogue-unchanged"
    gone = ResourceChanged(region="r", kind="container", op="remove", id="ghost")
    assert svc.on_operator_event(gone).outcome == "catalogue-unchanged"
    assert svc.store.catalogues["r"] == before


def test_a_disruption_that_adds_a_container_reaches_the_catalogue() -> None:
    svc = loaded(service())
    added = DisruptionReported.model_validate(
        {
            "region": "r",
            "disruption": {"kind": "resource-added", "container": container("box-7")},
            "reported_by": "ops",
        }
    )
    apply(svc, svc.on_operator_event(added))
    assert "box-7" in {c["id"] for c in svc.store.catalogues["r"]["containers"]}


def session(day: str, site: str, request: str = "r1", box: str = "box-1") -> Session:
    return Session(request=request, index=0, date=D(day), slot="am", site=site, resource=box)


def test_itineraries_hold_stays_with_their_sessions_and_moves_with_rule_6() -> None:
    svc = loaded(service())
    apply(svc, svc.on_plan(plan(1, [FAR])))
    confirmed = BookingConfirmed(
        request_id="r1", site="far", sessions=[session("2027-01-08", "far")]
    )
    apply(svc, svc.on_decision("r", confirmed))
    on_unit = BookingConfirmed(
        request_id="r2",
        site="hub",
        sessions=[
            Session(
                request="r2", index=0, date=D("2027-01-08"), slot="am", site="hub", resource="dry-1"
            )
        ],
    )
    assert svc.on_decision("r", on_unit).outcome == "sessions-unchanged"  # not a container
    it = svc.store.regions["r"]["itineraries"]["box-1"]
    assert [(s["site"], s["from"], s["to"], s["sessions"]) for s in it["stays"]] == [
        ("depot", "2027-01-04", "2027-01-04", 0),
        ("far", "2027-01-07", "2027-01-15", 1),
    ]
    assert it["stays"][1]["requests"] == ["r1"]
    (move,) = it["moves"]
    assert (move["transit_days"], move["setup_days"], move["driving_minutes"]) == (1, 1, 168.0)
    assert move["locked"] is True and it["unplaced_sessions"] == 0
    assert svc.store.regions["r"]["itineraries"]["box-2"]["moves"] == []
    json.dumps(svc.store.regions["r"])  # plain data, as a Faust table needs
    # a session the moves do not explain yet (the decision came before its plan)
    early = BookingConfirmed(
        request_id="r3", site="far", sessions=[session("2027-01-04", "far", "r3")]
    )
    apply(svc, svc.on_decision("r", early))
    assert svc.store.regions["r"]["itineraries"]["box-1"]["unplaced_sessions"] == 1
    apply(
        svc,
        svc.on_decision(
            "r", BookingCancellationConfirmed(request_id="r3", site="far", freed_sessions=1)
        ),
    )
    assert "r/r3" not in svc.store.sessions
    assert svc.store.regions["r"]["itineraries"]["box-1"]["unplaced_sessions"] == 0


def test_garbage_on_the_plans_topic_is_dead_lettered() -> None:
    svc = service()
    (out,) = svc.dead_letter(b"{not json", b"r", ("hubplan.plans", 2, 7), "not-json", []).messages
    assert out.topic == DEADLETTER
    _, dead = decode(encode(out.event))
    assert dead.reason == "not-json" and dead.offset == 7  # type: ignore[attr-defined]
    raw = b'{"big": "' + b"x" * 600_000 + b'"}'
    (out,) = svc.dead_letter(raw, b"r", ("hubplan.plans", 0, 3), "too-large", []).messages
    _, dead = decode(encode(out.event))
    assert base64.b64decode(dead.original_base64) == raw[: 64 * 1024]  # type: ignore[attr-defined]


def test_logistics_decoder_rejects_foreign_and_broken_messages() -> None:
    with pytest.raises(WireError, match="unknown-type"):
        decode_logistics(encode(envelope(plan(1, []), key="r", source="scheduler")))
    with pytest.raises(WireError):
        decode_logistics(None)
    svc = loaded(service())
    bad = json.loads(encode(svc.on_plan(plan(1, [FAR])).messages[0].event))
    bad["data"]["move"]["transit_days"] = 0
    with pytest.raises(WireError, match="schema-invalid"):
        decode_logistics(json.dumps(bad).encode())


# -- comparing two plans (hubplan moves --compare, GET .../changes) ---------------------
def test_compare_names_new_changed_and_cancelled_moves_as_orders() -> None:
    from services.logistics.changes import changes_csv, compare_moves
    from services.logistics.errors import UnknownReferenceError
    from tests.builders import parse

    scenario = parse(world(containers=[container("box-1"), container("box-2")]))
    box2 = mv("box-2", "depot", "near", "2027-01-06", "2027-01-08")
    found = compare_moves(scenario, [FAR, box2], [FAR_LATE], baseline="old.json", today=TODAY)
    assert [m.container for m in found.cancelled] == ["box-2"] and found.new == []
    (changed,) = found.changed
    assert changed.changed == ["depart", "ready"] and not changed.after.locked
    assert changed.before.locked  # departs inside the notice period of TODAY
    only = compare_moves(
        scenario, [FAR, box2], [FAR_LATE], baseline="x", today=TODAY, container="box-2"
    )
    assert (only.changed, [m.container for m in only.cancelled]) == ([], ["box-2"])
    window = compare_moves(
        scenario, [FAR, box2], [FAR_LATE], baseline="x", today=TODAY, since=D("2027-01-10")
    )
    assert len(window.changed) == 1 and window.cancelled == []  # box-2 left on the 6th
    rows = changes_csv(found).splitlines()
    assert rows[0].startswith("change,container,from,to,depart") and len(rows) == 3
    with pytest.raises(UnknownReferenceError, match="container 'ghost'"):
        compare_moves(
            scenario,
            [],
            [mv("ghost", "depot", "near", "2027-01-05", "2027-01-07")],
            baseline="x",
            today=TODAY,
        )
