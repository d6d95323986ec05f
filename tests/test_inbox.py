"""The two inbox sources against the real thing: a throw-away Dovecot and real files on disk.

The properties that matter to the office: every message arrives byte for byte, nothing is ever
marked read (\\Seen) or rewritten, a message marked done is not fetched again, and a mailbox that
changed under us is never marked blindly. Failures must reach the flow as the project's
exceptions (ConfigurationError: fix the settings; TransientError: retry) and never leak the
password.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from imap_server import DovecotServer, free_port, running_dovecot

from extractors.errors import ConfigurationError, TransientError
from extractors.inbox import (
    DONE_KEYWORD,
    MAILDIR_DONE_FLAG,
    FolderInbox,
    ImapInbox,
    InboxMessage,
    InboxStateError,
    decode_mailbox_name,
    encode_mailbox_name,
    open_inbox,
)

BEIJING = timezone(timedelta(hours=8))
DONE_FOLDER_UTF7 = "&XfJZBHQG-"  # 已处理 = U+5DF2 U+5904 U+7406 -> UTF-16BE 5DF2 5904 7406 -> base64


def sample_message(number: int) -> bytes:
    """A CRLF message like a school's: encoded Chinese subject, base64 attachment."""
    return (
        f"From: school{number}@example.edu.cn\r\n"
        f"To: pilot@example.gov.cn\r\n"
        f"Subject: =?UTF-8?B?5bel56iL5a2m6Zmi?= {number}\r\n"
        f"Message-ID: <{number}@example.edu.cn>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n'
        "\r\n"
        "--b\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "6K+36KeB6ZmE5Lu2\r\n"
        "--b\r\n"
        'Content-Type: application/pdf; name="plan.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        f"JVBERi0xLjQK{number:04d}\r\n"
        "--b--\r\n"
    ).encode("ascii")


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[DovecotServer]:
    with running_dovecot(tmp_path) as server:
        yield server


def imap_inbox(server: DovecotServer, *, mailbox: str = "INBOX", done: str = "flag") -> ImapInbox:
    return ImapInbox(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        mailbox=mailbox,
        security="none",
        done=done,
    )


def flags_by_uid(server: DovecotServer, mailbox: str = "INBOX") -> dict[int, set[str]]:
    connection = server.client()
    try:
        typ, _ = connection.select(f'"{encode_mailbox_name(mailbox)}"', readonly=True)
        assert typ == "OK"
        typ, data = connection.uid("FETCH", "1:*", "(FLAGS)")
        assert typ == "OK"
        result = {}
        for line in data:
            if isinstance(line, bytes) and (match := re.search(rb"UID (\d+) FLAGS \(([^)]*)\)", line)):
                result[int(match.group(1))] = set(match.group(2).decode().split())
        return result
    finally:
        connection.logout()


def current_uidvalidity(server: DovecotServer, mailbox: str = "INBOX") -> int:
    connection = server.client()
    try:
        connection.select(f'"{encode_mailbox_name(mailbox)}"', readonly=True)
        return int(connection.response("UIDVALIDITY")[1][-1])
    finally:
        connection.logout()


# --------------------------------------------------------------------------------------------
# IMAP


def test_imap_fetch_returns_every_message_byte_identical(dovecot: DovecotServer) -> None:
    dates = [datetime(2022, 4, 14 + n, 9, 30, n, tzinfo=BEIJING) for n in range(3)]
    uids = [dovecot.deliver(sample_message(n), received_at=date) for n, date in enumerate(dates)]
    uidvalidity = current_uidvalidity(dovecot)

    with imap_inbox(dovecot) as inbox:
        messages = list(inbox.fetch())

    assert [m.uid for m in messages] == uids == [1, 2, 3]
    for number, message in enumerate(messages):
        uid = uids[number]
        assert message.uidvalidity == uidvalidity
        assert message.key == f"imap:{dovecot.user}@127.0.0.1/INBOX;UIDVALIDITY={uidvalidity};UID={uid}"
        assert message.name == f"INBOX-{uidvalidity}-{uid}.eml"
        # The samples are already CRLF, so no normalising is needed: the bytes must match exactly.
        assert message.raw == sample_message(number)
        assert message.received_at == dates[number]
        assert message.received_at is not None and message.received_at.tzinfo is not None


