"""Kill, resume, same answer (issue 9, part 6): a real ``pilot-intake process`` is killed with
SIGKILL before archiving, while a file is being archived, after everything is archived and in
the middle of extraction, each kill in the run that resumes the one before; the run that
finally completes leaves the database row for row as one clean run does (ids, run numbers and
wall-clock times aside), and the archive holds the same files.

The round is small (three schools' e-mails and plans) plus a corrected copy of one plan in the
same upload folder, so that two versions of one submission are numbered in one run: the
version numbers must follow receipt order, not the order in which extractions finish (cached
ones first on a resume).

Why the kills go through ``PILOT_INTAKE_KILL_AT``: the moments that matter (a file written to
the archive but its receipt not committed; everything archived but nothing read) last
milliseconds, so a kill from outside at a guessed time would hit them by luck. The hook makes
the process send itself SIGKILL at that point: a real kill, with no cleanup, no ``finally`` and
no commit, exactly as the OOM killer would do it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from fixtures.generate import build_document
from fixtures.round import generate_round
from schemas.round_config import load_round_config

pytestmark = pytest.mark.slow  # six real runs of the command line, each with Prefect's server

# Each kill happens in the run that resumes the previous one; the last run completes.
KILL_POINTS = (
    "run-started",  # before anything is archived
    "archiving:3",  # the third file is in the archive, its receipt not committed
    "all-archived",  # everything archived and committed, nothing read
    "extracted:4",  # four readings finished, the earlier ones saved
)


@pytest.fixture(scope="module")
def round_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("round")
    manifest = generate_round(folder, seed=7, schools=3)
    # A corrected copy of one plan beside the original: two versions of one submission.
    school = manifest["schools"][0]
    plan = school["plans"][0]
    config = load_round_config()
    corrected = build_document(
        1, "fee_negated", 7, config, school=school["school"], certificate=plan["certificate"]
    )
    original = folder / "uploads" / plan["file"]
    original.with_name(original.stem + "（更正）.pdf").write_bytes(corrected.pdf)
    return folder


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    # One temporary server database for all runs: created once, not once per run folder.
    env["PILOT_INTAKE_PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-state"))
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
    # Each run folder keeps its own extraction cache (beside its archive): the resumed run must
    # find what its killed predecessors cached, and nothing the clean run did.
    for name in (
        "PREFECT_API_URL", "PILOT_INTAKE_DB_URL", "PILOT_INTAKE_INBOX", "PILOT_INTAKE_KILL_AT",
        "PREFECT_LOCAL_STORAGE_PATH",
    ):  # fmt: skip
        env.pop(name, None)
    return env


def run_process(folder: Path, work: Path, env: dict[str, str], kill_at: str | None = None) -> int:
    """One ``pilot-intake process`` in its own process group; returns its exit status (negative:
    the signal that ended it). The group is killed afterwards so that a killed run's Prefect
    server (a child it could not stop) does not outlive it."""
    command = [
        sys.executable, "-m", "flows.cli", "process", str(folder / "uploads"), "--inbox", str(folder / "inbox"),
        "--db", f"sqlite:///{work / 'review.sqlite3'}", "--archive", str(work / "archive"),
    ]  # fmt: skip
    child_env = {**env, **({"PILOT_INTAKE_KILL_AT": kill_at} if kill_at else {})}
    with (work / "runs.log").open("a") as log:
        child = subprocess.Popen(
            command, cwd=work, env=child_env, stdout=log, stderr=log, start_new_session=True
        )
        try:
            return child.wait(timeout=600)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)


QUERIES = {
    "documents": """
        SELECT d.sha256, d.route, d.source, d.kind, s.name, d.certificate, d.submission_key, d.version,
               d.status, d.page_count, CAST(d.data AS TEXT), n.sha256, n.route
        FROM documents d LEFT JOIN schools s ON s.id = d.school_id
        LEFT JOIN documents n ON n.id = d.superseded_by_id""",
    "pages": """
        SELECT d.sha256, d.route, p.number, p.kind, p.text, p.has_text_layer
        FROM pages p JOIN documents d ON d.id = p.document_id""",
    "fields": """
        SELECT d.sha256, d.route, e.field, CAST(e.value AS TEXT), e.page, e.evidence
        FROM extracted_fields e JOIN documents d ON d.id = e.document_id""",
    "errors": """
        SELECT d.sha256, d.route, x.component, x.code, x.page, x.message
        FROM processing_errors x JOIN documents d ON d.id = x.document_id""",
    "findings": """
        SELECT d.sha256, d.route, s.name, f.source, f.rule, f.severity, f.message, f.page, f.evidence,
               f.match_key, f.status, r.sha256, r.route
        FROM findings f LEFT JOIN documents d ON d.id = f.document_id
        LEFT JOIN schools s ON s.id = f.school_id
        LEFT JOIN documents r ON r.id = f.resolved_by_document_id""",
    "finding_changes": """
        SELECT d.sha256, d.route, p.sha256, p.route, c.change, o.match_key, n.match_key
        FROM finding_changes c JOIN documents d ON d.id = c.document_id
        JOIN documents p ON p.id = c.previous_document_id
        LEFT JOIN findings o ON o.id = c.old_finding_id LEFT JOIN findings n ON n.id = c.new_finding_id""",
    "messages": """
        SELECT m.key, m.name, m.uidvalidity, m.uid, m.message_id, m.sha256, m.sender, m.subject,
               m.received_at, s.name, m.school_evidence, m.attachment_count, CAST(m.problems AS TEXT),
               m.status
        FROM messages m LEFT JOIN schools s ON s.id = m.school_id""",
    # An upload's receipt time is the moment it was listed; an e-mail's is its own.
    "received": """
        SELECT r.sha256, r.size, r.source, r.route, CASE WHEN r.message_id IS NULL THEN NULL ELSE r.received_at END,
               m.key
        FROM received_files r LEFT JOIN messages m ON m.id = r.message_id""",
    "schools": "SELECT name, type, city, review_authority, known FROM schools",
}


def snapshot(work: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table that matters, by its meaningful columns, foreign keys as what they point at."""
    engine = create_engine(f"sqlite:///{work / 'review.sqlite3'}")
    try:
        with engine.connect() as connection:
            tables = {
                name: sorted((tuple(row) for row in connection.execute(text(query))), key=repr)
                for name, query in QUERIES.items()
            }
            tables["runs"] = sorted(
                tuple(row) for row in connection.execute(text("SELECT status, counts IS NOT NULL FROM runs"))
            )
        return tables
    finally:
        engine.dispose()


