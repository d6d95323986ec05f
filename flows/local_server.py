"""A local Prefect server for ``pilot-intake serve`` on the embedded default.

Prefect fires schedules only through a real API server, not the ephemeral one that a single
``process`` run uses; so when no ``PREFECT_API_URL`` is configured, ``serve`` starts one on
127.0.0.1 (SQLite under ``PREFECT_HOME``) for as long as it runs, and stops it afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from extractors.errors import ExternalToolError

STARTUP_TIMEOUT_SECONDS = 120.0


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
