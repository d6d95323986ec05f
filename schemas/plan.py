"""The Annex 2 pilot plan (试点工作方案) merged with its cooperation agreement (试点合作协议).

One model serves both the extractor's output and the generator's ground truth, so the
accuracy benchmark compares like with like. Every field is optional: a field a school left
empty is a finding (``plan.field_missing``), not a validation error.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from schemas.common import StrictModel

VALID_LEVELS: tuple[str, ...] = ("初级", "中级", "高级")


class ExamPeriod(StrictModel):
    """考核时间段, as ISO dates."""

    start: dt.date | None = None
    end: dt.date | None = None


class ExamSession(StrictModel):
    """One 考核场次: a date, a time span (HH:MM) and the number of candidates."""

    date: dt.date | None = None
    start: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    end: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    count: int | None = None


class Teachers(StrictModel):
    """师资情况: the school's own words, plus the head counts where it states them."""

    certified: str | None = None
    other: str | None = None
    certified_count: int | None = None
    other_count: int | None = None


class Facilities(StrictModel):
    """考核场地及设施设备, one text per kind of exam room."""

    written: str | None = None
    computer: str | None = None
    practical: str | None = None


class Funding(StrictModel):
    """经费保障. ``no_student_fee_declared`` is true only for an affirmative, uncontradicted
    statement that students pay no training or exam fee."""

    exam_fee_source: str | None = None
    amount_wan: float | None = None
    no_student_fee_declared: bool = False
    training_funding: str | None = None


class Attachments(StrictModel):
    """附件材料 the plan says it includes."""

    training_plan: bool = False
    credit_exchange: bool = False
    other: bool = False


class Agreement(StrictModel):
    """The cooperation agreement found in the same PDF (pages are 1-based)."""

    present: bool = False
    pages: list[int] = Field(default_factory=list)
    organization: str | None = None
    signed: bool | None = None


class Seal(StrictModel):
    """The school seal (公章). ``present`` is None until seal detection has run."""

    present: bool | None = None
    institution: str | None = None
    pages: list[int] = Field(default_factory=list)


class Signature(StrictModel):
    """Handwritten signatures. ``present`` is None until signature detection has run."""

    present: bool | None = None
    pages: list[int] = Field(default_factory=list)


class PlanData(StrictModel):
    """Annex 2 plan fields, named as in design.md section 3."""

    kind: Literal["plan"] = "plan"
    school: str | None = None
    certificate: str | None = None
    level: str | None = None
    candidates: int | None = None
    completed_2019_2021: int | None = None
    exam_period: ExamPeriod = Field(default_factory=ExamPeriod)
    sessions: list[ExamSession] = Field(default_factory=list)
    teachers: Teachers = Field(default_factory=Teachers)
    facilities: Facilities = Field(default_factory=Facilities)
    funding: Funding = Field(default_factory=Funding)
    attachments: Attachments = Field(default_factory=Attachments)
    agreement: Agreement = Field(default_factory=Agreement)
    seal: Seal = Field(default_factory=Seal)
    signature: Signature = Field(default_factory=Signature)


# Fields whose emptiness is a ``plan.field_missing`` finding, as dotted paths into PlanData.
REQUIRED_PLAN_FIELDS: tuple[str, ...] = (
    "school",
    "certificate",
    "level",
    "candidates",
    "completed_2019_2021",
    "exam_period.start",
    "exam_period.end",
    "sessions",
    "teachers.certified",
    "facilities",
    "funding.exam_fee_source",
)

# The reviewers' names of the required fields.
FIELD_NAMES: dict[str, str] = {
    "school": "学校名称",
    "certificate": "证书名称",
    "level": "证书等级",
    "candidates": "报考人数",
    "completed_2019_2021": "2019—2021年已完成考核人数",
    "exam_period.start": "考核时间段（开始日期）",
    "exam_period.end": "考核时间段（结束日期）",
    "sessions": "考核场次安排",
    "teachers.certified": "持证教师（考评员）情况",
    "facilities": "考核场地及设施设备",
    "funding.exam_fee_source": "考核费用来源",
}
