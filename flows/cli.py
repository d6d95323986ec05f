"""The ``pilot-intake`` command line, and the one place that maps failures to exit codes.

Exit codes:
  0  the batch was processed (findings are the product, not a failure)
  1  an internal error: a bug; the message says where
  2  wrong command line or round configuration
  3  the input folder does not exist or cannot be read
  4  the review database cannot be reached or written
  5  the batch was processed, but some files could not be read (see the report: file.* findings)
  6  an external tool is missing (tesseract, ...)
  7  the inbox (IMAP server) cannot be reached right now; the next run tries again
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from extractors.errors import ConfigurationError, ExternalToolError, PilotIntakeError, TransientError
from flows.local_server import (
    STARTUP_TIMEOUT_SECONDS,
    local_prefect_server,
    temporary_server_environment,
    temporary_server_starting,
)
from flows.settings import Settings
from schemas.round_config import RoundConfig, load_round_config

if TYPE_CHECKING:
    from flows.process import RunSummary

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INPUT_MISSING = 3
EXIT_DATABASE = 4
EXIT_UNREADABLE_FILES = 5
EXIT_TOOL = 6
EXIT_TRANSIENT = 7

log = logging.getLogger("pilot_intake")


class InputFolderError(PilotIntakeError):
    remedy = "请检查输入目录路径是否正确、是否有读取权限。"


def exit_code_for(error: BaseException) -> int:
    """The single mapping from an exception to the process exit code."""
    if isinstance(error, InputFolderError):
        return EXIT_INPUT_MISSING
    if isinstance(error, (ConfigurationError, ValidationError, FileNotFoundError)):
        return EXIT_USAGE
    if isinstance(error, (OperationalError, SQLAlchemyError)):
        return EXIT_DATABASE
    if isinstance(error, ExternalToolError):
        return EXIT_TOOL
    if isinstance(error, TransientError):
        return EXIT_TRANSIENT
    return EXIT_INTERNAL


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_environment(
        db_url=args.db, archive_dir=getattr(args, "archive", None), round_file=args.round
    )


def _round(settings: Settings) -> RoundConfig:
    path = settings.round_file
    if path is not None and not path.is_file():
        raise ConfigurationError(f"轮次配置文件不存在：{path}")
    return load_round_config(path)


def _sources(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The upload folder and the inbox spec of a ``process`` or ``serve`` command, checked."""
    folder = getattr(args, "folder", None) or getattr(args, "uploads", None)
    inbox = args.inbox or os.environ.get("PILOT_INTAKE_INBOX")
    if not folder and not inbox:
        raise ConfigurationError(
            "没有指定输入：请给出上传目录，或用 --inbox 指定收件箱（或设置 PILOT_INTAKE_INBOX）"
        )
    if folder and not Path(folder).is_dir():
        raise InputFolderError(f"上传目录不存在或不是目录：{folder}")
    if inbox and not inbox.startswith("imap") and not Path(inbox).is_dir():
        raise InputFolderError(f"收件箱目录不存在或不是目录：{inbox}")
    return folder, inbox


# Set before Prefect loads: it reads its settings once, when first imported. The tests that
# run the flow in-process take them too. Reviewers read the run log: one Chinese line per
# document is enough, Prefect's per-task "Finished in state Completed()" is not; the embedded
# temporary server has no network to send telemetry to, and its shutdown races with its own
# event flushing (harmless tracebacks), so only its critical messages are shown. Its first
# start migrates a new database, longer than Prefect's 20 s on a busy 2-core machine.
PREFECT_ENVIRONMENT = {
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LOGGERS_PREFECT_SERVER_LEVEL": "CRITICAL",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(STARTUP_TIMEOUT_SECONDS),
}
QUIET_PREFECT = PREFECT_ENVIRONMENT  # the name tests/conftest.py imports


