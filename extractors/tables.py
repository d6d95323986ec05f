"""Office files -> grids of cell text, whatever program the school filled the form in.

Attachment 1 arrives as .xlsx, as the Word template filled in (.docx), and from older machines
as .xls. The parser in :mod:`extractors.annex1` must not care which: it gets the same cell-text
grids from every format, with merged cells resolved the way a reviewer reads them (a merged
header labels every column under it), numbers as the text a reviewer sees (120, not 120.0) and
everything outside tables as plain text lines for the 院校名称/联系人/日期 labels.

The first bytes, not the file name, decide the reader (schools rename .doc to .xls freely), and
every failure is an :class:`InputFileError` whose message tells the school what to resend.

Each file is read within its limits (schemas/limits.py): an Office file's parts are measured
by their declared unpacked sizes before anything is unpacked (zipfile never inflates past a
declared size), an xlsx sheet is streamed row by row (a 1.1 MB file of a million rows grew
past 6.8 GB when loaded whole), an .xls sheet's declared size is read from its DIMENSIONS
record before xlrd builds it, and a table stops at ``limits.rows_per_table`` and
``limits.columns_per_table``: content past them is a ``LimitExceededError``. Formatted empty
rows past the limit are skipped, never stored.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import openpyxl
import xlrd
from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph
from openpyxl.utils import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

# The sheet parser behind openpyxl's read-only mode, used directly: it yields each row with
# its row number and cells, so gaps are not padded and the merged ranges come with it.
from openpyxl.worksheet._reader import WorkSheetParser
from xlrd.compdoc import CompDoc

from extractors.budget import Deadline
from extractors.errors import (
    EmptyFileError,
    EncryptedFileError,
    InputFileError,
    LimitExceededError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from extractors.filetype import TYPE_NAMES, sniff
from extractors.formulas import formula_value  # formula cells without a computed value
from schemas.limits import DEFAULT_LIMITS, Limits, count_text, size_text

__all__ = ["Table", "TableFile", "TableFormat", "formula_value", "number_text", "read_tables", "value_text"]

TableFormat = Literal["xlsx", "docx", "xls"]

RESEND = "请将附件1另存为.xlsx（Excel）或.docx（Word）格式重新发送，或发送签字盖章纸质表的扫描PDF。"

# What the school changes when a table is past its row or column limit.
_TRIM = "超出部分未读取；请学校删除多余的行、列或工作表（只保留附件1统计表）"


@dataclass(frozen=True)
class Table:
    """One table as cell text. For a sheet, ``rows[i][j]`` is the cell in row i+1, column j+1
    (A1 is ``rows[0][0]``), so formula references can be resolved against the grid.

    ``formulas`` holds the positions whose text is a formula (``=SUM(E5:E9)``) because the
    file carries no computed value for it (written by a library, never opened in Excel).
    """

    rows: list[list[str]]
    sheet: str | None
    index: int
    formulas: frozenset[tuple[int, int]] = frozenset()

    def cell(self, row: int, column: int) -> str:
        if 0 <= row < len(self.rows) and 0 <= column < len(self.rows[row]):
            return self.rows[row][column]
        return ""


@dataclass(frozen=True)
class TableFile:
    """Everything readable in one file: its tables and the text outside them."""

    format: TableFormat
    tables: list[Table]
    text: str
    paragraphs: list[str] = field(default_factory=list)


def read_tables(
    content: bytes, limits: Limits = DEFAULT_LIMITS, deadline: Deadline | None = None
) -> TableFile:
    """Read an .xlsx, .docx or .xls file within ``limits``; raises :class:`InputFileError`
    subclasses only (``LimitExceededError`` past a limit, ``TimeLimitError`` past the time)."""
    kind = sniff(content)
    clock = deadline or Deadline.start(limits)
    if kind == "empty":
        raise EmptyFileError("文件为空（0字节）", remedy=RESEND)
    if len(content) > limits.bytes_per_file:
        raise LimitExceededError(
            "文件大小", f"文件为{size_text(len(content))}", size_text(limits.bytes_per_file), fix=_TRIM
        )
    if kind == "zip":
        return _read_zip_office(content, limits, clock)
    if kind == "ole":
        return _read_ole(content, limits, clock)
    if kind in ("pdf", "jpeg", "png", "tiff", "gif", "bmp"):
        # A scan of the signed, stamped paper is a valid submission, but it is read by OCR, not
        # here; the message says so rather than asking the school to resend.
        raise UnsupportedFormatError(
            f"文件是{TYPE_NAMES.get(kind, 'PDF')}（扫描件），不是Excel/Word表格，表格内容需经OCR识别或人工核对",
            remedy="扫描件请转人工或OCR核对；如需自动读取，" + RESEND,
        )
    raise UnsupportedFormatError(
        f"文件是{TYPE_NAMES.get(kind, '无法识别的格式')}，不是Excel/Word表格；{RESEND}", remedy=RESEND
    )


# ---- cell values as a reviewer sees them ---------------------------------------------------


def number_text(value: float) -> str:
    """120.0 -> "120", 1.5 -> "1.5", 0.30000000000000004 -> "0.3" (what Excel shows)."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10f}".rstrip("0").rstrip(".")


