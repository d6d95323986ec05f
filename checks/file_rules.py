"""Processing errors -> findings: nothing received is invisible.

The readers record what went wrong with a file as ProcessingErrors on its DocumentResult.

- A ``file.*`` error means the file as a whole cannot be read; its rule (the error's code)
  becomes an error-level finding with the remedy the school must follow. What to resend
  depends on what the file was meant to be: a plan is one merged PDF, Attachment 1 a
  spreadsheet or a scan of the signed, stamped paper.
- A file past a processing limit (schemas/limits.py) is one too: ``file.too_large`` (size,
  pages, pixels, inflated data, rows, columns), ``file.archive_incomplete`` (archive members
  not opened: nested too deep, too many, too large, a bomb) and ``file.timeout``. The reader's
  note names the limit, the value met and the limit, and what to change; the finding adds
  what to resend.
- Every other error is a file that was not checked in full: a scan waiting for OCR, an
  unreadable page, a field the extractor could not place, a table cell it could not read, a
  mail defect, a step that failed. ``review.manual_check`` turns each into a warning that says
  what a person must look at and where; a note is never an error, because nothing is known to
  be wrong, only unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks.registry import REGISTRY, RuleHit, rule
from checks.seal_rules import seal_doubts
from schemas.document import DocumentKind, DocumentResult, ProcessingError
from schemas.finding import Severity
from schemas.round_config import RoundConfig

MANUAL_CHECK = "review.manual_check"

NAMES: dict[str, str] = {
    "file.empty": "文件为空",
    "file.unreadable": "文件损坏，无法打开",
    "file.encrypted": "文件已加密",
    "file.unsupported_format": "文件格式不受支持",
    "file.too_large": "文件超出处理上限",
    "file.archive_incomplete": "压缩包未能完整解压",
    "file.timeout": "文件处理超时",
}

# What the school must do; the reader's own note (文件为0字节, PDF设置了打开密码) says why.
REMEDIES: dict[str, str] = {
    "file.empty": "文件为空，请学校重新导出完整文件后重新提交。",
    "file.unreadable": "文件已损坏或不完整，无法打开，请学校重新生成文件后重新提交。",
    "file.encrypted": "请学校取消密码和权限限制后重新提交。",
    "file.unsupported_format": "文件格式不受支持：试点工作方案与合作协议请合并为一个PDF提交。",
    "file.too_large": "处理后请学校重新提交该文件。",
    "file.archive_incomplete": "未解压的文件未经任何检查，也不在文件清单中。",
    "file.timeout": "请人工查看该文件；如文件过大，请学校精简（如降低扫描分辨率）后重新提交。",
}

# After a limit: what to resend, by what the file was meant to be.
_RESEND_BY_KIND: dict[DocumentKind, str] = {
    "plan": "处理后请学校重新提交试点工作方案（与合作协议合并为一个PDF）。",
    "annex1": "处理后请学校重新发送附件1统计表（Excel或Word格式），并附签字盖章纸质件的扫描件。",
    "other": REMEDIES["file.too_large"],
}

# The unsupported-format remedy names the format the school must use, which depends on the kind.
UNSUPPORTED_BY_KIND: dict[DocumentKind, str] = {
    "plan": REMEDIES["file.unsupported_format"],
    "annex1": (
        "文件格式不受支持：附件1统计表请以Excel（.xlsx/.xls）或Word（.docx）格式发送，"
        "并附签字盖章纸质件的扫描件（PDF或JPG），请学校重新发送。"
    ),
    "other": "文件格式不受支持，请学校以PDF、Excel（.xlsx）或Word（.docx）格式重新提交。",
}


def remedy(rule_id: str, kind: DocumentKind) -> str:
    if rule_id == "file.unsupported_format":
        return UNSUPPORTED_BY_KIND[kind]
    if rule_id == "file.too_large":
        return _RESEND_BY_KIND[kind]
    if rule_id == "file.timeout" and kind != "other":
        return f"该文件未经自动检查，请人工查看；如文件过大，请学校精简（如降低扫描分辨率）后{_RESEND_BY_KIND[kind].removeprefix('处理后请学校')}"
    return REMEDIES[rule_id]


def _file_rule(rule_id: str) -> None:
    def check(result: DocumentResult, config: RoundConfig) -> Iterator[RuleHit]:
        for error in result.errors:
            if error.code == rule_id:
                note = reader_words(error.message)
                yield RuleHit(
                    message=f"{note}。{remedy(rule_id, result.kind)}",
                    page=error.page,
                    evidence=error.evidence,
                )

    rule(rule_id, Severity.ERROR, NAMES[rule_id], "file")(check)


for _rule_id in REMEDIES:
    _file_rule(_rule_id)


# --- review.manual_check ------------------------------------------------------------------

# What a person must do about a file that was checked in part only, by what the file is.
_WHOLE_SCAN: dict[DocumentKind, str] = {
    "annex1": "表中各项数据、主管领导签字和学校公章均未经自动检查，请人工逐项核对。",
    "plan": "方案各项内容、不收费声明、学校公章和合作协议均未经自动检查，请人工审核。",
    "other": "该文件内容未经自动检查，请人工查看。",
}
_NOT_ANNEX1: dict[DocumentKind, str] = {
    "annex1": "请人工打开该文件核对已有试点和新申报情况；如表格不完整，请学校重新发送附件1统计表。",
    "plan": "请人工打开该文件核对；如表格不完整，请学校重新发送。",
    "other": "请人工确认该文件不是附件1；如学校本意是报送附件1，请学校重新发送正确的附件1统计表。",
}
_BROKEN_STEP = "系统处理该文件时出错，文件内容未经自动检查：请人工审核该文件，并将此情况告知系统管理员。"

# A trailing "need a person" phrase of the reader's own note, replaced by the instruction here.
_TRAILING_ASK = re.compile(r"[，,；;]?\s*(?:需|请)(?:人工核对|人工审核)[。.]?$")
# A program's exception name in brackets ((KeyError), （PDFSyntaxError: …）): not for reviewers.
_EXCEPTION = re.compile(r"[（(][A-Z][A-Za-z0-9_.]*(?:Error|Exception|Warning)\b[^）)]*[）)]")


def reader_words(message: str) -> str:
    """The reader's note without the program's words (exception names), without a final stop."""
    return _EXCEPTION.sub("", message).strip().rstrip("。. ")


def plain_note(message: str) -> str:
    """The reader's note without the program's words and without its closing request."""
    return _TRAILING_ASK.sub("", reader_words(message)).rstrip("，,；;。 ")


def _pages(numbers: list[int]) -> str:
    return "第" + "、".join(str(number) for number in numbers) + "页"


def manual_check_message(error: ProcessingError, kind: DocumentKind) -> str:
    """One processing error in a reviewer's words: what could not be checked, and what a
    person must look at (naming the page where there is one) or what the school must resend."""
    code, page = error.code, error.page
    note = plain_note(error.message)
    where = f"第{page}页" if page else "该页"
    if code == "ocr.required":
        return f"{note}。{_WHOLE_SCAN[kind]}"
    if code in ("page.unreadable", "page.text_undecodable"):
        return (
            f"{note}。{where}内容未经自动检查，请人工查看{where}；如该页显示异常，请学校重新导出PDF后提交。"
        )
    if code == "pdf.repaired":
        return f"{note}。请人工核对页数和各页内容是否完整；如有缺失，请学校重新导出PDF后提交。"
    if code == "plan.field_unplaced":
        pages = f"第{page}页起" if page else ""
        return f"{note}。该项未参与自动检查，请人工查看方案{pages}该项填写的内容。"
    if code == "agreement.unverified":
        return (
            f"{error.message.rstrip('。')}。如不是已签署的合作协议，请学校将协议与方案合并为一个PDF重新提交。"
        )
    if code == "annex1.not_found":
        return f"{note}。{_NOT_ANNEX1[kind]}"
    if code == "annex1.value_unreadable":
        return f"{note}。该项未参与自动检查，请人工核对；如填写有误，请学校更正后重新报送。"
    if code in ("annex1.parse_error", "internal.error"):
        return _BROKEN_STEP
    if code == "mail.defect":
        return f"邮件有问题：{note}。请人工查看该邮件，确认附件是否齐全、能否打开；如有缺失，请学校重新发送。"
    if code == "seal.unchecked":
        return f"{reader_words(error.message)}。"
    if code == "mail.no_attachments":
        return f"{note}。"
    return f"{note}。该文件未能完整自动检查，请人工核对。"


def _scanned_pages_hit(errors: list[ProcessingError], agreement: ProcessingError | None) -> RuleHit:
    """The pages of an otherwise readable PDF that are scans, in one finding: with the note
    that the agreement may be among them when the text layer has none."""
    numbers = sorted({error.page for error in errors if error.page is not None})
    pages = _pages(numbers)
    unchecked = f"{pages}是扫描页，这些页上的内容（如签字、公章）未经自动检查，请人工查看{pages}。"
    if agreement is not None:
        message = (
            f"{reader_words(agreement.message)}。如不是已签署的合作协议，请学校将协议与方案合并为一个PDF"
            f"重新提交；{unchecked}"
        )
        return RuleHit(message=message, page=agreement.page or numbers[0])
    return RuleHit(message=unchecked, page=numbers[0])


@rule(MANUAL_CHECK, Severity.WARNING, "未能完整自动检查，需人工核对", "file")
def manual_check(result: DocumentResult, config: RoundConfig) -> Iterator[RuleHit]:
    """Every processing error that no ``file.*`` rule reports: a file the rules could check in
    part only, or not at all, so that it stands in the problem list for a person. The scanned
    pages of one PDF make one finding (with the unverified agreement they may hold)."""
    unreported = []
    for error in result.errors:
        registered = REGISTRY.get(error.code)
        if registered is not None and registered.subject == "file" and registered.id != MANUAL_CHECK:
            continue  # its own file.* finding says what to resend
        unreported.append(error)
    scanned = [e for e in unreported if e.code == "ocr.required" and e.page is not None]
    agreement = next((e for e in unreported if e.code == "agreement.unverified"), None)
    grouped = False
    for error in unreported:
        if error in scanned or (error is agreement and scanned):
            if not grouped:
                grouped = True
                yield _scanned_pages_hit(scanned, agreement)
            continue
        yield RuleHit(
            message=manual_check_message(error, result.kind), page=error.page, evidence=error.evidence
        )
    yield from seal_doubts(result)
