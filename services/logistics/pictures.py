"""Pictures of the container plan: a Gantt chart here, the map in ``mapview``.

One row per container over the horizon: coloured bars for stays (one
colour per site), dark red for transit, orange for setup, ticks for
sessions, grey columns for non-working days. Every bar carries a tooltip,
and the legend names every site, so the SVG is readable without the plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

from schemas.scenario import Scenario, Site
from services.logistics.drawing import Drawing, text_width
from services.logistics.itinerary import is_working
from services.logistics.mapview import site_map
from services.logistics.models import Itinerary

__all__ = ["gantt_chart", "save", "site_colours", "site_map"]

PALETTE = (
    "#4e79a7",
    "#59a14f",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#9c755f",
    "#ff9da7",
    "#86bcb6",
    "#8cd17d",
    "#a0cbe8",
    "#d4a6c8",
    "#bab0ac",
)
TRANSIT, SETUP, OFF_DAY, TICK = "#b22222", "#f28e2b", "#eeeeee", "#1b1b1b"
LABEL_W, TOP, ROW_H, BAR_H, REGION_H = 250, 92, 34, 18, 22
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def site_colours(scenario: Scenario) -> dict[str, str]:
    """A stable colour per site: by position in the scenario, so reruns match."""
    return {s.id: PALETTE[i % len(PALETTE)] for i, s in enumerate(scenario.sites)}


def gantt_chart(
    scenario: Scenario,
    itineraries: Mapping[str, Itinerary],
    *,
    today: dt.date | None = None,
    title: str | None = None,
) -> Drawing:
    """Stays, transits and setups of every container over the horizon."""
    start, end = scenario.horizon.start, scenario.horizon.end
    ndays = (end - start).days + 1
    day_px = min(22.0, max(5.0, 900 / ndays))
    regions = sorted({it.region for it in itineraries.values()})
    rows = len(itineraries) * ROW_H + len(regions) * REGION_H
    colours = site_colours(scenario)
    used = [
        s
        for s in scenario.sites
        if any(st.site == s.id for it in itineraries.values() for st in it.stays)
    ]
    col_w = max([text_width(_legend_label(s), 10) + 40 for s in used] + [200.0])
    width = max(LABEL_W + ndays * day_px + 24, col_w + 32)
    legend_cols = max(1, int((width - 32) // col_w))
    legend_h = 40 + 18 * (-(-len(used) // legend_cols) + 1)
    d = Drawing(
        width, TOP + rows + legend_h, title=title or f"Container labs - {scenario.name or 'plan'}"
    )

    def x_of(day: dt.date) -> float:
        return LABEL_W + (day - start).days * day_px

    d.text(16, 24, d.title, size=16, bold=True)
    d.text(
        16,
        42,
        f"{start.isoformat()} to {end.isoformat()}, {len(itineraries)} container(s)",
        size=11,
        fill="#555",
    )
    _calendar_axis(d, scenario, x_of, day_px, TOP + rows)
    y = TOP
    for region in regions:
        d.text(16, y + 15, f"region {region}", size=11, bold=True, fill="#444")
        d.line((16, y + REGION_H - 2), (width - 8, y + REGION_H - 2), stroke="#cccccc")
        y += REGION_H
        for box in sorted(b for b, it in itineraries.items() if it.region == region):
            _row(d, scenario, itineraries[box], y, x_of, day_px, colours)
            y += ROW_H
    if today is not None and start <= today <= end:
        d.line(
            (x_of(today), TOP - 6),
            (x_of(today), TOP + rows),
            stroke=TRANSIT,
            width=1.5,
            dash=True,
            tip=f"today {today.isoformat()}",
        )
        d.text(x_of(today) + 3, TOP + 12, "today", size=9, fill=TRANSIT)
    _legend(d, used, colours, TOP + rows + 24, legend_cols, col_w)
    return d


XOf = Callable[[dt.date], float]


def _calendar_axis(d: Drawing, sc: Scenario, x_of: XOf, day_px: float, bottom: float) -> None:
    """Month and ISO-week labels on top, grey columns for days without work."""
    start, end = sc.horizon.start, sc.horizon.end
    day, run_start = start, None
    while day <= end + dt.timedelta(days=1):
        off = day <= end and not is_working(sc, day)
        if off and run_start is None:
            run_start = day
        if not off and run_start is not None:
            reasons = {r.reason for r in sc.closed if r.from_ <= run_start <= r.to and r.reason}
            tip = f"no work {run_start.isoformat()} to {(day - dt.timedelta(days=1)).isoformat()}"
            d.rect(
                x_of(run_start),
                TOP,
                (day - run_start).days * day_px,
                bottom - TOP,
                fill=OFF_DAY,
                tip=tip + (f": {', '.join(sorted(reasons))}" if reasons else ""),
            )
            run_start = None
        if day <= end and (day == start or day.day == 1):
            d.text(
                x_of(day) + 3, TOP - 22, f"{MONTHS[day.month - 1]} {day.year}", size=11, bold=True
            )
            d.line((x_of(day), TOP - 36), (x_of(day), bottom), stroke="#bbbbbb")
        if day <= end and day.isoweekday() == 1:
            d.line((x_of(day), TOP - 16), (x_of(day), bottom), stroke="#dddddd", width=0.8)
            if 7 * day_px >= 26:
                d.text(x_of(day) + 2, TOP - 6, f"W{day.isocalendar()[1]}", size=9, fill="#666")
        day += dt.timedelta(days=1)


def _row(
    d: Drawing,
    sc: Scenario,
    it: Itinerary,
    y: float,
    x_of: XOf,
    day_px: float,
    colours: dict[str, str],
) -> None:
    km = sum(leg.km for leg in it.legs)
    d.text(16, y + 15, it.container, size=12, bold=True)
    d.text(
        16, y + 28, f"from {it.start_site}, {len(it.legs)} moves, {km:,.0f} km", size=9, fill="#666"
    )
    top = y + (ROW_H - BAR_H) / 2
    for st in it.stays:
        x0, x1 = x_of(st.start), x_of(st.end) + day_px
        tip = (
            f"{it.container} at {st.site_name} ({st.site}), {st.start.isoformat()} to "
            f"{st.end.isoformat()}: {len(st.sessions)} session(s)"
        )
        d.rect(x0, top, x1 - x0, BAR_H, fill=colours[st.site], stroke="#ffffff", tip=tip)
        label = st.site
        while label and text_width(label, 9) > x1 - x0 - 6:
            label = label[:-1]
        if len(label) >= 4:
            d.text(
                x0 + 3,
                top + 12.5,
                label if label == st.site else label[:-1] + "…",
                size=9,
                fill="#111",
            )
        for day in sorted({s.date for s in st.sessions}):
            d.rect(
                x_of(day) + day_px / 2 - 1,
                top + BAR_H - 5,
                2,
                5,
                fill=TICK,
                tip=", ".join(f"{s.request} {s.slot}" for s in st.sessions if s.date == day),
            )
    for leg in it.legs:
        what = f"{it.container} {leg.from_site} -> {leg.to_site}"
        if leg.transit_dates:
            a, b = leg.transit_dates[0], leg.transit_dates[-1]
            d.rect(
                x_of(a),
                top - 2,
                x_of(b) + day_px - x_of(a),
                BAR_H + 4,
                fill=TRANSIT,
                tip=f"transit {what}, departs {leg.depart.isoformat()}, {leg.km:.0f} km, "
                f"{leg.driving_hours} h driving",
            )
        if leg.setup_dates:
            a, b = leg.setup_dates[0], leg.setup_dates[-1]
            d.rect(
                x_of(a),
                top - 2,
                x_of(b) + day_px - x_of(a),
                BAR_H + 4,
                fill=SETUP,
                tip=f"setup {what}, ready {leg.ready.isoformat()}",
            )


def _legend_label(site: Site) -> str:
    return f"{site.name} ({site.kind})"


def _legend(
    d: Drawing, used: list[Site], colours: dict[str, str], y: float, cols: int, col_w: float
) -> None:
    x = 16.0
    for colour, label in (
        (TRANSIT, "transit"),
        (SETUP, "setup"),
        (OFF_DAY, "no work"),
        (TICK, "session"),
    ):
        d.rect(x, y - 10, 14, 12, fill=colour, stroke="#999999")
        d.text(x + 20, y, label, size=11)
        x += 40 + text_width(label, 11)
    for i, site in enumerate(used):
        col, row = i % cols, i // cols
        sx, sy = 16 + col * col_w, y + 22 + row * 18
        d.rect(sx, sy - 10, 14, 12, fill=colours[site.id])
        d.text(sx + 20, sy, _legend_label(site), size=10)


def save(drawing: Drawing, path: str | Path) -> Path:
    """Write SVG or PNG by the file's extension."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".svg":
        target.write_text(drawing.svg(), encoding="utf-8")
    elif suffix == ".png":
        target.write_bytes(drawing.png())
    else:
        raise ValueError(f"{target.name}: picture must end in .svg or .png")
    return target
