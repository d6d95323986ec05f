"""Unit tests on the pure layout, section and part readers with tiny hand-made lines.

Boxes are PDF points; one CJK character is 12 points wide and high, the text column runs from
x=90 to x=500, so a line that reaches ~500 is a wrapped one.
"""

from __future__ import annotations

import re
from typing import Literal

from extractors.classify import classify_pages, page_title, title_kind
from extractors.layout import logical_lines, with_table_rows
from extractors.pdf_text import _PageRead, _with_blocks, group_lines
from extractors.plan.attachments import read_attachments, titled_attachments
from extractors.plan.parts import (
    amount_wan,
    count_people,
    header_value_pairs,
    people_in,
    read_facilities,
    read_teachers,
)
from extractors.plan.sections import PlanLine, find_sections, heading_of
from extractors.plan_fields import PlanExtractor, field_states
from schemas.facts import Box, Cell, Line, PageFacts, Word
from schemas.plan import PlanData


def line(
    text: str,
    x0: float,
    x1: float,
    top: float,
    size: float = 12.0,
    cells: list[tuple[str, float, float]] | None = None,
) -> Line:
    box = Box(x0=x0, top=top, x1=x1, bottom=top + size)
    parts = [Cell(text=t, box=Box(x0=a, top=top, x1=b, bottom=top + size)) for t, a, b in cells or []]
    return Line(
        text="\t".join(t for t, _, _ in cells) if cells else text,
        box=box,
        cells=parts or [Cell(text=text, box=box)],
    )


def test_a_sentence_wrapped_at_the_margin_is_one_line() -> None:
    lines = [
        line("1．学生考核费用由学校统一支付，经费来源为学校年度预算经费，按260", 114, 500, 100),
        line("元/人计算，预计投入资金约4.16万元。", 90, 300, 118),
        line("2．学校已具备培训及考核条件。", 114, 400, 136),
    ]
    blocks = logical_lines(lines, right_edge=502)
    assert [b.text for b in blocks] == [
        "1．学生考核费用由学校统一支付，经费来源为学校年度预算经费，按260元/人计算，预计投入资金约4.16万元。",
        "2．学校已具备培训及考核条件。",
    ]


def test_a_short_line_or_a_numbered_line_is_not_continued() -> None:
    lines = [line("1．笔试场地", 114, 180, 100), line("第二教学楼设有多媒体教室8间。", 90, 300, 118)]
    assert len(logical_lines(lines, right_edge=502)) == 2
    numbered = [
        line("一句话写到了右边距没有句号也没有结束还在继续写下去写到头", 90, 500, 100),
        line("2．下一项", 90, 200, 118),
    ]
    assert len(logical_lines(numbered, right_edge=502)) == 2


def test_a_bigger_title_is_not_glued_to_the_text_below() -> None:
    lines = [
        line("2022年网店运营推广职业技能等级证书试点工作方案", 85, 500, 100, size=16),
        line("为贯彻落实文件精神。", 85, 300, 120),
    ]
    assert len(logical_lines(lines, right_edge=502)) == 2


def test_wrapped_cell_text_joins_its_cell_even_in_the_first_column() -> None:
    row = line(
        "",
        100,
        457,
        100,
        cells=[("网络系统建设与", 100, 190), ("初级", 250, 280), ("60", 330, 345), ("0", 420, 428)],
    )
    wrap = line("运维", 130, 154, 114)
    header = line(
        "",
        118,
        496,
        80,
        cells=[
            ("证书名称", 118, 170),
            ("等级", 250, 275),
            ("报考人数", 330, 380),
            ("2019-2021年已", 417, 496),
        ],
    )
    header_wrap = line("完成考核人数", 417, 489, 94)
    blocks = logical_lines([header, header_wrap, row, wrap], right_edge=502)
    assert [c.text for c in blocks[0].cells] == ["证书名称", "等级", "报考人数", "2019-2021年已完成考核人数"]
    assert [c.text for c in blocks[1].cells] == ["网络系统建设与运维", "初级", "60", "0"]


