"""A throw-away Dovecot IMAP server, so the IMAP inbox is tested against a real server.

A fake IMAP server would only confirm our own reading of RFC 3501; Dovecot is what the office is
likely to run and what decides how keywords, UIDVALIDITY, MOVE and modified UTF-7 really behave.

Each server gets its own config, runtime directory, log and Maildir, a free port on 127.0.0.1,
plaintext login (it never leaves the machine) and one static user. Needs Debian's dovecot-imapd
(``scripts/install-system-packages.sh``) and root, as in CI: Dovecot starts as root and drops to
unprivileged users, and it refuses to open mail as root (uid 0), so mail is owned by ``nobody``.
Because ``nobody`` cannot enter pytest's private (0700) tmp_path, the Maildir and the runtime
sockets live in a short-named directory directly under the system temp dir, removed on stop; the
short name also keeps socket paths under the 108-byte limit of Unix sockets.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest

from extractors.inbox import encode_mailbox_name

DOVECOT = Path("/usr/sbin/dovecot")
MAIL_USER = "nobody"  # exists on every Debian system; owns nothing else that matters here
START_TIMEOUT = 20.0

_CONFIG = """\
# Throw-away Dovecot for pilot-intake's tests; written by tests/imap_server.py.
instance_name = pilot-intake-test-{port}
base_dir = {runtime}/run
state_dir = {runtime}/state
log_path = {log}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests provoke a wrong password on purpose; the default 2 s penalty would only slow them down.
auth_failure_delay = 0
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:~/Maildir
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class DovecotServer:
    """A running Dovecot; a context manager that stops it on exit."""

    host = "127.0.0.1"

    def __init__(self, tmp_path: Path, extra_config: str = "") -> None:
        self.extra_config = extra_config
        self.user = "intake@example.edu.cn"
        self.password = "测试-pass-" + os.urandom(6).hex()  # non-ASCII on purpose: AUTHENTICATE PLAIN
        self.port = free_port()
        self.runtime = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.runtime.chmod(0o755)
        self.home = self.runtime / "home"
        self.maildir = self.home / "Maildir"
        self.config = tmp_path / "dovecot.conf"
        self.log = tmp_path / "dovecot.log"
        self._process: subprocess.Popen[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        account = pwd.getpwnam(MAIL_USER)
        self.home.mkdir()
        os.chown(self.home, account.pw_uid, account.pw_gid)
        self.config.write_text(
            _CONFIG.format(
                runtime=self.runtime,
                log=self.log,
                port=self.port,
                password=self.password,
                uid=account.pw_uid,
                gid=account.pw_gid,
                home=self.home,
            )
            + self.extra_config,
            encoding="utf-8",
        )
        # -F keeps the master in the foreground, so it is our child and cannot outlive us unnoticed.
        self._process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(self.config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self._wait_until_listening()
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdout is not None:
            process.stdout.close()
        shutil.rmtree(self.runtime, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                output = self._process.stdout.read().decode(errors="replace") if self._process.stdout else ""
                self.stop()
                pytest.fail(f"Dovecot exited at start-up:\n{output}\n{self._log_text()}", pytrace=False)
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as connection:
                    if connection.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(
            f"Dovecot did not accept connections within {START_TIMEOUT:.0f} s:\n{self._log_text()}",
            pytrace=False,
        )

    def _log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else "(no log)"

    # -- helpers for tests -------------------------------------------------------------------

    def client(self) -> imaplib.IMAP4:
        """A logged-in plain IMAP connection for looking behind the code under test."""
        connection = imaplib.IMAP4(self.host, self.port, timeout=10)
        secret = f"\0{self.user}\0{self.password}".encode()
        connection.authenticate("PLAIN", lambda _challenge: secret)
        return connection

    def deliver(self, raw: bytes, mailbox: str = "INBOX", *, received_at: datetime | None = None) -> int:
        """APPEND ``raw`` (creating the mailbox if needed); returns the new message's UID."""
        name = _quoted(encode_mailbox_name(mailbox))
        connection = self.client()
        try:
            connection.create(name)  # NO [ALREADYEXISTS] is fine
            date = imaplib.Time2Internaldate(received_at) if received_at is not None else None
            typ, data = connection.append(name, "", date, raw)
            assert typ == "OK", data
            match = re.search(rb"\[APPENDUID \d+ (\d+)\]", data[0] or b"")
            assert match is not None, data
            return int(match.group(1))
        finally:
            connection.logout()


def running_dovecot(tmp_path: Path, extra_config: str = "") -> DovecotServer:
    """Start a Dovecot for one test; use as ``with running_dovecot(tmp_path) as server:``.

    ``extra_config`` is appended to dovecot.conf (e.g. an ``imap_capability`` without MOVE).

    Fails (never skips) when Dovecot is missing: a skipped IMAP test would hide that CI no longer
    checks the production inbox.
    """
    if not DOVECOT.exists():
        pytest.fail(
            f"{DOVECOT} is missing: install Dovecot with `sudo bash scripts/install-system-packages.sh` "
            "(Debian package dovecot-imapd).",
            pytrace=False,
        )
    if os.geteuid() != 0:
        pytest.fail("the Dovecot test server must be started as root (as in CI)", pytrace=False)
    server = DovecotServer(tmp_path, extra_config)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise


def free_port() -> int:
    # Another process could take the port before Dovecot binds it; on a test machine that is rare
    # enough, and a clash shows up as a clear start-up failure in the log.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
