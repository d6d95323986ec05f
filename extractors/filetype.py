"""What a received file really is, from its first bytes rather than its name.

Schools rename files freely (a JPG called .pdf, a .wps called .doc); the first bytes decide
which reader gets the file and which ``file.unsupported_format`` message a school receives.
"""

from __future__ import annotations

from typing import Literal

FileType = Literal[
    "pdf",
    "zip",
    "ole",
    "jpeg",
    "png",
    "tiff",
    "gif",
    "bmp",
    "rar",
    "7z",
    "rtf",
    "tnef",
    "text",
    "empty",
    "unknown",
]

_MAGIC: tuple[tuple[bytes, FileType], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # .doc, .xls, .wps, .et
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"GIF8", "gif"),
    (b"BM", "bmp"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"{\\rtf", "rtf"),
    # Outlook's winmail.dat: the real attachments are wrapped inside, unreadable elsewhere.
    (b"\x78\x9f\x3e\x22", "tnef"),
)

# Human names for the message a school reads.
# Pictures the pipeline reads as pages (a photo or scan of the paper).
IMAGE_TYPES: frozenset[FileType] = frozenset({"jpeg", "png", "tiff", "gif", "bmp"})

TYPE_NAMES: dict[str, str] = {
    "zip": "ZIP/Office文档",
    "ole": "旧版Office/WPS文档",
    "jpeg": "JPG图片",
    "png": "PNG图片",
    "tiff": "TIFF图片",
    "gif": "GIF图片",
    "bmp": "BMP图片",
    "rar": "RAR压缩包",
    "7z": "7z压缩包",
    "rtf": "RTF文档",
    "tnef": "Outlook的winmail.dat（TNEF格式）",
    "text": "纯文本",
    "unknown": "无法识别的格式",
}


def sniff(content: bytes) -> FileType:
    if not content:
        return "empty"
    # Some generators put junk before the header; the PDF spec lets readers look 1 KiB in.
    if b"%PDF-" in content[:1024]:
        return "pdf"
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            return kind
    head = content[:512]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown"
    return "text"
