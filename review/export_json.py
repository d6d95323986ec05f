"""The JSON export: design.md section 5, built from the review database.

Other offices' tools read this file, so it is produced only through the pydantic contract
models of ``schemas.export`` (which reject anything the contract does not allow) and in a
deterministic order, so two exports of the same database are byte-identical.

Text is shown as ``review.display`` shows it: a control character or an undecodable byte in a
file name, a subject or a cell becomes a visible symbol or escape, so no reader's terminal or
parser meets it raw; the archive and the database keep the bytes as they were received.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from review.display import display_name, display_text
from review.files import write_atomically
from review.models import Document, FindingRow
from review.queries import (
    all_documents,
    authority_rank,
    finding_sort_key,
    in_authority,
    open_school_findings,
    school_infos,
)
from review.store import finding_from_row
from schemas.annex1 import Annex1Data
from schemas.export import ExportDocument, ExportFile, ExportFinding, ExportSchool
from schemas.plan import PlanData
from schemas.round_config import RoundConfig


def _displayable(value: Any) -> Any:
    """Every string inside ``value`` as ``display_text`` shows it."""
    if isinstance(value, str):
        return display_text(value)
    if isinstance(value, dict):
        return {key: _displayable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_displayable(item) for item in value]
    return value


def _export_finding(row: FindingRow) -> ExportFinding:
    finding = finding_from_row(row)
    return ExportFinding(
        rule=finding.rule,
        severity=finding.severity,
        message=display_text(finding.message) or "",
        page=finding.page,
        evidence=display_text(finding.evidence),
    )


def _export_data(document: Document) -> PlanData | Annex1Data | None:
    if document.data is None:
        return None
    data = _displayable(document.data)
    if document.kind == "plan":
        return PlanData.model_validate(data)
    if document.kind == "annex1":
        return Annex1Data.model_validate(data)
    return None


def _export_document(document: Document) -> ExportDocument:
    # A superseded document keeps all findings it had; resolved ones are what the next
    # version fixed, which is exactly what a reader of the old version needs to see.
    return ExportDocument(
        source=display_name(document.source),
        sha256=document.sha256,
        kind=document.kind,
        school=display_name(document.school.name) if document.school is not None else None,
        status=document.status,
        version=document.version,
        superseded_by=document.superseded_by.sha256 if document.superseded_by is not None else None,
        data=_export_data(document),
        findings=[_export_finding(row) for row in sorted(document.findings, key=finding_sort_key)],
    )


def build_export(session: Session, config: RoundConfig, *, authority: str | None = None) -> ExportFile:
    """Every document (all versions) and every school (configured or seen) with its open
    school-level findings; schools grouped by reviewing authority (province, then each city).
    With ``authority`` only the schools it reviews, and their documents."""
    infos = school_infos(session, config)
    if authority is not None:
        infos = {name: info for name, info in infos.items() if in_authority(info, authority)}
    documents = [
        _export_document(document)
        for document in all_documents(session)
        if authority is None or (document.school is not None and document.school.name in infos)
    ]
    school_findings = open_school_findings(session)
    ordered = sorted(infos.values(), key=lambda info: (authority_rank(info), info.name))
    schools = [
        ExportSchool(
            name=display_name(info.name),
            type=info.type,
            city=info.city,
            review_authority=info.review_authority,
            findings=[_export_finding(row) for row in school_findings.get(info.name, [])],
        )
        for info in ordered
    ]
    return ExportFile(documents=documents, schools=schools)


def render_export(export: ExportFile) -> str:
    return json.dumps(export.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def write_export(
    session: Session, config: RoundConfig, path: Path, *, authority: str | None = None
) -> ExportFile:
    """Write the export as UTF-8 JSON; the file is replaced atomically, so a reader never
    sees half an export."""
    export = build_export(session, config, authority=authority)
    path = Path(path)
    text = render_export(export)
    write_atomically(path, lambda target: target.write_text(text, encoding="utf-8"))
    return export
