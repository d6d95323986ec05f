"""Through the real command line: a generated round plus a control character in an upload's
file name and in an e-mail's subject, and a scan. ``process``, ``report`` and ``export`` all
finish; the workbook and the export show the odd characters as visible symbols and carry no
internal key in any message; every unchecked file stands in the problem list; the database
keeps what was received."""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run_cli
from openpyxl import load_workbook
from PIL import Image

from fixtures.round import generate_round
from schemas.export import ExportFile

SUBJECT_MARK = "\x01"
NAME_MARK = "\x02"
RULE_ID = re.compile(r"[a-z0-9]+\.[a-z_]+")
FIELD_PATH = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
FILE_NAME = re.compile(
    r"[^\s/“”《》（）()：:]+\.(?:pdf|xlsx|xls|docx|doc|eml|zip|rar|jpg|jpeg|png)\b", re.IGNORECASE
)
MESSAGE_COLUMNS = {"问题说明", "证据", "说明", "已更正的问题", "仍存在的问题", "新出现的问题", "邮件问题"}


def internal_words(text: str) -> list[str]:
    cleaned = FILE_NAME.sub("", EMAIL.sub("", text))
    return RULE_ID.findall(cleaned) + FIELD_PATH.findall(cleaned)


def scan_pdf() -> bytes:
    """A PDF that is only a picture of a blank sheet: nothing in it to check, so the school must resend."""
    buffer = io.BytesIO()
    Image.new("RGB", (620, 877), "white").save(buffer, format="PDF")
    return buffer.getvalue()


def hostile_round(folder: Path) -> tuple[str, str]:
    """The round, with a control character in one e-mail's subject and one upload's name."""
    generate_round(folder, seed=3, schools=5)
    eml = sorted((folder / "inbox").glob("*.eml"))[0]
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.compat32)
    subject = f"关于报送{SUBJECT_MARK}试点信息统计表的函"
    del message["Subject"]
    message["Subject"] = email.header.Header(subject, "utf-8").encode()
    eml.write_bytes(message.as_bytes())
    plan = sorted((folder / "uploads").rglob("*.pdf"))[0]
    hostile = plan.with_name(f"方案{NAME_MARK}副本.pdf")
    plan.rename(hostile)
    (hostile.parent / "扫描全能王 2022-04-24.pdf").write_bytes(scan_pdf())
    return subject, hostile.relative_to(folder / "uploads").as_posix()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
    env.pop("PREFECT_API_URL", None)
    env.pop("PILOT_INTAKE_DB_URL", None)
    return env


def sheet_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    book = load_workbook(path)
    rows: dict[str, list[dict[str, Any]]] = {}
    for sheet in book.worksheets:
        headers = [cell.value for cell in sheet[1]]
        rows[sheet.title] = [
            dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
        ]
    return rows


def test_control_characters_reach_report_and_export_safely(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "round"
    subject, hostile_source = hostile_round(folder)
    db = tmp_path / "review.sqlite3"
    common = ["--db", f"sqlite:///{db}"]
    processed = run_cli(
        [
            "process",
            str(folder / "uploads"),
            "--inbox",
            str(folder / "inbox"),
            "--archive",
            str(tmp_path / "archive"),
            "--report",
            str(tmp_path / "process-report.xlsx"),
            *common,
        ],
        env,
        tmp_path,
    )
    assert processed.returncode in (0, 5), processed.stdout + processed.stderr[-3000:]
    report = run_cli(["report", "--xlsx", str(tmp_path / "report.xlsx"), *common], env, tmp_path)
    assert report.returncode == 0, report.stderr[-3000:]
    exported = run_cli(["export", "--json", str(tmp_path / "export.json"), *common], env, tmp_path)
    assert exported.returncode == 0, exported.stderr[-3000:]

    shown_subject = subject.replace(SUBJECT_MARK, "␁")
    shown_source = hostile_source.replace(NAME_MARK, "␂")
    for path in (tmp_path / "process-report.xlsx", tmp_path / "report.xlsx"):
        sheets = sheet_rows(path)
        assert shown_subject in {row["主题"] for row in sheets["收件记录"]}
        files = {row["文件"]: row for row in sheets["文件状态"]}
        assert shown_source in files
        assert any(shown_subject in name for name in files)
        assert not any(".eml" in name for name in files)  # e-mails by sender, subject and date
        # every file that was not checked in full is in the problem list
        listed = {row["文件"] for row in sheets["问题清单"]}
        unchecked = [r for r in sheets["文件状态"] if r["处理状态"] != "正常" and r["版本状态"] == "当前版本"]
        assert any("扫描全能王" in r["文件"] for r in unchecked)
        for row in unchecked:
            assert row["文件"] in listed and row["说明"], row
        for title, rows in sheets.items():
            for row in rows:
                for header, value in row.items():
                    if header in MESSAGE_COLUMNS and value:
                        assert internal_words(str(value)) == [], (title, header, value)
                if title == "问题清单":
                    assert row["规则名称"] and row["位置"], row

    raw = (tmp_path / "export.json").read_text(encoding="utf-8")
    assert "\\u0001" not in raw and "\\u0002" not in raw
    export = ExportFile.model_validate(json.loads(raw))
    assert shown_source in {document.source for document in export.documents}
    messages = [f.message for d in export.documents for f in d.findings] + [
        f.message for s in export.schools for f in s.findings
    ]
    assert any("人工" in message for message in messages)
    for message in messages:
        assert internal_words(message) == [], message

    # the database keeps the bytes as they were received
    with sqlite3.connect(db) as connection:
        sources = {row[0] for row in connection.execute("SELECT source FROM received_files")}
        subjects = {row[0] for row in connection.execute("SELECT subject FROM messages")}
    assert hostile_source in sources and subject in subjects
