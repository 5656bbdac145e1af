"""Norwegian public holidays and county school calendars as spec date ranges.

Scenarios need the days nobody trains (``closed``) and the days a school's
pupils are away (``calendars``). Both are returned as the spec's inclusive
ranges ``{"from", "to", "reason"}`` so they drop straight into a scenario.

Public holidays follow the law (helligdagsloven + 1 and 17 May): fixed dates
plus the Easter-based ones, with Easter from the Gregorian computus.

School breaks use the county facts of ``norway-sites.json``
(``calendar_facts_2026_27``). Where the file gives exact dates they are used
for school year 2026/27; otherwise, and for other years, a rule stands in.
Every fallback is named in the docstring of the helper that applies it.
A *school year* ``y`` runs from August ``y`` to June ``y + 1``.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from services.scenarios.facts import calendar_facts

DateRange = TypedDict("DateRange", {"from": str, "to": str, "reason": str})

FACTS_SCHOOL_YEAR = 2026  # the year the file's calendar_facts_2026_27 describe

DEFAULT_AUTUMN_WEEK = 40  # Agder and Østfold use week 40; the file has no week for others
DEFAULT_WINTER_WEEK = 8  # week 8 is what Agder, Telemark/Vestfold and Østfold use
DEFAULT_FIRST_DAY_WEEK = 34  # Vestfold 2026 starts Mon 17 Aug = Monday of week 34
# Rogaland moved its break to week 7 in 2026/27 only because Easter is early;
# "normally week 9" (Sandnes school notice, minskole.no/hana). Not in the file.
USUAL_WINTER_WEEK = {"rogaland": 9}


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday of a Gregorian year (anonymous Gregorian computus).

    Norway's moveable holidays all hang off this date, so it must be exact
    for any year a scenario may cover, not a lookup table.
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def public_holiday_dates(year: int) -> list[tuple[dt.date, str]]:
    """Every public holiday of ``year`` with an ASCII reason, in date order.

    Sundays (1. påskedag, 1. pinsedag) are listed too: they are holidays in
    law, and a scenario that allows weekend sessions must still skip them.
    """
    easter = easter_sunday(year)
    days = [
        (dt.date(year, 1, 1), "nyttarsdag"),
        (easter - dt.timedelta(days=3), "skjaertorsdag"),
        (easter - dt.timedelta(days=2), "langfredag"),
        (easter, "forste-paskedag"),
        (easter + dt.timedelta(days=1), "andre-paskedag"),
        (dt.date(year, 5, 1), "arbeidernes-dag"),
        (dt.date(year, 5, 17), "grunnlovsdag"),
        (easter + dt.timedelta(days=39), "kristi-himmelfartsdag"),
        (easter + dt.timedelta(days=49), "forste-pinsedag"),
        (easter + dt.timedelta(days=50), "andre-pinsedag"),
        (dt.date(year, 12, 25), "forste-juledag"),
        (dt.date(year, 12, 26), "andre-juledag"),
    ]
    return sorted(days)


def public_holidays(year: int) -> list[DateRange]:
    """Public holidays of ``year`` as one-day closed ranges.

    Two holidays on one date (17 May is also 2. pinsedag in 2027) become one
    range naming both, so a date never appears twice in ``closed``.
    """
    merged: dict[dt.date, list[str]] = {}
    for day, reason in public_holiday_dates(year):
        merged.setdefault(day, []).append(reason)
    return [_range(day, day, ", ".join(reasons)) for day, reasons in sorted(merged.items())]


def closed_ranges(start: dt.date, end: dt.date) -> list[DateRange]:
    """Public holidays falling in ``[start, end]``, for a scenario's ``closed``."""
    out: list[DateRange] = []
    for year in range(start.year, end.year + 1):
        out += [r for r in public_holidays(year) if _overlaps(r, start, end)]
    return out


def autumn_break(county: str, school_year: int) -> DateRange:
    """Høstferie: Monday-Friday of the county's autumn week.

    Fallback: week 40 (``DEFAULT_AUTUMN_WEEK``) where the file names no week
    (Nordland, Rogaland; Vestland's week 41 is its 2025/26 pattern, used as is).
    """
    facts = calendar_facts(county)
    week = int(facts.get("autumn_break_week") or _note_week(facts, "autumn") or DEFAULT_AUTUMN_WEEK)
    monday = dt.date.fromisocalendar(school_year, week, 1)
    return _range(monday, monday + dt.timedelta(days=4), "hostferie")


def christmas_break(county: str, school_year: int) -> DateRange:
    """Juleferie, from the day after the last school day to the day before the first.

    Exact dates from the file for Agder 2026/27 (19 Dec - 4 Jan: school starts
    Tuesday 5 January). Fallback: the last school day is the last weekday on
    or before 20 December and school starts on the first weekday on or after
    3 January, which matches the published 2023-2027 rutes we checked.
    """
    facts = calendar_facts(county)
    if school_year == FACTS_SCHOOL_YEAR and "christmas" in facts:
        first, last = facts["christmas"]
        return _range(dt.date.fromisoformat(first), dt.date.fromisoformat(last), "juleferie")
    last_day = _weekday_on_or_before(dt.date(school_year, 12, 20))
    first_day = _weekday_on_or_after(dt.date(school_year + 1, 1, 3))
    return _range(last_day + dt.timedelta(days=1), first_day - dt.timedelta(days=1), "juleferie")


