"""A PDF's or a picture's size measured before any decoder sees it.

pdfplumber inflates every content stream whole and then parses it into Python objects: a PDF
of 1 MB whose stream inflates to 1 GB took 2.4 GB, three of them 4.5 GB. Pillow and PDFium
allocate a picture from the size its header claims. So the file is measured first, cheaply:
every FlateDecode stream is inflated in small chunks that are counted and thrown away (never
kept), images are measured by the pixels their dictionary or header declares, pages by the
page tree, and a file past a limit (schemas/limits.py) is refused with the
``LimitExceededError`` that becomes its ``file.too_large`` finding. A PDF this module cannot
parse is left to the reader, which reports the damage in its own words.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pypdf
from PIL import Image
from pypdf.generic import ArrayObject, IndirectObject, NameObject, StreamObject

from extractors.budget import Deadline
from extractors.errors import LimitExceededError
from schemas.limits import DEFAULT_LIMITS, Limits, count_text, size_text

logging.getLogger("pypdf").setLevel(logging.ERROR)

_CHUNK = 1024 * 1024
_FLATE = frozenset({"/FlateDecode", "/Fl"})
# Filters that never grow their input and may sit before FlateDecode in a filter chain.
_SHRINKING = frozenset({"/ASCIIHexDecode", "/AHx", "/ASCII85Decode", "/A85"})
_PDF_FIX = "请学校用WPS、Word或扫描软件以常规方式重新导出PDF（图片分辨率不超过600dpi）"


def _inflated_size(data: bytes, cap: int, deadline: Deadline | None) -> int:
    """How many bytes zlib (or raw deflate) ``data`` inflates to, counted up to ``cap + 1``;
    the output is dropped chunk by chunk, so this costs one chunk of memory."""
    for window in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        inflater = zlib.decompressobj(window)
        total = 0
        pending = data
        try:
            while pending and total <= cap:
                total += len(inflater.decompress(pending, _CHUNK))
                pending = inflater.unconsumed_tail
                if inflater.eof:
                    break
                if deadline is not None:
                    deadline.check("PDF数据流解压")
        except zlib.error:
            if total == 0:
                continue  # not zlib-wrapped: some writers store raw deflate
            return total  # the reader stops at the damage too
        return total
    return 0


def _filters(stream: StreamObject) -> list[str]:
    value = stream.get("/Filter")
    if isinstance(value, IndirectObject):
        value = value.get_object()
    if isinstance(value, ArrayObject):
        return [str(item.get_object()) for item in value]
    return [str(value)] if isinstance(value, NameObject) else []


def _flate_data(stream: StreamObject) -> bytes | None:
    """The stream's bytes as they reach its FlateDecode filter, or None when it has none."""
    data: bytes = stream._data  # raw, still encoded: get_data() would inflate it whole
    for name in _filters(stream):
        if name in _FLATE:
            return data
        if name not in _SHRINKING:
            return None
        try:
            data = (
                pypdf.filters.ASCIIHexDecode.decode(data)
                if name in ("/ASCIIHexDecode", "/AHx")
                else a85_decode(data)
            )
        except Exception:  # a broken chain is the reader's to report
            return None
    return None


_WHITESPACE = b" \t\n\r\x0c\x00"
_A85_POWERS = 85 ** np.arange(4, -1, -1, dtype=np.int64)


def a85_decode(data: bytes) -> bytes:
    """ASCII85 decoded as the PDF filter reads it (whitespace ignored, ``z`` for four zero
    bytes, ``~>`` ends it), in numpy: Python's own decoder (which pypdf calls) takes about
    half a second per megabyte, and a scanner's image streams run to megabytes. Raises
    ``ValueError`` on a character outside the alphabet or a group past 32 bits."""
    end = data.find(b"~>")
    if end >= 0:
        data = data[:end]
    if data.startswith(b"<~"):
        data = data[2:]
    data = data.translate(None, _WHITESPACE).replace(b"z", b"!!!!!")
    codes = np.frombuffer(data, np.uint8).astype(np.int64) - 33
    if codes.size and (codes.min() < 0 or codes.max() > 84):
        raise ValueError("not ASCII85")
    padding = -codes.size % 5
    if padding:
        codes = np.concatenate([codes, np.full(padding, 84, np.int64)])
    groups = codes.reshape(-1, 5) @ _A85_POWERS
    if groups.size and groups.max() > 0xFFFFFFFF:
        raise ValueError("ASCII85 group past 32 bits")
    decoded = groups.astype(">u4").tobytes()
    return decoded[: len(decoded) - padding] if padding else decoded


def _streams(reader: pypdf.PdfReader) -> Iterator[tuple[int, StreamObject]]:
    """Every stream object of the file's cross-reference table (object streams included)."""
    for generation, numbers in list(reader.xref.items()):
        for number in list(numbers):
            try:
                obj = reader.get_object(IndirectObject(number, generation, reader))
            except Exception:  # one damaged object: the reader reports it, the rest are measured
                continue
            if isinstance(obj, StreamObject):
                yield number, obj


