"""The waitlist: first come first served across shapes, one try per shape."""

from __future__ import annotations

import json

from schemas.scenario import Request
from services.scheduler.waitlist import Waitlist
from tests.builders import request


def _req(rid: str, minute: int, **fields: object) -> Request:
    data = request(rid, submitted_at=f"2026-11-01T10:{minute:02d}:00+01:00", **fields)
    return Request.model_validate_json(json.dumps(data))


def test_behaves_as_a_set_in_first_come_order() -> None:
    w = Waitlist()
    for r in (_req("late", 30), _req("early", 5), _req("mid", 10, site="far")):
        w.add(r)
    w.add(_req("early", 5))  # again: no duplicate
    assert w.in_order() == ["early", "mid", "late"] and len(w) == 3
    w.discard("mid")
    w.discard("never-there")
    assert "mid" not in w and "late" in w and set(w) == {"early", "late"}


def test_promote_tries_shapes_first_come_and_gives_up_on_a_shape_that_fails() -> None:
    w = Waitlist()
    near = [_req(f"n{i}", i) for i in (1, 3, 5)]  # one shape
    far = [_req(f"f{i}", i, site="far") for i in (2, 4)]  # another
    for r in near + far:
        w.add(r)
    tried: list[str] = []
    room = {"n1", "f2", "n3"}  # n5 and f4 do not fit

    def fits(rid: str) -> bool:
        tried.append(rid)
        return rid in room

    assert w.promote(fits, lambda rid: True) == ["n1", "f2", "n3"]
    assert tried == ["n1", "f2", "n3", "f4", "n5"]
    assert w.in_order() == ["f4", "n5"]
    tried.clear()
    assert w.promote(fits, lambda rid: rid.startswith("n")) == []
    assert tried == ["n5"]  # the far shape was not worth trying


def test_promote_can_skip_other_equipment_types_without_asking() -> None:
    w = Waitlist()
    w.add(_req("dry", 1))
    w.add(_req("plc", 2, equipment_type="plc-rig"))
    asked: list[str] = []

    def worth_trying(rid: str) -> bool:
        asked.append(rid)
        return True

    assert w.promote(lambda rid: True, worth_trying, types={"plc-rig"}) == ["plc"]
    assert asked == ["plc"] and w.in_order() == ["dry"]
    w.discard("dry")
    assert w.promote(lambda rid: True, worth_trying, types={"dry-room"}) == []
