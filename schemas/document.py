"""The result object every processed document gets, whatever happened to it.

As in Docling: a status (ok / partial / failed) and a list of errors, each naming the
component and page; a result is never "ok" while it carries errors.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from schemas.annex1 import Annex1Data
from schemas.common import StrictModel
from schemas.facts import PageFacts
from schemas.finding import Finding
from schemas.plan import PlanData
from schemas.seal_review import SealReview

DocumentKind = Literal["plan", "annex1", "other"]
DocumentStatus = Literal["ok", "partial", "failed"]


class ProcessingError(StrictModel):
    """Something that went wrong while reading a document. ``code`` is a ``file.*`` rule id
    when the whole file could not be read."""

    component: str
    code: str
    message: str
    page: int | None = None
    # The archive path of a crop a person should look at (a seal that could not be read).
    evidence: str | None = None


class EvidenceImage(StrictModel):
    """A PNG crop of a page region that a finding shows (a seal, a signature place, the page
    looked at), named by its archive path (``crops/ab/<sha256>.png``); the flow stores it."""

    name: str
    png: bytes


class Evidence(StrictModel):
    """Where a field's value was read: page and the text it came from."""

    page: int
    text: str


FeeStatementKind = Literal["contradiction", "negated", "conditional", "weakened", "partial", "declared"]


class FeeStatement(StrictModel):
    """A sentence in the plan about student fees, with its verdict: ``kind`` is what a
    reviewer makes of it (a firm declaration, one covering one fee only, hedged, conditional,
    negated, a charge) and ``lacking`` says in the reviewers' words what it lacks."""

    page: int
    text: str
    polarity: Literal["affirmative", "negated", "contradiction"]
    kind: FeeStatementKind = "declared"
    lacking: str = ""


# Why a required field has no value: the plan has nothing about it ("absent"), it has the
# label with nothing after it ("empty"), or it says something there that the extractor could
# not read as the value ("unplaced": a person must look; never the school's fault).
# unsure: read by OCR, and OCR was too unsure of the page or of the value to tell whether the
# school filled it in (file.ocr_low_confidence); never the school's fault.
FieldState = Literal["absent", "empty", "unplaced", "unsure"]


class PlanFacts(StrictModel):
    """Everything the plan checks need, gathered once from the pages."""

    data: PlanData
    evidence: dict[str, Evidence] = Field(default_factory=dict)
    certificates_declared: list[str] = Field(default_factory=list)
    fee_statements: list[FeeStatement] = Field(default_factory=list)
    plan_pages: list[int] = Field(default_factory=list)
    field_states: dict[str, FieldState] = Field(default_factory=dict)
    # Pages without usable text (scans before OCR): what they hold is not known.
    unread_pages: list[int] = Field(default_factory=list)
    # Pages read by OCR: what is missing there may be what OCR did not make out.
    ocr_pages: list[int] = Field(default_factory=list)
    # What the seal and signature detectors saw, for checks.seal_rules (not exported: the
    # export's ``seal``/``signature`` fields say it in short).
    seal_review: SkipJsonSchema[SealReview | None] = Field(default=None, exclude=True)


class DocumentResult(StrictModel):
    source: str
    sha256: str
    kind: DocumentKind = "other"
    status: DocumentStatus = "ok"
    page_count: int = 0
    pages: list[PageFacts] = Field(default_factory=list)
    plan: PlanFacts | None = None
    annex1: Annex1Data | None = None
    errors: list[ProcessingError] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    crops: list[EvidenceImage] = Field(default_factory=list)

    @classmethod
    def unreadable(
        cls, *, source: str, sha256: str, kind: DocumentKind, rule: str, message: str
    ) -> DocumentResult:
        """A file its reader could not open: ``failed``, with the ``file.*`` error that the
        checks turn into what to resend."""
        return cls(
            source=source,
            sha256=sha256,
            kind=kind,
            status="failed",
            errors=[ProcessingError(component="reader", code=rule, message=message)],
        )

    @model_validator(mode="after")
    def _never_ok_with_errors(self) -> DocumentResult:
        if self.errors and self.status == "ok":
            object.__setattr__(self, "status", "partial")
        return self