def value_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value).strip()


def _trimmed(rows: list[list[str]]) -> list[list[str]]:
    """Drop trailing empty rows and columns (formatting often reaches far past the data)."""
    while rows and not any(rows[-1]):
        rows.pop()
    width = max((max((j + 1 for j, text in enumerate(row) if text), default=0) for row in rows), default=0)
    return [row[:width] + [""] * (width - len(row[:width])) for row in rows]


def _row_line(cells: list[str]) -> str:
    """A grid row as one text line: merged repeats once, cells separated by tabs."""
    out: list[str] = []
    for text in cells:
        if text and (not out or out[-1] != text):
            out.append(text.replace("\n", " "))
    return "\t".join(out)


# ---- zip-based: xlsx and docx ---------------------------------------------------------------


def _check_parts(archive: zipfile.ZipFile, limits: Limits) -> None:
    """The parts' declared unpacked sizes against the limits, before any is unpacked: zipfile
    stops inflating a part at its declared size, so a lying size only truncates (and fails)."""
    total = 0
    for info in archive.infolist():
        if info.file_size > limits.decompressed_bytes_per_stream:
            raise LimitExceededError(
                "文件中一个部件解压后的大小",
                f"“{info.filename}”为{size_text(info.file_size)}",
                size_text(limits.decompressed_bytes_per_stream),
                fix=f"疑似压缩炸弹或异常文件，未读取；{_TRIM}",
            )
        total += info.file_size
    if total > limits.decompressed_bytes_per_file:
        raise LimitExceededError(
            "文件解压后的总大小",
            f"为{size_text(total)}",
            size_text(limits.decompressed_bytes_per_file),
            fix=f"未读取；{_TRIM}（删除表格中的大图片）",
        )


def _read_zip_office(content: bytes, limits: Limits, deadline: Deadline) -> TableFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise UnreadableFileError(f"文件已损坏或不完整，无法打开（{error}）", remedy=RESEND) from error
    if "xl/workbook.xml" in names or "word/document.xml" in names:
        _check_parts(archive, limits)
    if "xl/workbook.xml" in names:
        return _read_xlsx(content, limits, deadline)
    if "word/document.xml" in names:
        return _read_docx(content, limits, deadline)
    if "mimetype" in names:
        raise UnsupportedFormatError(f"文件是OpenDocument（.ods/.odt）文档；{RESEND}", remedy=RESEND)
    if "ppt/presentation.xml" in names:
        raise UnsupportedFormatError(f"文件是PowerPoint演示文稿，不是表格；{RESEND}", remedy=RESEND)
    raise UnsupportedFormatError(f"文件是ZIP压缩包，不是Excel/Word表格；{RESEND}", remedy=RESEND)


