"""PDF -> page facts from the text layer: words and visual lines, with positions.

pdfplumber gives words with boxes; when it cannot parse a damaged file, pypdf (which
tolerates other kinds of damage) rewrites it and pdfplumber tries once more. Files that no
reader can open raise the ``InputFileError`` that names the ``file.*`` finding. Pages are
facts only: which page is a plan or an agreement is decided elsewhere.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import pdfplumber
import pypdf
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pypdf.errors import FileNotDecryptedError, PdfReadError

from extractors.budget import Deadline
from extractors.errors import (
    EmptyFileError,
    EncryptedFileError,
    InputFileError,
    OcrError,
    TimeLimitError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from extractors.filetype import TYPE_NAMES, sniff
from extractors.layout import GridRow, table_rows, text_right_edge, with_table_rows
from extractors.normalize import clean_line
from extractors.text_quality import looks_like_latin1_mojibake, poor_hidden_layer, redecoded_as_gbk
from extractors.vision.images import load_picture
from extractors.vision.ocr_page import OcrOptions, OcrPage
from extractors.vision.scanned import ocr_images, ocr_pdf_pages
from schemas.document import ProcessingError
from schemas.facts import Box, Cell, Line, PageFacts, Word

# pypdf and pdfminer narrate every repair on the root logger; the result object says what
# matters to reviewers, so keep their chatter out of the run log.
for _noisy in ("pypdf", "pdfminer"):
    logging.getLogger(_noisy).setLevel(logging.ERROR)

_UNDECODED = re.compile(r"\(cid:\d+\)")
MIN_TEXT_CHARS = 20


@dataclass
class PdfText:
    pages: list[PageFacts]
    errors: list[ProcessingError] = field(default_factory=list)
    repaired: bool = False


DEFAULT_OCR = OcrOptions()


def read_pdf_text(
    content: bytes, ocr: OcrOptions | None = DEFAULT_OCR, deadline: Deadline | None = None
) -> PdfText:
    """Read every page's words and lines: from the text layer, and by OCR (``ocr``; None
    leaves scanned pages unread) where a page has none that can be used. Raises an
    ``InputFileError`` subclass when the file as a whole cannot be read; a single bad page
    becomes a ``ProcessingError``."""
    kind = sniff(content)
    if kind == "empty":
        raise EmptyFileError("文件为0字节")
    if kind != "pdf":
        if kind in ("unknown", "text"):
            raise UnreadableFileError("文件不是有效的PDF（缺少PDF文件头）")
        raise UnsupportedFormatError(f"文件实际是{TYPE_NAMES[kind]}，不是PDF")

    reader = _open_pypdf(content)
    errors: list[ProcessingError] = []
    if reader is not None and reader.is_encrypted:
        # Opens without a password but carries permissions: readable here, yet the office
        # cannot print, stamp or merge it, so the school is asked for an unencrypted copy.
        errors.append(
            ProcessingError(
                component="pdf_text",
                code="file.encrypted",
                message="PDF已加密（无需密码即可打开，但设置了权限限制；内容已读取并检查）",
            )
        )
    repaired = False
    parsed = content  # the bytes pdfplumber could parse: the original, or pypdf's rewrite
    try:
        pages = _read_with_pdfplumber(content, deadline)
    except (EncryptedFileError, TimeLimitError):
        raise
    except Exception as first_error:  # pdfminer raises many unrelated types on damaged files
        if reader is None:
            raise UnreadableFileError(f"PDF结构损坏，无法解析（{type(first_error).__name__}）") from None
        try:
            parsed = _rewrite_with_pypdf(reader)
            pages = _read_with_pdfplumber(parsed, deadline)
        except Exception as second_error:
            raise UnreadableFileError(
                f"PDF结构损坏，修复后仍无法解析（{type(second_error).__name__}）"
            ) from None
        repaired = True
        errors.append(
            ProcessingError(
                component="pdf_text",
                code="pdf.repaired",
                message="PDF结构有损坏，已自动修复后读取，请核对内容是否完整",
            )
        )
    if not pages:
        raise EmptyFileError("PDF中没有任何页面")
    if ocr is not None:
        pages = _with_ocr(parsed, pages, ocr, deadline)
    for page in pages:
        if page.error is not None:
            errors.append(page.error)
    return PdfText(pages=_with_blocks(pages), errors=errors, repaired=repaired)


def _with_blocks(pages: list[_PageRead]) -> list[PageFacts]:
    """The pages' facts with their logical lines, wrapped at the document's own right edge:
    the edge of all its pages of one size. A flattened photo has a size of its own (and its
    points are not a printed page's), so its lines wrap at its own edge."""

    def size(page: _PageRead) -> tuple[int, int]:
        return round(page.facts.width), round(page.facts.height)

    sizes: dict[tuple[int, int], list[_PageRead]] = {}
    for page in pages:
        sizes.setdefault(size(page), []).append(page)
    edges = {
        key: text_right_edge(
            [line for page in same for line in page.facts.lines], max(page.facts.width for page in same)
        )
        for key, same in sizes.items()
    }
    return [
        page.facts.model_copy(
            update={"blocks": with_table_rows(page.free_lines, page.rows, edges[size(page)])}
        )
        for page in pages
    ]


def read_picture_text(
    content: bytes, ocr: OcrOptions = DEFAULT_OCR, deadline: Deadline | None = None
) -> PdfText:
    """A JPG/PNG/TIFF (a photo or scan of the paper) read by OCR, one page per frame. Raises
    ``InputFileError`` when the picture cannot be decoded."""
    images = load_picture(content)
    pages: list[_PageRead] = []
    errors: list[ProcessingError] = []
    for number, result in ocr_images(images, ocr, deadline):
        image = images[number - 1]
        blank = PageFacts(
            number=number,
            width=image.pixels.shape[1] * 72.0 / image.dpi,
            height=image.pixels.shape[0] * 72.0 / image.dpi,
        )
        if isinstance(result, OcrError):
            page = _page_not_read(_PageRead(blank), result)
            errors.append(page.error)  # type: ignore[arg-type]
            pages.append(page)
        else:
            pages.append(_page_from_ocr(blank, result))
    return PdfText(pages=_with_blocks(pages), errors=errors)


def _with_ocr(
    content: bytes, pages: list[_PageRead], options: OcrOptions, deadline: Deadline | None = None
) -> list[_PageRead]:
    """Pages without a usable text layer replaced by what OCR reads on their image."""
    wanted = [page.facts.number for page in pages if not page.facts.has_text_layer]
    if not wanted:
        return pages
    try:
        results = ocr_pdf_pages(content, wanted, options, deadline)
    except TimeLimitError:
        raise
    except InputFileError as error:  # pdfium cannot render what pdfplumber parsed
        results = {number: OcrError(str(error.args[0])) for number in wanted}
    replaced: list[_PageRead] = []
    for page in pages:
        result = results.get(page.facts.number)
        if result is None:
            replaced.append(page)
        elif isinstance(result, OcrError):
            replaced.append(_page_not_read(page, result))
        else:
            replaced.append(_page_from_ocr(page.facts, result))
    return replaced


def _page_not_read(page: _PageRead, error: OcrError) -> _PageRead:
    number = page.facts.number
    return _PageRead(
        page.facts,
        ProcessingError(
            component="ocr",
            code="ocr.failed",
            page=number,
            message=f"第{number}页OCR识别失败（{error.args[0]}），请人工审核该页",
        ),
    )


def _page_from_ocr(text_facts: PageFacts, ocr_page: OcrPage) -> _PageRead:
    words = ocr_page.words
    lines = group_lines(words)
    rows, free_words = table_rows(words, ocr_page.grid, group_lines) if ocr_page.grid else ([], words)
    facts = text_facts.model_copy(
        update={
            "width": ocr_page.width,
            "height": ocr_page.height,
            "words": words,
            "lines": lines,
            "text_source": "blank" if ocr_page.blank else "ocr",
            "ocr_confidence": ocr_page.mean_confidence,
            "skew_degrees": ocr_page.skew_degrees,
            "turned_degrees": ocr_page.turned_degrees,
            "flattened": ocr_page.flattened,
        }
    )
    return _PageRead(facts, None, rows=rows, free_lines=group_lines(free_words) if rows else lines)


def _open_pypdf(content: bytes) -> pypdf.PdfReader | None:
    """pypdf decides encryption (pdfminer's errors for it are not specific); None when
    pypdf cannot parse the file at all."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(content), strict=False)
    except Exception:
        return None
    if reader.is_encrypted:
        try:
            opened = bool(reader.decrypt(""))
        except Exception:
            opened = False
        if not opened:
            raise EncryptedFileError("PDF设置了打开密码")
    return reader


def _rewrite_with_pypdf(reader: pypdf.PdfReader) -> bytes:
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@dataclass
class _PageRead:
    facts: PageFacts
    error: ProcessingError | None = None
    rows: list[Line] = field(default_factory=list)  # ruled table rows, one logical line each
    free_lines: list[Line] = field(default_factory=list)  # the visual lines outside tables


def _read_with_pdfplumber(content: bytes, deadline: Deadline | None = None) -> list[_PageRead]:
    try:
        pdf = pdfplumber.open(io.BytesIO(content))
    except PDFPasswordIncorrect:
        raise EncryptedFileError("PDF设置了打开密码") from None
    except (FileNotDecryptedError, PdfReadError) as error:
        raise UnreadableFileError(str(error)) from None
    with pdf:
        pages = []
        for number, page in enumerate(pdf.pages, start=1):
            if deadline is not None:
                deadline.check(f"第{number}页")
            pages.append(_read_page(page, number))
        return pages


def _read_page(page: Any, number: int) -> _PageRead:
    width, height = float(page.width), float(page.height)
    rotation = int(page.rotation or 0) % 360
    try:
        raw_words = page.extract_words(x_tolerance=3, y_tolerance=3, keep_blank_chars=False)
    except Exception as failure:  # one broken content stream must not lose the other pages
        facts = PageFacts(number=number, width=width, height=height, rotation=rotation)
        return _PageRead(
            facts,
            ProcessingError(
                component="pdf_text",
                code="page.unreadable",
                page=number,
                message=f"第{number}页文字层无法读取（{type(failure).__name__}）",
            ),
        )
    words = [
        Word(
            text=w["text"],
            box=Box(x0=float(w["x0"]), top=float(w["top"]), x1=float(w["x1"]), bottom=float(w["bottom"])),
        )
        for w in raw_words
        if w["text"].strip()
    ]
    covered = _covered_by_image(page)
    error: ProcessingError | None = None
    if looks_like_latin1_mojibake(words):
        redecoded = redecoded_as_gbk(words)
        if redecoded is not None:
            words = redecoded
    lines = group_lines(words)
    rows, free_words = table_rows(words, _ruled_grid(page), group_lines)
    text = "".join(line.text for line in lines)
    readable = _UNDECODED.sub("", text)
    # Little text on a page that is no picture is a title page or a short note: text. On a
    # page-sized image it is a scanner's stamp or a stray OCR word: the picture is read.
    has_text_layer = len(readable.strip()) >= (MIN_TEXT_CHARS if covered else 1)
    if words and (len(readable) < len(text) / 2 or looks_like_latin1_mojibake(words)):
        error = ProcessingError(
            component="pdf_text",
            code="page.text_undecodable",
            page=number,
            message=f"第{number}页文字层编码无法识别，需要OCR",
        )
        has_text_layer = False
    elif has_text_layer and poor_hidden_layer(words, covered):
        has_text_layer = False  # the page image is read instead of a scanner's poor OCR layer
    facts = PageFacts(
        number=number,
        width=width,
        height=height,
        rotation=rotation,
        has_text_layer=has_text_layer,
        text_source="text_layer" if has_text_layer else "unread",
        words=words,
        lines=lines,
    )
    return _PageRead(facts, error, rows=rows, free_lines=group_lines(free_words) if rows else lines)


def _covered_by_image(page: Any) -> bool:
    """An image covers most of the page: a scan, a photo, a scanner app's page."""
    try:
        images = page.images
    except Exception:  # a broken resource dictionary: judge by the text alone
        return False
    area = float(page.width) * float(page.height)
    for image in images:
        width = min(float(image["x1"]), float(page.width)) - max(float(image["x0"]), 0.0)
        height = min(float(image["bottom"]), float(page.height)) - max(float(image["top"]), 0.0)
        if width > 0 and height > 0 and width * height >= 0.6 * area:
            return True
    return False


def _ruled_grid(page: Any) -> list[GridRow]:
    """The cells of the page's ruled tables (pdfplumber's line strategy). A frame around the
    whole page or a one-cell box is no table; a failure to find tables loses nothing."""
    try:
        tables = page.find_tables()
    except Exception:  # a broken drawing stream: read the page without its tables
        return []
    grid: list[GridRow] = []
    for table in tables:
        rows = [
            [Box(x0=c[0], top=c[1], x1=c[2], bottom=c[3]) if c else None for c in row.cells]
            for row in table.rows
        ]
        cells = [box for row in rows for box in row if box is not None]
        if len(cells) < 2 or any(box.bottom - box.top > 0.4 * float(page.height) for box in cells):
            continue
        grid.extend(rows)
    return grid


def _cell_text(words: list[Word]) -> str:
    parts: list[str] = []
    for index, word in enumerate(words):
        if index:
            gap = word.box.x0 - words[index - 1].box.x1
            if gap > 0.25 * (words[index - 1].box.bottom - words[index - 1].box.top):
                parts.append(" ")
        parts.append(word.text)
    return clean_line("".join(parts))


def group_lines(words: list[Word]) -> list[Line]:
    """Words to visual lines: a word joins the line whose vertical band it mostly overlaps;
    lines read top to bottom, words left to right. Gaps wider than about a character become
    one space (cells of a table row stay apart), smaller ones are closed up."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (round(w.box.top, 1), w.box.x0)):
        height = max(word.box.bottom - word.box.top, 1.0)
        placed = False
        for line in reversed(lines[-4:]):
            top = min(w.box.top for w in line)
            bottom = max(w.box.bottom for w in line)
            overlap = min(bottom, word.box.bottom) - max(top, word.box.top)
            if overlap >= 0.5 * min(height, bottom - top):
                line.append(word)
                placed = True
                break
        if not placed:
            lines.append([word])
    result = []
    for line_words in lines:
        line_words.sort(key=lambda w: w.box.x0)
        parts: list[str] = []
        cells: list[list[Word]] = [[]]
        previous: Word | None = None
        for word in line_words:
            if previous is not None:
                gap = word.box.x0 - previous.box.x1
                char_height = previous.box.bottom - previous.box.top
                # A wide gap separates table cells or columns: keep it as a tab so that
                # neither label reading nor CJK space collapsing glues the cells together.
                if gap > 1.5 * char_height:
                    parts.append("\t")
                    cells.append([])
                elif gap > 0.25 * char_height:
                    parts.append(" ")
            parts.append(word.text)
            cells[-1].append(word)
            previous = word
        result.append(
            Line(
                text=clean_line("".join(parts)),
                box=Box.around(w.box for w in line_words),
                source="ocr" if all(w.source == "ocr" for w in line_words) else "text_layer",
                cells=[Cell(text=_cell_text(cell), box=Box.around(w.box for w in cell)) for cell in cells],
            )
        )
    result.sort(key=lambda line: (line.box.top, line.box.x0))
    return result