def test_imap_server_normalises_bare_lf_to_crlf(dovecot: DovecotServer) -> None:
    # Dovecot stores Maildir files with LF and always sends CRLF (IMAP's canonical form), so a
    # message delivered with bare LFs comes back with CRLF. This pins that behaviour down: the
    # fetch itself adds no normalisation of its own.
    dovecot.deliver(b"Subject: lf\nX-Test: 1\n\nbody\n")
    with imap_inbox(dovecot) as inbox:
        (message,) = inbox.fetch()
    assert message.raw == b"Subject: lf\r\nX-Test: 1\r\n\r\nbody\r\n"


def test_imap_mark_done_hides_message_from_next_run_and_never_sets_seen(dovecot: DovecotServer) -> None:
    for number in range(3):
        dovecot.deliver(sample_message(number))

    with imap_inbox(dovecot) as inbox:
        first, second, third = inbox.fetch()
        inbox.mark_done(first)
        inbox.mark_done(second)
        inbox.mark_done(second)  # idempotent

    with imap_inbox(dovecot) as inbox:
        assert [m.key for m in inbox.fetch()] == [third.key]

    flags = flags_by_uid(dovecot)
    assert DONE_KEYWORD in flags[1] and DONE_KEYWORD in flags[2] and DONE_KEYWORD not in flags[3]
    assert all("\\Seen" not in message_flags for message_flags in flags.values()), flags


def test_imap_move_into_chinese_folder(dovecot: DovecotServer) -> None:
    dovecot.deliver(sample_message(1))
    dovecot.deliver(sample_message(2))

    with imap_inbox(dovecot, done="move:已处理") as inbox:
        first, second = inbox.fetch()
        inbox.mark_done(first)
        inbox.mark_done(first)  # idempotent: already moved, nothing to do

    with imap_inbox(dovecot, done="move:已处理") as inbox:
        assert [m.key for m in inbox.fetch()] == [second.key]
    assert set(flags_by_uid(dovecot)) == {2}  # gone from INBOX, not merely flagged

    listing = dovecot.client()
    try:
        _, folders = listing.list()
    finally:
        listing.logout()
    assert any(isinstance(item, bytes) and item.endswith(DONE_FOLDER_UTF7.encode()) for item in folders), (
        folders
    )
    assert (dovecot.maildir / f".{DONE_FOLDER_UTF7}").is_dir()  # Dovecot's own name for 已处理 on disk

    moved = flags_by_uid(dovecot, "已处理")
    assert len(moved) == 1
    (moved_flags,) = moved.values()
    assert DONE_KEYWORD in moved_flags and "\\Seen" not in moved_flags
    with imap_inbox(dovecot, mailbox="已处理") as done_folder:
        assert done_folder.description.endswith("/已处理")
        assert list(done_folder.fetch()) == []  # it carries the done keyword


def test_imap_move_without_move_capability_expunges_only_that_message(tmp_path: Path) -> None:
    # Older servers lack MOVE: the fallback is COPY + \Deleted + UID EXPUNGE. Dovecot always
    # implements MOVE, but it advertises only the capabilities configured here, and the inbox
    # decides from the advertisement, so this runs the real fallback against the real server.
    capabilities = "imap_capability = IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE NAMESPACE UIDPLUS\n"
    with running_dovecot(tmp_path, extra_config=capabilities) as server:
        for number in range(3):
            server.deliver(sample_message(number))
        # Staff marked message 3 \Deleted but have not expunged it: it must survive.
        staff = server.client()
        staff.select("INBOX")
        staff.uid("STORE", "3", "+FLAGS", "(\\Deleted)")
        staff.logout()

        with imap_inbox(server, done="move:已处理") as inbox:
            messages = list(inbox.fetch())
            assert "MOVE" not in inbox._capabilities  # the fallback path really runs
            inbox.mark_done(messages[0])

        assert set(flags_by_uid(server)) == {2, 3}
        assert len(flags_by_uid(server, "已处理")) == 1


