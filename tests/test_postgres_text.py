"""NUL in what was received (issue 9): PostgreSQL's TEXT and JSONB cannot hold U+0000, which an
e-mail subject, an attachment's name, a PDF's text layer or a table cell may carry. The review
database keeps it anyway (escaped reversibly on PostgreSQL, as it is on SQLite), reads it back
exactly, and the export shows it as a visible ␀. Real PostgreSQL and SQLite, a real e-mail
through the real flow.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from benchmarks.intake import export_of
from flows.process import intake
from flows.settings import Settings
from review.archive import RawArchive
from review.db import make_engine, session_factory
from review.dbtypes import NUL_ESCAPE, escape_nul, unescape_nul
from review.display import display_text
from review.models import Document, ExtractedField, FindingRow, MailMessage, Page, ReceivedFile, Run
from review.store import record_received_file, save_document, start_run
from schemas.document import DocumentResult
from schemas.finding import Finding, Severity

NUL_TEXTS = [
    "\x00",
    "a\x00b",
    "\x00\x00",
    NUL_ESCAPE,
    NUL_ESCAPE + "0",
    "\x00" + NUL_ESCAPE + "\x00",
    "普通文本",
    "",
]


@pytest.mark.parametrize("value", NUL_TEXTS)
def test_the_escape_gives_back_what_it_was_given(value: str) -> None:
    assert "\x00" not in escape_nul(value)
    assert unescape_nul(escape_nul(value)) == value


def test_nul_is_kept_in_every_kind_of_column(session: Session, tmp_path: Path) -> None:
    run: Run = start_run(session, source_root="收件箱", config_name="hunan-2022")
    content = b"%PDF-1.4 nul"
    archived = RawArchive(tmp_path / "archive").store(content)
    source = "上传/方案\x00.pdf"
    record_received_file(
        session, run=run, archived=archived, source=source, received_at=dt.datetime.now(dt.UTC)
    )
    result = DocumentResult(
        source=source,
        sha256=hashlib.sha256(content).hexdigest(),
        kind="other",
        status="partial",
        findings=[
            Finding(
                rule="file.unreadable", severity=Severity("error"), message="说明\x00", evidence="证据\x00"
            )
        ],
    )
    outcome = save_document(session, result, run=run, school="湖南\x00学校", certificate=None)
    session.add(Page(document_id=outcome.document_id, number=1, kind="other", text="第一页\x00文字"))
    session.add(
        MailMessage(
            key="folder:\x00.eml", name="\x00.eml", subject="主题\x00", sender="a\x00@b.cn",
            problems=["问题\x00"], claimed_by_run_id=run.id,
        )
    )  # fmt: skip
    session.commit()
    session.expunge_all()

    assert session.scalars(select(ReceivedFile.source)).one() == source
    document = session.scalars(select(Document)).one()
    assert (
        document.source == source and document.school is not None and document.school.name == "湖南\x00学校"
    )
    assert session.scalars(select(Page.text)).one() == "第一页\x00文字"
    finding = session.scalars(select(FindingRow)).one()
    assert (finding.message, finding.evidence) == ("说明\x00", "证据\x00")
    message = session.scalars(select(MailMessage)).one()
    assert (message.key, message.subject, message.sender, message.problems) == (
        "folder:\x00.eml", "主题\x00", "a\x00@b.cn", ["问题\x00"],
    )  # fmt: skip
    # Looked up by what was received, found.
    assert session.scalars(select(MailMessage.id).where(MailMessage.key == "folder:\x00.eml")).one()


def test_a_json_field_keeps_nul(session: Session) -> None:
    run = start_run(session, source_root="x", config_name="hunan-2022")
    document = Document(
        sha256="0" * 64, route="upload:plan", source="x.pdf", kind="plan", submission_key="source|x.pdf",
        version=1, status="ok", data={"school": "学校\x00", "k\x00": ["\x00"]}, run_id=run.id,
    )  # fmt: skip
    session.add(document)
    session.flush()
    session.add(ExtractedField(document_id=document.id, field="school", value="学校\x00"))
    session.commit()
    session.expunge_all()
    assert session.scalars(select(Document.data)).one() == {"school": "学校\x00", "k\x00": ["\x00"]}
    assert session.scalars(select(ExtractedField.value)).one() == "学校\x00"


def test_an_email_with_nul_in_its_subject(db_url: str, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    raw = (
        "From: office@hnkjxy.edu.cn\r\nTo: pilot@hunan.gov.cn\r\n"
        "Subject: =?utf-8?b?" + base64.b64encode("附件1\x00报送".encode()).decode() + "?=\r\n"
        "Date: Mon, 18 Apr 2022 09:00:00 +0800\r\nMessage-ID: <nul-1@hnkjxy.edu.cn>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment; filename*=utf-8''%E8%AF%B4%E6%98%8E.txt\r\n\r\nplain words\r\n"
        "--b--\r\n"
    )
    (inbox / "001.eml").write_bytes(raw.encode())
    settings = Settings(db_url=db_url, archive_dir=tmp_path / "archive", cache_dir=tmp_path / "cache")
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(settings.cache_dir))
    intake(settings, inbox=str(inbox))

    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            assert session.scalars(select(MailMessage.subject)).one() == "附件1\x00报送"
            subject = session.scalars(select(MailMessage.subject)).one()
            if engine.dialect.name == "postgresql":
                # What PostgreSQL holds is the escaped text, which it accepts.
                stored = session.execute(text("SELECT subject FROM messages")).scalar_one()
                assert stored == "附件1" + NUL_ESCAPE + "0报送"
    finally:
        engine.dispose()
    assert display_text(subject) == "附件1␀报送"  # shown, never raw
    # The rest of the e-mail went through: its attachment is a document, the export is written.
    sources = {d.source for d in export_of(db_url).documents}
    assert {"001.eml", "001.eml/说明.txt"} <= sources
