"""What the plan says it attaches (附件 / 佐证材料): a training programme, credit-exchange rules,
anything else. The cooperation agreement is not one of them: it has its own field.

Schools list attachments as 《…》 titles (numbered, inline, wrapped inside the brackets) under
a heading that may share its numbering with the items (1.附件 / 1.《…》 2.《…》), or as a
checklist with tick marks (☑ 人才培养方案 / □ …). Titles in brackets are read from the
section's logical lines; a checklist, which has no titles, item by item from the printed
lines.
"""

from __future__ import annotations

import re

from extractors.normalize import chinese_number, fold_width
from extractors.plan.sections import PlanLine

# An item that is neither of the first two kinds counts as "other" (photos, certificates...).
_ATTACHMENT_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("training_plan", re.compile(r"人才培养方案|培养方案")),
    ("credit_exchange", re.compile(r"学分银行|书证融通|课证融通|学分(?:互认|转换|认定|兑换)|学习成果")),
    ("other", re.compile(r"\S")),
)
_POSITIVE_MARK = re.compile(r"[☑√✓✔■☒]|[(（]\s*(?:有|是|已附|已提供)\s*[)）]|[:：]\s*(?:有|是|已附|已提供)")
_NEGATIVE_MARK = re.compile(
    r"[□☐×✗✘╳]|\[\s*\]|[(（]\s*[)）]|[(（]\s*(?:无|否|未附|未提供)\s*[)）]|[:：]\s*(?:无|否|未附|未提供|暂无)"
)
_ITEM_NUMBER_SPLIT = re.compile(
    r"(?=(?:(?<![0-9])[0-9]{1,2}\s*[.、．)](?![0-9])|[(（][0-9]{1,2}[)）]|[①-⑳]))"
)
_ITEM_MARK_SPLIT = re.compile(r"(?=[☑√✓✔■□☐☒×✗✘]\s*[^\s☑√✓✔■□☐☒×✗✘\[\]()（）])")


HEADING_NUMBER = re.compile(
    r"^\s*(?:第(?P<part>[一二三四五六七八九十]+)(?:部分|章|节)|(?P<cn>[一二三四五六七八九十]{1,3})\s*[、.．]"
    r"|(?P<ar>\d{1,2})\s*[、.．](?!\d)|[(（](?P<paren>[一二三四五六七八九十]{1,3})[)）]|[(（](?P<paren_ar>\d{1,2})[)）])"
)
_ATTACHMENT_HEADING = re.compile(
    r"^\s*(?:(?:第[一二三四五六七八九十]+(?:部分|章|节)|[一二三四五六七八九十]{1,3}\s*[、.．]|\d{1,2}\s*[、.．]"
    r"|[(（][一二三四五六七八九十]{1,3}[)）])\s*)?"
    r"(?:本方案|方案)?(?:随附|佐证|支撑|证明|附送|相关)?(?:附件|材料|资料)(?:材料|清单|资料|目录|如下|包括)?\s*(?:[:：\t]|$)"
)
_APPROVAL_LINE = re.compile(r"学校意见|盖章|签字|负责人|联系人|联系电话")


def _heading_number(folded: str) -> int | None:
    match = HEADING_NUMBER.match(folded)
    if match is None:
        return None
    if match.group("ar") or match.group("paren_ar"):
        return int(match.group("ar") or match.group("paren_ar"))
    text = match.group("part") or match.group("cn") or match.group("paren")
    return chinese_number(text) if text else None


