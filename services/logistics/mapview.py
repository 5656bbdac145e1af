"""A map of sites and container move legs, drawn offline without map tiles.

One detail panel per region (equirectangular, scaled by cos(latitude) so
distances look right, with a lat/lon graticule) plus a small overview of
Norway that shows where the panels lie. Sites are numbered on the map and
named in a key under each panel: in Agder two schools stand 250 m apart,
so names next to markers would collide, while numbers and a key never do.
Marker shape tells the kind of site; a filled marker has a container pad.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from schemas.scenario import Scenario, Site
from services.logistics.drawing import Drawing, Point, text_width
from services.logistics.models import Itinerary
from services.logistics.outline import NORWAY_OUTLINE
from services.scenarios.facts import places

KIND_SHAPE = {"school": "circle", "hub": "square", "fagskole": "triangle", "depot": "diamond"}
KIND_COLOUR = {"school": "#4e79a7", "hub": "#e15759", "fagskole": "#59a14f", "depot": "#9c755f"}
PLANT_COLOUR = "#f1c40f"
CONTAINER_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")
PANEL_W, PANEL_H, OVERVIEW_W, OVERVIEW_H, GAP, KEY_LINE = 500, 440, 200, 250, 30, 15
Box = tuple[float, float, float, float]  # lat_min, lat_max, lon_min, lon_max
STEPS = (0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class Place:
    """A point on the map: a scenario site or a battery plant from the reference file."""

    label: str  # what the marker is called on the map: "3" or "B"
    name: str
    kind: str
    lat: float
    lon: float
    pad: bool = True


@dataclass(frozen=True)
class Projection:
    """Equirectangular: x grows with longitude times cos(mid latitude)."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float
    x0: float
    y0: float
    k: float
    coslat: float

    @classmethod
    def fit(cls, box: Box, x0: float, y0: float, w: float, h: float) -> Projection:
        lat_min, lat_max, lon_min, lon_max = box
        coslat = math.cos(math.radians((lat_min + lat_max) / 2))
        k = min(w / ((lon_max - lon_min) * coslat), h / (lat_max - lat_min))
        return cls(lat_min, lat_max, lon_min, lon_max, x0, y0, k, coslat)

    def __call__(self, lat: float, lon: float) -> Point:
        return (
            self.x0 + (lon - self.lon_min) * self.coslat * self.k,
            self.y0 + (self.lat_max - lat) * self.k,
        )

    @property
    def width(self) -> float:
        return (self.lon_max - self.lon_min) * self.coslat * self.k

    @property
    def height(self) -> float:
        return (self.lat_max - self.lat_min) * self.k


def _box(points: list[tuple[float, float]], pad: float = 0.15) -> Box:
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    dlat = max((max(lats) - min(lats)) * pad, 0.04)
    dlon = max((max(lons) - min(lons)) * pad, 0.06)
    return min(lats) - dlat, max(lats) + dlat, min(lons) - dlon, max(lons) + dlon


def _places(scenario: Scenario, region: str, plants: bool) -> tuple[list[Place], Box]:
    sites = [s for s in scenario.sites if s.region == region]
    out = [
        Place(str(i + 1), s.name, s.kind, s.lat, s.lon, s.container_pad)
        for i, s in enumerate(sites)
    ]
    box = _box([(s.lat, s.lon) for s in sites])
    if plants:
        near = [
            p
            for p in places()
            if p.kind == "factory" and box[0] <= p.lat <= box[1] and box[2] <= p.lon <= box[3]
        ]
        out += [Place(chr(ord("A") + i), p.name, "plant", p.lat, p.lon) for i, p in enumerate(near)]
    return out, box


