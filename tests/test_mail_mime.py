"""The MIME layer on the mail Chinese schools really send: odd name encodings, lying charsets,
CP936 zips, forwards, inline logos, hostile names, and a corpus of broken public test messages."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import random
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from shared_data import CORPUS as SHARED_CORPUS

from extractors.mail import MailAttachment, ParsedMessage, decode_header_text, parse_message
from fixtures.mail import (
    NAME_ENCODINGS,
    OutgoingAttachment,
    build_message,
    build_zip,
    expected_paths,
)
from schemas.limits import Limits

CORPUS = SHARED_CORPUS / "eml"
BEIJING = dt.timezone(dt.timedelta(hours=8))

ANNEX1 = "附件1：长沙民政职业技术学院1+X证书试点信息统计表（2022）.xlsx"
PLAN = "建筑信息模型（BIM）试点工作方案.pdf"
# 60 characters, with GBK-only characters (喆, 昇) that a "gb2312" label cannot really carry.
LONG = "湖南喆昇职业技术学院关于申报2022年第一批1+X证书制度试点老年照护等职业技能等级证书的请示及工作方案（定稿）.pdf"
NAMES = (ANNEX1, PLAN, LONG)


# --------------------------------------------------------------------------------------------
# helpers


def b_word(text: str, label: str, codec: str | None = None) -> str:
    return f"=?{label}?B?{base64.b64encode(text.encode(codec or label)).decode()}?="


def q_word(text: str, label: str, codec: str | None = None) -> str:
    data = text.encode(codec or label)
    body = "".join(chr(b) if chr(b).isalnum() and b < 128 else "_" if b == 32 else f"={b:02X}" for b in data)
    return f"=?{label}?Q?{body}?="


def part(headers: bytes | str, body: bytes = b"SGkh", cte: bytes | None = b"base64") -> bytes:
    head = headers.encode() if isinstance(headers, str) else headers
    if cte is not None:
        head = head.rstrip(b"\r\n") + b"\r\nContent-Transfer-Encoding: " + cte
    return head.rstrip(b"\r\n") + b"\r\n\r\n" + body


def message(
    *parts: bytes, subtype: str = "mixed", headers: bytes = b"From: a@school.cn\r\nSubject: t\r\n"
) -> bytes:
    # A boundary derived from the content, so that nested calls never share one.
    boundary = f"BOUNDARY-{subtype}-{zlib.crc32(b''.join(parts)):08x}".encode()
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
    return (
        headers
        + b"MIME-Version: 1.0\r\nContent-Type: multipart/"
        + subtype.encode()
        + b'; boundary="'
        + boundary
        + b'"\r\n\r\n'
        + body
        + b"--"
        + boundary
        + b"--\r\n"
    )


def paths(raw: bytes) -> list[str]:
    return [a.path for a in parse_message(raw).attachments]


def attached(name_header: bytes | str, content_type: str = "application/pdf") -> list[str]:
    """Paths for one attachment whose Content-Type/Disposition lines are given."""
    head = name_header.encode() if isinstance(name_header, str) else name_header
    if not head.lower().startswith(b"content-type"):
        head = f"Content-Type: {content_type}\r\n".encode() + head
    return paths(message(part("Content-Type: text/plain; charset=utf-8", b"hi", cte=None), part(head)))


def zip_bytes(members: Sequence[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_message(content: bytes, name: str = "材料.zip") -> bytes:
    disposition = (
        f"Content-Type: application/zip\r\nContent-Disposition: attachment; filename*=utf-8''{_pct(name)}"
    )
    return message(part(disposition, base64.b64encode(content)))


def _pct(text: str) -> str:
    return "".join(f"%{b:02X}" for b in text.encode())


def assert_safe(path: str) -> None:
    segments = path.split("/")
    assert not path.startswith("/"), path
    assert "\\" not in path, path
    assert ".." not in segments, path
    assert all(segment and set(segment) != {"."} for segment in segments), path
    assert not any(unicodedata.category(c) == "Cc" for c in path), path


# --------------------------------------------------------------------------------------------
# header decoding


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        (b_word("附件1统计表.xlsx", "gb2312"), "附件1统计表.xlsx"),
        (q_word("附件1统计表.xlsx", "gb2312"), "附件1统计表.xlsx"),
        (b_word("建筑信息模型（BIM）", "gbk"), "建筑信息模型（BIM）"),
        (q_word("建筑信息模型（BIM）", "gbk"), "建筑信息模型（BIM）"),
        (b_word("试点方案", "gb18030"), "试点方案"),
        (q_word("试点方案", "GB18030"), "试点方案"),
        (b_word("试点方案", "utf-8"), "试点方案"),
        (q_word("试点 方案", "UTF-8"), "试点 方案"),
        (b_word("试点方案", "x-gbk", "gbk"), "试点方案"),
        (b_word("喆昇学院", "gb2312", "gbk"), "喆昇学院"),  # gb2312 label on GBK-only characters
        (b_word("喆昇学院", "cp936", "gbk"), "喆昇学院"),
        (b_word("試點方案", "big5"), "試點方案"),
        (b_word("試點方案", "x-big5", "big5"), "試點方案"),
        (b_word("试点方案", "utf8", "utf-8"), "试点方案"),
        (b_word("试点方案", "unknown-8bit", "utf-8"), "试点方案"),
        (b_word("试点方案", "", "gbk"), "试点方案"),  # empty charset
        (b_word("试点方案", "x-no-such-charset", "utf-8"), "试点方案"),  # unknown: utf-8 first
        (b_word("试点方案", "x-no-such-charset", "gbk"), "试点方案"),  # then gb18030
        (b_word("试点方案", "utf-8", "gbk"), "试点方案"),  # utf-8 label on GBK bytes
        (b_word("试点方案", "utf-8*zh-cn", "utf-8"), "试点方案"),  # RFC 2231 language suffix
        ("=?utf-8?B?6K+V54K55pa55qGI?=", "试点方案"),
        ("=?utf-8?B?6K+V54K55pa55qGI?=", "试点方案"),
        ("=?utf-8?B?6K+V54K55pa55qGI?", "=?utf-8?B?6K+V54K55pa55qGI?"),  # unterminated: left as is
        ("=?GBK?B?ytS147e9sLg?=", "试点方案"),  # missing padding
        ("关于 " + b_word("试点", "gbk") + " 方案", "关于 试点 方案"),  # text around words keeps spaces
    ],
)
def test_encoded_words(encoded: str, expected: str) -> None:
    assert decode_header_text(encoded) == expected


def test_adjacent_words_are_joined_and_folding_removed() -> None:
    words = b_word("附件1：", "gbk") + "\r\n " + b_word("统计表", "gbk") + "\r\n\t" + q_word(".xlsx", "gbk")
    assert decode_header_text(words) == "附件1：统计表.xlsx"


@pytest.mark.parametrize(
    ("label", "codec", "cut"), [("utf-8", "utf-8", 4), ("gbk", "gbk", 3), ("gb18030", "gb18030", 5)]
)
def test_multibyte_character_split_across_encoded_words(label: str, codec: str, cut: int) -> None:
    data = "统计表附件".encode(codec)
    first, second = data[:cut], data[cut:]
    with pytest.raises(UnicodeDecodeError):
        first.decode(codec)  # the first word alone really ends inside a character
    header = f"=?{label}?B?{base64.b64encode(first).decode()}?=\r\n =?{label.upper()}?B?{base64.b64encode(second).decode()}?="
    assert decode_header_text(header) == "统计表附件"
    q_header = q_word("", label) + " "  # an empty word between must not break anything
    q_first = "".join(f"={b:02X}" for b in first)
    q_second = "".join(f"={b:02X}" for b in second)
    q_header += f"=?{label}?Q?{q_first}?= =?{label}?Q?{q_second}?="
    assert decode_header_text(q_header) == "统计表附件"
    assert "\ufffd" not in decode_header_text(q_header)


def test_raw_8bit_header_bytes() -> None:
    gbk = "长沙民政职业技术学院：附件1.xlsx".encode("gbk")
    assert decode_header_text(gbk) == "长沙民政职业技术学院：附件1.xlsx"
    assert decode_header_text("长沙民政".encode()) == "长沙民政"
    # The parser hands 8-bit header bytes over as surrogate escapes in a str.
    assert decode_header_text(gbk.decode("ascii", "surrogateescape")) == "长沙民政职业技术学院：附件1.xlsx"
    assert decode_header_text("已解码的文字") == "已解码的文字"
    gbk_only = "喆昇".encode("gbk")
    assert decode_header_text(gbk_only) == "喆昇"


def test_header_decoder_never_raises() -> None:
    rng = random.Random(7)
    alphabet = [
        b"=?",
        b"?=",
        b"?B?",
        b"?Q?",
        b"gbk",
        b"utf-8",
        b"\xb8\xbd",
        b"\xff",
        b"=",
        b"\r\n ",
        b"%",
        b"'",
        b"A",
    ]
    for _ in range(500):
        raw = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        assert isinstance(decode_header_text(raw), str)
        assert isinstance(decode_header_text(raw.decode("ascii", "surrogateescape")), str)


# --------------------------------------------------------------------------------------------
# file names in parameters


def test_name_only_in_content_type() -> None:
    header = f'Content-Type: application/vnd.ms-excel;\r\n name="{b_word(ANNEX1, "gbk")}"\r\nContent-Disposition: attachment'
    assert attached(header) == [ANNEX1]


def test_name_only_in_content_disposition() -> None:
    header = f'Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename="{q_word(PLAN, "utf-8")}"'
    assert attached(header) == [PLAN]


def test_filename_wins_over_name_but_not_when_it_is_undecodable() -> None:
    both = f'Content-Type: application/pdf; name="{b_word("旧名.pdf", "gbk")}"\r\nContent-Disposition: attachment; filename="{b_word(PLAN, "gbk")}"'
    assert attached(both) == [PLAN]


def test_rfc2231_single_gbk() -> None:
    encoded = "".join(f"%{b:02X}" for b in PLAN.encode("gbk"))
    assert attached(f"Content-Disposition: attachment; filename*=gbk''{encoded}") == [PLAN]
    assert attached(f"Content-Disposition: attachment; filename*=GB2312'zh-cn'{encoded}") == [PLAN]


def test_rfc2231_encoded_continuations_split_inside_characters() -> None:
    data = ANNEX1.encode("gbk")
    pieces = [data[i : i + 7] for i in range(0, len(data), 7)]
    lines = ";\r\n ".join(
        f"filename*{i}*=" + ("gbk''" if i == 0 else "") + "".join(f"%{b:02X}" for b in piece)
        for i, piece in enumerate(pieces)
    )
    assert attached(f"Content-Disposition: attachment;\r\n {lines}") == [ANNEX1]


def test_rfc2231_mixed_plain_continuations() -> None:
    head = "".join(f"%{b:02X}" for b in "建筑信息模型".encode("gbk"))
    # Non-encoded continuations hold plain ASCII (RFC 2231 section 4.1).
    header = f'Content-Disposition: attachment;\r\n filename*0*=gbk\'\'{head};\r\n filename*1="_BIM_plan";\r\n filename*2=".pdf"'
    assert attached(header) == ["建筑信息模型_BIM_plan.pdf"]
    plain_only = 'Content-Disposition: attachment;\r\n filename*0="Annex2_";\r\n filename*1="plan.pdf"'
    assert attached(plain_only) == ["Annex2_plan.pdf"]
    # Encoded-words inside plain continuations (Foxmail) and continuations given out of order.
    words = b_word(PLAN, "gbk")
    split = f'Content-Disposition: attachment;\r\n filename*1="{words[20:]}";\r\n filename*0="{words[:20]}"'
    assert attached(split) == [PLAN]


def test_rfc2231_continuations_without_semicolons() -> None:
    data = "".join(f"%{b:02X}" for b in "かきくけこ".encode())
    header = f"Content-Disposition: attachment;\r\n\tfilename*0*=utf-8''{data}\n\tfilename*1*=%E3%81%8B.txt"
    assert attached(header) == ["かきくけこか.txt"]


@pytest.mark.parametrize(
    ("raw_name", "expected"),
    [
        ("长沙民政职业技术学院：附件1.xlsx".encode("gbk"), "长沙民政职业技术学院：附件1.xlsx"),
        ("长沙民政职业技术学院：附件1.xlsx".encode(), "长沙民政职业技术学院：附件1.xlsx"),
        ("湖南喆昇学院方案.pdf".encode("gbk"), "湖南喆昇学院方案.pdf"),
        ("試點方案.pdf".encode("big5"), None),  # Big5 without a label cannot be told from GBK
    ],
)
def test_raw_8bit_file_names(raw_name: bytes, expected: str | None) -> None:
    header = (
        b'Content-Type: application/pdf; name="'
        + raw_name
        + b'"\r\nContent-Disposition: attachment; filename="'
        + raw_name
        + b'"'
    )
    result = attached(header)
    assert len(result) == 1 and "\ufffd" not in result[0]
    if expected is not None:
        assert result == [expected]


def test_undecodable_name_is_kept_byte_for_byte_with_a_problem() -> None:
    raw_name = b"\x81\x30\xff\xfe\x80\x80\xff\xff.pdf"  # neither UTF-8 nor GB18030
    parsed = parse_message(
        message(
            part(
                b'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="'
                + raw_name
                + b'"'
            )
        )
    )
    # Latin-1 keeps every byte; the C1 controls it maps 0x80-0x9F to are then removed as controls.
    assert [a.path for a in parsed.attachments] == ["0\xff\xfe\xff\xff.pdf"]
    assert any(p.startswith("附件名无法解码，已按原始字节保存") for p in parsed.problems)


def test_lying_gb2312_label_in_rfc2231() -> None:
    encoded = "".join(f"%{b:02X}" for b in "喆昇学院方案.pdf".encode("gbk"))
    assert attached(f"Content-Disposition: attachment; filename*=gb2312''{encoded}") == ["喆昇学院方案.pdf"]


def test_windows_path_in_quoted_name() -> None:
    header = 'Content-Type: application/vnd.ms-excel; name="C:\\Users\\x\\附件1.xlsx"\r\nContent-Disposition: attachment'
    assert attached(header.encode()) == ["附件1.xlsx"]


def test_nameless_parts_and_repeated_names() -> None:
    raw = message(
        part("Content-Type: text/plain; charset=gbk", "正文".encode("gbk"), cte=b"8bit"),
        part("Content-Type: application/pdf\r\nContent-Disposition: attachment"),
        part('Content-Type: application/pdf; name="a.pdf"'),
        part('Content-Type: application/pdf; name="a.pdf"'),
        part('Content-Type: application/pdf; name="a (2).pdf"'),
        part("Content-Type: application/octet-stream", base64.b64encode(b"%PDF-1.4 x")),
        part('Content-Type: application/octet-stream; name="README"'),
        part('Content-Type: application/octet-stream; name="README"'),
    )
    assert paths(raw) == [
        "未命名附件1.pdf",
        "a.pdf",
        "a (2).pdf",
        "a (2) (2).pdf",
        "未命名附件2.pdf",
        "README",
        "README (2)",
    ]


def test_content_types_are_declared_and_lowercased() -> None:
    raw = message(
        part('Content-Type: Application/PDF; name="a.pdf"'),
        part(b'Content-Disposition: attachment; filename="b.xlsx"'),  # no Content-Type at all
    )
    types = [a.content_type for a in parse_message(raw).attachments]
    assert types == ["application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]


# --------------------------------------------------------------------------------------------
# name sanitising


NASTY = [
    "../../etc/passwd",
    "/abs/path.xlsx",
    "C:\\Users\\x\\附件1.xlsx",
    "..\\..\\windows\\win.ini",
    "a\x00b.pdf",
    "\x1b[31mred\x07.pdf",
    "line\r\nX-Injected: yes.pdf",
    "...",
    "..",
    ".",
    "....//....//",
    "a/../../b.pdf",
    "//server/share/x.pdf",
    "\u202efdp.exe",
    "x/./y.pdf",
    "名/",
    "  ",
    "\t\n",
]


def test_nasty_attachment_names() -> None:
    expected = {
        "../../etc/passwd": "passwd",
        "/abs/path.xlsx": "path.xlsx",
        "C:\\Users\\x\\附件1.xlsx": "附件1.xlsx",
    }
    for name in NASTY:
        header = (
            f"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''{_pct(name)}"
        )
        result = attached(header)
        assert len(result) == 1, name
        assert_safe(result[0])
        if name in expected:
            assert result == [expected[name]]
        if set(name.replace("/", "")) <= {"."} or not name.strip():
            assert result[0].startswith("未命名附件"), (name, result)


def test_nasty_zip_member_names() -> None:
    members = [(name, name.encode("utf-8", "replace")) for name in NASTY if name.strip("/")]
    members.append(("C:\\x\\a.txt", b"win"))
    parsed = parse_message(zip_message(zip_bytes(members), name="z.zip"))
    listed = [a.path for a in parsed.attachments]
    for path in listed:
        assert_safe(path)
    assert "z.zip/etc/passwd" in listed
    assert "z.zip/abs/path.xlsx" in listed
    assert "z.zip/x/a.txt" in listed
    assert len(listed) == len(set(listed))


def test_random_names_property() -> None:
    rng = random.Random(2022)
    pieces = [
        "..",
        ".",
        "/",
        "\\",
        "\x00",
        "\n",
        "\x7f",
        "a",
        "附件",
        " ",
        ":",
        "C:",
        "\u202e",
        ".pdf",
        "%2e",
    ]
    for _ in range(150):
        name = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        header = (
            f"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''{_pct(name)}"
        )
        result = attached(header)
        assert len(result) == 1
        assert_safe(result[0])
        assert "/" not in result[0]
        member = name.split("\x00", 1)[0]
        if member.strip("/\\") and not member.endswith("/"):
            for path in paths(zip_message(zip_bytes([(member, b"x")]), name="z.zip")):
                assert_safe(path)


# --------------------------------------------------------------------------------------------
# bodies and transfer encodings


def test_gbk_bodies_base64_and_8bit() -> None:
    text = "各位领导：附件是我校1+X证书试点材料，请查收。"
    b64 = message(part("Content-Type: text/plain; charset=gbk", base64.b64encode(text.encode("gbk"))))
    assert parse_message(b64).body_text == text
    eight = message(
        part(
            'Content-Type: text/plain; charset="GB2312"', "喆".encode("gbk") + text.encode("gbk"), cte=b"8bit"
        )
    )
    assert parse_message(eight).body_text == "喆" + text
    single = b"Subject: x\r\nContent-Type: text/plain; charset=x-gbk\r\n\r\n" + text.encode("gbk")
    assert parse_message(single).body_text == text


def test_body_with_utf8_bom_and_without_charset() -> None:
    body = b"\xef\xbb\xbf" + "你好".encode()
    assert (
        parse_message(message(part("Content-Type: text/plain; charset=utf-8", body, cte=b"8bit"))).body_text
        == "你好"
    )
    assert parse_message(message(part("Content-Type: text/plain", body, cte=None))).body_text == "你好"
    # A BOM before the first header line (Windows editors) must not hide the headers.
    parsed = parse_message(b"\xef\xbb\xbfSubject: =?utf-8?B?5rWL6K+V?=\r\nFrom: a@b.cn\r\n\r\nbody")
    assert parsed.subject == "测试" and parsed.sender_address == "a@b.cn" and parsed.body_text == "body"


def test_unknown_and_lying_body_charsets() -> None:
    gbk = "试点方案".encode("gbk")
    for label in ("x-unknown-charset", "unknown-8bit", "", "us-ascii", "utf-8"):
        raw = message(part(f'Content-Type: text/plain; charset="{label}"', gbk, cte=b"8bit"))
        assert parse_message(raw).body_text == "试点方案", label
    big5 = message(
        part("Content-Type: text/plain; charset=big5", "試點方案".encode("big5hkscs"), cte=b"8bit")
    )
    assert parse_message(big5).body_text == "試點方案"


def test_html_only_body_is_stripped() -> None:
    markup = "<html><head><style>p{color:red}</style><title>t</title></head><body><p>您好：</p><div>附件&amp;材料<br>请查收&nbsp;</div><script>x()</script></body></html>"
    parsed = parse_message(
        message(part("Content-Type: text/html; charset=gbk", markup.encode("gbk"), cte=b"8bit"))
    )
    assert parsed.body_text == "您好：\n附件&材料\n请查收"


def test_plain_preferred_over_html() -> None:
    raw = message(
        part("Content-Type: text/plain; charset=utf-8", "纯文本".encode(), cte=b"8bit"),
        part("Content-Type: text/html; charset=utf-8", "<p>网页</p>".encode(), cte=b"8bit"),
        subtype="alternative",
    )
    assert parse_message(raw).body_text == "纯文本"


@pytest.mark.parametrize("cte", [b"", b"7bit", b"8bit", b"binary", b"BINARY"])
def test_empty_or_identity_transfer_encodings(cte: bytes) -> None:
    parsed = parse_message(
        message(part('Content-Type: application/pdf; name="a.pdf"', b"%PDF-1.4 raw", cte=cte))
    )
    assert parsed.attachments[0].content == b"%PDF-1.4 raw"
    assert parsed.problems == []


def test_missing_transfer_encoding() -> None:
    parsed = parse_message(
        message(part('Content-Type: application/pdf; name="a.pdf"', b"%PDF-1.4 raw", cte=None))
    )
    assert parsed.attachments[0].content == b"%PDF-1.4 raw"


def test_uuencode_and_garbage_transfer_encodings() -> None:
    content = bytes(range(256)) * 3
    uu = (
        b"begin 644 a.bin\r\n"
        + b"".join(binascii.b2a_uu(content[i : i + 45]) for i in range(0, len(content), 45))
        + b"`\r\nend\r\n"
    )
    parsed = parse_message(
        message(part('Content-Type: application/octet-stream; name="a.bin"', uu, cte=b"x-uuencode"))
    )
    assert parsed.attachments[0].content == content
    garbage = parse_message(
        message(part('Content-Type: application/pdf; name="a.pdf"', b"%PDF raw", cte=b"x-foo; =?"))
    )
    assert garbage.attachments[0].content == b"%PDF raw"
    assert any("传输编码无法识别" in p for p in garbage.problems)
    bad_uu = parse_message(
        message(part('Content-Type: application/pdf; name="a.pdf"', b"no uu here", cte=b"uuencode"))
    )
    assert bad_uu.attachments[0].content == b"no uu here" and bad_uu.problems


def test_sloppy_base64() -> None:
    encoded = base64.b64encode(b"%PDF-1.4 0123456789").rstrip(b"=")
    sloppy = encoded[:10] + b" \r\n\t" + encoded[10:] + b"*"  # no padding, whitespace, junk
    parsed = parse_message(
        message(part('Content-Type: application/pdf; name="a.pdf"', sloppy, cte=b" Base64 "))
    )
    assert parsed.attachments[0].content == b"%PDF-1.4 0123456789"


# --------------------------------------------------------------------------------------------
# top-level headers


def test_top_level_headers() -> None:
    headers = (
        b"Message-ID:\r\n  <20220420093000.abc@school.edu.cn>  \r\n"
        + b"From: "
        + '"长沙民政教务处"'.encode("gbk")
        + b" <JWC@CSMZXY.edu.cn>\r\n"
        + b"Subject: "
        + b_word("关于报送1+X证书试点材料", "gb2312").encode()
        + b"\r\n"
        + b"Date: Wed, 20 Apr 2022 09:30:00 +0800 (CST)\r\n"
    )
    parsed = parse_message(message(part("Content-Type: text/plain", b"x", cte=None), headers=headers))
    assert parsed.message_id == "20220420093000.abc@school.edu.cn"
    assert parsed.sender_address == "jwc@csmzxy.edu.cn"
    assert parsed.sender_name == "长沙民政教务处"
    assert parsed.subject == "关于报送1+X证书试点材料"
    assert parsed.date == dt.datetime(2022, 4, 20, 9, 30, tzinfo=BEIJING)


@pytest.mark.parametrize(
    ("date_header", "expected"),
    [
        (b"", None),
        (b"Date: yesterday-ish\r\n", None),
        (b"Date: 20 Apr 2022 01:30:00 -0000\r\n", dt.datetime(2022, 4, 20, 1, 30, tzinfo=dt.UTC)),
        (b"Date: 2022-04-20 09:30:00\r\n", dt.datetime(2022, 4, 20, 9, 30, tzinfo=BEIJING)),
    ],
)
def test_dates(date_header: bytes, expected: dt.datetime | None) -> None:
    parsed = parse_message(b"From: a@b.cn\r\n" + date_header + b"\r\nbody")
    assert parsed.date == expected
    if expected is not None:
        assert parsed.date is not None and parsed.date.tzinfo is not None
    if date_header and expected is None:
        assert any("日期" in p for p in parsed.problems)


def test_missing_headers() -> None:
    parsed = parse_message(b"\r\njust a body")
    assert (parsed.message_id, parsed.subject, parsed.sender_address, parsed.sender_name, parsed.date) == (
        None,
        "",
        None,
        None,
        None,
    )


# --------------------------------------------------------------------------------------------
# zips


def test_zip_with_cp936_names_without_utf8_flag() -> None:
    members = [
        OutgoingAttachment(ANNEX1, b"xlsx bytes", "x"),
        OutgoingAttachment(f"扫描件/{PLAN}", b"%PDF", "x"),
    ]
    content = build_zip(members, dt.datetime(2022, 4, 20, 9, 30))
    infos = zipfile.ZipFile(io.BytesIO(content)).infolist()
    assert all(not info.flag_bits & 0x800 for info in infos)
    assert infos[0].orig_filename.encode("cp437") == ANNEX1.encode("gbk")
    parsed = parse_message(zip_message(content, name="材料.zip"))
    assert [(a.path, a.content, a.from_archive) for a in parsed.attachments] == [
        ("材料.zip", content, False),
        (f"材料.zip/{ANNEX1}", b"xlsx bytes", True),
        (f"材料.zip/扫描件/{PLAN}", b"%PDF", True),
    ]
    assert (
        parsed.attachments[1].content_type
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert parsed.problems == []


def test_zip_with_utf8_flag_and_directories() -> None:
    content = zip_bytes([("材料/", b""), ("材料/方案.pdf", b"%PDF"), ("readme.txt", b"hi")])
    assert zipfile.ZipFile(io.BytesIO(content)).infolist()[1].flag_bits & 0x800
    assert paths(zip_message(content, name="a.zip")) == ["a.zip", "a.zip/材料/方案.pdf", "a.zip/readme.txt"]


def test_zip_unicode_path_extra_field() -> None:
    info = zipfile.ZipInfo("????.pdf")
    utf8 = "方案.pdf".encode()
    info.extra = (
        struct.pack("<HHB", 0x7075, 5 + len(utf8), 1) + struct.pack("<I", zlib.crc32(b"????.pdf")) + utf8
    )
    assert paths(zip_message(zip_bytes([(info, b"%PDF")]), name="a.zip")) == ["a.zip", "a.zip/方案.pdf"]


def test_zip_detected_by_magic_not_by_name() -> None:
    content = zip_bytes([("a.pdf", b"%PDF")])
    raw = message(
        part('Content-Type: application/octet-stream; name="upload.dat"', base64.b64encode(content))
    )
    assert paths(raw) == ["upload.dat", "upload.dat/a.pdf"]


def test_office_documents_are_not_opened() -> None:
    xlsx = zip_bytes([("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")])
    raw = message(
        part('Content-Type: application/octet-stream; name="统计表.xlsx"', base64.b64encode(xlsx)),
        part('Content-Type: application/octet-stream; name="统计表.dat"', base64.b64encode(xlsx)),
    )
    assert paths(raw) == ["统计表.xlsx", "统计表.dat"]


def test_zip_in_zip() -> None:
    innermost = zip_bytes([("deep.txt", b"deep")])
    inner = zip_bytes([("b.pdf", b"%PDF"), ("inner2.zip", innermost)])
    outer = zip_bytes([("a.txt", b"a"), ("inner.zip", inner)])
    raw = zip_message(outer, name="outer.zip")
    assert paths(raw) == [
        "outer.zip",
        "outer.zip/a.txt",
        "outer.zip/inner.zip",
        "outer.zip/inner.zip/b.pdf",
        "outer.zip/inner.zip/inner2.zip",
        "outer.zip/inner.zip/inner2.zip/deep.txt",  # three levels by default
    ]
    assert parse_message(raw).file_problems == []
    shallow = parse_message(raw, Limits(zip_depth=2))
    assert [a.path for a in shallow.attachments][-1] == "outer.zip/inner.zip/inner2.zip"  # listed, not opened
    [problem] = shallow.file_problems
    assert problem.rule == "file.archive_incomplete"
    assert "嵌套层数" in problem.message and "outer.zip/inner.zip/inner2.zip" in problem.message
    assert "上限为2层" in problem.message and "重新发送" in problem.message


def _encrypted(content: bytes) -> bytes:
    """Set the 'encrypted' flag in the local and central headers (zipfile cannot write it)."""
    data = bytearray(content)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        flags = struct.unpack_from("<H", data, start + offset)[0]
        struct.pack_into("<H", data, start + offset, flags | 0x1)
    return bytes(data)


def test_encrypted_and_corrupt_zips_are_problems() -> None:
    encrypted = parse_message(zip_message(_encrypted(zip_bytes([("secret.pdf", b"%PDF")])), name="e.zip"))
    assert [a.path for a in encrypted.attachments] == ["e.zip"]
    assert any("已加密" in p and "secret.pdf" in p for p in encrypted.problems)
    good = zip_bytes([("a.pdf", b"%PDF" * 1000)])
    for broken in (b"PK\x03\x04" + b"\x00" * 40, good[: len(good) // 2], good[:-10]):
        parsed = parse_message(zip_message(broken, name="bad.zip"))
        assert [a.path for a in parsed.attachments] == ["bad.zip"]
        assert any(p.startswith("ZIP附件损坏") for p in parsed.problems)
    crc = bytearray(good)
    crc[crc.find(b"PK\x03\x04") + 14] ^= 0xFF  # wrong CRC in the local header only
    parsed = parse_message(zip_message(bytes(crc), name="crc.zip"))
    assert all(isinstance(p, str) for p in parsed.problems)


def test_zip_bomb_and_member_limits() -> None:
    bomb = zip_bytes([("zeros1.bin", b"\x00" * 600_000), ("zeros2.bin", b"\x00" * 600_000)])
    parsed = parse_message(zip_message(bomb, name="bomb.zip"), Limits(archive_unpacked_bytes=1_000_000))
    assert [a.path for a in parsed.attachments] == ["bomb.zip", "bomb.zip/zeros1.bin"]
    [bombed] = parsed.file_problems
    assert bombed.rule == "file.archive_incomplete" and "压缩炸弹" in bombed.message
    assert any("压缩炸弹" in p for p in parsed.problems)  # and in the mail log
    many = zip_bytes([(f"{i}.txt", b"x") for i in range(10)])
    parsed = parse_message(zip_message(many, name="many.zip"), Limits(zip_members=3))
    assert len(parsed.attachments) == 4
    [crowded] = parsed.file_problems
    assert "10个文件，其中7个未解压" in crowded.message and "上限为每封邮件3个" in crowded.message


def test_default_limits_keep_real_zips_whole() -> None:
    scans = zip_bytes([(f"扫描{i}.jpg", b"\xff\xd8\xff" + bytes(2000)) for i in range(60)])
    parsed = parse_message(zip_message(scans, name="扫描件.zip"))
    assert len(parsed.attachments) == 61 and parsed.file_problems == []


# --------------------------------------------------------------------------------------------
# forwarded messages


def _forward(inner: bytes, extra: bytes = b"") -> bytes:
    return message(
        part("Content-Type: text/plain; charset=utf-8", "转发".encode(), cte=b"8bit"),
        part(b"Content-Type: message/rfc822" + extra, inner, cte=None),
        headers=b"From: city@bureau.cn\r\nSubject: " + b_word("转发：材料", "utf-8").encode() + b"\r\n",
    )


def test_nested_forwards_list_inner_attachments() -> None:
    original = message(
        part("Content-Type: text/plain; charset=gbk", "原邮件".encode("gbk"), cte=b"8bit"),
        part(f'Content-Type: application/pdf; name="{b_word(PLAN, "gbk")}"'),
        part('Content-Type: application/vnd.ms-excel; name="a.xls"'),
    )
    level3 = _forward(_forward(_forward(original)))
    parsed = parse_message(level3)
    assert [a.path for a in parsed.attachments] == [PLAN, "a.xls"]
    assert parsed.body_text == "转发" and parsed.subject == "转发：材料"
    # The same file at the top and in the forward is listed twice, de-duplicated.
    both = message(
        part('Content-Type: application/vnd.ms-excel; name="a.xls"'),
        part(b"Content-Type: message/rfc822", original, cte=None),
    )
    assert paths(both) == ["a.xls", PLAN, "a (2).xls"]


def test_forward_without_files_is_kept_as_eml() -> None:
    plain = b"Subject: hi\r\nFrom: a@b.cn\r\n\r\nonly text\r\n"
    assert paths(_forward(_forward(plain), extra=b'; name="original.eml"')) == ["original.eml"]
    parsed = parse_message(_forward(plain))
    assert [a.path for a in parsed.attachments] == ["未命名附件1.eml"]
    assert b"only text" in parsed.attachments[0].content


def test_corrupt_and_encoded_attached_eml() -> None:
    rng = random.Random(3)
    junk = bytes(rng.randrange(256) for _ in range(3000))
    for body in (junk, b"", b"\r\n\r\n", b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"):
        raw = message(
            part(b"Content-Type: message/rfc822\r\nContent-Disposition: attachment", body, cte=b"8bit")
        )
        parsed = parse_message(raw)
        assert isinstance(parsed, ParsedMessage)
        assert all(isinstance(p, str) for p in parsed.problems)
    # message/rfc822 wrongly base64-encoded by a relay: the inner file still comes out.
    inner = message(part('Content-Type: application/pdf; name="a.pdf"', base64.b64encode(b"%PDF-x")))
    raw = message(part(b"Content-Type: message/rfc822", base64.encodebytes(inner), cte=b"base64"))
    parsed = parse_message(raw)
    assert [(a.path, a.content) for a in parsed.attachments] == [("a.pdf", b"%PDF-x")]


# --------------------------------------------------------------------------------------------
# inline parts


def _related(*parts: bytes, html: str) -> bytes:
    body = part("Content-Type: text/html; charset=utf-8", html.encode(), cte=b"8bit")
    boundary = b"REL"
    inner = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in (body, *parts)) + b"--REL--"
    return b'Content-Type: multipart/related; boundary="REL"\r\n\r\n' + inner


def test_inline_logo_is_not_an_attachment() -> None:
    logo = part(
        b'Content-Type: image/png; name="image001.png"\r\nContent-Disposition: inline; filename="image001.png"\r\nContent-ID: <logo@x>'
    )
    raw = message(_related(logo, html='<img src="cid:logo@x">'))
    assert paths(raw) == []
    # Referenced by cid from anywhere, even when marked as an attachment.
    signature = part(
        b'Content-Type: image/gif; name="sig.gif"\r\nContent-Disposition: attachment\r\nContent-ID: <SIG@x>'
    )
    raw = message(
        part("Content-Type: text/html; charset=utf-8", b'<img src="CID:sig@x">', cte=None), signature
    )
    assert paths(raw) == []
    # Inside multipart/related without a reference, and inline without any name.
    assert paths(message(_related(part(b"Content-Type: image/png"), html="<p>x</p>"))) == []
    assert paths(message(part(b"Content-Type: image/jpeg\r\nContent-Disposition: inline"))) == []


def test_inline_parts_that_are_documents_are_kept() -> None:
    scan = part(
        f'Content-Type: image/jpeg; name="{b_word("附件1盖章扫描件.jpg", "gbk")}"\r\nContent-Disposition: inline\r\nContent-ID: <scan@x>'
    )
    raw = message(_related(scan, html='<img src="cid:scan@x">'))
    assert paths(raw) == ["附件1盖章扫描件.jpg"]
    pdf = part(
        b'Content-Type: application/pdf; name="plan.pdf"\r\nContent-Disposition: inline\r\nContent-ID: <p@x>'
    )
    assert paths(message(_related(pdf, html='<a href="cid:p@x">'))) == ["plan.pdf"]
    # Apple Mail / phones: every attachment inline in multipart/mixed, nothing references it.
    phone = part(
        b'Content-Type: image/jpeg; name="IMG_0001.JPG"\r\nContent-Disposition: inline; filename="IMG_0001.JPG"'
    )
    assert paths(message(part("Content-Type: text/plain", b"x", cte=None), phone)) == ["IMG_0001.JPG"]


def test_builder_inline_logo_round_trip() -> None:
    attachments = [OutgoingAttachment(PLAN, b"%PDF", "application/pdf")]
    raw = build(attachments=attachments, name_encoding="rfc2047-gbk-q", inline_logo=True)
    assert b"Content-ID: <logo." in raw
    parsed = parse_message(raw)
    assert [a.path for a in parsed.attachments] == [PLAN]
    assert parsed.body_text == "各位领导：\n附件是我校申报材料，请审阅。"
    no_files = build(attachments=[], name_encoding="plain-ascii", inline_logo=True)
    assert paths(no_files) == []


# --------------------------------------------------------------------------------------------
# the builder, and the round trip through the parser


COMMON: dict[str, Any] = {
    "sender": "JWC@csmzxy.edu.cn",
    "sender_name": "长沙民政职业技术学院教务处",
    "to": "1x@hnedu.gov.cn",
    "subject": "长沙民政职业技术学院2022年1+X证书试点申报材料（附件1、附件2）",
    "body": "各位领导：\n附件是我校申报材料，请审阅。",
    "date": dt.datetime(2022, 4, 20, 9, 30, tzinfo=BEIJING),
    "message_id": "20220420093000.1x@csmzxy.edu.cn",
}


def build(**overrides: Any) -> bytes:
    return build_message(**{**COMMON, **overrides})


def _attachments() -> list[OutgoingAttachment]:
    return [
        OutgoingAttachment(name, f"{index}:{name}".encode() * (index + 1) * 40, "application/octet-stream")
        for index, name in enumerate(NAMES)
    ]


@pytest.mark.parametrize("mode", ["plain", "forward", "zip", "forward+zip"])
@pytest.mark.parametrize("name_encoding", NAME_ENCODINGS)
def test_round_trip(name_encoding: str, mode: str) -> None:
    assert len(LONG) == 60
    forward, zipped = "forward" in mode, "zip" in mode
    attachments = _attachments()
    raw = build(
        attachments=attachments,
        name_encoding=name_encoding,
        forward=forward,
        zip_attachments=zipped,
        zip_name="长沙民政职业技术学院申报材料.zip",
        inline_logo=name_encoding.endswith("q"),
    )
    parsed = parse_message(raw)
    expected = expected_paths(attachments, forward, zipped, "长沙民政职业技术学院申报材料.zip")
    assert [a.path for a in parsed.attachments] == expected
    files = [a for a in parsed.attachments if not a.path.endswith(".zip")]
    assert [a.content for a in files] == [a.content for a in attachments]
    assert all(a.from_archive == zipped for a in files)
    assert parsed.problems == []
    common = COMMON
    assert parsed.subject == ("转发：" if forward else "") + str(common["subject"])
    assert parsed.sender_name == common["sender_name"] and parsed.sender_address == "jwc@csmzxy.edu.cn"
    assert parsed.date == common["date"]
    assert str(common["body"]) in parsed.body_text
    assert parsed.message_id == ("fwd." if forward else "") + str(common["message_id"])


def test_round_trip_single_names() -> None:
    for name_encoding in NAME_ENCODINGS:
        for name in (*NAMES, "Annex2_plan.pdf"):
            attachment = OutgoingAttachment(name, b"%PDF", "application/pdf")
            raw = build(attachments=[attachment], name_encoding=name_encoding, body_charset="utf-8")
            assert paths(raw) == expected_paths([attachment], False, False, None) == [name], (
                name_encoding,
                name,
            )


def test_builder_is_deterministic_and_really_odd() -> None:
    attachments = _attachments()
    first = build(attachments=attachments, name_encoding="raw-gbk-8bit", zip_attachments=True)
    assert first == build(attachments=attachments, name_encoding="raw-gbk-8bit", zip_attachments=True)
    assert ANNEX1.encode("gbk") not in first  # the zip name is raw GBK, the member names are inside the zip
    raw = build(attachments=attachments, name_encoding="raw-gbk-8bit")
    assert b'filename="' + ANNEX1.encode("gbk") + b'"' in raw
    assert b"=?x-gbk?B?" in build(attachments=attachments, name_encoding="x-gbk-label")
    lying = build(attachments=attachments, name_encoding="gb2312-label-on-gbk-bytes")
    assert b"=?gb2312?B?" in lying
    assert b"filename*0*=gbk''" in build(attachments=attachments, name_encoding="rfc2231-gbk-continued")
    split = build(attachments=attachments, name_encoding="rfc2047-gb18030-b-split")
    words = [base64.b64decode(w) for w in re.findall(rb"=\?gb18030\?B\?([^?]*)\?=", split)]
    assert any(_ends_inside_character(w) for w in words)
    with pytest.raises(ValueError):
        build(attachments=attachments, name_encoding="no-such-encoding")


def _ends_inside_character(data: bytes) -> bool:
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return True
    return False


def test_expected_paths() -> None:
    twice = [OutgoingAttachment("a.pdf", b"1", "x"), OutgoingAttachment("a.pdf", b"2", "x")]
    assert expected_paths(twice, False, False, None) == ["a.pdf", "a (2).pdf"]
    assert expected_paths(twice, True, True, None) == ["附件.zip", "附件.zip/a.pdf", "附件.zip/a (2).pdf"]
    assert expected_paths([], True, False, None) == ["未命名附件1.eml"]
    raw = build(attachments=twice, name_encoding="rfc2047-utf8-q")
    assert [(a.path, a.content) for a in parse_message(raw).attachments] == [
        ("a.pdf", b"1"),
        ("a (2).pdf", b"2"),
    ]
    assert paths(build(attachments=[], name_encoding="plain-ascii", forward=True)) == ["未命名附件1.eml"]


# --------------------------------------------------------------------------------------------
# never raises


def test_garbage_and_mutated_messages_never_raise() -> None:
    rng = random.Random(1)
    base = build(
        attachments=_attachments()[:2],
        name_encoding="rfc2231-gbk-continued",
        zip_attachments=True,
    )
    samples: list[bytes] = [
        b"",
        b"\r\n",
        b"\xef\xbb\xbf",
        b"\x00" * 100,
        b"PK\x03\x04",
        b":" * 1000,
        b"From \r\n\r\n",
    ]
    samples += [bytes(rng.randrange(256) for _ in range(rng.randint(1, 400))) for _ in range(50)]
    for _ in range(150):
        data = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(data))
            action = rng.randrange(3)
            if action == 0:
                data[position] = rng.randrange(256)
            elif action == 1:
                del data[position : position + rng.randint(1, 200)]
            else:
                data[position:position] = rng.choice([b"\r\n", b"--", b"=?gbk?B?", b'"', b";", b"\r\n\r\n"])
        samples.append(bytes(data[: rng.randint(0, len(data))]))
    for sample in samples:
        parsed = parse_message(sample)
        assert isinstance(parsed, ParsedMessage)
        assert all(isinstance(p, str) for p in parsed.problems)
        assert all(isinstance(a, MailAttachment) for a in parsed.attachments)
        for attachment in parsed.attachments:
            assert_safe(attachment.path)


def test_deep_nesting_never_raises() -> None:
    raw = b"Content-Type: text/plain\r\n\r\nbottom"
    for level in range(60):
        raw = message(
            part(b"Content-Type: message/rfc822", raw, cte=None), headers=f"Subject: {level}\r\n".encode()
        )
    parsed = parse_message(raw)
    assert any("嵌套" in p for p in parsed.problems)
    # Deeper than the stdlib parser can recurse: the headers still come out.
    raw = b"Content-Type: text/plain\r\n\r\nbottom"
    for level in range(2000):
        raw = b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level) + raw
    parsed = parse_message(b"Subject: deep\r\nFrom: a@b.cn\r\n" + raw)
    assert (parsed.subject, parsed.sender_address, parsed.attachments) == ("deep", "a@b.cn", [])
    assert any("嵌套" in p for p in parsed.problems)


# --------------------------------------------------------------------------------------------
# the public corpus of broken messages

CORPUS_FILES = sorted(CORPUS.glob("*.eml"))

RFC2231_LONG = (
    "Buchungsbestätigung- Rechnung-Geschäftsbedingungen-Nr.B123-45 - XXXXX xxxxxxxxxxxxxxxxx XxxX, "
    "Lüxxxxxxxxxx - VM Klaus XXXXXX - xxxxxxxx.pdf"
)


def _check_rfc2231(p: ParsedMessage) -> None:
    assert p.attachments[0].path == RFC2231_LONG
    assert (
        p.attachments[2].path
        == "02_A€àäąбيد@Z-" + "-".join(["0123456789", "qwertyuiopasdfghjklzxcvbnmopqrstuvz"] * 3) + ".txt"
    )
    assert [a.content for a in p.attachments] == [b"Hi!"] * 3


EXPECTATIONS = {
    "ddeboer__attachment_long_filename_rfc2231.eml": _check_rfc2231,
    "ddeboer__four_nested_emails.eml": lambda p: (
        [a.path for a in p.attachments] == ["2-second-email.eml"]
        and b"0-zero-content" in p.attachments[0].content
        and (p.subject, p.body_text) == ("3-third-subject", "3-third-content")
    ),
    "ddeboer__gbk_charset_X-GBK.eml": lambda p: (p.subject, p.body_text, p.problems) == ("Nuu", "Hi", []),
    "ddeboer__null_content_charset.eml": lambda p: p.body_text == "Hi!",
    "ddeboer__undefined_charset_header.eml": lambda p: (
        (p.subject, p.sender_name, p.sender_address)
        == ("Submit your tax refund | Australian Taxation Office.", "myGov", "info@bla.bla")
    ),
    "ddeboer__unknown_encoding.eml": lambda p: (
        p.body_text == "MyPlain" and any("foobar" in x for x in p.problems)
    ),
    "ddeboer__without_charset_plain_only.eml": lambda p: p.body_text == "Hi",
    "demisto__chinese_big5_encoding.eml": lambda p: p.body_text == "圖形碼",
    # The brief expected a Chinese subject; the file's subject is ASCII and its body is the GB2312 text.
    "demisto__chinese_gb2312_encoding.eml": lambda p: (
        (p.subject, p.body_text, p.sender_name)
        == ("Greeting in Chinese", "你好，我是程序员，很高兴认识你", "Sender Name")
    ),
    "demisto__chinese_gbk_encoding.eml": lambda p: p.body_text == "你好，中国",
    "demisto__chinese_raw-utf8-header.eml": lambda p: (
        p.subject == "示例邮件" and p.body_text.startswith("这是一个示例邮件")
    ),
    "demisto__containing_corrupted_eml.eml": lambda p: (
        [a.path for a in p.attachments] == ["original_message.eml"] and p.body_text == "test"
    ),
    "demisto__multipart-defective.eml": lambda p: (
        [a.path for a in p.attachments] == ["Signatur.png"]
        and p.attachments[0].content.startswith(b"\xff\xd8\xff")  # a JPEG sent as image/png
        and p.body_text == "test"
        and any("Content-Type" in x for x in p.problems)
    ),
    "demisto__no_content_0-bytes.eml": lambda p: (
        p.attachments == [] and p.subject == "" and len(p.problems) == 1 and "邮件内容为空" in p.problems[0]
    ),
    "demisto__no_content_type.eml": lambda p: (
        (p.subject, p.body_text, p.attachments) == ("No content type", "", [])
    ),
    "demisto__test-unknown-8bit.eml": lambda p: (
        (p.sender_address, p.sender_name, p.body_text) == ("test@test.com", "test", "test bcc")
    ),
    "demisto__utf_8_with_bom.eml": lambda p: p.subject == "Test UTF Email" and "עברית" in p.body_text,
    "flanker__charset-gb2312-1_mixed-mojibake.eml": lambda p: (
        p.attachments == [] and p.sender_address == "10000@qq.com"
    ),
    "flanker__charset-gb2312_raw8bit-headers.eml": lambda p: (
        (p.subject, p.sender_name) == ("提示：您的企业成员暂时无法登录邮件客户端", "腾讯企业邮箱")
        and p.body_text.startswith("尊敬的管理员：")
    ),
    "flanker__enclosed-bad-encoding.eml": lambda p: (
        [a.path for a in p.attachments] == ["thanks.eml"] and p.subject == "Wow"
    ),
    "flanker__false-multipart.eml": lambda p: p.attachments == [] and p.problems != [],
    "flanker__mailformed-headers.eml": lambda p: (
        p.sender_address == "headers@gmail.com" and p.attachments == []
    ),
    "flanker__missing-boundaries.eml": lambda p: p.body_text.startswith("Hi This is a broken message"),
    "flanker__missing-final-boundary.eml": lambda p: (
        p.body_text == "Some body" and any("结束分隔线" in x for x in p.problems)
    ),
    "flanker__no-ctype.eml": lambda p: (
        p.body_text.startswith("Hello,")
        and p.message_id == "CAEAsyCbSF1Bk7CBuu6zp3Qs8=j2iUkNi3dPkGe6z40q4dmaogQ@mail.gmail.com"
    ),
    "flanker__torture-part.eml": lambda p: [a.path for a in p.attachments] == ["未命名附件1.eml"],
    "imaptools__attachment_with_quoted_filename.eml": lambda p: (
        [a.path for a in p.attachments] == ["Eelanalüüsi päring.jpg"]
        and p.attachments[0].content.startswith(b"\xff\xd8\xff")
        and p.subject == "Eelanalüüsi päring"
    ),
    "imaptools__cte_empty_big5.eml": lambda p: p.attachments == [] and "toolbar.yahoo.com.hk" in p.body_text,
    "imaptools__japanese_attachment_long_name.eml": lambda p: (
        [a.path for a in p.attachments] == ["かきくけこ" * 5 + ".txt"]
        and p.subject == "まみむめも" * 10
        and p.attachments[0].content.startswith(b"this is the data")
    ),
}


def test_corpus_is_there() -> None:
    assert len(CORPUS_FILES) == 29
    assert {f.name for f in CORPUS_FILES} == set(EXPECTATIONS)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_message(path: Path) -> None:
    parsed = parse_message(path.read_bytes())
    assert isinstance(parsed, ParsedMessage)
    assert isinstance(parsed.problems, list) and all(isinstance(p, str) for p in parsed.problems)
    assert isinstance(parsed.body_text, str) and isinstance(parsed.subject, str)
    assert parsed.date is None or parsed.date.tzinfo is not None
    for attachment in parsed.attachments:
        assert_safe(attachment.path)
    check = EXPECTATIONS[path.name]
    result = check(parsed)
    assert result is None or result, parsed
