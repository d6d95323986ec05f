"""Reading a seal's ring text: stable when the detected outline is a few pixels off, and a
faint seal read like a full one. Seals are drawn by ``fixtures.seals.draw`` and read by the
real OCR engines."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from extractors.vision.images import PageImage
from extractors.vision.seal_match import match_institution
from extractors.vision.seal_text import _own_contrast, read_seal
from extractors.vision.seals import SealCandidate, find_seals
from fixtures.seals.draw import SealSpec, seal_picture

DPI = 150.0
SCHOOL = "郴州软件职业技术学院"
OTHERS = ["株洲健康职业技术学院", "湘南商务中等专业学校", "楚天汽车工程职业学院"]


def _page(spec: SealSpec, seed: int) -> tuple[PageImage, SealCandidate]:
    canvas = Image.new("RGBA", (700, 700), (255, 255, 255, 255))
    picture = seal_picture(spec, random.Random(seed), DPI)
    canvas.alpha_composite(picture, (350 - picture.width // 2, 350 - picture.height // 2))
    page = PageImage(number=1, pixels=np.asarray(canvas.convert("RGB"), dtype=np.uint8), dpi=DPI)
    [seal] = find_seals(page)
    return page, seal


@pytest.mark.parametrize("seed", [1, 2])
def test_a_seal_reads_as_the_same_school_when_its_outline_is_a_few_pixels_off(seed: int) -> None:
    spec = SealSpec(name=SCHOOL, wear=0.05, spread=0.6, tilt=random.Random(seed).uniform(-40, 40))
    page, seal = _page(spec, seed)
    (cx, cy), (a, b) = seal.centre_px, seal.radius_px
    for dx, dy, grow in ((0, 0, 0), (4, -3, 0), (-4, 4, 3), (3, 4, -3), (-3, -4, 4)):
        moved = replace(seal, centre_px=(cx + dx, cy + dy), radius_px=(a + grow, b + grow))
        reading = read_seal(page, moved)
        match = match_institution(reading, [SCHOOL], OTHERS)
        assert (match.kind, match.name) == ("matched", SCHOOL), (dx, dy, grow, reading)


def test_another_schools_faint_seal_is_read_as_that_school() -> None:
    spec = SealSpec(name=OTHERS[0], faint=0.5, wear=0.08, tilt=15, red=(230, 60, 70))
    page, seal = _page(spec, 7)
    reading = read_seal(page, seal)
    match = match_institution(reading, [SCHOOL], OTHERS)
    assert (match.kind, match.name) == ("other_institution", OTHERS[0]), reading


@pytest.mark.parametrize("seed", [1, 4])
def test_an_oval_department_seals_bottom_line_is_read_under_its_centre(seed: int) -> None:
    # An oval's ring is nearer below its centre than a round seal's of the same width: the
    # bottom line sits higher, and is read there.
    spec = SealSpec(name=SCHOOL, shape="oval", width_mm=45, height_mm=30, bottom="财务处", tilt=seed * 7 - 20)
    page, seal = _page(spec, seed)
    reading = read_seal(page, seal)
    match = match_institution(reading, [SCHOOL], OTHERS)
    assert match.kind == "department" and "财务处" in match.quoted, reading


@pytest.mark.parametrize("seed", [3, 5])
def test_text_inked_lighter_than_the_ring_is_read(seed: int) -> None:
    # A stamp's ring takes the most ink; its characters, fine strokes, come out pale.
    spec = SealSpec(name=SCHOOL, wear=0.03, spread=0.5, tilt=seed * 9.0)
    picture = np.asarray(seal_picture(spec, random.Random(seed), DPI)).copy()
    h, w = picture.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    inside = np.hypot(xx - w / 2, yy - h / 2) < 0.42 * min(h, w)
    picture[inside, 3] = (picture[inside, 3] * 0.3).astype(np.uint8)
    canvas = Image.new("RGBA", (700, 700), (255, 255, 255, 255))
    canvas.alpha_composite(Image.fromarray(picture), (350 - w // 2, 350 - h // 2))
    page = PageImage(number=1, pixels=np.asarray(canvas.convert("RGB"), dtype=np.uint8), dpi=DPI)
    [seal] = find_seals(page)
    reading = read_seal(page, seal)
    match = match_institution(reading, [SCHOOL], OTHERS)
    assert (match.kind, match.name) == ("matched", SCHOOL), reading


def test_pale_ink_is_scaled_to_its_own_strongest_and_paper_stays_paper() -> None:
    pale = np.zeros((10, 40), np.float32)
    pale[3:7, 5:30] = 0.35
    pale[4, 10] = 0.4
    scaled = _own_contrast(pale)
    assert scaled.max() > 0.9 and scaled[0, 0] == 0.0
    assert float(scaled[3, 6]) > 0.5  # a stroke of the pale text now counts as ink
    full = np.where(pale > 0, 1.0, 0.0).astype(np.float32)
    assert np.array_equal(_own_contrast(full), full)  # ink as strong as the ring's is left be