def site_map(
    scenario: Scenario,
    itineraries: Mapping[str, Itinerary],
    *,
    plants: bool = True,
    title: str | None = None,
) -> Drawing:
    """Sites (by kind), battery plants and every container's move legs, per region."""
    regions = list(dict.fromkeys(s.region for s in scenario.sites))
    panels = [(r, *_places(scenario, r, plants)) for r in regions]
    # two panels per row, right of the overview; a panel is as wide as its key
    projections: list[Projection] = []
    left, x, y, row_h, width = OVERVIEW_W + 2 * GAP, float(OVERVIEW_W + 2 * GAP), 80.0, 0.0, 0.0
    for i, (_, found, box) in enumerate(panels):
        if i and i % 2 == 0:
            x, y, row_h = left, y + row_h, 0.0
        proj = Projection.fit(box, x, y + 20, PANEL_W, PANEL_H)
        projections.append(proj)
        block_w = max(proj.width, *(text_width(_key(p), 10) + 10 for p in found))
        row_h = max(row_h, 20 + proj.height + 30 + KEY_LINE * len(found) + GAP)
        x += block_w + GAP
        width = max(width, x)
    colours = {
        c.id: CONTAINER_COLOURS[i % len(CONTAINER_COLOURS)]
        for i, c in enumerate(scenario.containers)
    }
    width = max(width, left + 560)  # room for the legend line
    legend_y = max(y + row_h, 80 + OVERVIEW_H + 60)
    d = Drawing(
        width,
        legend_y + 70 + 18 * len(colours),
        title=title or f"Sites and container moves - {scenario.name or 'plan'}",
    )
    d.text(GAP, 30, d.title, size=16, bold=True)
    d.text(
        GAP,
        50,
        "Equirectangular projection, no map tiles. Numbers and letters refer to the "
        "key under each panel.",
        size=11,
        fill="#555",
    )
    _overview(d, scenario, [(r, box) for r, _, box in panels])
    by_site = {s.id: s for s in scenario.sites}
    for (region, found, _), proj in zip(panels, projections, strict=True):
        legs = [it for it in itineraries.values() if it.region == region]
        _panel(d, region, found, proj, legs, by_site, colours)
    _legend(d, legend_y, colours, itineraries)
    return d


def _key(p: Place) -> str:
    kind = "battery plant" if p.kind == "plant" else p.kind + ("" if p.pad else ", no pad")
    return f"{p.label}  {p.name} ({kind})"


def _overview(d: Drawing, scenario: Scenario, boxes: list[tuple[str, Box]]) -> None:
    pts = list(NORWAY_OUTLINE) + [(s.lat, s.lon) for s in scenario.sites]
    proj = Projection.fit(_box(pts, 0.02), GAP, 80, OVERVIEW_W, OVERVIEW_H)
    d.text(GAP, 74, "Overview", size=11, bold=True)
    d.rect(proj.x0, proj.y0, proj.width, proj.height, fill="#f4f8fb", stroke="#999999")
    d.poly(
        [proj(lat, lon) for lat, lon in NORWAY_OUTLINE],
        fill="#e9efe1",
        stroke="#8a9a7a",
        closed=True,
        tip="Norway, coarse hand-made outline",
    )
    for region, (la0, la1, lo0, lo1) in boxes:
        (xa, ya), (xb, yb) = proj(la1, lo0), proj(la0, lo1)
        d.rect(
            xa - 2,
            ya - 2,
            xb - xa + 4,
            yb - ya + 4,
            stroke="#222222",
            width=1.5,
            tip=f"region {region}",
        )
        d.text(xb + 6, ya + 8, region, size=10, bold=True)
    d.text(proj.x0, proj.y0 + proj.height + 14, "outline approximate", size=9, fill="#777")


def _graticule(d: Drawing, proj: Projection) -> None:
    span = max(proj.lat_max - proj.lat_min, (proj.lon_max - proj.lon_min) * proj.coslat)
    step = next((s for s in STEPS if span / s <= 6), STEPS[-1])
    lat = math.ceil(proj.lat_min / step) * step
    while lat <= proj.lat_max:
        (xa, ya), (xb, _) = proj(lat, proj.lon_min), proj(lat, proj.lon_max)
        d.line((xa, ya), (xb, ya), stroke="#d5dbe1", width=0.8)
        d.text(xa + 3, ya - 3, f"{lat:.2f}".rstrip("0").rstrip(".") + "°N", size=9, fill="#889")
        lat += step
    lon = math.ceil(proj.lon_min / step) * step
    while lon <= proj.lon_max:
        (xa, ya), (_, yb) = proj(proj.lat_max, lon), proj(proj.lat_min, lon)
        d.line((xa, ya), (xa, yb), stroke="#d5dbe1", width=0.8)
        d.text(xa + 3, yb - 4, f"{lon:.2f}".rstrip("0").rstrip(".") + "°E", size=9, fill="#889")
        lon += step


