"""``school.*`` rules: a school's Attachment 1 rows cross-checked against its uploaded plans.

Pure functions on ``SchoolFacts`` (gathered by the flow from the current version of every
document of one school). Certificates are compared by their canonical name, so a plan that
writes 建筑信息模型(BIM) matches an Attachment 1 row that writes 建筑信息模型（BIM）.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.registry import RuleHit, rule
from extractors.normalize import match_key, misread_name, name_keys
from schemas.annex1 import NewApplicationRow
from schemas.finding import Severity
from schemas.round_config import RoundConfig
from schemas.school import PlanSummary, SchoolFacts


def certificate_key(name: str | None, config: RoundConfig) -> str:
    """One comparison key for every way the round's certificate list lets a name be written."""
    if not name:
        return ""
    key = match_key(name)
    for entry in config.certificates:
        if key == match_key(entry.name) or key in {match_key(alias) for alias in entry.aliases}:
            return match_key(entry.name)
    # Written without its bracketed qualifier (汽车运用与维修 for …（含智能新能源汽车）).
    short = name_keys(config.certificate_names()).get(key)
    return match_key(short) if short else key


def _rows_by_certificate(facts: SchoolFacts, config: RoundConfig) -> dict[str, list[NewApplicationRow]]:
    """Attachment 1's new applications by certificate key. Read by OCR, a certificate the
    round does not list that is a character or two off one of the school's own plans is that
    plan's certificate misread (失千老年人版护 for 失智老年人照护): OCR's slip is no mismatch."""
    summary = facts.annex1_table
    rows: dict[str, list[NewApplicationRow]] = {}
    if summary is None or summary.data is None:
        return rows
    planned = [p.certificate for p in facts.plans if p.certificate]
    listed = {match_key(name) for name in config.certificate_names()}
    for row in summary.data.new:
        key = certificate_key(row.certificate, config)
        if summary.read_by_ocr and row.certificate and key not in listed:
            misread = misread_name(row.certificate, planned, 0.7)
            if misread is not None:
                key = certificate_key(misread, config)
        rows.setdefault(key, []).append(row)
    return rows


def certificate_in_name(source: str, config: RoundConfig) -> str | None:
    """The round's certificate a file's name states (…-特殊焊接技术（初级）试点方案.pdf), the
    longest that fits; None for names that say nothing (扫描全能王 2022-04-12.pdf)."""
    name = match_key(source.rsplit("/", 1)[-1])
    found = [
        (len(match_key(written)), entry.name)
        for entry in config.certificates
        for written in (entry.name, *entry.aliases)
        if match_key(written) and match_key(written) in name
    ]
    return max(found)[1] if found else None


def _plans_by_certificate(facts: SchoolFacts, config: RoundConfig) -> dict[str, list[PlanSummary]]:
    """Plans by certificate key; a plan whose pages did not say (a scan before OCR, a file
    that cannot be opened) is known by its file name where that names one, else under ""."""
    plans: dict[str, list[PlanSummary]] = {}
    for plan in facts.plans:
        name = plan.certificate or certificate_in_name(plan.source, config)
        plans.setdefault(certificate_key(name, config), []).append(plan)
    return plans


@rule("school.annex1_missing", Severity.ERROR, "已上传试点方案但未报送附件1统计表", "school")
def annex1_missing(facts: SchoolFacts, config: RoundConfig) -> Iterator[RuleHit]:
    if facts.plans and not facts.annex1:
        names = "、".join(sorted({p.certificate or p.source for p in facts.plans}))
        yield RuleHit(
            message=(
                f"{facts.school}已上传{len(facts.plans)}份试点方案（{names}），但未收到附件1院校试点信息统计表，"
                "请学校将签字盖章的统计表发送至试点办公室邮箱。"
            ),
            evidence=names,
        )


@rule("school.application_without_plan", Severity.ERROR, "附件1新申报的证书没有对应的试点方案", "school")
def application_without_plan(facts: SchoolFacts, config: RoundConfig) -> Iterator[RuleHit]:
    plans = _plans_by_certificate(facts, config)
    if plans.get(""):
        # Some plans could not be read yet: any of them may be the one a row asks for, and
        # their own findings already say what a person or the school must do.
        return
    for key, rows in _rows_by_certificate(facts, config).items():
        if not key:
            continue
        for row in rows if key not in plans else _rows_left(rows, plans[key]):
            yield RuleHit(
                message=(
                    f"附件1新申报“{row.certificate}”{row.level or ''}证书，但未收到该证书"
                    f"{row.level or ''}的试点工作方案和合作协议，请学校上传该证书的方案与协议合并PDF。"
                ),
                evidence=row.certificate,
            )
            if key not in plans:
                break  # one finding per certificate that has no plan at all


def _rows_left(rows: list[NewApplicationRow], plans: list[PlanSummary]) -> list[NewApplicationRow]:
    """The rows of one certificate (one per level) that no plan of that level answers, when
    every plan states its level and each plan answers one row: a plan of another level is a
    mismatch (school.plan_mismatch), not a missing plan, so rows are left only when plans ran out."""
    if any(plan.level is None for plan in plans) or len(rows) <= len(plans):
        return []
    levels = [plan.level for plan in plans]
    left = []
    for row in rows:
        if row.level in levels:
            levels.remove(row.level)
        else:
            left.append(row)
    return left if not levels else []


