"""The outline geometry on tiny drawn masks: how much of a ring is inked, the band just
outside it, and an outline refitted to a ring it was proposed off."""

from __future__ import annotations

import cv2
import numpy as np

from extractors.vision.seal_outline import (
    Outline,
    cut_square,
    refine,
    refine_square,
    ring_score,
    square_through,
)
from extractors.vision.seals import _overlap


def _ring_mask(cx: int = 100, cy: int = 100, r: int = 40, size: int = 200) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    cv2.circle(mask, (cx, cy), r, 1, 2)
    return mask


def test_a_drawn_ring_is_inked_all_round_with_clean_paper_outside() -> None:
    ring, outside, visible = ring_score(_ring_mask(), Outline(100, 100, 41, 41, 0.0, "round"))
    assert ring > 0.95 and outside == 0.0 and visible == 1.0


def test_ink_just_outside_the_ring_is_measured() -> None:
    mask = _ring_mask()
    cv2.circle(mask, (100, 100), 47, 1, 2)  # a second ring where the band outside is sampled
    _, outside, _ = ring_score(mask, Outline(100, 100, 41, 41, 0.0, "round"))
    assert outside > 0.9


def test_an_outline_proposed_off_the_ring_is_refitted_to_it() -> None:
    proposed = Outline(108, 95, 46, 46, 0.0, "round")
    refitted = refine(_ring_mask(), proposed)
    assert refitted is not None
    assert abs(refitted.cx - 100) < 2 and abs(refitted.cy - 100) < 2
    assert abs(refitted.a - 41) < 2 and abs(refitted.b - 41) < 2
    assert ring_score(_ring_mask(), refitted)[0] > ring_score(_ring_mask(), proposed)[0]


def test_an_outline_over_too_little_ink_is_not_refitted() -> None:
    mask = _ring_mask()
    mask[:, :150] = 0  # a sliver of the ring is left
    assert refine(mask, Outline(100, 100, 41, 41, 0.0, "round")) is None
    assert refine(mask, Outline(100, 100, 41, 41, 0.0, "square")) is None


def test_a_ring_inside_another_is_the_same_seal_and_two_apart_are_two() -> None:
    frame = Outline(100, 100, 60, 60, 0.0, "round")
    assert _overlap(frame, Outline(120, 110, 30, 30, 0.0, "round"))  # the ring of its text
    assert not _overlap(frame, Outline(200, 100, 60, 60, 0.0, "round"))


def test_a_tilted_square_cut_by_the_page_edge_is_made_up_to_the_whole_square() -> None:
    mask = np.zeros((200, 200), np.uint8)
    corners = cv2.boxPoints(((30.0, 100.0), (80.0, 80.0), 20.0))  # centre 30 px in: cut at x=0
    cv2.polylines(mask, [np.round(corners).astype(np.int32)], True, 1, 2)
    ink = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0]
    points = np.concatenate(ink).reshape(-1, 2)
    square = cut_square(points, mask.shape)
    assert square is not None and square.shape == "square"
    assert abs(square.cx - 30) < 4 and abs(square.cy - 100) < 4
    assert abs(square.a - 40) < 4
    assert ring_score(mask, square)[0] > 0.9


def test_an_outline_wholly_on_the_page_is_no_cut_square() -> None:
    mask = _ring_mask()
    points = np.concatenate(cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0]).reshape(
        -1, 2
    )
    assert cut_square(points, mask.shape) is None


def test_a_circle_and_a_square_over_the_same_cut_ink_are_one_seal() -> None:
    circle = Outline(180, 100, 60, 60, 0.0, "round")
    square_through_the_cut = Outline(232, 100, 60, 60, 0.0, "square")
    assert not _overlap(circle, square_through_the_cut)
    assert _overlap(circle, square_through_the_cut, (200, 240))


def test_a_square_frame_with_specks_beside_it_is_refitted_to_the_frame() -> None:
    mask = np.zeros((200, 200), np.uint8)
    cv2.rectangle(mask, (60, 60), (140, 140), 1, 2)
    for x in range(44, 58, 6):  # specks of print that joined the cluster, left of the frame
        mask[100:103, x : x + 2] = 1
    points = np.argwhere(mask > 0)[:, ::-1]
    proposed = square_through(cv2.convexHull(points).reshape(-1, 2), mask.shape)
    assert proposed is not None and proposed.shape == "square"
    refitted = refine_square(mask, proposed)
    assert abs(refitted.cx - 100) < 3 and abs(refitted.cy - 100) < 3
    assert abs(refitted.a - 40) < 3 and abs(refitted.b - 40) < 3
    assert ring_score(mask, refitted)[0] > 0.95 > ring_score(mask, proposed)[0]
