"""Field readers for the plan's parts that schools write as prose, lists or tables: teachers,
facilities, funding, and the header-over-values tables of the basic information.

Each reader looks inside the section whose heading names its subject (see ``sections``) and
returns what it found with the page it found it on; a reader that finds nothing returns None,
and the caller falls back to labelled lines. Pure functions; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from extractors.normalize import fold_width, matching_text
from extractors.plan.sections import PlanLine, Section, find_sections, sentences, subsections


@dataclass(frozen=True)
class FoundText:
    text: str
    page: int
    count: int | None = None


# -- people ------------------------------------------------------------------------------

_TEACHERS_SECTION = re.compile(r"师资|教师|考评员|考评人员|督导员|培训讲师|考务人员")
_OTHER_TEACHERS = re.compile(r"其他|其余|非持证|辅助|兼职|配合")
_CERTIFIED_TEACHERS = re.compile(r"已获得|已取得|持证|取得|考评员|证书|资格|资质")
_COUNT = re.compile(r"(?:共|合计|总计|计|等)?\s*(\d{1,4})\s*(?:人|名|位)")
_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")


def _first_page(section: Section) -> int:
    return section.page or (section.lines[0].page if section.lines else 0)


def count_people(section: Section) -> int | None:
    """How many people a teachers' part lists: a stated count (共6人, 等4人), else the rows of
    its table, else the names of its enumeration (张三、李四、王五)."""
    return people_in(section.text, [line.cells for line in section.lines if len(line.cells) >= 2])


def people_in(written: str, rows: Sequence[Sequence[str]] = ()) -> int | None:
    """The head count a teachers' text states or lists (see ``count_people``); 无/暂无 is 0."""
    text = matching_text(written)
    if re.fullmatch(r"\s*(?:无|暂无|没有|0\s*人?)\s*[。.]?\s*", text):
        return 0
    stated = _COUNT.search(text)
    if stated:
        return int(stated.group(1))
    numbered = [row for row in rows if re.fullmatch(r"\s*\d{1,3}\s*", fold_width(row[0]))]
    if numbered:
        # A row whose number OCR lost (under a stamp, at the rule) is still a person: its
        # number cell is empty and most of its other cells are filled, unlike a 合计 or a note.
        unnumbered = [
            row
            for row in rows[1:]
            if not row[0].strip() and sum(1 for cell in row[1:] if cell.strip()) >= max(1, (len(row) - 1) / 2)
        ]
        return len(numbered) + len(unnumbered)
    if rows:
        return len(rows) - 1  # a header and one row a person
    bare = re.sub(r"[(（][^()（）]*[)）]", "", text)
    bare = re.sub(r"^(?:专业教师|教师|成员|名单|包括|有)[:：]?", "", bare.strip())
    names = [part.strip() for part in re.split(r"[、，,；;\s。.]+", bare) if part.strip()]
    if names and all(_NAME.match(name) for name in names):
        return len(names)
    return None


def read_teachers(lines: Sequence[PlanLine]) -> dict[str, FoundText]:
    """``certified`` and ``other`` teachers from the sub-parts of the teachers' section."""
    found: dict[str, FoundText] = {}
    for section in find_sections(lines, _TEACHERS_SECTION):
        for part in subsections(section) or [section]:
            title = fold_width(part.heading.title)
            key = (
                "other"
                if _OTHER_TEACHERS.search(title)
                else "certified"
                if _CERTIFIED_TEACHERS.search(title)
                else None
            )
            if key is None or key in found or not part.text:
                continue
            found[key] = FoundText(text=part.text, page=_first_page(part) or 0, count=count_people(part))
        if found:
            break
    return found


# -- facilities --------------------------------------------------------------------------

_FACILITIES_SECTION = re.compile(r"实训|场地|设施|设备|考点|考场|条件|硬件")
_FACILITY_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("written", re.compile(r"笔试|理论")),
    ("computer", re.compile(r"机考|上机|计算机|机房")),
    ("practical", re.compile(r"实操|实训|技能操作|实践|操作考核")),
)


