"""Reads shared by the export and the report.

Both must agree on what "the schools", "a current document" and "the order" are, or the
spreadsheet and the JSON would tell reviewers different things; so those answers live here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from extractors.errors import ConfigurationError
from extractors.schools import profile_from_name
from review.models import Document, FindingRow, MailMessage, ReceivedFile, School
from schemas.round_config import RoundConfig

UNKNOWN_SCHOOL_LABEL = "（未识别学校）"


@dataclass(frozen=True)
class SchoolInfo:
    name: str
    type: str | None
    city: str | None
    review_authority: str
    known: bool

    @property
    def authority_label(self) -> str:
        """Who reviews this school's application: the province for 高职/本科, the city bureau
        for 中职 (design.md section 1)."""
        if self.review_authority == "province":
            return "省教育厅"
        if self.review_authority == "city" and self.city:
            return f"{self.city}教育局"
        return "待确定"


PROVINCE_NAMES = frozenset({"province", "省", "省厅", "省教育厅"})


def authority_rank(info: SchoolInfo | None) -> tuple[int, str]:
    """Province first, then the city bureaus by city, then schools whose authority is unknown."""
    if info is None or info.review_authority is None:
        return (2, "")
    if info.review_authority == "province":
        return (0, "")
    return (1, info.city or "")


def in_authority(info: SchoolInfo | None, authority: str) -> bool:
    """Whether the school is reviewed by ``authority``: "province" (or 省教育厅) or a city
    written with or without 市 / 教育局 (长沙市, 长沙, 长沙市教育局)."""
    if info is None:
        return False
    wanted = authority.strip()
    if wanted.lower() in PROVINCE_NAMES:
        return info.review_authority == "province"
    city = wanted.removesuffix("教育局").removesuffix("市")
    return info.review_authority == "city" and (info.city or "").removesuffix("市") == city


def check_authority(authority: str | None, config: RoundConfig, session: Session | None = None) -> None:
    """A ``--authority`` that names no reviewing authority of the round (or of a school seen
    off its list) is a usage error that lists the valid ones: an empty report for a typo would
    look like a bureau with nothing to review."""
    if authority is None:
        return
    wanted = authority.strip()
    if wanted.lower() in PROVINCE_NAMES:
        return
    city = wanted.removesuffix("教育局").removesuffix("市")
    cities = {s.city for s in config.schools if s.city}
    if session is not None:
        cities |= {
            i.city for i in school_infos(session, config).values() if i.city and i.review_authority == "city"
        }
    if any((known or "").removesuffix("市") == city for known in cities):
        return
    valid = "、".join(["province（省教育厅）", *sorted(c for c in cities if c)])
    raise ConfigurationError(f"审核单位“{authority}”不在本轮配置中，可选：{valid}")


def known_authorities(config: RoundConfig) -> list[str]:
    return ["province", *sorted({s.city for s in config.schools if s.review_authority == "city"})]


def school_infos(session: Session, config: RoundConfig) -> dict[str, SchoolInfo]:
    """Every school of the round configuration and every school seen in the database, by name.

    The configuration wins for type, city and authority, so a report is right even when
    ``sync_schools`` has not run since the configuration was edited."""
    infos: dict[str, SchoolInfo] = {}
    for row in session.scalars(select(School)):
        # Off the round's list: what the name says (type, city), the province where it says
        # nothing, so that every school has an authority that reviews it.
        profile = profile_from_name(row.name, config)
        infos[row.name] = SchoolInfo(
            row.name,
            row.type or profile.type,
            row.city or profile.city,
            row.review_authority or profile.review_authority,
            known=False,
        )
    for entry in config.schools:
        infos[entry.name] = SchoolInfo(entry.name, entry.type, entry.city, entry.review_authority, known=True)
    return dict(sorted(infos.items()))


def document_sort_key(document: Document) -> tuple[bool, str, str, int, str]:
    """By school (documents without one last), then source, then version."""
    school = document.school.name if document.school is not None else ""
    return (document.school is None, school, document.source, document.version, document.sha256)


def all_documents(session: Session) -> list[Document]:
    """Every document, all versions, with what the outputs need loaded in a few queries."""
    documents = session.scalars(
        select(Document).options(
            selectinload(Document.school),
            selectinload(Document.findings),
            selectinload(Document.superseded_by),
            selectinload(Document.errors),
            # How the outputs name a file: an e-mailed one by its message's sender and subject.
            selectinload(Document.received_file).selectinload(ReceivedFile.message),
        )
    ).all()
    return sorted(documents, key=document_sort_key)


def open_school_findings(session: Session) -> dict[str, list[FindingRow]]:
    """Open school-level findings by school name, in a stable order."""
    rows = session.scalars(
        select(FindingRow)
        .where(FindingRow.document_id.is_(None), FindingRow.status == "open")
        .options(selectinload(FindingRow.school))
    ).all()
    by_school: dict[str, list[FindingRow]] = {}
    for row in rows:
        if row.school is not None:
            by_school.setdefault(row.school.name, []).append(row)
    return {name: sorted(found, key=finding_sort_key) for name, found in by_school.items()}


def finding_sort_key(row: FindingRow) -> tuple[bool, int, str, str, str, int]:
    return (row.page is None, row.page or 0, row.rule, row.source or "", row.message, row.id)


def mail_receipts(session: Session) -> dict[str, MailMessage]:
    """The e-mail each e-mailed receipt came in (or is), by receipt source: how the report
    names the file a school-level finding concerns."""
    rows = session.scalars(
        select(ReceivedFile)
        .where(ReceivedFile.message_id.is_not(None))
        .options(selectinload(ReceivedFile.message))
        .order_by(ReceivedFile.id)
    )
    found: dict[str, MailMessage] = {}
    for row in rows:
        if row.message is not None:
            found.setdefault(row.source, row.message)
    return found


def unprocessed_receipts(session: Session) -> list[ReceivedFile]:
    """Received files that have no document for their bytes and route yet (still being
    processed, or lost)."""
    processed = (
        select(Document.id)
        .where(Document.sha256 == ReceivedFile.sha256, Document.route == ReceivedFile.route)
        .exists()
    )
    return list(
        session.scalars(
            select(ReceivedFile)
            .where(~processed)
            # The flow asks each pending file's message and school: load them in one go.
            .options(selectinload(ReceivedFile.message).selectinload(MailMessage.school))
            .order_by(ReceivedFile.source, ReceivedFile.id)
        )
    )
