"""The seal and signature rules: pure decisions on what the detectors saw, never an error on doubt."""

from __future__ import annotations

from checks.registry import run_rules
from checks.seal_rules import (
    Evidence,
    PageSeen,
    SealReview,
    SealSeen,
    SignatureSeen,
    SignatureVerdict,
    decide_annex1,
    decide_plan,
)
from schemas.annex1 import Annex1Data, Annex1Seal
from schemas.document import PlanFacts
from schemas.facts import Box
from schemas.plan import PlanData, Seal
from schemas.round_config import load_round_config

BOX = Box(x0=300, top=600, x1=420, bottom=720)
PLAN_PAGES = (PageSeen(1, "plan"), PageSeen(2, "plan"))
AGREEMENT_PAGES = (PageSeen(3, "agreement"), PageSeen(4, "agreement"))
SCHOOL_SEAL_P4 = SealSeen(4, BOX, 0.95, "matched", "长沙民政职业技术学院", party="school")
SIGNED = SignatureSeen(4, "school", "handwriting", 0.9, BOX)


def _review(
    *seals: SealSeen, signatures: tuple[SignatureSeen, ...] = (SIGNED,), bilevel: bool = False
) -> SealReview:
    pages = tuple(PageSeen(p.number, p.part, bilevel=bilevel) for p in PLAN_PAGES + AGREEMENT_PAGES)
    return SealReview(pages=pages, seals=seals, signatures=signatures)


def test_a_plan_stamped_by_the_school_on_its_pages_and_agreement_has_no_finding() -> None:
    decision = decide_plan(_review(SealSeen(2, BOX, 0.9, "matched", "长沙民政职业技术学院"), SCHOOL_SEAL_P4))
    assert decision.hits == {}
    assert decision.doubts == []


def test_no_seal_on_the_plan_pages_is_plan_seal_missing_on_the_last_plan_page() -> None:
    decision = decide_plan(_review(SCHOOL_SEAL_P4))
    [hit] = decision.hits["plan.seal_missing"]
    assert hit.page == 2
    assert "未见学校公章" in hit.message
    assert set(decision.hits) == {"plan.seal_missing"}


def test_a_seal_naming_another_school_is_a_mismatch_quoting_it_not_a_missing_seal() -> None:
    decision = decide_plan(
        _review(SealSeen(1, BOX, 0.9, "other_institution", "郴州软件职业技术学院"), SCHOOL_SEAL_P4)
    )
    [hit] = decision.hits["plan.seal_mismatch"]
    assert "郴州软件职业技术学院" in hit.message
    assert hit.page == 1
    assert "plan.seal_missing" not in decision.hits


def test_a_department_seal_is_a_mismatch_that_says_so() -> None:
    decision = decide_plan(
        _review(SealSeen(1, BOX, 0.9, "department", "长沙民政职业技术学院（教务处）"), SCHOOL_SEAL_P4)
    )
    [hit] = decision.hits["plan.seal_mismatch"]
    assert "二级部门" in hit.message and "教务处" in hit.message


def test_an_unreadable_or_faint_seal_is_a_doubt_never_an_error() -> None:
    for seal in (
        SealSeen(1, BOX, 0.9, "unreadable", "口口"),
        SealSeen(1, BOX, 0.4, "matched", "长沙民政职业技术学院"),
    ):
        decision = decide_plan(_review(seal, SCHOOL_SEAL_P4))
        assert decision.hits == {}
        [doubt] = decision.doubts
        assert doubt.page == 1 and "人工核对" in doubt.message


def test_a_one_bit_scan_without_a_seal_is_a_doubt_because_red_may_have_vanished() -> None:
    decision = decide_plan(_review(SCHOOL_SEAL_P4, bilevel=True))
    assert "plan.seal_missing" not in decision.hits
    assert any("黑白扫描件" in doubt.message for doubt in decision.doubts)


def test_the_organisations_seal_never_stands_in_for_the_schools_on_the_agreement() -> None:
    org = SealSeen(4, BOX, 0.95, "unreadable", "", party="org")
    org_named = SealSeen(4, BOX, 0.95, "organisation", "湖南金职伟业母婴护理有限公司", party="school")
    decision = decide_plan(_review(SealSeen(1, BOX, 0.9, "matched", "长沙民政职业技术学院"), org, org_named))
    [hit] = decision.hits["agreement.seal_missing"]
    assert "培训评价组织" in hit.message
    assert hit.page == 4


def test_the_schools_seal_by_the_organisations_block_still_counts_when_it_reads_as_the_school() -> None:
    misplaced = SealSeen(4, BOX, 0.95, "matched", "长沙民政职业技术学院", party="org")
    decision = decide_plan(_review(SealSeen(1, BOX, 0.9, "matched", "长沙民政职业技术学院"), misplaced))
    assert "agreement.seal_missing" not in decision.hits


