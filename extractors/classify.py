"""Which pages of a merged PDF are the Annex 2 plan, which the cooperation agreement.

Schools merge the two in any order and sometimes add cover letters or scans of other
papers; fields are read only from the plan pages, the agreement party only from the
agreement pages. A page with no strong marker continues the kind of the page before it.
"""

from __future__ import annotations

import re

from extractors.normalize import fold_width
from schemas.facts import PageFacts, PageKind

_HEAD_LINES = 6
_AGREEMENT_TITLE = re.compile(r"协\s*议\s*书?|合作协议|合\s*同")
_PLAN_TITLE = re.compile(r"(?:工作|实施|试点)方案|附件\s*2")
_PLAN_WORDS = (
    "报考人数",
    "考核时间",
    "考核安排",
    "师资",
    "考评员",
    "考核场地",
    "经费保障",
    "考核费用",
    "试点证书",
    "证书名称",
    "人才培养方案",
    "场次",
)
_AGREEMENT_WORDS = ("甲方", "乙方", "双方", "违约", "本协议", "协议")
_CLAUSE = re.compile(r"第[一二三四五六七八九十]+条")


def classify_page(page: PageFacts, previous: PageKind | None) -> PageKind:
    lines = [fold_width(line.text) for line in page.lines]
    # Titles are short lines; a preamble citing 《…实施方案》 is not a title.
    head = "".join(line for line in lines[:_HEAD_LINES] if len(line) <= 40 and "《" not in line)
    text = "".join(lines)
    if not text.strip():
        return "other"
    plan_title = _PLAN_TITLE.search(head) is not None
    agreement_title = _AGREEMENT_TITLE.search(head) is not None
    if agreement_title and not plan_title:
        return "agreement"
    if plan_title:
        return "plan"
    plan_score = sum(word in text for word in _PLAN_WORDS)
    agreement_score = sum(word in text for word in _AGREEMENT_WORDS) + min(len(_CLAUSE.findall(text)), 3)
    if agreement_score >= 3 and agreement_score > plan_score:
        return "agreement"
    if plan_score >= 2 and plan_score >= agreement_score:
        return "plan"
    if previous in ("plan", "agreement"):
        return previous
    return "other"


def classify_pages(pages: list[PageFacts]) -> list[PageFacts]:
    """Copies of ``pages`` with ``kind`` set."""
    classified: list[PageFacts] = []
    previous: PageKind | None = None
    for page in pages:
        kind = classify_page(page, previous)
        classified.append(page.model_copy(update={"kind": kind}))
        previous = kind
    return classified
