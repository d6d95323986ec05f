"""On a plan read by OCR, OCR's doubt is never the school's fault (file.ocr_low_confidence)."""

from __future__ import annotations

import pytest

from checks import check_document, run_rules
from extractors.plan_fields import LOW_OCR_CONFIDENCE, ocr_doubts
from schemas.document import DocumentResult, Evidence, PlanFacts, ProcessingError
from schemas.facts import Box, Line, PageFacts, Word
from schemas.plan import Funding, PlanData
from schemas.round_config import RoundConfig, load_round_config


@pytest.fixture(scope="module")
def config() -> RoundConfig:
    return load_round_config()


def _ocr_page(number: int, text: str, confidence: float) -> PageFacts:
    box = Box(x0=72, top=100, x1=300, bottom=114)
    word = Word(text=text, box=box, source="ocr", confidence=confidence)
    line = Line(text=text, box=box, source="ocr")
    return PageFacts(
        number=number, width=595, height=842, text_source="ocr", words=[word], lines=[line], blocks=[line]
    )


def test_missing_fields_on_a_scan_are_unsure_not_absent() -> None:
    data = PlanData(candidates=30)
    states = ocr_doubts(
        data, {}, [], {"level": "absent", "sessions": "empty", "teachers.certified": "unplaced"}, []
    )
    assert states == {
        "level": "unsure",
        "sessions": "unsure",
        "teachers.certified": "unplaced",
        "funding.no_student_fee_declared": "unsure",
    }


def test_a_value_read_from_unsure_words_is_cleared_not_guessed() -> None:
    page = _ocr_page(1, "报考人数：80人", LOW_OCR_CONFIDENCE - 20)
    data = PlanData(candidates=80, funding=Funding(exam_fee_source="学校经费", no_student_fee_declared=True))
    evidence = {
        "candidates": Evidence(page=1, text="报考人数：80人"),
        "funding.exam_fee_source": Evidence(page=1, text="other line"),
    }
    states = ocr_doubts(data, evidence, [], {}, [page])
    assert data.candidates is None and states["candidates"] == "unsure"
    # A sure reading keeps its value.
    sure = PlanData(candidates=80)
    assert ocr_doubts(
        sure,
        {"candidates": Evidence(page=1, text="报考人数：80人")},
        [],
        {},
        [_ocr_page(1, "报考人数：80人", 95)],
    ) == {"funding.no_student_fee_declared": "unsure"}
    assert sure.candidates == 80


def test_unsure_fields_raise_no_error_but_a_warning_for_a_person(config: RoundConfig) -> None:
    facts = PlanFacts(
        data=PlanData(),
        plan_pages=[1],
        ocr_pages=[1],
        field_states={"level": "unsure", "funding.no_student_fee_declared": "unsure"},
    )
    rules = {finding.rule for finding in run_rules("plan", facts, config)}
    assert "plan.no_fee_declaration" not in rules
    assert "plan.field_missing" not in {
        f.rule for f in run_rules("plan", facts, config) if "证书等级" in f.message
    }
    note = ProcessingError(
        component="ocr",
        code="file.ocr_low_confidence",
        page=1,
        message="方案第1页为扫描页，OCR未能可靠识别“证书等级”",
    )
    result = DocumentResult(source="s.pdf", sha256="0" * 64, kind="plan", plan=facts, errors=[note])
    findings = check_document(result, config)
    [warning] = [f for f in findings if f.rule == "file.ocr_low_confidence"]
    assert warning.severity == "warning" and "证书等级" in warning.message and warning.page == 1
    assert not any(f.rule == "review.manual_check" for f in findings)


def test_the_same_gaps_on_a_native_plan_are_errors(config: RoundConfig) -> None:
    facts = PlanFacts(data=PlanData(), plan_pages=[1], field_states={"level": "absent"})
    rules = {finding.rule for finding in run_rules("plan", facts, config)}
    assert {"plan.no_fee_declaration", "plan.field_missing"} <= rules
