"""A tiny vector canvas that renders to SVG (stdlib) or PNG (matplotlib).

Why not matplotlib for everything: SVG must work without extra packages,
and the pictures are boxes, lines, markers and labels that any browser or
the gateway can serve as text. The same list of shapes is replayed on a
matplotlib ``Figure`` (Agg, no pyplot state) only when a PNG is asked for,
so the two formats cannot drift apart.

Coordinates are pixels, origin top-left, y down (as in SVG).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

Point = tuple[float, float]
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
PT_PER_PX = 0.75  # a PNG is rendered at 96 px per inch; 72 pt per inch


class PngUnavailableError(RuntimeError):
    """matplotlib is not installed; SVG still works."""


def text_width(text: str, size: float) -> float:
    """Rough advance width of sans-serif text, enough for layout decisions."""
    return 0.58 * size * len(text)


@dataclass
class Item:
    kind: str  # rect | poly | circle | text
    data: dict[str, Any]


@dataclass
class Drawing:
    width: float
    height: float
    title: str = ""
    items: list[Item] = field(default_factory=list)

    # -- building -------------------------------------------------------------
    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: str = "none",
        stroke: str | None = None,
        width: float = 1.0,
        tip: str | None = None,
        opacity: float = 1.0,
    ) -> None:
        self.items.append(
            Item(
                "rect",
                dict(
                    x=x,
                    y=y,
                    w=max(w, 0.0),
                    h=max(h, 0.0),
                    fill=fill,
                    stroke=stroke,
                    width=width,
                    tip=tip,
                    opacity=opacity,
                ),
            )
        )

    def line(
        self,
        a: Point,
        b: Point,
        *,
        stroke: str,
        width: float = 1.0,
        dash: bool = False,
        opacity: float = 1.0,
        tip: str | None = None,
    ) -> None:
        self.poly([a, b], stroke=stroke, width=width, dash=dash, opacity=opacity, tip=tip)

    def poly(
        self,
        points: list[Point],
        *,
        stroke: str | None = None,
        fill: str = "none",
        width: float = 1.0,
        closed: bool = False,
        dash: bool = False,
        opacity: float = 1.0,
        tip: str | None = None,
    ) -> None:
        self.items.append(
            Item(
                "poly",
                dict(
                    points=points,
                    stroke=stroke,
                    fill=fill,
                    width=width,
                    closed=closed,
                    dash=dash,
                    opacity=opacity,
                    tip=tip,
                ),
            )
        )

    def circle(
        self,
        c: Point,
        r: float,
        *,
        fill: str,
        stroke: str | None = None,
        width: float = 1.0,
        tip: str | None = None,
    ) -> None:
        self.items.append(
            Item("circle", dict(c=c, r=r, fill=fill, stroke=stroke, width=width, tip=tip))
        )

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 11,
        anchor: str = "start",
        fill: str = "#222",
        bold: bool = False,
        rotate: float = 0,
    ) -> None:
        """``y`` is the baseline; ``anchor`` is start | middle | end; ``rotate`` in degrees."""
        self.items.append(
            Item(
                "text",
                dict(
                    x=x,
                    y=y,
                    text=text,
                    size=size,
                    anchor=anchor,
                    fill=fill,
                    bold=bold,
                    rotate=rotate,
                ),
            )
        )

    def marker(
        self,
        shape: str,
        c: Point,
        size: float,
        *,
        fill: str,
        stroke: str = "#222",
        tip: str | None = None,
    ) -> None:
        """circle | square | triangle | diamond | star, centred on ``c``."""
        x, y = c
        r = size / 2
        if shape == "circle":
            self.circle(c, r, fill=fill, stroke=stroke, tip=tip)
            return
        if shape == "square":
            pts = [(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)]
        elif shape == "triangle":
            pts = [(x, y - r * 1.2), (x + r * 1.1, y + r * 0.8), (x - r * 1.1, y + r * 0.8)]
        elif shape == "diamond":
            pts = [(x, y - r * 1.3), (x + r, y), (x, y + r * 1.3), (x - r, y)]
        else:  # star
            pts = [
                (
                    x + (r * 1.4 if i % 2 == 0 else r * 0.6) * math.sin(i * math.pi / 5),
                    y - (r * 1.4 if i % 2 == 0 else r * 0.6) * math.cos(i * math.pi / 5),
                )
                for i in range(10)
            ]
        self.poly(pts, fill=fill, stroke=stroke, closed=True, tip=tip)

    # -- SVG ------------------------------------------------------------------
    def svg(self) -> str:
        w, h = round(self.width), round(self.height)
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" font-family={quoteattr(FONT)}>',
        ]
        if self.title:
            out.append(f"<title>{escape(self.title)}</title>")
        out.append(f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>')
        out += [_svg_item(item) for item in self.items]
        out.append("</svg>")
        return "\n".join(out) + "\n"

    # -- PNG ------------------------------------------------------------------
    def png(self, dpi: float = 96.0) -> bytes:
        try:
            from matplotlib.figure import Figure
            from matplotlib.patches import Circle, Polygon, Rectangle
        except ImportError:
            raise PngUnavailableError(
                "PNG output needs matplotlib (pip install matplotlib); SVG does not"
            ) from None
        fig = Figure(figsize=(self.width / 96, self.height / 96), dpi=96)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, self.width)
        ax.set_ylim(self.height, 0)
        ax.set_axis_off()
        for n, item in enumerate(self.items):
            d, z = item.data, n  # later shapes on top, as in SVG
            if item.kind == "rect":
                ax.add_patch(
                    Rectangle(
                        (d["x"], d["y"]),
                        d["w"],
                        d["h"],
                        zorder=z,
                        facecolor=_mpl_color(d["fill"]),
                        alpha=d["opacity"],
                        edgecolor=_mpl_color(d["stroke"]),
                        linewidth=d["width"] * PT_PER_PX if d["stroke"] else 0,
                    )
                )
            elif item.kind == "circle":
                ax.add_patch(
                    Circle(
                        d["c"],
                        d["r"],
                        facecolor=_mpl_color(d["fill"]),
                        zorder=z,
                        edgecolor=_mpl_color(d["stroke"]),
                        linewidth=d["width"] * PT_PER_PX if d["stroke"] else 0,
                    )
                )
            elif item.kind == "poly":
                ax.add_patch(
                    Polygon(
                        d["points"],
                        closed=d["closed"],
                        zorder=z,
                        facecolor=_mpl_color(d["fill"]),
                        alpha=d["opacity"],
                        edgecolor=_mpl_color(d["stroke"]),
                        linestyle="--" if d["dash"] else "-",
                        linewidth=d["width"] * PT_PER_PX if d["stroke"] else 0,
                    )
                )
            else:
                ax.text(
                    d["x"],
                    d["y"],
                    d["text"],
                    fontsize=d["size"] * PT_PER_PX,
                    zorder=z,
                    color=d["fill"],
                    fontweight="bold" if d["bold"] else "normal",
                    ha={"start": "left", "middle": "center", "end": "right"}[d["anchor"]],
                    va="baseline",
                    rotation=-d["rotate"],
                    rotation_mode="anchor",
                )
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
        return buf.getvalue()


def _mpl_color(color: str | None) -> str:
    return "none" if color is None else color


def _stroke(d: dict[str, Any]) -> str:
    if not d.get("stroke"):
        return ""
    dash = ' stroke-dasharray="5 3"' if d.get("dash") else ""
    return f' stroke="{d["stroke"]}" stroke-width="{d["width"]:g}"{dash}'


def _tip(d: dict[str, Any]) -> tuple[str, str]:
    """An SVG ``<title>`` child shows as a tooltip in every browser."""
    if not d.get("tip"):
        return "/>", ""
    return ">", f"<title>{escape(d['tip'])}</title>"


def _svg_item(item: Item) -> str:
    d = item.data
    if item.kind == "text":
        weight = ' font-weight="bold"' if d["bold"] else ""
        turn = ""
        if d["rotate"]:
            turn = f' transform="rotate({d["rotate"]:g} {d["x"]:.1f} {d["y"]:.1f})"'
        return (
            f'<text x="{d["x"]:.1f}" y="{d["y"]:.1f}" font-size="{d["size"]:g}" '
            f'text-anchor="{d["anchor"]}" fill="{d["fill"]}"{weight}{turn}>'
            f"{escape(d['text'])}</text>"
        )
    opacity = f' opacity="{d["opacity"]:g}"' if d.get("opacity", 1) != 1 else ""
    head, tip = _tip(d)
    if item.kind == "rect":
        tag = (
            f'<rect x="{d["x"]:.1f}" y="{d["y"]:.1f}" width="{d["w"]:.1f}" '
            f'height="{d["h"]:.1f}" fill="{d["fill"]}"{_stroke(d)}{opacity}'
        )
        return tag + head + (f"{tip}</rect>" if tip else "")
    if item.kind == "circle":
        (cx, cy), r = d["c"], d["r"]
        tag = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{d["fill"]}"{_stroke(d)}'
        return tag + head + (f"{tip}</circle>" if tip else "")
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in d["points"])
    name = "polygon" if d["closed"] else "polyline"
    tag = f'<{name} points="{points}" fill="{d["fill"]}"{_stroke(d)}{opacity}'
    return tag + head + (f"{tip}</{name}>" if tip else "")
