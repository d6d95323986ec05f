"""``--authority`` that names no reviewing authority is a usage error listing the valid ones,
through the real command line (report and export read the database only: no Prefect)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from extractors.errors import ConfigurationError
from review.queries import check_authority
from schemas.round_config import load_round_config


def test_check_authority_takes_the_province_and_the_round_cities() -> None:
    config = load_round_config()
    for authority in ("province", "省教育厅", "长沙市", "长沙", "长沙市教育局", None):
        check_authority(authority, config)
    with pytest.raises(ConfigurationError, match="长沙市"):
        check_authority("邵阳市", config)


@pytest.mark.parametrize("command", [["report", "--xlsx", "r.xlsx"], ["export", "--json", "e.json"]])
def test_an_unknown_authority_exits_2_and_lists_the_valid_ones(tmp_path: Path, command: list[str]) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            *command,
            "--db",
            f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "--authority",
            "邵阳市",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "邵阳市" in done.stderr and "province" in done.stderr and "长沙市" in done.stderr
    assert not (tmp_path / command[2]).exists()  # nothing written for a typo