def test_a_cells_second_line_that_fell_under_its_rule_joins_the_cell() -> None:
    # A skewed scan: the ruled row's cell ends at 153, the wrapped 汽车） straddles the rule.
    row = line(
        "",
        239,
        613,
        140,
        size=13,
        cells=[("2019年第一批", 239, 293), ("汽车运用与维修（含智能新能源", 294, 402), ("初级", 403, 431)],
    )
    below = line("", 239, 613, 154, size=13, cells=[("2019年第一批", 239, 293), ("老年照护", 294, 402)])
    spill = line("汽车）", 334, 357, 146.6, size=13.8)
    title = line("院校试点信息统计表", 375, 479, 60, size=14)
    blocks = with_table_rows([title, spill], [row, below])
    assert blocks[0].text == "院校试点信息统计表"
    assert [c.text for c in blocks[1].cells] == ["2019年第一批", "汽车运用与维修（含智能新能源汽车）", "初级"]
    assert [c.text for c in blocks[2].cells] == ["2019年第一批", "老年照护"]
    assert len(blocks) == 3
    # A line between two rows, overlapping neither, is text of its own.
    apart = line("备注", 300, 330, 200, size=12)
    assert [b.text for b in with_table_rows([apart], [row, below])][-1] == "备注"


def test_ocr_lines_of_one_size_whose_boxes_differ_are_still_one_sentence() -> None:
    # OCR's box for a short last line grows with a low 。 or a stamp's edge; its characters
    # are as wide as the line's above.
    above = line("60台，已安装考试客户端和监控系统，具备同时组织30人机", 80, 509, 283, size=15.8)
    last = line("考的能力。", 78, 151, 309, size=20.5)
    for piece in (above, last):
        piece.source = "ocr"
    assert [b.text for b in logical_lines([above, last], right_edge=513)] == [
        "60台，已安装考试客户端和监控系统，具备同时组织30人机考的能力。"
    ]
    # The same boxes from a text layer are two sizes of type: a heading and its text.
    above.source = last.source = "text_layer"
    assert len(logical_lines([above, last], right_edge=513)) == 2


def test_a_line_broken_inside_a_latin_list_goes_on() -> None:
    lines = [
        line("60台、交换机、路由器等网络设备，安装VS", 90, 328, 711, size=13.7),
        line("Code、HBuilderX、Chrome、MySQL等开发环境。", 89, 373, 731, size=13.7),
    ]
    assert [b.text for b in logical_lines(lines, right_edge=504)] == [
        "60台、交换机、路由器等网络设备，安装VS Code、HBuilderX、Chrome、MySQL等开发环境。"
    ]


def test_an_attachment_title_whose_end_is_on_the_next_line_is_one_title() -> None:
    lines = [
        PlanLine(1, "附件："),
        PlanLine(1, "1.《学院1+X证书制度试点工作管理办"),
        PlanLine(1, "法》"),
        PlanLine(1, "2.《学院学分转换管理办法（试"),
        PlanLine(1, "行）》"),
    ]
    assert titled_attachments(lines) == ["学院1+X证书制度试点工作管理办法", "学院学分转换管理办法(试行)"]


def test_an_unmarked_item_of_a_ticked_checklist_is_not_attached() -> None:
    # On a photo the empty boxes are too faint to read; the ticked one is read.
    visual = [
        PlanLine(1, "6.佐证材料"),
        PlanLine(1, "1.相关专业人才培养方案"),
        PlanLine(1, "2.书证融通学分转换方案 √"),
        PlanLine(1, "3.其他佐证材料"),
        PlanLine(1, "7.其他说明"),
    ]
    assert read_attachments(visual, visual) == {"credit_exchange"}
    # With no item marked, what is listed is attached.
    plain = [PlanLine(1, line.text.replace(" √", "")) for line in visual]
    assert read_attachments(plain, plain) == {"training_plan", "credit_exchange", "other"}


def test_a_table_row_whose_number_was_lost_is_still_a_person() -> None:
    rows = [
        ["序号", "姓名", "职称", "证书/资质"],
        ["", "戴湘强", "高级讲师", "考评员"],
        ["2", "张帆湘", "实验师", "考评员"],
        ["3", "欧阳萍", "副主任护师", "考评员"],
        ["", "", "", "（以下空白）"],
    ]
    assert people_in("", rows) == 3


def test_headings_in_any_numbering_bound_their_sections() -> None:
    lines = [
        PlanLine(1, "（三）考核师资"),
        PlanLine(1, "1、已获得相关职业技能等级证书师资"),
        PlanLine(1, "共 3 人：张三、李四、王五。"),
        PlanLine(1, "2、其他师资"),
        PlanLine(1, "赵六、钱七。"),
        PlanLine(1, "（四）考核场地"),
        PlanLine(1, "1、笔试场地：教学楼5间教室。"),
    ]
    assert heading_of(lines[0], 0) is not None and heading_of(lines[2], 2) is None
    teachers = read_teachers(lines)
    assert teachers["certified"].count == 3 and "王五" in teachers["certified"].text
    assert teachers["other"].count == 2
    assert [s.heading.title for s in find_sections(lines, re.compile("场地"))] == ["考核场地", "笔试场地"]
    assert read_facilities(lines)["written"].text == "教学楼5间教室。"


