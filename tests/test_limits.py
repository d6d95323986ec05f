"""The limits themselves: one settings model, and each reader stopping at its limit with the
error that names it, having read no more than the limit (rows counted, memory traced)."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
import zlib

import docx
import openpyxl
import pytest
import xlwt
from PIL import Image

from benchmarks.hostile import (
    inflating_pdf,
    many_rows_xlsx,
    pdf_with_huge_image,
    pdf_with_objects,
    png_header,
    stream_object,
)
from extractors.budget import Deadline
from extractors.errors import ConfigurationError, LimitExceededError, TimeLimitError
from extractors.pdf_limits import check_image_limits, check_pdf_limits
from extractors.tables import read_tables
from fixtures.generate import build_document
from flows.settings import Settings, limits_from_environment
from schemas.limits import DEFAULT_LIMITS, MIB, Limits
from schemas.round_config import load_round_config

SMALL = Limits(rows_per_table=100, columns_per_table=20)


class CountingDeadline(Deadline):
    """A real deadline that also counts how often a reader asked it: one ask per row read."""

    def __init__(self, seconds: float = 600) -> None:
        super().__init__(seconds)
        self.asked = 0

    def check(self, where: str) -> None:
        self.asked += 1
        super().check(where)


# ---- the settings model ----------------------------------------------------------------------


def test_one_frozen_model_with_sane_defaults() -> None:
    assert Settings().limits == DEFAULT_LIMITS
    with pytest.raises(ValueError):
        DEFAULT_LIMITS.rows_per_table = 10  # type: ignore[misc]
    # far above any real submission, far below what takes a machine down
    assert 1000 <= DEFAULT_LIMITS.rows_per_table <= 100_000
    assert 10 * MIB <= DEFAULT_LIMITS.bytes_per_file <= 200 * MIB
    assert DEFAULT_LIMITS.zip_depth >= 3 and DEFAULT_LIMITS.zip_members >= 500
    assert DEFAULT_LIMITS.decompressed_bytes_per_stream < DEFAULT_LIMITS.decompressed_bytes_per_file
    with pytest.raises(ValueError):
        Limits(rows_per_table=0)


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limits_from_environment({"PILOT_INTAKE_LIMIT_ROWS_PER_TABLE": "300"}).rows_per_table == 300
    monkeypatch.setenv("PILOT_INTAKE_LIMIT_ZIP_DEPTH", "5")
    assert Settings.from_environment().limits.zip_depth == 5
    with pytest.raises(ConfigurationError, match="PILOT_INTAKE_LIMIT_ROWS"):
        limits_from_environment({"PILOT_INTAKE_LIMIT_ROWS": "3"})  # no such limit: says which exist
    with pytest.raises(ConfigurationError):
        limits_from_environment({"PILOT_INTAKE_LIMIT_ZIP_DEPTH": "-1"})


def test_deadline_raises_its_rule_past_the_time() -> None:
    Deadline(60).check("第1行")
    past = Deadline(0.001)
    time.sleep(0.01)
    with pytest.raises(TimeLimitError) as raised:
        past.check("第7行")
    assert raised.value.rule == "file.timeout" and "第7行" in str(raised.value)


# ---- PDF ---------------------------------------------------------------------------------------


def test_inflating_stream_is_refused_without_being_kept() -> None:
    pdf = inflating_pdf(40 * MIB)
    assert len(pdf) < MIB
    tracemalloc.start()
    try:
        with pytest.raises(LimitExceededError) as raised:
            check_pdf_limits(pdf, Limits(decompressed_bytes_per_stream=16 * MIB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert raised.value.rule == "file.too_large"
    assert "数据流" in str(raised.value) and "16MB" in str(raised.value)
    assert peak < 8 * MIB  # inflated chunk by chunk, never held


def test_all_streams_together_count() -> None:
    streams = [stream_object(zlib.compress(bytes(MIB))) for _ in range(5)]
    pdf = pdf_with_objects(streams)
    check_pdf_limits(pdf, Limits(decompressed_bytes_per_stream=2 * MIB, decompressed_bytes_per_file=6 * MIB))
    with pytest.raises(LimitExceededError, match="全部数据"):
        check_pdf_limits(
            pdf, Limits(decompressed_bytes_per_stream=2 * MIB, decompressed_bytes_per_file=4 * MIB)
        )


def test_page_count_and_image_pixels_and_size() -> None:
    with pytest.raises(LimitExceededError, match="共30页"):
        check_pdf_limits(
            pdf_with_objects([stream_object(b"q Q", b"")], page_count=30), Limits(pages_per_pdf=20)
        )
    with pytest.raises(LimitExceededError, match="像素"):
        check_pdf_limits(pdf_with_huge_image(100_000, 100_000))
    with pytest.raises(LimitExceededError, match="文件大小"):
        check_pdf_limits(inflating_pdf(1000), Limits(bytes_per_file=100))


def test_real_plans_pass_the_default_limits() -> None:
    config = load_round_config()
    for index in (1, 2):
        check_pdf_limits(build_document(index, "clean", 7, config).pdf)


# ---- pictures ------------------------------------------------------------------------------------


def test_pixel_bomb_header_is_refused_before_decoding() -> None:
    with pytest.raises(LimitExceededError, match="像素") as raised:
        check_image_limits(png_header(100_000, 100_000))  # ten billion pixels, a few bytes
    assert "分辨率" in str(raised.value)
    with pytest.raises(LimitExceededError, match="30×20"):
        check_image_limits(png_header(30, 20), Limits(pixels_per_image=500))
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(buffer, "PNG")
    check_image_limits(buffer.getvalue())


# ---- tables --------------------------------------------------------------------------------------


def test_xlsx_streams_and_stops_at_the_row_limit() -> None:
    content = many_rows_xlsx(20_000)
    deadline = CountingDeadline()
    with pytest.raises(LimitExceededError) as raised:
        read_tables(content, SMALL, deadline)
    assert raised.value.rule == "file.too_large"
    assert "第101行" in str(raised.value) and "上限为100行" in str(raised.value)
    assert deadline.asked <= 101  # rows read: the limit and the one past it, not 20,000


def test_xlsx_formatted_empty_rows_past_the_limit_are_skipped() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in range(1, 11):
        sheet.cell(row=row, column=1, value=f"第{row}行")
    for row in range(11, 400):  # borders drawn down the sheet, no content
        sheet.cell(row=row, column=2).number_format = "0.00"
        sheet.cell(row=row, column=2).font = openpyxl.styles.Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    [table] = read_tables(buffer.getvalue(), SMALL).tables
    assert len(table.rows) == 10 and table.rows[9][0] == "第10行"


def test_xlsx_column_limit() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.cell(row=1, column=1, value="院校名称")
    sheet.cell(row=2, column=25, value="远处的值")
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(LimitExceededError, match="第25列"):
        read_tables(buffer.getvalue(), SMALL)


def test_office_part_sizes_are_checked_before_unpacking() -> None:
    xlsx = many_rows_xlsx(2000)
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        sheet_size = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    with pytest.raises(LimitExceededError, match="部件") as raised:
        read_tables(xlsx, Limits(decompressed_bytes_per_stream=sheet_size - 1))
    assert "sheet1.xml" in str(raised.value)
    # a docx with a huge declared part (an image)
    document = docx.Document()
    document.add_paragraph("附件1")
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("word/media/image1.png", bytes(3 * MIB))
    with pytest.raises(LimitExceededError, match="总大小"):
        read_tables(buffer.getvalue(), Limits(decompressed_bytes_per_file=2 * MIB))


def test_docx_table_rows_and_xls_rows_are_bounded() -> None:
    document = docx.Document()
    table = document.add_table(rows=150, cols=3)
    table.cell(149, 0).text = "末行"
    buffer = io.BytesIO()
    document.save(buffer)
    deadline = CountingDeadline()
    with pytest.raises(LimitExceededError, match="150行"):
        read_tables(buffer.getvalue(), SMALL, deadline)
    assert deadline.asked == 0  # refused before a single cell was read

    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for row in range(300):
        sheet.write(row, 0, row)
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(LimitExceededError, match="第101行"):
        read_tables(buffer.getvalue(), SMALL)
    assert len(read_tables(buffer.getvalue()).tables[0].rows) == 300  # within the defaults


def test_time_limit_stops_a_table() -> None:
    deadline = Deadline(0.001)
    time.sleep(0.01)
    with pytest.raises(TimeLimitError, match="第1行"):
        read_tables(many_rows_xlsx(50), DEFAULT_LIMITS, deadline)


def test_ascii85_is_decoded_as_the_pdf_filter_reads_it() -> None:
    import base64
    import random

    from extractors.pdf_limits import a85_decode

    rng = random.Random(5)
    for size in (0, 1, 2, 3, 4, 5, 9, 1000):
        raw = bytes(rng.randrange(256) for _ in range(size)) + bytes(8) + b"\x01\x02\x03"
        assert a85_decode(base64.a85encode(raw, adobe=True, wrapcol=60)) == raw  # <~ ~>, line breaks, z
        assert a85_decode(base64.a85encode(raw) + b"~>") == raw
    with pytest.raises(ValueError):
        a85_decode(b"abc{}~>")  # outside the alphabet
    with pytest.raises(ValueError):
        a85_decode(b"uuuuu~>")  # past 32 bits