def count(work: Path, table: str) -> int:
    engine = create_engine(f"sqlite:///{work / 'review.sqlite3'}")
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
    finally:
        engine.dispose()


def distinct(work: Path, column: str, table: str) -> int:
    engine = create_engine(f"sqlite:///{work / 'review.sqlite3'}")
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(text(f"SELECT count(DISTINCT {column}) FROM {table}")).scalar() or 0
            )
    finally:
        engine.dispose()


def archived_files(work: Path) -> set[str]:
    return {p.relative_to(work / "archive").as_posix() for p in (work / "archive").rglob("*") if p.is_file()}


def test_killed_at_every_point_then_resumed_equals_a_clean_run(
    round_folder: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    assert run_process(round_folder, clean, cli_env) == 0, (clean / "runs.log").read_text()[-3000:]
    expected = snapshot(clean)
    # The round is what the test needs: two versions of one plan, both current (same folder).
    versions = [row for row in expected["documents"] if "（更正）" in row[2]]
    assert len(versions) == 1 and versions[0][7] == 2 and versions[0][11] is None

    work = tmp_path / "killed"
    work.mkdir()
    seen: dict[str, tuple[int, int, int, int]] = {}
    for point in KILL_POINTS:
        status = run_process(round_folder, work, cli_env, kill_at=point)
        assert status == -signal.SIGKILL, f"{point}: {status}\n" + (work / "runs.log").read_text()[-3000:]
        seen[point] = (
            count(work, "received_files"),
            count(work, "documents"),
            len(archived_files(work)),
            distinct(work, "sha256", "received_files"),
        )

    total_received = len(expected["received"])
    total_documents = len(expected["documents"])
    # Each kill came where it was aimed.
    assert seen["run-started"] == (0, 0, 0, 0)
    received, documents, archived, committed = seen["archiving:3"]
    assert 0 < received < total_received and documents == 0
    # The files being archived were written before their receipts were committed.
    assert archived > committed
    assert seen["all-archived"][:2] == (total_received, 0)
    # Killed with readings finished (their results cached) and the batch not saved in full.
    assert seen["extracted:4"][1] < total_documents
    assert any((work / "cache").iterdir())

    assert run_process(round_folder, work, cli_env) == 0, (work / "runs.log").read_text()[-3000:]
    resumed = snapshot(work)
    for table in QUERIES:
        assert resumed[table] == expected[table], table
    assert archived_files(work) == archived_files(clean)
    statuses = [row[0] for row in resumed["runs"]]
    assert sorted(statuses) == ["abandoned"] * len(KILL_POINTS) + ["completed"]
