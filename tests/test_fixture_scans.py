"""The scan generator (fixtures/scan/): deterministic degradation, image-only PDFs that stay A4
at their resolution, mixed files that keep their native pages, and a scanned round whose
scan_truth.json matches the files it wrote. Real plan PDFs from the generator, real pdfplumber,
pypdf and pypdfium2; 150 dpi and a few pages to stay fast."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pdfplumber
import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont

from extractors.mail import parse_message
from fixtures.generate import build_document
from fixtures.round import UNSIGNED_RULES, generate_round
from fixtures.scan.__main__ import main as scan_main
from fixtures.scan.degrade import RENDERS, ScanProfile, blank_page, degrade
from fixtures.scan.pdf import ScanJob, Stamp, page_texts, scan_pdf
from fixtures.stamps import SEAL_FONT
from schemas.round_config import load_round_config

A4 = (595.28, 841.89)


@pytest.fixture(scope="module")
def native_plan() -> tuple[bytes, list[int]]:
    """A generated plan with its agreement: the PDF and the agreement's pages."""
    document = build_document(3, "clean", 2026, load_round_config())
    return document.pdf, document.truth["data"]["agreement"]["pages"]


def _text_page(height: int = 500, width: int = 360) -> np.ndarray:
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(SEAL_FONT, 18)
    for row in range(12):
        draw.text((30, 30 + row * 36), "考核经费来源：财政专项资金", fill="black", font=font)
    return np.asarray(page).copy()


@pytest.mark.parametrize("render", RENDERS)
def test_degrade_same_seed_same_pixels_other_seed_other_pixels(render: str) -> None:
    page = _text_page()
    profile = ScanProfile(render=render, dpi=150, color="color", skew=1.5, shadows=0.3, perspective=0.04)
    first = degrade(page, profile, np.random.default_rng(11))
    again = degrade(page, profile, np.random.default_rng(11))
    other = degrade(page, profile, np.random.default_rng(12))
    assert first.shape == page.shape and first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.array_equal(first, page)


def test_degrade_bw_is_two_valued_and_a_quarter_turn_swaps_the_frame() -> None:
    page = _text_page()
    bw = degrade(page, ScanProfile(color="bw", dpi=150, rotation=90), np.random.default_rng(1))
    assert bw.shape == (page.shape[1], page.shape[0], 3)
    assert set(np.unique(bw).tolist()) == {0, 255}
    gray = degrade(page, ScanProfile(color="gray", dpi=150), np.random.default_rng(1))
    assert np.array_equal(gray[:, :, 0], gray[:, :, 2])


def test_blank_page_is_near_white_with_a_faint_show_through() -> None:
    front = _text_page()
    plain = blank_page(500, 360, ScanProfile(color="gray", dpi=150, noise=0.01), np.random.default_rng(2))
    through = blank_page(
        500, 360, ScanProfile(color="gray", dpi=150, noise=0.01), np.random.default_rng(2), show_through=front
    )
    assert plain.mean() > 225 and through.mean() > 225
    assert (front < 128).mean() > 0.01  # the front has ink ...
    assert (through < 128).mean() < 0.001  # ... that shows through faintly, never as text
    ink = front[:, ::-1].min(axis=2) < 128  # the front's ink, seen from the back
    assert through[ink].mean() < through[~ink].mean() - 1.0


