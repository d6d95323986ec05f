"""The upload folder read safely (issue 9): only regular files are read; a link is never
followed out of the folder, a named pipe never waited on; each is recorded with a finding and
the rest of the run goes on. Real files, links and FIFOs; the real flow on SQLite."""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.intake import export_of
from fixtures.generate import build_document
from flows.process import intake, scan_upload_folder
from flows.settings import Settings
from schemas.limits import Limits
from schemas.round_config import load_round_config


def hostile_folder(root: Path) -> Path:
    uploads = root / "uploads"
    (uploads / "学校").mkdir(parents=True)
    plan = build_document(1, "clean", 9, load_round_config())
    (uploads / "学校" / "方案.pdf").write_bytes(plan.pdf)
    os.symlink("/etc/passwd", uploads / "学校" / "passwd.pdf")
    os.symlink(uploads / "missing.pdf", uploads / "dangling.pdf")
    os.symlink("/etc", uploads / "etc-dir")
    os.mkfifo(uploads / "pipe.pdf")
    (uploads / ".hidden.pdf").write_bytes(b"ignored")
    return uploads


def test_scan_lists_what_it_does_not_read(tmp_path: Path) -> None:
    uploads = hostile_folder(tmp_path)
    entries = {e.path.relative_to(uploads).as_posix(): e.not_read for e in scan_upload_folder(uploads)}
    assert entries["学校/方案.pdf"] is None
    assert "符号链接" in (entries["学校/passwd.pdf"] or "")
    assert "符号链接" in (entries["dangling.pdf"] or "") and "符号链接" in (entries["etc-dir"] or "")
    assert "管道" in (entries["pipe.pdf"] or "")
    assert ".hidden.pdf" not in entries


def test_a_run_over_links_and_pipes_finishes_and_records_them(tmp_path: Path) -> None:
    uploads = hostile_folder(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    settings = Settings(db_url=db_url, archive_dir=tmp_path / "archive", cache_dir=tmp_path / "cache")
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(settings.cache_dir))
    intake(settings, uploads=str(uploads))  # a FIFO read would block here forever

    documents = {d.source: d for d in export_of(db_url).documents}
    assert documents["学校/方案.pdf"].kind == "plan" and documents["学校/方案.pdf"].status != "failed"
    for source in ("学校/passwd.pdf", "dangling.pdf", "etc-dir", "pipe.pdf"):
        assert documents[source].status == "failed"
        [finding] = documents[source].findings
        assert finding.rule == "file.unreadable" and "请学校" in finding.message
    passwd = Path("/etc/passwd").read_bytes()
    archived = [p.read_bytes() for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    assert passwd not in archived  # nothing outside the folder reaches the never-deleted archive


def test_an_upload_past_the_size_limit_is_measured_not_read(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads" / "学校"
    uploads.mkdir(parents=True)
    plan = build_document(2, "clean", 11, load_round_config())
    (uploads / "方案.pdf").write_bytes(plan.pdf)
    big = uploads / "扫描件.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * 2_000_000)
    db_url = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    limits = Limits(bytes_per_file=1_000_000)
    settings = Settings(
        db_url=db_url, archive_dir=tmp_path / "archive", cache_dir=tmp_path / "cache", limits=limits
    )
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(settings.cache_dir))
    intake(settings, uploads=str(tmp_path / "uploads"))
    documents = {d.source: d for d in export_of(db_url).documents}
    assert documents["学校/方案.pdf"].status != "failed"
    [finding] = documents["学校/扫描件.pdf"].findings
    assert finding.rule == "file.too_large" and "上限" in finding.message
    archived = [p.stat().st_size for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    assert max(archived) < 1_000_000  # its record, not its bytes
