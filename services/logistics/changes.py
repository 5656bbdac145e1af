"""What changed in the container moves between two plans: "what changed since yesterday".

Pure: two lists of moves in, a :class:`MoveChanges` out, with the same
identity rules as the move events (``diff.py``: same route and departure is
the same move, same route on another day was rescheduled, the rest are new
or cancelled) and each move stated as a transport order (``book.py``).
``hubplan moves --compare OLD.json`` compares two schedule files; the
gateway's ``/v1/logistics/{region}/changes?since=`` compares the live plan
with the plan that was live at a moment.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable

from schemas.logistics import MoveChanged, MovePlanned, PlannedMove
from schemas.scenario import Scenario
from schemas.schedule import ContainerMove
from services.logistics.book import move_events, unknown_references
from services.logistics.diff import diff_moves
from services.logistics.errors import UnknownReferenceError
from services.logistics.itinerary import DEFAULT_NOTICE_DAYS
from services.logistics.models import CHANGE_COLUMNS, ChangedMove, MoveChanges


def compare_moves(
    scenario: Scenario,
    old: Iterable[ContainerMove],
    new: Iterable[ContainerMove],
    *,
    baseline: str,
    today: dt.date,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    container: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    versions: tuple[int | None, int | None] = (None, None),
) -> MoveChanges:
    """The moves ``new`` added, changed and dropped compared with ``old``.

    ``container`` keeps one container's; ``since``/``until`` keep changes
    whose old or new departure falls in the window.
    """
    old, new = list(old), list(new)
    boxes = [c.id for c in scenario.containers]
    if container is not None and container not in boxes:
        raise UnknownReferenceError("container", container, boxes)
    for ref in unknown_references(scenario, [*old, *new]):
        kind, ident = ref.split(" ", 1)
        known = boxes if kind == "container" else [s.id for s in scenario.sites]
        raise UnknownReferenceError(kind, ident, known)
    events = move_events(
        scenario,
        [d for d in diff_moves(old, new) if container in (None, d.container)],
        region=scenario.sites[0].region,  # the events are only a carrier here
        version=0,
        today=today,
        notice_days=notice_days,
    )

    def inside(*moves: PlannedMove) -> bool:
        return any(
            (not since or m.depart >= since) and (not until or m.depart <= until) for m in moves
        )

    added: list[PlannedMove] = []
    changed: list[ChangedMove] = []
    cancelled: list[PlannedMove] = []
    for e in events:
        if isinstance(e, MoveChanged):
            if inside(e.before, e.after):
                changed.append(
                    ChangedMove(
                        container=e.container, before=e.before, after=e.after, changed=e.changed
                    )
                )
        elif inside(e.move):
            (added if isinstance(e, MovePlanned) else cancelled).append(e.move)
    return MoveChanges(
        scenario=scenario.name or "scenario",
        baseline=baseline,
        baseline_version=versions[0],
        version=versions[1],
        today=today,
        notice_days=notice_days,
        new=added,
        changed=changed,
        cancelled=cancelled,
    )


def changes_json(changes: MoveChanges) -> str:
    return changes.model_dump_json(indent=2, by_alias=True) + "\n"


def changes_csv(changes: MoveChanges) -> str:
    """One row per change: the move as it is now (as it was, for a cancelled one)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CHANGE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    rows: list[tuple[str, PlannedMove, PlannedMove | None, list[str]]] = [
        *(("new", m, None, []) for m in changes.new),
        *(("changed", c.after, c.before, list(c.changed)) for c in changes.changed),
        *(("cancelled", m, None, []) for m in changes.cancelled),
    ]
    for kind, move, before, fields in sorted(rows, key=lambda r: (r[1].depart, r[1].container)):
        row = move.model_dump(mode="json", by_alias=True)
        row["locked"] = "true" if move.locked else "false"
        writer.writerow(
            {
                **row,
                "change": kind,
                "before_depart": before.depart.isoformat() if before else "",
                "before_ready": before.ready.isoformat() if before else "",
                "changed": " ".join(fields),
            }
        )
    return buf.getvalue()
