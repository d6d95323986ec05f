"""Tests for the sample-submission generator (fixtures/): determinism, coverage, truth, PDF internals."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import cast

import pdfplumber
import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from fixtures.expected import expected_rules
from fixtures.generate import (
    DEFECTS,
    LAYOUTS,
    OUTLINE_SHARE,
    build_document,
    generate,
    main,
    plan_variants,
    variant_slug,
)
from fixtures.verify import in_text_layer, strip_footers, verify_pdf
from fixtures.wording import DECLARATIONS, NONE_TEXTS
from schemas.plan import ExamPeriod, ExamSession, Funding, PlanData
from schemas.round_config import load_round_config

RULE_OF_VARIANT = {
    "clean": [],
    "fee_missing": ["plan.no_fee_declaration"],
    "fee_negated": ["plan.no_fee_declaration"],
    "fee_contradicted": ["plan.no_fee_declaration"],
    "field_missing": ["plan.field_missing"],
    "level_invalid": ["plan.level_invalid"],
    "unknown_certificate": ["plan.unknown_certificate"],
    "sessions_sum": ["plan.sessions_sum"],
    "exam_outside_year": ["plan.exam_outside_year"],
    "session_outside_period": ["plan.session_outside_period"],
    "multiple_certificates": ["plan.multiple_certificates"],
    "agreement_missing": ["plan.agreement_missing"],
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fixtures40")
    generate(out, seed=11, count=40, outline_share=OUTLINE_SHARE)
    return out


def _truths(out: Path) -> list[dict]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return [json.loads((out / d["truth"]).read_text(encoding="utf-8")) for d in manifest["documents"]]


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert main(["--out", str(a), "--seed", "3", "--count", "6"]) == 0
    generate(b, seed=3, count=6, verify=False, outline_share=OUTLINE_SHARE)  # the command line's default
    generate(c, seed=4, count=6, verify=False, outline_share=OUTLINE_SHARE)
    names = sorted(p.name for p in a.iterdir())
    assert len(names) == 6 * 2 + 1
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    pdfs_a = sorted(p.read_bytes() for p in a.glob("*.pdf"))
    pdfs_c = sorted(p.read_bytes() for p in c.glob("*.pdf"))
    assert pdfs_a != pdfs_c
    assert not set(pdfs_a) & set(pdfs_c)


def test_every_variant_at_least_twice_and_about_half_clean(corpus: Path) -> None:
    truths = _truths(corpus)
    assert len(truths) == 40
    variants = [t["variant"] for t in truths]
    for defect in DEFECTS:
        assert variants.count(defect) >= 2, defect
    assert 15 <= variants.count("clean") <= 25
    layouts = {t["layout"]["name"] for t in truths}
    assert layouts == set(LAYOUTS)
    assert len({t["layout"]["style"]["font"] for t in truths}) >= 3


def test_variant_plan_scales_with_count() -> None:
    import random

    assert plan_variants(1, random.Random(0)) == ["clean"]
    small = plan_variants(10, random.Random(0))
    assert small.count("clean") == 5 and len(set(small)) == 6
    big = plan_variants(100, random.Random(0))
    assert big.count("clean") == 50
    assert all(big.count(d) >= 4 for d in DEFECTS)
    assert plan_variants(40, random.Random(5)) == plan_variants(40, random.Random(5))


def test_file_names_describe_the_case(corpus: Path) -> None:
    for truth in _truths(corpus):
        name = truth["file"]
        assert (corpus / name).is_file()
        assert (corpus / name).with_suffix(".json").is_file()
        match = re.fullmatch(r"plan-(\d{3})-(prose|grid|table|outline)-([a-z-]+)\.pdf", name)
        assert match, name
        assert match.group(2) == truth["layout"]["name"]
        assert match.group(3) == variant_slug(truth["variant"])


def test_ground_truth_validates_and_rules_match_variant(corpus: Path) -> None:
    config = load_round_config()
    for truth in _truths(corpus):
        data = PlanData.model_validate(truth["data"])
        assert truth["expected_rules"] == RULE_OF_VARIANT[truth["variant"]], truth["file"]
        assert (
            expected_rules(data, config, len(truth.get("certificates_in_pdf", [1])))
            == truth["expected_rules"]
        )
        assert data.school == truth["school"]
        assert data.certificate == truth["certificate"]
        assert data.seal.present and data.seal.institution == data.school
        assert data.signature.present and data.signature.pages
        if truth["variant"] == "field_missing":
            field = truth["missing_field"]
            value: object = truth["data"]
            for part in field.split("."):
                value = value[part]  # type: ignore[index]
            assert value is None or value == {"start": None, "end": None}
        if truth["variant"] not in ("sessions_sum", "field_missing"):
            assert sum(s.count or 0 for s in data.sessions) == data.candidates
        for session in data.sessions:
            assert re.fullmatch(r"\d{2}:\d{2}", session.start or "")


def test_font_is_embedded_truetype(corpus: Path) -> None:
    for pdf in sorted(corpus.glob("*.pdf"))[:8]:
        reader = PdfReader(pdf)
        embedded = 0
        for page in reader.pages:
            resources = cast(DictionaryObject, page["/Resources"])
            fonts = cast(DictionaryObject, resources["/Font"])
            for ref in fonts.values():
                font = ref.get_object()
                descriptor = font.get("/FontDescriptor")
                if descriptor is None:
                    for desc in font.get("/DescendantFonts", []):
                        descriptor = desc.get_object().get("/FontDescriptor")
                assert descriptor is not None, pdf.name
                assert "/FontFile2" in descriptor.get_object(), pdf.name
                embedded += 1
        assert embedded > 0


def test_text_layer_has_school_certificate_and_declaration(corpus: Path) -> None:
    for truth in _truths(corpus):
        with pdfplumber.open(corpus / truth["file"]) as pdf:
            pages = [p.extract_text() or "" for p in pdf.pages]
        plan_lines = strip_footers(
            "\n".join(pages[p - 1] for p in truth["layout"]["plan_pages"])
        ).splitlines()
        plan_text = _compact("".join(plan_lines))
        assert _compact(truth["school"]) in plan_text
        # an outline may write the certificate only in a table cell, wrapped
        assert in_text_layer(truth["certificate"], plan_lines)
        if truth["layout"]["name"] != "outline":
            assert "附件" in plan_text
        if truth["data"]["funding"]["no_student_fee_declared"]:
            assert _compact(truth["layout"]["fee_statement"]) in plan_text
        if truth["variant"] == "fee_missing":
            assert not any(_compact(d).rstrip("。") in plan_text for d in DECLARATIONS)
        for page in truth["data"]["agreement"]["pages"]:
            assert not any(_compact(d).rstrip("。") in _compact(pages[page - 1]) for d in DECLARATIONS)


def test_agreement_pages_exist_except_when_missing(corpus: Path) -> None:
    for truth in _truths(corpus):
        agreement = truth["data"]["agreement"]
        with pdfplumber.open(corpus / truth["file"]) as pdf:
            n_pages = len(pdf.pages)
            texts = [p.extract_text() or "" for p in pdf.pages]
        if truth["variant"] == "agreement_missing":
            assert not agreement["present"] and agreement["pages"] == []
            assert not any("乙方" in t for t in texts)
            continue
        assert agreement["present"] and agreement["signed"]
        assert agreement["pages"] == list(range(agreement["pages"][0], n_pages + 1))
        assert 1 <= len(agreement["pages"]) <= 2
        first = _compact(texts[agreement["pages"][0] - 1])
        assert "甲方" in first and "乙方" in first
        assert agreement["organization"] in first
        plan_pages = truth["layout"]["plan_pages"]
        merged = truth["layout"]["attachment_pages"]  # other papers between plan and agreement
        assert plan_pages + merged == list(range(1, agreement["pages"][0]))
        assert not merged or truth["layout"]["name"] == "outline"
        per_plan = 2 if truth["variant"] == "multiple_certificates" else 1
        assert 1 * per_plan <= len(plan_pages) <= 3 * per_plan


def test_seals_are_red_images_not_text(corpus: Path) -> None:
    truths = [t for t in _truths(corpus) if t["data"]["agreement"]["present"]][:5]
    for truth in truths:
        reader = PdfReader(corpus / truth["file"])
        organization = truth["data"]["agreement"]["organization"]
        for page_no in truth["data"]["seal"]["pages"]:
            page = reader.pages[page_no - 1]
            images = list(page.images)
            assert images, (truth["file"], page_no)
            reds = 0
            for image in images:
                rgba = image.image.convert("RGBA")
                inked = [px for px in rgba.get_flattened_data() if px[3] > 100]
                if not inked:
                    continue
                r, g, b = (sum(px[k] for px in inked) / len(inked) for k in range(3))
                reds += r > 150 and g < 100 and b < 120
            assert reds >= 1, (truth["file"], page_no)
        # The organization's name is written once (乙方 line); its seal adds no text.
        agreement_text = "".join(
            _compact(reader.pages[p - 1].extract_text() or "") for p in truth["data"]["agreement"]["pages"]
        )
        assert agreement_text.count(organization) == 1


def test_verify_catches_a_wrong_truth(corpus: Path) -> None:
    truth = _truths(corpus)[0]
    pdf = corpus / truth["file"]
    assert verify_pdf(pdf, truth) == []
    truth["data"]["teachers"]["certified"] = "99名，全部为外聘专家"
    truth["data"]["school"] = "不存在的学院"
    problems = verify_pdf(pdf, truth)
    assert any("teachers.certified" in p for p in problems)
    assert any("school" in p for p in problems)


def test_expected_rules_are_computed_from_data() -> None:
    import datetime as dt

    config = load_round_config()
    good = PlanData(
        school="长沙学院",
        certificate="物流管理",
        level="中级",
        candidates=50,
        completed_2019_2021=0,
        exam_period=ExamPeriod(start=dt.date(2022, 10, 1), end=dt.date(2022, 11, 30)),
        sessions=[ExamSession(date=dt.date(2022, 10, 15), start="09:00", end="11:00", count=50)],
        funding=Funding(exam_fee_source="学校专项经费", no_student_fee_declared=True),
        teachers={"certified": "5名"},
        facilities={"written": "3间"},
        agreement={"present": True, "pages": [3]},
    )
    assert expected_rules(good, config, 1) == []
    late = good.model_copy(deep=True)
    late.sessions[0].date = dt.date(2023, 1, 5)
    assert expected_rules(late, config, 1) == ["plan.exam_outside_year", "plan.session_outside_period"]
    alias = good.model_copy(update={"certificate": "建筑信息模型(BIM)", "level": "四级"})
    assert expected_rules(alias, config, 2) == ["plan.level_invalid", "plan.multiple_certificates"]


@pytest.fixture(scope="module")
def outlines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every variant twice, all written as outlines."""
    out = tmp_path_factory.mktemp("outlines")
    generate(out, seed=7, count=40, outline_share=1.0)
    return out