def _panel(
    d: Drawing,
    region: str,
    found: list[Place],
    proj: Projection,
    legs_of: list[Itinerary],
    sites: dict[str, Site],
    colours: dict[str, str],
) -> None:
    d.text(proj.x0, proj.y0 - 6, f"region {region}", size=12, bold=True)
    d.rect(proj.x0, proj.y0, proj.width, proj.height, fill="#fbfbf8", stroke="#999999")
    _graticule(d, proj)
    trips: Counter[tuple[str, str, str]] = Counter()
    km: dict[tuple[str, str, str], float] = defaultdict(float)
    for it in legs_of:
        for leg in it.legs:
            a, b = sorted((leg.from_site, leg.to_site))
            trips[(it.container, a, b)] += 1
            km[(it.container, a, b)] += leg.km
    for (box, a, b), n in sorted(trips.items()):
        pa, pb = proj(sites[a].lat, sites[a].lon), proj(sites[b].lat, sites[b].lon)
        d.line(
            pa,
            pb,
            stroke=colours[box],
            width=min(1.5 + 0.8 * (n - 1), 7),
            opacity=0.75,
            tip=f"{box}: {sites[a].name} - {sites[b].name}, {n} trip(s), {km[(box, a, b)]:,.0f} km",
        )
        if n > 1 and math.dist(pa, pb) > 60:  # on short legs the count hides the markers
            mid = ((pa[0] + pb[0]) / 2 + 4, (pa[1] + pb[1]) / 2 - 4)
            d.text(*mid, f"{n}×", size=10, bold=True, fill=colours[box])
    taken: list[Box] = []
    for p in found:
        c = proj(p.lat, p.lon)
        taken.append((c[0] - 7, c[1] - 7, c[0] + 7, c[1] + 7))
    # plants first and larger: a depot often stands at a plant, and its marker
    # must stay visible on top of the star
    for p in sorted(found, key=lambda p: p.kind != "plant"):
        c = proj(p.lat, p.lon)
        if p.kind == "plant":
            d.marker("star", c, 16, fill=PLANT_COLOUR, tip=f"{p.name} (battery plant)")
        else:
            colour = KIND_COLOUR.get(p.kind, "#777777")
            d.marker(
                KIND_SHAPE.get(p.kind, "circle"),
                c,
                10,
                fill=colour if p.pad else "#ffffff",
                stroke=colour if not p.pad else "#222",
                tip=_key(p),
            )
    for p in found:
        _place_label(d, p.label, proj(p.lat, p.lon), taken)
    y = proj.y0 + proj.height + 22
    for p in found:
        d.text(proj.x0, y, _key(p), size=10)
        y += KEY_LINE


def _place_label(d: Drawing, label: str, c: Point, taken: list[Box]) -> None:
    """First spot around the marker that overlaps no other marker or label."""
    w, h = text_width(label, 10), 10
    spots = [
        (9, 4, 0),
        (-9 - w, 4, 0),
        (-w / 2, -9, 0),
        (-w / 2, 17, 0),
        (9, -6, 0),
        (9, 14, 0),
        (-9 - w, -6, 0),
        (-9 - w, 14, 0),
        (16, 4, 0),
        (-16 - w, 4, 0),
        (-w / 2, -18, 0),
        (-w / 2, 26, 0),
    ]
    chosen = spots[0]
    for spot in spots:
        x0, y1 = c[0] + spot[0], c[1] + spot[1]
        box = (x0, y1 - h, x0 + w, y1)
        if not any(
            box[0] < t[2] and t[0] < box[2] and box[1] < t[3] and t[1] < box[3] for t in taken
        ):
            chosen = spot
            break
    x0, y1 = c[0] + chosen[0], c[1] + chosen[1]
    taken.append((x0, y1 - h, x0 + w, y1))
    d.text(x0, y1, label, size=10, bold=True)


def _legend(
    d: Drawing, y: float, colours: dict[str, str], itineraries: Mapping[str, Itinerary]
) -> None:
    x = float(GAP)
    for kind, shape in (*KIND_SHAPE.items(), ("battery plant", "star")):
        fill = KIND_COLOUR.get(kind, PLANT_COLOUR)
        d.marker(shape, (x + 6, y - 4), 10, fill=fill)
        d.text(x + 16, y, kind, size=11)
        x += 36 + text_width(kind, 11)
    d.marker("circle", (x + 6, y - 4), 10, fill="#ffffff", stroke=KIND_COLOUR["school"])
    d.text(x + 16, y, "hollow: no container pad", size=11)
    for i, (box, colour) in enumerate(colours.items()):
        it = itineraries.get(box)
        moves = "no plan"
        if it is not None:
            moves = f"{len(it.legs)} moves, {sum(leg.km for leg in it.legs):,.0f} km"
        ly = y + 26 + 18 * i
        d.line((GAP, ly - 4), (GAP + 26, ly - 4), stroke=colour, width=3)
        d.text(GAP + 34, ly, f"{box} ({moves}); line width grows with trips", size=11)
