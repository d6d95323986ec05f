"""What the school-level rules see of one school: its current Attachment 1 and plans.

The ``school.*`` rules cross-check documents against each other, so they cannot run on one
file; the flow gathers this bundle from the review database after every run and the checks
decide on it alone (no database in ``checks/``).
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from schemas.annex1 import Annex1Data
from schemas.common import StrictModel


class PlanSummary(StrictModel):
    """The fields of a current plan that Attachment 1 must agree with."""

    source: str
    certificate: str | None = None
    level: str | None = None
    candidates: int | None = None


class Annex1Summary(StrictModel):
    """A current Attachment 1 document; ``data`` is None when it could not be read yet (a scan
    waiting for OCR, a file in the wrong format): it arrived, but its rows are unknown."""

    source: str
    data: Annex1Data | None = None
    # Read from a scan or a photo by OCR: its names may be a character or two off.
    read_by_ocr: bool = False


class Receipt(StrictModel):
    """A file as the school sent it, with the time the office received it."""

    source: str
    received_at: dt.datetime
    # How a reviewer knows the file: the e-mail (sender, subject) and the attachment name.
    description: str | None = None


class SchoolFacts(StrictModel):
    school: str
    known: bool = True
    annex1: list[Annex1Summary] = Field(default_factory=list)
    plans: list[PlanSummary] = Field(default_factory=list)
    # Only receipts with a trustworthy receipt time (e-mail); see the late-submission rule.
    receipts: list[Receipt] = Field(default_factory=list)

    def latest_annex1(self, *, by_ocr: bool | None = None) -> Annex1Summary | None:
        """The newest readable Attachment 1 (the last in the list that has data); with
        ``by_ocr``, the newest of those read by OCR (True) or read exactly (False)."""
        for summary in reversed(self.annex1):
            if summary.data is not None and by_ocr in (None, summary.read_by_ocr):
                return summary
        return None

    @property
    def annex1_table(self) -> Annex1Summary | None:
        """The Attachment 1 the school rules read: the spreadsheet, read exactly, before a scan
        of the same table read by OCR."""
        return self.latest_annex1(by_ocr=False) or self.latest_annex1()

    @property
    def annex1_data(self) -> Annex1Data | None:
        table = self.annex1_table
        return table.data if table is not None else None