def test_outline_share_zero_gives_the_form_layouts_unchanged(tmp_path: Path) -> None:
    config = load_round_config()
    layouts = set()
    for index in range(1, 9):
        drawn = build_document(index, "clean", 11, config, outline_share=OUTLINE_SHARE)
        forms = build_document(index, "clean", 11, config)  # the API's default: no outlines
        layouts.add(drawn.truth["layout"]["name"])
        assert forms.truth["layout"]["name"] != "outline"
        if drawn.truth["layout"]["name"] != "outline":
            assert drawn.pdf == forms.pdf  # the outline draw uses its own random stream
    assert "outline" in layouts
    generate(tmp_path, seed=3, count=4, verify=False)
    assert not list(tmp_path.glob("*outline*"))


def test_every_variant_is_written_as_an_outline_too(outlines: Path) -> None:
    truths = _truths(outlines)
    assert {t["layout"]["name"] for t in truths} == {"outline"}
    for defect in DEFECTS:
        assert [t["variant"] for t in truths].count(defect) >= 2, defect
    config = load_round_config()
    for truth in truths:
        assert truth["expected_rules"] == RULE_OF_VARIANT[truth["variant"]], truth["file"]
        data = PlanData.model_validate(truth["data"])
        assert (
            expected_rules(data, config, len(truth.get("certificates_in_pdf", [1])))
            == truth["expected_rules"]
        )
        assert verify_pdf(outlines / truth["file"], truth) == []


