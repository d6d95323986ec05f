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


def test_evidence_crops_are_stored_under_their_content_name_read_only(tmp_path: Path) -> None:
    from extractors.vision.document_look import crop_name

    archive = RawArchive(tmp_path / "raw")
    png = b"\x89PNG\r\n\x1a\n seal crop"
    name = crop_name(png)
    path = archive.store_crop(name, png)
    assert path == tmp_path / "raw" / name
    assert path.read_bytes() == png
    assert not os.access(path, os.W_OK) or os.geteuid() == 0  # root may write anyway
    assert path.stat().st_mode & 0o222 == 0
    assert archive.store_crop(name, png) == path  # again: nothing changes
    assert _files(tmp_path / "raw") == [path]


@pytest.mark.parametrize(
    "name",
    ["crops/../../etc/passwd", "crops/ab/" + "0" * 64 + ".png", "../x.png", "crops/ab/cd.png"],
)
def test_a_crop_name_that_is_not_its_contents_hash_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError):
        RawArchive(tmp_path / "raw").store_crop(name, b"\x89PNG other bytes")
    assert not (tmp_path / "raw").exists() or _files(tmp_path / "raw") == []
