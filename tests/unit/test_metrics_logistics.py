"""The logistics consumer counts what it handles and the move events it makes."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from services.logistics.metrics import LogisticsMetrics


def test_counts_plans_and_move_events_by_kind() -> None:
    m = LogisticsMetrics(CollectorRegistry())
    get = m.registry.get_sample_value
    # exported at 0 from the start: the first event is an increase rate() can see
    assert get("hubplan_logistics_move_events_total", {"kind": "changed"}) == 0
    m.observe(2, 41, ["hubplan.logistics", "hubplan.logistics"], ["planned", "cancelled"], None)
    m.observe(2, 42, ["hubplan.deadletter"], [], "not-json")
    m.sent(["planned"])  # a plan held back for its catalogue, announced from the intake
    assert get("hubplan_logistics_plans_total", {"outcome": "ok"}) == 1
    assert get("hubplan_logistics_plans_total", {"outcome": "dead-letter"}) == 1
    assert get("hubplan_logistics_move_events_total", {"kind": "planned"}) == 2
    assert get("hubplan_logistics_move_events_total", {"kind": "cancelled"}) == 1
    assert get("hubplan_logistics_last_offset", {"partition": "2"}) == 42
    # the family the dead-letter panels and the DLQ alert read, by reason
    assert get("hubplan_deadletter_messages_total", {"reason": "not-json"}) == 1
    assert get("hubplan_deadletter_messages_total", {"reason": "schema-invalid"}) == 0


def test_the_served_registry_has_the_process_start_time_the_restart_alert_reads() -> None:
    """HubplanWorkerRestarting counts changes of process_start_time_seconds for the
    scheduler and logistics jobs; logistics serves its own registry, so it adds them."""
    m = LogisticsMetrics(CollectorRegistry())
    assert m.registry.get_sample_value("process_start_time_seconds") is None
    m.add_process_metrics()
    assert (m.registry.get_sample_value("process_start_time_seconds") or 0) > 0
