"""The flow's task policies: retry only transient faults; cache extraction by content hash."""

from typing import Any

from prefect.states import Failed
from sqlalchemy.exc import OperationalError

from extractors.errors import ConfigurationError, TransientError, UnreadableFileError
from extractors.plan_document import EXTRACTOR_VERSION
from extractors.received import EXTRACTOR_VERSION as RECEIVED_VERSION
from flows.cli import InputFolderError, exit_code_for
from flows.process import _extraction_cache_key, _retry_only_transient, list_upload_files


def test_only_transient_failures_are_retried() -> None:
    assert _retry_only_transient(None, None, Failed(data=TransientError("数据库忙")))
    assert _retry_only_transient(None, None, Failed(data=OperationalError("select 1", {}, Exception("gone"))))
    assert not _retry_only_transient(None, None, Failed(data=UnreadableFileError("坏文件")))
    assert not _retry_only_transient(None, None, Failed(data=ValueError("bug")))


def test_extraction_cache_key_is_content_route_and_extractor_version() -> None:
    parameters: dict[str, Any] = {
        "sha256": "ab" * 32,
        "source": "a.pdf",
        "origin": "upload",
        "archive_path": "/x",
        "round_file": None,
    }
    moved = dict(parameters, source="elsewhere/b.pdf", archive_path="/y")
    key = _extraction_cache_key(None, parameters)  # type: ignore[arg-type]
    assert key == _extraction_cache_key(None, moved)  # type: ignore[arg-type]
    assert key.startswith(EXTRACTOR_VERSION) and RECEIVED_VERSION in key
    assert key != _extraction_cache_key(None, dict(parameters, sha256="cd" * 32))  # type: ignore[arg-type]
    # The same bytes e-mailed as 附件1 are read as Attachment 1, not from the plan cache.
    mailed = dict(parameters, source="m.eml/附件1.pdf", origin="mail")
    assert key != _extraction_cache_key(None, mailed)  # type: ignore[arg-type]


def test_upload_listing_is_stable_and_skips_hidden_files(tmp_path: Any) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("b/2.pdf", "a.pdf", ".DS_Store", ".git/x", "b/1.pdf"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.relative_to(tmp_path).as_posix() for p in list_upload_files(tmp_path)] == [
        "a.pdf",
        "b/1.pdf",
        "b/2.pdf",
    ]


def test_exit_codes_are_mapped_in_one_place() -> None:
    assert exit_code_for(TransientError("IMAP服务器无响应")) == 7
    assert exit_code_for(ConfigurationError("IMAP密码错误")) == 2
    assert exit_code_for(InputFolderError("收件箱目录不存在")) == 3
    assert exit_code_for(OperationalError("select 1", {}, Exception("gone"))) == 4
    assert exit_code_for(ValueError("bug")) == 1
