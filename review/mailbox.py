"""The review database's memory of the inbox: which e-mails are claimed, archived and done.

An inbox is read by scheduled runs that may overlap or be killed at any point. Each message
goes claimed -> archived (raw bytes and attachments committed) -> done (marked at the source
too). A run works on a message only after it holds the claim; a claim held by a run whose
process is gone is taken over, so a killed run's messages are picked up again, and a message
already archived is only marked at the source again, never unpacked twice.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from review.models import MailMessage, Run, School, utcnow
from review.store import as_utc, insert_ignore

ClaimResult = Literal["claimed", "archived", "busy"]

# A run on another machine whose process we cannot probe is presumed dead after this long.
FOREIGN_CLAIM_TIMEOUT = dt.timedelta(hours=1)


def current_owner() -> str:
    """This process, as stored in ``runs.owner``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_is_alive(owner: str | None, started_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether the process that started a run may still be working on it."""
    if not owner or ":" not in owner:
        return now - as_utc(started_at) < FOREIGN_CLAIM_TIMEOUT
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return now - as_utc(started_at) < FOREIGN_CLAIM_TIMEOUT
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


@dataclass(frozen=True)
class MessageIdentity:
    """What identifies a message before it is read: its key in the source and its file name."""

    key: str
    name: str
    uidvalidity: int | None = None
    uid: int | None = None


def claim_message(session: Session, *, run: Run, message: MessageIdentity) -> ClaimResult:
    """Take the message for ``run``; commits. ``archived`` means another run already stored it
    (only the source mark may be missing), ``busy`` that a live run is storing it now."""
    insert_ignore(
        session,
        MailMessage,
        {
            "key": message.key,
            "name": message.name,
            "uidvalidity": message.uidvalidity,
            "uid": message.uid,
            "status": "claimed",
            "claimed_by_run_id": run.id,
            "claimed_at": utcnow(),
            "attachment_count": 0,
            "problems": [],
        },
        ["key"],
    )
    session.commit()
    row = session.scalars(select(MailMessage).where(MailMessage.key == message.key)).one()
    session.refresh(row)
    if row.status != "claimed":
        return "archived"
    if row.claimed_by_run_id == run.id:
        return "claimed"
    holder = session.get(Run, row.claimed_by_run_id)
    now = utcnow()
    if (
        holder is not None
        and holder.status == "running"
        and owner_is_alive(holder.owner, holder.started_at, now)
    ):
        return "busy"
    # The holder died (killed, machine lost): take the claim over, unless a third run was faster.
    taken = session.execute(
        update(MailMessage)
        .where(
            MailMessage.id == row.id,
            MailMessage.status == "claimed",
            MailMessage.claimed_by_run_id == row.claimed_by_run_id,
        )
        .values(claimed_by_run_id=run.id, claimed_at=now)
    )
    session.commit()
    return "claimed" if getattr(taken, "rowcount", 0) == 1 else "busy"


def message_row(session: Session, key: str) -> MailMessage:
    return session.scalars(select(MailMessage).where(MailMessage.key == key)).one()


def earlier_delivery(session: Session, *, key: str, message_id: str | None) -> MailMessage | None:
    """An already archived message with the same Message-ID under another key (the same
    e-mail delivered twice, or present in two folders)."""
    if not message_id:
        return None
    return session.scalars(
        select(MailMessage)
        .where(
            MailMessage.message_id == message_id,
            MailMessage.key != key,
            MailMessage.status.in_(("archived", "done")),
        )
        .order_by(MailMessage.id)
    ).first()


def record_archived(
    session: Session,
    row: MailMessage,
    *,
    sha256: str,
    message_id: str | None,
    sender: str | None,
    subject: str,
    received_at: dt.datetime | None,
    school: School | None,
    school_evidence: str | None,
    attachment_count: int,
    problems: list[str],
    duplicate: bool,
) -> None:
    """What the message turned out to be; the caller commits it together with the received files."""
    row.sha256 = sha256
    row.message_id = message_id
    row.sender = sender
    row.subject = subject
    row.received_at = as_utc(received_at) if received_at else None
    row.school = school
    row.school_evidence = school_evidence
    row.attachment_count = attachment_count
    row.problems = list(problems)
    row.status = "duplicate" if duplicate else "archived"
    session.flush()


def record_done(session: Session, key: str) -> None:
    """The source has marked the message done too; a duplicate keeps saying it is one."""
    row = message_row(session, key)
    if row.status != "duplicate":
        row.status = "done"
    row.done_at = row.done_at or utcnow()
    session.flush()