def test_outline_truth_follows_the_written_text(outlines: Path) -> None:
    for truth in _truths(outlines):
        data, record = truth["data"], truth["layout"]["outline"]["record"]
        teachers, funding = data["teachers"], data["funding"]
        statement = truth["layout"]["fee_statement"]
        if funding["exam_fee_source"] and statement and statement != funding["exam_fee_source"]:
            assert _compact(statement) not in _compact(funding["exam_fee_source"])
            assert not re.match(r"^[（(]?\d", funding["exam_fee_source"])  # no item number
        if funding["exam_fee_source"]:
            assert funding["amount_wan"] is not None and funding["amount_wan"] > 0.01
        if teachers["certified"] in NONE_TEXTS:
            assert teachers["certified_count"] == 0
        if record.get("certified_cells"):
            assert teachers["certified_count"] == len(record["certified_names"])
            assert _compact(teachers["certified"]) == _compact("".join(record["certified_cells"]))
        elif record["certified_names"]:
            assert all(name in teachers["certified"] for name in record["certified_names"])
        for text in (teachers["certified"], teachers["other"], *data["facilities"].values()):
            assert text is None or "\n" not in text


def test_an_outline_without_agreement_still_says_it_is_attached(outlines: Path) -> None:
    missing = [t for t in _truths(outlines) if t["variant"] == "agreement_missing"]
    assert missing
    for truth in missing:
        with pdfplumber.open(outlines / truth["file"]) as pdf:
            text = _compact("".join(p.extract_text() or "" for p in pdf.pages))
        assert re.search("协议附后|见附件|后附|附后", text)
        assert not truth["data"]["agreement"]["present"] and "乙方" not in text


def test_in_text_layer_finds_values_wrapped_in_paragraphs_and_cells() -> None:
    lines = [
        "序号 姓名 证书/资质",
        "1 张三 幼儿照护（中",
        "级）考评员",
        "2．笔试场地：综合楼4楼设有理",
        "论考试教室8间。",
    ]
    assert in_text_layer("幼儿照护（中级）考评员", lines)
    assert in_text_layer("综合楼4楼设有理论考试教室8间。", lines)
    assert in_text_layer("VS Code", ["安装VS", "Code等"])
    assert not in_text_layer("综合楼5楼", lines)
    assert not in_text_layer("张三李四", lines)
