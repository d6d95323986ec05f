"""Versions only where the order of receipt is known (the demo's case of issue 8).

Two different files for one school and certificate in one upload folder arrive together: the
folder has no trustworthy order, so neither replaces the other. Both stay current with all
their findings, and the school gets a warning naming both. A file that a later run finds
after a completed one is clearly later, and replaces both. Real flow, real Prefect, SQLite.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.intake import export_of
from fixtures.generate import build_document
from flows.process import intake
from flows.settings import Settings
from schemas.round_config import load_round_config

SCHOOL = "长沙民政职业技术学院"
CERTIFICATE = "Web前端开发"


def _plan(folder: Path, name: str, index: int, variant: str) -> Path:
    document = build_document(
        index,
        variant,
        5,
        load_round_config(),
        school=SCHOOL,
        certificate=CERTIFICATE,
        level="中级",
        candidates=40,
    )
    path = folder / SCHOOL / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(document.pdf)
    return path


def test_two_plans_for_one_certificate_in_one_folder_both_stay_current(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    _plan(uploads, "方案-第一稿.pdf", 1, "clean")
    _plan(uploads, "方案（修改）.pdf", 2, "fee_negated")
    db_url = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    settings = Settings(db_url=db_url, archive_dir=tmp_path / "archive", cache_dir=tmp_path / "cache")
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(settings.cache_dir))
    intake(settings, uploads=str(uploads))

    export = export_of(db_url)
    plans = {d.source: d for d in export.documents if d.kind == "plan"}
    assert set(plans) == {f"{SCHOOL}/方案-第一稿.pdf", f"{SCHOOL}/方案（修改）.pdf"}
    assert all(d.superseded_by is None for d in plans.values())  # no guess replaces either
    negated = plans[f"{SCHOOL}/方案（修改）.pdf"]
    assert "plan.no_fee_declaration" in {f.rule for f in negated.findings}
    [school] = [s for s in export.schools if s.name == SCHOOL]
    [warning] = [f for f in school.findings if f.rule == "school.duplicate_plan"]
    assert warning.severity == "warning"
    assert "方案-第一稿.pdf" in warning.message and "方案（修改）.pdf" in warning.message

    # A later run finds a third file: after a completed run, it is clearly the newest.
    _plan(uploads, "方案-定稿.pdf", 3, "clean")
    intake(settings, uploads=str(uploads))
    export = export_of(db_url)
    plans = {d.source: d for d in export.documents if d.kind == "plan"}
    final = plans[f"{SCHOOL}/方案-定稿.pdf"]
    assert final.superseded_by is None
    assert {plans[s].superseded_by for s in plans if s != final.source} == {final.sha256}
    [school] = [s for s in export.schools if s.name == SCHOOL]
    assert "school.duplicate_plan" not in {f.rule for f in school.findings}
