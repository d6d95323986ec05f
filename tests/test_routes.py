"""One document per content and route (issue 9, part 5).

The same bytes received as an upload, as an e-mail attachment named photo.png and as one named
附件1.png are three receipts sent as three different things: each is its own document, read
and checked for what it was sent as (the upload is told it is no PDF, the photo is listed, the
附件1 copy is the school's Attachment 1), while the archive holds the bytes once. A database
made before routes existed upgrades: its document keeps its route, the folded-in receipts of
other routes wait to be read. A reading depends on the limits it was made within too: the
flow reads within the settings' limits, and caches per limits. Real PNG, real e-mail, real
PDF, the real flow; migration on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from email.message import EmailMessage
from pathlib import Path

from PIL import Image
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from benchmarks.intake import export_of
from fixtures.generate import build_document
from flows.process import intake
from flows.settings import Settings
from review.archive import RawArchive
from review.db import make_engine, migrate, session_factory
from review.models import Document, FindingRow, MailMessage, Page, ReceivedFile
from review.queries import unprocessed_receipts
from review.store import receipt_route, record_received_file, save_document, start_run
from schemas.document import DocumentResult
from schemas.limits import Limits
from schemas.round_config import load_round_config

SCHOOL = "湖南科技职业学院"


def test_routes_say_what_a_receipt_was_sent_as() -> None:
    assert receipt_route(f"{SCHOOL}/photo.png", "upload") == "upload:plan"
    assert receipt_route("m.eml/photo.png", "mail") == "mail:other:png"
    assert receipt_route("m.eml/附件1.png", "mail") == "mail:annex1:png"
    assert receipt_route("m.eml/附件1-湖南科技职业学院.PNG", "mail") == "mail:annex1:png"
    assert receipt_route("m.eml/试点工作方案.pdf", "mail") == "mail:plan:pdf"
    assert receipt_route("m.eml", "message") == "message"
    # A suffix no reader tests (or a hostile one) is no part of the route.
    assert receipt_route("m.eml/photo." + "x" * 40, "mail") == "mail:other"


def picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def mail_with(attachments: dict[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"] = "office@hnkjxy.edu.cn"
    message["To"] = "pilot@hunan.gov.cn"
    message["Subject"] = f"{SCHOOL}附件1"
    message["Date"] = "Mon, 18 Apr 2022 09:00:00 +0800"
    message["Message-ID"] = "<routes-1@hnkjxy.edu.cn>"
    message.set_content("附件为我校材料。")
    for name, content in attachments.items():
        message.add_attachment(content, maintype="image", subtype="png", filename=name)
    return message.as_bytes()


def test_same_bytes_by_three_routes_are_three_documents_archived_once(tmp_path: Path) -> None:
    content = picture()
    sha256 = hashlib.sha256(content).hexdigest()
    uploads = tmp_path / "uploads" / SCHOOL
    uploads.mkdir(parents=True)
    (uploads / "photo.png").write_bytes(content)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "001.eml").write_bytes(mail_with({"photo.png": content, "附件1.png": content}))

    db_url = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    settings = Settings(db_url=db_url, archive_dir=tmp_path / "archive", cache_dir=tmp_path / "cache")
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(settings.cache_dir))
    intake(settings, uploads=str(tmp_path / "uploads"), inbox=str(inbox))

    documents = {d.source: d for d in export_of(db_url).documents if d.sha256 == sha256}
    assert set(documents) == {f"{SCHOOL}/photo.png", "001.eml/photo.png", "001.eml/附件1.png"}
    upload = documents[f"{SCHOOL}/photo.png"]
    assert (upload.kind, upload.status) == ("plan", "failed")
    assert [f.rule for f in upload.findings] == ["file.unsupported_format"]
    photo = documents["001.eml/photo.png"]
    assert photo.kind == "other" and not [f for f in photo.findings if f.severity == "error"]
    annex1 = documents["001.eml/附件1.png"]
    assert annex1.kind == "annex1" and annex1.school == SCHOOL
    # One copy in the archive, however many routes the bytes came by.
    copies = [p for p in (tmp_path / "archive").rglob("*") if p.is_file() and p.read_bytes() == content]
    assert len(copies) == 1

    # A rerun reads nothing again and adds nothing.
    summary = intake(settings, uploads=str(tmp_path / "uploads"), inbox=str(inbox))
    assert summary.documents_new == 0
    assert len([d for d in export_of(db_url).documents if d.sha256 == sha256]) == 3


def _before_routes(engine: Engine) -> None:
    """A database at revision 0002 where one document stands for the same bytes received as an
    upload and as an e-mailed 附件1.png (how every database before routes folded them)."""
    migrate(engine, "0002")
    now = dt.datetime(2022, 4, 18, 1, 0, tzinfo=dt.UTC)
    sha = "ab" * 32
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (id, started_at, source_root, config_name, status, counts) "
                "VALUES (1, :now, 'x', 'hunan-2022', 'completed', '{}')"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO messages (id, key, name, attachment_count, problems, status, claimed_by_run_id,"
                " claimed_at) VALUES (1, 'folder:001.eml', '001.eml', 1, '[]', 'done', 1, :now)"
            ),
            {"now": now},
        )
        for receipt_id, source, message_id in (
            (1, f"{SCHOOL}/photo.png", None),
            (2, "001.eml", 1),
            (3, "001.eml/附件1.png", 1),
        ):
            connection.execute(
                text(
                    "INSERT INTO received_files (id, sha256, size, archive_path, source, received_at, run_id,"
                    " message_id) VALUES (:id, :sha, 3, 'a', :source, :now, 1, :message)"
                ),
                {"id": receipt_id, "sha": sha if receipt_id != 2 else "cd" * 32, "source": source, "now": now,
                 "message": message_id},
            )  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO documents (id, sha256, received_file_id, source, kind, submission_key, version,"
                " status, page_count, processed_at, run_id) VALUES (1, :sha, 1, :source, 'plan',"
                " 'source|x', 1, 'failed', 1, :now, 1)"
            ),
            {"sha": sha, "source": f"{SCHOOL}/photo.png", "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO pages (id, document_id, number, kind, text, has_text_layer) VALUES (1, 1, 1, 'other', '', false)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO findings (id, document_id, rule, severity, message, match_key, run_id, status)"
                " VALUES (1, 1, 'file.unsupported_format', 'error', '不是PDF', 'k', 1, 'open')"
            )
        )


def test_a_database_from_before_routes_upgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        _before_routes(engine)
        migrate(engine)
        with session_factory(engine)() as session:
            routes = {
                row[0]: row[1] for row in session.execute(select(ReceivedFile.source, ReceivedFile.route))
            }
            assert routes == {
                f"{SCHOOL}/photo.png": "upload:plan",
                "001.eml": "message",
                "001.eml/附件1.png": "mail:annex1:png",
            }
            [document] = session.scalars(select(Document)).all()
            assert document.route == "upload:plan"
            # The table copies of the upgrade cascaded nothing away.
            assert session.scalar(select(Page.id)) == 1 and session.scalar(select(FindingRow.id)) == 1
            # The e-mailed copy (and the message, never read before) now wait to be read.
            assert sorted(r.source for r in unprocessed_receipts(session)) == ["001.eml", "001.eml/附件1.png"]
    finally:
        engine.dispose()


def test_the_same_plan_uploaded_and_mailed_is_not_two_current_plans(session: Session, tmp_path: Path) -> None:
    """Two routes, one submission, the very same bytes: the later receipt (in receipt order)
    replaces the earlier, so the school is not told it sent two plans for one certificate."""
    run = start_run(session, source_root="x", config_name="hunan-2022")
    content = b"%PDF-1.4 the plan"
    archived = RawArchive(tmp_path / "archive").store(content)
    message = MailMessage(key="folder:001.eml", name="001.eml", claimed_by_run_id=run.id)
    session.add(message)
    session.flush()
    when = dt.datetime(2022, 4, 18, 1, 0, tzinfo=dt.UTC)
    sources = {f"{SCHOOL}/方案.pdf": None, "001.eml/试点工作方案.pdf": message.id}
    outcomes = []
    for source, message_id in sources.items():
        record_received_file(
            session, run=run, archived=archived, source=source, received_at=when, message_id=message_id
        )
        result = DocumentResult(source=source, sha256=hashlib.sha256(content).hexdigest(), kind="plan")
        outcomes.append(save_document(session, result, run=run, school=SCHOOL, certificate="Web前端开发"))
    session.commit()
    assert [o.created for o in outcomes] == [True, True]
    upload, mailed = (session.get(Document, o.document_id) for o in outcomes)
    assert upload is not None and mailed is not None
    assert (upload.route, mailed.route) == ("upload:plan", "mail:plan:pdf")
    assert (upload.version, mailed.version) == (1, 2)
    assert upload.superseded_by_id == mailed.id and mailed.superseded_by_id is None


def test_the_flow_reads_within_the_settings_limits_and_caches_per_limits(tmp_path: Path) -> None:
    """The limits of the settings (PILOT_INTAKE_LIMIT_*) are the ones files are read within,
    and a reading made within other limits is not taken from the cache."""
    uploads = tmp_path / "uploads" / SCHOOL
    uploads.mkdir(parents=True)
    plan = build_document(1, "clean", 5, load_round_config())
    (uploads / "方案.pdf").write_bytes(plan.pdf)
    cache = tmp_path / "cache"
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(cache))

    def run(name: str, limits: Limits) -> list[str]:
        db_url = f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        settings = Settings(db_url=db_url, archive_dir=tmp_path / "archive", cache_dir=cache, limits=limits)
        intake(settings, uploads=str(tmp_path / "uploads"))
        [document] = export_of(db_url).documents
        return [f.rule for f in document.findings]

    assert "file.too_large" in run("small", Limits(bytes_per_file=len(plan.pdf) - 1))
    assert "file.too_large" not in run("default", Limits())
