"""One drawing of a scorecard, exported twice: an SVG bar chart that the explorer page shows, and
a PNG of a standalone page (the chart and the scorecard's key table) rendered in the project's
headless Chromium (graph.visualise.image), as ``alliances export png`` is.

The chart is a few rectangles and texts, written here rather than with a plotting library: the
project has none (matplotlib is no dependency), and the SVG must sit in an explorer page whose
Content-Security-Policy allows no script. Every text from the data is escaped (markupsafe).
The same scorecard gives the same SVG bytes.
"""
from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from markupsafe import escape

from graph.errors import AllianceError
from graph.rdf.files import write_atomic

BAR_COLOURS = {"binding": "#1f6f4a", "non-binding": "#9cc5a1", "unknown": "#c9c9c9", "cancelled": "#d98c8c",
               "buyers": "#3b6ea5"}
WIDTH = 960
ROW = 26
LEFT = 300


Bar = tuple[str, Decimal, str, str]  # label, length, colour key, text beside the bar


def chart_rows(scorecard: dict[str, Any]) -> tuple[str, list[Bar]]:
    """(title, bars) of what a scorecard charts:
    - a ranking: each supplier's buyers, and under it its buyers under binding deals with its
      binding volume (in the order of the ranking);
    - a supplier: each buyer's number of deals, coloured by the most binding of them;
    - a buyer: each supplier's number of deals, coloured likewise."""
    kind = scorecard["kind"]
    if kind == "suppliers":
        region = f" in {scorecard['region']}" if scorecard["region"] else ""
        rows: list[Bar] = []
        for entry in scorecard["suppliers"]:
            volume = "; ".join(f"{v['value']} {v['unit']}" for v in entry["binding_volume"]) or "volume not recorded"
            rows.append((f"{entry['rank']}. {entry['organisation']['label']}", Decimal(entry["buyers"]), "buyers",
                         f"{_count(entry['buyers'], 'buyer')}, {_count(entry['deals'], 'deal')}"))
            rows.append(("binding", Decimal(entry["binding_buyers"]), "binding", f"{_count(entry['binding_buyers'], 'buyer')}; {volume}"))
        return f"Suppliers of {scorecard['material']['label']}{region}: buyers, and those under binding deals", rows
    parties = scorecard["buyers"] if kind == "supplier" else scorecard["suppliers"]
    rows = []
    for party in parties:
        classes = {deal["binding"] for deal in party["deals"]}
        colour = next((c for c in ("binding", "non-binding", "unknown", "cancelled") if c in classes), "unknown")
        rows.append((party["organisation"]["label"], Decimal(len(party["deals"])), colour, _count(len(party["deals"]), "deal")))
    who = "Buyers" if kind == "supplier" else "Suppliers"
    return f"{who} of {scorecard['organisation']['label']}: deals, coloured by the most binding", rows


def chart_svg(scorecard: dict[str, Any]) -> str:
    """The scorecard's bar chart as an SVG element (no script, no style element)."""
    title, rows = chart_rows(scorecard)
    top = 56
    height = top + max(len(rows), 1) * ROW + 40
    largest = max((value for _, value, _, _ in rows), default=Decimal(0)) or Decimal(1)
    span = WIDTH - LEFT - 280  # room for the text beside the longest bar
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="13">',
             f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
             f'<text x="16" y="28" font-size="17" font-weight="bold" fill="#1b1b1b">{escape(title)}</text>']
    if not rows:
        parts.append(f'<text x="16" y="{top + 16}" fill="#555555">not recorded</text>')
    for index, (label, value, colour, text) in enumerate(rows):
        y = top + index * ROW
        length = int(span * value / largest)
        parts.append(f'<text x="{LEFT - 8}" y="{y + 17}" text-anchor="end" fill="#1b1b1b">{escape(_cut(label))}</text>')
        parts.append(f'<rect x="{LEFT}" y="{y + 4}" width="{max(length, 1)}" height="{ROW - 8}" fill="{BAR_COLOURS[colour]}"/>')
        parts.append(f'<text x="{LEFT + length + 6}" y="{y + 17}" fill="#1b1b1b">{escape(text)}</text>')
    legend_y = height - 16
    x = 16
    for name in ("binding", "non-binding", "unknown", "cancelled") if scorecard["kind"] != "suppliers" else ("buyers", "binding"):
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{BAR_COLOURS[name]}"/>')
        text = "all buyers" if name == "buyers" else ("buyers under binding deals" if scorecard["kind"] == "suppliers" else name)
        parts.append(f'<text x="{x + 18}" y="{legend_y}" fill="#1b1b1b">{escape(text)}</text>')
        x += 40 + 8 * len(text)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _cut(label: str, limit: int = 42) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def page_html(scorecard: dict[str, Any]) -> str:
    """A standalone page of the chart and the count of sources, for the PNG: no script, no request."""
    count = len(scorecard.get("sources", {}))
    footer = f"<p>{count} source documents; the full list: --format text or --format json.</p>" if count else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            "<style>body{margin:0;background:#fff;font-family:sans-serif}p{margin:8px 16px;color:#444;font-size:13px}</style>"
            f"</head><body>{chart_svg(scorecard)}"
            f"{footer}</body></html>\n")


def write_png(scorecard: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Render the chart page in headless Chromium and write it as a PNG; raises
    ImageExportUnavailable (and writes nothing) without Chromium or playwright."""
    from graph.visualise.image import INSTALL_HINT, ImageExportUnavailable, PageReport, find_chromium, launch_chromium, offline_page

    chromium = find_chromium()
    if chromium is None:
        raise ImageExportUnavailable(f"Cannot write a PNG: no Chromium was found. {INSTALL_HINT}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ImageExportUnavailable(f"Cannot write a PNG: the Python package 'playwright' is missing. {INSTALL_HINT}") from None
    _, rows = chart_rows(scorecard)
    height = 56 + max(len(rows), 1) * ROW + 80
    report = PageReport()
    with tempfile.TemporaryDirectory(prefix="alliances-scorecard-") as folder:
        page_path = Path(folder) / "scorecard.html"
        page_path.write_text(page_html(scorecard), encoding="utf-8")
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright, chromium)
            try:
                page = offline_page(browser, WIDTH, height, report)
                page.goto(page_path.as_uri(), wait_until="load")
                content = page.screenshot(type="png", full_page=True, animations="disabled", caret="hide")
            finally:
                browser.close()
    if report.blocked or report.errors:
        raise AllianceError("The scorecard page failed while drawing: " + "; ".join((report.blocked + report.errors)[:5]))
    return write_atomic(Path(path), content)
