"""Text as reviewers see it: safe for every writer, and in their words.

Schools and their mail clients send anything: a control character in a file name, a subject
with a right-to-left override, a name that was not valid UTF-8 (read back as lone
surrogates). The archive and the database keep what was received; the report, the export and
the logs show ``display_text`` of it, which no writer chokes on (openpyxl refuses C0 controls,
XML cannot carry U+FFFE or lone surrogates, UTF-8 cannot encode surrogates, a terminal obeys
escape sequences and bidi overrides) and which still shows a person that something odd is
there: C0 controls become their visible symbols (\x01 -> ␁), everything else a ``\\uXXXX`` or,
for an undecodable byte of a file name, ``\\xNN`` escape.

Also here: how an e-mail is named to a reviewer (sender, subject, date; never the mailbox
file name), shared by the report and the late-submission message.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")

# C0 controls, DEL, C1 controls, surrogates, the XML non-characters, and the invisible
# direction marks and overrides that reorder what a terminal or a spreadsheet shows.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_LINE_BREAKS = re.compile("[\t\n\r]")


def _visible(character: str) -> str:
    code = ord(character)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ ␁ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02X}"  # a byte that was not valid UTF-8 (surrogateescape)
    return f"\\u{code:04X}"


def display_text(text: str | None, *, multiline: bool = True) -> str | None:
    """``text`` with every character that a writer cannot carry made visible. ``multiline``
    keeps line breaks and tabs (messages, lists); a name or a subject is one line, so there
    they are shown as ␊ ␍ ␉ too. Unchanged (the same object) when nothing needs replacing."""
    if text is None:
        return None
    cleaned = _UNSAFE.sub(lambda match: _visible(match.group()), text)
    if not multiline:
        cleaned = _LINE_BREAKS.sub(lambda match: _visible(match.group()), cleaned)
    return cleaned


def display_name(text: str) -> str:
    """One line: a file name, a source path, a sender, a subject."""
    shown = display_text(text, multiline=False)
    assert shown is not None
    return shown


class DisplayFilter(logging.Filter):
    """A logging filter that passes every argument of a record through ``display_text``, so a
    file name or a subject in a log line cannot break the terminal or the log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = display_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(display_name(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                key: display_name(value) if isinstance(value, str) else value
                for key, value in record.args.items()
            }
        return True


def local_time(value: dt.datetime) -> str:
    """Beijing time, as the office reads it; a naive time is UTC (as SQLite returns it)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def mail_name(sender: str | None, subject: str | None, received_at: dt.datetime | None) -> str:
    """An e-mail as a reviewer knows it: who sent it, its subject and when it came,
    e.g. 来自 jwc@hnrpc.com 的邮件《关于报送…的函》（2022-04-25 15:38收到）."""
    who = f"来自 {display_name(sender)} 的邮件" if sender else "发件人不明的邮件"
    title = f"《{display_name(subject)}》" if subject else "（无主题）"
    when = f"（{local_time(received_at)}收到）" if received_at else ""
    return f"{who}{title}{when}"


def attachment_path(source: str, message_name: str) -> str | None:
    """The attachment part of an e-mailed file's source (``<message file>/<path>``); None for
    the message itself."""
    prefix = f"{message_name}/"
    return source[len(prefix) :] if source.startswith(prefix) else None


def received_file_name(
    source: str,
    *,
    message_name: str | None,
    sender: str | None = None,
    subject: str | None = None,
    received_at: dt.datetime | None = None,
) -> str:
    """How a received file is named to a reviewer, in a cell: an upload by its path in the
    upload folder; an e-mailed file by its attachment name, then the e-mail it came in (subject;
    sender and date); the e-mail itself by its subject, sender and date."""
    if message_name is None:
        return display_name(source)
    title = f"邮件《{display_name(subject)}》" if subject else "邮件（无主题）"
    origin = "，".join(
        part
        for part in (
            display_name(sender) if sender else "发件人不明",
            f"{local_time(received_at)}收到" if received_at else "",
        )
        if part
    )
    attachment = attachment_path(source, message_name)
    lines = [display_name(attachment)] if attachment is not None else []
    return "\n".join([*lines, title, origin])
