"""Every malformed PDF of the shared robustness corpus gives a file.* finding or is read;
none raises."""

from pathlib import Path

import pytest
from shared_data import CORPUS as SHARED_CORPUS

from checks import check_document
from extractors.plan_document import extract_plan_document, plan_extractor_for
from schemas.round_config import load_round_config

CORPUS = SHARED_CORPUS / "pdf"
CONFIG = load_round_config()
EXTRACTOR = plan_extractor_for(CONFIG)

EXPECTED_FILE_RULE = {
    "pdfplumber__password-example.pdf": "file.encrypted",
    "pdfminer__aes-256-r6.pdf": "file.encrypted",
    "pdfplumber__empty_0-bytes.pdf": "file.empty",
    "qpdf__empty_zero-pages.pdf": "file.empty",
    "qpdf__bad1_not-a-pdf.pdf": "file.unreadable",
    "qpdf__issue-141a_tiny-broken.pdf": "file.unreadable",
}


# Encrypted with permissions only (no password to open): read and checked, and the school is
# still asked for an unencrypted copy, as the office cannot print or stamp it.
READ_BUT_FLAGGED = {"pdfminer__issue-625-identity-cmap.pdf": "file.encrypted"}


def corpus_files() -> list[Path]:
    files = sorted(CORPUS.glob("*.pdf"))
    assert len(files) >= 19, f"robustness corpus not found at {CORPUS}"
    return files


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_file_is_a_finding_or_read(path: Path) -> None:
    result = extract_plan_document(path.read_bytes(), source=path.name, extractor=EXTRACTOR)
    findings = check_document(result, CONFIG)
    file_rules = {f.rule for f in findings if f.rule.startswith("file.")}
    expected = EXPECTED_FILE_RULE.get(path.name)
    if expected is not None:
        assert result.status == "failed"
        assert file_rules == {expected}
        [finding] = [f for f in findings if f.rule == expected]
        assert "请学校" in finding.message  # says what to resend
    else:
        assert file_rules == ({READ_BUT_FLAGGED[path.name]} if path.name in READ_BUT_FLAGGED else set())
        assert result.page_count >= 1
        # Readable: either text was read, or the result says plainly that OCR is needed.
        codes = {e.code for e in result.errors}
        assert result.status != "failed" or (
            "ocr.required" in codes and not any(c.startswith("file.") for c in codes)
        )
    assert result.status != "ok" or not result.errors


def test_repaired_file_says_so() -> None:
    path = CORPUS / "qpdf__append-xref-loop.pdf"
    result = extract_plan_document(path.read_bytes(), source=path.name, extractor=EXTRACTOR)
    assert "pdf.repaired" in {e.code for e in result.errors}
    assert result.status in ("partial", "failed")


def test_a_plan_encrypted_with_permissions_only_is_read_and_flagged(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    from fixtures.generate import generate

    generate(tmp_path, seed=3, count=1, verify=False)
    [pdf] = sorted(tmp_path.glob("*.pdf"))
    writer = PdfWriter(clone_from=PdfReader(pdf))
    writer.encrypt(user_password="", owner_password="owner-only", algorithm="RC4-128")
    encrypted = tmp_path / "encrypted.pdf"
    with encrypted.open("wb") as out:
        writer.write(out)
    plain = extract_plan_document(pdf.read_bytes(), source=pdf.name, extractor=EXTRACTOR)
    result = extract_plan_document(encrypted.read_bytes(), source="encrypted.pdf", extractor=EXTRACTOR)
    findings = check_document(result, CONFIG)
    assert {f.rule for f in findings if f.rule.startswith("file.")} == {"file.encrypted"}
    assert result.status == "partial"
    assert result.plan is not None and plain.plan is not None
    assert result.plan.data == plain.plan.data  # the content is read as if it were not encrypted
