"""Where e-mailed applications come from: a folder or Maildir by default, an IMAP mailbox in production.

Both sources sit behind one small ``Inbox`` interface so the intake flow is the same on a laptop
and on the office server (design.md §6). Each source remembers *at the source* which messages are
done, in a way that never disturbs the staff who read the same mailbox: no ``\\Seen`` flag, no
deleted or rewritten message. The flow keeps its own record in the review database as well; the
source-side mark only spares it from downloading hundreds of old messages on every run.

Message names (``InboxMessage.name``) are the first segment of every ``source`` path in the JSON
export (design.md §5), so they are stable across runs and across a message being marked done.

No database and no Prefect here (design.md §2); the one exception is the optional lazy load of a
Prefect Secret block for the IMAP password, which is configuration, not flow state.
"""

from __future__ import annotations

import base64
import imaplib
import os
import re
import ssl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol, Self, cast, get_args
from urllib.parse import parse_qs, unquote, urlsplit

from extractors.errors import ConfigurationError, PilotIntakeError, TransientError
from extractors.received import not_read_record
from schemas.limits import DEFAULT_LIMITS, Limits, size_text

Security = Literal["tls", "starttls", "none"]

# The IMAP keyword that marks a message as taken in. A keyword, not \Seen: staff read these
# mailboxes with ordinary mail clients and must still see what they have not read.
DONE_KEYWORD = "PilotIntakeDone"

# The Maildir flag letter that marks a message as taken in. Upper-case letters other than the
# standard D F P R S T carry no meaning for mail clients, and Dovecot keeps unknown flags when it
# changes others; lower-case letters are Dovecot keywords numbered per mailbox (dovecot-keywords),
# so one of them could collide with a keyword staff use. "I" for "intake".
MAILDIR_DONE_FLAG = "I"