def test_people_are_counted_from_a_table_or_said_to_be_none() -> None:
    rows = [
        PlanLine(1, "1．已获得证书师资"),
        PlanLine(1, "序号\t姓名\t职称", ("序号", "姓名", "职称")),
        PlanLine(1, "1\t甲乙\t讲师", ("1", "甲乙", "讲师")),
        PlanLine(1, "2\t丙丁\t教授", ("2", "丙丁", "教授")),
        PlanLine(1, "2．其他师资"),
        PlanLine(1, "暂无。"),
    ]
    found = read_teachers([PlanLine(1, "三、师资"), *rows])
    assert found["certified"].count == 2
    assert found["other"].count == 0
    assert count_people(find_sections(rows, re.compile("其他"))[0]) == 0


def test_the_budget_is_the_total_not_the_price_per_head() -> None:
    assert amount_wan("按260元/人计算，预计投入资金约1.04万元。") == 1.04
    assert amount_wan("预计需支付考核费用1.1万元（50人×220元/人）。") == 1.1
    assert amount_wan("每人300元，共计15000元") == 1.5


def test_a_header_row_stands_over_one_row_of_values_only() -> None:
    header = PlanLine(1, "证书名称\t等级\t报考人数", ("证书名称", "等级", "报考人数"))
    values = PlanLine(1, "老年照护\t初级\t40", ("老年照护", "初级", "40"))
    labels = {"证书名称", "等级", "报考人数", "考核人数（人）", "考核日期"}
    pairs = header_value_pairs([header, values], labels.__contains__)
    assert [text for _line, text in pairs] == ["证书名称：老年照护", "等级：初级", "报考人数：40"]
    schedule = PlanLine(1, "考核日期\t考核人数（人）", ("考核日期", "考核人数（人）"))
    rows = [PlanLine(1, f"2022/10/{d}\t30", (f"2022/10/{d}", "30")) for d in (1, 2)]
    assert header_value_pairs([schedule, *rows], labels.__contains__) == []


def test_a_required_field_is_absent_empty_or_unplaced() -> None:
    data = PlanData(certificate="老年照护")
    lines = [PlanLine(1, "报考人数：约五十"), PlanLine(1, "考核费用来源：")]
    states = field_states(data, lines, {"funding.exam_fee_source"})
    assert states["candidates"] == "unplaced"  # spoken of, but not readable as a number
    assert states["funding.exam_fee_source"] == "empty"
    assert states["facilities"] == "absent"
    assert "certificate" not in states


def test_pages_are_told_apart_by_their_titles() -> None:
    def page(number: int, *texts: str) -> PageFacts:
        # The first line is set as a title is: centred; the rest from the left margin.
        blocks = [
            line(
                t,
                (595 - 12 * len(t)) / 2 if i == 0 else 90,
                (595 + 12 * len(t)) / 2 if i == 0 else 90 + 12 * len(t),
                20 * i,
            )
            for i, t in enumerate(texts)
        ]
        return PageFacts(
            number=number, width=595, height=842, has_text_layer=True, lines=blocks, blocks=blocks
        )

    pages = [
        page(1, "2022年职业技能等级证书试点工作方案", "一、基本信息"),
        page(2, "七、试点合作协议", "我校已与某公司签订试点合作协议，协议附后。"),
        page(3, "[ ] 学分银行学分互认办法", "[√] 考评员证书复印件"),  # the plan's list goes on
        page(4, "附件1", "某学院学分银行管理办法（试行）", "第一章 总则"),
        page(5, "职业技能等级证书试点合作协议", "甲方（试点院校）：某学院"),
        page(6, "六、违约责任", "任何一方违反本协议约定，应承担相应违约责任。"),
    ]
    kinds = [p.kind for p in classify_pages(pages)]
    assert kinds == ["plan", "plan", "plan", "other", "agreement", "agreement"]
    assert title_kind(page_title(pages[3])) == "other"


def test_a_plan_whose_agreement_is_only_announced_has_none() -> None:
    extractor = PlanExtractor(certificates=["老年照护"])
    text_page = PageFacts(
        number=1,
        width=595,
        height=842,
        has_text_layer=True,
        kind="plan",
        blocks=[
            line("2022年老年照护职业技能等级证书试点工作方案", 90, 400, 0),
            line("已签订试点合作协议，协议附后。", 90, 300, 20),
        ],
    )
    assert extractor.extract([text_page]).data.agreement.present is False


