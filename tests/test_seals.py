"""Seal detection on drawn seals stamped onto pages, seal text read by real tesseract, and
the institution match with characters missing."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageFilter

from extractors.vision.images import PageImage
from extractors.vision.seal_ink import page_colour
from extractors.vision.seal_match import SealReading, common_starts, match_institution, shared_ratio
from extractors.vision.seal_text import read_seal
from extractors.vision.seals import find_seals
from fixtures.seals.draw import SealSpec, seal_picture
from schemas.facts import PageFacts

DPI = 150.0
A4 = (1240, 1754)  # A4 at 150 dpi
SCHOOL = "株洲健康职业技术学院"
OTHERS = ["郴州软件职业技术学院", "湘南商务中等专业学校", "麓山智能制造职业技术学院"]


def _page(
    *stamps: tuple[SealSpec, float, float],
    text: bool = True,
    mode: str = "colour",
    seed: int = 3,
    rules: bool = False,
    shaded: bool = False,
    jpeg: int | None = None,
) -> PageImage:
    """A white A4 page with lines of black 'print' (and, with ``rules``, a table of two-pixel
    rules, with ``shaded`` rows filled pale gray) and the seals pasted at their centres, saved
    as a JPEG of quality ``jpeg``."""
    rng = random.Random(seed)
    canvas = Image.new("RGBA", A4, (255, 255, 255, 255))
    pixels = np.asarray(canvas).copy()
    if shaded:  # a table's header rows filled with pale gray
        for row in range(620, 940, 128):
            pixels[row : row + 64, 100:1140] = (225, 225, 225, 255)
    if rules:
        for row in range(620, 940, 64):
            pixels[row : row + 2, 100:1140] = (0, 0, 0, 255)
        for col in range(100, 1141, 260):
            pixels[620:877, col : col + 2] = (0, 0, 0, 255)
    if text:
        for row in range(200, 1500, 48):
            for col in range(150, 1090, 30):
                if rng.random() < 0.85:
                    pixels[row : row + 22, col : col + 3] = (20, 20, 20, 255)
                    pixels[row + 9 : row + 12, col : col + 22] = (20, 20, 20, 255)
    # A scanner blurs print a little: its edges are gray, as on every real gray scan.
    canvas = Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(0.8))
    for spec, cx, cy in stamps:
        picture = seal_picture(spec, rng, DPI)
        x, y = int(cx - picture.width / 2), int(cy - picture.height / 2)
        canvas.alpha_composite(picture, (max(0, x), max(0, y)), (max(0, -x), max(0, -y)))
    rgb = canvas.convert("RGB")
    if mode == "gray":
        rgb = rgb.convert("L").convert("RGB")
    elif mode == "bw":
        rgb = rgb.convert("L").point(lambda v: 255 if v > 150 else 0).convert("RGB")
    if jpeg is not None:
        buffer = io.BytesIO()
        rgb.save(buffer, format="JPEG", quality=jpeg)
        rgb = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return PageImage(number=1, pixels=np.asarray(rgb, dtype=np.uint8), dpi=DPI)


ROUND = SealSpec(name=SCHOOL, wear=0.03, spread=0.5)


def test_a_page_of_print_without_a_seal_has_none() -> None:
    for mode in ("colour", "gray", "bw"):
        assert find_seals(_page(mode=mode)) == []
    assert find_seals(_page(mode="bw", rules=True)) == []
    assert find_seals(_page(mode="bw", rules=True, jpeg=70)) == []


def test_a_seal_that_a_one_bit_scan_broke_into_arcs_is_found_for_a_person_to_confirm() -> None:
    # Worn and blotchy: the 1-bit threshold keeps arcs of its ring and bits of its text, and
    # no ink cluster is its outline any more.
    spec = SealSpec(name=SCHOOL, wear=0.1, spread=0.5)
    page = _page((spec, 620, 700), mode="bw")
    [seal] = find_seals(page)
    assert seal.colour == "black" and seal.shape == "round"
    cx, cy = seal.centre_px
    assert abs(cx - 620) < 15 and abs(cy - 700) < 15
    assert 0.5 <= seal.confidence < 0.7


@pytest.mark.parametrize(("mode", "colour"), [("colour", "red"), ("gray", "gray"), ("bw", "black")])
def test_a_round_seal_over_text_is_found_in_colour_gray_and_one_bit(mode: str, colour: str) -> None:
    [seal] = find_seals(_page((ROUND, 620, 700), mode=mode))
    assert seal.colour == colour
    assert seal.shape == "round"
    assert not seal.off_page
    cx, cy = seal.centre_px
    assert abs(cx - 620) < 25 and abs(cy - 700) < 25
    # A 42 mm seal at 150 dpi is about 248 pixels across.
    assert 200 < seal.box_px[2] - seal.box_px[0] < 300
    assert seal.box.x0 == pytest.approx(seal.box_px[0] * 72 / DPI)


def test_an_oval_and_a_square_seal_are_told_by_shape() -> None:
    oval = SealSpec(name=SCHOOL, shape="oval", width_mm=44, height_mm=30, star=False, wear=0.03)
    square = SealSpec(name="张晓明印", shape="square", width_mm=30, height_mm=30, star=False, wear=0.03)
    seals = find_seals(_page((oval, 400, 400), (square, 850, 1300), text=False))
    assert sorted(seal.shape for seal in seals) == ["oval", "square"]


def test_a_faint_seal_is_found_with_less_confidence_than_a_full_one() -> None:
    [full] = find_seals(_page((ROUND, 620, 700)))
    [faint] = find_seals(_page((SealSpec(name=SCHOOL, faint=0.55, wear=0.1), 620, 700)))
    assert faint.confidence <= full.confidence


def test_a_seal_half_off_the_page_and_a_perforation_half_are_flagged() -> None:
    [slipped] = find_seals(_page((ROUND, A4[0] - 40, 900)))
    assert slipped.off_page and slipped.edge == "right"
    assert slipped.visible_fraction < 0.9
    [half] = find_seals(_page((ROUND, 0, 900), text=False))
    assert half.off_page and half.edge == "left"


def test_two_seals_stamped_over_each_other_are_two_seals() -> None:
    other = SealSpec(name="湖南金职伟业母婴护理有限公司", wear=0.03, tilt=20)
    seals = find_seals(_page((ROUND, 560, 700), (other, 700, 820), text=False))
    assert len(seals) == 2


def test_an_oval_seal_on_a_table_of_thin_rules_in_a_gray_scan_is_found() -> None:
    # Thin rules shrink to mid-gray at the working resolution, the gray a seal turns: they
    # must be told as print on the page's own pixels, or the seal joins the table.
    oval = SealSpec(name=SCHOOL, shape="oval", width_mm=44, height_mm=30, star=False, wear=0.05, tilt=20)
    page = _page((oval, 560, 760), rules=True, mode="gray")
    [seal] = find_seals(page)
    assert seal.shape == "oval" and seal.colour == "gray"
    assert abs(seal.centre_px[0] - 560) < 25 and abs(seal.centre_px[1] - 760) < 25
    assert find_seals(_page(rules=True, mode="gray")) == []


def test_a_faint_square_seal_in_a_jpeg_is_found_whole() -> None:
    # The scanner's JPEG washes the colour out of a thin, faint frame: only fragments stay
    # clearly red, the rest is pale red joined to them.
    square = SealSpec(
        name="湖南工程学院",
        shape="square",
        width_mm=26,
        height_mm=26,
        ring_mm=0.7,
        faint=0.55,
        tilt=25,
        wear=0.2,
    )
    seals = find_seals(_page((ROUND, 620, 400), (square, 620, 1100), text=False, jpeg=55))
    assert len(seals) == 2
    [seal] = [seal for seal in seals if seal.centre_px[1] > 750]
    assert seal.shape == "square"
    assert abs(seal.centre_px[0] - 620) < 20 and abs(seal.centre_px[1] - 1100) < 20


def test_a_perforation_strip_cut_inside_the_page_is_found_at_its_edge() -> None:
    # A 骑缝章 struck on fanned sheets: this page shows a strip at its right edge, cut
    # straight on its inner side where the next sheet lay over it.
    page = _page((ROUND, A4[0] - 150, 900), text=False)
    pixels = page.pixels.copy()
    pixels[:, : A4[0] - 120] = 255
    [strip] = find_seals(PageImage(number=1, pixels=pixels, dpi=DPI))
    assert strip.off_page and strip.edge == "right"
    assert strip.visible_fraction < 0.6
    assert abs(strip.centre_px[1] - 900) < 25


def test_page_colour_tells_colour_gray_and_one_bit_pages() -> None:
    stamp = ((ROUND, 620, 700),)
    assert page_colour(_page(*stamp).pixels) == "colour"
    assert page_colour(_page(*stamp, mode="gray").pixels) == "gray"
    assert page_colour(_page(*stamp, mode="bw").pixels) == "bw"


def test_shared_ratio_counts_the_expected_characters_the_reading_shows() -> None:
    assert shared_ratio(SCHOOL, SCHOOL) == 1.0
    assert shared_ratio("株洲健康职业技术学", SCHOOL) == pytest.approx(0.9)
    assert shared_ratio("", SCHOOL) == 0.0


def test_match_tolerates_missing_and_misread_characters() -> None:
    reading = SealReading(arc="株洲健康职业技术学这", bottom="", confidence=70)
    assert match_institution(reading, [SCHOOL], OTHERS).kind == "matched"


def test_match_names_another_school_a_department_an_organisation_or_nothing() -> None:
    other = match_institution(SealReading("郴州软件职业技木学院", "", 70), [SCHOOL], OTHERS)
    assert other.kind == "other_institution" and other.name == "郴州软件职业技术学院"
    department = match_institution(SealReading(SCHOOL, "教务处", 80), [SCHOOL], OTHERS)
    assert department.kind == "department" and "教务处" in department.quoted
    contract = match_institution(SealReading(SCHOOL, "合同专用章", 80), [SCHOOL], OTHERS)
    assert contract.kind == "matched"
    org = match_institution(
        SealReading("湖南金职伟业母婴护理有限公司", "", 80), [SCHOOL], OTHERS, "湖南金职伟业母婴护理有限公司"
    )
    assert org.kind == "organisation"
    assert match_institution(SealReading("辊州软广", "", 20), [SCHOOL], OTHERS).kind == "unreadable"
    assert match_institution(SealReading("人人", "", 40), [SCHOOL], OTHERS).kind == "unreadable"
    # Only the generic ending read, however clearly: anybody's seal, so nobody else's.
    assert match_institution(SealReading("职业技术学院", "", 72), [SCHOOL], OTHERS).kind == "unreadable"
    # A clearly read name that is none of the round's is another institution's.
    unknown = match_institution(SealReading("岳麓山外国语职业技术学院", "", 80), [SCHOOL], OTHERS)
    assert unknown.kind == "other_institution"


def test_a_poor_reading_of_the_schools_seal_is_not_a_school_whose_name_is_all_in_its_own() -> None:
    # 长沙学院 is all in 长沙商贸旅游职业技术学院: a reading that kept 长沙 and 学院 of the
    # school's own seal shows nothing of 长沙学院's that the school's name lacks.
    own, others = ["长沙商贸旅游职业技术学院"], ["长沙学院", SCHOOL]
    poor = match_institution(SealReading("长沙陈塑络游学院", "", 70), own, others)
    assert poor.kind == "unreadable"
    crowded = match_institution(
        SealReading("湖南产年工聚职业学院", "", 80), ["湖南汽车工程职业学院"], ["湖南工学院"]
    )
    assert crowded.kind != "other_institution"  # it shows this school's 职业, nothing of 湖南工学院's own
    # That name alone, read clearly, is that school's seal; so is one showing its own characters.
    assert match_institution(SealReading("长沙学院", "", 80), own, others).kind == "other_institution"
    assert match_institution(
        SealReading("湖南工学院", "", 80), ["湖南汽车工程职业学院"], ["湖南工学院"]
    ).kind == ("other_institution")


def test_the_schools_seal_is_its_own_when_another_schools_name_is_all_in_its_own() -> None:
    # 长沙学院's and 湖南工程学院's distinctive parts are in these names: a reading of the
    # school's own seal shows nothing of them, and is the school's.
    own = match_institution(SealReading("长沙市财经学校", "", 70), ["长沙市财经学校"], ["长沙学院", SCHOOL])
    assert own.kind == "matched"
    near = match_institution(SealReading("湖南工程学院", "", 59), ["湖南工程学院"], ["湖南工程职业技术学院"])
    assert near.kind == "matched"
    # The other school's seal read whole is not the school's, whichever name holds the other.
    theirs = match_institution(
        SealReading("湖南工程职业技术学院", "", 80), ["湖南工程学院"], ["湖南工程职业技术学院"]
    )
    assert theirs.kind != "matched"
    assert (
        match_institution(SealReading("长沙学院", "", 80), ["长沙市财经学校"], ["长沙学院"]).kind != "matched"
    )


def test_a_department_is_told_from_the_first_characters_of_its_bottom_line() -> None:
    assert match_institution(SealReading(SCHOOL, "教务", 80), [SCHOOL], OTHERS).kind == "department"
    assert match_institution(SealReading(SCHOOL, "财务外", 80), [SCHOOL], OTHERS).kind == "department"
    assert match_institution(SealReading(SCHOOL, "", 80), [SCHOOL], OTHERS).kind == "matched"


def test_the_ring_text_of_a_clean_tilted_seal_is_read_and_matched_with_tesseract() -> None:
    spec = SealSpec(name=SCHOOL, wear=0.0, spread=0.4, tilt=25, font_index=0)
    page = _page((spec, 620, 700), text=False)
    [seal] = find_seals(page)
    reading = read_seal(page, seal)
    assert match_institution(reading, [SCHOOL], OTHERS).kind == "matched", reading


@pytest.fixture(scope="module")
def plan_pages() -> list[tuple[str, str, PageImage, PageFacts]]:
    from fixtures.seals.pages import base_pages

    return base_pages(count=1, seed=7)


def test_a_seal_stamped_over_a_generated_plan_page_is_found_in_colour_and_gray(
    plan_pages: list[tuple[str, str, PageImage, PageFacts]],
) -> None:
    _, school, image, _ = plan_pages[0]
    assert find_seals(image) == []  # the plan page itself: print, tables, no seal
    for mode in ("colour", "gray"):
        canvas = Image.fromarray(image.pixels).convert("RGBA")
        picture = seal_picture(SealSpec(name=school, wear=0.05, tilt=-15), random.Random(5), image.dpi)
        canvas.alpha_composite(picture, (500, 300))
        rgb = canvas.convert("RGB") if mode == "colour" else canvas.convert("L").convert("RGB")
        page = PageImage(number=1, pixels=np.asarray(rgb, dtype=np.uint8), dpi=image.dpi)
        [seal] = find_seals(page)
        cx, cy = seal.centre_px
        assert abs(cx - (500 + picture.width / 2)) < 25 and abs(cy - (300 + picture.height / 2)) < 25, mode


@pytest.mark.parametrize("apart", [160, 200, 240])  # pixels at 150 dpi: overlapping, touching, just apart
@pytest.mark.parametrize("angle", [0.0, -0.4])
def test_two_seals_one_above_the_other_are_two_seals(apart: int, angle: float) -> None:
    from extractors.vision.prepare import rotate

    # The school's and the organisation's seals one above the other (an agreement's 落款),
    # overlapping or touching, on a page straightened as OCR straightens it: their ink is one
    # cluster too long for one seal, and each ring must still be found.
    school, organisation = SealSpec(name=SCHOOL), SealSpec(name="北京中车行高新技术有限公司")
    page = _page((school, 450, 1100), (organisation, 450, 1100 + apart), text=False, jpeg=50)
    turned = PageImage(page.number, np.ascontiguousarray(rotate(page.pixels, angle)), page.dpi)
    found = find_seals(turned)
    assert len(found) == 2, [(s.box, s.confidence) for s in found]
    assert all(s.confidence >= 0.6 for s in found)


def test_a_clearly_read_seal_is_nobody_elses_when_the_school_is_not_known() -> None:
    reading = SealReading(arc="舜德科技中等专业学校", bottom="", confidence=95.0)
    assert match_institution(reading, [], []).kind == "unreadable"
    assert match_institution(reading, ["株洲健康职业技术学院"], []).kind == "other_institution"


def test_a_seal_in_the_shadow_across_a_photographed_sheet_is_found() -> None:
    # A phone photo cut to its outline: a shadow darkens the lower left of the sheet, where
    # the seal is. Told that the image is the whole sheet, the detector does not take the
    # shadow for the desk around the paper.
    page = _page((ROUND, 380, 1400))
    height, width = page.pixels.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    shade = np.clip(1.0 - 0.55 * ((ys / height - xs / width) > 0.15), 0.0, 1.0)
    shaded = (page.pixels.astype(np.float32) * shade[:, :, None]).astype(np.uint8)
    photo = PageImage(number=1, pixels=shaded, dpi=DPI)
    [seal] = find_seals(photo, whole_sheet=True)
    cx, cy = seal.centre_px
    assert abs(cx - 380) < 25 and abs(cy - 1400) < 25


def test_a_seal_paler_than_the_mid_gray_band_is_found_whole_in_a_gray_scan() -> None:
    # Faint ink turns a gray lighter than most of a seal's: its frame is judged again on any
    # ink but print, and the whole frame wins over the smaller rings its text makes.
    faint = SealSpec(name=SCHOOL, faint=0.7, wear=0.1)
    [seal] = find_seals(_page((faint, 620, 700), mode="gray", jpeg=70))
    assert abs(seal.centre_px[0] - 620) < 10 and abs(seal.centre_px[1] - 700) < 10
    assert abs(seal.radius_px[0] - 122) < 8
    assert find_seals(_page(mode="gray", jpeg=70)) == []


def test_a_faint_square_seal_over_a_shaded_table_in_a_gray_scan_is_found() -> None:
    # Its pale frame is lighter than the mid-gray band, and the shaded rows and the rules'
    # gray edges would join it to the whole table: they are taken out as long runs first.
    square = SealSpec(
        name="湖南工程学院", shape="square", width_mm=30, height_mm=30, ring_mm=1.0, faint=0.55, wear=0.1
    )
    [seal] = find_seals(_page((square, 620, 760), rules=True, shaded=True, mode="gray", jpeg=70))
    assert seal.shape == "square" and seal.colour == "gray"
    assert abs(seal.centre_px[0] - 620) < 20 and abs(seal.centre_px[1] - 760) < 20
    assert find_seals(_page(rules=True, shaded=True, mode="gray", jpeg=70)) == []


@pytest.mark.parametrize(
    ("bottom", "kind"), [("教务处", "department"), ("财务处", "department"), ("合同专用章", "matched")]
)
def test_the_bottom_line_of_a_seal_is_read_and_tells_a_department_from_the_school(
    bottom: str, kind: str
) -> None:
    spec = SealSpec(name=SCHOOL, bottom=bottom, wear=0.03, spread=0.5, font_index=0, tilt=25)
    page = _page((spec, 620, 700), text=False)
    [seal] = find_seals(page)
    reading = read_seal(page, seal)
    assert reading.bottom == bottom
    assert match_institution(reading, [SCHOOL], OTHERS).kind == kind


def test_a_province_shared_by_the_rounds_schools_does_not_make_a_reading_the_schools() -> None:
    # Most of the round's schools are 湖南某某: a clear reading of another 湖南 school's seal,
    # one of whose own characters was misread, shares only 湖南 and the generic ending.
    own = ["湖南信息职业技术学院", "湖南信息职院"]
    others = [
        "湖南科技职业学院",
        "湖南工业职业技术学院",
        "湖南交通职业技术学院",
        "湖南工程学院",
        "湖南汽车工程职业学院",
    ]
    theirs = match_institution(SealReading("湖南杜技职业学院", "", 94), own, others)
    assert theirs.kind != "matched"
    # The school's own seal, one character lost, is still the school's.
    assert match_institution(SealReading("湖南信职业技术学院", "", 70), own, others).kind == "matched"
    # With few schools in the round no beginning is shared enough to be set aside.
    assert common_starts(others[:3]) == frozenset()
    assert "湖南" in common_starts([*own[:1], *others])


def test_any_office_on_the_bottom_line_is_a_department() -> None:
    for office in ("总务处", "后勤处", "院长办公室"):
        match = match_institution(SealReading(SCHOOL, office, 80), [SCHOOL], OTHERS)
        assert match.kind == "department", office
    assert match_institution(SealReading(SCHOOL, "合同专用章", 80), [SCHOOL], OTHERS).kind == "matched"


def test_a_company_word_in_a_poor_reading_of_the_schools_name_is_not_a_company() -> None:
    # 海县程业中心 is 岳阳县职业中专 poorly read (县, 业中 in order), not a 中心's seal.
    own = ["岳阳县职业中专"]
    reading = SealReading("海县程业中心", "", 62)
    assert match_institution(reading, own, OTHERS).kind == "unreadable"
    company = SealReading("北京中福长者文化科技有限公司", "", 80)
    assert match_institution(company, own, OTHERS).kind == "organisation"


def test_a_bottom_line_that_is_no_contract_seals_is_for_a_person_never_the_schools() -> None:
    # A school's 公章 has no bottom line: one read as something else than 合同专用章 may be
    # a department's (财务处 misread), and a department read unclearly is no proof either way.
    for bottom, confidence in (("体果", 80), ("州论", 62), ("财务处", 50)):
        reading = SealReading(SCHOOL, bottom, confidence)
        assert match_institution(reading, [SCHOOL], OTHERS).kind == "unreadable", bottom
    # What a poor reading of 合同专用章 keeps is still the school's contract seal.
    for bottom in ("合同专用学", "方润用章", "用章"):
        assert match_institution(SealReading(SCHOOL, bottom, 80), [SCHOOL], OTHERS).kind == "matched"
    # A finance seal is a department's, though it ends as a contract seal does.
    assert match_institution(SealReading(SCHOOL, "财务专用章", 80), [SCHOOL], OTHERS).kind == "department"
    assert match_institution(SealReading(SCHOOL, "", 80), [SCHOOL], OTHERS).kind == "matched"


def test_an_unknown_bottom_line_read_with_the_print_under_a_gray_seal_says_nothing() -> None:
    # On a gray scan the print under a seal is read with its bottom line (学校：舜德…).
    reading = SealReading(SCHOOL, "以义城", 73, bottom_own_ink=False)
    assert match_institution(reading, [SCHOOL], OTHERS).kind == "matched"
    # A department's word is still a department's, whatever the page.
    office = SealReading(SCHOOL, "财务处", 73, bottom_own_ink=False)
    assert match_institution(office, [SCHOOL], OTHERS).kind == "department"
    # 洪务处 is 财务处 or 教务处 with its first character misread, on any page.
    misread = SealReading(SCHOOL, "洪务处", 85, bottom_own_ink=False)
    assert match_institution(misread, [SCHOOL], OTHERS).kind == "department"
    # Nor does print that ends as an office does (此处) make one.
    print_under = SealReading(SCHOOL, "此处", 73, bottom_own_ink=False)
    assert match_institution(print_under, [SCHOOL], OTHERS).kind == "matched"


def test_another_schools_name_read_clearly_is_theirs_though_it_holds_this_schools() -> None:
    # 长沙航空职业技术学院 holds all that sets 长沙学院 apart (长沙).
    own, others = ["长沙学院", "长院"], ["长沙航空职业技术学院", SCHOOL]
    theirs = match_institution(SealReading("长沙航空职业技术学院卖", "", 92), own, others)
    assert (theirs.kind, theirs.name) == ("other_institution", "长沙航空职业技术学院")
    # Read poorly it proves nothing; this school's own name read clearly is its own.
    assert (
        match_institution(SealReading("长沙航空职业技术学院卖", "", 45), own, others).kind
        != "other_institution"
    )
    assert match_institution(SealReading("长沙学院", "", 92), own, others).kind == "matched"
