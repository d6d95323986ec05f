"""The raw archive: content-addressed layout, idempotence, atomic writes, integrity."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from review.archive import RawArchive


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_store_uses_hash_fanout_layout(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    content = "湖南省 试点方案".encode()
    digest = hashlib.sha256(content).hexdigest()

    archived = archive.store(content)

    assert archived.sha256 == digest
    assert archived.size == len(content)
    assert archived.path == tmp_path / "raw" / digest[:2] / digest[2:4] / digest
    assert archive.path_for(digest) == archived.path
    assert archived.path.read_bytes() == content
    assert archive.read(digest) == content
    assert digest in archive


def test_store_is_idempotent_and_leaves_no_temp_files(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    first = archive.store(b"same bytes")
    mtime = first.path.stat().st_mtime_ns

    second = archive.store(b"same bytes")

    assert second == first
    assert first.path.stat().st_mtime_ns == mtime  # not rewritten
    assert _files(tmp_path) == [first.path]


def test_different_content_gets_different_files(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    a = archive.store(b"version 1")
    b = archive.store(b"version 2")
    assert a.path != b.path
    assert _files(tmp_path) == sorted([a.path, b.path])


def test_empty_file_is_archived(tmp_path: Path) -> None:
    archived = RawArchive(tmp_path).store(b"")
    assert archived.size == 0
    assert archived.sha256 == hashlib.sha256(b"").hexdigest()
    assert archived.path.read_bytes() == b""


def test_failed_write_leaves_nothing_under_the_final_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = RawArchive(tmp_path)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        archive.store(b"never complete")
    monkeypatch.undo()

    assert _files(tmp_path) == []  # neither the target nor the temporary file
    assert archive.store(b"never complete").path.read_bytes() == b"never complete"


def test_read_detects_corruption(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    archived = archive.store(b"original")
    archived.path.chmod(0o644)
    archived.path.write_bytes(b"tampered")
    with pytest.raises(OSError, match="corrupt"):
        archive.read(archived.sha256)


def test_path_for_rejects_non_hashes(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    for bad in ("../../etc/passwd", "abc", "g" * 64):
        with pytest.raises(ValueError):
            archive.path_for(bad)
