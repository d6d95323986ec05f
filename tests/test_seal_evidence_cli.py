"""A seal finding's crop, end to end through the real command line: the PNG is in the archive
under the name the finding and the export give, and the exception report shows it in the
evidence cell with a link to the file."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from cli_runner import run_cli
from shared_data import OUTSIDE_ROUND

from schemas.export import ExportFile

OUTSIDE = OUTSIDE_ROUND
UNSTAMPED_PLAN = "石门县机电职业技术学校/石门县机电职业技术学校-幼儿照护（初级）试点方案及合作协议.pdf"


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
    env.pop("PREFECT_API_URL", None)
    env.pop("PILOT_INTAKE_DB_URL", None)
    return env


def test_the_seal_crop_is_archived_exported_and_shown_in_the_report(
    db_url: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    uploads = tmp_path / "uploads"
    target = uploads / UNSTAMPED_PLAN
    target.parent.mkdir(parents=True)
    shutil.copyfile(OUTSIDE / "uploads" / UNSTAMPED_PLAN, target)
    archive, report, export_path = (
        tmp_path / "archive",
        tmp_path / "out" / "report.xlsx",
        tmp_path / "export.json",
    )
    common = ["--db", db_url, "--round", str(OUTSIDE / "round.toml")]
    process = run_cli(
        ["process", str(uploads), *common, "--archive", str(archive), "--report", str(report)],
        cli_env,
        tmp_path,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    assert run_cli(["export", "--json", str(export_path), *common], cli_env, tmp_path).returncode == 0

    export = ExportFile.model_validate(json.loads(export_path.read_text(encoding="utf-8")))
    (document,) = export.documents
    seal = [f for f in document.findings if f.rule == "plan.seal_missing"]
    assert len(seal) == 1 and seal[0].evidence is not None
    crop = archive / seal[0].evidence
    assert crop.is_file() and crop.read_bytes().startswith(b"\x89PNG")

    book = openpyxl.load_workbook(report)
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    evidence_column = headers.index("证据") + 1
    rows = [
        row
        for row in sheet.iter_rows(min_row=2)
        if row[headers.index("规则编号")].value == "plan.seal_missing"
    ]
    assert len(rows) == 1
    cell = rows[0][evidence_column - 1]
    assert cell.hyperlink is not None
    assert (report.parent / cell.hyperlink.target).resolve() == crop.resolve()
    assert len(sheet._images) >= 1  # the thumbnail sits in the evidence cell
