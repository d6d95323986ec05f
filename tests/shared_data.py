"""Where the project's shared material is (``../shared``: the robustness corpus and the outside
round), for every test that reads it.

It stands beside the project's folder; a clone made elsewhere (``git clone . /tmp/x``) finds
it beside the repository it was cloned from, so the tests read the same files either way.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

_PROJECT = Path(__file__).resolve().parents[1]


def _shared_folder() -> Path:
    beside = _PROJECT.parent / "shared"
    if beside.is_dir():
        return beside
    origin = subprocess.run(
        ["git", "-C", str(_PROJECT), "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if origin and Path(origin).is_dir():
        return Path(origin).resolve().parent / "shared"
    return beside  # missing: the tests that need it fail and name the path


SHARED = _shared_folder()
CORPUS = SHARED / "corpus"
OUTSIDE_ROUND = SHARED / "samples" / "outside-round"