def read_facilities(lines: Sequence[PlanLine]) -> dict[str, FoundText]:
    found: dict[str, FoundText] = {}
    for section in find_sections(lines, _FACILITIES_SECTION):
        for part in subsections(section):
            title = fold_width(part.heading.title)
            for key, pattern in _FACILITY_KINDS:
                if pattern.search(title) and key not in found and part.text:
                    found[key] = FoundText(text=part.text, page=_first_page(part))
                    break
        if found:
            break
    return found


# -- funding ---------------------------------------------------------------------------------

_FUNDING_SECTION = re.compile(r"经费|资金|费用保障|费用")
_EXAM_FEE = re.compile(r"考核费|考核经费|考试费|考评费|鉴定费|考核所需")
_TRAINING = re.compile(r"培训|站点|建设|设备")
_AMOUNT = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(万元|万|元)(?!\s*[/／每]\s*(?:人|生|名))")


def amount_wan(text: str) -> float | None:
    """The total a sentence budgets, in 万元: a 万元 amount before a 元 one, never a per-head
    price (260元/人, 每人260元)."""
    folded = matching_text(text)
    amounts = []
    for match in _AMOUNT.finditer(folded):
        before = folded[max(0, match.start() - 2) : match.start()]
        if re.search(r"每人|每生|按$", before):
            continue
        value = float(match.group(1).replace(",", ""))
        amounts.append((match.group(2) != "元", value if match.group(2) != "元" else value / 10000))
    if not amounts:
        return None
    wan = [value for is_wan, value in amounts if is_wan]
    return round(wan[0] if wan else amounts[0][1], 4)


@dataclass(frozen=True)
class FundingFound:
    exam_fee_source: FoundText | None
    amount_wan: float | None
    training_funding: FoundText | None


def read_funding(lines: Sequence[PlanLine], is_declaration: Callable[[str], bool]) -> FundingFound | None:
    """The exam-fee item and the training-funding item of the funding section; the no-fee
    declaration is read elsewhere and taken out of the exam-fee text."""
    for section in find_sections(lines, _FUNDING_SECTION):
        items = subsections(section)
        texts = [(item.item_text, _first_page(item) or 0) for item in items] if items else []
        if not texts and section.lines:
            texts = [(line.text, line.page) for line in section.lines]
        exam = training = None
        for text, page in texts:
            # Statements about students' fees are read elsewhere; an item that is nothing but
            # one (由学生个人缴纳…) still says where the money comes from, so it stays whole.
            kept = "".join(s for s in sentences(text) if not is_declaration(s)).strip() or text.strip()
            if not kept:
                continue
            if exam is None and _EXAM_FEE.search(kept):
                exam = FoundText(text=kept, page=page)
            elif training is None and _TRAINING.search(kept):
                training = FoundText(text=kept, page=page)
        if exam or training:
            return FundingFound(
                exam_fee_source=exam,
                amount_wan=amount_wan(exam.text) if exam else None,
                training_funding=training,
            )
    return None


# -- tables whose header row stands over a row of values --------------------------------------


def header_value_pairs(
    lines: Sequence[PlanLine], is_label: Callable[[str], bool]
) -> list[tuple[PlanLine, str]]:
    """``label：value`` lines made from a table whose header row holds labels only (证书名称 | 等级
    | 报考人数) and whose next row holds the values, cell under cell."""
    pairs: list[tuple[PlanLine, str]] = []
    for index, line in enumerate(lines[:-1]):
        if len(line.cells) < 2 or sum(is_label(cell) for cell in line.cells) < 2:
            continue
        values = lines[index + 1]
        if len(values.cells) != len(line.cells) or sum(is_label(cell) for cell in values.cells) >= 2:
            continue
        following = lines[index + 2] if index + 2 < len(lines) else None
        if (
            following is not None
            and len(following.cells) >= 2
            and sum(is_label(cell) for cell in following.cells) < 2
        ):
            continue  # several rows of values: a list (sessions, teachers), not one record
        for label, value in zip(line.cells, values.cells, strict=True):
            if is_label(label):  # an empty value cell stays: the field is there and empty
                pairs.append((values, f"{label}：{value}"))
    return pairs
