"""Annex 2 plan pages -> PlanFacts: every field of design.md section 3, normalised, with the
page and line each value was read from.

Values come from labelled lines (see ``labels.py``); sessions from any line that holds a date
and a time span; attachments from the 附件 section's items and their tick marks; the fee
declaration from ``fee_declaration``. Certificate and school names are mapped to the round's
canonical names when they match one (ignoring brackets, width and spacing).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from extractors.fee_declaration import find_fee_statements, no_student_fee_declared, statement_fact
from extractors.labels import LabelHit, LabelReader, LabelSpec
from extractors.layout import PAGE_FOOTER, continues_on_next_page, text_right_edge
from extractors.normalize import (
    find_dates,
    fold_width,
    match_key,
    matching_text,
    misread_name,
    name_keys,
    parse_amount_wan,
    parse_count,
    parse_time_range,
)
from extractors.plan.attachments import HEADING_NUMBER, read_attachments
from extractors.plan.parts import (
    FoundText,
    header_value_pairs,
    people_in,
    read_facilities,
    read_funding,
    read_teachers,
)
from extractors.plan.sections import PlanLine, heading_of
from extractors.plan.sessions import table_sessions
from schemas.document import Evidence, FeeStatement, FieldState, PlanFacts
from schemas.facts import Line, PageFacts
from schemas.plan import REQUIRED_PLAN_FIELDS, Agreement, ExamPeriod, ExamSession, PlanData

# 2019—2021年, 2019至2021年度, 2019年－2021年 …: the period the completed count covers.
_YEARS = r"2019\s*年?\s*[-—–~至到－]+\s*2021\s*年?度?\s*"
PLAN_LABELS: list[LabelSpec] = [
    LabelSpec(
        "school",
        r"(?:申报|试点)?(?:学校|院校)(?:名称|全称)|申报(?:学校|院校|单位)|试点(?:学校|院校)",
        anchored=True,
    ),
    LabelSpec("school", r"学校|院校|单位名称|申报单位", anchored=True, needs_colon=True, glued=False),
    LabelSpec(
        "certificate",
        r"(?:试点|申报|拟申报)?(?:职业技能等级)?证书(?:名称|全称)|(?:试点|申报)证书|证书(?=\s*[:：])",
        anchored=True,
    ),
    LabelSpec("level", r"(?:证书|申报|试点|考核)?(?:等级|级别)", anchored=True),
    LabelSpec(
        "candidates",
        r"(?:20\d{2}\s*年度?)?(?:拟|计划)?(?:报考|报名|参考|参加考核|考核|申报|考试)(?:学生)?人数"
        r"|(?:20\d{2}\s*年度?)?(?:拟|计划)(?:报考|考核|参考)(?:学生)?",
    ),
    LabelSpec(
        "completed_2019_2021",
        rf"{_YEARS}(?:该证书)?(?:在本校)?(?:已|累计|共){{0,2}}(?:(?:完成|通过)考核(?:人数|学生数|人次)?|考核?(?:人数|学生数|人次))"
        r"|(?:已|累计|共){1,2}(?:完成|通过)?考核?(?:人数|学生数|人次)"
        r"|(?:完成|通过)考核(?:人数|学生数|人次)?",
    ),
    LabelSpec(
        "exam_period",
        # 起止 as OCR reads it too (起上, 起正): the label's other words fix its meaning.
        r"(?:计划|拟|预计)?(?:考核(?:时间段|时段|期间|起[\u4e00-\u9fff]?(?:时间|日期)|时间范围|周期|日期范围)"
        r"|考试时间段|考核时间(?!安排|表))",
    ),
    LabelSpec(
        "teachers.certified",
        r"持证(?:教师|师资|考评员|人员)(?:情况)?|(?:已)?取得(?:证书|考评员资格)的?(?:教师|师资)|考评员(?:情况|数量|人数)?",
    ),
    LabelSpec(
        "teachers.other", r"其他(?:教师|师资|指导教师)|其余教师|非持证教师|辅助教师|培训教师", anchored=True
    ),
    LabelSpec(
        "facilities.written",
        r"笔试(?:考场|场地|考点|教室|场所)?|理论考试(?:考场|场地)|理论考场",
        anchored=True,
    ),
    LabelSpec(
        "facilities.computer",
        r"机考(?:考场|场地|机房|场所)?|上机考试(?:场地|考场)?|计算机(?:考场|机房)|机房",
        anchored=True,
    ),
    LabelSpec(
        "facilities.practical",
        r"实操(?:考场|场地|考核场地|实训室|场所)?|实训(?:考场|场地)|技能操作(?:考核)?(?:考场|场地)"
        r"|实践(?:考核)?(?:场地|考场)|操作考核(?:场地|考场)",
        anchored=True,
    ),
    LabelSpec(
        "funding.exam_fee_source",
        r"考核(?:费用|经费|费)来源|考试(?:费用|经费)来源|(?:费用|经费|资金)来源",
    ),
    LabelSpec(
        "funding.amount_wan",
        r"(?:考核)?(?:经费|费用|资金)?(?:预算)?金额|考核(?:费用|经费)(?:总额|合计|预算)|经费预算|预算",
        anchored=True,
    ),
    LabelSpec("funding.training_funding", r"培训(?:经费|费用|资金)(?:来源|保障|安排)?"),
]

AGREEMENT_LABELS: list[LabelSpec] = [
    LabelSpec("organization", r"乙\s*方(?:\s*[(（][^()（）]{0,14}[)）])?", anchored=True),
]

_NONE_YET = re.compile(
    r"^\s*(?:(?:暂|尚|还|目前)?(?:无|没有|未开展|未组织|未考核|未参加)|零|[-—–/／]+)\s*(?:人)?\s*[。.]?\s*$"
)
_TITLE = re.compile(r"(?:试点)?(?:工作|实施)方案\s*$")
_SCHOOL_LIKE = re.compile(r"(?:学院|大学|学校|中专|职专|职业中专|中心)$")
_SECTION_HEAD = re.compile(
    r"^\s*(?:第[一二三四五六七八九十]+(?:部分|章|节)|[一二三四五六七八九十]{1,2}\s*[、.．]|[(（][一二三四五六七八九十]{1,2}[)）])"
)
_SESSION_EXCLUDE = re.compile(r"合计|总计|小计|考核时间段|起止")


_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")


def close_letter_spacing(text: str) -> str:
    """Undo letter-spacing that aligns labels and titles: "金\t额：" -> "金额：",
    "2 0 2 2年" -> "2022年". Only a single CJK character (or digit) next to another counts, so
    real cell gaps between words and numbers stay."""
    tokens = re.split(r"([ \t\u3000]+)", text)
    out = [tokens[0]] if tokens else []
    for index in range(1, len(tokens) - 1, 2):
        previous, following = tokens[index - 1], tokens[index + 1]
        spaced_cjk = len(previous) == 1 and _CJK_CHAR.match(previous) and _CJK_CHAR.match(following[:1])
        # "2 0 2 2年" and "学院2 0 2 2年", but never a table's row number before its date.
        spaced_digit = re.search(r"(?:^|\D)\d$", previous) and re.match(r"\d(?:年|$)", following)
        out.append("" if spaced_cjk or spaced_digit else tokens[index])
        out.append(following)
    return "".join(out)


def plan_lines(pages: Sequence[PageFacts]) -> list[PlanLine]:
    """The plan pages' logical lines in reading order (wrapped sentences and table cells
    joined, page numbers left out: see ``extractors.layout``); a sentence that goes on over a
    page break is one line, on the page it starts on."""
    plan_pages = [page for page in pages if page.kind == "plan"]
    right_edge = text_right_edge(
        [line for page in plan_pages for line in page.lines],
        max((page.width for page in plan_pages), default=None),
    )
    lines: list[PlanLine] = []
    last: Line | None = None
    for page in plan_pages:
        blocks = [b for b in (page.blocks or page.lines) if not PAGE_FOOTER.match(fold_width(b.text))]
        for position, block in enumerate(blocks):
            text = close_letter_spacing(block.text)
            if (
                position == 0
                and last is not None
                and lines
                and continues_on_next_page(last, block, right_edge)
            ):
                lines[-1] = PlanLine(lines[-1].page, lines[-1].text + text, lines[-1].cells)
                continue
            cells = (
                tuple(close_letter_spacing(cell.text) for cell in block.cells)
                if len(block.cells) >= 2
                else ()
            )
            lines.append(PlanLine(page.number, text, cells))
        last = blocks[-1] if blocks else last
    return lines


def visual_plan_lines(pages: Sequence[PageFacts], numbers: set[int]) -> list[PlanLine]:
    """The printed lines of the given plan pages; a line that leaves a bracket open (《…（试)
    is joined with the next, as the item it starts is not over."""
    lines: list[PlanLine] = []
    carry = False
    for page in pages:
        if page.number not in numbers:
            continue
        for line in page.lines:
            text = close_letter_spacing(line.text)
            if PAGE_FOOTER.match(fold_width(text)):
                continue
            if carry and lines:
                lines[-1] = PlanLine(lines[-1].page, lines[-1].text + text)
            else:
                lines.append(PlanLine(page.number, text))
            folded = fold_width(lines[-1].text)
            carry = folded.count("《") > folded.count("》")
    return lines


def _is_title(folded: str) -> bool:
    """A plan title is a short line ending in 方案 (a sentence that ends in 方案如下。 is not)."""
    return (
        _TITLE.search(folded) is not None
        and len(folded.strip()) <= 45
        and re.search(r"[:，,。；;]", folded) is None  # titles carry no punctuation
    )


def split_plans(lines: list[PlanLine]) -> list[list[PlanLine]]:
    """One list of lines per plan: a title line starts a new plan once the current plan has
    had its own title and some body below it (lines above the first title belong to it)."""
    plans: list[list[PlanLine]] = []
    current: list[PlanLine] = []
    titled = False
    body_after_title = False
    for line in lines:
        folded = fold_width(line.text)
        is_title = _is_title(folded)
        if is_title and titled and body_after_title:
            plans.append(current)
            current, body_after_title = [], False
        current.append(line)
        if is_title:
            titled = True
        elif titled and ":" in folded:
            body_after_title = True
    if current:
        plans.append(current)
    return plans


class PlanExtractor:
    """Reads PlanFacts from classified pages; built once per round with its name lists."""

    def __init__(
        self,
        certificates: Sequence[str] = (),
        schools: dict[str, str] | None = None,
        default_year: int | None = None,
    ) -> None:
        self._reader = LabelReader(PLAN_LABELS)
        self._agreement_reader = LabelReader(AGREEMENT_LABELS)
        self._certificates = name_keys(certificates)
        # alias or name -> canonical school name
        self._schools = {match_key(alias): name for alias, name in (schools or {}).items()}
        self._default_year = default_year

    def extract(self, pages: Sequence[PageFacts]) -> PlanFacts:
        lines = plan_lines(pages)
        plans = split_plans(lines)
        first = plans[0] if plans else []
        data = PlanData()
        evidence: dict[str, Evidence] = {}
        pairs = self._table_pairs(first)
        hits = self._label_hits(first, pairs)
        self._read_simple_fields(data, hits, evidence)
        empty_labels = self._empty_labels(first, hits, pairs)
        self._read_parts(data, first, evidence, empty_labels)
        self._read_title(data, first, evidence)
        default_year = data.exam_period.start.year if data.exam_period.start else self._default_year
        # Session entries and ticked attachment items are one a printed line, also inside a
        # table cell: they are read from the visual lines of the first plan's pages.
        visual_plans = split_plans(visual_plan_lines(pages, {line.page for line in first}))
        visual = visual_plans[0] if visual_plans else []
        tabled = table_sessions(first, default_year)
        data.sessions = tabled if tabled else self._read_sessions(visual, default_year, evidence)
        self._read_attachments(data, first, visual)
        statements = self._read_fee(data, first)
        data.agreement = self._read_agreement(pages)
        # The first plan's certificate is already read; only further plans need reading.
        certificates = [data.certificate] if data.certificate else []
        for plan in plans[1:]:
            name = self._certificate_of(plan)
            if name and name not in certificates:
                certificates.append(name)
        plan_pages = sorted({line.page for line in lines})
        ocr_pages = [page.number for page in pages if page.text_source == "ocr"]
        states = field_states(data, first, empty_labels)
        if set(plan_pages) & set(ocr_pages):
            self._correct_misread_names(data)
            states = ocr_doubts(data, evidence, statements, states, pages)
            if not tabled and _timed_lines(visual) > len(data.sessions):
                # A line with a time of day that gave no session: its date was misread
                # (2022/11/6 as 2022/1116), so the sessions read are not all there.
                states["sessions"] = "unsure"
        return PlanFacts(
            data=data,
            evidence=evidence,
            certificates_declared=certificates,
            fee_statements=statements,
            plan_pages=plan_pages,
            field_states=states,
            unread_pages=[page.number for page in pages if not page.readable],
            ocr_pages=ocr_pages,
        )

    def _correct_misread_names(self, data: PlanData) -> None:
        """On a plan read by OCR, a school or certificate name a character or two off one of
        the round's names is that name (区山 for 麓山); a name close to none stays as read."""
        schools = set(self._schools.values())
        if data.school and data.school not in schools:
            data.school = misread_name(data.school, schools) or data.school
        certificates = set(self._certificates.values())
        if data.certificate and data.certificate not in certificates:
            data.certificate = misread_name(data.certificate, certificates) or data.certificate

    # -- labelled fields -------------------------------------------------------------

    def _is_label(self, cell: str) -> bool:
        """A table cell that is a label and nothing else (证书名称, 报考人数（人）)."""
        hits = self._reader.read(cell)
        return len(hits) >= 1 and not any(hit.value for hit in hits)

    def _is_header_row(self, line: PlanLine) -> bool:
        """A table row of labels only, whose values stand in the row below."""
        return len(line.cells) >= 2 and sum(map(self._is_label, line.cells)) >= 2

    def _opens_field(self, line: PlanLine) -> bool:
        """A line that starts something of its own (a heading, a label), so it is never the
        value of the label above it."""
        return (
            heading_of(line, 0) is not None
            or bool(re.search(r"[:：]\s*$", line.text))
            or bool(self._reader.read(line.text))
        )

    def _table_pairs(self, lines: list[PlanLine]) -> dict[int, list[str]]:
        """``label：value`` texts made from header-over-values tables, by the value row's id."""
        pairs: dict[int, list[str]] = {}
        for line, text in header_value_pairs(lines, self._is_label):
            pairs.setdefault(id(line), []).append(text)
        return pairs

    def _label_hits(
        self, lines: list[PlanLine], pairs: dict[int, list[str]] | None = None
    ) -> list[tuple[LabelHit, PlanLine]]:
        """Labelled values in reading order: from ``label：value`` lines; from tables whose
        header row of labels stands over a row of values (the header row holds no value);
        and from a label alone on its line with its value on the next (a sub-heading over
        its text, a one-column table of label and value rows)."""
        if pairs is None:
            pairs = self._table_pairs(lines)
        hits: list[tuple[LabelHit, PlanLine]] = []
        for index, line in enumerate(lines):
            if id(line) in pairs:
                hits += [(hit, line) for text in pairs[id(line)] for hit in self._reader.read(text, index)]
                continue
            if self._is_header_row(line):
                continue  # its values are in the rows below
            found = self._reader.read(line.text, index)
            if parse_time_range(line.text) and find_dates(matching_text(line.text), self._default_year):
                # A session entry's 考核人数 is that session's, not the plan's 报考人数.
                found = [hit for hit in found if hit.field != "candidates"]
            below = lines[index + 1] if index + 1 < len(lines) else None
            if (
                len(found) == 1
                and not found[0].value
                and below is not None
                and len(below.cells) < 2
                and not self._opens_field(below)
            ):
                found = [replace(found[0], value=below.text.strip())]
            hits += [(hit, line) for hit in found]
        return hits

    def _empty_labels(
        self, lines: list[PlanLine], hits: list[tuple[LabelHit, PlanLine]], pairs: dict[int, list[str]]
    ) -> set[str]:
        """Fields whose label stands with nothing after it, nor below it: the school left them
        empty. A label heading a table column, or a sub-heading whose text follows on the next
        line, is not an empty field."""
        position = {id(line): index for index, line in enumerate(lines)}
        empty: set[str] = set()
        for hit, line in hits:
            if hit.value or self._is_header_row(line):
                continue
            if id(line) in pairs:
                empty.add(hit.field)  # a blank cell under its column's label
                continue
            if len(line.cells) == 2 and self._is_label(line.cells[0]) and not line.cells[1].strip():
                empty.add(hit.field)  # a form row whose value cell is blank
                continue
            index = position.get(id(line))
            following = lines[index + 1] if index is not None and index + 1 < len(lines) else None
            if following is None or self._opens_field(following):
                empty.add(hit.field)
        return empty

    def _read_simple_fields(
        self, data: PlanData, hits: list[tuple[LabelHit, PlanLine]], evidence: dict[str, Evidence]
    ) -> None:
        taken: set[str] = set()
        for hit, line in hits:
            if hit.field in taken or not hit.value:
                continue
            if self._apply(data, hit.field, hit.value):
                taken.add(hit.field)
                evidence[hit.field] = Evidence(page=line.page, text=line.text)

    def _apply(self, data: PlanData, field: str, value: str) -> bool:
        """Store one labelled value; False when it does not parse (the next label may)."""
        if field == "school":
            data.school = self._canonical_school(value)
        elif field == "certificate":
            data.certificate = self._canonical_certificate(value)
        elif field == "level":
            level = re.search(r"[初中高]级", value)
            data.level = level.group(0) if level else re.split(r"[\s,，;；(（]", value)[0]
        elif field in ("candidates", "completed_2019_2021"):
            count = parse_count(value)
            if count is None and field == "completed_2019_2021" and _NONE_YET.match(fold_width(value)):
                count = 0  # 无 / 未开展 / — : nothing examined yet
            if count is None:
                return False
            setattr(data, field, count)
        elif field == "exam_period":
            period = self._period(value)
            if period is None:
                return False
            data.exam_period = period
        elif field == "funding.amount_wan":
            amount = parse_amount_wan(value)
            if amount is None:
                return False
            data.funding.amount_wan = amount
        else:
            section, _, name = field.partition(".")
            target = getattr(data, section)
            if field in ("funding.exam_fee_source", "funding.training_funding"):
                # 资金来源：生均拨款经费；预计投入…: the source ends with its clause.
                value = re.split(r"[；;。]", value)[0].strip() or value
            setattr(target, name, value)
            if section == "teachers":
                setattr(target, f"{name}_count", people_in(value))
        return True

    def _read_parts(
        self, data: PlanData, lines: list[PlanLine], evidence: dict[str, Evidence], empty_labels: set[str]
    ) -> None:
        """Teachers, facilities and funding from their sections, where the school wrote them as
        prose, lists or tables below sub-headings, for what no labelled line gave."""

        def keep(field: str, found: FoundText) -> str:
            evidence[field] = Evidence(page=found.page, text=found.text[:200])
            return found.text

        if "funding.exam_fee_source" in empty_labels:
            # The label stands with nothing after it: the school left it empty, say so.
            data.funding.exam_fee_source = None

        for key, found in read_teachers(lines).items():
            if getattr(data.teachers, key) is None:
                setattr(data.teachers, key, keep(f"teachers.{key}", found))
                setattr(data.teachers, f"{key}_count", found.count)
        for key, found in read_facilities(lines).items():
            if getattr(data.facilities, key) is None:
                setattr(data.facilities, key, keep(f"facilities.{key}", found))
        funding = read_funding(lines, lambda sentence: bool(find_fee_statements(sentence)))
        if funding is None:
            return
        for field in ("funding.exam_fee_source", "funding.training_funding"):
            item = funding.exam_fee_source if field == "funding.exam_fee_source" else funding.training_funding
            label_line = evidence.get(field)
            if item is not None and label_line is not None and _label_inside_sentence(label_line.text, field):
                # 考核费由学校承担，资金来源：生均拨款经费；…: the label sits in a sentence, and the
                # school's answer is the sentence, not the words after the colon.
                setattr(data.funding, field.partition(".")[2], None)
        if (
            funding.exam_fee_source is not None
            and data.funding.exam_fee_source is None
            and "funding.exam_fee_source" not in empty_labels
        ):
            data.funding.exam_fee_source = keep("funding.exam_fee_source", funding.exam_fee_source)
        if funding.amount_wan is not None and data.funding.amount_wan is None:
            data.funding.amount_wan = funding.amount_wan
        if funding.training_funding is not None and data.funding.training_funding is None:
            data.funding.training_funding = keep("funding.training_funding", funding.training_funding)

    def _period(self, value: str) -> ExamPeriod | None:
        text = matching_text(value)
        first_dates = find_dates(text, self._default_year)
        if not first_dates:
            return None
        start = first_dates[0][0]
        dates = find_dates(text, start.year)
        if len(dates) < 2:
            return None
        return ExamPeriod(start=dates[0][0], end=dates[1][0])

    def _read_title(self, data: PlanData, lines: list[PlanLine], evidence: dict[str, Evidence]) -> None:
        """The school from the title area (the title's prefix, or a line of its own above the
        title) when no 学校名称 line names it; the certificate from the title area when no
        证书名称 line does."""
        head = lines[:6]
        for index, line in enumerate(head):
            folded = fold_width(line.text).strip()
            # A title set on two lines (学校2022年…证书 / 试点工作方案) is read as one.
            following = fold_width(head[index + 1].text).strip() if index + 1 < len(head) else ""
            joined = folded + following if following and _is_title(folded + following) else folded
            if data.school is None:
                title = re.match(r"^(?P<school>\S{4,30}?)(?:关于)?(?:20\d{2}|二〇二\S)年", folded)
                candidate = None
                if title and _is_title(joined):
                    candidate = line.text.strip()[: title.end("school")]
                elif match_key(folded) in self._schools or (
                    _SCHOOL_LIKE.search(folded) and len(folded) <= 30 and not _is_title(folded)
                ):
                    candidate = line.text.strip()
                if candidate:
                    data.school = self._canonical_school(candidate)
                    evidence["school"] = Evidence(page=line.page, text=line.text)
            if data.certificate is None and len(folded) <= 45:
                for key, name in self._certificates.items():
                    if key and key in match_key(line.text):
                        data.certificate = name
                        evidence["certificate"] = Evidence(page=line.page, text=line.text)
                        break

    def _certificate_of(self, lines: list[PlanLine]) -> str | None:
        data = PlanData()
        for hit, _line in self._label_hits(lines):
            if hit.field == "certificate" and hit.value:
                self._apply(data, "certificate", hit.value)
                break
        if data.certificate is None:
            self._read_title(data, lines, {})
        return data.certificate

    def _canonical_certificate(self, value: str) -> str:
        value = re.sub(r"(?:职业技能等级证书|证书)$", "", value.strip()).strip()
        return self._certificates.get(match_key(value), value)

    def _canonical_school(self, value: str) -> str:
        value = value.strip()
        return self._schools.get(match_key(value), value)

    # -- sessions --------------------------------------------------------------------

    def _read_sessions(
        self, lines: list[PlanLine], default_year: int | None, evidence: dict[str, Evidence]
    ) -> list[ExamSession]:
        sessions = []
        for line in _join_wrapped_sessions(lines, default_year):
            text = matching_text(line.text)
            if _SESSION_EXCLUDE.search(text):
                continue
            dates = find_dates(text, default_year)
            pieces = _session_pieces(text, dates)
            if len(pieces) > 1:
                # Several sessions in one sentence (…，考核27名；2023年01月05日15:00至17:00，考核3名。)
                for piece in pieces:
                    session = _session_in(piece, default_year)
                    if session is not None:
                        sessions.append(session)
                evidence.setdefault("sessions", Evidence(page=line.page, text=line.text))
                continue
            span = parse_time_range(line.text)
            if span is None or not dates:
                continue
            start, end, time_start, time_end = span
            date, _, date_end = dates[0]
            rest = text[max(time_end, date_end) :]
            count = _session_count(rest)
            if count is None:
                before = text[: min(time_start, dates[0][1])]
                before = re.sub(r"^\s*(?:第\s*\d+\s*场|场次\s*\d+|\d+\s*[.、．]?)", "", before)
                count = _session_count(before)
            sessions.append(ExamSession(date=date, start=start, end=end, count=count))
            evidence.setdefault("sessions", Evidence(page=line.page, text=line.text))
        return sessions

    # -- attachments, fee, agreement -------------------------------------------------

    def _read_attachments(self, data: PlanData, blocks: list[PlanLine], visual: list[PlanLine]) -> None:
        flags = read_attachments(blocks, visual)
        for name in ("training_plan", "credit_exchange", "other"):
            setattr(data.attachments, name, name in flags)

    def _read_fee(self, data: PlanData, lines: list[PlanLine]) -> list[FeeStatement]:
        """The plan's lines are joined without separators, across pages too, because the
        declaration often wraps (even over a page break); each statement keeps the page its
        first character is on."""
        text = ""
        page_starts: list[tuple[int, int]] = []
        folded_length = 0  # statement offsets count in the detector's folded, space-free text
        for line in lines:
            page_starts.append((folded_length, line.page))
            folded_length += len(re.sub(r"\s+", "", matching_text(line.text)))
            text += line.text
        matches = find_fee_statements(text)
        statements = []
        for match in matches:
            page = next((p for start, p in reversed(page_starts) if start <= match.start), lines[0].page)
            statements.append(statement_fact(match, page))
        data.funding.no_student_fee_declared = no_student_fee_declared(matches)
        return statements

    def _read_agreement(self, pages: Sequence[PageFacts]) -> Agreement:
        agreement_pages = [page for page in pages if page.kind == "agreement"]
        organization = None
        for page in agreement_pages:
            for index, line in enumerate(page.lines):
                for hit in self._agreement_reader.read(line.text, index):
                    value = re.sub(r"[(（]\s*盖章\s*[)）]|[(（]\s*签[字章]\s*[)）]", "", hit.value).strip()
                    if value and organization is None and not re.match(r"^(?:代表|签字|日期|盖章)", value):
                        organization = re.split(r"\s{1,}(?=\S+[:：])", value)[0]
            if organization:
                break
        return Agreement(
            present=bool(agreement_pages),
            pages=[page.number for page in agreement_pages],
            organization=organization,
            signed=None,
        )


