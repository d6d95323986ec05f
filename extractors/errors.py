"""The one exception hierarchy of pilot-intake.

Every failure a user can meet is a ``PilotIntakeError`` carrying a Chinese remedy (what the
school or the operator should do). Input-file failures carry the ``file.*`` rule id that the
checks turn into a finding; ``flows/cli.py`` is the one place that maps them to exit codes.
"""

from __future__ import annotations


class PilotIntakeError(Exception):
    """Base class. ``remedy`` says what to do about it, in reviewers' words."""

    remedy: str = "请联系系统管理员。"

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        super().__init__(message)
        if remedy is not None:
            self.remedy = remedy

    def __str__(self) -> str:
        return f"{self.args[0]}（处理办法：{self.remedy}）"


class InputFileError(PilotIntakeError):
    """The received file itself cannot be read; ``rule`` is its ``file.*`` finding id."""

    rule: str = "file.unreadable"


class EmptyFileError(InputFileError):
    rule = "file.empty"
    remedy = "文件为空（0字节或没有页面），请学校重新导出并上传完整的PDF文件。"


class EncryptedFileError(InputFileError):
    rule = "file.encrypted"
    remedy = "文件设置了打开密码，请学校取消密码保护后重新上传（或另行提供密码）。"


class UnreadableFileError(InputFileError):
    rule = "file.unreadable"
    remedy = "文件已损坏或不完整，无法打开，请学校重新生成PDF并上传。"


class UnsupportedFormatError(InputFileError):
    rule = "file.unsupported_format"
    remedy = "文件格式不受支持，请学校以PDF格式（试点工作方案与合作协议合并为一个PDF）重新上传。"


class ExternalToolError(PilotIntakeError):
    """An external program (tesseract, ...) is missing or failed on a valid input."""

    remedy = "请检查服务器上的外部工具是否已安装（运行 make setup）。"


class TransientError(PilotIntakeError):
    """Worth retrying: a lost database connection, a busy server, a timeout."""

    remedy = "临时故障，系统会自动重试；若持续出现请检查数据库或网络。"


class ConfigurationError(PilotIntakeError):
    """The round configuration or the command line is wrong."""

    remedy = "请检查轮次配置文件和命令行参数。"


class OcrError(ExternalToolError):
    """The OCR engine failed on a page (missing binary or language data, crash, time-out).
    The page is then listed for a person to read; the rest of the file goes on."""

    remedy = "OCR识别失败：请检查服务器上的tesseract及中文语言包（运行 make setup），或转人工审核该页。"


class LimitExceededError(InputFileError):
    """A file, or a part of it, goes past a processing limit (schemas/limits.py): reading
    stopped there, so the file costs no more than the limit. The message names the limit,
    the value met and the limit itself, then what the school should change; the ``file.*``
    finding adds what to resend for the kind of file."""

    rule = "file.too_large"
    remedy = "文件超出系统处理上限，未经自动检查：请学校精简文件后重新提交。"

    def __init__(self, limit: str, found: str, maximum: str, *, fix: str, remedy: str | None = None) -> None:
        self.limit, self.found, self.maximum, self.fix = limit, found, maximum, fix
        super().__init__(f"{limit}超过处理上限：{found}，上限为{maximum}。{fix}", remedy=remedy)


class ArchiveLimitError(LimitExceededError):
    """An archive's members were not all opened: nested too deep, too many, too large."""

    rule = "file.archive_incomplete"
    remedy = "压缩包中有文件未解压：请学校把文件直接作为邮件附件（不要多层压缩）重新发送。"


class TimeLimitError(LimitExceededError):
    """Reading one file took longer than its time limit; it was stopped where it was."""

    rule = "file.timeout"
    remedy = "文件处理超时，未经自动检查：请人工查看该文件；如文件过于复杂，请学校重新导出后提交。"
