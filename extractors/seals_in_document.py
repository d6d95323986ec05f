"""A read document's seals and signatures, added to its result.

After a plan PDF or a scanned Attachment 1 has been read and classified, its plan and
agreement pages (or the table's pages) are looked at for seals and signatures
(``extractors.vision.document_look``). The review goes onto the plan's facts or the table's
data for the seal rules, the seals and signatures into the page facts, the crops into the
result for the archive, and the coarse fields of the export (``seal``, ``signature``,
``agreement.signed``) say what was seen. What could not be looked at is a processing error
for a person, never a missing seal.
"""

from __future__ import annotations

from collections.abc import Iterator

from extractors.budget import Deadline
from extractors.errors import InputFileError
from extractors.filetype import IMAGE_TYPES, FileType, sniff
from extractors.schools import identify_school, school_names
from extractors.vision.document_look import SEAL_DPI, DocumentLook, SealNames, look_at_document
from extractors.vision.images import PageImage, load_picture, render_pdf
from schemas.annex1 import Annex1Data
from schemas.document import DocumentResult, EvidenceImage, PlanFacts, ProcessingError
from schemas.round_config import RoundConfig
from schemas.seal_review import SURE_SEAL, Part, SealReview

OCR_DOUBT = "file.ocr_low_confidence"  # its page's crop is the evidence a person reads


def seal_names(config: RoundConfig, declared: str | None, source: str, organisation: str | None) -> SealNames:
    """The school's names (the round's, or for a school off its list the name its papers or
    folder give) and the round's other schools; when no school can be told, no other names,
    so that a seal is never called another school's for want of knowing whose it should be."""
    match = identify_school(config, declared=[declared] if declared else [], file_names=source.split("/"))
    if match is None:
        return SealNames(school=[declared] if declared else [], others=[], organisation=organisation)
    entry = config.school(match.name)
    # A school off the round's list is known by the name its papers or its folder give.
    own = school_names(entry) if entry is not None else [match.name]
    others = [name for school in config.schools if school.name != match.name for name in school_names(school)]
    return SealNames(school=own, others=others, organisation=organisation)


def _images(content: bytes, kind: FileType, numbers: list[int]) -> Iterator[PageImage]:
    if kind == "pdf":
        yield from render_pdf(content, numbers, dpi=SEAL_DPI, max_dpi=SEAL_DPI)
    elif kind in IMAGE_TYPES:
        yield from (image for image in load_picture(content) if image.number in numbers)


def _plan_parts(result: DocumentResult) -> dict[int, Part]:
    """The plan pages and the agreement pages. A page the classifier could not place is the
    part's it follows: after the agreement's first page it is the agreement's (the signature
    page of a scanned agreement, often with little text), before it the plan's."""
    parts: dict[int, Part] = {}
    in_agreement = False
    for page in result.pages:
        in_agreement = in_agreement or page.kind == "agreement"
        if page.kind == "agreement" or (in_agreement and page.kind == "other"):
            parts[page.number] = "agreement"
        elif not in_agreement:
            # A page between the plan's and the agreement's that the classifier could not
            # place (the plan's 落款, its attachments) may carry the plan's seal.
            parts[page.number] = "plan"
    return parts


def _not_looked_at(result: DocumentResult, why: str) -> None:
    result.errors.append(
        ProcessingError(
            component="seals",
            code="seal.unchecked",
            message=f"{why}，印章和签字未经自动检查，请人工查看是否加盖学校公章、是否已签字",
        )
    )
    if result.status == "ok":
        result.status = "partial"


def _plan_coarse(facts: PlanFacts, review: SealReview) -> None:
    school_side = [s for s in review.seals if s.confidence >= SURE_SEAL and s.party != "org"]
    matched = [s for s in school_side if s.match == "matched"]
    facts.data.seal.present = bool(school_side)
    facts.data.seal.pages = sorted({s.page for s in school_side})
    facts.data.seal.institution = (matched or school_side)[0].quoted or None if school_side else None
    agreement = {page.number for page in review.pages if page.part == "agreement"}
    inked = [s for s in review.signatures if s.verdict == "handwriting" and s.page in agreement]
    if facts.data.agreement.present and any(s.party == "school" for s in review.signatures):
        facts.data.agreement.signed = any(s.party == "school" for s in inked)
    facts.data.signature.present = bool(inked) if review.signatures else None
    facts.data.signature.pages = sorted({s.page for s in inked})


def _annex1_coarse(data: Annex1Data, review: SealReview) -> None:
    sure = [s for s in review.seals if s.confidence >= SURE_SEAL]
    matched = [s for s in sure if s.match == "matched"]
    data.seal.present = bool(sure)
    data.seal.institution = (matched or sure)[0].quoted or None if sure else None
    if review.signatures:
        data.signature.present = any(s.verdict == "handwriting" for s in review.signatures)


def with_seal_review(
    result: DocumentResult, content: bytes, config: RoundConfig, deadline: Deadline | None = None
) -> DocumentResult:
    """``result`` with what its seals and signatures showed; unchanged for a file that was
    not read or a spreadsheet (which carries no seal)."""
    if result.status == "failed" or (result.plan is None and result.annex1 is None):
        return result
    kind = sniff(content)
    if kind != "pdf" and kind not in IMAGE_TYPES:
        return result
    parts: dict[int, Part]
    if result.plan is not None:
        parts = _plan_parts(result)
        declared = result.plan.data.school
        organisation = result.plan.data.agreement.organization
    else:
        parts = {page.number: "annex1" for page in result.pages}
        declared = result.annex1.school if result.annex1 else None
        organisation = None
    if not parts:
        return result
    names = seal_names(config, declared, result.source, organisation)
    pages = {page.number: page for page in result.pages}
    doubted = frozenset(_doubt_page(error, parts) for error in result.errors if error.code == OCR_DOUBT)
    try:
        look = look_at_document(
            _images(content, kind, sorted(parts)),
            pages,
            parts,
            names,
            still_time=(lambda: not deadline.expired()) if deadline is not None else (lambda: True),
            page_crops=doubted,
        )
    except InputFileError as error:
        _not_looked_at(result, f"页面无法渲染为图像（{error.args[0]}）")
        return result
    if look is None:
        _not_looked_at(result, "处理时间已到")
        return result
    _attach(result, look, parts)
    return result


def _doubt_page(error: ProcessingError, parts: dict[int, Part]) -> int:
    """The page an OCR doubt concerns: its own, else the first page looked at."""
    return error.page if error.page is not None else min(parts)


def _attach(result: DocumentResult, look: DocumentLook, parts: dict[int, Part]) -> None:
    for error in result.errors:
        if error.code == OCR_DOUBT and error.evidence is None:
            error.evidence = look.page_crops.get(_doubt_page(error, parts))
    if result.plan is not None:
        result.plan.seal_review = look.review
        _plan_coarse(result.plan, look.review)
    elif result.annex1 is not None:
        result.annex1.seal_review = look.review
        _annex1_coarse(result.annex1, look.review)
    result.pages = [
        page.model_copy(
            update={
                "seals": look.seals.get(page.number, page.seals),
                "signatures": look.signatures.get(page.number, page.signatures),
            }
        )
        for page in result.pages
    ]
    result.crops = [*result.crops, *(EvidenceImage(name=name, png=png) for name, png in look.crops.items())]
