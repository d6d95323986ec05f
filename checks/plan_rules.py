"""``plan.*`` rules on the facts read from an Annex 2 plan (text only; seal and signature
rules join when the vision extractors fill those facts).

Each function is pure: PlanFacts and the round configuration in, RuleHits out, messages in
the reviewers' Chinese and saying what the school must correct.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from checks.registry import RuleHit, rule
from extractors.normalize import closest, match_key
from schemas.document import PlanFacts
from schemas.finding import Severity
from schemas.plan import FIELD_NAMES, REQUIRED_PLAN_FIELDS, VALID_LEVELS, PlanData
from schemas.round_config import RoundConfig

_DECLARATION = "不向学生收取任何培训、考核费用"
# Worst first: the statement a no-fee finding quotes.
KIND_ORDER = ("contradiction", "negated", "conditional", "weakened", "partial", "declared")


def _value(data: PlanData, path: str) -> Any:
    target: Any = data
    for part in path.split("."):
        target = getattr(target, part)
    return target


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, list):
        return len(value) == 0
    if hasattr(value, "model_dump"):
        return all(_is_empty(v) for v in value.model_dump().values())
    return False


def _page(facts: PlanFacts, field: str) -> int | None:
    evidence = facts.evidence.get(field)
    if evidence is not None:
        return evidence.page
    return facts.plan_pages[0] if facts.plan_pages else None


@rule("plan.no_fee_declaration", Severity.ERROR, "方案未声明不向学生收取任何培训、考核费用", "plan")
def no_fee_declaration(facts: PlanFacts, config: RoundConfig) -> Iterator[RuleHit]:
    """Quote the statement furthest from the declaration (a charge before a hedge before a
    statement covering one fee) and say what it lacks, as the extractor judged it."""
    if facts.data.funding.no_student_fee_declared:
        return
    if facts.field_states.get("funding.no_student_fee_declared") == "unsure":
        return  # a scan whose funding part OCR could not make out: file.ocr_low_confidence
    short = sorted(
        (KIND_ORDER.index(statement.kind), index)
        for index, statement in enumerate(facts.fee_statements)
        if statement.kind != "declared"
    )
    if short:
        rank, index = short[0]
        statement = facts.fee_statements[index]
        lacking = statement.lacking or "不是明确的不收费声明"
        if KIND_ORDER[rank] == "contradiction":
            message = (
                f"方案中“{statement.text}”{lacking}，与“{_DECLARATION}”的要求相抵触，"
                f"请学校删除收费内容，明确声明“{_DECLARATION}”后重新提交。"
            )
        else:
            message = (
                f"方案中关于学生费用的表述“{statement.text}”{lacking}，不能视为“{_DECLARATION}”的声明，"
                f"请学校改为明确声明“{_DECLARATION}”后重新提交。"
            )
        yield RuleHit(message=message, page=statement.page, evidence=statement.text)
    elif facts.fee_statements:
        first = facts.fee_statements[0]
        yield RuleHit(
            message=f"方案中关于学生费用的表述“{first.text}”不是明确、无条件的不收费声明，"
            f"请学校改为明确声明“{_DECLARATION}”后重新提交。",
            page=first.page,
            evidence=first.text,
        )
    else:
        yield RuleHit(
            message=f"方案经费保障部分未注明“{_DECLARATION}”，请学校补充该声明后重新提交。",
            page=_page(facts, "funding.exam_fee_source"),
        )


@rule("plan.field_missing", Severity.ERROR, "方案必填项为空", "plan")
def field_missing(facts: PlanFacts, config: RoundConfig) -> Iterator[RuleHit]:
    for path in REQUIRED_PLAN_FIELDS:
        if not _is_empty(_value(facts.data, path)):
            continue
        # A value the extractor could not place is a note for a person, not the school's fault.
        state = facts.field_states.get(path, "absent")
        if state in ("unplaced", "unsure"):
            continue
        name = FIELD_NAMES.get(path, path)
        how = "只有标题、未填写内容" if state == "empty" else "未填写"
        yield RuleHit(message=f"方案必填项“{name}”{how}，请学校补填后重新提交。", page=_page(facts, path))
    for index, session in enumerate(facts.data.sessions, start=1):
        if session.count is None:
            yield RuleHit(
                message=f"第{index}个考核场次未填写考核人数，请学校补填后重新提交。",
                page=_page(facts, "sessions"),
            )


@rule("plan.level_invalid", Severity.ERROR, "证书等级不是初级、中级或高级", "plan")
def level_invalid(facts: PlanFacts, config: RoundConfig) -> Iterator[RuleHit]:
    level = facts.data.level
    if level and level not in VALID_LEVELS:
        yield RuleHit(
            message=f"证书等级“{level}”无效，只能是初级、中级或高级。",
            page=_page(facts, "level"),
            evidence=level,
        )


@rule("plan.unknown_certificate", Severity.WARNING, "证书不在本轮证书目录中", "plan")
def unknown_certificate(facts: PlanFacts, config: RoundConfig) -> Iterator[RuleHit]:
    name = facts.data.certificate
    if not name:
        return
    known = {match_key(c.name) for c in config.certificates}
    known |= {match_key(alias) for c in config.certificates for alias in c.aliases}
    if match_key(name) in known:
        return
    suggestion, similarity = closest(name, config.certificate_names())
    hint = f"，是否为“{suggestion}”？" if suggestion and similarity >= 0.5 else "。"
    yield RuleHit(
        message=f"证书“{name}”不在{config.name}的证书目录中{hint}请核对证书名称。",
        page=_page(facts, "certificate"),
        evidence=name,
    )


@rule("plan.sessions_sum", Severity.ERROR, "各场次考核人数之和不等于报考人数", "plan")
def sessions_sum(facts: PlanFacts, config: RoundConfig) -> Iterator[RuleHit]:
    data = facts.data
    counts = [s.count for s in data.sessions if s.count is not None]
    if data.candidates is None or not counts or facts.field_states.get("sessions") == "unsure":
        return  # unsure: OCR did not read every session (file.ocr_low_confidence)
    total = sum(counts)
    if total != data.candidates:
        detail = "+".join(str(c) for c in counts)
        yield RuleHit(
            message=f"各场次考核人数之和为{total}人（{detail}），与报考人数{data.candidates}人不一致，请核对。",
            page=_page(facts, "sessions"),
            evidence=f"报考人数{data.candidates}；场次合计{total}",
        )


def _exam_dates(data: PlanData) -> list[tuple[str, dt.date]]:
    dates = []
    if data.exam_period.start:
        dates.append(("考核时间段开始", data.exam_period.start))
    if data.exam_period.end:
        dates.append(("考核时间段结束", data.exam_period.end))
    for index, session in enumerate(data.sessions, start=1):
        if session.date:
            dates.append((f"第{index}场考核", session.date))
    return dates


@rule("plan.exam_outside_year", Severity.ERROR, "考核日期不在本年度内", "plan")
def exam_outside_year(facts: PlanFacts, config: RoundConfig) -> Iterator[RuleHit]:
    outside = [(label, date) for label, date in _exam_dates(facts.data) if date.year != config.year]
    if outside:
        detail = "；".join(f"{label}{date.isoformat()}" for label, date in outside)
        yield RuleHit(
            message=f"考核须在{config.year}年内完成，以下日期超出本年度：{detail}。",
            page=_page(facts, "sessions" if facts.data.sessions else "exam_period"),
            evidence=detail,
        )


@rule("plan.session_outside_period", Severity.WARNING, "考核场次不在申报的考核时间段内", "plan")
def session_outside_period(facts: PlanFacts, config: RoundConfig) -> Iterator[RuleHit]:
    period = facts.data.exam_period
    if period.start is None or period.end is None:
        return
    for index, session in enumerate(facts.data.sessions, start=1):
        if session.date and not (period.start <= session.date <= period.end):
            yield RuleHit(
                message=(
                    f"第{index}场考核日期{session.date.isoformat()}不在申报的考核时间段"
                    f"{period.start.isoformat()}至{period.end.isoformat()}内，请核对。"
                ),
                page=_page(facts, "sessions"),
                evidence=session.date.isoformat(),
            )


@rule("plan.multiple_certificates", Severity.ERROR, "一个PDF中包含多个证书的方案", "plan")
def multiple_certificates(facts: PlanFacts, config: RoundConfig) -> Iterator[RuleHit]:
    if len(facts.certificates_declared) > 1:
        names = "、".join(facts.certificates_declared)
        yield RuleHit(
            message=f"一个PDF中包含{len(facts.certificates_declared)}个证书的方案（{names}），每项证书须单独提交一份方案和协议。",
            page=facts.plan_pages[0] if facts.plan_pages else None,
            evidence=names,
        )


@rule("plan.agreement_missing", Severity.ERROR, "PDF中没有试点合作协议", "plan")
def agreement_missing(facts: PlanFacts, config: RoundConfig) -> Iterator[RuleHit]:
    # Pages that could not be read (scans before OCR) may be the agreement: not the school's fault.
    if not facts.data.agreement.present and not facts.unread_pages:
        yield RuleHit(
            message="PDF中未找到与培训评价组织签订的试点合作协议，请学校将已签署的协议与方案合并为一个PDF重新提交。"
        )