def _load_xlsx(content: bytes, *, data_only: bool) -> Any:
    try:
        return openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as error:
        raise UnreadableFileError(f"Excel文件已损坏，无法打开（{error}）", remedy=RESEND) from error
    except Exception as error:  # a corrupt part can fail anywhere inside openpyxl's XML parsing
        raise UnreadableFileError(f"Excel文件已损坏，无法打开（{error}）", remedy=RESEND) from error


def _read_xlsx(content: bytes, limits: Limits, deadline: Deadline) -> TableFile:
    # Cached values for what Excel computed; the formula text where nothing was ever computed.
    values = _load_xlsx(content, data_only=True)
    formulas = _load_xlsx(content, data_only=False)
    try:
        tables = [
            _xlsx_sheet(sheet, formulas.worksheets[index], index, limits, deadline)
            for index, sheet in enumerate(values.worksheets)
        ]
    except InputFileError:
        raise
    except Exception as error:  # damaged sheet XML fails while it streams, not when opened
        raise UnreadableFileError(f"Excel文件中的工作表已损坏，无法读取（{error}）", remedy=RESEND) from error
    finally:
        values.close()
        formulas.close()
    return TableFile(format="xlsx", tables=tables, text=_sheet_text(tables))


@dataclass
class _SheetCells:
    """One sheet streamed: its non-empty cells by (row, column), from 0, and its merged ranges."""

    cells: dict[tuple[int, int], Any]
    merges: list[tuple[int, int, int, int]]  # top, bottom, left, right, from 0, inclusive


def _too_many(where: str, what: str, limit: int) -> LimitExceededError:
    """``where`` names the table and the place past the limit: 工作表“Sheet1”第5001行仍有内容."""
    return LimitExceededError(f"表格的{what}数", where, f"{count_text(limit)}{what}", fix=_TRIM)


def _stream_sheet(sheet: Any, limits: Limits, deadline: Deadline) -> _SheetCells:
    """Stream one read-only sheet; content past the row or column limit raises."""
    book = sheet.parent
    found: dict[tuple[int, int], Any] = {}
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            deadline.check(f"工作表“{sheet.title}”第{number}行")
            for cell in cells:
                value = cell["value"]
                if value is None or value == "":
                    continue
                if number > limits.rows_per_table:
                    raise _too_many(f"工作表“{sheet.title}”第{number}行仍有内容", "行", limits.rows_per_table)
                column = cell["column"]
                if column > limits.columns_per_table:
                    raise _too_many(
                        f"工作表“{sheet.title}”第{column}列仍有内容", "列", limits.columns_per_table
                    )
                found[(number - 1, column - 1)] = value
        merged = parser.merged_cells.mergeCell if parser.merged_cells is not None else []
    merges = []
    for merge in merged:
        left, top, right, bottom = range_boundaries(merge.ref)
        merges.append((top - 1, bottom - 1, left - 1, right - 1))
    return _SheetCells(found, merges)


def _xlsx_sheet(sheet: Any, formula_sheet: Any, index: int, limits: Limits, deadline: Deadline) -> Table:
    streamed = _stream_sheet(sheet, limits, deadline)
    # The formulas as written, for the cells Excel never computed (a file written by a library).
    written = {
        place: text
        for place, text in _stream_sheet(formula_sheet, limits, deadline).cells.items()
        if place not in streamed.cells and isinstance(text, str) and text.startswith("=")
    }
    filled = [*streamed.cells, *written]
    height = max((r + 1 for r, _ in filled), default=0)
    width = max((c + 1 for _, c in filled), default=0)
    # A merged range reaching past the values (a title over empty cells) still labels them.
    for top, _bottom, left, right in streamed.merges:
        if (top, left) in streamed.cells:
            width = max(width, min(right + 1, limits.columns_per_table))
    rows = [[""] * width for _ in range(height)]
    formula_cells = set(written)
    for (r, c), text in written.items():
        rows[r][c] = text
    for (r, c), value in streamed.cells.items():
        rows[r][c] = value_text(value)
    for top, bottom, left, right in streamed.merges:
        _fill_merged(rows, top, bottom, left, right)
    return Table(rows=_trimmed(rows), sheet=sheet.title, index=index, formulas=frozenset(formula_cells))