def _pdf_pages(pdf: bytes) -> list[pypdf.PageObject]:
    return list(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _chars(pdf: bytes) -> list[int]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [len(page.chars) for page in document.pages]


def _image_dpi(page: pypdf.PageObject) -> tuple[float, int]:
    """The page's only image: its resolution over the page width, and its bits per pixel."""
    (picture,) = list(page.images)
    image = picture.image
    assert image is not None
    return image.width / (float(page.mediabox.width) / 72), 1 if image.mode == "1" else 8


def test_plan_scan_gray_skew_rotated_with_blank_has_no_text_layer_and_stays_a4(
    native_plan: tuple[bytes, list[int]],
) -> None:
    pdf, _ = native_plan
    count = len(_pdf_pages(pdf))
    job = ScanJob(
        profile=ScanProfile(render="scan", dpi=150, color="gray", skew=1.8, jpeg_quality=50),
        rotate={1: 90},
        blank_after=count,
    )
    scanned, pages = scan_pdf(pdf, job, np.random.default_rng(5))
    written = _pdf_pages(scanned)
    assert len(written) == count + 1 == len(pages)
    assert _chars(scanned) == [0] * (count + 1)
    for page in written:
        size = sorted((float(page.mediabox.width), float(page.mediabox.height)))
        assert size == pytest.approx(sorted(A4), abs=2.0)
        dpi, bits = _image_dpi(page)
        assert dpi == pytest.approx(150, abs=1) and bits == 8
    assert float(written[0].mediabox.width) > float(written[0].mediabox.height)  # turned sideways
    assert [p.kind for p in pages] == ["scan"] * count + ["blank"]
    assert pages[0].rotation == 90 and pages[-1].text == ""
    assert [p.text for p in pages[:count]] == page_texts(pdf)


def test_plan_scan_bw_is_stored_as_one_bit_and_the_same_for_a_seed(
    native_plan: tuple[bytes, list[int]],
) -> None:
    pdf, _ = native_plan
    job = ScanJob(profile=ScanProfile(dpi=150, color="bw"), scan_pages=[1])
    scanned, _ = scan_pdf(pdf, job, np.random.default_rng(6))
    dpi, bits = _image_dpi(_pdf_pages(scanned)[0])
    assert bits == 1 and dpi == pytest.approx(150, abs=1)
    again, _ = scan_pdf(pdf, job, np.random.default_rng(6))
    assert again == scanned  # same seed, same bytes: no clock in the file


def test_plan_mixed_keeps_the_native_pages_text(native_plan: tuple[bytes, list[int]]) -> None:
    pdf, agreement = native_plan
    assert agreement, "the generated plan must carry its agreement"
    job = ScanJob(profile=ScanProfile(render="scan", dpi=150, color="color"), scan_pages=agreement)
    mixed, pages = scan_pdf(pdf, job, np.random.default_rng(7))
    chars = _chars(mixed)
    native_texts = page_texts(pdf)
    with pdfplumber.open(io.BytesIO(mixed)) as document:
        kept = [page.extract_text() or "" for page in document.pages]
    for page in pages:
        if page.source_page in agreement:
            assert chars[page.page - 1] == 0 and page.kind == "scan"
        else:
            assert chars[page.page - 1] > 0 and page.kind == "native"
            assert kept[page.page - 1] == native_texts[page.page - 1]


def _red_pixels(pdf: bytes, page: int) -> int:
    image = np.asarray(pdfium.PdfDocument(pdf)[page].render(scale=1).to_pil().convert("RGB")).astype(int)
    return int(((image[:, :, 0] - image[:, :, 1]) > 60).sum())  # seal red, never black text


def test_plan_scan_with_a_seal_pressed_over_the_school_line(native_plan: tuple[bytes, list[int]]) -> None:
    pdf, _ = native_plan
    school = build_document(3, "clean", 2026, load_round_config()).truth["school"]
    profile = ScanProfile(render="scan", dpi=150, color="color", noise=0.0)
    plain, _ = scan_pdf(pdf, ScanJob(profile=profile, scan_pages=[1]), np.random.default_rng(8))
    stamp = Stamp(page=1, near=school, institution=school)
    sealed, pages = scan_pdf(
        pdf, ScanJob(profile=profile, scan_pages=[1], stamps=[stamp]), np.random.default_rng(8)
    )
    assert pages[0].stamped == [school]
    assert _red_pixels(sealed, 0) > _red_pixels(plain, 0) + 400


@pytest.fixture(scope="module")
def scanned_round(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    base = tmp_path_factory.mktemp("scanned-round")
    src, out = base / "round", base / "round-scanned"
    generate_round(src, seed=7, schools=2)
    scan_main([str(src), str(out), "--seed", "3", "--ratio", "0.6", "--annex1-ratio", "1.0", "--dpi", "150"])
    return src, out, json.loads((out / "scan_truth.json").read_text(encoding="utf-8"))


def test_scanned_round_truth_matches_the_pdfs(scanned_round: tuple[Path, Path, dict[str, Any]]) -> None:
    src, out, truth = scanned_round
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    plans = {f"uploads/{p['file']}": p for entry in manifest["schools"] for p in entry["plans"]}
    assert 0 < len(truth["documents"]) < len(plans)
    for document in truth["documents"]:
        pdf = (out / document["path"]).read_bytes()
        native = (src / document["path"]).read_bytes()
        pages = document["pages"]
        chars = _chars(pdf)
        assert len(chars) == len(pages) and document["native_pages"] == len(page_texts(native))
        texts = page_texts(native)
        for page in pages:
            assert (chars[page["page"] - 1] > 0) == (page["kind"] == "native"), (document["path"], page)
            expected = texts[page["source_page"] - 1] if page["source_page"] else ""
            assert page["text"] == expected
        agreement = [p["page"] for p in pages if p["part"] == "agreement"]
        assert plans[document["path"]]["data"]["agreement"]["pages"] == agreement
        if document["render"] == "mixed":
            assert agreement and all(pages[n - 1]["kind"] == "scan" for n in agreement)
            assert any(p["kind"] == "native" for p in pages)
    untouched = set(plans) - {d["path"] for d in truth["documents"]}
    assert untouched
    for path in untouched:
        assert (out / path).read_bytes() == (src / path).read_bytes()


def test_scanned_round_annex1_scans_travel_in_their_emails(
    scanned_round: tuple[Path, Path, dict[str, Any]],
) -> None:
    _, out, truth = scanned_round
    assert truth["annex1"], "every e-mailed Attachment 1 was to be scanned"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    tables = {entry["school"]: entry["annex1"] for entry in manifest["schools"]}
    outside = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    refs = {
        f["ref"]: f for s in outside["schools"] for f in (s["attachment1"]["final"] or {}).get("files", [])
    }
    for record in truth["annex1"]:
        parsed = parse_message((out / "inbox" / record["message"]).read_bytes())
        files = {a.path: a.content for a in parsed.attachments}
        path = record["source"].removeprefix(f"{record['message']}/")
        assert path in files, (path, sorted(files))
        magic = b"%PDF" if record["format"] == "pdf" else b"\xff\xd8\xff"
        assert files[path].startswith(magic)
        if record["replaces"]:
            assert record["replaces"].removeprefix(f"{record['message']}/") not in files
        assert refs[record["ref"]]["render"] == record["render"]
        printed = re.sub(r"[\s（）()]", "", record["pages"][0]["text"])
        for row in tables[record["school"]]["new"]:
            assert re.sub(r"[（）()]", "", row["certificate"]) in printed
        assert record["seal"] == record["school"]
    # A school whose stamped scan is now sent is asked for it no more.
    scanned = {record["school"] for record in truth["annex1"]}
    for entry in manifest["schools"]:
        if entry["school"] in scanned:
            assert not set(UNSIGNED_RULES) & set(entry["expected_rules"]), entry["school"]


def test_scanned_round_outside_truth_carries_render_and_profile(
    scanned_round: tuple[Path, Path, dict[str, Any]],
) -> None:
    _, out, truth = scanned_round
    outside = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    renders = {d["path"]: d for d in outside["documents"]}
    for document in truth["documents"]:
        entry = renders[document["path"]]
        assert entry["render"] == document["render"]
        assert entry["scan"] == document["scan"]
        assert [p["page"] for p in entry["page_map"]] == [p["page"] for p in document["pages"]]
    scanned = {d["path"] for d in truth["documents"]}
    assert {d["render"] for p, d in renders.items() if p not in scanned} == {"native"}
