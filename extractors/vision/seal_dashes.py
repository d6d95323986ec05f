"""A 1-bit seal's ring as dashes: short straight pieces of ink lying along it, across it never.

Thresholding a red seal to black keeps its ring where it was inked hardest, and on a worn or
pale stamp that is a row of dashes a few millimetres long with gaps between them: too short
for the long inked arcs ``seal_arcs`` looks for, plain to the eye. A dash is a piece of ink
much longer than it is wide. Print makes few of them where a seal's ring runs diagonally
across the page: the strokes of Chinese characters join into compact blocks, and its long
strokes are level or upright. So the ink pieces that are dashes are gathered once per page,
and an outline is measured by how much of its diagonal length such dashes cover, lying on it
and running along it, against the same just inside and just outside it, where a ring has
none. Each dash counts for one seal only: once a seal is taken, its dashes are spent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from extractors.vision.seal_ink import mm_to_px
from extractors.vision.seal_outline import Outline

SHORTEST_MM = 1.5  # a piece shorter than this is a dot, not a dash
LONGEST_MM = 15.0  # longer pieces are arcs the arc measure reads, or a curved stroke
ELONGATION = 2.5  # a dash is at least this many times longer than wide
ALONG_DEGREES = 25.0  # how far a dash may turn from the outline's direction and still run along it
BAND = 0.06  # how far off the outline, as a share of its size (plus two pixels), a dash may lie
SCALES = (0.86, 1.14)  # the outlines just inside and just outside, where a ring has no dashes
FEWEST = 3  # one or two dashes are a stroke or two of print, or another seal's edge: a ring is more


@dataclass(frozen=True)
class Dashes:
    """The dashes of one page: centre x, y, length and direction (radians), and which are
    already spent on a seal."""

    x: np.ndarray
    y: np.ndarray
    length: np.ndarray
    direction: np.ndarray
    spent: np.ndarray

    @property
    def count(self) -> int:
        return int(self.x.size)


def page_dashes(ink: np.ndarray, dpi: float) -> Dashes:
    """Every piece of ``ink`` (a 0/1 mask at ``dpi``) that is a dash."""
    count, labels, stats, centres = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    shortest, longest = mm_to_px(SHORTEST_MM, dpi), mm_to_px(LONGEST_MM, dpi)
    width, height, area = (
        stats[:, cv2.CC_STAT_WIDTH],
        stats[:, cv2.CC_STAT_HEIGHT],
        stats[:, cv2.CC_STAT_AREA],
    )
    extent = np.maximum(width, height)
    keep = (extent >= 0.7 * shortest) & (extent <= longest) & (area >= 4)
    keep[0] = False
    if not keep.any():
        empty = np.zeros(0)
        return Dashes(empty, empty, empty, empty, np.zeros(0, bool))
    # Second moments of every kept piece at once, from its pixels' sums.
    ys, xs = np.nonzero(keep[labels])
    which = labels[ys, xs]
    size = np.bincount(which, minlength=count).astype(np.float64)
    n = np.maximum(size, 1)
    mean_x, mean_y = np.bincount(which, xs, count) / n, np.bincount(which, ys, count) / n
    cxx = np.bincount(which, xs.astype(np.float64) ** 2, count) / n - mean_x**2
    cyy = np.bincount(which, ys.astype(np.float64) ** 2, count) / n - mean_y**2
    cxy = np.bincount(which, xs.astype(np.float64) * ys, count) / n - mean_x * mean_y
    half_trace, spread = (cxx + cyy) / 2, np.sqrt(np.maximum(((cxx - cyy) / 2) ** 2 + cxy**2, 0.0))
    # A bar of length L and width W has variances L²/12 and W²/12 along and across it.
    length = np.sqrt(12 * (half_trace + spread))
    thickness = np.sqrt(12 * np.maximum(half_trace - spread, 0.0))
    dash = keep & (length >= shortest) & (length >= ELONGATION * np.maximum(thickness, 0.5))
    direction = 0.5 * np.arctan2(2 * cxy, cxx - cyy)
    pick = np.nonzero(dash)[0]
    return Dashes(
        centres[pick, 0], centres[pick, 1], length[pick], direction[pick], np.zeros(pick.size, bool)
    )


def _frame(dashes: Dashes, outline: Outline) -> tuple[np.ndarray, np.ndarray, float]:
    """Each dash's place on ``outline``: its distance from the centre as a share of the
    outline's size (1 on the outline), the outline's direction there (radians, on the page),
    and that share's tolerance."""
    turn = math.radians(outline.angle)
    dx, dy = dashes.x - outline.cx, dashes.y - outline.cy
    u = dx * math.cos(turn) + dy * math.sin(turn)
    v = -dx * math.sin(turn) + dy * math.cos(turn)
    a, b = max(outline.a, 1.0), max(outline.b, 1.0)
    if outline.shape == "square":
        reach = np.maximum(np.abs(u) / a, np.abs(v) / b)
        along = np.where(np.abs(u) / a > np.abs(v) / b, math.pi / 2, 0.0)
    else:
        reach = np.hypot(u / a, v / b)
        along = np.arctan2(u / a**2, -v / b**2)  # at right angles to the outline's normal
    return reach, along + turn, BAND + 2.0 / min(a, b)


