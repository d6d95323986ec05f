"""Seal and signature rules: the school's seal where the format asks, and its leader's hand.

Seven catalogue rules (design.md section 4) decide from what the vision extractors saw,
gathered per document into a ``SealReview``: the seals on each page (where, how sure, whose
the text says it is, which signature block they sit by) and the verdict at each signature
place. The decisions are pure functions, and they never accuse on doubt: a seal too faint
to be sure of, a seal whose text cannot be read, a 1-bit scan in which a red seal may have
vanished, a page without the signature labels are ``Doubt``s, for a person to look at
(``review.manual_check``), not errors. The organisation's seal never stands in for the
school's, and a spreadsheet sent without its signed, stamped scan lacks both.

Until a document carries a ``seal_review`` the rules read the coarse schema fields
(``seal.present``/``institution``, ``agreement.signed``, ``signature.present``) as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from checks.registry import RuleHit, also_for, rule
from extractors.vision.seal_match import shared_ratio
from schemas.finding import Severity
from schemas.round_config import RoundConfig
from schemas.seal_review import (
    SURE_SEAL,
    SURE_SIGNATURE,
    Evidence,
    PageSeen,
    Part,
    SealReview,
    SealSeen,
    SignatureSeen,
    SignatureVerdict,
)


@dataclass(frozen=True)
class Doubt:
    """Something a person must look at (becomes a ``review.manual_check`` warning)."""

    page: int | None
    message: str
    evidence: Evidence | None = None


@dataclass(frozen=True)
class Decision:
    """The hits of the seal and signature rules on one document, by rule id, and the doubts."""

    hits: dict[str, list[RuleHit]] = field(default_factory=dict)
    doubts: list[Doubt] = field(default_factory=list)

    def add(self, rule_id: str, hit: RuleHit) -> None:
        self.hits.setdefault(rule_id, []).append(hit)


def _pages_of(review: SealReview, part: Part) -> list[PageSeen]:
    return [page for page in review.pages if page.part == part]


def _pages_text(pages: list[PageSeen]) -> str:
    return "第" + "、".join(str(page.number) for page in pages) + "页"


def _hit(message: str, evidence: Evidence | None) -> RuleHit:
    return RuleHit(
        message=message,
        page=evidence.page if evidence else None,
        evidence=evidence.text() if evidence else None,
    )


def _school_seal(
    decision: Decision,
    seals: list[SealSeen],
    pages: list[PageSeen],
    *,
    what: str,
    missing_rule: str,
    mismatch_rule: str,
    remedy: str,
) -> None:
    """The seal decision for one part of a document (the plan pages, the agreement's 甲方
    block, the Attachment 1 table)."""
    if not pages:
        return
    sure = [s for s in seals if s.confidence >= SURE_SEAL]
    if any(s.match == "matched" for s in sure):
        return
    wrong = [s for s in sure if s.match in ("other_institution", "department")]
    for seal in wrong[:1]:
        kind = "二级部门（学院）印章" if seal.match == "department" else "其他单位的印章"
        whose = (
            f"，与“{seal.institution}”相符" if seal.match == "other_institution" and seal.institution else ""
        )
        decision.add(
            mismatch_rule,
            _hit(
                f"{what}第{seal.page}页加盖的是{kind}（印章文字识别为“{seal.quoted}”{whose}），"
                f"不是学校公章；{remedy}",
                seal.evidence,
            ),
        )
    if wrong:
        return
    unsure = [s for s in seals if s.confidence < SURE_SEAL or s.match == "unreadable"]
    if unsure:
        seal = max(unsure, key=lambda s: s.confidence)
        reason = "印章文字无法识别" if seal.confidence >= SURE_SEAL else "疑似印章但不清晰"
        decision.doubts.append(
            Doubt(seal.page, f"{what}第{seal.page}页{reason}，请人工核对是否为学校公章", seal.evidence)
        )
        return
    if any(page.bilevel for page in pages):
        decision.doubts.append(
            Doubt(
                pages[-1].number,
                f"{what}{_pages_text(pages)}为黑白扫描件，未见学校公章，红色印章可能在扫描时丢失，请人工核对",
                Evidence(pages[-1].number, crop=pages[-1].crop),
            )
        )
        return
    organisation = [s for s in sure if s.match == "organisation"]
    only = "，只见培训评价组织的印章，不能代替学校公章" if organisation else ""
    last = pages[-1]
    evidence = organisation[0].evidence if organisation else Evidence(last.number, crop=last.crop)
    decision.add(missing_rule, _hit(f"{what}{_pages_text(pages)}未见学校公章{only}；{remedy}", evidence))


_SIGNATURE_WORDS: dict[SignatureVerdict, str] = {
    "typed_name": "只有打印的姓名，没有手写签名",
    "seal_only": "只有盖章，没有签字",
    "empty": "签字处空白",
    "handwriting": "",
}


def _signature(
    decision: Decision,
    signatures: list[SignatureSeen],
    pages: list[PageSeen],
    *,
    what: str,
    rule_id: str,
    remedy: str,
) -> None:
    if not pages:
        return
    if any(s.verdict == "handwriting" and s.confidence >= SURE_SIGNATURE for s in signatures):
        return
    if not signatures or not all(page.words_read for page in pages):
        decision.doubts.append(
            Doubt(pages[-1].number, f"{what}{_pages_text(pages)}未能找到签字位置，请人工核对是否已签字")
        )
        return
    if any(s.verdict == "handwriting" or s.confidence < SURE_SIGNATURE for s in signatures):
        seen = max(signatures, key=lambda s: s.verdict == "handwriting")
        # A seal over the place with a trace of other ink: a signature under the seal's ink
        # may be what is left; otherwise the place is not clear.
        why = "签字处被印章覆盖" if seen.verdict == "seal_only" else "签字处不清晰"
        decision.doubts.append(
            Doubt(seen.page, f"{what}第{seen.page}页{why}，请人工核对是否已签字", seen.evidence)
        )
        return
    seen = signatures[0]
    if any(page.bilevel for page in pages):
        # A 1-bit scan keeps no colour: blue or faint ink may have gone with the red, and a
        # signature over the seal cannot be told from the seal's ink.
        where = "签字处被印章覆盖" if seen.verdict == "seal_only" else "为黑白扫描件，签字可能在扫描时丢失"
        decision.doubts.append(
            Doubt(seen.page, f"{what}第{seen.page}页{where}，请人工核对是否已签字", seen.evidence)
        )
        return
    words = _SIGNATURE_WORDS[seen.verdict]
    typed = f"（“{seen.typed}”）" if seen.verdict == "typed_name" and seen.typed else ""
    decision.add(rule_id, _hit(f"{what}第{seen.page}页{words}{typed}；{remedy}", seen.evidence))


def decide_plan(review: SealReview) -> Decision:
    """plan.seal_missing / plan.seal_mismatch on the plan pages, agreement.seal_missing by
    the 甲方 block, agreement.signature_missing for the 甲方 representative."""
    decision = Decision()
    plan_pages = _pages_of(review, "plan")
    numbers = {page.number for page in plan_pages}
    _school_seal(
        decision,
        [s for s in review.seals if s.page in numbers],
        plan_pages,
        what="试点工作方案",
        missing_rule="plan.seal_missing",
        mismatch_rule="plan.seal_mismatch",
        remedy="请学校加盖本校公章后重新提交。",
    )
    agreement_pages = _pages_of(review, "agreement")
    numbers = {page.number for page in agreement_pages}
    # The school's seal sits by the 甲方 block; a seal by the 乙方 block is the organisation's.
    school_side = [
        s for s in review.seals if s.page in numbers and (s.party != "org" or s.match == "matched")
    ]
    _school_seal(
        decision,
        school_side,
        agreement_pages,
        what="试点合作协议",
        missing_rule="agreement.seal_missing",
        mismatch_rule="plan.seal_mismatch",
        remedy="请学校在协议甲方处加盖本校公章后重新提交。",
    )
    _signature(
        decision,
        [s for s in review.signatures if s.page in numbers and s.party == "school"],
        agreement_pages,
        what="试点合作协议甲方",
        rule_id="agreement.signature_missing",
        remedy="请学校法定代表人或授权代表签字后重新提交。",
    )
    return decision


def decide_annex1(review: SealReview) -> Decision:
    """annex1.seal_missing / annex1.seal_mismatch / annex1.signature_missing on the table."""
    decision = Decision()
    if not review.signed_copy:
        scan = "只报送了电子表格，没有主管领导签字、加盖学校公章的扫描件，请学校补报签字盖章后的扫描件（PDF或图片）。"
        decision.add("annex1.seal_missing", RuleHit(message=f"附件1统计表未加盖学校公章：{scan}"))
        decision.add("annex1.signature_missing", RuleHit(message=f"附件1统计表没有主管领导签字：{scan}"))
        return decision
    pages = [page for page in review.pages if page.part in ("annex1", "other")]
    _school_seal(
        decision,
        list(review.seals),
        pages,
        what="附件1统计表",
        missing_rule="annex1.seal_missing",
        mismatch_rule="annex1.seal_mismatch",
        remedy="请学校加盖本校公章后扫描重新报送。",
    )
    _signature(
        decision,
        [s for s in review.signatures if s.party == "leader"] or list(review.signatures),
        pages,
        what="附件1统计表主管领导",
        rule_id="annex1.signature_missing",
        remedy="请主管领导签字后扫描重新报送。",
    )
    return decision


def _review(facts: Any) -> SealReview | None:
    review = getattr(facts, "seal_review", None)
    return review if isinstance(review, SealReview) else None


def _same_institution(seal: str, school: str) -> bool:
    return max(shared_ratio(seal, school), shared_ratio(school, seal)) >= 0.8


def _registered(
    rule_id: str, severity: Severity, description: str, subject: Literal["plan", "annex1"]
) -> None:
    def check(facts: Any, config: RoundConfig) -> Iterator[RuleHit]:
        review = _review(facts)
        if review is not None:
            decision = decide_plan(review) if subject == "plan" else decide_annex1(review)
            yield from decision.hits.get(rule_id, [])
            return
        yield from _coarse(rule_id, facts)

    rule(rule_id, severity, description, subject)(check)


def _coarse(rule_id: str, facts: Any) -> Iterator[RuleHit]:
    """The schema's coarse fields, for documents that no seal detector has looked at."""
    data = getattr(facts, "data", facts)  # PlanFacts carries PlanData; Annex1Data is itself
    seal, school = data.seal, data.school
    if rule_id in ("plan.seal_missing", "annex1.seal_missing") and seal.present is False:
        what = "试点工作方案" if rule_id.startswith("plan") else "附件1统计表"
        page = seal.pages[0] if getattr(seal, "pages", None) else None
        yield RuleHit(message=f"{what}未加盖学校公章，请学校盖章后扫描重新报送。", page=page)
    mismatch = rule_id in ("plan.seal_mismatch", "annex1.seal_mismatch")
    if (
        mismatch
        and seal.present
        and seal.institution
        and school
        and not _same_institution(seal.institution, school)
    ):
        what = "试点工作方案" if rule_id.startswith("plan") else "附件1统计表"
        yield RuleHit(
            message=f"{what}加盖的公章为“{seal.institution}”，与填报学校“{school}”不一致，请核实。",
            evidence=seal.institution,
        )
    if rule_id == "agreement.signature_missing" and data.agreement.present and data.agreement.signed is False:
        yield RuleHit(message="试点合作协议甲方没有签字，请学校法定代表人或授权代表签字后重新提交。")
    if rule_id == "annex1.signature_missing" and data.signature.present is False:
        yield RuleHit(message="附件1统计表没有主管领导签字，请学校签字盖章后扫描重新报送。")