def test_imap_refuses_to_mark_after_uidvalidity_changed(dovecot: DovecotServer) -> None:
    # Deleting and re-creating a mailbox is how UIDVALIDITY really changes; the new message
    # gets UID 1 again, which a blind STORE would mark by mistake.
    dovecot.deliver(sample_message(1), mailbox="申报")
    with imap_inbox(dovecot, mailbox="申报") as inbox:
        (old,) = inbox.fetch()

    admin = dovecot.client()
    assert admin.delete(f'"{encode_mailbox_name("申报")}"')[0] == "OK"
    admin.logout()
    assert dovecot.deliver(sample_message(2), mailbox="申报") == old.uid == 1

    with imap_inbox(dovecot, mailbox="申报") as inbox:
        assert current_uidvalidity(dovecot, "申报") != old.uidvalidity
        with pytest.raises(InboxStateError, match="UIDVALIDITY"):
            inbox.mark_done(old)
        (new,) = inbox.fetch()
    assert new.raw == sample_message(2)
    assert DONE_KEYWORD not in flags_by_uid(dovecot, "申报")[1]


def test_imap_wrong_password_is_a_configuration_error(dovecot: DovecotServer) -> None:
    wrong = "not-the-password-" + os.urandom(4).hex()
    inbox = ImapInbox(
        host=dovecot.host, port=dovecot.port, user=dovecot.user, password=wrong, security="none"
    )
    with pytest.raises(ConfigurationError) as caught, inbox:
        pass
    assert "PILOT_INTAKE_IMAP_PASSWORD" in caught.value.remedy
    assert wrong not in str(caught.value) and dovecot.password not in str(caught.value)


def test_imap_missing_mailbox_is_a_configuration_error(dovecot: DovecotServer) -> None:
    with (
        pytest.raises(ConfigurationError, match="无法打开"),
        imap_inbox(dovecot, mailbox="不存在"),
    ):
        pass


def test_imap_tls_against_plain_port_is_a_configuration_error(dovecot: DovecotServer) -> None:
    inbox = ImapInbox(
        host=dovecot.host, port=dovecot.port, user=dovecot.user, password=dovecot.password, security="tls"
    )
    with pytest.raises(ConfigurationError, match="不是TLS端口") as caught, inbox:
        pass
    assert "PILOT_INTAKE_IMAP_SECURITY" in caught.value.remedy


def test_imap_mark_done_refuses_messages_of_another_source(dovecot: DovecotServer, tmp_path: Path) -> None:
    write(tmp_path / "a.eml", sample_message(1), 1_650_000_000)
    (from_folder,) = FolderInbox(tmp_path).fetch()
    dovecot.deliver(sample_message(2), mailbox="其他")
    with imap_inbox(dovecot, mailbox="其他") as other:
        (from_other_mailbox,) = other.fetch()
    with imap_inbox(dovecot) as inbox:
        for foreign in (from_folder, from_other_mailbox):
            with pytest.raises(ValueError):
                inbox.mark_done(foreign)


def test_imap_closed_port_is_transient() -> None:
    inbox = ImapInbox(host="127.0.0.1", port=free_port(), user="u", password="p", security="none", timeout=5)
    with pytest.raises(TransientError, match="ConnectionRefused"), inbox:
        pass


def test_imap_server_going_away_mid_session_is_transient(dovecot: DovecotServer) -> None:
    dovecot.deliver(sample_message(1))
    with imap_inbox(dovecot) as inbox:
        dovecot.stop()  # Dovecot closes its clients' connections on shutdown
        with pytest.raises(TransientError):
            list(inbox.fetch())


def test_imap_from_environment_and_url(dovecot: DovecotServer) -> None:
    env = {
        "PILOT_INTAKE_IMAP_HOST": dovecot.host,
        "PILOT_INTAKE_IMAP_PORT": str(dovecot.port),
        "PILOT_INTAKE_IMAP_USER": dovecot.user,
        "PILOT_INTAKE_IMAP_PASSWORD": dovecot.password,
        "PILOT_INTAKE_IMAP_SECURITY": "none",
        "PILOT_INTAKE_IMAP_DONE": "move:已处理",
    }
    dovecot.deliver(sample_message(1))
    inbox = ImapInbox.from_environment(env)
    assert (inbox.host, inbox.port, inbox.user, inbox.mailbox) == (
        dovecot.host,
        dovecot.port,
        dovecot.user,
        "INBOX",
    )
    assert (inbox.security, inbox.move_to) == ("none", "已处理")
    assert inbox.description == f"IMAP收件箱 {dovecot.user}@{dovecot.host}:{dovecot.port}/INBOX"
    for text in (repr(inbox), inbox.description, str(vars(inbox).get("description"))):
        assert dovecot.password not in text
    with inbox:
        assert len(list(inbox.fetch())) == 1

    url = f"imap://{dovecot.user.replace('@', '%40')}@{dovecot.host}:{dovecot.port}/INBOX?security=none"
    from_url = open_inbox(url, {"PILOT_INTAKE_IMAP_PASSWORD": dovecot.password})
    assert isinstance(from_url, ImapInbox)
    assert (from_url.user, from_url.port, from_url.security) == (dovecot.user, dovecot.port, "none")
    with from_url:
        assert len(list(from_url.fetch())) == 1
    assert isinstance(open_inbox("imap", env), ImapInbox)