# What a plan says when it speaks of a required field, whatever its label.
_FIELD_SUBJECTS: dict[str, re.Pattern[str]] = {
    "school": re.compile(r"院校|学校|单位"),
    "certificate": re.compile(r"证书"),
    "level": re.compile(r"等级|级别"),
    "candidates": re.compile(r"报考|报名|考核人数|参考人数|规模"),
    "completed_2019_2021": re.compile(r"已完成|完成考核|已考核|已通过|2019"),
    "exam_period.start": re.compile(r"考核时间|考试时间|考核日期|时间段"),
    "exam_period.end": re.compile(r"考核时间|考试时间|考核日期|时间段"),
    "sessions": re.compile(r"场次|具体安排|考核安排|时间安排"),
    "teachers.certified": re.compile(r"师资|教师|考评员"),
    "facilities": re.compile(r"场地|考场|机房|实训|考点"),
    "funding.exam_fee_source": re.compile(
        r"(?:考核|考试|考评)(?:费用|经费|费).{0,12}(?:来源|支付|承担|列支|安排|解决|由|从)|(?:费用|经费|资金)来源"
    ),
}


def _empty(value: object) -> bool:
    if value is None or value == "" or value == []:
        return True
    if hasattr(value, "model_dump"):
        return all(v in (None, "", []) for v in value.model_dump().values())
    return False


