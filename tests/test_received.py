"""What a received file is taken for (by bytes, name and route), and the corpus e-mails
through the whole flow from a Maildir: every one ingested or reported, none crashes."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from PIL import Image
from shared_data import CORPUS as SHARED_CORPUS
from sqlalchemy import create_engine, text
from test_annex1 import ole_file

from checks import check_document
from extractors.plan_document import plan_extractor_for
from extractors.received import Origin, extract_received, message_received_at
from fixtures.annex1 import make_annex1_data, render_annex1
from fixtures.generate import build_document
from schemas.annex1 import NewApplicationRow
from schemas.document import DocumentResult
from schemas.round_config import load_round_config

CONFIG = load_round_config()
EXTRACTOR = plan_extractor_for(CONFIG)
CORPUS_EML = SHARED_CORPUS / "eml"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def read(content: bytes, source: str, origin: Origin) -> DocumentResult:
    return extract_received(content, source=source, origin=origin, config=CONFIG, plan_extractor=EXTRACTOR)


def codes(result: DocumentResult) -> set[str]:
    return {e.code for e in result.errors}


def test_e_mailed_spreadsheet_is_attachment_1() -> None:
    data = make_annex1_data(
        random.Random(3),
        "长沙学院",
        CONFIG,
        [NewApplicationRow(certificate="物流管理", level="初级", scale=30)],
        "clean",
    )
    result = read(render_annex1(data, random.Random(3), "xlsx"), "m.eml/统计表.xlsx", "mail")
    assert result.kind == "annex1" and result.status == "ok" and result.annex1 is not None
    assert result.annex1.school == "长沙学院"


def test_e_mailed_plan_pdf_is_a_plan() -> None:
    document = build_document(1, "clean", 5, CONFIG)
    result = read(document.pdf, "m.eml/物流管理试点方案.pdf", "mail")
    assert result.kind == "plan" and result.plan is not None


def test_unsupported_office_formats_say_what_to_resend() -> None:
    ole = ole_file("WordDocument")  # a real compound file that is a Word document, not a workbook
    for source in ("m.eml/附件1.wps", "m.eml/附件1.doc"):
        result = read(ole, source, "mail")
        assert result.kind == "annex1" and result.status == "failed"
        assert codes(result) == {"file.unsupported_format"}
    rar = read(b"Rar!\x1a\x07\x00" + b"\x00" * 40, "m.eml/附件1.rar", "mail")
    [finding] = check_document(rar, CONFIG)
    assert (
        finding.rule == "file.unsupported_format"
        and "xlsx" in finding.message
        and "PDF" not in finding.message[:8]
    )


def test_upload_folder_takes_only_pdfs() -> None:
    for content in (PNG, b"PK\x03\x04" + b"\x00" * 60, b"hello"):
        result = read(content, "长沙学院/方案.docx", "upload")
        assert (result.kind, result.status, codes(result)) == ("plan", "failed", {"file.unsupported_format"})
        [finding] = check_document(result, CONFIG)
        assert "合并为一个PDF" in finding.message


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (250, 250, 250)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_pictures_are_read_as_attachment_1_or_listed() -> None:
    # A picture named 附件1 that cannot be decoded: the school is asked to resend it.
    broken = read(PNG, "m.eml/附件1（盖章）.png", "mail")
    assert (broken.kind, broken.status, codes(broken)) == ("annex1", "failed", {"file.unreadable"})
    # One that decodes but holds no table (a blank sheet): read by OCR, the table not found,
    # listed for a person to check rather than guessed.
    blank = read(_png(1240, 1754), "m.eml/附件1（盖章）.png", "mail")
    assert (blank.kind, blank.status) == ("annex1", "partial")
    assert "annex1.not_found" in codes(blank)
    # Any other picture (a logo, a photo of something else) is a listed attachment.
    logo = read(_png(120, 40), "m.eml/image001.png", "mail")
    assert (logo.kind, logo.status, logo.errors) == ("other", "ok", [])


def test_plain_zip_from_mail_is_listed_not_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "x")
    result = read(buffer.getvalue(), "m.eml/材料.zip", "mail")
    assert (result.kind, result.status) == ("other", "ok")


def test_empty_attachment_and_empty_message() -> None:
    empty = read(b"", "m.eml/附件1.xlsx", "mail")
    assert (empty.kind, codes(empty)) == ("annex1", {"file.empty"})
    message = read(b"", "m.eml", "message")
    assert (message.kind, codes(message)) == ("other", {"file.empty"})
    bare = read(b"From: a@b.cn\r\nSubject: hi\r\n\r\nno attachment\r\n", "n.eml", "message")
    assert bare.status == "partial" and "mail.no_attachments" in codes(bare)


def test_receipt_time_prefers_the_servers_stamp() -> None:
    sent = dt.datetime(2022, 4, 20, 9, 0, tzinfo=dt.UTC)
    copied = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    stamped = b"Received: from mx by office; Fri, 29 Apr 2022 01:30:00 +0800\r\nSubject: x\r\n\r\n"
    got = message_received_at(stamped, sent_at=sent, source_time=copied, source_is_server=False)
    assert got == dt.datetime(2022, 4, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    plain = b"Subject: x\r\n\r\n"
    assert message_received_at(plain, sent_at=sent, source_time=copied, source_is_server=False) == sent
    assert message_received_at(plain, sent_at=sent, source_time=copied, source_is_server=True) == copied
    assert message_received_at(plain, sent_at=None, source_time=copied, source_is_server=False) == copied


def test_corpus_emails_through_the_flow_from_a_maildir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    maildir = tmp_path / "Maildir"
    for folder in ("new", "cur", "tmp"):
        (maildir / folder).mkdir(parents=True)
    files = sorted(CORPUS_EML.glob("*.eml"))
    assert len(files) >= 29, f"robustness corpus not found at {CORPUS_EML}"
    for index, path in enumerate(files):
        shutil.copy(path, maildir / "new" / f"{1650000000 + index}.M{index}P1.corpus")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(tmp_path / "cache"))
    from flows.process import intake
    from flows.settings import Settings

    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'review.sqlite3'}",
        archive_dir=tmp_path / "archive",
        cache_dir=tmp_path / "cache",
    )
    summary = intake(settings, inbox=str(maildir))
    assert summary.internal_errors == 0
    assert summary.messages_new + summary.messages_duplicate == len(files)
    assert list((maildir / "new").iterdir()) == []  # every message marked done at the source
    engine = create_engine(settings.db_url)
    with engine.connect() as connection:
        messages = connection.execute(text("SELECT name, status FROM messages")).all()
        documents: dict[str, str] = dict(
            connection.execute(text("SELECT source, status FROM documents")).all()
        )
        empty = connection.execute(
            text(
                "SELECT d.source FROM findings f JOIN documents d ON d.id = f.document_id WHERE f.rule = 'file.empty'"
            )
        ).all()
    engine.dispose()
    assert len(messages) == len(files) and {status for _, status in messages} <= {"done", "duplicate"}
    # Every message file is a listed document, whatever state it was in.
    assert {name for name, _ in messages} <= set(documents)
    zero_bytes = f"{1650000000 + files.index(CORPUS_EML / 'demisto__no_content_0-bytes.eml')}.M"
    assert [source for (source,) in empty if source.startswith(zero_bytes)]


def test_outlook_winmail_dat_asks_for_a_plain_resend() -> None:
    tnef = b"\x78\x9f\x3e\x22" + b"\x01\x00" * 40  # TNEF signature, as Outlook's winmail.dat starts
    result = read(tnef, "m.eml/winmail.dat", "mail")
    assert (result.kind, codes(result)) == ("annex1", {"file.unsupported_format"})
    [finding] = check_document(result, CONFIG)
    assert "winmail.dat" in finding.message and "HTML或纯文本" in finding.message


def test_download_link_instead_of_attachment_is_told_apart() -> None:
    linked = "From: a@qq.com\r\nSubject: =?UTF-8?B?6ZmE5Lu2MQ==?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    linked += "从QQ邮箱发来的超大附件\r\n附件1.xlsx (25.3M, 2022年5月5日 10:00 到期)\r\n进入下载页面：https://example.invalid/x\r\n"
    result = read(linked.encode("utf-8"), "m.eml", "message")
    [error] = [e for e in result.errors if e.code == "mail.no_attachments"]
    assert "超大附件" in error.message and "人工下载" in error.message


def test_spreadsheet_without_the_table_has_no_rows_to_cross_check() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["会议签到表"])
    sheet.append(["姓名", "单位", "电话"])
    sheet.append(["张三", "长沙学院", "13800000000"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = read(buffer.getvalue(), "m.eml/附件1.xlsx", "mail")
    # Not an Attachment 1 (no table of its labels): kind other, so school.annex1_missing still
    # fires; named 附件1, it keeps the note that the school may have attached the wrong file.
    assert (result.kind, result.status, result.annex1) == ("other", "partial", None)
    assert "annex1.not_found" in codes(result)
