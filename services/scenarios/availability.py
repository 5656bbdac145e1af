"""Unavailable ranges that shape how much of a resource's time is on offer.

Hub labs belong to schools and are lent on fixed weekdays; containers are
hired out to industry in blocks of weeks. These helpers pick the closed dates
for an open ``fraction`` and merge them into the spec's inclusive ranges.
"""

from __future__ import annotations

import datetime as dt
import random

from services.scenarios.holidays import DateRange


def blocked_weekdays(
    open_days: list[dt.date], fraction: float, rng: random.Random
) -> list[dt.date]:
    """Dates a hub unit is kept for its school, leaving about ``fraction`` open.

    A school lends its lab on fixed weekdays (say Tue-Wed) every week, which
    any 2-8 week window can use; below one day a week it lends one day in
    every second or third week instead, evenly spaced.
    """
    if fraction >= 0.999 or not open_days:
        return []
    weeks = sorted({d.isocalendar()[:2] for d in open_days})
    per_week = 5 * fraction
    if per_week >= 1:
        days_open = int(per_week) + (rng.random() < per_week - int(per_week))
        keep_weeks = set(weeks)
    else:
        days_open = 1
        count = max(1, round(per_week * len(weeks)))
        step = len(weeks) / count
        offset = rng.random() * step
        keep_weeks = {weeks[min(len(weeks) - 1, int(offset + i * step))] for i in range(count)}
    first_day = rng.randint(0, 5 - days_open)
    return [
        d
        for d in open_days
        if d.isocalendar()[:2] not in keep_weeks
        or not first_day <= d.weekday() < first_day + days_open
    ]


def blocked_weeks(working: list[dt.date], fraction: float, rng: random.Random) -> list[dt.date]:
    """Dates a container is hired out, in whole weeks, leaving about ``fraction`` open.

    Hire comes in blocks: the open weeks form one run, or two when there are
    four or more, so the lab is available in both halves of a long term.
    """
    if fraction >= 0.999 or not working:
        return []
    weeks = sorted({d.isocalendar()[:2] for d in working})
    count = max(1, min(len(weeks), round(fraction * len(weeks))))
    halves = [weeks] if count < 4 else [weeks[: len(weeks) // 2], weeks[len(weeks) // 2 :]]
    keep: set[tuple[int, int]] = set()
    for i, half in enumerate(halves):
        run = min(len(half), count // len(halves) + (i < count % len(halves)))
        first = rng.randint(0, len(half) - run)
        keep.update(half[first : first + run])
    return [d for d in working if d.isocalendar()[:2] not in keep]


def to_ranges(dates: list[dt.date], reason: str) -> list[DateRange]:
    """Merge dates into ranges; a weekend between two dates does not split a range."""
    out: list[DateRange] = []
    run_start = run_end = None
    for day in sorted(dates):
        if run_end is not None and all(
            (run_end + dt.timedelta(days=k)).weekday() >= 5 for k in range(1, (day - run_end).days)
        ):
            run_end = day
            continue
        if run_start is not None and run_end is not None:
            out.append(date_range(run_start, run_end, reason))
        run_start = run_end = day
    if run_start is not None and run_end is not None:
        out.append(date_range(run_start, run_end, reason))
    return out


def open_count(unavailable: list[DateRange], working: list[dt.date]) -> int:
    spans = [(r["from"], r["to"]) for r in unavailable]
    return sum(not any(a <= d.isoformat() <= b for a, b in spans) for d in working)


def date_range(first: dt.date, last: dt.date, reason: str) -> DateRange:
    return {"from": first.isoformat(), "to": last.isoformat(), "reason": reason}
