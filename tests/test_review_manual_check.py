"""review.manual_check: every file that could not be checked in full becomes a warning in the
problem list that says what a person must look at; file.* errors keep their own findings."""

from __future__ import annotations

import re

import pytest

from checks import REGISTRY, check_document
from checks.file_rules import MANUAL_CHECK
from schemas.document import DocumentKind, DocumentResult, DocumentStatus, ProcessingError
from schemas.finding import Finding, Severity
from schemas.round_config import load_round_config

CONFIG = load_round_config()


def error(code: str, message: str, page: int | None = None, component: str = "reader") -> ProcessingError:
    return ProcessingError(component=component, code=code, message=message, page=page)


def findings(
    kind: DocumentKind, *errors: ProcessingError, status: DocumentStatus = "partial"
) -> list[Finding]:
    result = DocumentResult(source="x.pdf", sha256="0" * 64, kind=kind, status=status, errors=list(errors))
    return check_document(result, CONFIG)


def test_registered_with_a_chinese_name_as_a_warning() -> None:
    entry = REGISTRY[MANUAL_CHECK]
    assert entry.severity == Severity.WARNING and entry.subject == "file"
    assert re.search(r"[\u4e00-\u9fff]", entry.description)
    # file.* rules are named too (the registry's description is the name the report shows)
    assert all(len(REGISTRY[rule].description) <= 12 for rule in REGISTRY if rule.startswith("file."))


@pytest.mark.parametrize(
    ("kind", "problem", "must_say"),
    [
        (
            "annex1",
            error(
                "ocr.required",
                "附件1统计表是扫描件或图片，需经OCR识别后才能自动检查，请人工审核",
                component="ocr",
            ),
            ("公章", "签字", "人工"),
        ),
        (
            "plan",
            error(
                "ocr.required",
                "PDF没有文字层（扫描件），需经OCR识别后才能自动检查，请人工审核",
                component="ocr",
            ),
            ("不收费声明", "合作协议", "人工审核"),
        ),
        (
            "plan",
            error("plan.field_unplaced", "方案中“报考人数”的内容未能自动识别，需人工核对", 2),
            ("报考人数", "第2页"),
        ),
        ("plan", error("page.unreadable", "第5页文字层无法读取（KeyError）", 5), ("请人工查看第5页",)),
        ("plan", error("pdf.repaired", "PDF结构有损坏，已自动修复后读取，请核对内容是否完整"), ("重新导出",)),
        (
            "annex1",
            error("annex1.value_unreadable", "Sheet1第7行（试点规模）无法识别：约40", component="annex1"),
            ("Sheet1第7行", "人工核对"),
        ),
        (
            "other",
            error(
                "annex1.not_found",
                "文件可以打开，但不是附件1院校试点信息统计表（没有批次/证书名称/试点规模等表头），已作为其他文件列出",
            ),
            ("重新发送",),
        ),
        (
            "other",
            error("mail.defect", "ZIP附件中的文件超过500个，其余未解压：材料.zip", component="mail"),
            ("邮件",),
        ),
        (
            "plan",
            error("internal.error", "处理该文件时程序出错（TypeError: 'NoneType'），请联系系统管理员"),
            ("系统管理员",),
        ),
        ("plan", error("limits.rows", "表格超过100000行，其余未读取"), ("人工核对", "100000行")),
    ],
)
def test_each_unchecked_part_says_what_a_person_must_do(
    kind: DocumentKind, problem: ProcessingError, must_say: tuple[str, ...]
) -> None:
    found = findings(kind, problem)
    assert [(f.rule, f.severity, f.page) for f in found] == [(MANUAL_CHECK, Severity.WARNING, problem.page)]
    message = found[0].message
    for words in must_say:
        assert words in message, message
    # in the reviewers' words: no program names, no codes
    assert "Error" not in message and problem.code not in message


def test_file_errors_keep_their_own_finding_only() -> None:
    found = findings(
        "plan",
        error("file.encrypted", "PDF设置了打开密码"),
        error("file.unreadable", "PDF结构损坏，无法解析（PDFSyntaxError）"),
        status="failed",
    )
    assert [(f.rule, f.severity) for f in found] == [
        ("file.unreadable", Severity.ERROR),
        ("file.encrypted", Severity.ERROR),
    ]
    assert (
        found[0].message
        == "PDF结构损坏，无法解析。文件已损坏或不完整，无法打开，请学校重新生成文件后重新提交。"
    )
    assert found[1].message.startswith("PDF设置了打开密码。") and "取消密码" in found[1].message


def test_an_unregistered_file_code_is_not_lost() -> None:
    """A reader may report a file.* code that no rule is registered for (a new limit): it
    still reaches the problem list rather than vanishing."""
    found = findings("plan", error("file.too_many_pages", "PDF超过2000页，只读取了前2000页"))
    assert [f.rule for f in found] == [MANUAL_CHECK]
    assert "2000页" in found[0].message


def test_scanned_pages_of_one_pdf_make_one_finding_with_the_agreement_note() -> None:
    found = findings(
        "plan",
        error(
            "agreement.unverified",
            "文字层中未找到合作协议；第3、4页为扫描页，是否为已签署的协议需人工核对",
            3,
        ),
        error("ocr.required", "第3页没有文字层（扫描页），需OCR识别", 3, component="ocr"),
        error("ocr.required", "第4页没有文字层（扫描页），需OCR识别", 4, component="ocr"),
        error("plan.field_unplaced", "方案中“考核时间段”的内容未能自动识别，需人工核对", 1),
    )
    assert [(f.rule, f.page) for f in found] == [(MANUAL_CHECK, 3), (MANUAL_CHECK, 1)]
    assert "合作协议" in found[0].message and "请人工查看第3、4页" in found[0].message
    assert "考核时间段" in found[1].message


def test_scanned_pages_without_an_agreement_question() -> None:
    found = findings(
        "plan",
        error("ocr.required", "第2页没有文字层（扫描页），需OCR识别", 2, component="ocr"),
        error("ocr.required", "第6页没有文字层（扫描页），需OCR识别", 6, component="ocr"),
    )
    assert [(f.rule, f.page) for f in found] == [(MANUAL_CHECK, 2)]
    assert "请人工查看第2、6页" in found[0].message and "协议与方案" not in found[0].message


def test_a_clean_file_gets_nothing() -> None:
    assert findings("plan", status="ok") == []
