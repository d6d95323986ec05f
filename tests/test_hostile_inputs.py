"""Hostile and broken files through the real entry points: each ends in a finished extraction
with a file.* finding that names the limit (or says the file cannot be read) and what the
school must resend, nothing sent is dropped without a record, and the good files beside them
are read. One mail goes through the whole command line."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from cli_runner import run_cli

from benchmarks.hostile import (
    inflating_pdf,
    mail_with,
    many_rows_xlsx,
    nested_zip,
    png_header,
    random_bytes,
    zip_bomb,
    zip_of,
)
from checks import check_document
from extractors.inbox import FolderInbox
from extractors.mail import parse_message
from extractors.plan_document import plan_extractor_for
from extractors.received import Origin, extract_received
from fixtures.annex1 import make_annex1_data, render_annex1
from schemas.annex1 import NewApplicationRow
from schemas.document import DocumentResult
from schemas.finding import Finding
from schemas.limits import DEFAULT_LIMITS, MIB, Limits
from schemas.round_config import load_round_config

CONFIG = load_round_config()
EXTRACTOR = plan_extractor_for(CONFIG)


def read(content: bytes, source: str, origin: Origin, limits: Limits = DEFAULT_LIMITS) -> DocumentResult:
    return extract_received(
        content, source=source, origin=origin, config=CONFIG, plan_extractor=EXTRACTOR, limits=limits
    )


def only_finding(result: DocumentResult, rule: str) -> Finding:
    findings = [f for f in check_document(result, CONFIG) if f.rule == rule]
    assert len(findings) == 1, check_document(result, CONFIG)
    assert findings[0].severity == "error"
    return findings[0]


def annex1_xlsx() -> bytes:
    rows = [NewApplicationRow(certificate="物流管理", level="初级", scale=30)]
    data = make_annex1_data(random.Random(5), "长沙学院", CONFIG, rows, "clean")
    return render_annex1(data, random.Random(5), "xlsx")


def message_findings(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> list[Finding]:
    return check_document(read(raw, "mail.eml", "message", limits), CONFIG)


# ---- files past a limit --------------------------------------------------------------------


def test_many_rows_named_attachment_1() -> None:
    result = read(many_rows_xlsx(30_000), "mail.eml/附件1.xlsx", "mail", Limits(rows_per_table=1000))
    assert (result.kind, result.status) == ("annex1", "failed")
    finding = only_finding(result, "file.too_large")
    assert "行数" in finding.message and "第1001行" in finding.message and "上限为1000行" in finding.message
    assert "附件1统计表" in finding.message  # what to resend


def test_inflating_pdf_upload_is_refused_before_pdfplumber() -> None:
    result = read(
        inflating_pdf(24 * MIB), "长沙学院/方案.pdf", "upload", Limits(decompressed_bytes_per_stream=8 * MIB)
    )
    assert (result.kind, result.status, result.pages) == ("plan", "failed", [])
    finding = only_finding(result, "file.too_large")
    assert "解压" in finding.message and "8MB" in finding.message and "试点工作方案" in finding.message


def test_pixel_bomb_scan_of_attachment_1() -> None:
    result = read(png_header(100_000, 100_000), "mail.eml/附件1扫描件.png", "mail")
    assert (result.kind, result.status) == ("annex1", "failed")
    finding = only_finding(result, "file.too_large")
    assert "像素" in finding.message and "1.2亿" in finding.message and "分辨率" in finding.message


def test_file_too_large_and_time_limit() -> None:
    big = read(b"%PDF-1.7\n" + bytes(3000), "长沙学院/方案.pdf", "upload", Limits(bytes_per_file=1000))
    assert "文件大小" in only_finding(big, "file.too_large").message
    slow = read(many_rows_xlsx(200), "mail.eml/附件1.xlsx", "mail", Limits(seconds_per_file=1e-9))
    finding = only_finding(slow, "file.timeout")
    assert "处理时间" in finding.message and "人工" in finding.message


def test_message_too_large_keeps_its_headers() -> None:
    raw = mail_with([("附件1.xlsx", annex1_xlsx())], subject="长沙学院报送材料")
    parsed = parse_message(raw, Limits(bytes_per_message=2000))
    assert parsed.subject == "长沙学院报送材料" and parsed.attachments == []
    findings = message_findings(raw, Limits(bytes_per_message=2000))
    [finding] = [f for f in findings if f.rule == "file.too_large"]
    assert "邮件大小" in finding.message and "分成几封" in finding.message
    assert not any("没有附件" in f.message for f in findings)  # it had one; it was not read


def test_message_file_too_large_is_never_read_into_memory(tmp_path: Path) -> None:
    raw = mail_with([("附件1.xlsx", annex1_xlsx())])
    (tmp_path / "big.eml").write_bytes(raw)
    small = mail_with([])
    (tmp_path / "small.eml").write_bytes(small)
    limits = Limits(bytes_per_message=len(raw) - 1)
    fetched = {message.name: message for message in FolderInbox(tmp_path, limits).fetch()}
    assert fetched["small.eml"].raw == small
    record = fetched["big.eml"].raw
    assert len(record) < 1000 and b"PK" not in record  # a record of what was not read, not the bytes
    result = read(record, "big.eml", "message", limits)
    assert (result.kind, result.status) == ("other", "failed")
    finding = only_finding(result, "file.too_large")
    assert "邮件大小" in finding.message and "big.eml" in finding.message


# ---- archives: nothing inside dropped without a record ------------------------------------------


def test_zips_nested_five_deep() -> None:
    inner = nested_zip(4, [("方案.pdf", b"%PDF-1.4 deep")], first=2)
    raw = mail_with([("材料.zip", zip_of([("附件1.xlsx", annex1_xlsx()), ("第2层.zip", inner)]))])
    parsed = parse_message(raw)
    paths = [a.path for a in parsed.attachments]
    assert "材料.zip/附件1.xlsx" in paths
    assert "材料.zip/第2层.zip/第3层.zip" in paths  # the third level is opened and listed
    assert "材料.zip/第2层.zip/第3层.zip/第4层.zip" in paths  # the fourth is listed, not opened
    assert not any(path.endswith("方案.pdf") for path in paths)
    [finding] = [f for f in message_findings(raw) if f.rule == "file.archive_incomplete"]
    assert finding.severity == "error"
    assert "嵌套层数" in finding.message and "第4层.zip" in finding.message and "上限为3层" in finding.message
    assert "重新发送" in finding.message


def test_twenty_thousand_members_with_attachment_1_last() -> None:
    members = [(f"照片/{n:05d}.txt", b"x") for n in range(20_000)] + [("附件1.xlsx", annex1_xlsx())]
    raw = mail_with([("全部材料.zip", zip_of(members, stored=True))])
    parsed = parse_message(raw)
    assert len(parsed.attachments) == 1 + DEFAULT_LIMITS.zip_members
    [sheet] = [a for a in parsed.attachments if a.path == "全部材料.zip/附件1.xlsx"]  # opened first
    assert read(sheet.content, f"mail.eml/{sheet.path}", "mail").kind == "annex1"
    [finding] = [f for f in message_findings(raw) if f.rule == "file.archive_incomplete"]
    assert "20001个文件" in finding.message and "19001个未解压" in finding.message
    assert "每封邮件1000个" in finding.message


def test_zip_bomb_stopped_and_the_school_told() -> None:
    bomb = zip_bomb(6 * MIB, members=3)
    assert len(bomb) < MIB
    raw = mail_with([("附件.zip", bomb)])
    limits = Limits(archive_unpacked_bytes=10 * MIB)
    parsed = parse_message(raw, limits)
    assert sum(len(a.content) for a in parsed.attachments if a.from_archive) <= 10 * MIB
    [finding] = [f for f in message_findings(raw, limits) if f.rule == "file.archive_incomplete"]
    assert "压缩炸弹" in finding.message and "10MB" in finding.message
    # a member larger than a file may be is not unpacked at all, and said so
    [big] = [
        f
        for f in message_findings(raw, Limits(bytes_per_file=4 * MIB))
        if f.rule == "file.archive_incomplete"
    ]
    assert "3个文件" in big.message and "zeros0.bin" in big.message and "4MB" in big.message


# ---- files named as Attachment 1 that are not ----------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [random_bytes(5000), zip_of([("数据.bin", random_bytes(3000))])],
    ids=["random-bytes", "zip-of-random-bytes"],
)
def test_random_bytes_named_attachment_1(content: bytes) -> None:
    result = read(content, "mail.eml/附件1.xlsx", "mail")
    assert (result.kind, result.status) == ("annex1", "failed")
    finding = only_finding(result, "file.unreadable")
    assert "附件1.xlsx" in finding.message and "无法读取" in finding.message and "重新" in finding.message


def test_unnamed_junk_stays_quietly_listed() -> None:
    result = read(random_bytes(500), "mail.eml/image001.dat", "mail")
    assert (result.kind, result.errors) == ("other", [])


# ---- the whole command line -------------------------------------------------------------------------


def test_cli_run_over_a_hostile_mail(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    nested = zip_of(
        [("统计表.xlsx", annex1_xlsx()), ("下一层.zip", nested_zip(4, [("方案.pdf", b"%PDF-1.4")]))]
    )
    raw = mail_with(
        [("附件1.xlsx", random_bytes(4000)), ("材料.zip", nested)],
        subject="长沙学院 1+X试点材料",
        sender="office@ccsu.edu.cn",
    )
    (inbox / "school.eml").write_bytes(raw)
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    env.pop("PREFECT_API_URL", None)
    env.pop("PILOT_INTAKE_DB_URL", None)
    db = ["--db", f"sqlite:///{tmp_path / 'review.sqlite3'}"]
    done = run_cli(
        ["process", "--inbox", str(inbox), *db, "--archive", str(tmp_path / "archive")], env, tmp_path
    )
    assert done.returncode == 5, done.stdout + done.stderr  # processed, some files could not be read
    export = tmp_path / "export.json"
    assert run_cli(["export", "--json", str(export), *db], env, tmp_path).returncode == 0
    documents = {d["source"]: d for d in json.loads(export.read_text(encoding="utf-8"))["documents"]}
    rules = {source: {f["rule"] for f in d["findings"]} for source, d in documents.items()}
    assert "file.unreadable" in rules["school.eml/附件1.xlsx"]
    assert "file.archive_incomplete" in rules["school.eml"]
    [told] = [f for f in documents["school.eml"]["findings"] if f["rule"] == "file.archive_incomplete"]
    assert "嵌套层数" in told["message"] and "重新发送" in told["message"]
    # the good table inside the archive is read beside them
    assert documents["school.eml/材料.zip/统计表.xlsx"]["kind"] == "annex1"
    assert documents["school.eml/材料.zip/统计表.xlsx"]["status"] == "ok"


def test_text_and_mail_files_named_plan_are_not_findings() -> None:
    # a forwarded mail in raw GBK and a note: not documents we read, so no finding for them
    for source, content in (
        ("mail.eml/试点方案.eml", "Subject: 方案\r\n\r\n试点方案见附件".encode("gbk")),
        ("mail.eml/方案说明.txt", "说明".encode()),
    ):
        assert read(content, source, "mail").errors == []
    web_page = read(b"<html><table><tr><td>1</td></tr></table></html>", "mail.eml/统计表.xls", "mail")
    assert only_finding(web_page, "file.unsupported_format").message.startswith("“统计表.xls”是纯文本")


def test_pixel_bomb_under_any_name_is_said_not_dropped() -> None:
    # every picture may be the Attachment 1 photo (微信图片_….jpg): one too large to read is a finding
    result = read(png_header(100_000, 100_000), "mail.eml/微信图片_20220420.png", "mail")
    assert (result.kind, result.status) == ("other", "failed")
    assert "像素" in only_finding(result, "file.too_large").message
