"""Export an alliance view as a PNG or SVG image, drawn by the HTML page in headless Chromium.

The page is written to a temporary folder and opened from ``file://``; every request to any other
address is refused (and would be reported as an error). The page's ``toImage()`` draws the picture
as SVG (title, subtitle from the filters, the drawing with the names placed so that none overlaps,
a legend, a source line) and reports where it put each name. The SVG is written as it is; the PNG
is that same SVG file opened in Chromium and captured, so both are one drawing and share one label
layout (``RenderedImage.labels``). The same view gives the same SVG bytes.

Chromium is found from ``ALLIANCES_CHROMIUM``, then ``chromium`` on the PATH, then
``/usr/bin/chromium``. Playwright's sync API is used; called from a running asyncio loop (a
notebook), the export runs in a worker thread.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from graph.errors import AllianceError
from graph.extras import IMAGES
from graph.rdf.files import write_atomic
from graph.visualise.html import ViewLike, write_html

Choice = TypeVar("Choice", bound=enum.Enum)

if TYPE_CHECKING:  # playwright is imported when an image is made, so that it stays optional
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Playwright, Route

CHROMIUM_ENV = "ALLIANCES_CHROMIUM"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "Install Chromium (Debian/Ubuntu: apt-get install chromium) or set "
    f"{CHROMIUM_ENV} to the path of a Chromium or Chrome executable; the Python package "
    f"'playwright' is needed too (the '{IMAGES.name}' extra: {IMAGES.install}; no browser download is needed)."
)
READY_TIMEOUT_MS = 120_000


class ImageExportUnavailable(AllianceError):
    """Images need Chromium and the playwright package; the message says how to install them."""


class ImageFormat(enum.Enum):
    PNG = "png"
    SVG = "svg"

    @classmethod
    def from_extension(cls, path: str | os.PathLike[str]) -> "ImageFormat":
        suffix = Path(path).suffix.lower().lstrip(".")
        try:
            return cls(suffix)
        except ValueError:
            raise AllianceError(
                f"Cannot tell the image format of '{path}': use a .png or .svg file name."
            ) from None

    @classmethod
    def parse(cls, value: "str | ImageFormat") -> "ImageFormat":
        return _choice(cls, value, "image format")


def find_chromium() -> str | None:
    """The Chromium executable to use, or None if there is none."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured if _is_executable(configured) else None
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and _is_executable(candidate):
            return candidate
    return None


class SourceList(enum.Enum):
    """How an image lists its sources: one line with their count and where the list is, or the full
    list below the picture (the image grows taller; the slide part keeps its size)."""

    COMPACT = "compact"
    FULL = "full"

    @classmethod
    def parse(cls, value: "str | SourceList") -> "SourceList":
        return _choice(cls, value, "sources option")


def _choice(cls: type[Choice], value: "str | Choice", what: str) -> Choice:
    """``value`` as a member of the enum ``cls`` (by its value, any case), or an error that lists them."""
    if isinstance(value, cls):
        return value
    try:
        return cls(str(value).lower())
    except ValueError:
        raise AllianceError(f"Unknown {what} '{value}': use {' or '.join(str(m.value) for m in cls)}.") from None


@dataclass(frozen=True)
class LabelBox:
    """A name the picture shows and the box it takes (text and halo), in image pixels."""

    node: str
    text: str
    size: float
    x: float
    y: float
    width: float
    height: float

    def intersects(self, other: "LabelBox") -> bool:
        return not (self.x >= other.x + other.width or other.x >= self.x + self.width
                    or self.y >= other.y + other.height or other.y >= self.y + self.height)


@dataclass(frozen=True)
class RenderedImage:
    """An image and the label layout it was drawn with (the SVG's, also for a PNG)."""

    content: bytes
    svg: str
    labels: list[LabelBox]
    width: int
    height: int


def export_image(view: ViewLike, path: str | os.PathLike[str], fmt: "str | ImageFormat | None" = None,
                 width: int = 1920, height: int = 1080, sources: "str | SourceList" = SourceList.COMPACT) -> Path:
    """Write the view as a ``png`` or ``svg`` image of ``width`` x ``height`` pixels to ``path``.

    ``fmt`` defaults to the file name's extension; ``sources="full"`` adds the list of sources
    below the picture. Raises ImageExportUnavailable (and writes nothing) when Chromium or
    playwright is missing.
    """
    image_format = ImageFormat.from_extension(path) if fmt is None else ImageFormat.parse(fmt)
    rendered = render_image(view, image_format, width, height, sources)
    return write_atomic(Path(path), rendered.content)


def render_image(view: ViewLike, fmt: "str | ImageFormat" = ImageFormat.PNG, width: int = 1920, height: int = 1080,
                 sources: "str | SourceList" = SourceList.COMPACT) -> RenderedImage:
    """The image of a view in memory, with the label layout it was drawn with."""
    image_format = ImageFormat.parse(fmt)
    source_list = SourceList.parse(sources)
    if width < 320 or height < 240:
        raise AllianceError(f"An image of {width}x{height} is too small: use at least 320x240.")
    chromium = _require_chromium()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _capture(view, image_format, width, height, source_list, chromium)
    # Playwright's sync API refuses to run inside an event loop (e.g. Jupyter).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_capture, view, image_format, width, height, source_list, chromium).result()


