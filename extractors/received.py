"""Any received file -> DocumentResult: decide what it is, then hand it to its reader.

Files arrive two ways (design.md section 1): plan PDFs exported from the national platform,
and e-mails carrying Attachment 1 as a spreadsheet, a Word table or a scan. What a file is
comes from its first bytes, its name and how it came; the reader of that kind does the rest.
Like every extractor entry point this never raises for a bad input: an unreadable file comes
back ``failed`` with the ``file.*`` error that the checks turn into a finding. Each file is read
within its limits (schemas/limits.py): its size, a PDF's pages and inflated streams and a
picture's pixels are measured before a decoder sees them, a table stops at its row and column
limit, an e-mail's archives at theirs, and the whole file at its time limit; a file past one
is ``failed`` with the ``file.*`` error that names the limit. A file named as a document we
read (附件1.xlsx, 方案.pdf) whose bytes are no such document is a finding too, never a
silent ``other``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from typing import Literal

from extractors.annex1 import extract_annex1_document
from extractors.annex1.scanned import extract_annex1_picture
from extractors.budget import Deadline
from extractors.errors import LimitExceededError
from extractors.filetype import IMAGE_TYPES, TYPE_NAMES, FileType, sniff
from extractors.mail import parse_message
from extractors.pdf_limits import check_image_limits, check_pdf_limits
from extractors.pdf_text import DEFAULT_OCR
from extractors.plan_document import extract_plan_document
from extractors.plan_fields import PlanExtractor
from extractors.seals_in_document import with_seal_review
from extractors.vision.ocr_page import OcrOptions
from schemas.document import DocumentKind, DocumentResult, ProcessingError
from schemas.limits import DEFAULT_LIMITS, Limits, size_text
from schemas.round_config import RoundConfig

# upload: a file of the upload folder; message: an e-mail itself; mail: an e-mail's attachment.
Origin = Literal["upload", "message", "mail"]

EXTRACTOR_VERSION = "received-2"

ANNEX1_NAME = re.compile(r"附件\s*[1一]|统计表|信息表|试点信息|汇总表")
PLAN_NAME = re.compile(r"方案|协议")
# A name that says the file is Attachment 1 itself (not just some 信息表): when its content is
# another table, the reviewer is told the school may have attached the wrong file.
ANNEX1_CLAIM = re.compile(r"附件\s*[1一]|院校试点信息|试点信息统计")
# Mail services that replace large attachments with a download link in the body.
LINKED_ATTACHMENT_MARKERS = ("超大附件", "文件中转站", "云附件", "大附件", "网盘附件")
# Formats a school might use for a document we need, which we cannot read: the school resends.
UNSUPPORTED_TYPES: frozenset[FileType] = frozenset({"rar", "7z", "rtf"})
UNSUPPORTED_SUFFIXES = (".doc", ".wps", ".et", ".rar", ".7z", ".rtf", ".ofd", ".pages", ".numbers", ".hwp")
# Names of files the readers take: such a file whose bytes are something else was meant to be
# read, so it is a finding (the school sent a broken or wrong file), not a quiet ``other``.
READABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".docx", ".pdf")
# Office formats that are zips: never unpacked at intake (extractors/mail.py), so a plain zip
# under such a name would otherwise hide its members.
OFFICE_ZIP_SUFFIXES = (".xlsx", ".xlsm", ".docx")
_TEXT_SUFFIXES = (".eml", ".txt", ".htm", ".html", ".csv", ".xml")


# First bytes of the record archived for an upload-folder entry that was not read. No PDF,
# spreadsheet or e-mail starts with them.
NOT_READ_MARK = b"%pilot-intake: entry not read%\n"


# The rules a record may name (a line ``rule:<id>`` after the mark; none means file.unreadable).
_RECORD_RULES = frozenset({"file.unreadable", "file.too_large"})


def not_read_record(source: str, reason: str, rule: str = "file.unreadable") -> bytes:
    """What is archived for an entry that was not read: the mark, its path and why; ``rule``
    is its finding (``file.too_large`` for a file past its size limit, never read into memory)."""
    head = "" if rule == "file.unreadable" else f"rule:{rule}\n"
    return NOT_READ_MARK + f"{head}{reason}（{source}）".encode()


def _read_record(content: bytes) -> tuple[str, str]:
    """(rule, reason) of a not-read record."""
    text = content[len(NOT_READ_MARK) :].decode("utf-8", "replace")
    first, newline, rest = text.partition("\n")
    if newline and first.startswith("rule:") and first.removeprefix("rule:") in _RECORD_RULES:
        return first.removeprefix("rule:"), rest.strip()
    return "file.unreadable", text.strip()


def file_name(source: str) -> str:
    return source.rsplit("/", 1)[-1]


def intended_kind(source: str, origin: Origin) -> DocumentKind:
    """What the school meant to send, by name and route: e-mail carries Attachment 1 unless the
    name says plan; the upload folder carries plans."""
    name = file_name(source)
    if ANNEX1_NAME.search(name):
        return "annex1"
    if PLAN_NAME.search(name) or origin == "upload":
        return "plan"
    return "annex1"


def _is_office_document(content: bytes) -> bool:
    """An Office Open XML file (xlsx, docx) rather than a plain ZIP archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return True  # a damaged Office file is the reader's to report
    return "[Content_Types].xml" in names


