"""Attachment 1 (院校试点信息统计表): one per school, e-mailed to the office."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from schemas.common import StrictModel
from schemas.seal_review import SealReview


class ExistingPilotRow(StrictModel):
    """A row of the existing-pilots table; money in 万元."""

    batch: str | None = None
    certificate: str | None = None
    level: str | None = None
    scale: int | None = None
    completed: int | None = None
    fee_due_wan: float | None = None
    fee_paid_wan: float | None = None
    carryover: int | None = None


class NewApplicationRow(StrictModel):
    """A row of the new-applications table."""

    certificate: str | None = None
    level: str | None = None
    scale: int | None = None


class Contact(StrictModel):
    name: str | None = None
    phone: str | None = None


class Annex1Signature(StrictModel):
    present: bool | None = None


class Annex1Seal(StrictModel):
    present: bool | None = None
    institution: str | None = None


class Annex1Data(StrictModel):
    """Attachment 1 fields, named as in design.md section 3."""

    kind: Literal["annex1"] = "annex1"
    school: str | None = None
    contact: Contact = Field(default_factory=Contact)
    existing: list[ExistingPilotRow] = Field(default_factory=list)
    existing_total: ExistingPilotRow | None = None
    new: list[NewApplicationRow] = Field(default_factory=list)
    new_total: NewApplicationRow | None = None
    signature: Annex1Signature = Field(default_factory=Annex1Signature)
    seal: Annex1Seal = Field(default_factory=Annex1Seal)
    date: dt.date | None = None
    # What the seal and signature detectors saw on a scan, for checks.seal_rules (not
    # exported: ``seal`` and ``signature`` say it in short).
    seal_review: SkipJsonSchema[SealReview | None] = Field(default=None, exclude=True)