LOW_OCR_CONFIDENCE = 50.0
_TIME_RANGE = re.compile(r"\d{1,2}\s*[:：]\s*\d{2}\s*[-—~～至到]+\s*\d{1,2}\s*[:：]\s*\d{2}")


def _timed_lines(lines: Sequence[PlanLine]) -> int:
    """Lines that carry a session's time of day (08:00-12:00), each one session at least."""
    return sum(1 for line in lines if _TIME_RANGE.search(matching_text(line.text)))


def _line_confidence(page: PageFacts, text: str) -> float | None:
    """Mean OCR confidence of the words of the block whose text is ``text``."""
    for block in page.blocks:
        if block.text != text:
            continue
        scores = [
            word.confidence
            for word in page.words
            if word.confidence is not None
            and block.box.x0 - 1 <= (word.box.x0 + word.box.x1) / 2 <= block.box.x1 + 1
            and block.box.top - 1 <= (word.box.top + word.box.bottom) / 2 <= block.box.bottom + 1
        ]
        return sum(scores) / len(scores) if scores else None
    return None


def _clear(data: PlanData, path: str) -> None:
    parts = path.split(".")
    owner: Any = data
    for part in parts[:-1]:
        owner = getattr(owner, part)
    field = type(owner).model_fields[parts[-1]]
    setattr(owner, parts[-1], field.get_default(call_default_factory=True))


