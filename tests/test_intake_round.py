"""A generated round through the real command line: inbox and uploads in, database out.

Shows what the intake issue asks for: every attachment name decoded exactly, Attachment 1
cells as in the ground truth, every injected annex1.* / school.* defect found and no error on
clean schools (on SQLite and PostgreSQL); a run killed with SIGKILL midway and run again
leaves the same database as one clean run; a rerun adds nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import create_engine, text

from benchmarks.intake import compare, export_of
from fixtures.round import UNKNOWN_SCHOOL, generate_round
from schemas.export import ExportFile
from schemas.round_config import load_round_config


@pytest.fixture(scope="module")
def round_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("round")
    manifest = generate_round(folder, seed=2022, schools=20)
    return folder, manifest


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
    for name in ("PREFECT_API_URL", "PILOT_INTAKE_DB_URL", "PILOT_INTAKE_INBOX"):
        env.pop(name, None)
    return env


def process_command(folder: Path, db_url: str, work: Path) -> list[str]:
    return [
        sys.executable, "-m", "flows.cli", "process", str(folder / "uploads"), "--inbox", str(folder / "inbox"),
        "--db", db_url, "--archive", str(work / "archive"),
    ]  # fmt: skip


def run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=900, check=False)


def snapshot(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a reviewer or the export sees, without ids, run numbers and wall-clock times."""
    engine = create_engine(db_url)
    queries = {
        "documents": """SELECT d.sha256, d.source, d.kind, s.name, d.version, d.status, n.sha256, d.page_count
                        FROM documents d LEFT JOIN schools s ON s.id = d.school_id
                        LEFT JOIN documents n ON n.id = d.superseded_by_id""",
        "document_findings": """SELECT d.sha256, f.rule, f.severity, f.message, f.page, f.evidence, f.status
                                FROM findings f JOIN documents d ON d.id = f.document_id""",
        "school_findings": """SELECT s.name, f.rule, f.severity, f.message, f.source, f.evidence, f.status
                              FROM findings f JOIN schools s ON s.id = f.school_id WHERE f.document_id IS NULL""",
        "fields": """SELECT d.sha256, e.field, CAST(e.value AS TEXT), e.page
                     FROM extracted_fields e JOIN documents d ON d.id = e.document_id""",
        "messages": """SELECT m.key, m.status, m.message_id, m.sha256, s.name, m.attachment_count
                       FROM messages m LEFT JOIN schools s ON s.id = m.school_id""",
        "received": "SELECT sha256, source FROM received_files",
        "schools": "SELECT name, type, city, review_authority, known FROM schools",
    }
    try:
        with engine.connect() as connection:
            return {
                name: sorted(
                    (tuple(row) for row in connection.execute(text(query))), key=lambda r: tuple(map(str, r))
                )
                for name, query in queries.items()
            }
    finally:
        engine.dispose()