def _listed(content: bytes, source: str, errors: list[ProcessingError] | None = None) -> DocumentResult:
    """A file that is received and listed as kind ``other``, never checked by rule."""
    return DocumentResult(
        source=source, sha256=hashlib.sha256(content).hexdigest(), kind="other", errors=errors or []
    )


def _failed(
    content: bytes, source: str, kind: DocumentKind, code: str, message: str, component: str = "reader"
) -> DocumentResult:
    return DocumentResult(
        source=source,
        sha256=hashlib.sha256(content).hexdigest(),
        kind=kind,
        status="failed",
        errors=[ProcessingError(component=component, code=code, message=message)],
    )


def _message_document(content: bytes, source: str, limits: Limits, deadline: Deadline) -> DocumentResult:
    """The e-mail itself: listed, never checked by rule; its defects are told to the reviewer,
    and what it carried that was not opened (archive members past a limit, encrypted ones) to
    the school, by its ``file.*`` rule."""
    if not content:
        return _failed(content, source, "other", "file.empty", "邮件文件为0字节")
    parsed = parse_message(content, limits, deadline)
    told = {problem.message for problem in parsed.file_problems}
    errors = [
        ProcessingError(component="mail", code="mail.defect", message=text)
        for text in parsed.problems
        if text not in told
    ]
    errors.extend(
        ProcessingError(component="mail", code=problem.rule, message=problem.message)
        for problem in parsed.file_problems
    )
    if not parsed.attachments and not parsed.file_problems:  # else those say why none were listed
        linked = any(marker in parsed.body_text for marker in LINKED_ATTACHMENT_MARKERS)
        errors.append(
            ProcessingError(
                component="mail",
                code="mail.no_attachments",
                message=(
                    "邮件中的附件是网盘链接（如QQ邮箱超大附件），系统无法自动下载：请人工下载，或请学校直接以附件发送"
                    if linked
                    else "邮件中没有附件：若学校本意是报送附件1统计表，请联系学校补发"
                ),
            )
        )
    return _listed(content, source, errors)


def _limit_failed(
    content: bytes, source: str, kind: DocumentKind, error: LimitExceededError
) -> DocumentResult:
    return _failed(content, source, kind, error.rule, str(error.args[0]), component="limits")


def _pdf(
    content: bytes,
    source: str,
    extractor: PlanExtractor,
    intended: DocumentKind,
    limits: Limits,
    deadline: Deadline,
    config: RoundConfig,
    ocr: OcrOptions = DEFAULT_OCR,
) -> DocumentResult:
    try:
        check_pdf_limits(content, limits, deadline)
    except LimitExceededError as error:
        return _limit_failed(content, source, intended, error)
    result = extract_plan_document(
        content,
        source=source,
        extractor=extractor,
        expected_kind=intended,
        annex1_config=config,
        ocr=ocr,
        deadline=deadline,
    )
    if result.kind == "annex1" and result.annex1 is not None:
        return result  # Attachment 1 as a PDF: the stamped scan, or printed from Excel
    if result.kind == "plan" and result.plan is not None:
        return result
    if intended == "annex1" and result.status != "failed":
        # A text PDF of Attachment 1 (printed from Excel): kept as the table's copy; its rows
        # are read from the spreadsheet, which the school sends alongside.
        result.kind = "annex1"
    return result