def test_a_schedule_table_is_read_by_its_column_labels() -> None:
    from extractors.plan.sessions import table_sessions

    def row(*cells: str) -> PlanLine:
        return PlanLine(1, "\t".join(cells), cells)

    rows = [
        row("序号", "考核日期", "考核时间", "考核地点", "考核人数"),
        row("1", "2022-06-21", "9：00-11：00", "3号实训楼机房", "248"),
        row("2", "2022-07-01", "13：30—15：30", "信息大楼机房", "12"),
        row("合计", "", "", "", "260"),
    ]
    sessions = table_sessions(rows, 2022)
    assert sessions is not None
    assert [(str(s.date), s.start, s.end, s.count) for s in sessions] == [
        ("2022-06-21", "09:00", "11:00", 248),  # never 3, the room's number
        ("2022-07-01", "13:30", "15:30", 12),
    ]
    sideways = [
        row("场次", "第1场", "第2场"),
        row("考核日期", "二〇二二年六月十日", "2022年7月4日"),
        row("考核时间", "上午08：30～10：30", "10:00-12:00"),
        row("考核人数", "104", "196"),
    ]
    sideways_sessions = table_sessions(sideways, 2022)
    assert sideways_sessions is not None
    assert [s.count for s in sideways_sessions] == [104, 196]
    assert table_sessions([PlanLine(1, "2022年10月30日 09:00～11:00，考核人数：40人。")], 2022) is None


def test_sessions_in_one_sentence_and_session_counts_apart_from_candidates() -> None:
    extractor = PlanExtractor(certificates=["老年照护"], default_year=2022)
    blocks = [
        line("2022年老年照护职业技能等级证书试点工作方案", 100, 400, 0),
        line("一、基本信息", 90, 160, 20),
        line("1.证书名称：老年照护", 90, 250, 40),
        line("二、考核时间安排", 90, 190, 60),
        line("1.考核时间段：2022年12月1日—2023年1月8日", 90, 400, 80),
        line(
            "2.具体考核场次：2022年12月23日08：30-10：30，考核27名；2023年01月05日15：00至17：00，考核3名。",
            90,
            500,
            100,
        ),
        line("第三场：2022年12月28日9:00至11:00，考核人数：29人。", 90, 400, 120),
    ]
    page = PageFacts(
        number=1, width=595, height=842, has_text_layer=True, kind="plan", lines=blocks, blocks=blocks
    )
    facts = extractor.extract([page])
    assert [s.count for s in facts.data.sessions] == [27, 3, 29]
    assert facts.data.candidates is None  # a session's 考核人数 is not the plan's 报考人数
    assert facts.field_states["candidates"] == "unplaced"


def _page(number: int, width: float, lines: list[Line]) -> _PageRead:
    facts = PageFacts(number=number, width=width, height=842, lines=lines, text_source="ocr")
    return _PageRead(facts, free_lines=lines)


def test_each_page_size_wraps_at_its_own_right_edge() -> None:
    # A native page reaches x=560; a flattened phone photo of its own, narrower size reaches
    # 380. Measured against the native page's edge the photo's sentence would look finished.
    native = [
        line("这一行写满了整个版心一直写到右边距为止还在继续写下去没有结束" + str(i), 60, 560, 100 + 20 * i)
        for i in range(6)
    ]
    photo = [
        line("学校3号实训楼设有标准化考场3间，每间可容纳60人，配备", 40, 380, 100),
        line("视频监控和广播系统。", 40, 200, 120),
        *[
            line("照片上的一行文字同样写到了它自己的右边距为止" + str(i), 40, 381, 140 + 20 * i)
            for i in range(5)
        ],
    ]
    pages = _with_blocks([_page(1, 595, native), _page(2, 420, photo)])
    assert (
        pages[1].blocks[0].text == "学校3号实训楼设有标准化考场3间，每间可容纳60人，配备视频监控和广播系统。"
    )


def test_lines_of_ocr_words_say_they_are_ocr() -> None:
    def word(text: str, x0: float, source: Literal["text_layer", "ocr"]) -> Word:
        return Word(text=text, box=Box(x0=x0, top=10, x1=x0 + 10, bottom=22), source=source)

    assert group_lines([word("考", 0, "ocr"), word("核", 11, "ocr")])[0].source == "ocr"
    assert group_lines([word("考", 0, "ocr"), word("核", 11, "text_layer")])[0].source == "text_layer"