def _prefect_state_dir(settings: Settings) -> Path:
    """``out/prefect``: the local Prefect server's home and the temporary server's database."""
    return Path(os.environ.get("PILOT_INTAKE_PREFECT_HOME", str(settings.cache_dir.parent / "prefect")))


def _prepare_prefect(settings: Settings) -> None:
    # The extraction cache (Prefect task results keyed by content hash) lives beside the
    # archive unless the operator configured Prefect's storage.
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(settings.cache_dir.resolve()))
    for name, value in PREFECT_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def _import_intake(settings: Settings) -> Callable[..., RunSummary]:
    """The intake flow; without ``PREFECT_API_URL`` Prefect's temporary API server is started
    first (its database in out/prefect/) and boots while the flow's modules load."""
    if os.environ.get("PREFECT_API_URL"):
        from flows.process import intake

        return intake
    state = _prefect_state_dir(settings)
    os.environ.update(temporary_server_environment(os.environ, state))
    with temporary_server_starting(state):
        from flows.process import intake
    return intake


def command_process(args: argparse.Namespace) -> int:
    folder, inbox = _sources(args)
    settings = _settings(args)
    _round(settings)  # fail on a bad round file before Prefect starts
    _prepare_prefect(settings)
    intake = _import_intake(settings)
    summary = intake(settings, uploads=folder, inbox=inbox)
    mail = f"新邮件 {summary.messages_new} 封，" if inbox else ""
    print(
        f"处理完成：{mail}收到文件 {summary.files_received} 个，新处理 {summary.documents_new} 份，"
        f"未变化 {summary.documents_unchanged} 份，替换旧版本 {summary.documents_superseded} 份，"
        f"无法读取 {summary.files_unreadable} 份；错误 {summary.findings_error} 条，警告 {summary.findings_warning} 条，"
        f"学校层面问题 {summary.school_findings_open} 条"
    )
    if args.report:
        command_report_to(settings, Path(args.report), authority=None)
    if summary.internal_errors:
        return EXIT_INTERNAL
    return EXIT_UNREADABLE_FILES if summary.files_unreadable else EXIT_OK


_INTERVAL = re.compile(r"^(\d+)\s*([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> int:
    """``10m``, ``30s``, ``1h``, ``600`` -> seconds."""
    found = _INTERVAL.match(text.strip().lower())
    if not found or int(found.group(1)) == 0:
        raise ConfigurationError(f"无法识别的时间间隔：{text}（示例：10m、30s、1h）")
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]


def command_serve(args: argparse.Namespace) -> int:
    folder, inbox = _sources(args)
    settings = _settings(args)
    _round(settings)
    seconds = parse_interval(args.every)
    _prepare_prefect(settings)
    parameters = {
        "settings": settings.model_dump(mode="json"),
        "uploads": str(Path(folder).resolve()) if folder else None,
        "inbox": inbox if inbox is None or inbox.startswith("imap") else str(Path(inbox).resolve()),
    }
    if os.environ.get("PREFECT_API_URL"):
        return _serve(parameters, seconds)
    home = _prefect_state_dir(settings)
    with local_prefect_server(home, home / "server.log") as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        print(f"已启动本地Prefect服务器：{api_url}（日志：{home / 'server.log'}）", flush=True)
        return _serve(parameters, seconds)


def _serve(parameters: dict[str, Any], seconds: int) -> int:
    from flows.process import intake

    print(f"定时接收已启动：每 {seconds} 秒检查一次收件箱和上传目录（Ctrl+C 停止）", flush=True)
    # limit=1: a run that outlasts the interval is not overtaken by the next one.
    intake.serve(name="pilot-intake-scheduled", interval=seconds, parameters=parameters, limit=1)
    return EXIT_OK


@contextmanager
def _review_session(settings: Settings) -> Iterator[Session]:
    """A session on the migrated review database, for the commands that only read it."""
    from review.db import make_engine, migrate, session_factory

    engine = make_engine(settings.db_url)
    migrate(engine)
    with session_factory(engine)() as session:
        yield session


