"""Every processing limit in one settings model.

A careless or hostile sender can send a million-row sheet, a PDF whose stream inflates to a
gigabyte, a zip bomb, zips nested ten deep or a picture whose header claims ten billion pixels.
Each reader stops at its limit here, and a file that meets one gets a ``file.*`` finding naming
the limit and what to resend (extractors/errors.py), so one such file costs no more than its
limit and nothing is dropped in silence. The defaults are far above any real submission: a
school's Attachment 1 has a few dozen rows, a plan a few dozen pages, a zip of scans a few
dozen files well under 100 MB. ``flows/settings.py`` carries one ``Limits`` and passes it down;
every reader takes ``limits: Limits = DEFAULT_LIMITS``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MIB = 1024 * 1024


class Limits(BaseModel):
    """Processing limits, per received file unless said otherwise."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # A mail service takes attachments up to about 50 MB; larger ones go as download links.
    bytes_per_file: int = Field(default=50 * MIB, gt=0, description="一个文件（含压缩包中的文件）的大小")
    # A whole e-mail: its attachments base64-encoded (a third larger) and its text.
    bytes_per_message: int = Field(default=100 * MIB, gt=0, description="一封邮件的大小")
    pages_per_pdf: int = Field(default=500, gt=0, description="一个PDF的页数")
    # A4 at 600 dpi is 35 million pixels, A3 at 600 dpi 70 million, a 108 MP phone photo 108 million.
    pixels_per_image: int = Field(default=120_000_000, gt=0, description="一张图片或一页的像素数")
    # A page's content stream is some kilobytes; 64 MiB is a drawing no plan holds. Images in
    # a PDF are bounded by their pixels instead (their decoder never sees more).
    decompressed_bytes_per_stream: int = Field(
        default=64 * MIB, gt=0, description="PDF中一个数据流（或Office文件中一个部件）解压后的大小"
    )
    decompressed_bytes_per_file: int = Field(
        default=512 * MIB, gt=0, description="一个PDF或Office文件全部数据解压后的大小"
    )
    zip_depth: int = Field(default=3, gt=0, description="压缩包嵌套层数")
    # Per e-mail, all its archives together: what one message may unpack.
    zip_members: int = Field(default=1000, gt=0, description="一封邮件的压缩包中的文件个数")
    archive_unpacked_bytes: int = Field(default=200 * MIB, gt=0, description="一封邮件的压缩包解压后的总大小")
    rows_per_table: int = Field(default=5000, gt=0, description="一个表格（工作表）的行数")
    columns_per_table: int = Field(default=200, gt=0, description="一个表格（工作表）的列数")
    seconds_per_file: float = Field(default=600.0, gt=0, description="处理一个文件的时间（秒）")


DEFAULT_LIMITS = Limits()


def size_text(count: int) -> str:
    """A byte count as a reviewer reads it: 50MB, 1.5GB, 800KB, 12字节."""
    for unit, size in (("GB", 1024 * MIB), ("MB", MIB), ("KB", 1024)):
        if count >= size:
            value = count / size
            return f"{value:.0f}{unit}" if value >= 100 else f"{value:.3g}{unit}"
    return f"{count}字节"


def count_text(count: int) -> str:
    """A count as a reviewer reads it: 1.2亿, 2万, 20001, 5000."""
    if count >= 100_000_000:
        value = count / 100_000_000
        return f"{value:.0f}亿" if value >= 100 else f"{value:.3g}亿"
    if count >= 10_000 and count % 10_000 == 0:
        return f"{count // 10_000}万"
    return str(count)
