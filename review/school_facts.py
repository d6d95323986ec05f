"""The review database -> ``SchoolFacts``: what the school-level rules need, per school.

Read after every run from the current version of every document, so the school rules see
the school's whole submission however many runs and e-mails it took to arrive.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from review.display import attachment_path, display_name, mail_name
from review.models import Document, ReceivedFile
from review.store import as_utc
from schemas.annex1 import Annex1Data
from schemas.school import Annex1Summary, PlanSummary, Receipt, SchoolFacts


def _first_mail_receipts(session: Session, sha256s: set[str]) -> dict[tuple[str, str], ReceivedFile]:
    """The first e-mail receipt of each of these files, by content and route (an upload whose
    bytes were also e-mailed keeps no e-mail's time). Only e-mail has a receipt time the
    school cannot influence (the upload folder's times are those of the platform export)."""
    if not sha256s:
        return {}
    rows = session.scalars(
        select(ReceivedFile)
        .where(ReceivedFile.sha256.in_(sha256s), ReceivedFile.message_id.is_not(None))
        .order_by(ReceivedFile.received_at, ReceivedFile.id)
        .options(selectinload(ReceivedFile.message))
    )
    first: dict[tuple[str, str], ReceivedFile] = {}
    for row in rows:
        first.setdefault((row.sha256, row.route), row)
    return first


def _receipt_description(receipt: ReceivedFile) -> str | None:
    """The e-mail by sender and subject and the attachment's name, as a reviewer knows the
    file (the mailbox file name means nothing to them); the date is the rule's to give."""
    message = receipt.message
    if message is None:
        return None
    mail = mail_name(message.sender, message.subject, None)
    attachment = attachment_path(receipt.source, message.name)
    return f"{mail}中的“{display_name(attachment)}”" if attachment else mail


def gather_school_facts(session: Session, known_schools: set[str]) -> list[SchoolFacts]:
    """One bundle for every school that has a current plan or Attachment 1, by school name."""
    documents = session.scalars(
        select(Document)
        .where(
            Document.superseded_by_id.is_(None),
            Document.school_id.is_not(None),
            Document.kind.in_(("plan", "annex1")),
        )
        .options(selectinload(Document.school))
        .order_by(Document.id)
    ).all()
    receipts = _first_mail_receipts(session, {d.sha256 for d in documents})
    by_school: dict[str, list[Document]] = defaultdict(list)
    for document in documents:
        if document.school is not None:
            by_school[document.school.name].append(document)

    bundles = []
    for name in sorted(by_school):
        facts = SchoolFacts(school=name, known=name in known_schools)
        for document in by_school[name]:
            if document.kind == "plan":
                data = document.data or {}
                facts.plans.append(
                    PlanSummary(
                        source=document.source,
                        certificate=data.get("certificate") or document.certificate,
                        level=data.get("level"),
                        candidates=data.get("candidates"),
                    )
                )
            else:
                table = Annex1Data.model_validate(document.data) if document.data else None
                scanned = table is not None and any(not page.has_text_layer for page in document.pages)
                facts.annex1.append(Annex1Summary(source=document.source, data=table, read_by_ocr=scanned))
            receipt = receipts.get((document.sha256, document.route))
            if receipt is not None:
                facts.receipts.append(
                    Receipt(
                        source=receipt.source,
                        received_at=as_utc(receipt.received_at),
                        description=_receipt_description(receipt),
                    )
                )
        bundles.append(facts)
    return bundles
