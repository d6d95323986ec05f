"""``file.*`` rules: a file that cannot be read becomes a finding that says what to resend.

The reader records why a file failed as a ProcessingError whose code is the rule id; these
rules turn each into the reviewer's finding, with the remedy the school must follow. What to
resend depends on what the file was meant to be: a plan is one merged PDF, Attachment 1 a
spreadsheet or a scan of the signed, stamped paper.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.registry import RuleHit, rule
from schemas.document import DocumentKind, DocumentResult
from schemas.finding import Severity
from schemas.round_config import RoundConfig

REMEDIES: dict[str, str] = {
    "file.empty": "文件为空（0字节或没有页面），请学校重新导出完整文件后重新提交。",
    "file.unreadable": "文件已损坏或不完整，无法打开，请学校重新生成文件后重新提交。",
    "file.encrypted": "文件已加密，请学校取消密码和权限限制后重新提交。",
    "file.unsupported_format": "文件格式不受支持：试点工作方案与合作协议请合并为一个PDF提交。",
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
    return REMEDIES[rule_id]


def _file_rule(rule_id: str) -> None:
    def check(result: DocumentResult, config: RoundConfig) -> Iterator[RuleHit]:
        for error in result.errors:
            if error.code == rule_id:
                yield RuleHit(message=f"{error.message}。{remedy(rule_id, result.kind)}", page=error.page)

    rule(rule_id, Severity.ERROR, REMEDIES[rule_id], "file")(check)


for _rule_id in REMEDIES:
    _file_rule(_rule_id)
