"""Atomic writes of the files reviewers open (report, export): nobody ever sees half a file,
and the result is readable by the other reviewers on the machine (mkstemp makes 0600)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

READABLE = 0o644


def write_atomically(path: Path, write: Callable[[Path], object], *, suffix: str = ".tmp") -> None:
    """Call ``write`` on a temporary file beside ``path``, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp_name))
        os.chmod(tmp_name, READABLE)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
