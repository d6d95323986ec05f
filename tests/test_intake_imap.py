"""The intake flow against a real IMAP server (a throw-away Dovecot): messages are archived,
then flagged done on the server; a crash between the two leaves the message to be picked up
again, never lost and never unpacked twice; a second delivery of the same message (same
Message-ID) is kept but not unpacked again."""

from __future__ import annotations

import imaplib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from imap_server import DovecotServer, running_dovecot
from sqlalchemy import create_engine, text

from extractors.inbox import DONE_KEYWORD, ImapInbox
from fixtures.round import generate_round
from flows.process import intake
from flows.settings import Settings


@pytest.fixture(scope="module")
def messages(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    folder = tmp_path_factory.mktemp("round")
    generate_round(folder, seed=77, schools=4)
    return [path.read_bytes() for path in sorted((folder / "inbox").glob("*.eml"))]


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[DovecotServer]:
    with running_dovecot(tmp_path) as server:
        yield server


@pytest.fixture
def imap_env(dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PILOT_INTAKE_IMAP_PASSWORD", dovecot.password)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    return f"imap://{dovecot.user}@{dovecot.host}:{dovecot.port}/INBOX?security=none"


def settings_for(tmp_path: Path) -> Settings:
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(tmp_path / "cache"))
    return Settings(
        db_url=f"sqlite:///{tmp_path / 'review.sqlite3'}",
        archive_dir=tmp_path / "archive",
        cache_dir=tmp_path / "cache",
    )


def rows(settings: Settings, query: str) -> list[tuple[Any, ...]]:
    engine = create_engine(settings.db_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def flagged(server: DovecotServer) -> list[bool]:
    client: imaplib.IMAP4 = server.client()
    try:
        client.select("INBOX", readonly=True)
        _, data = client.uid("FETCH", "1:*", "(FLAGS)")
        return [DONE_KEYWORD.encode() in item for item in data if isinstance(item, bytes)]
    finally:
        client.logout()


def test_imap_messages_are_archived_then_flagged(
    dovecot: DovecotServer, imap_env: str, messages: list[bytes], tmp_path: Path
) -> None:
    for raw in messages:
        dovecot.deliver(raw)
    settings = settings_for(tmp_path)
    summary = intake(settings, inbox=imap_env)
    assert summary.messages_new == len(messages)
    assert flagged(dovecot) == [True] * len(messages)
    done = rows(settings, "SELECT status, uidvalidity IS NOT NULL, uid FROM messages ORDER BY uid")
    assert [(status, has_validity) for status, has_validity, _ in done] == [("done", True)] * len(messages)
    tables = rows(settings, "SELECT source FROM documents WHERE kind = 'annex1' AND status = 'ok'")
    assert len([s for (s,) in tables if s.endswith((".xlsx", ".docx", ".xls"))]) == len(messages)
    # Nothing new: the second run fetches nothing and adds nothing.
    again = intake(settings, inbox=imap_env)
    assert again.messages_new == 0 and again.documents_new == 0


def test_crash_between_archive_and_flag_is_picked_up_again(
    dovecot: DovecotServer,
    imap_env: str,
    messages: list[bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dovecot.deliver(messages[0])
    settings = settings_for(tmp_path)

    # Fault injection (a mock, on purpose): the process dying in the instant between the
    # database commit and the IMAP STORE cannot be hit reliably with a real kill.
    def crash(self: ImapInbox, message: Any) -> None:
        raise SystemExit("simulated crash before the message was flagged")

    with monkeypatch.context() as patch:
        patch.setattr(ImapInbox, "mark_done", crash)
        with pytest.raises(BaseException, match="simulated crash"):
            intake(settings, inbox=imap_env)
    assert flagged(dovecot) == [False]
    assert rows(settings, "SELECT status FROM messages") == [("archived",)]
    received_before = rows(settings, "SELECT count(*) FROM received_files")[0][0]

    summary = intake(settings, inbox=imap_env)
    assert flagged(dovecot) == [True]
    assert rows(settings, "SELECT status FROM messages") == [("done",)]
    assert summary.messages_new == 0  # recognised as already archived, not unpacked again
    assert rows(settings, "SELECT count(*) FROM received_files")[0][0] == received_before
    assert rows(settings, "SELECT count(*) FROM documents WHERE kind = 'annex1'")[0][0] >= 1


def test_second_delivery_of_the_same_message_is_kept_not_unpacked(
    dovecot: DovecotServer, imap_env: str, messages: list[bytes], tmp_path: Path
) -> None:
    dovecot.deliver(messages[1])
    dovecot.deliver(b"X-Resent: yes\r\n" + messages[1])  # same Message-ID, other bytes
    settings = settings_for(tmp_path)
    summary = intake(settings, inbox=imap_env)
    assert (summary.messages_new, summary.messages_duplicate) == (1, 1)
    assert sorted(status for (status,) in rows(settings, "SELECT status FROM messages")) == [
        "done",
        "duplicate",
    ]
    assert flagged(dovecot) == [True, True]


SECRET_SCRIPT = """
import os, sys
from prefect.blocks.system import Secret
Secret(value=os.environ.pop("TEST_IMAP_PASSWORD")).save("pilot-intake-imap", overwrite=True)
from extractors.inbox import open_inbox
with open_inbox(sys.argv[1]) as inbox:
    print("fetched", len(list(inbox.fetch())), repr(inbox))
"""


def test_password_from_a_prefect_secret_block(
    dovecot: DovecotServer, messages: list[bytes], tmp_path: Path
) -> None:
    dovecot.deliver(messages[0])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_URL", "PILOT_INTAKE_IMAP"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PILOT_INTAKE_IMAP_PASSWORD_SECRET="pilot-intake-imap",
        TEST_IMAP_PASSWORD=dovecot.password,
    )
    url = f"imap://{dovecot.user}@{dovecot.host}:{dovecot.port}/INBOX?security=none"
    done = subprocess.run(
        [sys.executable, "-c", SECRET_SCRIPT, url],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "fetched 1" in done.stdout and dovecot.password not in done.stdout