_registered("plan.seal_missing", Severity.ERROR, "方案未加盖学校公章", "plan")
_registered("plan.seal_mismatch", Severity.ERROR, "方案或协议加盖的公章不是本校公章", "plan")
_registered("agreement.seal_missing", Severity.ERROR, "合作协议甲方未加盖学校公章", "plan")
_registered("agreement.signature_missing", Severity.ERROR, "合作协议甲方没有签字", "plan")
_registered("annex1.seal_missing", Severity.ERROR, "附件1统计表未加盖学校公章", "annex1")
_registered("annex1.seal_mismatch", Severity.ERROR, "附件1统计表的公章不是本校公章", "annex1")
_registered("annex1.signature_missing", Severity.ERROR, "附件1统计表没有主管领导签字", "annex1")


def seal_doubts(result: Any) -> list[RuleHit]:
    """What the detectors could not decide on a document (a faint seal, an unread seal
    text, a 1-bit scan, a signature place not found), for ``review.manual_check``."""
    doubts: list[Doubt] = []
    plan_review = _review(getattr(result, "plan", None))
    if plan_review is not None:
        doubts += decide_plan(plan_review).doubts
    annex1_review = _review(getattr(result, "annex1", None))
    if annex1_review is not None:
        doubts += decide_annex1(annex1_review).doubts
    return [
        RuleHit(
            message=doubt.message, page=doubt.page, evidence=doubt.evidence.text() if doubt.evidence else None
        )
        for doubt in doubts
    ]