def test_agreement_signature_missing_says_what_is_there_instead() -> None:
    plan_seal = SealSeen(1, BOX, 0.9, "matched", "长沙民政职业技术学院")
    cases: dict[SignatureVerdict, str] = {
        "empty": "签字处空白",
        "typed_name": "打印的姓名",
        "seal_only": "只有盖章",
    }
    for verdict, words in cases.items():
        seen = SignatureSeen(
            4, "school", verdict, 0.85, BOX, typed="王建国" if verdict == "typed_name" else None
        )
        decision = decide_plan(_review(plan_seal, SCHOOL_SEAL_P4, signatures=(seen,)))
        [hit] = decision.hits["agreement.signature_missing"]
        assert words in hit.message
        if verdict == "typed_name":
            assert "王建国" in hit.message


def test_a_seal_over_a_trace_of_ink_at_the_signature_place_is_a_doubt() -> None:
    # The detector is unsure (ink left under the seal may be a signature): a person looks.
    plan_seal = SealSeen(1, BOX, 0.9, "matched", "长沙民政职业技术学院")
    seen = SignatureSeen(4, "school", "seal_only", 0.45, BOX)
    decision = decide_plan(_review(plan_seal, SCHOOL_SEAL_P4, signatures=(seen,)))
    assert "agreement.signature_missing" not in decision.hits
    assert any("印章覆盖" in doubt.message for doubt in decision.doubts)


def test_only_the_organisations_signature_is_agreement_signature_missing() -> None:
    org_signed = SignatureSeen(4, "org", "handwriting", 0.9, BOX)
    school_empty = SignatureSeen(4, "school", "empty", 0.85)
    decision = decide_plan(
        _review(SealSeen(1, BOX, 0.9, "matched", "x"), SCHOOL_SEAL_P4, signatures=(org_signed, school_empty))
    )
    assert len(decision.hits["agreement.signature_missing"]) == 1


def test_no_signature_place_found_is_a_doubt_not_a_missing_signature() -> None:
    decision = decide_plan(_review(SealSeen(1, BOX, 0.9, "matched", "x"), SCHOOL_SEAL_P4, signatures=()))
    assert "agreement.signature_missing" not in decision.hits
    assert any("签字位置" in doubt.message for doubt in decision.doubts)


def test_a_spreadsheet_without_its_signed_scan_gets_both_annex1_findings() -> None:
    decision = decide_annex1(SealReview(signed_copy=False))
    assert set(decision.hits) == {"annex1.seal_missing", "annex1.signature_missing"}
    for [hit] in decision.hits.values():
        assert "扫描件" in hit.message


def test_an_annex1_scan_stamped_and_signed_has_no_finding_and_unstamped_has_one() -> None:
    page = (PageSeen(1, "annex1"),)
    leader = SignatureSeen(1, "leader", "handwriting", 0.9, BOX)
    stamped = SealReview(pages=page, seals=(SealSeen(1, BOX, 0.9, "matched", "x"),), signatures=(leader,))
    assert decide_annex1(stamped).hits == {}
    unstamped = SealReview(pages=page, signatures=(leader,))
    assert set(decide_annex1(unstamped).hits) == {"annex1.seal_missing"}


def test_evidence_names_the_crop_else_the_page_and_region() -> None:
    assert Evidence(3, BOX, "archive/crops/ab12.png").text() == "archive/crops/ab12.png"
    assert Evidence(3, BOX).text() == "第3页（300,600）-（420,720）"
    assert Evidence(3).text() == "第3页"


def test_registered_rules_read_the_coarse_fields_until_a_review_is_attached() -> None:
    config = load_round_config()
    unstamped = PlanFacts(data=PlanData(school="长沙民政职业技术学院", seal=Seal(present=False, pages=[2])))
    findings = run_rules("plan", unstamped, config)
    assert [f.rule for f in findings if "seal" in f.rule] == ["plan.seal_missing"]
    # A seal read with a character missing is still the school's.
    nearly = Annex1Data(
        school="长沙民政职业技术学院", seal=Annex1Seal(present=True, institution="长沙民政职业技术学")
    )
    assert [f.rule for f in run_rules("annex1", nearly, config) if "seal" in f.rule] == []
    other = Annex1Data(
        school="长沙民政职业技术学院", seal=Annex1Seal(present=True, institution="湖南工业职业技术学院")
    )
    assert [f.rule for f in run_rules("annex1", other, config) if "seal" in f.rule] == [
        "annex1.seal_mismatch"
    ]


def test_no_signature_on_a_one_bit_scan_is_a_doubt() -> None:
    empty = SignatureSeen(4, "school", "empty", 0.85, BOX)
    decision = decide_plan(
        _review(SealSeen(1, BOX, 0.9, "matched", "x"), SCHOOL_SEAL_P4, signatures=(empty,), bilevel=True)
    )
    assert "agreement.signature_missing" not in decision.hits
    assert any("黑白扫描件" in doubt.message for doubt in decision.doubts)