def _attachment_section(lines: list[PlanLine]) -> list[str]:
    """The items of the 附件 / 佐证材料 section, split at numbering and tick marks. The section
    ends at the heading numbered one past its own, or at the signature block."""
    items: list[str] = []
    inside = False
    next_number: int | None = None
    for line in lines:
        folded = fold_width(line.text)
        if not inside:
            if re.fullmatch(r"\s*附件\s*\d+\s*[:：]?\s*", folded):
                continue  # the "附件2" mark above the title
            heading = _ATTACHMENT_HEADING.match(folded)
            if heading is None:
                continue
            inside = True
            number = _heading_number(folded)
            next_number = number + 1 if number is not None else None
            rest = line.text[heading.end() :]
        else:
            number = _heading_number(folded)
            if (next_number is not None and number == next_number) or _APPROVAL_LINE.search(folded):
                break
            heading = HEADING_NUMBER.match(folded)
            # Without a number of its own, the section ends at the next Chinese-numbered heading
            # (arabic numbers there are the items).
            if next_number is None and heading is not None and heading.group("ar") is None:
                break
            rest = line.text
        # A grid row or list may repeat the label (随附材料：1.… 2.…) before the items.
        rest = re.sub(
            r"^\s*(?:随附|佐证|支撑|证明|附送|相关)?(?:附件|材料|资料)(?:材料|清单|资料|目录)?\s*[:：\t]",
            "",
            rest,
        )
        # Numbered items carry their tick mark anywhere; unnumbered ones start with it.
        splitter = _ITEM_NUMBER_SPLIT if _ITEM_NUMBER_SPLIT.search(rest) else _ITEM_MARK_SPLIT
        items.extend(part for part in splitter.split(rest) if part.strip())
    return items


_AGREEMENT_ITEM = re.compile(r"合作协议|协议书|试点协议")
_TITLE = re.compile(r"《([^《》]{2,80})》")
_SECTION_END = re.compile(r"合作协议|签订|签字|盖章|负责人|联系人|联系电话")


def _kind(item: str) -> str | None:
    folded = fold_width(item)
    if _AGREEMENT_ITEM.search(folded) and not re.search(r"培养方案|学分", folded):
        return None  # the agreement: its own field, never an "other" attachment
    for name, pattern in _ATTACHMENT_KINDS:
        if pattern.search(folded):
            return name
    return None


def titled_attachments(blocks: list[PlanLine]) -> list[str] | None:
    """The 《…》 titles listed from the attachments heading on, until the plan turns to the
    agreement or the sign-off; None when that part lists no titles (a checklist, 附件：无)."""
    start = next(
        (i for i, line in enumerate(blocks) if _ATTACHMENT_HEADING.match(fold_width(line.text))), None
    )
    if start is None:
        return None
    titles: list[str] = []
    open_title = ""  # a title whose 》 is on a later line (管理办 / 法》) that layout kept apart
    for index, line in enumerate(blocks[start:]):
        folded = open_title + fold_width(line.text)
        found = _TITLE.findall(folded)
        if index and not found and not open_title and _SECTION_END.search(folded):
            break
        titles += found
        tail = folded[folded.rfind("》") + 1 :]
        opening = tail.rfind("《")
        open_title = tail[opening:] if opening >= 0 and len(tail) - opening <= 80 else ""
    return titles or None


def read_attachments(blocks: list[PlanLine], visual: list[PlanLine]) -> set[str]:
    """The kinds of attachment the plan lists (training_plan, credit_exchange, other)."""
    titles = titled_attachments(blocks)
    if titles is not None:
        return {kind for title in titles if (kind := _kind(title)) is not None}
    flags: set[str] = set()
    items = _attachment_section(visual)
    # In a checklist where some items are ticked, an item with no mark at all was not: its
    # empty box was too faint to read (a photo), or the school left it blank.
    ticked_list = any(_POSITIVE_MARK.search(fold_width(item)) for item in items)
    for item in items:
        folded = fold_width(item)
        bare = re.sub(r"[\s☑√✓✔■□☐☒×✗✘\[\]()（）.、．。0-9:：]", "", folded)
        if not bare or bare in ("无", "暂无", "没有", "无附件"):
            continue  # a lone number or tick mark, or "附件：无"
        for name, pattern in _ATTACHMENT_KINDS:
            if not pattern.search(folded):
                continue
            negative = _NEGATIVE_MARK.search(folded) is not None
            positive = _POSITIVE_MARK.search(folded) is not None
            if positive or not (negative or ticked_list):
                flags.add(name)
            break
    return flags
