"""Seals and signatures on documents the project did not write (../shared/samples/outside-round):
the whole reading (text layer or OCR, classification, seal and signature detection, seal text)
and the real rules. A plan without its school seal, an agreement the school did not sign and
an Attachment 1 photo without a stamp are errors with a crop as evidence; a plan stamped and
signed as asked has none."""

from __future__ import annotations

import email
import io
import zipfile
from email import policy

import pytest
from shared_data import OUTSIDE_ROUND

from checks import check_document
from extractors.plan_document import plan_extractor_for
from extractors.received import Origin, extract_received
from schemas.document import DocumentResult
from schemas.round_config import load_round_config

OUTSIDE = OUTSIDE_ROUND
CONFIG = load_round_config(OUTSIDE / "round.toml")
SEAL_RULES = {
    "plan.seal_missing",
    "plan.seal_mismatch",
    "agreement.seal_missing",
    "agreement.signature_missing",
    "annex1.seal_missing",
    "annex1.seal_mismatch",
    "annex1.signature_missing",
}


def _checked(content: bytes, source: str, origin: Origin) -> DocumentResult:
    """Read as the pipeline reads a received file, and checked by the real rules."""
    result = extract_received(
        content, source=source, origin=origin, config=CONFIG, plan_extractor=plan_extractor_for(CONFIG)
    )
    result.findings = check_document(result, CONFIG)
    return result


def _upload(relative: str) -> DocumentResult:
    return _checked((OUTSIDE / "uploads" / relative).read_bytes(), relative, "upload")


def _errors(result: DocumentResult) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in result.findings:
        if finding.severity == "error" and finding.rule in SEAL_RULES:
            found.setdefault(finding.rule, []).append(finding.evidence or "")
    return found


def _crops_exist(result: DocumentResult, evidence: list[str]) -> None:
    names = {crop.name: crop.png for crop in result.crops}
    for name in evidence:
        assert name in names, f"evidence {name!r} names no crop of the result"
        assert names[name].startswith(b"\x89PNG")


def test_a_native_plan_without_the_school_seal_on_its_pages() -> None:
    result = _upload("石门县机电职业技术学校/石门县机电职业技术学校-幼儿照护（初级）试点方案及合作协议.pdf")
    errors = _errors(result)
    assert set(errors) == {"plan.seal_missing"}, errors
    _crops_exist(result, errors["plan.seal_missing"])
    assert result.plan is not None and result.plan.data.seal.present is True  # the agreement's


def test_an_agreement_the_school_did_not_sign() -> None:
    result = _upload("楚天汽车工程职业学院/2.失智老年人照护.pdf")
    errors = _errors(result)
    assert "agreement.signature_missing" in errors, errors
    assert result.plan is not None and result.plan.data.agreement.signed is False
    _crops_exist(result, errors["agreement.signature_missing"])


def test_a_plan_stamped_and_signed_as_asked_has_no_seal_or_signature_error() -> None:
    result = _upload("郴州软件职业技术学院/CCI04262022_0015.pdf")
    assert _errors(result) == {}
    assert result.plan is not None and result.plan.seal_review is not None
    assert any(page.seals for page in result.pages)


def test_a_scanned_plan_stamped_with_another_schools_seal() -> None:
    result = _upload("株洲健康职业技术学院/2.云计算平台运维与开发.pdf")
    errors = _errors(result)
    assert set(errors) == {"plan.seal_mismatch"}, errors
    message = next(f.message for f in result.findings if f.rule == "plan.seal_mismatch")
    assert "郴州软件职业技术学院" in message


def _attachment(message: str) -> tuple[str, bytes]:
    parsed = email.message_from_bytes((OUTSIDE / "inbox" / message).read_bytes(), policy=policy.default)
    for part in parsed.walk():
        if part.get_filename():
            return str(part.get_filename()), part.get_payload(decode=True)  # type: ignore[return-value]
    raise AssertionError(f"{message} has no attachment")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("20220420_133122_c96d4a3f.eml", {"annex1.seal_missing"}),  # a photo, signed, not stamped
        ("20220425_101211_c1a98393.eml", {"annex1.seal_mismatch"}),  # stamped by another school
    ],
)
def test_attachment_1_scans_seals_and_signatures(message: str, expected: set[str]) -> None:
    name, content = _attachment(message)
    result = _checked(content, f"{message}/{name}", "mail")
    assert result.kind == "annex1"
    assert set(_errors(result)) == expected, _errors(result)


def test_what_ocr_could_not_read_on_a_scanned_table_shows_the_page() -> None:
    parsed = email.message_from_bytes(
        (OUTSIDE / "inbox" / "20220425_153439_0c4de34e.eml").read_bytes(), policy=policy.default
    )
    archive = next(part for part in parsed.walk() if part.get_filename())
    with zipfile.ZipFile(io.BytesIO(archive.get_payload(decode=True))) as members:  # type: ignore[arg-type]
        name = next(n for n in members.namelist() if n.lower().endswith(".pdf"))
        content = members.read(name)
    result = _checked(content, f"m.eml/{name}", "mail")
    doubts = [f for f in result.findings if f.rule == "file.ocr_low_confidence"]
    assert doubts, "this scan has cells OCR cannot read"
    crops = {crop.name: crop.png for crop in result.crops}
    for finding in doubts:
        assert finding.evidence in crops and crops[finding.evidence].startswith(b"\x89PNG")
    # Signed copy with the leader's line left blank (the round's truth: blank_on_signed_copy).
    assert "annex1.signature_missing" in _errors(result)
