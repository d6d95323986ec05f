"""The JSON export: the stable contract of design.md section 5.

``pilot-intake export --json FILE`` writes an ``ExportFile``; other offices' tools read it,
so a change here is a change of contract.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.annex1 import Annex1Data
from schemas.common import StrictModel
from schemas.finding import Severity
from schemas.plan import PlanData


class ExportFinding(StrictModel):
    rule: str
    severity: Severity
    message: str
    page: int | None = None
    evidence: str | None = None


class ExportDocument(StrictModel):
    source: str = Field(description="path relative to the input root, as received")
    sha256: str = Field(
        description=(
            "SHA-256 of the bytes; the same bytes received by two routes (uploaded and e-mailed, "
            "or e-mailed under two names that say different things) are two documents, each "
            "read for what it was sent as"
        )
    )
    kind: Literal["plan", "annex1", "other"]
    school: str | None = None
    status: Literal["ok", "partial", "failed"]
    version: int = Field(ge=1)
    superseded_by: str | None = Field(
        default=None,
        description="sha256 of the document of the same submission (same school) that replaces this one",
    )
    data: PlanData | Annex1Data | None = None
    findings: list[ExportFinding] = Field(default_factory=list)


class ExportSchool(StrictModel):
    name: str
    type: Literal["高职", "中职", "本科"] | None = None
    city: str | None = None
    # Never null: a school off the round's list is reviewed by whom its name says (中职 with
    # a known city: the city bureau), else by the province.
    review_authority: Literal["province", "city"]
    findings: list[ExportFinding] = Field(default_factory=list)


class ExportFile(StrictModel):
    documents: list[ExportDocument] = Field(default_factory=list)
    schools: list[ExportSchool] = Field(default_factory=list)