def winter_break(county: str, school_year: int) -> DateRange:
    """Vinterferie: exact 2026/27 dates where given, else Monday-Friday of a week.

    The week is, in order: the file's ``winter_break_week``; the ISO week of
    the file's exact dates; for years other than 2026/27 the county's usual
    week (``USUAL_WINTER_WEEK``); else week 8 (``DEFAULT_WINTER_WEEK``).
    """
    facts = calendar_facts(county)
    exact = facts.get("winter_break")
    if school_year == FACTS_SCHOOL_YEAR and exact:
        return _range(
            dt.date.fromisoformat(exact[0]), dt.date.fromisoformat(exact[1]), "vinterferie"
        )
    week = DEFAULT_WINTER_WEEK
    if exact:
        week = dt.date.fromisoformat(exact[0]).isocalendar()[1]
    if facts.get("winter_break_week"):
        week = int(facts["winter_break_week"])
    if school_year != FACTS_SCHOOL_YEAR and county in USUAL_WINTER_WEEK:
        week = USUAL_WINTER_WEEK[county]
    monday = dt.date.fromisocalendar(school_year + 1, week, 1)
    return _range(monday, monday + dt.timedelta(days=4), "vinterferie")


def easter_break(county: str, school_year: int) -> DateRange:
    """Påskeferie: for schools, Monday of Holy Week through Easter Monday.

    Exact 2026/27 dates from the file win (Agder adds the Tuesday after
    Easter: 22-30 March 2027; Telemark/Vestfold 22-29 March).
    """
    facts = calendar_facts(county)
    if school_year == FACTS_SCHOOL_YEAR and "easter" in facts:
        first, last = facts["easter"]
        return _range(dt.date.fromisoformat(first), dt.date.fromisoformat(last), "paskeferie")
    easter = easter_sunday(school_year + 1)
    return _range(easter - dt.timedelta(days=6), easter + dt.timedelta(days=1), "paskeferie")


def summer_break(county: str, year: int) -> DateRange:
    """Sommerferie of ``year``: the day after the last school day to the day before the first.

    Exact ``last_day``/``first_day`` from the file where it has them
    (2026/27). Fallbacks: the last school day is the last Friday on or before
    21 June; the first is the Monday of week 34 (``DEFAULT_FIRST_DAY_WEEK``).
    """
    facts = calendar_facts(county)
    if year == FACTS_SCHOOL_YEAR + 1 and "last_day" in facts:
        last_day = dt.date.fromisoformat(facts["last_day"])
    else:
        last_day = _friday_on_or_before(dt.date(year, 6, 21))
    if year == FACTS_SCHOOL_YEAR and "first_day" in facts:
        first_day = dt.date.fromisoformat(facts["first_day"])
    else:
        first_day = dt.date.fromisocalendar(year, DEFAULT_FIRST_DAY_WEEK, 1)
    return _range(last_day + dt.timedelta(days=1), first_day - dt.timedelta(days=1), "sommerferie")


def school_calendar(county: str, start: dt.date, end: dt.date) -> list[DateRange]:
    """All vgs breaks of a county that touch ``[start, end]``, in date order."""
    out: list[DateRange] = []
    for school_year in range(start.year - 1, end.year + 1):
        out += [
            autumn_break(county, school_year),
            christmas_break(county, school_year),
            winter_break(county, school_year),
            easter_break(county, school_year),
            summer_break(county, school_year + 1),
        ]
    return _touching(out, start, end)


def fagskole_calendar(county: str, start: dt.date, end: dt.date) -> list[DateRange]:
    """Breaks of a fagskole: Christmas, Easter and summer only.

    Assumption (the file says nothing on fagskole terms): fagskoler teach
    adults and follow no county autumn or winter break, but close with the
    schools at Christmas, Easter and in summer.
    """
    out: list[DateRange] = []
    for school_year in range(start.year - 1, end.year + 1):
        out += [
            christmas_break(county, school_year),
            easter_break(county, school_year),
            summer_break(county, school_year + 1),
        ]
    return _touching(out, start, end)


def _note_week(facts: dict[str, object], season: str) -> int | None:
    """A week number in a free-text note such as '2025/26 pattern: autumn week 41'."""
    note = str(facts.get("note", ""))
    marker = f"{season} week "
    if marker in note:
        digits = note.split(marker, 1)[1].split(",")[0].split()[0]
        return int(digits) if digits.isdigit() else None
    return None


def _touching(ranges: list[DateRange], start: dt.date, end: dt.date) -> list[DateRange]:
    kept = [r for r in ranges if _overlaps(r, start, end)]
    return sorted(kept, key=lambda r: r["from"])


def _overlaps(r: DateRange, start: dt.date, end: dt.date) -> bool:
    return r["from"] <= end.isoformat() and r["to"] >= start.isoformat()


def _range(first: dt.date, last: dt.date, reason: str) -> DateRange:
    return {"from": first.isoformat(), "to": last.isoformat(), "reason": reason}


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _friday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)
