"""Prefect's temporary API server, as a ``process`` run without ``PREFECT_API_URL`` starts it.

Its database lives in the run's ``out/prefect/`` (so a new ``PREFECT_HOME`` does not mean a new
database to migrate), runs that start together take turns until it is up, a server that cannot
start fails the run at once with exit 6, and an operator's own settings are kept. How long the
start takes is measured by ``python -m benchmarks.speed --section startup``, not here.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from flows.cli import EXIT_TOOL
from flows.local_server import TEMPORARY_DATABASE, TEMPORARY_MEMO, temporary_server_environment


def user_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOT_INTAKE_")}
    for name in (
        "PREFECT_API_URL",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL",
        "PREFECT_API_DATABASE_CONNECTION_URL",
    ):
        env.pop(name, None)
    env["PREFECT_HOME"] = str(home)
    return env


def process(work: Path) -> list[str]:
    uploads = work / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    return [sys.executable, "-m", "flows.cli", "process", str(uploads)]


def run(work: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        process(work), cwd=work, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def flow_runs(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM flow_run").fetchone()[0])


def test_temporary_server_settings_keep_what_the_operator_set(tmp_path: Path) -> None:
    defaults = temporary_server_environment({}, tmp_path / "prefect")
    assert defaults == {
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{tmp_path / 'prefect' / TEMPORARY_DATABASE}",
        "PREFECT_SERVER_MEMO_STORE_PATH": str(tmp_path / "prefect" / TEMPORARY_MEMO),
    }
    for name in ("PREFECT_SERVER_DATABASE_CONNECTION_URL", "PREFECT_API_DATABASE_CONNECTION_URL"):
        # Their own database keeps Prefect's memo too: it records what that database holds.
        assert temporary_server_environment({name: "postgresql+asyncpg://p/db"}, tmp_path) == {
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"
        }
    assert "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" not in temporary_server_environment(
        {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "30"}, tmp_path
    )


def test_a_new_prefect_home_reuses_the_database_in_out(tmp_path: Path) -> None:
    homes = [tmp_path / "home-1", tmp_path / "home-2"]
    for home in homes:
        home.mkdir()
        result = run(tmp_path, user_env(home))
        assert result.returncode == 0, result.stderr[-3000:]
    database = tmp_path / "out" / "prefect" / TEMPORARY_DATABASE
    assert flow_runs(database) == 2  # the second run's server found the first one's database
    assert [path.name for home in homes for path in home.rglob("*.db")] == []


def test_a_run_waits_while_another_starts_the_server(tmp_path: Path) -> None:
    """The start lock beside the database: two servers never migrate one new database at once."""
    state = tmp_path / "out" / "prefect"
    state.mkdir(parents=True)
    lock_path = state / f"{TEMPORARY_DATABASE}.start-lock"
    home = tmp_path / "home"
    home.mkdir()
    with lock_path.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a run that is starting its server holds it
        waiting = subprocess.Popen(
            process(tmp_path),
            cwd=tmp_path,
            env=user_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 600
            while not _has_open(waiting.pid, lock_path):
                assert waiting.poll() is None, f"the run ended without waiting: {waiting.communicate()}"
                assert time.monotonic() < deadline, "the run never opened the start lock"
                time.sleep(0.1)
            time.sleep(1)  # it is blocked on the lock: its server must not have started
            assert waiting.poll() is None
            assert not (state / TEMPORARY_DATABASE).exists()
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
    _, err = waiting.communicate(timeout=900)
    assert waiting.returncode == 0, err[-3000:]
    assert flow_runs(state / TEMPORARY_DATABASE) == 1


def _has_open(pid: int, path: Path) -> bool:
    try:
        return any(
            os.readlink(link) == str(path.resolve())
            for link in Path(f"/proc/{pid}/fd").iterdir()
            if link.is_symlink()
        )
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_a_server_that_cannot_start_fails_the_run_at_once(tmp_path: Path) -> None:
    """Not at the end of the timeout: Prefect's own wait would sit there for the 15 minutes."""
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    env = user_env(home)
    env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = (
        f"sqlite+aiosqlite:///{tmp_path / 'a-file' / 'prefect.db'}"
    )
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "900"
    result = run(tmp_path, env, timeout=600)
    assert result.returncode == EXIT_TOOL, result.stderr[-3000:]
    assert "Prefect临时服务器启动失败" in result.stderr