def _diagonal_length(outline: Outline, scale: float, shape: tuple[int, int]) -> float:
    """Length of the diagonal part of ``outline`` scaled by ``scale`` that lies on a page of
    ``shape``, in pixels."""
    count = 240
    t = np.linspace(0, 2 * math.pi, count, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    if outline.shape == "square":
        edge = np.maximum(np.abs(c), np.abs(s))  # out along each ray to the square's frame
        c, s = c / edge, s / edge
    turn = math.radians(outline.angle)
    u, v = outline.a * scale * c, outline.b * scale * s
    xs = outline.cx + u * math.cos(turn) - v * math.sin(turn)
    ys = outline.cy + u * math.sin(turn) + v * math.cos(turn)
    step_x, step_y = np.roll(xs, -1) - xs, np.roll(ys, -1) - ys
    steps = np.hypot(step_x, step_y)
    height, width = shape
    on_page = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
    diagonal = np.abs(np.sin(2 * np.arctan2(step_y, step_x))) > 0.5
    return float(steps[on_page & diagonal].sum())


def _along(
    dashes: Dashes, frame: tuple[np.ndarray, np.ndarray, float], scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Which dashes lie on the outline of ``frame`` (as ``_frame`` gives it) scaled by
    ``scale`` and run along it, and which of those lie where it runs diagonally."""
    reach, along, tolerance = frame
    turned = np.abs((dashes.direction - along + math.pi / 2) % math.pi - math.pi / 2)
    on = (np.abs(reach - scale) <= tolerance * scale) & (turned <= math.radians(ALONG_DEGREES))
    return on, on & (np.abs(np.sin(2 * along)) > 0.5)


def _covered(
    dashes: Dashes,
    outline: Outline,
    frame: tuple[np.ndarray, np.ndarray, float],
    scale: float,
    shape: tuple[int, int],
) -> tuple[float, int]:
    """Share of ``outline``'s diagonal length (scaled by ``scale``) that unspent dashes
    lying on it and running along it cover, and how many dashes those are."""
    _, diagonal = _along(dashes, frame, scale)
    counted = diagonal & ~dashes.spent
    total = _diagonal_length(outline, scale, shape)
    return (float(dashes.length[counted].sum()) / total if total > 0 else 0.0), int(counted.sum())


def dash_margin(dashes: Dashes, outline: Outline, shape: tuple[int, int]) -> float:
    """How much more of ``outline``'s diagonal length lies in dashes running along it than
    of the outlines just inside and just outside it, on a page of ``shape``; 0 when fewer
    than ``FEWEST`` dashes lie along it."""
    if dashes.count == 0:
        return 0.0
    frame = _frame(dashes, outline)  # where each dash lies on the outline, for every scale
    on, count = _covered(dashes, outline, frame, 1.0, shape)
    if count < FEWEST:
        return 0.0
    return on - max(_covered(dashes, outline, frame, scale, shape)[0] for scale in SCALES)


def spend(dashes: Dashes, outline: Outline) -> None:
    """Mark the dashes along ``outline`` as a found seal's, so that no other counts them."""
    if dashes.count:
        dashes.spent[_along(dashes, _frame(dashes, outline), 1.0)[0]] = True
