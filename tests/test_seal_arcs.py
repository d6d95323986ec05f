"""Broken rings on 1-bit masks: run lengths round a circle, long arcs against strokes of
print, table rules taken out."""

from __future__ import annotations

import math

import cv2
import numpy as np

from extractors.vision.seal_arcs import _run_lengths, arc_scores, broken_rings, without_rules
from extractors.vision.seal_ink import without_long_runs

DPI = 100.0
R = 80  # a 41 mm seal at 100 dpi


def test_run_lengths_count_a_run_that_wraps_round_the_end_whole() -> None:
    hit = np.array([[1, 1, 0, 0, 1, 1, 1, 0, 1, 1]], bool)
    assert _run_lengths(hit).tolist() == [[4, 4, 0, 0, 3, 3, 3, 0, 4, 4]]
    assert _run_lengths(np.ones((1, 5), bool)).tolist() == [[5] * 5]
    assert _run_lengths(np.zeros((1, 3), bool)).tolist() == [[0, 0, 0]]


def _arcs(
    size: int = 400, spans: tuple[tuple[int, int], ...] = ((20, 80), (110, 170), (200, 250))
) -> np.ndarray:
    """A ring of radius ``R`` at the centre of which only arcs (degrees) are left."""
    mask = np.zeros((size, size), np.uint8)
    for start, end in spans:
        cv2.ellipse(mask, (size // 2, size // 2), (R, R), 0, start, end, 1, 3)
    return mask


def test_long_diagonal_arcs_score_and_short_strokes_across_the_circle_do_not() -> None:
    circle = np.array([[200.0, 200.0, R]])
    ring, outside, visible = arc_scores(_arcs(), circle, DPI)
    assert ring[0] > 0.4 and outside[0] == 0.0 and visible[0] == 1.0
    strokes = np.zeros((400, 400), np.uint8)
    for degrees in range(0, 360, 12):  # print on the circle: a character's strokes every 4 mm
        x = round(200 + R * math.cos(math.radians(degrees)))
        y = round(200 + R * math.sin(math.radians(degrees)))
        cv2.line(strokes, (x - 6, y), (x + 6, y), 1, 1)
        cv2.line(strokes, (x, y - 6), (x, y + 6), 1, 1)
    assert strokes.sum() > 0 and arc_scores(strokes, circle, DPI)[0][0] < 0.1


def test_table_rules_are_taken_out_and_a_ring_is_kept() -> None:
    mask = _arcs(spans=((0, 360),))
    mask[50, 10:390] = 1
    mask[10:390, 30] = 1
    clean = without_rules(mask, DPI)
    assert clean[50, 10:390].sum() == 0 and clean[10:390, 30].sum() == 0
    assert clean.sum() > 0.9 * _arcs(spans=((0, 360),)).sum()


def test_a_broken_ring_is_found_where_it_is_and_once() -> None:
    [(outline, confidence, visible)] = broken_rings(_arcs(), DPI)
    assert abs(outline.cx - 200) < 4 and abs(outline.cy - 200) < 4 and abs(outline.a - R) < 4
    assert 0.5 <= confidence <= 0.85 and visible == 1.0


def test_long_runs_are_taken_out_through_small_gaps_and_a_seal_sized_square_is_kept() -> None:
    mask = np.zeros((200, 400), np.uint8)
    mask[20, 10:390] = 1
    mask[20, 100:390:40] = 0  # JPEG noise along a pale rule
    cv2.rectangle(mask, (150, 60), (260, 170), 1, 2)  # a 28 mm square at 100 dpi
    clean = without_long_runs(mask, DPI, 40.0, bridge=5)
    assert clean[18:23].sum() == 0
    assert clean[60:172, 150:262].sum() == mask[60:172, 150:262].sum()
    assert without_long_runs(mask, DPI, 40.0)[20].sum() > 0  # without bridging the gaps end it


def test_a_broken_oval_is_found_as_an_oval() -> None:
    mask = np.zeros((400, 400), np.uint8)
    for start, end in ((15, 70), (105, 160), (195, 250), (290, 340)):  # 44 by 30 mm, tilted
        cv2.ellipse(mask, (200, 200), (87, 59), 20, start, end, 1, 3)
    [(outline, _confidence, _visible)] = broken_rings(mask, DPI)
    # Roughly: many ovals near it cover its arcs as well, and the seal reader refits it.
    assert outline.shape == "oval"
    assert abs(outline.cx - 200) < 8 and abs(outline.cy - 200) < 8
    assert abs(outline.a - 87) < 8 and abs(outline.b - 59) < 8
    assert abs(outline.angle - 20) <= 15


def _broken_square(tilt: float, side: int = 110) -> np.ndarray:
    """A 28 mm square frame at 100 dpi, turned by ``tilt`` degrees, of which a piece of each
    side is left."""
    mask = np.zeros((400, 400), np.uint8)
    corners = cv2.boxPoints(((200.0, 200.0), (float(side), float(side)), tilt))
    for k in range(4):
        start, end = corners[k], corners[(k + 1) % 4]
        a, b = start + 0.2 * (end - start), start + 0.75 * (end - start)
        cv2.line(mask, (round(a[0]), round(a[1])), (round(b[0]), round(b[1])), 1, 3)
    return mask


def test_a_broken_square_at_a_slant_is_found_as_a_square() -> None:
    [(outline, confidence, visible)] = broken_rings(_broken_square(30.0), DPI)
    assert outline.shape == "square" and 0.5 <= confidence <= 0.85 and visible == 1.0
    assert abs(outline.cx - 200) < 6 and abs(outline.cy - 200) < 6 and abs(outline.a - 55) < 6
    assert min(abs(outline.angle - 30), 90 - abs(outline.angle - 30)) <= 10


def test_a_level_square_is_not_told_from_lines_of_print() -> None:
    # Level sides run as lines of text and table rules do: nothing sets them apart.
    assert broken_rings(_broken_square(0.0), DPI) == []
    lines = np.zeros((400, 400), np.uint8)
    for y in range(60, 340, 28):  # lines of text, each a row of characters' strokes
        for x in range(40, 360, 16):
            cv2.line(lines, (x, y), (x + 11, y), 1, 2)
            cv2.line(lines, (x + 5, y - 6), (x + 5, y + 6), 1, 2)
    assert broken_rings(lines, DPI) == []