def _fill_merged(rows: list[list[str]], top: int, bottom: int, left: int, right: int) -> None:
    """A merged range shows its top-left value across the whole range, so every covered cell
    gets it: a group header then labels each column under it."""
    if top >= len(rows) or left >= len(rows[0] if rows else []):
        return
    text = rows[top][left]
    for r in range(top, min(bottom, len(rows) - 1) + 1):
        for c in range(left, min(right, len(rows[r]) - 1) + 1):
            rows[r][c] = text


def _sheet_text(tables: list[Table]) -> str:
    return "\n".join(line for table in tables for row in table.rows if (line := _row_line(row)))


# ---- docx -----------------------------------------------------------------------------------


def _read_docx(content: bytes, limits: Limits, deadline: Deadline) -> TableFile:
    try:
        document = open_docx(io.BytesIO(content))
    except Exception as error:  # python-docx raises KeyError, XMLSyntaxError, ValueError... on damage
        raise UnreadableFileError(f"Word文件已损坏，无法打开（{error}）", remedy=RESEND) from error
    paragraphs: list[str] = []
    grids: list[list[list[str]]] = []
    try:
        for kind, item in _body_items(document.element.body, document):
            if kind == "p":
                text = item.text.strip()
                if text:
                    paragraphs.append(text)
            else:
                grids.extend(_docx_grids(item, limits, deadline))
    except InputFileError:
        raise
    except Exception as error:  # malformed table XML (a tc without a grid) must not crash a batch
        raise UnreadableFileError(f"Word文件中的表格已损坏，无法读取（{error}）", remedy=RESEND) from error
    tables = [Table(rows=rows, sheet=None, index=index) for index, rows in enumerate(grids)]
    return TableFile(format="docx", tables=tables, text="\n".join(paragraphs), paragraphs=paragraphs)


def _body_items(element: Any, parent: Any) -> Iterator[tuple[str, Any]]:
    """Paragraphs and tables in reading order, looking inside content controls (w:sdt)."""
    for child in element.iterchildren():
        if child.tag == qn("w:p"):
            yield "p", DocxParagraph(child, parent)
        elif child.tag == qn("w:tbl"):
            yield "tbl", DocxTable(child, parent)
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _body_items(content, parent)


def _docx_grids(table: DocxTable, limits: Limits, deadline: Deadline) -> list[list[list[str]]]:
    """This table's grid, then the grids of tables nested in its cells; a table past the row
    or column limit raises before its cells are read."""
    rows = len(table._tbl.tr_lst)
    if rows > limits.rows_per_table:
        raise _too_many(f"Word文件中的一个表格有{count_text(rows)}行", "行", limits.rows_per_table)
    texts: list[list[str]] = []
    # The w:tc element behind each grid position; held (not just its id) so lxml keeps one
    # proxy per element and ``is`` tells a span's repeats from neighbouring cells.
    owners: list[list[object | None]] = []
    nested: list[DocxTable] = []
    for number, row in enumerate(table.rows, start=1):
        deadline.check(f"Word表格第{number}行")
        if len(row._tr.tc_lst) + row.grid_cols_before + row.grid_cols_after > limits.columns_per_table:
            raise _too_many(f"Word文件中的一个表格第{number}行的列数过多", "列", limits.columns_per_table)
        row_texts = [""] * row.grid_cols_before
        row_owners: list[object | None] = [None] * row.grid_cols_before
        for cell in row.cells:
            if not any(cell._tc is owner for owner in row_owners) and not any(
                cell._tc is owner for above in owners for owner in above
            ):
                nested.extend(cell.tables)
            row_texts.append(cell.text.strip())
            row_owners.append(cell._tc)
        row_texts.extend([""] * row.grid_cols_after)
        row_owners.extend([None] * row.grid_cols_after)
        texts.append(row_texts)
        owners.append(row_owners)
    grid = _drop_span_only_columns(texts, owners)
    result = [grid] if any(any(row) for row in grid) else []
    for inner in nested:
        result.extend(_docx_grids(inner, limits, deadline))
    return result