@rule("school.plan_without_application", Severity.ERROR, "试点方案的证书不在附件1新申报中", "school")
def plan_without_application(facts: SchoolFacts, config: RoundConfig) -> Iterator[RuleHit]:
    if facts.annex1_data is None:
        return  # nothing to compare with; school.annex1_missing speaks when no table came at all
    rows = _rows_by_certificate(facts, config)
    for key, plans in _plans_by_certificate(facts, config).items():
        if key and key not in rows:
            # Only a certificate the plan itself states: a file name is no ground for an error.
            for plan in (p for p in plans if p.certificate):
                yield RuleHit(
                    message=(
                        f"试点方案的证书“{plan.certificate}”不在附件1统计表的新申报证书中，"
                        "请学校核对：补报附件1或撤回该方案。"
                    ),
                    evidence=plan.certificate,
                    document=plan.source,
                )


@rule("school.plan_mismatch", Severity.ERROR, "试点方案的等级或报考人数与附件1不一致", "school")
def plan_mismatch(facts: SchoolFacts, config: RoundConfig) -> Iterator[RuleHit]:
    rows = _rows_by_certificate(facts, config)
    for key, plans in _plans_by_certificate(facts, config).items():
        candidates_rows = rows.get(key)
        if not key or not candidates_rows:
            continue
        for plan in plans:
            if any(_agrees(plan, row) for row in candidates_rows):
                continue
            row = candidates_rows[0]
            differences = []
            if plan.level and row.level and plan.level != row.level:
                differences.append(f"等级：方案为{plan.level}，附件1为{row.level}")
            if plan.candidates is not None and row.scale is not None and plan.candidates != row.scale:
                differences.append(f"人数：方案报考{plan.candidates}人，附件1申报{row.scale}人")
            if not differences:
                continue
            detail = "；".join(differences)
            yield RuleHit(
                message=f"“{plan.certificate}”试点方案与附件1统计表不一致（{detail}），请学校核对后更正。",
                evidence=detail,
                document=plan.source,
            )


def _agrees(plan: PlanSummary, row: NewApplicationRow) -> bool:
    """Unknown values never disagree: a missing field is plan.field_missing's business."""
    level_ok = not plan.level or not row.level or plan.level == row.level
    count_ok = plan.candidates is None or row.scale is None or plan.candidates == row.scale
    return level_ok and count_ok


@rule("school.late_submission", Severity.WARNING, "材料在截止时间之后收到", "school")
def late_submission(facts: SchoolFacts, config: RoundConfig) -> Iterator[RuleHit]:
    deadline = config.deadline
    for receipt in sorted(facts.receipts, key=lambda r: (r.received_at, r.source)):
        if receipt.received_at > deadline:
            local = receipt.received_at.astimezone(deadline.tzinfo)
            # The e-mail by sender and subject: its mailbox file name means nothing to a reviewer.
            what = receipt.description or f"“{receipt.source.rsplit('/', 1)[-1]}”"
            yield RuleHit(
                message=(
                    f"{what}于{local:%Y年%m月%d日 %H:%M}收到，"
                    f"晚于截止时间{deadline:%Y年%m月%d日 %H:%M}，请确认是否受理。"
                ),
                evidence=f"{local:%Y-%m-%d %H:%M}",
                document=receipt.source,
            )


@rule("school.duplicate_plan", Severity.WARNING, "同一证书收到多份试点方案，无法判断以哪份为准", "school")
def duplicate_plan(facts: SchoolFacts, config: RoundConfig) -> Iterator[RuleHit]:
    """Two current plans for one certificate arrive together when the upload folder holds two
    files for it: nothing says which is the correction, so both stay current and checked, and
    a person decides (or the school withdraws one)."""
    for key, plans in _plans_by_certificate(facts, config).items():
        stated = [plan for plan in plans if plan.certificate]
        levels = [plan.level for plan in stated]
        if None not in levels and len(set(levels)) == len(levels):
            continue  # one plan per level (初级 and 中级 of one certificate): none is a duplicate
        if key and len(stated) > 1:
            files = "、".join(f"“{plan.source.rsplit('/', 1)[-1]}”" for plan in stated)
            yield RuleHit(
                message=(
                    f"“{stated[0].certificate}”收到{len(stated)}份试点方案（{files}），无法判断哪一份是最终版本，"
                    "均已检查并列出各自的问题；请人工确认以哪一份为准，或请学校撤回多余的一份。"
                ),
                evidence=files,
                document=stated[-1].source,
            )


@rule("school.not_in_round", Severity.WARNING, "学校不在本轮学校名单中", "school")
def not_in_round(facts: SchoolFacts, config: RoundConfig) -> Iterator[RuleHit]:
    """A school the round file does not list: its type, city and reviewing authority are
    inferred from its name, which a person should confirm."""
    if not facts.known:
        yield RuleHit(
            message=(
                f"{facts.school}不在{config.name}的学校名单中，其类型、所在市州和审核单位系按校名推断，"
                "请人工核对该校是否具备申报资格，并在轮次配置中补充该校信息。"
            ),
            evidence=facts.school,
        )