def test_imap_settings_errors_name_the_variable() -> None:
    base = {"PILOT_INTAKE_IMAP_HOST": "mail.example.cn", "PILOT_INTAKE_IMAP_USER": "u"}
    with pytest.raises(ConfigurationError, match="PILOT_INTAKE_IMAP_HOST"):
        ImapInbox.from_environment({"PILOT_INTAKE_IMAP_USER": "u", "PILOT_INTAKE_IMAP_PASSWORD": "p"})
    with pytest.raises(ConfigurationError, match="PILOT_INTAKE_IMAP_PASSWORD"):
        ImapInbox.from_environment(base)
    with pytest.raises(ConfigurationError, match="PILOT_INTAKE_IMAP_PORT"):
        ImapInbox.from_environment({**base, "PILOT_INTAKE_IMAP_PASSWORD": "p", "PILOT_INTAKE_IMAP_PORT": "x"})
    with pytest.raises(ConfigurationError, match="PILOT_INTAKE_IMAP_SECURITY"):
        ImapInbox.from_environment(
            {**base, "PILOT_INTAKE_IMAP_PASSWORD": "p", "PILOT_INTAKE_IMAP_SECURITY": "ssl"}
        )
    with pytest.raises(ConfigurationError, match="PILOT_INTAKE_IMAP_DONE"):
        ImapInbox.from_environment(
            {**base, "PILOT_INTAKE_IMAP_PASSWORD": "p", "PILOT_INTAKE_IMAP_DONE": "delete"}
        )
    with pytest.raises(ConfigurationError, match="密码"):
        open_inbox("imap://u:secret@mail.example.cn/INBOX", {})
    tls = ImapInbox.from_environment({**base, "PILOT_INTAKE_IMAP_PASSWORD": "p"})
    plain = ImapInbox.from_environment(
        {**base, "PILOT_INTAKE_IMAP_PASSWORD": "p", "PILOT_INTAKE_IMAP_SECURITY": "none"}
    )
    assert (tls.port, tls.security, plain.port) == (993, "tls", 143)


# --------------------------------------------------------------------------------------------
# Folder and Maildir