@dataclass
class PageReport:
    """What the page did besides drawing: requests refused and errors raised."""

    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def launch_chromium(playwright: Playwright, chromium: str | None = None) -> Browser:
    """Launch headless Chromium with the export's arguments (shared with the tests and bench)."""
    executable = chromium or _require_chromium()
    try:
        return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except Exception as error:  # playwright raises its own Error type
        raise ImageExportUnavailable(f"Chromium at {executable} did not start: {error}. {INSTALL_HINT}") from error


def offline_page(browser: Browser, width: int, height: int, report: PageReport) -> Page:
    """A page of the given viewport that refuses every request other than file: and data:."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=1, locale="en-US",
        timezone_id="UTC", color_scheme="light", reduced_motion="reduce", service_workers="block",
    )

    def route(request_route: Route) -> None:
        url = request_route.request.url
        if url.startswith(("file:", "data:", "about:")):
            request_route.continue_()
        else:
            report.blocked.append(url)
            request_route.abort("blockedbyclient")

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda error: report.errors.append(f"page error: {error}"))
    page.on("console", lambda message: _console_error(message, report))
    page.on("dialog", lambda dialog: _dialog(dialog, report))
    return page


def _console_error(message: ConsoleMessage, report: PageReport) -> None:
    if message.type == "error":
        report.errors.append(f"console error: {message.text}")


def _dialog(dialog: Dialog, report: PageReport) -> None:
    report.errors.append(f"dialog: {dialog.message}")
    dialog.dismiss()


def wait_until_drawn(page: Page, timeout_ms: int = READY_TIMEOUT_MS) -> None:
    """Wait until the page has drawn the network (it then sets ``body[data-ready]``).

    Not ``wait_for_function``: Playwright polls its predicate with ``eval``, which the page's
    Content-Security-Policy forbids; a selector wait needs no script in the page.
    """
    page.wait_for_selector('body[data-ready="true"]', state="attached", timeout=timeout_ms)


def _capture(view: ViewLike, image_format: ImageFormat, width: int, height: int, sources: SourceList,
             chromium: str) -> RenderedImage:
    sync_playwright = _import_playwright()
    report = PageReport()
    with tempfile.TemporaryDirectory(prefix="alliances-image-") as folder:
        page_path = write_html(view, Path(folder) / "network.html")
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright, chromium)
            try:
                page = offline_page(browser, width, height, report)
                page.goto(page_path.as_uri() + "#export", wait_until="load")
                wait_until_drawn(page)
                page.evaluate("document.fonts.ready.then(() => true)")
                drawn: dict[str, Any] = page.evaluate(
                    "([w, h, s]) => window.allianceGraph.toImage({width: w, height: h, sources: s})",
                    [width, height, sources.value])
                svg = str(drawn["svg"])
                content = svg.encode("utf-8")
                if image_format is ImageFormat.PNG:
                    content = _rasterise(browser, Path(folder), content, width, int(drawn["height"]), report)
            finally:
                browser.close()
    if report.blocked:
        raise AllianceError(
            "The page tried to load from the network, which must never happen: "
            + ", ".join(report.blocked[:5]) + ". Nothing was written; please report this."
        )
    if report.errors:
        raise AllianceError("The page failed while drawing: " + "; ".join(report.errors[:5]))
    labels = [LabelBox(str(item["id"]), str(item["text"]), float(item["size"]), float(item["x"]), float(item["y"]),
                       float(item["w"]), float(item["h"])) for item in drawn["labels"]]
    return RenderedImage(content, svg, labels, width, int(drawn["height"]))


def _rasterise(browser: Browser, folder: Path, svg: bytes, width: int, height: int, report: PageReport) -> bytes:
    """The SVG as Chromium draws it, captured at its own size.

    The SVG goes inline into a bare HTML page: Playwright's capture of an SVG document never
    finished here (it waits on a style sheet it adds to the document's head, which SVG lacks)."""
    markup = svg.decode("utf-8").split("?>", 1)[-1] if svg.startswith(b"<?xml") else svg.decode("utf-8")
    wrapper = ('<!DOCTYPE html><html><head><meta charset="utf-8"><style>html,body{margin:0;padding:0}'
               'svg{display:block}</style></head><body>' + markup + "</body></html>")
    page_path = write_atomic(folder / "picture.html", wrapper.encode("utf-8"))
    page = offline_page(browser, width, height, report)
    page.goto(page_path.as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => r(true))))")
    shot: bytes = page.screenshot(type="png", clip={"x": 0, "y": 0, "width": width, "height": height},
                                  full_page=True, animations="disabled", caret="hide")
    page.context.close()
    return shot


def _require_chromium() -> str:
    chromium = find_chromium()
    if chromium is None:
        configured = os.environ.get(CHROMIUM_ENV)
        where = (f"{CHROMIUM_ENV}={configured} is not an executable file. " if configured
                 else "No Chromium was found (looked for 'chromium' on the PATH and /usr/bin/chromium). ")
        raise ImageExportUnavailable(f"Cannot export images: {where}{INSTALL_HINT}")
    _import_playwright()
    return chromium


def _import_playwright() -> Callable[[], AbstractContextManager[Playwright]]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise ImageExportUnavailable(
            f"Cannot export images: the Python package 'playwright' is missing; install the '{IMAGES.name}' extra "
            f"({IMAGES.install}; no browser download is needed)"
        ) from error
    return sync_playwright


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)