def ocr_doubts(
    data: PlanData,
    evidence: dict[str, Evidence],
    statements: list[FeeStatement],
    states: dict[str, FieldState],
    pages: Sequence[PageFacts],
) -> dict[str, FieldState]:
    """On a plan read by OCR, what cannot be told from OCR's doubt is ``unsure``: a required
    field not found (the words may be there, misread), a value read from words OCR was unsure
    of (not guessed: cleared), and the no-fee declaration when nothing of the funding part was
    read. Rules then leave them to a person (file.ocr_low_confidence) instead of blaming the
    school."""
    by_number = {page.number: page for page in pages}
    doubts: dict[str, FieldState] = {}
    for path, state in states.items():
        doubts[path] = "unsure" if state in ("absent", "empty") else state
    for path, where in evidence.items():
        page = by_number.get(where.page)
        if page is None or page.text_source != "ocr":
            continue
        confidence = _line_confidence(page, where.text)
        if confidence is not None and confidence < LOW_OCR_CONFIDENCE and path in REQUIRED_PLAN_FIELDS:
            _clear(data, path)
            doubts[path] = "unsure"
    funding_read = any(path.startswith("funding.") for path in evidence)
    if not data.funding.no_student_fee_declared and not statements and not funding_read:
        doubts["funding.no_student_fee_declared"] = "unsure"
    return doubts