def command_report_to(settings: Settings, path: Path, *, authority: str | None) -> None:
    from review.queries import check_authority
    from review.report_xlsx import write_exception_report

    with _review_session(settings) as session:
        check_authority(authority, _round(settings), session)
        write_exception_report(
            session, _round(settings), path, authority=authority, archive_dir=settings.archive_dir
        )
    print(f"问题清单已写入：{path}")


def command_report(args: argparse.Namespace) -> int:
    command_report_to(_settings(args), Path(args.xlsx), authority=args.authority)
    return EXIT_OK


def command_export(args: argparse.Namespace) -> int:
    from review.export_json import write_export
    from review.queries import check_authority

    settings = _settings(args)
    path = Path(args.json)
    with _review_session(settings) as session:
        check_authority(args.authority, _round(settings), session)
        export = write_export(session, _round(settings), path, authority=args.authority)
    print(f"已导出 {len(export.documents)} 份文件、{len(export.schools)} 所学校：{path}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pilot-intake",
        description="1+X证书试点申报材料的自动接收、识别与审核（试点工作方案、合作协议、附件1统计表）",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", help="审核数据库URL（默认 sqlite:///out/review.sqlite3，或环境变量 PILOT_INTAKE_DB_URL）"
    )
    common.add_argument(
        "--round", help="轮次配置文件（TOML，默认内置的2022年湖南轮次，或 PILOT_INTAKE_ROUND）"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    inbox_help = (
        "收件箱：.eml文件目录或Maildir目录，或 imap（连接参数取自 PILOT_INTAKE_IMAP_* 环境变量），"
        "默认取环境变量 PILOT_INTAKE_INBOX"
    )
    archive_help = "原始文件归档目录（默认 out/archive，或 PILOT_INTAKE_ARCHIVE）"
    process = commands.add_parser("process", parents=[common], help="处理收件箱中的邮件和上传目录中的方案PDF")
    process.add_argument("folder", nargs="?", help="上传目录（从国家平台导出的PDF所在目录）")
    process.add_argument("--inbox", help=inbox_help)
    process.add_argument("--archive", help=archive_help)
    process.add_argument("--report", help="处理后同时写出问题清单（xlsx）")
    process.set_defaults(handler=command_process)

    serve = commands.add_parser("serve", parents=[common], help="定时接收：按固定间隔处理收件箱和上传目录")
    serve.add_argument("--every", default="10m", help="间隔，例如 10m、30s、1h（默认 10m）")
    serve.add_argument("--uploads", help="上传目录")
    serve.add_argument("--inbox", help=inbox_help)
    serve.add_argument("--archive", help=archive_help)
    serve.set_defaults(handler=command_serve)

    authority_help = "只输出某一审核单位的学校：province（省教育厅）或市州名称，例如 长沙市"
    report = commands.add_parser("report", parents=[common], help="写出问题清单（xlsx）")
    report.add_argument("--xlsx", required=True, help="输出文件，例如 out/问题清单.xlsx")
    report.add_argument("--authority", help=authority_help)
    report.set_defaults(handler=command_report)

    export = commands.add_parser("export", parents=[common], help="导出JSON（设计文档第5节的格式）")
    export.add_argument("--json", required=True, help="输出文件，例如 out/export.json")
    export.add_argument("--authority", help=authority_help)
    export.set_defaults(handler=command_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    from review.display import DisplayFilter

    # File names and subjects reach the log: shown safely, as in the report and the export.
    for log_handler in logging.getLogger().handlers:
        log_handler.addFilter(DisplayFilter())
    for chatty in ("httpx", "httpcore", "alembic"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except PilotIntakeError as error:
        print(f"错误：{error}", file=sys.stderr)
        return exit_code_for(error)
    except (SQLAlchemyError, ValidationError, FileNotFoundError) as error:
        print(f"错误：{type(error).__name__}: {error}", file=sys.stderr)
        return exit_code_for(error)


if __name__ == "__main__":
    sys.exit(main())
