"""Integration: extraction and checks on freshly generated native plan PDFs, measured against
the generator's ground truth (the issue's bar: fields >= 98% exact, every injected defect found,
no error-level finding on a clean file)."""

from pathlib import Path

import pytest

from benchmarks.accuracy import AccuracyReport, measure, render
from fixtures.generate import generate
from schemas.round_config import load_round_config


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> AccuracyReport:
    folder: Path = tmp_path_factory.mktemp("generated-plans")
    generate(folder, seed=2024, count=40, verify=False)
    return measure(folder, load_round_config())


def test_forty_documents_were_measured(report: AccuracyReport) -> None:
    assert report.documents == 40


def test_field_exact_match_at_least_98_percent(report: AccuracyReport) -> None:
    assert report.exact_match >= 0.98, render(report) + "\n" + "\n".join(report.misses)


def test_every_injected_defect_is_found(report: AccuracyReport) -> None:
    missed = {rule: count for rule, count in report.rules.fn.items() if count}
    assert missed == {}, "\n".join(m for m in report.misses if "expected but not raised" in m)
    injected = set(report.rules.tp)
    assert {
        "plan.no_fee_declaration",
        "plan.field_missing",
        "plan.level_invalid",
        "plan.unknown_certificate",
        "plan.sessions_sum",
        "plan.exam_outside_year",
        "plan.session_outside_period",
        "plan.multiple_certificates",
        "plan.agreement_missing",
    } <= injected


def test_clean_files_raise_no_error_level_finding(report: AccuracyReport) -> None:
    assert report.clean_documents >= 10
    assert report.clean_with_errors == 0, "\n".join(report.misses)


def test_no_rule_fires_where_it_should_not(report: AccuracyReport) -> None:
    spurious = {rule: count for rule, count in report.rules.fp.items() if count}
    assert spurious == {}, "\n".join(m for m in report.misses if "raised but not expected" in m)
