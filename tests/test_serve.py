"""Scheduled ingestion: ``pilot-intake serve`` on the embedded default starts its own local
Prefect server (schedules fire only through a real API) and its schedule really fires; the
deployment in prefect.yaml points at the same flow."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.flows import load_flow_from_entrypoint
from sqlalchemy import create_engine, text

from fixtures.generate import build_document
from flows.cli import parse_interval
from schemas.round_config import load_round_config

PROJECT = Path(__file__).resolve().parents[1]


def test_intervals() -> None:
    assert [parse_interval(t) for t in ("10m", "30s", "1h", "600", "2d")] == [600, 30, 3600, 600, 172800]
    for bad in ("", "0", "ten minutes", "5x"):
        with pytest.raises(Exception, match="时间间隔"):
            parse_interval(bad)


def test_prefect_yaml_deploys_the_intake_flow_every_ten_minutes() -> None:
    spec = yaml.safe_load((PROJECT / "prefect.yaml").read_text(encoding="utf-8"))
    [deployment] = spec["deployments"]
    assert deployment["schedules"][0]["interval"] == 600
    assert deployment["parameters"]["inbox"] == "imap"
    assert "password" not in yaml.safe_dump(deployment).lower()  # credentials come from the environment
    flow: Any = load_flow_from_entrypoint(str(PROJECT / deployment["entrypoint"]))
    assert flow.name == "pilot-intake"


def _completed_runs(db: Path) -> int:
    if not db.exists():
        return 0
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as connection:
            tables = connection.execute(text("SELECT name FROM sqlite_master WHERE name='runs'")).all()
            if not tables:
                return 0
            return int(
                connection.execute(text("SELECT count(*) FROM runs WHERE status='completed'")).scalar() or 0
            )
    finally:
        engine.dispose()


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_serve_fires_scheduled_runs_on_a_local_server(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    document = build_document(1, "clean", 11, load_round_config())
    (uploads / document.file).write_bytes(document.pdf)
    db = tmp_path / "review.sqlite3"
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_HOME"] = str(tmp_path / "prefect-client-home")
    env["PILOT_INTAKE_PREFECT_HOME"] = str(tmp_path / "prefect-server")
    command = [
        sys.executable, "-m", "flows.cli", "serve", "--every", "5s", "--uploads", str(uploads),
        "--db", f"sqlite:///{db}", "--archive", str(tmp_path / "archive"),
    ]  # fmt: skip
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 300
        while _completed_runs(db) < 2 and time.monotonic() < deadline and server.poll() is None:
            time.sleep(2)
        output = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")
        assert _completed_runs(db) >= 2, output[-4000:]
        assert "已启动本地Prefect服务器" in output
        port = int(output.split("http://127.0.0.1:")[1].split("/")[0])
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()
    # The local server was stopped with serve; the document was processed once, not per run.
    time.sleep(1)
    assert not _port_open(port)
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar() == 1
    engine.dispose()