def _drop_span_only_columns(texts: list[list[str]], owners: list[list[object | None]]) -> list[list[str]]:
    """python-docx repeats a horizontally merged cell once per grid column it spans. A grid
    column that in every row only repeats the cell to its left exists only because Word drew a
    span there; it is dropped, so such a table reads as the table the school sees. Columns where
    some row has a cell of its own are kept (the merged repeats then label them all)."""
    width = max((len(row) for row in texts), default=0)
    for row_texts, row_owners in zip(texts, owners, strict=True):
        row_texts.extend([""] * (width - len(row_texts)))
        row_owners.extend([None] * (width - len(row_owners)))
    keep = [
        c
        for c in range(width)
        if c == 0 or any(row[c] is not None and row[c] is not row[c - 1] for row in owners)
    ]
    return [[row[c] for c in keep] for row in texts]


# ---- OLE: xls, and what is not a workbook ---------------------------------------------------

_OLE_KINDS: tuple[tuple[str, str], ...] = (
    ("WordDocument", "Word 97-2003文档（.doc）或WPS文字文档（.wps）"),
    ("PowerPoint Document", "PowerPoint 97-2003演示文稿（.ppt/.dps）"),
    ("WpsContent", "WPS文字文档（.wps）"),
)


def _ole_stream_names(content: bytes) -> set[str]:
    try:
        compound = CompDoc(content, logfile=io.StringIO())
    except Exception as error:  # xlrd's CFB parser raises CompDocError, struct.error, IndexError
        raise UnreadableFileError(f"文件已损坏或不完整，无法打开（{error}）", remedy=RESEND) from error
    return {entry.name for entry in compound.dirlist if entry.name}


def _read_ole(content: bytes, limits: Limits, deadline: Deadline) -> TableFile:
    names = _ole_stream_names(content)
    if names & {"EncryptionInfo", "EncryptedPackage"}:
        raise EncryptedFileError(
            f"文件设置了打开密码（加密的Office文档），无法读取；请取消密码后{RESEND}", remedy=RESEND
        )
    if not names & {"Workbook", "Book"}:
        what = next(
            (label for stream, label in _OLE_KINDS if stream in names),
            "旧版Office/WPS文档（如WPS表格.et、WPS文字.wps），不是Excel工作簿",
        )
        raise UnsupportedFormatError(f"文件是{what}，无法读取其中的表格；{RESEND}", remedy=RESEND)
    _check_xls_cells(content, limits, deadline)
    return _read_xls(content, limits, deadline)


# BIFF cell records that hold content (not BLANK/MULBLANK, which only carry formatting); each
# starts with its row and column. MULRK (0x00BD) ends with its last column.
_XLS_CELLS = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x0006, 0x0205, 0x00D6, 0x00BD})
_XLS_BOF, _XLS_MULRK = 0x0809, 0x00BD