def test_round_is_read_exactly(
    round_dir: tuple[Path, dict[str, Any]], db_url: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    folder, manifest = round_dir
    first = run(process_command(folder, db_url, tmp_path), cli_env, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    report = compare(manifest, export_of(db_url))
    details = "\n".join(report.misses[:40])
    assert sum(report.names_exact.values()) == sum(report.names_total.values()) > 0, details
    assert report.cell_accuracy >= 0.99, details
    assert report.rules.perfect and report.rules.tp, details
    assert report.clean_schools > 0 and report.clean_with_errors == [], details
    assert report.unknown_schools_listed == report.unknown_schools == 1
    check_authority_outputs(db_url, cli_env, tmp_path)
    check_mail_log(manifest, db_url, cli_env, tmp_path)
    before = snapshot(db_url)
    again = run(process_command(folder, db_url, tmp_path), cli_env, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "新邮件 0 封" in again.stdout and "新处理 0 份" in again.stdout
    assert snapshot(db_url) == before


def check_mail_log(manifest: dict[str, Any], db_url: str, env: dict[str, str], tmp_path: Path) -> None:
    """The report's 收件记录 lists every e-mail with the school it was matched to and why."""
    path = tmp_path / "full.xlsx"
    done = run(
        [sys.executable, "-m", "flows.cli", "report", "--xlsx", str(path), "--db", db_url], env, tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = list(openpyxl.load_workbook(path)["收件记录"].iter_rows(min_row=2, values_only=True))
    expected = {e["message"]["file"]: e["school"] for e in manifest["schools"] if e["message"]}
    assert {row[8]: row[3] for row in rows} == expected
    assert {row[6] for row in rows} == {"已处理"}
    assert all(row[4] != "未能识别" for row in rows)


def check_authority_outputs(db_url: str, env: dict[str, str], tmp_path: Path) -> None:
    """Each bureau gets just its schools: 中职 to their city's bureau, 高职 and 本科 to the province."""
    config = load_round_config()
    city_schools = {s.name for s in config.schools if s.type == "中职" and s.city == "长沙市"}
    # The round's unknown school (a 高职 by its name, 邵阳市工业职业技术学院) goes to the province.
    province_schools = {s.name for s in config.schools if s.type != "中职"} | {UNKNOWN_SCHOOL}
    base = [sys.executable, "-m", "flows.cli"]
    city_json, province_json = tmp_path / "city.json", tmp_path / "province.json"
    for path, authority in ((city_json, "长沙市"), (province_json, "province")):
        done = run(
            [*base, "export", "--json", str(path), "--db", db_url, "--authority", authority], env, tmp_path
        )
        assert done.returncode == 0, done.stderr[-2000:]
    city = ExportFile.model_validate_json(city_json.read_text(encoding="utf-8"))
    province = ExportFile.model_validate_json(province_json.read_text(encoding="utf-8"))
    assert {s.name for s in city.schools} == city_schools
    assert {s.review_authority for s in city.schools} == {"city"}
    assert {d.school for d in city.documents} <= city_schools
    assert {s.name for s in province.schools} == province_schools
    assert {d.school for d in province.documents} <= province_schools and province.documents
    report_path = tmp_path / "province.xlsx"
    done = run(
        [*base, "report", "--xlsx", str(report_path), "--db", db_url, "--authority", "省教育厅"],
        env,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = list(openpyxl.load_workbook(report_path)["问题清单"].iter_rows(min_row=2, values_only=True))
    assert rows and {row[0] for row in rows} == {"省教育厅"}
    assert {row[1] for row in rows} <= province_schools


def _count(db: Path, table: str) -> int:
    if not db.exists():
        return 0
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as connection:
            if not connection.execute(text(f"SELECT name FROM sqlite_master WHERE name='{table}'")).all():
                return 0
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
    except Exception:  # the database is being written by the run under test
        return 0
    finally:
        engine.dispose()


@pytest.mark.slow
def test_run_killed_midway_then_rerun_equals_one_clean_run(
    round_dir: tuple[Path, dict[str, Any]], cli_env: dict[str, str], tmp_path: Path
) -> None:
    folder, _ = round_dir
    clean_db = f"sqlite:///{tmp_path / 'clean.sqlite3'}"
    clean = run(process_command(folder, clean_db, tmp_path / "clean"), cli_env, tmp_path)
    assert clean.returncode == 0, clean.stderr[-3000:]

    killed_path = tmp_path / "killed.sqlite3"
    killed_db = f"sqlite:///{killed_path}"
    victim = subprocess.Popen(
        process_command(folder, killed_db, tmp_path / "killed"),
        cwd=tmp_path,
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    total_documents = len(snapshot(clean_db)["documents"])
    deadline = time.monotonic() + 600
    while _count(killed_path, "documents") < total_documents // 3 and time.monotonic() < deadline:
        assert victim.poll() is None, "the run ended before it could be killed midway"
        time.sleep(0.1)
    os.killpg(victim.pid, signal.SIGKILL)  # a real kill: no cleanup, no finally blocks
    victim.wait(timeout=30)
    done_when_killed = _count(killed_path, "documents")
    assert 0 < done_when_killed < total_documents

    rerun = run(process_command(folder, killed_db, tmp_path / "killed"), cli_env, tmp_path)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert snapshot(killed_db) == snapshot(clean_db)
    engine = create_engine(killed_db)
    with engine.connect() as connection:
        statuses: dict[str, int] = dict(
            connection.execute(text("SELECT status, count(*) FROM runs GROUP BY status")).all()
        )
    engine.dispose()
    assert statuses == {"abandoned": 1, "completed": 1}


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_runs_at_once_take_each_message_once(
    round_dir: tuple[Path, dict[str, Any]], db_url: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    folder, manifest = round_dir
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for path in sorted((folder / "inbox").glob("*.eml")):
        (maildir / "new" / f"{path.stem}.M1P1.round").write_bytes(path.read_bytes())
    command = [
        sys.executable, "-m", "flows.cli", "process", str(folder / "uploads"), "--inbox", str(maildir),
        "--db", db_url, "--archive", str(tmp_path / "archive"),
    ]  # fmt: skip
    runs = [
        subprocess.Popen(
            command, cwd=tmp_path, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=900) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(err[-2000:] for _, err in outputs)
    taken = [int(out.split("新邮件 ")[1].split(" 封")[0]) for out, _ in outputs]
    messages = [entry["message"] for entry in manifest["schools"] if entry["message"]]
    assert sum(taken) == len(messages)  # each message unpacked by exactly one of the two runs
    state = snapshot(db_url)
    assert [status for _, status, *_ in state["messages"]] == ["done"] * len(messages)
    expected_files = sum(1 + len(m["expected_paths"]) for m in messages)
    assert len([r for r in state["received"] if ".M1P1.round" in r[1]]) == expected_files
    assert list((maildir / "new").iterdir()) == []
    report = compare(manifest, export_of(db_url))
    assert report.rules.perfect and report.clean_with_errors == [], "\n".join(report.misses[:20])
