"""End to end through the real command line, Prefect's local API and a real database:
a folder of generated plans and bad files in; the review database, the exception report and
the JSON export out. A rerun adds nothing; a corrected file becomes version 2 and shows what
was fixed."""

import json
import os
from pathlib import Path

import openpyxl
import pytest
from cli_runner import run_cli
from shared_data import CORPUS as SHARED_CORPUS

from fixtures.generate import build_document
from schemas.export import ExportFile
from schemas.round_config import load_round_config

CORPUS = SHARED_CORPUS / "pdf"
SEED = 31
# index -> variant; index 2's defect gets corrected in the third run.
DOCUMENTS = {1: "clean", 2: "fee_negated", 3: "level_invalid", 4: "agreement_missing"}


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
    env.pop("PREFECT_API_URL", None)
    env.pop("PILOT_INTAKE_DB_URL", None)
    return env


def write_uploads(folder: Path) -> dict[str, Path]:
    """Plans under a school's subfolder (as exported per school) plus three bad files."""
    config = load_round_config()
    paths: dict[str, Path] = {}
    for index, variant in DOCUMENTS.items():
        document = build_document(index, variant, SEED, config)
        path = folder / "plans" / document.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(document.pdf)
        paths[variant] = path
    (folder / "encrypted.pdf").write_bytes((CORPUS / "pdfplumber__password-example.pdf").read_bytes())
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "方案.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 60)
    return paths


def load_export(path: Path) -> ExportFile:
    return ExportFile.model_validate(json.loads(path.read_text(encoding="utf-8")))


def test_process_rerun_and_correction(db_url: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    paths = write_uploads(uploads)
    common = ["--db", db_url]
    process = ["process", str(uploads), *common, "--archive", str(tmp_path / "archive")]
    export_path = tmp_path / "export.json"
    report_path = tmp_path / "report.xlsx"

    first = run_cli([*process, "--report", str(report_path)], cli_env, tmp_path)
    assert first.returncode == 5, first.stdout + first.stderr  # processed, some files unreadable
    assert "无法读取 3 份" in first.stdout
    assert run_cli(["export", "--json", str(export_path), *common], cli_env, tmp_path).returncode == 0
    export = load_export(export_path)
    by_source = {d.source: d for d in export.documents}
    expected_sources = {p.relative_to(uploads).as_posix() for p in uploads.rglob("*") if p.is_file()}
    assert set(by_source) == expected_sources  # nothing received is invisible
    assert {f.rule for f in by_source["encrypted.pdf"].findings} == {"file.encrypted"}
    assert {f.rule for f in by_source["empty.pdf"].findings} == {"file.empty"}
    assert {f.rule for f in by_source["方案.docx"].findings} == {"file.unsupported_format"}
    assert by_source["encrypted.pdf"].status == "failed"
    negated = by_source[paths["fee_negated"].relative_to(uploads).as_posix()]
    assert "plan.no_fee_declaration" in {f.rule for f in negated.findings}
    assert negated.version == 1 and negated.superseded_by is None
    clean = by_source[paths["clean"].relative_to(uploads).as_posix()]
    assert clean.status == "ok" and not [f for f in clean.findings if f.severity == "error"]
    assert clean.data is not None and clean.data.kind == "plan" and clean.data.candidates

    workbook = openpyxl.load_workbook(report_path)
    sheet = workbook["问题清单"]
    rule_column = [cell.value for cell in sheet[1]].index("规则编号")
    rules = {row[rule_column] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {
        "plan.no_fee_declaration",
        "plan.level_invalid",
        "plan.agreement_missing",
        "file.encrypted",
    } <= rules

    second = run_cli(process, cli_env, tmp_path)
    assert second.returncode == 5
    assert "新处理 0 份" in second.stdout and "未变化 7 份" in second.stdout
    assert run_cli(["export", "--json", str(export_path), *common], cli_env, tmp_path).returncode == 0
    assert len(load_export(export_path).documents) == len(export.documents)

    corrected = build_document(2, "clean", SEED, load_round_config())
    paths["fee_negated"].write_bytes(corrected.pdf)
    third = run_cli(process, cli_env, tmp_path)
    assert third.returncode == 5
    assert "替换旧版本 1 份" in third.stdout
    assert run_cli(["export", "--json", str(export_path), *common], cli_env, tmp_path).returncode == 0
    export = load_export(export_path)
    versions = [d for d in export.documents if d.school == negated.school and d.kind == "plan"]
    versions = [d for d in versions if d.data is not None and d.data.certificate == negated.data.certificate]  # type: ignore[union-attr]
    assert sorted(d.version for d in versions) == [1, 2]
    old = next(d for d in versions if d.version == 1)
    new = next(d for d in versions if d.version == 2)
    assert old.superseded_by == new.sha256
    assert "plan.no_fee_declaration" not in {f.rule for f in new.findings}


def test_exit_codes_for_bad_invocations(cli_env: dict[str, str], tmp_path: Path) -> None:
    missing = run_cli(["process", str(tmp_path / "nowhere")], cli_env, tmp_path)
    assert missing.returncode == 3
    assert "上传目录不存在" in missing.stderr
    (tmp_path / "in").mkdir()
    bad_round = run_cli(
        ["process", str(tmp_path / "in"), "--round", str(tmp_path / "none.toml")], cli_env, tmp_path
    )
    assert bad_round.returncode == 2
    assert "轮次配置文件不存在" in bad_round.stderr