def _check_xls_cells(content: bytes, limits: Limits, deadline: Deadline) -> None:
    """Content past the row or column limit, found by walking the BIFF record headers before
    xlrd builds every cell in memory (a 13 MB sheet of 65536 rows took 120 MB and 8 s)."""
    try:
        compound = CompDoc(content, logfile=io.StringIO())
        stream = compound.get_named_stream("Workbook") or compound.get_named_stream("Book")
    except Exception:  # xlrd reports the damage in its own words
        return
    if not stream:
        return
    position, sheet, records = 0, 0, 0
    while position + 4 <= len(stream):
        records += 1
        if records % 4096 == 0:
            deadline.check(f"Excel 97-2003文件第{sheet - 1}个工作表")
        kind, length = struct.unpack_from("<HH", stream, position)
        data = position + 4
        position = data + length
        if kind == _XLS_BOF:
            sheet += 1  # the first BOF opens the workbook globals, each later one a sheet
        elif kind in _XLS_CELLS and length >= 4 and position <= len(stream):
            row, column = struct.unpack_from("<HH", stream, data)
            if kind == _XLS_MULRK and length >= 6:
                column = struct.unpack_from("<H", stream, position - 2)[0]
            if row >= limits.rows_per_table:
                raise _too_many(f"第{sheet - 1}个工作表第{row + 1}行仍有内容", "行", limits.rows_per_table)
            if column >= limits.columns_per_table:
                raise _too_many(
                    f"第{sheet - 1}个工作表第{column + 1}列仍有内容", "列", limits.columns_per_table
                )


def _open_xls(content: bytes) -> xlrd.book.Book:
    try:
        return xlrd.open_workbook(file_contents=content, formatting_info=True, logfile=io.StringIO())
    except NotImplementedError:
        # formatting_info is not implemented for every BIFF version; merged cells are then
        # unknown but the values still read.
        return xlrd.open_workbook(file_contents=content, logfile=io.StringIO())


def _read_xls(content: bytes, limits: Limits, deadline: Deadline) -> TableFile:
    try:
        book = _open_xls(content)
    except xlrd.XLRDError as error:
        if "encrypt" in str(error).lower():
            raise EncryptedFileError(
                f"Excel文件设置了打开密码，无法读取；请取消密码后{RESEND}", remedy=RESEND
            ) from error
        raise UnreadableFileError(f"Excel 97-2003文件已损坏，无法打开（{error}）", remedy=RESEND) from error
    except InputFileError:
        raise
    except Exception as error:  # truncated BIFF records fail with struct/index errors
        raise UnreadableFileError(f"Excel 97-2003文件已损坏，无法打开（{error}）", remedy=RESEND) from error
    tables = [_xls_sheet(book, book.sheet_by_index(i), i, limits, deadline) for i in range(book.nsheets)]
    return TableFile(format="xls", tables=tables, text=_sheet_text(tables))


def _xls_sheet(
    book: xlrd.book.Book, sheet: xlrd.sheet.Sheet, index: int, limits: Limits, deadline: Deadline
) -> Table:
    # An .xls sheet holds at most 65536 rows of 256 columns, and the file is within its size
    # limit; formatted empty cells past the limits are allowed, content is not.
    height = min(sheet.nrows, limits.rows_per_table)
    width = min(sheet.ncols, limits.columns_per_table)
    for r in range(sheet.nrows):
        deadline.check(f"工作表“{sheet.name}”第{r + 1}行")
        if r < height and sheet.ncols <= width:
            continue
        types = sheet.row_types(r)
        start = 0 if r >= height else width
        for c in range(start, len(types)):
            if types[c] not in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                if r >= height:
                    raise _too_many(f"工作表“{sheet.name}”第{r + 1}行仍有内容", "行", limits.rows_per_table)
                raise _too_many(f"工作表“{sheet.name}”第{c + 1}列仍有内容", "列", limits.columns_per_table)
    rows = [[_xls_cell(book, sheet, r, c) for c in range(width)] for r in range(height)]
    for top, bottom, left, right in sheet.merged_cells:
        # xlrd ranges are half-open: (rlo, rhi, clo, chi).
        _fill_merged(rows, top, bottom - 1, left, right - 1)
    return Table(rows=_trimmed(rows), sheet=sheet.name, index=index)


def _xls_cell(book: xlrd.book.Book, sheet: xlrd.sheet.Sheet, row: int, column: int) -> str:
    cell = sheet.cell(row, column)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return number_text(float(cell.value))
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return value_text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return number_text(float(cell.value))
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERR")
    return str(cell.value).strip()
