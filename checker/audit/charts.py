"""Inline SVG charts for the HTML report, drawn in Python so the report needs no script library or network."""

from __future__ import annotations

import colorsys
import hashlib
import math
from html import escape

import pandas as pd

WIDTH = 700


def colour(name: str) -> str:
    """A stable colour per submitter: the same submitter has the same colour in every chart."""
    hue = int(hashlib.md5(name.encode("utf-8")).hexdigest()[:6], 16) / 0xFFFFFF
    r, g, b = colorsys.hls_to_rgb(hue, 0.45, 0.55)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def number(value: float) -> str:
    """One style for every axis, label and cell: ``12,418``, ``5,160``, ``51.4``, ``0.125`` (no ``5.16e+03``)."""
    if abs(value) >= 999.5:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"


def per_accelerator_bars(frame: pd.DataFrame, title: str, limit: int = 30) -> str:
    """Horizontal bars: throughput per accelerator of each result, best first, coloured by submitter."""
    data = frame[frame["per_acc"].notna() & (frame["per_acc"] > 0)].sort_values("per_acc", ascending=False)
    if data.empty:
        return ""
    data = data.head(limit)
    bar, gap, left, top = 14, 4, 300, 28
    height = top + len(data) * (bar + gap) + 10
    peak = float(data["per_acc"].max())
    parts = [
        f'<svg class="chart bars" role="img" aria-label="{escape(title)}" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="4" y="16" class="title">{escape(title)}</text>',
    ]
    for i, row in enumerate(data.itertuples(index=False)):
        y = top + i * (bar + gap)
        length = max(1.0, (WIDTH - left - 70) * float(row.per_acc) / peak)
        label = f"{row.Organization} / {row.Platform}"
        label = label if len(label) <= 40 else label[:39] + "…"
        value = number(row.per_acc)
        tip = f"{row.Organization} {row.Platform} {row.Scenario}: {value} per {row.accelerator_model_name}"
        parts.append(
            f"<g><title>{escape(tip)}</title>"
            f'<text x="{left - 6}" y="{y + bar - 3}" text-anchor="end" class="label">{escape(label)}</text>'
            f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar}" fill="{colour(str(row.Organization))}"/>'
            f'<text x="{left + length + 4:.1f}" y="{y + bar - 3}" class="value">{escape(value)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def offline_vs_server(table: pd.DataFrame, title: str) -> str:
    """Log-log scatter of Server against Offline per system; points above the diagonal are AU010 cases."""
    if "Server" not in table or "Offline" not in table:
        return ""
    data = table[table["Server"].notna() & table["Offline"].notna() & (table["Server"] > 0) & (table["Offline"] > 0)]
    if len(data) < 2:  # one point on a log-log plot says nothing; the caller writes the ratio as text
        return ""
    size, pad = 320, 46
    lo = math.log10(min(data["Server"].min(), data["Offline"].min())) - 0.1
    hi = math.log10(max(data["Server"].max(), data["Offline"].max())) + 0.1

    def at(value: float) -> float:
        return pad + (math.log10(value) - lo) / (hi - lo) * (size - 2 * pad)

    parts = [
        f'<svg class="chart scatter" role="img" aria-label="{escape(title)}" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="4" y="16" class="title">{escape(title)}</text>',
        f'<rect x="{pad}" y="{pad}" width="{size - 2 * pad}" height="{size - 2 * pad}" class="frame"/>',
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{pad}" class="diagonal"/>',
        f'<text x="{size / 2}" y="{size - 8}" text-anchor="middle" class="label">Offline (log)</text>',
        f'<text x="12" y="{size / 2}" text-anchor="middle" class="label" '
        f'transform="rotate(-90 12 {size / 2})">Server (log)</text>',
        f'<text x="{pad}" y="{size - pad + 14}" class="value">{escape(number(10**lo))}</text>',
        f'<text x="{size - pad}" y="{size - pad + 14}" text-anchor="end" class="value">{escape(number(10**hi))}</text>',
    ]
    for row in data.itertuples():
        x, y = at(row.Offline), size - at(row.Server)
        ratio = row.Server / row.Offline
        server, offline = number(row.Server), number(row.Offline)
        tip = f"{row.Organization} {row.Platform}: Server {server}, Offline {offline} ({ratio:.2f})"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour(str(row.Organization))}" '
            f'class="{"above" if ratio > 1 else "point"}"><title>{escape(tip)}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)


def drift_band(
    title: str, series: list[tuple[str, list[float]]], band: tuple[float, float], mean: float, value: float, log: bool
) -> str:
    """A small strip chart of one series per round, with the audited round's band mean ± k·spread shaded.

    Grey dots are the series' results (the audited round's last column), the red ring is the flagged value,
    the shaded strip is the band and the dashed line its weighted mean; the y axis is logarithmic for a
    throughput or latency (as the band is), linear for an accuracy.
    """
    values = [v for _, vs in series for v in vs] + [band[0], band[1], value]
    if not all(math.isfinite(v) for v in values) or (log and min(values) <= 0):
        return ""
    scale = math.log10 if log else float
    lo, hi = scale(min(values)), scale(max(values))
    pad_v = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - pad_v, hi + pad_v
    width, height, left, top, bottom = 420, 170, 64, 24, 30
    shown = title if len(title) <= 52 else title[:51] + "…"
    step = (width - left - 10) / max(len(series), 1)

    def y(v: float) -> float:
        return top + (hi - scale(v)) / (hi - lo) * (height - top - bottom)

    band_top, band_bottom = y(band[1]), y(band[0])
    parts = [
        f'<svg class="chart drift" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="4" y="14" class="title"><title>{escape(title)}</title>{escape(shown)}</text>',
        f'<rect x="{left}" y="{top}" width="{width - left - 10}" height="{height - top - bottom}" class="frame"/>',
        f'<rect x="{left}" y="{band_top:.1f}" width="{width - left - 10}" '
        f'height="{max(band_bottom - band_top, 1):.1f}" class="band">'
        f"<title>band {escape(number(band[0]))} .. {escape(number(band[1]))}</title></rect>",
        f'<line x1="{left}" y1="{y(mean):.1f}" x2="{width - 10}" y2="{y(mean):.1f}" class="mean"/>',
        f'<text x="{left - 4}" y="{band_top + 4:.1f}" text-anchor="end" class="value">{escape(number(band[1]))}</text>',
        f'<text x="{left - 4}" y="{band_bottom + 4:.1f}" text-anchor="end" class="value">'
        f"{escape(number(band[0]))}</text>",
    ]
    for i, (label, points) in enumerate(series):
        x = left + step * (i + 0.5)
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" class="label">{escape(label)}</text>')
        parts += [_dot(x, y(v), 3, "point", v) for v in points]
    x = left + step * (len(series) - 0.5)
    parts += [_dot(x, y(value), 6, "flagged", value), "</svg>"]
    return "".join(parts)


def _dot(x: float, y: float, radius: int, kind: str, value: float) -> str:
    tip = f"<title>{escape(number(value))}</title>"
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" class="{kind}">{tip}</circle>'
