"""Text made safe for every writer (review.display): what a school sent stays visible, but no
character in it can break the workbook, the JSON, a terminal or a log line."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.exceptions import IllegalCharacterError

from review.display import DisplayFilter, display_name, display_text, mail_name, received_file_name

HOSTILE = "方案\x01\x1b[31m\x7f\x85\ufffe\u202eFDP.exe\udcb7\ud800"


def test_control_characters_become_visible_symbols() -> None:
    assert display_text("附件1\x01.xlsx") == "附件1␁.xlsx"
    assert display_text("\x00\x1f\x7f") == "␀␟␡"
    assert display_text("a\x85b") == "a\\u0085b"
    # an undecodable byte of a file name (os.fsdecode's surrogateescape) shows as that byte
    assert display_text("名\udcb7.pdf") == "名\\xB7.pdf"
    assert display_text("\ud800") == "\\uD800"
    assert display_text("\u202egpj.exe") == "\\u202Egpj.exe"  # no right-to-left spoofing
    assert display_text("\ufffe\uffff") == "\\uFFFE\\uFFFF"


def test_ordinary_text_is_left_alone() -> None:
    text = "湖南铁道职业技术学院-1+X证书试点信息统计表（2022）.docx 第3页：已缴 2.63 万元"
    assert display_text(text) is text
    assert display_text(None) is None
    assert display_text("第一行\n第二行\t制表") == "第一行\n第二行\t制表"


def test_a_name_is_one_line() -> None:
    assert display_name("主题\r\n伪造的第二行\t") == "主题␍␊伪造的第二行␉"


def test_every_writer_takes_the_displayed_text() -> None:
    shown = display_text(HOSTILE)
    assert shown is not None
    assert not ILLEGAL_CHARACTERS_RE.search(shown)
    sheet = Workbook().active
    assert sheet is not None
    sheet["A1"] = shown  # openpyxl raises IllegalCharacterError on the raw text
    with pytest.raises(IllegalCharacterError):
        sheet["A2"] = HOSTILE
    shown.encode("utf-8")  # raw lone surrogates cannot be written as UTF-8
    with pytest.raises(UnicodeEncodeError):
        HOSTILE.encode("utf-8")
    assert json.loads(json.dumps(shown, ensure_ascii=False)) == shown
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)


def test_log_filter_escapes_arguments() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(DisplayFilter())
    logger = logging.getLogger("pilot-intake-test-display")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("文件 %s：%d 条", "附件\x01\n伪造行.xlsx", 2)
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == "文件 附件␁␊伪造行.xlsx：2 条\n"


def test_an_email_is_named_by_sender_subject_and_date() -> None:
    received = dt.datetime(2022, 4, 25, 7, 38, tzinfo=dt.UTC)
    assert mail_name("jwc@hnrpc.com", "关于报送\x01的函", received) == (
        "来自 jwc@hnrpc.com 的邮件《关于报送␁的函》（2022-04-25 15:38收到）"
    )
    assert mail_name(None, None, None) == "发件人不明的邮件（无主题）"
    shown = received_file_name(
        "001-rfc2047-gb2312-b.eml/申报材料.zip/附件1.xlsx",
        message_name="001-rfc2047-gb2312-b.eml",
        sender="jwc@hnrpc.com",
        subject="关于报送试点信息统计表的函",
        received_at=received,
    )
    assert (
        shown
        == "申报材料.zip/附件1.xlsx\n邮件《关于报送试点信息统计表的函》\njwc@hnrpc.com，2022-04-25 15:38收到"
    )
    assert ".eml" not in shown
    itself = received_file_name("001-rfc2047-gb2312-b.eml", message_name="001-rfc2047-gb2312-b.eml")
    assert itself == "邮件（无主题）\n发件人不明"
    assert received_file_name("学校/方案\x01.pdf", message_name=None) == "学校/方案␁.pdf"
