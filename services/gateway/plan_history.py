"""Each region's container moves over time, for "what changed since yesterday".

The read side replays ``hubplan.plans`` from the beginning at every start
(retention is unlimited, no compaction), and every ``PlanChanged`` carries
all of its region's moves and the time it was published. Keeping, per
region, the moves each time they changed (not every plan: most plans change
only bookings) gives the plan that was live at any moment, and a restarted
gateway rebuilds the same history from the log. Memory grows with the
number of times the moves changed, not with the number of bookings.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from schemas.events import PlanChanged


@dataclass(frozen=True)
class MovesAt:
    time: dt.datetime  # when the plan with these moves was published (UTC)
    version: int
    moves: list[dict[str, Any]]


@dataclass
class PlanHistory:
    moves: dict[str, list[MovesAt]] = field(default_factory=dict)
    latest: dict[str, tuple[dt.datetime, int]] = field(default_factory=dict)  # any plan

    def record(self, time: dt.datetime, plan: PlanChanged) -> None:
        region = plan.region
        last = self.latest.get(region)
        if last is not None and plan.version < last[1]:
            return  # an older plan announced again (a rebalance): not news
        self.latest[region] = (time, plan.version)
        moves = [m.model_dump(mode="json", by_alias=True, exclude_none=True) for m in plan.moves]
        history = self.moves.setdefault(region, [])
        if history and history[-1].moves == moves:
            return
        history.append(MovesAt(time, plan.version, moves))

    def at(self, region: str, when: dt.datetime) -> MovesAt | None:
        """The moves live at ``when`` (None: the region had no plan yet)."""
        history = self.moves.get(region, [])
        i = bisect.bisect_right([h.time for h in history], when)
        return history[i - 1] if i else None

    def now(self, region: str) -> MovesAt | None:
        history = self.moves.get(region)
        return history[-1] if history else None

    def changed_at(self, region: str) -> dt.datetime | None:
        """When the region's plan (moves or bookings) last changed."""
        last = self.latest.get(region)
        return last[0] if last else None
