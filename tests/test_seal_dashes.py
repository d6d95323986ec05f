"""A worn 1-bit ring as dashes: pieces of ink longer than wide, lying along an outline, told
from the compact blocks of print, counted for one seal only."""

from __future__ import annotations

import math

import cv2
import numpy as np

from extractors.vision.seal_arcs import broken_rings
from extractors.vision.seal_dashes import dash_margin, page_dashes, spend
from extractors.vision.seal_outline import Outline

DPI = 100.0
R = 80  # a 41 mm seal at 100 dpi


def _dashed_ring(size: int = 400, every: int = 30, span: int = 7, skip: tuple[int, ...] = ()) -> np.ndarray:
    """A ring of radius ``R`` worn to dashes ``span`` degrees long (about 2.5 mm) every
    ``every`` degrees, as thresholding leaves a pale stamp; the dashes starting at the
    degrees in ``skip`` are gone as well."""
    mask = np.zeros((size, size), np.uint8)
    for start in range(0, 360, every):
        if start not in skip:
            cv2.ellipse(mask, (size // 2, size // 2), (R, R), 0, start, start + span, 1, 3)
    return mask


def test_dashes_are_long_thin_pieces_with_their_direction() -> None:
    mask = np.zeros((100, 200), np.uint8)
    cv2.line(mask, (20, 20), (40, 40), 1, 2)  # a dash at 45 degrees, 7 mm long
    cv2.rectangle(mask, (100, 10), (115, 25), 1, -1)  # a block of print: as long as wide
    mask[60, 150] = 1  # a dot
    dashes = page_dashes(mask, DPI)
    assert dashes.count == 1
    assert abs(dashes.x[0] - 30) < 1 and abs(dashes.y[0] - 30) < 1
    assert abs(math.degrees(dashes.direction[0]) - 45) < 3 and 6 < dashes.length[0] * 25.4 / DPI < 9


def test_dashes_along_a_ring_stand_out_and_the_same_dashes_across_it_do_not() -> None:
    ring = Outline(200.0, 200.0, R, R, 0.0, "round")
    dashes = page_dashes(_dashed_ring(), DPI)
    assert dashes.count == 12 and dash_margin(dashes, ring, (400, 400)) > 0.2
    across = np.zeros((400, 400), np.uint8)
    for degrees in range(0, 360, 30):  # the same dashes on the circle, turned to cross it
        x = 200 + R * math.cos(math.radians(degrees + 3.5))
        y = 200 + R * math.sin(math.radians(degrees + 3.5))
        dx, dy = 5 * math.cos(math.radians(degrees)), 5 * math.sin(math.radians(degrees))
        cv2.line(across, (round(x - dx), round(y - dy)), (round(x + dx), round(y + dy)), 1, 3)
    assert page_dashes(across, DPI).count == 12
    assert dash_margin(page_dashes(across, DPI), ring, (400, 400)) == 0.0
    # Dashes as thick just inside the circle as on it are no ring's.
    inner = np.zeros((400, 400), np.uint8)
    for start in range(0, 360, 30):
        cv2.ellipse(inner, (200, 200), (round(0.86 * R), round(0.86 * R)), 0, start, start + 8, 1, 3)
    assert dash_margin(page_dashes(_dashed_ring() | inner, DPI), ring, (400, 400)) <= 0.05


def test_two_dashes_are_no_ring() -> None:
    ring = Outline(200.0, 200.0, R, R, 0.0, "round")
    two = _dashed_ring(skip=tuple(d for d in range(0, 360, 30) if d not in (30, 60)))
    assert page_dashes(two, DPI).count == 2 and dash_margin(page_dashes(two, DPI), ring, (400, 400)) == 0.0


def test_spent_dashes_count_for_no_other_outline() -> None:
    ring = Outline(200.0, 200.0, R, R, 0.0, "round")
    dashes = page_dashes(_dashed_ring(), DPI)
    spend(dashes, ring)
    assert dashes.spent.all() and dash_margin(dashes, ring, (400, 400)) == 0.0


def test_a_ring_worn_to_dashes_is_found_where_the_long_arcs_measure_sees_nothing() -> None:
    mask = _dashed_ring()
    [(outline, confidence, visible)] = broken_rings(mask, DPI)
    assert abs(outline.cx - 200) < 5 and abs(outline.cy - 200) < 5 and abs(outline.a - R) < 5
    assert 0.5 <= confidence <= 0.85 and visible == 1.0


def test_print_of_short_strokes_and_a_signature_like_scrawl_are_not_rings() -> None:
    page = np.zeros((400, 400), np.uint8)
    for y in range(40, 360, 22):  # lines of characters: strokes joined into blocks
        for x in range(30, 370, 16):
            cv2.line(page, (x, y), (x + 11, y), 1, 2)
            cv2.line(page, (x + 5, y - 6), (x + 5, y + 6), 1, 2)
            cv2.line(page, (x + 1, y + 5), (x + 10, y - 5), 1, 2)
    assert broken_rings(page, DPI) == []