# An electronic table (a spreadsheet, a Word file), by its name: it carries neither a seal nor
# a signature; a PDF or a picture may.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".ods", ".csv", ".docx", ".doc", ".wps")
_UNSIGNED = (
    "只报送了电子版表格，没有主管领导签字、加盖学校公章的扫描件，请学校补报签字盖章后的扫描件（PDF或图片）。"
)


def _only_spreadsheets(facts: Any) -> list[str]:
    """The school's Attachment 1 files when every one is an electronic table (none a signed
    copy)."""
    sources = [summary.source for summary in getattr(facts, "annex1", [])]
    if sources and all(source.lower().endswith(SPREADSHEET_SUFFIXES) for source in sources):
        return sources
    return []


@also_for("annex1.seal_missing", "school")
def school_annex1_unstamped(facts: Any, config: RoundConfig) -> Iterator[RuleHit]:
    for source in _only_spreadsheets(facts)[-1:]:
        yield RuleHit(message=f"附件1统计表未加盖学校公章：{_UNSIGNED}", document=source)


@also_for("annex1.signature_missing", "school")
def school_annex1_unsigned(facts: Any, config: RoundConfig) -> Iterator[RuleHit]:
    for source in _only_spreadsheets(facts)[-1:]:
        yield RuleHit(message=f"附件1统计表没有主管领导签字：{_UNSIGNED}", document=source)