def extract_received(
    content: bytes,
    *,
    source: str,
    origin: Origin,
    config: RoundConfig,
    plan_extractor: PlanExtractor,
    limits: Limits = DEFAULT_LIMITS,
    ocr: OcrOptions = DEFAULT_OCR,
) -> DocumentResult:
    """Read one received file as what it is, within ``limits`` (its time limit starts here);
    scans and pictures are read by OCR with ``ocr``."""
    deadline = Deadline.start(limits)
    if content.startswith(NOT_READ_MARK):
        # Archived in place of an entry of the upload folder that was not read (a link, a pipe,
        # a file that vanished): its receipt is kept, with what the school must do.
        rule, reason = _read_record(content)
        record_kind: DocumentKind = "other" if origin == "message" else intended_kind(source, origin)
        return _failed(content, source, record_kind, rule, reason)
    if origin == "message":
        return _message_document(content, source, limits, deadline)
    intended = intended_kind(source, origin)
    kind = sniff(content)
    name = file_name(source)
    if kind == "empty":
        return _failed(content, source, intended, "file.empty", "文件为0字节")
    if len(content) > limits.bytes_per_file:
        error = LimitExceededError(
            "文件大小",
            f"文件为{size_text(len(content))}，未读取",
            size_text(limits.bytes_per_file),
            fix="请学校压缩或拆分文件（如降低扫描分辨率）",
        )
        return _limit_failed(content, source, intended, error)
    if kind == "pdf":
        result = _pdf(content, source, plan_extractor, intended, limits, deadline, config, ocr)
        return with_seal_review(result, content, config, deadline)
    if origin == "upload":
        # The platform takes plans as one merged PDF; anything else in its export is resent.
        what = TYPE_NAMES.get(kind, "无法识别的格式")
        return _failed(content, source, "plan", "file.unsupported_format", f"文件实际是{what}，不是PDF")
    if kind == "zip" and not _is_office_document(content):
        if name.lower().endswith(OFFICE_ZIP_SUFFIXES):
            # Named as a spreadsheet or Word file, it was not unpacked at intake: what the school
            # meant to send is not in it, or not readable.
            return _failed(
                content,
                source,
                intended,
                "file.unreadable",
                f"“{name}”不是有效的Excel/Word文件（实际是一个普通ZIP压缩包），无法读取",
            )
        # An e-mailed archive: its members were unpacked at intake and are read on their own.
        return _listed(content, source)
    if kind in ("zip", "ole"):
        result = extract_annex1_document(
            content, source=source, config=config, limits=limits, deadline=deadline
        )
        if result.annex1 is None and intended == "plan":
            result.kind = "plan"
        elif result.kind == "other" and not ANNEX1_CLAIM.search(name):
            # Some other table (a teachers' list, a timetable) sent alongside: listed as received,
            # with nothing for a reviewer to fix. Named 附件1 it keeps its note: the school may
            # have attached the wrong file, and school.annex1_missing then says what is missing.
            return _listed(content, source)
        return result
    if kind in IMAGE_TYPES:
        try:
            check_image_limits(content, limits)
        except LimitExceededError as error:
            # Not read, so whether it is the Attachment 1 photo is not known: said, not dropped.
            return _limit_failed(content, source, "annex1" if ANNEX1_NAME.search(name) else "other", error)
        # A photo or scan of the stamped Attachment 1 may carry any name (微信图片_….jpg): every
        # picture is read, and one without the table stays a listed attachment.
        picture = extract_annex1_picture(content, source=source, config=config, ocr=ocr, deadline=deadline)
        if picture.annex1 is not None or ANNEX1_NAME.search(name):
            return with_seal_review(picture, content, config, deadline)
        return _listed(content, source)
    if kind == "tnef":
        return _failed(
            content,
            source,
            "annex1",
            "file.unsupported_format",
            "附件是Outlook的winmail.dat（TNEF格式），其中的文件在Outlook以外无法打开；"
            "请学校在Outlook中把邮件格式改为HTML或纯文本后重新发送",
        )
    if kind in UNSUPPORTED_TYPES or name.lower().endswith(UNSUPPORTED_SUFFIXES):
        what = TYPE_NAMES.get(kind, "无法识别的格式")
        return _failed(content, source, intended, "file.unsupported_format", f"文件是{what}，无法读取")
    if _meant_as_document(name, kind):
        return _not_a_document(content, source, intended, kind, name)
    return _listed(content, source)


def _meant_as_document(name: str, found: FileType) -> bool:
    """Named as a table or plan we read, with bytes that are none: an .xlsx or .pdf name, or
    (for bytes of no known format) an Attachment 1 or plan name that is not a mail or text
    file's (a forwarded 方案.eml in GBK is no known format either)."""
    lower = name.lower()
    if lower.endswith(READABLE_SUFFIXES):
        return True
    named = bool(ANNEX1_NAME.search(name) or PLAN_NAME.search(name))
    return found == "unknown" and named and not lower.endswith(_TEXT_SUFFIXES)


def _not_a_document(
    content: bytes, source: str, kind: DocumentKind, found: FileType, name: str
) -> DocumentResult:
    """A file named as a table or a plan whose bytes are no format we know: random bytes, a
    truncated download, a web page saved under an .xls name."""
    if found == "text":
        return _failed(
            content,
            source,
            kind,
            "file.unsupported_format",
            f"“{name}”是纯文本（如CSV或网页导出的表格），不是Excel/Word表格或PDF，无法读取",
        )
    return _failed(
        content,
        source,
        kind,
        "file.unreadable",
        f"“{name}”的内容无法识别（不是有效的Excel、Word或PDF文件），可能已损坏，无法读取",
    )


def message_received_at(
    raw: bytes, *, sent_at: dt.datetime | None, source_time: dt.datetime | None, source_is_server: bool
) -> dt.datetime | None:
    """When the office's mail server received the message: its newest Received: header, else
    the IMAP server's INTERNALDATE, else the sender's Date:, else the file's time. The Date
    header is the sender's clock and a file's mtime is when it was copied, so both come last."""
    stamped = _top_received_time(raw)
    if stamped is not None:
        return stamped
    if source_is_server and source_time is not None:
        return source_time
    return sent_at or source_time


def _top_received_time(raw: bytes) -> dt.datetime | None:
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:262144], headersonly=True)
        received = headers.get_all("Received") or []
    except Exception:  # any header damage just means no trustworthy receipt stamp
        return None
    for value in received[:1]:
        _, _, stamp = str(value).rpartition(";")
        try:
            when = parsedate_to_datetime(stamp.strip())
        except (TypeError, ValueError, IndexError):
            return None
        return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
    return None
