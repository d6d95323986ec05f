"""The real command line, run as a user runs it, for the end-to-end tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``pilot-intake ARGS`` in a subprocess, output captured, never raising on its exit code."""
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=900,
        check=False,
    )