def field_states(data: PlanData, lines: list[PlanLine], empty_labels: set[str]) -> dict[str, FieldState]:
    """For every required field without a value: absent, empty (its label stands with nothing
    after it) or unplaced (the plan speaks of it, the extractor could not read the value)."""
    states: dict[str, FieldState] = {}
    # The no-fee declaration speaks of 考核费用 without saying where the money comes from.
    sentences = [
        sentence
        for line in lines
        for sentence in re.findall(r"[^。；;]+[。；;]?", matching_text(line.text))
        if not find_fee_statements(sentence)
    ]
    text = "".join(sentences)
    # Where the training money comes from (培训站点建设经费来源…) says nothing of the exam fee.
    exam_fee_text = "".join(s for s in sentences if "培训" not in s or re.search(r"考核|考试", s))
    for path in REQUIRED_PLAN_FIELDS:
        value: object = data
        for part in path.split("."):
            value = getattr(value, part)
        if not _empty(value):
            continue
        parent = path.partition(".")[0]
        if (
            path in empty_labels
            or parent in empty_labels
            or any(label.startswith(f"{path}.") for label in empty_labels)
        ):
            states[path] = "empty"
        elif _FIELD_SUBJECTS[path].search(exam_fee_text if path == "funding.exam_fee_source" else text):
            states[path] = "unplaced"
        else:
            states[path] = "absent"
    return states


