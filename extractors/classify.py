"""Which pages of a merged PDF are the Annex 2 plan, which the cooperation agreement.

Schools merge the two in any order and put other papers between them (their credit-bank
rules, a training programme, a cover letter); fields are read only from the plan pages, the
agreement party only from the agreement pages, and an agreement counts as present only when
its own pages are there, never because the plan mentions one (协议附后).

A page is recognised first by its title: a short line at the top, without the quotation marks
and commas of a sentence, that ends like a plan (…试点工作方案), an agreement (…合作协议, 合同)
or another paper (…管理办法, …人才培养方案, …名单). A page without a title continues the kind of
the page before it, unless it opens with the parties of an agreement; a first page without a
title is judged by its words.
"""

from __future__ import annotations

import re

from extractors.layout import ITEM_START
from extractors.normalize import fold_width
from schemas.facts import Line, PageFacts, PageKind

_HEAD_BLOCKS = 5
_TITLE_MAX = 48
_SENTENCE_MARKS = re.compile(r"[，,。；;《》“”\"]|[:：](?!\s*$)")
_ATTACHMENT_MARK = re.compile(r"^\s*附件\s*[0-9一二三四五六七八九十]*\s*[:：]?\s*$")
_PLAN_TITLE = re.compile(r"(?<!培养)(?<!培训)(?:工作|实施|试点|考核)?方案\s*[(（]?[^()（）]{0,6}[)）]?\s*$")
_AGREEMENT_TITLE = re.compile(r"(?:协\s*议\s*书?|合\s*同)\s*[(（]?[^()（）]{0,6}[)）]?\s*$")
_OTHER_TITLE = re.compile(
    r"(?:办法|制度|细则|规定|规程|章程|名单|清单|一览表|统计表|证明|通知|培养方案|培训方案|标准|说明|函)"
    r"\s*[(（]?[^()（）]{0,6}[)）]?\s*$"
)
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
_PARTY_LINE = re.compile(r"^\s*[甲乙]\s*方\s*(?:[(（][^()（）]{0,14}[)）])?\s*[:：]")
_CLAUSE = re.compile(r"^\s*第[一二三四五六七八九十]+条")


def _title_like(block: Line) -> bool:
    """Short, one cell, no sentence punctuation and no heading number (七、试点合作协议 is a
    heading of the plan, not the agreement's title)."""
    text = fold_width(block.text).strip()
    # A letter-spaced or OCR'd title falls apart into a few cells (业财一\t体信息化…协议); a
    # table row has cells too, but does not end like a title.
    if "\t" in text and len(block.cells) <= 3 and len(text.replace("\t", "")) <= 32:
        text = text.replace("\t", "")
    return (
        0 < len(text) <= _TITLE_MAX
        and "\t" not in text
        and _SENTENCE_MARKS.search(text) is None
        and ITEM_START.match(text) is None
    )


def _centred(block: Line, page: PageFacts) -> bool:
    middle = (block.box.x0 + block.box.x1) / 2
    return abs(middle - page.width / 2) <= 0.12 * page.width


def page_title(page: PageFacts) -> str:
    """The page's title, joined when it wraps; "" when the page opens with body text. A title
    stands centred, or right under an 附件N mark."""
    blocks = page.blocks or page.lines
    parts: list[str] = []
    for block in blocks[:_HEAD_BLOCKS]:
        text = fold_width(block.text).strip()
        if _ATTACHMENT_MARK.match(text):
            parts.append(text)
            continue
        marked = bool(parts) and _ATTACHMENT_MARK.match(parts[-1]) is not None
        if not _title_like(block) or not (marked or _centred(block, page) or parts):
            break
        text = text.replace("\t", "")
        parts.append(text)
        if _PLAN_TITLE.search(text) or _AGREEMENT_TITLE.search(text) or _OTHER_TITLE.search(text):
            break
    return "".join(parts)


def title_kind(title: str) -> PageKind | None:
    """What a page title announces; None for no title."""
    if not title:
        return None
    bare = _ATTACHMENT_MARK.sub("", title)
    body = re.sub(r"^\s*附件\s*[0-9一二三四五六七八九十]*\s*[:：]?", "", title).strip()
    if _AGREEMENT_TITLE.search(body):
        return "agreement"
    if _OTHER_TITLE.search(body):
        return "other"
    if _PLAN_TITLE.search(body):
        return "plan"
    if re.match(r"^\s*附件\s*2\s*[:：]?\s*$", title) or (bare and re.match(r"^\s*附件\s*2", title)):
        return "plan"  # the notice's own numbering: Annex 2 is the plan
    return None


def _opens_agreement(page: PageFacts) -> bool:
    blocks = page.blocks or page.lines
    return sum(1 for block in blocks[:8] if _PARTY_LINE.match(fold_width(block.text))) >= 2


def _by_words(page: PageFacts) -> PageKind:
    text = "".join(fold_width(block.text) for block in page.blocks or page.lines)
    plan_score = sum(word in text for word in _PLAN_WORDS)
    blocks = page.blocks or page.lines
    agreement_score = sum(1 for b in blocks if _PARTY_LINE.match(fold_width(b.text)))
    agreement_score += min(sum(1 for b in blocks if _CLAUSE.match(fold_width(b.text))), 3)
    agreement_score += 2 * ("本协议" in text)
    if agreement_score >= 3 and agreement_score > plan_score:
        return "agreement"
    if plan_score >= 2:
        return "plan"
    return "other"


def classify_page(page: PageFacts, previous: PageKind | None) -> PageKind:
    if not (page.blocks or page.lines):
        return "other"
    announced = title_kind(page_title(page))
    if announced is not None:
        return announced
    if _opens_agreement(page):
        return "agreement"
    if previous is not None:
        return previous
    return _by_words(page)


def classify_pages(pages: list[PageFacts]) -> list[PageFacts]:
    """Copies of ``pages`` with ``kind`` set. A page that could not be read (a scan before OCR)
    does not carry the previous page's kind forward: what it is, is not known."""
    classified: list[PageFacts] = []
    previous: PageKind | None = None
    for page in pages:
        kind = classify_page(page, previous)
        classified.append(page.model_copy(update={"kind": kind}))
        previous = kind if (page.blocks or page.lines) else None
    return classified
