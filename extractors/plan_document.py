"""One uploaded PDF -> DocumentResult: read, classify pages, extract the plan.

This is the single entry point the flows call per document. It never raises for a bad
input: a file that cannot be read comes back ``failed`` with the ``file.*`` error that the
checks turn into a finding, and the rest of the batch goes on.
"""

from __future__ import annotations

import hashlib

from extractors.annex1.scanned import annex1_from_pages
from extractors.budget import Deadline
from extractors.classify import classify_pages, page_title, title_kind
from extractors.errors import InputFileError
from extractors.normalize import typed_school
from extractors.pdf_text import DEFAULT_OCR, read_pdf_text
from extractors.plan_fields import PlanExtractor
from extractors.vision.ocr_page import OcrOptions
from schemas.document import DocumentKind, DocumentResult, PlanFacts, ProcessingError
from schemas.facts import PageFacts
from schemas.plan import FIELD_NAMES
from schemas.round_config import RoundConfig

EXTRACTOR_VERSION = "plan-ocr-seals-1"


def plan_extractor_for(config: RoundConfig) -> PlanExtractor:
    schools = {school.name: school.name for school in config.schools}
    schools.update({alias: school.name for school in config.schools for alias in school.aliases})
    certificates = config.certificate_names()
    return PlanExtractor(certificates=certificates, schools=schools, default_year=config.year)


def _titled_plan(pages: list[PageFacts]) -> bool:
    """A page titled as the plan (…试点工作方案): then the document is a plan, whatever tables
    it holds."""
    return any(page.kind == "plan" and title_kind(page_title(page)) == "plan" for page in pages)


_DOUBT_NAMES = {"funding.no_student_fee_declared": "不向学生收取任何培训、考核费用的声明"}


def _ocr_notes(facts: PlanFacts) -> list[ProcessingError]:
    """What OCR could not make out on a scanned plan, for a person (file.ocr_low_confidence)."""
    unsure = [path for path, state in facts.field_states.items() if state == "unsure"]
    if not unsure:
        return []
    names = "、".join(f"“{_DOUBT_NAMES.get(path) or FIELD_NAMES.get(path, path)}”" for path in unsure)
    scanned = [number for number in facts.plan_pages if number in facts.ocr_pages]
    page = scanned[0] if scanned else None
    pages = "、".join(str(number) for number in scanned)
    return [
        ProcessingError(
            component="ocr",
            code="file.ocr_low_confidence",
            page=page,
            message=f"方案第{pages}页为扫描页，OCR未能可靠识别{names}，这些内容未经自动检查，不能据此判断学校漏填或填错；请人工查看扫描页核对",
        )
    ]


def _review_notes(facts: PlanFacts) -> list[ProcessingError]:
    """What the extractor could not decide, for a person to check (需人工核对), page by page."""
    notes = _ocr_notes(facts)
    for path, state in facts.field_states.items():
        if state != "unplaced":
            continue
        name = FIELD_NAMES.get(path, path)
        page = facts.plan_pages[0] if facts.plan_pages else None
        notes.append(
            ProcessingError(
                component="plan_fields",
                code="plan.field_unplaced",
                page=page,
                message=f"方案中“{name}”的内容未能自动识别，需人工核对",
            )
        )
    if not facts.data.agreement.present and facts.unread_pages:
        pages = "、".join(str(number) for number in facts.unread_pages)
        notes.append(
            ProcessingError(
                component="classify",
                code="agreement.unverified",
                page=facts.unread_pages[0],
                message=f"文字层中未找到合作协议；第{pages}页为扫描页，是否为已签署的协议需人工核对",
            )
        )
    return notes


def extract_plan_document(
    content: bytes,
    *,
    source: str,
    extractor: PlanExtractor,
    expected_kind: DocumentKind = "plan",
    annex1_config: RoundConfig | None = None,
    ocr: OcrOptions | None = DEFAULT_OCR,
    deadline: Deadline | None = None,
) -> DocumentResult:
    sha256 = hashlib.sha256(content).hexdigest()
    try:
        text = read_pdf_text(content, ocr, deadline)
    except InputFileError as error:
        return DocumentResult.unreadable(
            source=source, sha256=sha256, kind=expected_kind, rule=error.rule, message=str(error.args[0])
        )
    pages = classify_pages(text.pages)
    errors = list(text.errors)
    result = DocumentResult(source=source, sha256=sha256, page_count=len(pages), pages=pages, errors=errors)
    if all(page.text_source == "blank" for page in pages):
        # A scan of blank sheets (the wrong side fed, a lid left open): nothing was sent.
        return DocumentResult(
            source=source,
            sha256=sha256,
            kind=expected_kind,
            status="failed",
            page_count=len(pages),
            pages=pages,
            errors=[
                *errors,
                ProcessingError(
                    component="ocr", code="file.empty", message=f"PDF的{len(pages)}页都是空白页，没有任何内容"
                ),
            ],
        )
    if not any(page.readable for page in pages):
        # Scans are read by OCR; until that has run nothing here can be checked by rule.
        result.kind = expected_kind
        result.errors = [
            *errors,
            ProcessingError(
                component="ocr",
                code="ocr.required",
                message="PDF没有文字层（扫描件），需经OCR识别后才能自动检查，请人工审核",
            ),
        ]
        result.status = "failed"
        return result
    if annex1_config is not None and not _titled_plan(pages):
        # Attachment 1 as a PDF (the stamped scan, or printed from Excel): read as its table.
        annex1 = annex1_from_pages(pages, errors, source=source, sha256=sha256, config=annex1_config)
        if annex1 is not None:
            return annex1
    if not any(page.kind == "plan" for page in pages):
        result.kind = "other"
        result.status = "partial" if errors else "ok"
        return result
    result.kind = "plan"
    result.plan = extractor.extract(pages)
    plan_data = result.plan.data
    if (
        result.plan.ocr_pages
        and plan_data.school
        and (annex1_config is None or annex1_config.school(plan_data.school) is None)
    ):
        plan_data.school = typed_school(plan_data.school, source)
    errors.extend(_review_notes(result.plan))
    for page in pages:
        if not page.readable:
            errors.append(
                ProcessingError(
                    component="ocr",
                    code="ocr.required",
                    page=page.number,
                    message=f"第{page.number}页没有文字层（扫描页），需OCR识别",
                )
            )
    result.errors = errors
    result.status = "partial" if errors else "ok"
    return result
