"""Every dead-letter reason the code can emit is a known label, exported at 0.

A reason missing from ``schemas.wire.DEADLETTER_REASONS`` gets its series only
with its first dead letter, at 1: ``increase()`` never sees that one (the
HubplanDeadLetters alert and the DLQ panels missed "too-large" and
"output-too-large" so). The reasons are found in the source, where messages
are dead-lettered: ``WireError("...")``, ``InvalidEvent("...")``,
``dead_letter=("...", ...)``, ``dead_letter(..., "...", ...)``, and a
``reason = "..."`` the logistics agent hands on.
"""

from __future__ import annotations

import ast
from pathlib import Path

from prometheus_client import CollectorRegistry

from schemas.wire import DEADLETTER_REASONS, WIRE_REASONS
from services.logistics.metrics import LogisticsMetrics
from services.scheduler.metrics import SchedulerMetrics

ROOT = Path(__file__).resolve().parents[2]
RAISERS = {"WireError", "InvalidEvent"}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def reasons_in(tree: ast.AST) -> set[str]:
    found: set[str | None] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in RAISERS and node.args:
                found.add(_text(node.args[0]))
            if name == "dead_letter":
                found |= {_text(a) for a in node.args}
            for kw in node.keywords:
                if kw.arg == "dead_letter" and isinstance(kw.value, ast.Tuple):
                    found.add(_text(kw.value.elts[0]))
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "reason" for t in node.targets
        ):
            found.add(_text(node.value))
    return {r for r in found if r is not None}


def emitted() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in sorted([*(ROOT / "services").rglob("*.py"), *(ROOT / "schemas").rglob("*.py")]):
        for reason in reasons_in(ast.parse(path.read_text(), str(path))):
            out.setdefault(reason, set()).add(str(path.relative_to(ROOT)))
    return out


def test_the_scan_finds_each_kind_of_site() -> None:
    code = """
raise WireError("a")
raise InvalidEvent("b", [])
Outcome([], "x", dead_letter=("c", errors))
await dead_letter(raw, key, message, "d", errors)
reason = "e"
"""
    assert reasons_in(ast.parse(code)) == {"a", "b", "c", "d", "e"}


def test_every_reason_the_code_emits_is_a_known_reason_and_none_is_stale() -> None:
    found = emitted()
    assert {"too-large", "output-too-large", "handler-error", "not-json"} <= set(found)
    unknown = {r: sorted(where) for r, where in found.items() if r not in DEADLETTER_REASONS}
    assert unknown == {}, "add these to schemas.wire (WireReason or ConsumerReason)"
    # every decode reason is raised in schemas/wire.py itself; the rest somewhere
    assert set(DEADLETTER_REASONS) - set(found) == set(), "listed, never emitted"
    assert len(set(DEADLETTER_REASONS)) == len(DEADLETTER_REASONS)


def test_every_reason_is_exported_at_zero_by_every_service_that_dead_letters() -> None:
    for service in (SchedulerMetrics, LogisticsMetrics):
        registry = CollectorRegistry()
        service(registry)
        for reason in DEADLETTER_REASONS:
            value = registry.get_sample_value(
                "hubplan_deadletter_messages_total", {"reason": reason}
            )
            assert value == 0, (service.__name__, reason)


def test_undecodable_events_are_exported_at_zero_for_every_decode_reason() -> None:
    """The scheduler counts an undecodable intake event as events_total{type="undecodable",
    outcome=<reason>}: at 0 from the start, so rate() sees the first burst."""
    registry = CollectorRegistry()
    SchedulerMetrics(registry)
    for reason in WIRE_REASONS:
        labels = {"type": "undecodable", "outcome": reason}
        assert registry.get_sample_value("hubplan_events_total", labels) == 0, reason