def _int(value: object) -> int:
    try:
        return int(value.get_object() if isinstance(value, IndirectObject) else value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _check_image(stream: StreamObject, limits: Limits) -> None:
    pixels = _int(stream.get("/Width")) * _int(stream.get("/Height"))
    if pixels > limits.pixels_per_image:
        raise LimitExceededError(
            "PDF中图片的像素数",
            f"一张图片为{count_text(pixels)}像素",
            f"{count_text(limits.pixels_per_image)}像素",
            fix=_PDF_FIX,
        )


def _page_count(reader: pypdf.PdfReader) -> int:
    try:
        tree: Any = reader.root_object["/Pages"].get_object()
        declared = _int(tree.get("/Count"))
    except Exception:  # no page tree at all: the reader says so
        declared = 0
    try:
        return max(declared, len(reader.pages))
    except Exception:  # a broken page tree: the reader says so
        return declared


def check_pdf_limits(
    content: bytes, limits: Limits = DEFAULT_LIMITS, deadline: Deadline | None = None
) -> None:
    """Raise ``LimitExceededError`` when the PDF goes past a limit: its size, its page count,
    one image's pixels, one non-image stream's or all FlateDecode streams' inflated size.
    Returns quietly for a PDF within its limits, and for one it cannot parse."""
    if len(content) > limits.bytes_per_file:
        raise LimitExceededError(
            "文件大小",
            f"文件为{size_text(len(content))}",
            size_text(limits.bytes_per_file),
            fix="请学校压缩或拆分后重新提交（如降低扫描分辨率）",
        )
    try:
        reader = pypdf.PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return  # a password stops every reader; the reader's file.encrypted says so
    except Exception:
        return
    pages = _page_count(reader)
    if pages > limits.pages_per_pdf:
        raise LimitExceededError(
            "PDF页数",
            f"共{pages}页",
            f"{limits.pages_per_pdf}页",
            fix="请学校只提交试点工作方案与合作协议，删除无关的页面",
        )
    total = 0
    per_file = limits.decompressed_bytes_per_file
    for number, stream in _streams(reader):
        if deadline is not None:
            deadline.check(f"PDF对象{number}")
        image = str(stream.get("/Subtype")) == "/Image"
        if image:
            _check_image(stream, limits)
        data = _flate_data(stream)
        if data is None:
            continue
        # An image goes to PDFium, bounded by its pixels; any other stream is parsed whole.
        cap = per_file - total if image else min(limits.decompressed_bytes_per_stream, per_file - total)
        size = _inflated_size(data, cap, deadline)
        if not image and size > limits.decompressed_bytes_per_stream:
            raise LimitExceededError(
                "PDF中一个数据流解压后的大小",
                f"一个数据流（压缩时为{size_text(len(data))}）解压后超过{size_text(limits.decompressed_bytes_per_stream)}",
                size_text(limits.decompressed_bytes_per_stream),
                fix=f"疑似压缩炸弹或异常文件，未读取；{_PDF_FIX}",
            )
        total += size
        if total > per_file:
            raise LimitExceededError(
                "PDF全部数据解压后的大小",
                f"超过{size_text(per_file)}",
                size_text(per_file),
                fix=f"未读取；{_PDF_FIX}",
            )


# ---- pictures -------------------------------------------------------------------------------

_PIXELS_IN_MESSAGE = re.compile(r"\((\d+) pixels\)")


def check_image_limits(content: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise ``LimitExceededError`` for a picture past the size or pixel limit, read from its
    header only (Pillow's ``Image.open`` decodes nothing). A header Pillow cannot read is left
    to the OCR step, which reports an unreadable picture itself."""
    fix = "请学校降低扫描或拍照的分辨率（如300dpi）"
    if len(content) > limits.bytes_per_file:
        raise LimitExceededError(
            "图片文件大小", f"文件为{size_text(len(content))}", size_text(limits.bytes_per_file), fix=fix
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content)) as picture:
                width, height = picture.size
        except Image.DecompressionBombError as error:
            # Past twice Pillow's own limit: the message carries the header's pixel count.
            found = _PIXELS_IN_MESSAGE.search(str(error))
            width, height = (int(found.group(1)) if found else limits.pixels_per_image + 1), 1
        except Exception:
            return
    if width * height > limits.pixels_per_image:
        raise LimitExceededError(
            "图片像素数",
            f"图片为{width}×{height}像素（{count_text(width * height)}像素）"
            if height > 1
            else f"图片为{count_text(width)}像素",
            f"{count_text(limits.pixels_per_image)}像素",
            fix=fix,
        )
