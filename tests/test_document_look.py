"""A document's seals and signatures gathered for the seal rules: which part each page is,
which side of the agreement a seal sits by, the page turned as OCR turned it, 1-bit scans
recognised from the file, and crops named by their content."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from extractors.seals_in_document import _plan_parts, seal_names
from extractors.vision.document_look import (
    PageLook,
    _reading_order,
    _seal_party,
    crop_name,
    sides_by_position,
    upright,
)
from extractors.vision.images import PageImage, render_pdf
from extractors.vision.seals import SealCandidate
from extractors.vision.signatures import SignatureCandidate, SignaturePlace
from schemas.document import DocumentResult
from schemas.facts import Box, PageFacts
from schemas.round_config import load_round_config

CONFIG = load_round_config()


def _seal(x: float, top: float, confidence: float = 0.9) -> SealCandidate:
    box = Box(x0=x, top=top, x1=x + 110, bottom=top + 110)
    return SealCandidate(
        page=4,
        box_px=(0, 0, 1, 1),
        box=box,
        centre_px=(0.0, 0.0),
        radius_px=(55.0, 55.0),
        angle=0.0,
        shape="round",
        colour="red",
        confidence=confidence,
        off_page=False,
        edge=None,
        visible_fraction=1.0,
    )


def _place(x: float, top: float, party: str) -> SignatureCandidate:
    label = Box(x0=x, top=top, x1=x + 80, bottom=top + 11)
    region = Box(x0=x + 80, top=top - 10, x1=x + 200, bottom=top + 20)
    place = SignaturePlace(page=4, label="授权代表（签字）：", label_box=label, region=region, party=party)  # type: ignore[arg-type]
    return SignatureCandidate(place=place, verdict="empty", confidence=0.85)


def test_a_seal_is_the_organisations_only_when_both_sides_labels_were_read() -> None:
    seal_by_right_block = _seal(330, 520)
    both = (_place(80, 570, "school"), _place(330, 570, "org"))
    assert _seal_party(seal_by_right_block, both) == "org"
    assert _seal_party(_seal(80, 520), both) == "school"
    # OCR lost the 甲方 heading: the one label read cannot say whose side the seal is on.
    assert _seal_party(seal_by_right_block, (_place(330, 570, "org"),)) is None
    assert _seal_party(seal_by_right_block, (_place(330, 570, "leader"), _place(80, 570, "school"))) is None
    assert _seal_party(_seal(80, 100), both) is None  # far from every label


def test_a_signature_place_without_its_side_takes_it_from_the_place_beside_it() -> None:
    left, right = _place(80, 570, "leader"), _place(330, 572, "leader")
    placed = sides_by_position([left, right])
    assert [v.place.party for v in placed] == ["school", "org"]
    alone = sides_by_position([_place(80, 570, "leader")])
    assert alone[0].place.party == "leader"  # nothing beside it: still unknown


def test_seals_are_read_school_side_first_and_surest_first() -> None:
    places = (_place(80, 570, "school"), _place(330, 570, "org"))
    look = PageLook(
        4,
        "agreement",
        False,
        True,
        seals=(_seal(330, 520, 0.99), _seal(80, 520, 0.7), _seal(90, 300, 0.95)),
        signatures=places,
    )
    plan = PageLook(1, "plan", False, True, seals=(_seal(300, 600),))
    assert _reading_order([plan, look], "agreement") == [(1, 2), (1, 1), (1, 0)]
    assert _reading_order([plan, look], "plan") == [(0, 0)]


def test_a_page_is_turned_and_straightened_as_ocr_read_it() -> None:
    pixels = np.full((200, 100, 3), 255, np.uint8)
    pixels[:20, :, :] = 0  # a black band along the top
    image = PageImage(1, pixels, 72.0)
    facts = PageFacts(number=1, width=200, height=100, text_source="ocr", turned_degrees=90)
    turned = upright(image, facts)
    assert turned.pixels.shape == (100, 200, 3)
    assert turned.pixels[:, -20:].mean() < 10  # the top band is now on the right (clockwise)
    assert upright(image, PageFacts(number=1, width=100, height=200)) is image


def _one_bit_scan_pdf() -> bytes:
    """A 1-bit scan (Pillow stores it with one bit per pixel) followed by a text page."""
    scan = Image.new("1", (1240, 1754), 1)  # A4 at 150 dpi
    for y in range(300, 1400, 40):
        scan.paste(0, (150, y, 1100, y + 12))
    gray = scan.convert("L")
    out = io.BytesIO()
    scan.save(out, format="PDF", resolution=150.0, save_all=True, append_images=[gray])
    return out.getvalue()


def test_a_one_bit_scan_is_known_from_the_file_not_from_the_render() -> None:
    one_bit, gray = render_pdf(_one_bit_scan_pdf(), dpi=100, max_dpi=100)
    assert one_bit.bilevel is True
    assert gray.bilevel is False  # the same page scanned in gray: red may still show
    text = io.BytesIO()
    page = canvas.Canvas(text, pagesize=A4)
    page.drawString(72, 720, "native text page")
    page.save()
    (native,) = render_pdf(text.getvalue(), dpi=100, max_dpi=100)
    assert native.bilevel is None  # no image: the pixels must tell


def test_crops_are_named_by_their_content() -> None:
    png = b"\x89PNG fake"
    digest = hashlib.sha256(png).hexdigest()
    assert crop_name(png) == f"crops/{digest[:2]}/{digest}.png"


def _pages(*kinds: str) -> DocumentResult:
    pages = [PageFacts(number=i, width=595, height=842, kind=kind) for i, kind in enumerate(kinds, start=1)]
    return DocumentResult(source="x.pdf", sha256="0" * 64, pages=pages)


def test_an_unplaced_page_belongs_to_the_part_it_follows() -> None:
    parts = _plan_parts(_pages("plan", "plan", "other", "other", "agreement", "agreement", "other"))
    assert parts == {
        1: "plan",
        2: "plan",
        3: "plan",
        4: "plan",
        5: "agreement",
        6: "agreement",
        7: "agreement",
    }


@pytest.mark.parametrize("declared", ["长沙民政职业技术学院", None])
def test_seal_names_know_the_school_and_the_round_or_accuse_no_one(declared: str | None) -> None:
    names = seal_names(CONFIG, declared, "长沙民政职业技术学院/方案.pdf", "某某科技有限公司")
    assert "长沙民政职业技术学院" in names.school
    assert names.others and "长沙民政职业技术学院" not in names.others
    assert names.organisation == "某某科技有限公司"
    off_list = seal_names(CONFIG, None, "舜德科技中等专业学校/方案（盖章版）.pdf", None)
    assert off_list.school == ["舜德科技中等专业学校"]  # off the round's list, named by its folder
    unknown = seal_names(CONFIG, None, "扫描全能王 2022-04-12.pdf", None)
    assert unknown.school == [] and unknown.others == []  # whose seal it should be is not known


def test_a_seal_alone_at_a_scanned_signature_place_is_unsure() -> None:
    from extractors.vision.document_look import UNSURE_ON_SCAN, _scanned

    seal_only = _place(80, 570, "school")
    seal_only = SignatureCandidate(place=seal_only.place, verdict="seal_only", confidence=0.7)
    assert _scanned(seal_only).confidence == UNSURE_ON_SCAN < 0.6
    typed = SignatureCandidate(place=seal_only.place, verdict="typed_name", confidence=0.8, typed="易刚")
    assert _scanned(typed).confidence == UNSURE_ON_SCAN  # OCR may have read a hand as print
    empty = _place(80, 570, "school")  # a blank line is as blank on a scan: unchanged
    assert _scanned(empty) == empty
