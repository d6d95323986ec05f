"""Page images: PDF pages rendered with pypdfium2, and JPG/PNG attachments, as RGB arrays.

A scan is rendered at the resolution it was scanned at (the page's largest image, in pixels
per inch of the page), so that OCR sees the scanner's pixels and nothing is invented or lost;
pages with no image are rendered at ``DEFAULT_DPI``. The resolution is clamped so a page of
absurd size cannot take the machine's memory (``MAX_PIXELS``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from PIL import Image

from extractors.errors import UnreadableFileError

DEFAULT_DPI = 200.0
MIN_DPI = 100.0
MAX_DPI = 400.0
MAX_PIXELS = 40_000_000  # an A4 page at 600 dpi is 35 Mpx


@dataclass(frozen=True)
class PageImage:
    """One page as RGB pixels. ``dpi`` maps pixels to PDF points (72 per inch) so that OCR
    boxes land in the same coordinates as the text layer's."""

    number: int  # 1-based page number in the file
    pixels: np.ndarray  # (H, W, 3) uint8, RGB
    dpi: float
    # The page is a 1-bit scan (its largest image has one bit per pixel): red ink may have
    # vanished in it. None when the file does not say (pictures, pages without an image).
    bilevel: bool | None = None

    @property
    def points_per_pixel(self) -> float:
        return 72.0 / self.dpi


def _largest_image(page: pdfium.PdfPage) -> tuple[float, Any, float] | None:
    """The page's largest image object: its resolution across the page, the object, and
    the area it covers in square points."""
    best: tuple[float, float, Any] | None = None  # (area, dpi, image)
    for image in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        try:
            px_width, px_height = image.get_px_size()
            left, bottom, right, top = image.get_bounds()
        except Exception:  # a broken image object: judge the page by the others
            continue
        if right - left <= 1 or top - bottom <= 1 or px_width <= 0:
            continue
        share = (right - left) * (top - bottom)
        # Rotated placements swap the axes; the larger ratio is the scanner's resolution.
        dpi = max(px_width / ((right - left) / 72.0), px_height / ((top - bottom) / 72.0))
        if best is None or share > best[0]:
            best = (share, dpi, image)
    return None if best is None else (best[1], best[2], best[0])


def scan_dpi(page: pdfium.PdfPage) -> float | None:
    """The resolution of the page's largest image across the page, or None without one."""
    largest = _largest_image(page)
    return None if largest is None else largest[0]


def _bilevel(page: pdfium.PdfPage) -> bool | None:
    """Whether the page is a 1-bit scan: an image of one bit per pixel covers most of it (a
    small 1-bit logo or signature image does not make a page a scan)."""
    largest = _largest_image(page)
    width_pt, height_pt = page.get_size()
    if largest is None or largest[2] < 0.5 * width_pt * height_pt:
        return None
    try:
        return bool(largest[1].get_metadata().bits_per_pixel == 1)
    except Exception:  # metadata pdfium cannot give: the pixels must tell
        return None


def _clamped_dpi(dpi: float, width_pt: float, height_pt: float, max_dpi: float = MAX_DPI) -> float:
    dpi = min(max(dpi, MIN_DPI), max_dpi)
    pixels = (width_pt / 72.0 * dpi) * (height_pt / 72.0 * dpi)
    if pixels > MAX_PIXELS:
        dpi *= (MAX_PIXELS / pixels) ** 0.5
    return dpi


def render_page(
    page: pdfium.PdfPage, number: int, dpi: float | None = None, max_dpi: float = MAX_DPI
) -> PageImage:
    """Render one page at ``dpi`` (default: the page's scan resolution, at most ``max_dpi``)."""
    width_pt, height_pt = page.get_size()
    chosen = _clamped_dpi(dpi or scan_dpi(page) or DEFAULT_DPI, width_pt, height_pt, max_dpi)
    bitmap = page.render(scale=chosen / 72.0, rev_byteorder=True)
    pixels = np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
    return PageImage(number=number, pixels=pixels, dpi=chosen, bilevel=_bilevel(page))


def render_pdf(
    content: bytes, numbers: list[int] | None = None, dpi: float | None = None, max_dpi: float = MAX_DPI
) -> Iterator[PageImage]:
    """Render the pages ``numbers`` (1-based; all pages when None), one at a time."""
    try:
        document = pdfium.PdfDocument(content)
    except pdfium.PdfiumError as error:
        raise UnreadableFileError(f"PDF无法渲染为图像（{error}）") from None
    try:
        wanted = numbers if numbers is not None else list(range(1, len(document) + 1))
        for number in wanted:
            page = document[number - 1]
            try:
                yield render_page(page, number, dpi, max_dpi)
            finally:
                page.close()
    finally:
        document.close()


def load_picture(content: bytes, assumed_dpi: float = DEFAULT_DPI) -> list[PageImage]:
    """A JPG/PNG/TIFF attachment as page images (one per frame). A picture carries no page
    size, so its dpi is what the file says, else ``assumed_dpi``."""
    try:
        picture = Image.open(io.BytesIO(content))
        picture.load()
    except Exception as error:  # Pillow raises many types on damaged images
        raise UnreadableFileError(f"图片无法打开（{type(error).__name__}）") from None
    pages: list[PageImage] = []
    frame = 0
    while True:
        if picture.width * picture.height > MAX_PIXELS:
            scale = (MAX_PIXELS / (picture.width * picture.height)) ** 0.5
            frame_image = picture.convert("RGB").resize(
                (max(1, int(picture.width * scale)), max(1, int(picture.height * scale)))
            )
        else:
            frame_image = picture.convert("RGB")
        dpi_info = picture.info.get("dpi")
        dpi = float(dpi_info[0]) if dpi_info and float(dpi_info[0]) >= MIN_DPI else assumed_dpi
        pages.append(PageImage(number=frame + 1, pixels=np.asarray(frame_image, dtype=np.uint8), dpi=dpi))
        frame += 1
        try:
            picture.seek(frame)
        except EOFError:
            break
    return pages