def write(path: Path, content: bytes, mtime: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (mtime, mtime))
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_plain_folder_yields_nested_eml_oldest_first_and_never_changes(tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    write(root / "2022" / "长沙民政.eml", sample_message(1), 1_650_000_200)
    write(root / "湖南工院.EML", sample_message(2), 1_650_000_100)
    write(root / "说明.txt", b"not a message", 1_650_000_000)
    write(root / ".草稿.eml", b"hidden", 1_650_000_000)
    write(root / "tmp" / "still-writing.eml", b"partial", 1_650_000_000)
    write(root / ".thunderbird" / "cache.eml", b"client state", 1_650_000_000)
    before = snapshot(root)

    inbox = open_inbox(str(root))
    assert isinstance(inbox, FolderInbox) and inbox.description == f"文件夹收件箱 {root}"
    with inbox:
        messages = list(inbox.fetch())
        for message in messages:
            inbox.mark_done(message)

    assert [m.name for m in messages] == ["湖南工院.EML", "2022/长沙民政.eml"]
    assert [m.key for m in messages] == ["file:湖南工院.EML", "file:2022/长沙民政.eml"]
    assert [m.raw for m in messages] == [sample_message(2), sample_message(1)]
    assert messages[0].received_at == datetime.fromtimestamp(1_650_000_100, tz=UTC)
    assert messages[0].uid is None and messages[0].uidvalidity is None
    assert snapshot(root) == before  # mark_done is a no-op: the database remembers
    assert [m.key for m in FolderInbox(root).fetch()] == [m.key for m in messages]


def make_maildir(root: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)


def test_maildir_mark_done_moves_to_cur_with_done_flag(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    make_maildir(root)
    write(root / "new" / "1650000000.M1P2.host", sample_message(1), 1_650_000_000)
    write(root / "cur" / "1650000100.M2P2.host:2,S", sample_message(2), 1_650_000_100)  # read by staff
    write(root / "cur" / "1650000200.M3P2.host:2,IS", sample_message(3), 1_650_000_200)  # done before
    write(root / "tmp" / "1650000300.M4P2.host", b"partial", 1_650_000_300)

    with FolderInbox(root) as inbox:
        assert inbox.description == f"Maildir收件箱 {root}"
        fresh, seen = inbox.fetch()
        assert (fresh.name, fresh.key) == ("1650000000.M1P2.host", "file:1650000000.M1P2.host")
        assert (seen.name, seen.key) == ("1650000100.M2P2.host", "file:1650000100.M2P2.host")
        inbox.mark_done(fresh)
        inbox.mark_done(seen)
        inbox.mark_done(seen)  # idempotent

    done_fresh = root / "cur" / f"1650000000.M1P2.host:2,{MAILDIR_DONE_FLAG}"
    done_seen = root / "cur" / f"1650000100.M2P2.host:2,{MAILDIR_DONE_FLAG}S"  # flags stay sorted
    assert done_fresh.read_bytes() == sample_message(1) and done_seen.read_bytes() == sample_message(2)
    assert done_fresh.stat().st_mtime == 1_650_000_000  # a rename: content and time untouched
    assert list((root / "new").iterdir()) == []
    assert list(FolderInbox(root).fetch()) == []
    # The key does not change with the move, so the database recognises the message.
    assert (
        InboxMessage(key=fresh.key, name=fresh.name, raw=b"", received_at=None).key
        == "file:1650000000.M1P2.host"
    )


def test_maildir_message_moved_by_mail_client_is_still_found(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    make_maildir(root)
    write(root / "new" / "1650000000.M1P2.host", sample_message(1), 1_650_000_000)
    inbox = FolderInbox(root)
    (message,) = inbox.fetch()
    # Staff open the mail meanwhile: their client moves it to cur/ and sets \Seen.
    os.rename(root / "new" / message.name, root / "cur" / f"{message.name}:2,S")
    inbox.mark_done(message)
    assert (root / "cur" / f"{message.name}:2,{MAILDIR_DONE_FLAG}S").exists()

    os.remove(root / "cur" / f"{message.name}:2,{MAILDIR_DONE_FLAG}S")
    with pytest.raises(InboxStateError):
        inbox.mark_done(message)


def test_maildir_done_flag_survives_dovecot(dovecot: DovecotServer) -> None:
    # The office may point the folder inbox at a Maildir that Dovecot also serves. The done flag
    # must survive Dovecot changing other flags, and must not show up to staff as \Seen.
    dovecot.deliver(sample_message(1))
    inbox = FolderInbox(dovecot.maildir)
    (message,) = inbox.fetch()
    # Dovecot stores LF line endings on disk (and sends CRLF over IMAP).
    assert message.raw == sample_message(1).replace(b"\r\n", b"\n")
    inbox.mark_done(message)

    staff = dovecot.client()
    staff.select("INBOX")
    assert staff.uid("STORE", "1", "+FLAGS", "(\\Flagged)")[0] == "OK"
    staff.logout()

    assert flags_by_uid(dovecot)[1] >= {"\\Flagged"} and "\\Seen" not in flags_by_uid(dovecot)[1]
    (path,) = (dovecot.maildir / "cur").iterdir()
    assert MAILDIR_DONE_FLAG in path.name.partition(":2,")[2]
    assert list(FolderInbox(dovecot.maildir).fetch()) == []


def test_missing_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="不存在"):
        open_inbox(str(tmp_path / "nowhere"))


# --------------------------------------------------------------------------------------------
# Modified UTF-7


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  # RFC 3501 §5.1.3
        ("已处理", DONE_FOLDER_UTF7),
        ("INBOX", "INBOX"),
        ("R&D", "R&-D"),
        ("&", "&-"),
        ("2022 申报&材料", "2022 &dTNipQ-&-&Z1BlmQ-"),
    ],
)
def test_modified_utf7(name: str, encoded: str) -> None:
    assert encode_mailbox_name(name) == encoded
    assert decode_mailbox_name(encoded) == name