_MAILDIR_INFO = ":2,"
# OpenSSL's reasons when the other end does not speak TLS at all.
_TLS_MISMATCH = frozenset({"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "RECORD_LAYER_FAILURE"})
_ENV = "PILOT_INTAKE_IMAP_"


class InboxStateError(PilotIntakeError):
    """The mailbox changed under us, so marking a message done could hit the wrong one."""

    remedy = "邮箱内容在收取期间发生了变化（邮件被移走，或邮箱被重建导致UIDVALIDITY改变）；请重新运行收件，已收取的邮件会按内容去重。"


class ImapCommandError(PilotIntakeError):
    """The IMAP server refused a command (permissions, quota, a missing mailbox)."""

    remedy = "IMAP服务器拒绝了操作，请检查邮箱账号的权限、邮箱文件夹名称与配额。"


@dataclass(frozen=True)
class InboxMessage:
    """One received e-mail, exactly as the source holds it.

    ``key`` identifies the message in its source for good: ``imap:{user}@{host}/{mailbox};
    UIDVALIDITY={v};UID={u}``, or ``file:{path relative to the root}`` (for a Maildir the unique
    base name, without ``new/``/``cur/`` and the ``:2,`` flags, so marking it done keeps its key).
    ``name`` is the first segment of every ``source`` taken from it (design.md §5): the relative
    path for folders, the Maildir base name, or ``{mailbox}-{uidvalidity}-{uid}.eml`` for IMAP
    (a ``/`` in the mailbox name becomes ``_`` there, so the name stays one path segment).
    ``received_at`` is IMAP's INTERNALDATE or the file's mtime, always timezone-aware.
    """

    key: str
    name: str
    raw: bytes = field(repr=False)
    received_at: datetime | None
    uidvalidity: int | None = None
    uid: int | None = None


class Inbox(Protocol):
    """A source of e-mails; a context manager that holds its connection, if any."""

    description: str

    def fetch(self) -> Iterator[InboxMessage]: ...

    def mark_done(self, message: InboxMessage) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


# --------------------------------------------------------------------------------------------
# Folder and Maildir


class FolderInbox:
    """A Maildir (``cur/ new/``) or a plain folder of ``.eml`` files, nested at any depth.

    Only the Maildir's own INBOX is read, not its ``.Subfolder`` children: schools write to the
    office's inbox, and subfolders are where staff file things away.

    Maildir: done messages are moved to ``cur/`` and get the flag letter ``MAILDIR_DONE_FLAG``
    in their ``:2,`` info; nothing else about the file changes (a rename keeps content and mtime).
    Plain folder: nothing is ever changed; the review database alone remembers what is done,
    because renaming files in a folder staff saved by hand would surprise them.

    A message file larger than ``limits.bytes_per_message`` is never read into memory: its
    place is taken by a record saying so, which becomes its ``file.too_large`` finding.
    """

    def __init__(self, root: Path, limits: Limits = DEFAULT_LIMITS) -> None:
        self.root = Path(root)
        self.limits = limits
        if not self.root.is_dir():
            raise ConfigurationError(
                f"收件箱文件夹不存在：{self.root}", remedy="请检查收件箱路径（文件夹或Maildir）是否正确。"
            )
        # tmp/ is optional: some copies of a Maildir lose the empty directory.
        self.is_maildir = (self.root / "cur").is_dir() and (self.root / "new").is_dir()
        kind = "Maildir收件箱" if self.is_maildir else "文件夹收件箱"
        self.description = f"{kind} {self.root}"

    def __repr__(self) -> str:
        return f"FolderInbox({str(self.root)!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def fetch(self) -> Iterator[InboxMessage]:
        if self.is_maildir:
            yield from self._fetch_maildir()
        else:
            yield from self._fetch_folder()

    def mark_done(self, message: InboxMessage) -> None:
        if not self.is_maildir:
            return  # see the class docstring: plain folders are never modified
        base = _strip_file_key(message)
        path = self._locate(base)
        if path is None:
            raise InboxStateError(f"Maildir中找不到邮件 {base}（可能已被删除或移走）：{self.root}")
        flags = _maildir_flags(path.name)
        if path.parent.name == "cur" and MAILDIR_DONE_FLAG in flags:
            return
        target = self.root / "cur" / f"{base}{_MAILDIR_INFO}{''.join(sorted({*flags, MAILDIR_DONE_FLAG}))}"
        os.rename(path, target)

    # -- plain folder ------------------------------------------------------------------------

    def _fetch_folder(self) -> Iterator[InboxMessage]:
        for mtime, path in sorted(_with_mtimes(self._eml_files())):
            relative = path.relative_to(self.root).as_posix()
            try:
                raw = self._read(path, relative)
            except FileNotFoundError:
                continue  # removed by staff since the listing: nothing to take in
            yield InboxMessage(key=f"file:{relative}", name=relative, raw=raw, received_at=_from_mtime(mtime))

    def _read(self, path: Path, name: str) -> bytes:
        """The message's bytes, or the record that it is past its size limit (not read)."""
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            limit = self.limits.bytes_per_message
            if size <= limit:
                return handle.read()
        reason = (
            f"邮件大小超过处理上限：邮件文件为{size_text(size)}，上限为{size_text(limit)}，未读取。"
            "请学校把附件分成几封邮件发送，或压缩图片后重新发送"
        )
        return not_read_record(name, reason, rule="file.too_large")

    def _eml_files(self) -> Iterator[Path]:
        for directory, subdirectories, files in os.walk(self.root):
            # Hidden folders hold client state; tmp/ holds files still being written.
            subdirectories[:] = [name for name in subdirectories if not _is_hidden_or_tmp(name)]
            for name in files:
                if not name.startswith(".") and name.lower().endswith(".eml"):
                    yield Path(directory) / name

    # -- Maildir -----------------------------------------------------------------------------

    def _fetch_maildir(self) -> Iterator[InboxMessage]:
        pending = (
            path for path in self._maildir_files() if MAILDIR_DONE_FLAG not in _maildir_flags(path.name)
        )
        for _mtime, path in sorted(_with_mtimes(pending), key=lambda item: (item[0], item[1].name)):
            message = self._read_maildir(path)
            if message is not None:
                yield message

    def _read_maildir(self, path: Path) -> InboxMessage | None:
        base = _maildir_base(path.name)
        # A mail client may move the file (new/ -> cur/, new flags) between listing and reading.
        for _attempt in range(3):
            try:
                raw, mtime = self._read(path, base), path.stat().st_mtime
            except FileNotFoundError:
                moved = self._locate(base)
                if moved is None:
                    return None  # deleted meanwhile: nothing to take in
                path = moved
                continue
            return InboxMessage(key=f"file:{base}", name=base, raw=raw, received_at=_from_mtime(mtime))
        return None

    def _maildir_files(self) -> Iterator[Path]:
        for sub in ("new", "cur"):
            for path in (self.root / sub).iterdir():
                if not path.name.startswith(".") and path.is_file():
                    yield path

    def _locate(self, base: str) -> Path | None:
        for path in self._maildir_files():
            if _maildir_base(path.name) == base:
                return path
        return None


def _is_hidden_or_tmp(name: str) -> bool:
    return name.startswith(".") or name == "tmp"


def _maildir_base(filename: str) -> str:
    return filename.split(_MAILDIR_INFO, 1)[0]


def _maildir_flags(filename: str) -> set[str]:
    _, separator, flags = filename.partition(_MAILDIR_INFO)
    return set(flags) if separator else set()


def _with_mtimes(paths: Iterator[Path]) -> list[tuple[float, Path]]:
    """(mtime, path) of the paths that still exist; files come and go while we list them."""
    found = []
    for path in paths:
        with suppress(FileNotFoundError):
            found.append((path.stat().st_mtime, path))
    return found


def _from_mtime(mtime: float) -> datetime:
    return datetime.fromtimestamp(mtime, tz=UTC)


def _strip_file_key(message: InboxMessage) -> str:
    if not message.key.startswith("file:"):
        raise ValueError(f"邮件不是来自文件夹收件箱：{message.key}")
    return message.key.removeprefix("file:")


# --------------------------------------------------------------------------------------------
# Modified UTF-7 (RFC 3501 §5.1.3): how IMAP spells mailbox names such as 已处理


def encode_mailbox_name(name: str) -> str:
    """``"台北/日本語"`` -> ``"&U,BTFw-/&ZeVnLIqe-"``; ``"&"`` -> ``"&-"``."""
    parts: list[str] = []
    pending: list[str] = []
    for character in name:
        if " " <= character <= "~":
            parts.append(_encode_utf16_run("".join(pending)))
            pending.clear()
            parts.append("&-" if character == "&" else character)
        else:
            pending.append(character)
    parts.append(_encode_utf16_run("".join(pending)))
    return "".join(parts)


def _encode_utf16_run(text: str) -> str:
    if not text:
        return ""
    encoded = base64.b64encode(text.encode("utf-16-be")).decode("ascii")
    return "&" + encoded.rstrip("=").replace("/", ",") + "-"


def decode_mailbox_name(name: str) -> str:
    """The inverse of ``encode_mailbox_name``, for names a server lists."""

    def decode_run(match: re.Match[str]) -> str:
        run = match.group(1)
        if not run:
            return "&"
        padded = run.replace(",", "/") + "=" * (-len(run) % 4)
        return base64.b64decode(padded).decode("utf-16-be")

    return re.sub(r"&([^-]*)-", decode_run, name)


# --------------------------------------------------------------------------------------------
# IMAP


class ImapInbox:
    """An IMAP mailbox, read with ``BODY.PEEK[]`` so staff still see every message as unread.

    ``done="flag"`` sets the keyword ``PilotIntakeDone``; ``done="move:<Folder>"`` also moves the
    message into that folder (created when missing), which keeps the inbox short for staff.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        user: str,
        password: str,
        mailbox: str = "INBOX",
        security: Security = "tls",
        done: str = "flag",
        timeout: float = 30.0,
    ) -> None:
        if security not in get_args(Security):
            raise ConfigurationError(f"未知的IMAP加密方式：{security!r}（应为 tls、starttls 或 none）")
        self.host, self.port, self.user, self.mailbox = host, port, user, mailbox
        self.security: Security = security
        self.timeout = timeout
        self.move_to = _parse_done(done)
        self.done = done
        self._password = password
        self._connection: imaplib.IMAP4 | None = None
        self._uidvalidity: int | None = None
        self._capabilities: frozenset[str] = frozenset()
        self._keyword_allowed = True
        self.description = f"IMAP收件箱 {user}@{host}:{port}/{mailbox}"

    def __repr__(self) -> str:
        # The password is deliberately absent; repr ends up in logs and Prefect's UI.
        return (
            f"ImapInbox(host={self.host!r}, port={self.port}, user={self.user!r}, "
            f"mailbox={self.mailbox!r}, security={self.security!r}, done={self.done!r})"
        )

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> ImapInbox:
        """Settings from ``PILOT_INTAKE_IMAP_*``; the password may come from a Prefect Secret block."""
        security = env.get(f"{_ENV}SECURITY", "tls").strip().lower() or "tls"
        if security not in get_args(Security):
            raise ConfigurationError(
                f"环境变量 {_ENV}SECURITY 的值 {security!r} 无效（应为 tls、starttls 或 none）"
            )
        return cls(
            host=_required(env, f"{_ENV}HOST"),
            port=_port(env, security),
            user=_required(env, f"{_ENV}USER"),
            password=_password(env),
            mailbox=env.get(f"{_ENV}MAILBOX", "").strip() or "INBOX",
            security=cast(Security, security),  # checked against Security just above
            done=env.get(f"{_ENV}DONE", "").strip() or "flag",
        )

    # -- context manager ---------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._connect()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with suppress(imaplib.IMAP4.error, OSError):  # the server may have gone away first
            connection.logout()

    # -- the Inbox interface -----------------------------------------------------------------

    def fetch(self) -> Iterator[InboxMessage]:
        connection = self._connect()
        with self._translated("查找未处理邮件"):
            uids = sorted(
                int(uid) for uid in _words(_ok(connection.uid("SEARCH", "UNKEYWORD", DONE_KEYWORD)))
            )
        # UID order is arrival order in this mailbox; one message at a time keeps memory flat.
        for uid in uids:
            message = self._fetch_one(uid)
            if message is not None:
                yield message

    def mark_done(self, message: InboxMessage) -> None:
        connection = self._connect()
        self._check_same_mailbox(message)
        uid = str(message.uid)
        with self._translated("标记邮件为已处理"):
            if self._keyword_allowed:
                # Also before a move: the moved copy then shows it was taken in.
                _ok(connection.uid("STORE", uid, "+FLAGS.SILENT", f"({DONE_KEYWORD})"))
            if self.move_to is not None:
                self._move(connection, uid, self.move_to)

    # -- connection --------------------------------------------------------------------------

    def _connect(self) -> imaplib.IMAP4:
        if self._connection is not None:
            return self._connection
        with self._translated("连接"):
            connection = self._open()
            try:
                self._login(connection)
                self._capabilities = frozenset(word.upper() for word in _words(_ok(connection.capability())))
                self._uidvalidity = self._select(connection)
                self._keyword_allowed = _keyword_allowed(connection)
                if self.move_to is None and not self._keyword_allowed:
                    raise ConfigurationError(
                        f"IMAP邮箱不允许设置自定义标记 {DONE_KEYWORD}：{self.description}",
                        remedy=f"请把 {_ENV}DONE 设为 move:<文件夹名>（例如 move:已处理），以移动代替标记。",
                    )
            except BaseException:
                with suppress(OSError):
                    connection.shutdown()
                raise
        self._connection = connection
        return connection

    def _open(self) -> imaplib.IMAP4:
        if self.security == "tls":
            return imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=ssl.create_default_context(), timeout=self.timeout
            )
        connection = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                connection.starttls(ssl.create_default_context())
            except imaplib.IMAP4.abort:
                raise
            except imaplib.IMAP4.error as exc:
                connection.shutdown()
                raise ConfigurationError(
                    f"IMAP服务器不支持STARTTLS：{self.description}（{exc}）",
                    remedy=f"请把 {_ENV}SECURITY 设为 tls（端口993）或确认服务器端口。",
                ) from exc
        return connection

    def _login(self, connection: imaplib.IMAP4) -> None:
        try:
            if "AUTH=PLAIN" in connection.capabilities:
                # AUTHENTICATE PLAIN carries UTF-8; LOGIN in imaplib is ASCII only.
                secret = f"\0{self.user}\0{self._password}".encode()
                connection.authenticate("PLAIN", lambda _challenge: secret)
            else:
                connection.login(self.user, self._password)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            text = str(exc)
            if "[UNAVAILABLE]" in text or "[INUSE]" in text:
                raise TransientError(f"IMAP服务器暂时无法登录：{self.description}（{text}）") from exc
            raise ConfigurationError(
                f"IMAP登录失败：{self.description}（{text}）",
                remedy=f"请检查IMAP用户名与密码的设置（{_ENV}USER、{_ENV}PASSWORD 或 {_ENV}PASSWORD_SECRET）。",
            ) from exc

    def _select(self, connection: imaplib.IMAP4) -> int:
        typ, data = connection.select(_quote(encode_mailbox_name(self.mailbox)))
        if typ != "OK":
            raise ConfigurationError(
                f"IMAP邮箱文件夹无法打开：{self.description}（{_text(data)}）",
                remedy=f"请检查 {_ENV}MAILBOX 是否为服务器上已有的文件夹名称。",
            )
        _, values = connection.response("UIDVALIDITY")
        if not values or values[-1] is None:
            raise ImapCommandError(f"IMAP服务器没有返回UIDVALIDITY：{self.description}")
        return int(values[-1])

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        """Turn imaplib and socket failures into the project's exceptions, without credentials."""
        try:
            yield
        except PilotIntakeError:
            raise
        except ssl.SSLCertVerificationError as exc:
            self._drop()
            raise ConfigurationError(
                f"IMAP服务器证书校验失败：{self.description}（{exc.verify_message}）",
                remedy="请确认IMAP服务器地址正确且证书有效，或改用服务器提供的正确主机名。",
            ) from exc
        except ssl.SSLError as exc:
            self._drop()
            if exc.reason not in _TLS_MISMATCH:
                raise TransientError(f"IMAP{action}失败：{self.description}（TLS: {exc}）") from exc
            # A TLS handshake against a plain-text port: retrying cannot help.
            raise ConfigurationError(
                f"IMAP{action}失败：服务器端口不是TLS端口：{self.description}（{exc.reason}）",
                remedy=f"请检查 {_ENV}PORT 与 {_ENV}SECURITY 是否匹配（993 用 tls，143 用 starttls）。",
            ) from exc
        except (imaplib.IMAP4.abort, OSError, EOFError) as exc:
            self._drop()
            raise TransientError(
                f"IMAP{action}失败：{self.description}（{type(exc).__name__}: {exc}）"
            ) from exc
        except imaplib.IMAP4.error as exc:
            raise ImapCommandError(f"IMAP{action}失败：{self.description}（{exc}）") from exc

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(OSError):
                connection.shutdown()

    # -- messages ----------------------------------------------------------------------------

    def _fetch_one(self, uid: int) -> InboxMessage | None:
        connection = self._connect()
        with self._translated("下载邮件"):
            data = _ok(connection.uid("FETCH", str(uid), "(UID INTERNALDATE BODY.PEEK[])"))
        raw, received_at = _parse_fetch(data, uid)
        if raw is None:
            return None  # expunged by someone else between SEARCH and FETCH
        uidvalidity = self._uidvalidity
        return InboxMessage(
            key=self._key(uidvalidity, uid),
            name=f"{self.mailbox.replace('/', '_')}-{uidvalidity}-{uid}.eml",
            raw=raw,
            received_at=received_at,
            uidvalidity=uidvalidity,
            uid=uid,
        )

    def _key(self, uidvalidity: int | None, uid: int) -> str:
        return f"imap:{self.user}@{self.host}/{self.mailbox};UIDVALIDITY={uidvalidity};UID={uid}"

    def _check_same_mailbox(self, message: InboxMessage) -> None:
        if message.uid is None or message.uidvalidity is None:
            raise ValueError(f"邮件不是来自IMAP收件箱：{message.key}")
        if message.key != self._key(message.uidvalidity, message.uid):
            raise ValueError(f"邮件来自另一个IMAP收件箱：{message.key}（当前为 {self.description}）")
        if message.uidvalidity != self._uidvalidity:
            # The same UID now names a different message; marking it would lose a submission.
            raise InboxStateError(
                f"IMAP邮箱的UIDVALIDITY已从 {message.uidvalidity} 变为 {self._uidvalidity}，"
                f"不能标记邮件 UID={message.uid}：{self.description}"
            )

    def _move(self, connection: imaplib.IMAP4, uid: str, folder: str) -> None:
        target = _quote(encode_mailbox_name(folder))
        self._ensure_folder(connection, target)
        if "MOVE" in self._capabilities:
            _ok(connection.uid("MOVE", uid, target))
        elif "UIDPLUS" in self._capabilities:
            _ok(connection.uid("COPY", uid, target))
            _ok(connection.uid("STORE", uid, "+FLAGS.SILENT", "(\\Deleted)"))
            # UID EXPUNGE removes only this message; a plain EXPUNGE would also remove whatever
            # staff marked \Deleted.
            _ok(connection.uid("EXPUNGE", uid))
        else:
            raise ConfigurationError(
                f"IMAP服务器既不支持MOVE也不支持UIDPLUS，无法安全地移动邮件：{self.description}",
                remedy=f"请把 {_ENV}DONE 设为 flag（只打标记，不移动邮件）。",
            )

    def _ensure_folder(self, connection: imaplib.IMAP4, quoted: str) -> None:
        typ, data = connection.list('""', quoted)
        if typ == "OK" and any(item is not None for item in data):
            return
        typ, data = connection.create(quoted)
        if typ != "OK" and "[ALREADYEXISTS]" not in _text(data):
            raise ImapCommandError(f"无法创建IMAP文件夹 {self.move_to}：{self.description}（{_text(data)}）")


def _keyword_allowed(connection: imaplib.IMAP4) -> bool:
    """Whether the selected mailbox lets us create ``DONE_KEYWORD`` (PERMANENTFLAGS has ``\\*``)."""
    _, values = connection.response("PERMANENTFLAGS")
    flags = _text(values)
    # No PERMANENTFLAGS at all is rare and usually means "no restrictions"; try and let STORE tell.
    return not flags or "\\*" in flags or DONE_KEYWORD in flags


def _parse_done(done: str) -> str | None:
    """``"flag"`` -> None; ``"move:已处理"`` -> ``"已处理"``."""
    if done == "flag":
        return None
    if done.startswith("move:") and done.removeprefix("move:").strip():
        return done.removeprefix("move:").strip()
    raise ConfigurationError(
        f"无效的已处理方式：{done!r}（应为 flag 或 move:<文件夹>）",
        remedy=f"请把 {_ENV}DONE 设为 flag 或 move:<文件夹名>，例如 move:已处理。",
    )


_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_INTERNALDATE = re.compile(
    rb'INTERNALDATE "\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"'
)


def _parse_fetch(data: Sequence[object], uid: int) -> tuple[bytes | None, datetime | None]:
    """The literal body and INTERNALDATE of ``uid`` in a FETCH response (other untagged
    FETCHes, such as flag updates for other messages, may be mixed in)."""
    for item in data:
        if not isinstance(item, tuple) or len(item) != 2:
            continue
        head, literal = item
        if not isinstance(head, bytes) or not isinstance(literal, bytes):
            continue
        if re.search(rb"\bUID %d\b" % uid, head) and b"BODY[]" in head:
            return literal, _internaldate(b" ".join(part for part in _flatten(data) if part is not literal))
    return None, None


def _flatten(data: Sequence[object]) -> Iterator[bytes]:
    for item in data:
        if isinstance(item, bytes):
            yield item
        elif isinstance(item, tuple):
            yield from (part for part in item if isinstance(part, bytes))


def _internaldate(text: bytes) -> datetime | None:
    match = _INTERNALDATE.search(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, off_hours, off_minutes = match.groups()
    offset = timedelta(hours=int(off_hours), minutes=int(off_minutes)) * (-1 if sign == b"-" else 1)
    return datetime(
        int(year),
        _MONTHS[month.decode().title()],
        int(day),
        int(hour),
        int(minute),
        int(second),
        tzinfo=timezone(offset),
    )


def _ok(response: tuple[str, Sequence[object]]) -> Sequence[object]:
    typ, data = response
    if typ != "OK":
        raise imaplib.IMAP4.error(f"{typ} {_text(data)}")
    return data


def _words(data: Sequence[object]) -> list[str]:
    """The space-separated words of a SEARCH or CAPABILITY response."""
    return _text(data).split()


def _text(data: Sequence[object]) -> str:
    return " ".join(item.decode(errors="replace") for item in data if isinstance(item, bytes))


def _quote(mailbox: str) -> str:
    escaped = mailbox.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


# --------------------------------------------------------------------------------------------
# Configuration


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"缺少环境变量 {name}", remedy=f"请设置环境变量 {name}（IMAP收件箱配置）。")
    return value


def _port(env: Mapping[str, str], security: str) -> int:
    name = f"{_ENV}PORT"
    text = env.get(name, "").strip()
    if not text:
        return 993 if security == "tls" else 143
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigurationError(
            f"环境变量 {name} 的值 {text!r} 不是有效端口", remedy=f"请把 {name} 设为1–65535之间的数字。"
        )
    return int(text)


def _password(env: Mapping[str, str]) -> str:
    password = env.get(f"{_ENV}PASSWORD")
    if password:
        return password
    secret_name = env.get(f"{_ENV}PASSWORD_SECRET", "").strip()
    if not secret_name:
        raise ConfigurationError(
            f"缺少环境变量 {_ENV}PASSWORD（或 {_ENV}PASSWORD_SECRET）",
            remedy=f"请设置 {_ENV}PASSWORD，或在 {_ENV}PASSWORD_SECRET 中填写保存密码的Prefect Secret块名称。",
        )
    return _load_secret(secret_name)


def _load_secret(name: str) -> str:
    from prefect.blocks.system import Secret  # lazy: Prefect is heavy and only needed here

    variable = f"{_ENV}PASSWORD_SECRET"
    try:
        value = Secret.load(name).get()  # type: ignore[union-attr]  # sync call outside an event loop
    except Exception as exc:  # any failure to load means the setting is wrong or the API is down
        raise ConfigurationError(
            f"无法读取 {variable} 指定的Prefect Secret块 {name!r}（{type(exc).__name__}）",
            remedy=f"请确认Prefect中存在名为 {name!r} 的Secret块，且 {variable} 拼写正确。",
        ) from exc
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{variable} 指定的Prefect Secret块 {name!r} 不是非空字符串")
    return value


def open_inbox(spec: str, env: Mapping[str, str] = os.environ, limits: Limits = DEFAULT_LIMITS) -> Inbox:
    """``"imap"``, ``"imap://user@host:port/MAILBOX?security=none&done=flag"`` or a folder path.

    URL parts override the ``PILOT_INTAKE_IMAP_*`` variables; the password never comes from the
    URL (it would end up in shell history and logs), only from the environment or a Secret block.
    """
    if spec == "imap":
        return ImapInbox.from_environment(env)
    if spec.startswith(("imap://", "imaps://")):
        return ImapInbox.from_environment({**env, **_settings_from_url(spec)})
    return FolderInbox(Path(spec).expanduser(), limits)


def _settings_from_url(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    if parts.password is not None:
        raise ConfigurationError(
            "IMAP地址中不能包含密码",
            remedy=f"请从地址中去掉密码，改用环境变量 {_ENV}PASSWORD 或 {_ENV}PASSWORD_SECRET。",
        )
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    settings = {f"{_ENV}SECURITY": "tls"} if parts.scheme == "imaps" else {}
    if parts.username:
        settings[f"{_ENV}USER"] = unquote(parts.username)
    if parts.hostname:
        settings[f"{_ENV}HOST"] = parts.hostname
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"IMAP地址中的端口无效：{parts.netloc.rpartition('@')[2]}") from exc
    if port is not None:
        settings[f"{_ENV}PORT"] = str(port)
    if parts.path.strip("/"):
        settings[f"{_ENV}MAILBOX"] = unquote(parts.path.strip("/"))
    for option in ("security", "done"):
        if option in query:
            settings[f"{_ENV}{option.upper()}"] = query[option]
    return settings
