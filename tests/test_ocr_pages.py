"""OCR of scanned pages into the same page facts as the text layer (extractors.vision).

Pages are drawn with reportlab in a CJK font, rendered by pdfium and written back as
image-only PDFs, so tesseract reads real pixels; small and few, so the tests stay fast.
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from extractors.pdf_text import read_pdf_text, read_picture_text
from extractors.text_quality import looks_like_latin1_mojibake, plausible_share, redecoded_as_gbk
from extractors.vision.grid import grid_rows
from extractors.vision.images import PageImage
from extractors.vision.ocr_page import OcrOptions, cached_read
from extractors.vision.prepare import is_blank, skew_angle
from schemas.facts import Box, Word

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
LINES = [
    "2022年职业技能等级证书试点工作方案",
    "一、基本信息",
    "证书名称：幼儿照护",
    "报考人数：90人",
    "不向学生收取任何培训、考核费用。",
]


def _native_pdf(lines: list[str] = LINES, table: list[list[str]] | None = None) -> bytes:
    if "ZenHei" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("ZenHei", FONT, subfontIndex=0))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    y = 780.0
    for index, line in enumerate(lines):
        page.setFont("ZenHei", 18 if index == 0 else 13)
        if index == 0:
            page.drawCentredString(A4[0] / 2, y, line)
        else:
            page.drawString(72, y, line)
        y -= 30
    if table:
        top, row_height, widths = y - 10, 28.0, [150.0, 150.0, 120.0]
        for r, row in enumerate(table):
            x = 72.0
            for c, text in enumerate(row):
                page.rect(x, top - (r + 1) * row_height, widths[c], row_height)
                page.setFont("ZenHei", 12)
                page.drawString(x + 6, top - (r + 1) * row_height + 9, text)
                x += widths[c]
    page.showPage()
    page.save()
    return buffer.getvalue()


def _page_pixels(pdf: bytes, dpi: float = 200) -> np.ndarray:
    document = pdfium.PdfDocument(pdf)
    return np.asarray(document[0].render(scale=dpi / 72, rev_byteorder=True).to_pil().convert("RGB"))


def _image_pdf(pixels: np.ndarray, dpi: float = 200) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PDF", resolution=dpi)
    return buffer.getvalue()


def _joined(text: str) -> str:
    return "".join(text.split())


def test_a_scanned_page_is_read_by_ocr_into_lines() -> None:
    scan = _image_pdf(_page_pixels(_native_pdf()))
    result = read_pdf_text(scan)
    page = result.pages[0]
    assert page.text_source == "ocr"
    assert not page.has_text_layer  # the file's own text layer: none
    assert page.ocr_confidence is not None and page.ocr_confidence > 60
    text = _joined("\n".join(block.text for block in page.blocks))
    assert "证书名称" in text and "幼儿照护" in text
    assert "不向学生收取任何培训" in text
    # Boxes are PDF points of the page, like the text layer's.
    assert all(0 <= word.box.x0 < word.box.x1 <= page.width + 1 for word in page.words)
    assert all(word.source == "ocr" and word.confidence is not None for word in page.words)


def test_a_native_page_is_not_ocred() -> None:
    result = read_pdf_text(_native_pdf())
    assert result.pages[0].text_source == "text_layer"
    assert result.pages[0].ocr_confidence is None


def test_a_page_with_one_short_line_is_text_not_a_scan() -> None:
    result = read_pdf_text(_native_pdf(["附件2"]))
    assert result.pages[0].text_source == "text_layer"


def test_a_scanned_table_comes_back_as_rows_of_cells() -> None:
    table = [["试点批次", "试点证书", "等级"], ["2021年第一批", "老年照护", "初级"]]
    scan = _image_pdf(_page_pixels(_native_pdf(LINES[:2], table)))
    page = read_pdf_text(scan).pages[0]
    rows = [block for block in page.blocks if len(block.cells) == 3]
    assert len(rows) == 2
    assert [_joined(cell.text) for cell in rows[1].cells] == ["2021年第一批", "老年照护", "初级"]


def test_an_upside_down_scan_is_turned_before_reading() -> None:
    pixels = cv2.rotate(_page_pixels(_native_pdf()), cv2.ROTATE_180)
    page = read_pdf_text(_image_pdf(pixels)).pages[0]
    assert page.turned_degrees == 180
    assert "幼儿照护" in _joined(page.text)


@pytest.mark.parametrize(
    ("turn", "back"), [(cv2.ROTATE_90_CLOCKWISE, 270), (cv2.ROTATE_90_COUNTERCLOCKWISE, 90)]
)
def test_a_sideways_scan_is_turned_though_its_lines_read_fluently(turn: int, back: int) -> None:
    # RapidOCR turns each line that runs down the page and reads it well: only the lines'
    # direction tells that the page lies on its side.
    pixels = cv2.rotate(_page_pixels(_native_pdf()), turn)
    page = read_pdf_text(_image_pdf(pixels)).pages[0]
    assert page.turned_degrees == back
    assert "幼儿照护" in _joined(page.text)
    assert page.width < page.height


def test_skew_is_measured_and_straightened() -> None:
    pixels = _page_pixels(_native_pdf())
    height, width = pixels.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 2.0, 1.0)
    tilted = cv2.warpAffine(pixels, matrix, (width, height), borderValue=(255, 255, 255))
    gray = cv2.cvtColor(tilted, cv2.COLOR_RGB2GRAY)
    assert skew_angle(gray) == pytest.approx(-2.0, abs=0.3)
    page = read_pdf_text(_image_pdf(tilted)).pages[0]
    assert page.skew_degrees == pytest.approx(-2.0, abs=0.3)
    assert "报考人数" in _joined(page.text)


def test_a_blank_page_is_recognised_and_holds_no_words() -> None:
    rng = np.random.default_rng(3)
    paper = np.full((1650, 1170, 3), 246, np.uint8)
    speckle = rng.random(paper.shape[:2]) < 0.0004
    paper[speckle] = 90
    assert is_blank(cv2.cvtColor(paper, cv2.COLOR_RGB2GRAY))
    page = read_pdf_text(_image_pdf(paper)).pages[0]
    assert page.text_source == "blank"
    assert page.readable and page.words == []
    text_page = cv2.cvtColor(_page_pixels(_native_pdf()), cv2.COLOR_RGB2GRAY)
    assert not is_blank(text_page)


def test_red_seal_ink_over_text_does_not_hide_it() -> None:
    pixels = _page_pixels(_native_pdf())
    # A red ring and star pressed over the 报考人数 line: ink multiplies with the print under it.
    stamp = np.full(pixels.shape, 255, np.uint8)
    cv2.circle(stamp, (330, 480), 120, (225, 40, 40), thickness=18)
    cv2.circle(stamp, (330, 480), 50, (230, 60, 60), thickness=-1)
    stamped = (pixels.astype(np.uint16) * stamp // 255).astype(np.uint8)
    page = read_pdf_text(_image_pdf(stamped)).pages[0]
    assert "报考人数" in _joined(page.text)


def test_grid_cells_come_from_the_ruling_lines() -> None:
    mask = np.zeros((300, 400), np.uint8)
    for y in (10, 100, 190):
        cv2.line(mask, (10, y), (390, y), 255, 3)
    for x in (10, 130, 260, 390):
        cv2.line(mask, (x, 10), (x, 190), 255, 3)
    rows = grid_rows(mask, 0.5)
    assert [len(row) for row in rows] == [3, 3]
    first = rows[0][0]
    assert (
        first is not None and first.x0 == pytest.approx(6, abs=2) and first.bottom == pytest.approx(49, abs=2)
    )


def test_pages_are_read_once_and_cached_by_their_pixels(tmp_path: Path) -> None:
    pixels = _page_pixels(_native_pdf(LINES[:3]))
    image = PageImage(number=1, pixels=pixels, dpi=200)
    options = OcrOptions(cache_dir=tmp_path)
    first = cached_read(image, options, 595.0, 842.0)
    cached = list((tmp_path / "ocr").rglob("*.json"))
    assert len(cached) == 1
    again = cached_read(image, options, 595.0, 842.0)
    assert [w.text for w in again.words] == [w.text for w in first.words]
    # The same page of another file (same pixels) hits the same entry; other pixels do not.
    other = PageImage(number=1, pixels=_page_pixels(_native_pdf(LINES[1:3])), dpi=200)
    cached_read(other, options, 595.0, 842.0)
    assert len(list((tmp_path / "ocr").rglob("*.json"))) == 2


def test_a_photo_of_a_page_on_a_desk_is_flattened_and_read() -> None:
    page = _page_pixels(_native_pdf(), dpi=150)
    desk = np.full((page.shape[0] + 400, page.shape[1] + 400, 3), (90, 60, 40), np.uint8)
    height, width = page.shape[:2]
    source = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    target = np.array(
        [[230, 180], [width + 150, 230], [width + 190, height + 220], [190, height + 170]], np.float32
    )
    warped = cv2.warpPerspective(
        page, cv2.getPerspectiveTransform(source, target), (desk.shape[1], desk.shape[0])
    )
    mask = cv2.warpPerspective(
        np.full((height, width), 255, np.uint8),
        cv2.getPerspectiveTransform(source, target),
        (desk.shape[1], desk.shape[0]),
    )
    desk[mask > 0] = warped[mask > 0]
    buffer = io.BytesIO()
    Image.fromarray(desk).save(buffer, format="JPEG", quality=80)
    result = read_picture_text(buffer.getvalue())
    text = _joined(result.pages[0].text)
    assert "证书名称" in text and "报考人数" in text


def test_gbk_mojibake_is_recognised_and_decoded() -> None:
    box = Box(x0=0, top=0, x1=10, bottom=10)
    words = [Word(text="试点方案".encode("gbk").decode("latin-1"), box=box), Word(text="2022", box=box)]
    assert looks_like_latin1_mojibake(words)
    decoded = redecoded_as_gbk(words)
    assert decoded is not None and [w.text for w in decoded] == ["试点方案", "2022"]
    assert not looks_like_latin1_mojibake([Word(text="试点方案", box=box)])
    # Latin-1 that is no GBK Chinese is not "decoded" into noise.
    assert redecoded_as_gbk([Word(text="Café déjà vu", box=box)]) is None


def test_a_text_layer_of_noise_is_implausible() -> None:
    box = Box(x0=0, top=0, x1=10, bottom=10)
    assert plausible_share([Word(text="试点工作方案，报考人数：30人。", box=box)]) == 1.0
    assert plausible_share([Word(text="~^~|{}¦§¤¬~^`", box=box)]) < 0.5
