"""The Prefect API a run talks to when no ``PREFECT_API_URL`` is configured.

``process`` uses Prefect's temporary (ephemeral) API server: a subprocess that lives as long as
the run. Left to its defaults it has 20 s to come up, keeps its SQLite database in
``PREFECT_HOME`` and creates and migrates that database on its first start, which on a busy
2-core machine takes longer than the 20 s. So a ``process`` run starts it itself, before the
flow, with :func:`temporary_server_starting`:

- its database and its block-registration memo live in the run's ``out/prefect/`` (beside the
  review database and the archive), so a second run does not migrate again even with a new
  ``PREFECT_HOME``; an operator's ``PREFECT_SERVER_DATABASE_CONNECTION_URL`` is kept;
- it has ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS`` (default here 180 s) to answer
  ``/health``, which it does only after its database is migrated and its services run;
- runs that start together take turns (a lock file beside that database) until the server is
  up, so two servers never migrate one fresh database at once;
- a server that exits while starting fails the run at once (exit 6), not at the timeout.

Prefect fires schedules only through a real API server, not the temporary one; so when no
``PREFECT_API_URL`` is configured, ``serve`` starts ``prefect server start`` on 127.0.0.1
(SQLite in ``out/prefect/``) with :func:`local_prefect_server` for as long as it runs.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from extractors.errors import ExternalToolError

STARTUP_TIMEOUT_SECONDS = 180
TEMPORARY_DATABASE = "temporary-server.sqlite3"
TEMPORARY_MEMO = "temporary-server-memo.toml"
# Every name Prefect 3 reads the server's database URL from (ServerDatabaseSettings).
_DATABASE_URL_SETTINGS = ("PREFECT_SERVER_DATABASE_CONNECTION_URL", "PREFECT_API_DATABASE_CONNECTION_URL")
_PORT_IN_USE = 3  # uvicorn's exit code for a failed start; Prefect takes it as a taken port
_RESTARTS_ALLOWED = 3  # starts of the temporary server (each on a new port) before giving up


def temporary_server_environment(environ: Mapping[str, str], state_dir: Path) -> dict[str, str]:
    """The settings for Prefect's temporary server that ``environ`` does not already set."""
    defaults = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(STARTUP_TIMEOUT_SECONDS)}
    if not any(environ.get(name) for name in _DATABASE_URL_SETTINGS):
        # The memo records which block types were registered into the database: it must live
        # and die with that database, or a new database would be taken as already registered.
        defaults["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = (
            f"sqlite+aiosqlite:///{(state_dir / TEMPORARY_DATABASE).resolve()}"
        )
        defaults["PREFECT_SERVER_MEMO_STORE_PATH"] = str((state_dir / TEMPORARY_MEMO).resolve())
    return {name: value for name, value in defaults.items() if name not in environ}


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _start_in_thread(server: Any, timeout: int, outcome: list[BaseException]) -> None:
    try:
        server.start(timeout=timeout)
    except BaseException as error:  # handed to the waiting thread, never printed from here
        outcome.append(error)


@contextmanager
def temporary_server_starting(state_dir: Path) -> Iterator[None]:
    """Start Prefect's temporary API server; leaving the block waits until it answers.

    The server boots while the block runs (import the flow there). Nothing starts when Prefect
    is configured with an API URL (environment or profile) or forbids a temporary server
    (``PREFECT_SERVER_EPHEMERAL_ENABLED=false``). Enter it after
    :func:`temporary_server_environment` is in ``os.environ``: Prefect reads its settings once,
    when it is first imported. The flow's client then finds this server running and uses it;
    it stops when the process exits.
    """
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings

    current = get_current_settings()
    if current.api.url or not current.server.ephemeral.enabled:
        yield  # a configured server, or none allowed: Prefect says so when the flow starts
        return
    timeout = current.server.ephemeral.startup_timeout_seconds
    server = SubprocessASGIServer()
    state_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(state_dir / f"{TEMPORARY_DATABASE}.start-lock"):
        outcome: list[BaseException] = []
        starter = threading.Thread(
            target=_start_in_thread,
            args=(server, timeout, outcome),
            name="prefect-temporary-server",
            daemon=True,
        )
        starter.start()
        yield
        _wait_for(server, starter, outcome, timeout)


def _wait_for(server: Any, starter: threading.Thread, outcome: list[BaseException], timeout: int) -> None:
    remedy = (
        "请查看上面的输出；机器繁忙时可调大 PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS，"
        "或设置 PREFECT_API_URL 使用已有的Prefect服务器。"
    )
    # Prefect's own wait gives up only at the timeout, and it starts the server again on a new
    # port whenever it exits with 3, which is also uvicorn's code for any failed start (a
    # database that cannot be opened or migrated). A server that died is seen here.
    started: set[int] = set()
    while starter.is_alive():
        starter.join(0.2)
        process = server.server_process
        if process is None or not starter.is_alive():
            continue
        started.add(process.pid)
        code = process.poll()
        if (code is not None and code != _PORT_IN_USE) or len(started) > _RESTARTS_ALLOWED:
            raise ExternalToolError(
                f"Prefect临时服务器启动失败（退出码 {code if code is not None else _PORT_IN_USE}，"
                f"已启动 {len(started)} 次）",
                remedy=remedy,
            )
    if outcome:
        raise ExternalToolError(
            f"Prefect临时服务器在{timeout}秒内未就绪：{outcome[0]}", remedy=remedy
        ) from outcome[0]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _prefect_command() -> list[str]:
    beside = Path(sys.executable).with_name("prefect")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("prefect")
    if found is None:
        raise ExternalToolError("找不到 prefect 命令", remedy="请运行 make setup 安装项目虚拟环境。")
    return [found]


@contextmanager
def local_prefect_server(home: Path, log_path: Path) -> Iterator[str]:
    """Start ``prefect server start`` on a free local port; yields its API URL."""
    home.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_HOME"] = str(home.resolve())
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env["PREFECT_SERVER_UI_ENABLED"] = "false"
    command = [*_prefect_command(), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not _healthy(api_url):
            if server.poll() is not None:
                raise ExternalToolError(
                    f"本地Prefect服务器启动失败（退出码 {server.returncode}），日志：{log_path}",
                    remedy="请查看日志；或设置 PREFECT_API_URL 使用已有的Prefect服务器。",
                )
            if time.monotonic() > deadline:
                raise ExternalToolError(
                    f"本地Prefect服务器在{STARTUP_TIMEOUT_SECONDS:.0f}秒内未就绪，日志：{log_path}",
                    remedy="请查看日志；或设置 PREFECT_API_URL 使用已有的Prefect服务器。",
                )
            time.sleep(0.5)
        yield api_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
