"""Hostile files, built on the spot: what a careless or malicious sender can mail or upload.

Shared by ``benchmarks.limits`` (full size: a million rows, a gigabyte inflating stream) and the
tests (small sizes against small limits). Every builder writes real bytes a real reader opens:
a PDF with a valid cross-reference table, an xlsx that Excel opens, a PNG with a valid header
chunk, zips made by ``zipfile``; only their size or shape is hostile.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zipfile
import zlib
from collections.abc import Iterator
from email.message import EmailMessage

_CHUNK = 1024 * 1024


def deflated_zeros(size: int) -> bytes:
    """zlib data that inflates to ``size`` zero bytes (1 GB in about 1 MB)."""
    packer = zlib.compressobj(9)
    parts: list[bytes] = []
    block = b"\x00" * _CHUNK
    left = size
    while left > 0:
        parts.append(packer.compress(block[: min(left, _CHUNK)]))
        left -= _CHUNK
    parts.append(packer.flush())
    return b"".join(parts)


def pdf_with_objects(bodies: list[bytes], *, page_count: int = 1) -> bytes:
    """A valid PDF: catalog, page tree of ``page_count`` pages sharing content object 4, then
    ``bodies`` as objects 4, 5, ... (each a complete ``<<...>> stream ... endstream`` or value)."""
    pages = " ".join(f"{3 + 0} 0 R" for _ in range(page_count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{pages}] /Count {page_count} >>".encode(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        *bodies,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def stream_object(data: bytes, extra: bytes = b"/Filter /FlateDecode") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def inflating_pdf(inflated_size: int) -> bytes:
    """A one-page PDF whose content stream inflates to ``inflated_size`` bytes (of zeros)."""
    return pdf_with_objects([stream_object(deflated_zeros(inflated_size))])


def pdf_with_huge_image(width: int, height: int) -> bytes:
    """A PDF whose image dictionary claims ``width`` × ``height`` pixels (tiny data)."""
    image = stream_object(
        zlib.compress(b"\x00" * 64),
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode" % (width, height),
    )
    return pdf_with_objects([stream_object(zlib.compress(b"q Q")), image])


def png_header(width: int, height: int) -> bytes:
    """A PNG whose valid IHDR claims ``width`` × ``height`` (a pixel bomb: no real data)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


def _xlsx_zip(sheet_xml: Iterator[bytes]) -> bytes:
    """An xlsx (the minimal parts Excel and openpyxl need) with the given sheet XML, streamed."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
            for piece in sheet_xml:
                handle.write(piece)
    return buffer.getvalue()


def many_rows_xlsx(rows: int, columns: int = 2) -> bytes:
    """An xlsx of ``rows`` rows of inline numbers: a million rows is about a megabyte zipped."""

    def sheet() -> Iterator[bytes]:
        yield (
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        )
        batch: list[bytes] = []
        for row in range(1, rows + 1):
            cells = b"".join(
                b'<c r="%s%d"><v>%d</v></c>' % (_column(c).encode(), row, row) for c in range(columns)
            )
            batch.append(b'<row r="%d">%s</row>' % (row, cells))
            if len(batch) == 10_000:
                yield b"".join(batch)
                batch.clear()
        yield b"".join(batch) + b"</sheetData></worksheet>"

    return _xlsx_zip(sheet())


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def zip_of(members: list[tuple[str, bytes]], *, stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def nested_zip(depth: int, innermost: list[tuple[str, bytes]], *, first: int = 1) -> bytes:
    """``depth`` zips, each holding the next: the returned one is level ``first`` and holds
    ``第{first + 1}层.zip``, and so on; the last holds ``innermost``."""
    content = zip_of(innermost)
    for level in range(first + depth - 1, first, -1):
        content = zip_of([(f"第{level}层.zip", content)])
    return content


def zip_bomb(member_size: int, members: int = 1) -> bytes:
    """A zip of ``members`` members of ``member_size`` zero bytes each, written in chunks."""
    buffer = io.BytesIO()
    block = b"\x00" * _CHUNK
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for number in range(members):
            with archive.open(f"zeros{number}.bin", "w", force_zip64=True) as handle:
                left = member_size
                while left > 0:
                    handle.write(block[: min(left, _CHUNK)])
                    left -= _CHUNK
    return buffer.getvalue()


def random_bytes(size: int, seed: int = 9) -> bytes:
    return random.Random(seed).randbytes(size) if size < 10_000_000 else os.urandom(size)


def mail_with(
    attachments: list[tuple[str, bytes]], *, subject: str = "长沙学院 附件1", sender: str = "a@csu.edu.cn"
) -> bytes:
    """An e-mail as a school sends it, with these attachments."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "office@hnedu.cn"
    message["Subject"] = subject
    message["Date"] = "Wed, 20 Apr 2022 09:30:00 +0800"
    message["Message-ID"] = f"<{abs(hash((subject, len(attachments))))}@school.cn>"
    message.set_content("附件是我校的材料。")
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()
