"""Content-addressed raw archive: every received byte string, stored before anything reads it.

The archive is written first and never deleted, so whatever an extractor or a check does
later, the office can always show exactly what a school sent, and a rerun can start from the
archive instead of the inbox. Files are named by their SHA-256, which makes storing the same
content twice a no-op and lets the database refer to a file by its hash alone.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# An evidence crop's name in the archive, as findings and the export give it.
CROP_NAME = re.compile(r"^crops/[0-9a-f]{2}/[0-9a-f]{64}\.png$")


@dataclass(frozen=True)
class ArchivedFile:
    """A file that is safely in the archive: its hash, size in bytes and location."""

    sha256: str
    size: int
    path: Path


class RawArchive:
    """Files under ``root/ab/cd/<sha256>`` (two levels of fan-out keep directories small)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        # Validate so that a malformed hash can never escape the archive root.
        digest = sha256.lower()
        if not _SHA256_RE.match(digest):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / digest[:2] / digest[2:4] / digest

    def store(self, content: bytes) -> ArchivedFile:
        """Store ``content`` and return where it is; storing the same bytes again changes nothing."""
        digest = hashlib.sha256(content).hexdigest()
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(content):
            return ArchivedFile(sha256=digest, size=len(content), path=target)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file in the same directory, flush it to disk, then rename: a
        # crash leaves either no file or the complete one, never a truncated file under the
        # final name (which would then be trusted forever because of the existence check).
        fd, tmp_name = tempfile.mkstemp(prefix=f".{digest}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        # Archived files are evidence: make them read-only so nothing edits them in place.
        target.chmod(0o444)
        return ArchivedFile(sha256=digest, size=len(content), path=target)

    def store_crop(self, name: str, png: bytes) -> Path:
        """Store an evidence crop under its name (``crops/ab/<sha256>.png``, its content's
        hash), beside the raw files: findings refer to it by that name."""
        if not CROP_NAME.match(name) or hashlib.sha256(png).hexdigest() != name[9:73]:
            raise ValueError(f"not a crop name for this content: {name!r}")
        target = self.root / name
        if target.exists() and target.stat().st_size == len(png):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".crop.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(png)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        target.chmod(0o444)
        return target

    def read(self, sha256: str) -> bytes:
        """The stored bytes, checked against their hash so silent corruption is noticed."""
        content = self.path_for(sha256).read_bytes()
        actual = hashlib.sha256(content).hexdigest()
        if actual != sha256.lower():
            raise OSError(f"archive file {sha256} is corrupt (content hashes to {actual})")
        return content

    def __contains__(self, sha256: object) -> bool:
        return isinstance(sha256, str) and self.path_for(sha256).exists()