_FUNDING_LABEL = {
    "funding.exam_fee_source": re.compile(r"(?:考核|考试)?(?:费用|经费|资金|费)来源"),
    "funding.training_funding": re.compile(r"培训(?:经费|费用|资金)"),
}


def _label_inside_sentence(text: str, field: str) -> bool:
    """Whether the field's label comes after words of a sentence on its line (not at the
    start of the line or item, as in a form)."""
    match = _FUNDING_LABEL[field].search(fold_width(text))
    if match is None:
        return False
    before = re.sub(
        r"^\s*(?:[(（]?[0-9一二三四五六七八九十]{1,2}[)）.、．]?)\s*", "", fold_width(text)[: match.start()]
    )
    return len(re.findall(r"[\u4e00-\u9fff]", before)) >= 2 and bool(re.search(r"[，,；;]", before))


def _join_wrapped_sessions(lines: list[PlanLine], default_year: int | None) -> list[PlanLine]:
    """A session entry that wrapped ("…14:00-16:00，人" / "数：27人") is one line again: a short
    line with no date of its own, holding a time span or a head count, joins the dated line
    above it."""
    joined: list[PlanLine] = []
    for line in lines:
        text = matching_text(line.text)
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and find_dates(matching_text(previous.text), default_year)
            and not find_dates(text, default_year)
            and not _SESSION_EXCLUDE.search(text)
            and len(text) <= 24
            and HEADING_NUMBER.match(text) is None
            and (
                parse_time_range(text) is not None
                or re.search(r"\d+\s*(?:人|名)", text)
                or re.fullmatch(r"\s*(?:人|名)\s*[。；;]?\s*", text)
            )
        ):
            joined[-1] = PlanLine(previous.page, previous.text + line.text)
        else:
            joined.append(line)
    return joined


def _session_pieces(text: str, dates: list[tuple[dt.date, int, int]]) -> list[str]:
    """The text cut before each date that has a time span of its own after it."""
    cuts = [start for _date, start, _end in dates]
    pieces = [text[start : cuts[i + 1] if i + 1 < len(cuts) else len(text)] for i, start in enumerate(cuts)]
    timed = [piece for piece in pieces if parse_time_range(piece) is not None]
    return timed if len(timed) == len(pieces) else [text]


def _session_in(piece: str, default_year: int | None) -> ExamSession | None:
    dates = find_dates(piece, default_year)
    span = parse_time_range(piece)
    if not dates or span is None:
        return None
    start, end, _time_start, time_end = span
    return ExamSession(
        date=dates[0][0], start=start, end=end, count=_session_count(piece[max(time_end, dates[0][2]) :])
    )


def _session_count(text: str) -> int | None:
    match = re.search(r"(\d+)\s*(?:人|名|位)", text)
    if match:
        return int(match.group(1))
    # Called on the text after the time span, so a colon before a number is a label's ("人数：10").
    bare = re.findall(r"(?<![\d.])(\d{1,4})(?![\d:.])", text)
    return int(bare[0]) if bare else None
