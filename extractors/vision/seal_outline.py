"""The outline of a seal: a ring, an oval or a square frame, fitted to ink and scored by how
much of it is inked. Pure geometry on binary masks (numpy, OpenCV), kept apart from the
detector that decides which outlines are seals (``seals.find_seals``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import cv2
import numpy as np

from extractors.vision.seal_ink import mm_to_px

RING_SAMPLES = 120

Shape = Literal["round", "oval", "square"]


@dataclass(frozen=True)
class Outline:
    cx: float
    cy: float
    a: float  # half-axis along ``angle``
    b: float
    angle: float
    shape: Shape
    # Where the seal is cut (the page edge, or the straight cut of a 骑缝章 half a little
    # inside a scanned page): samples outside [clip_x0, clip_x1] are not on the page.
    clip_x0: float = 0.0
    clip_x1: float = math.inf


def _unit_shape(square: bool, samples: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0, 2 * math.pi, samples, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    if square:
        # A square frame: a superellipse of high power is close enough to sample along.
        power = 0.1
        return np.sign(c) * np.abs(c) ** power, np.sign(s) * np.abs(s) ** power
    return c, s


# The unit outlines, drawn once: a page's detection samples tens of thousands of them.
_UNIT = {square: _unit_shape(square, RING_SAMPLES) for square in (False, True)}


def outline_points(outline: Outline, scale: float, samples: int = RING_SAMPLES) -> np.ndarray:
    """Points (x, y) on the outline scaled by ``scale`` (1.0 = the outline itself)."""
    square = outline.shape == "square"
    x, y = _UNIT[square] if samples == RING_SAMPLES else _unit_shape(square, samples)
    x = x * (outline.a * scale)
    y = y * (outline.b * scale)
    rad = math.radians(outline.angle)
    cos, sin = math.cos(rad), math.sin(rad)
    return np.stack([outline.cx + x * cos - y * sin, outline.cy + x * sin + y * cos], axis=1)


def coverage(
    mask: np.ndarray, outline: Outline, scales: tuple[float, ...], hidden: np.ndarray | None = None
) -> tuple[float, float]:
    """(share of the outline's on-page samples that have ink at any of ``scales``, share of
    samples that lie on the page). Samples without ink where ``hidden`` is set (print, which
    hides the seal's ink under it) are left out of the share when at least half are seen."""
    height, width = mask.shape
    hits = np.zeros(RING_SAMPLES, dtype=bool)
    inside = np.zeros(RING_SAMPLES, dtype=bool)
    covered = np.zeros(RING_SAMPLES, dtype=bool)
    # The visible share is told at the scale nearest the outline itself; the band just
    # outside a seal has no scale 1.0 and is measured on its own samples.
    nearest = min(scales, key=lambda s: abs(s - 1.0))
    for scale in scales:
        points = outline_points(outline, scale)
        xs = np.round(points[:, 0]).astype(int)
        ys = np.round(points[:, 1]).astype(int)
        on_page = (
            (xs >= max(0, outline.clip_x0)) & (xs < min(width, outline.clip_x1)) & (ys >= 0) & (ys < height)
        )
        if scale == nearest:
            inside = on_page
        found = np.zeros(RING_SAMPLES, dtype=bool)
        found[on_page] = mask[ys[on_page], xs[on_page]] > 0
        hits |= found
        if hidden is not None:
            found[on_page] = hidden[ys[on_page], xs[on_page]] > 0
            covered |= found
    visible = float(inside.mean())
    if inside.sum() == 0:
        return 0.0, 0.0
    seen = inside & (hits | ~covered)
    return float(hits[seen if seen.sum() >= 0.5 * inside.sum() else inside].mean()), visible


def ring_score(
    mask: np.ndarray, outline: Outline, hidden: np.ndarray | None = None
) -> tuple[float, float, float]:
    """(coverage on the outline, coverage just outside it, visible share). A seal's frame is
    inked nearly all round while the paper just outside is mostly clean; text under a seal
    raises the outside figure a little, a paragraph mistaken for a ring raises it as much."""
    ring, visible = coverage(mask, outline, (0.94, 0.97, 1.0, 1.03), hidden)
    outside, _ = coverage(mask, outline, (1.12, 1.16))
    return ring, outside, visible


def circle_through(points: np.ndarray) -> tuple[float, float, float] | None:
    """The least-squares circle (cx, cy, r) through ``points`` (Kasa's algebraic fit)."""
    x = points[:, 0].astype(np.float64)
    y = points[:, 1].astype(np.float64)
    design = np.stack([x, y, np.ones_like(x)], axis=1)
    try:
        (a, b, c), *_ = np.linalg.lstsq(design, x * x + y * y, rcond=None)
    except np.linalg.LinAlgError:
        return None
    cx, cy = a / 2, b / 2
    radius_sq = c + cx * cx + cy * cy
    return (cx, cy, math.sqrt(radius_sq)) if radius_sq > 0 else None


def cut_fits(points: np.ndarray, mask_shape: tuple[int, int], dpi: float) -> list[Outline]:
    """A round seal cut by a vertical line, for a cluster near the left or right edge (a
    骑缝章 part, a stamp over the page edge): the circle through the curved part, clipped at
    the cut. The cut may be at the page edge or on the inner side of the strip (where the
    next sheet lay when the seal was struck), so both sides are tried."""
    _height, width = mask_shape
    xs = points[:, 0]
    x_min, x_max = float(xs.min()), float(xs.max())
    margin = mm_to_px(12, dpi)
    if x_max < width - margin and x_min > margin:
        return []
    outlines: list[Outline] = []
    for cut_side, cut in (("left", x_min), ("right", x_max)):
        arc = points[np.abs(xs - cut) > max(3.0, 0.12 * (x_max - x_min))]
        circle = circle_through(arc) if len(arc) >= 12 else None
        if circle is None:
            continue
        cx, cy, r = circle
        if cut_side == "right" and cx - r < cut - 0.2 * r:
            outlines.append(Outline(cx, cy, r, r, 0.0, "round", clip_x1=cut + 1))
        elif cut_side == "left" and cx + r > cut + 0.2 * r:
            outlines.append(Outline(cx, cy, r, r, 0.0, "round", clip_x0=cut - 1))
    return outlines


def fit(points: np.ndarray, mask_shape: tuple[int, int]) -> Outline | None:
    """An ellipse or a square through the contour ``points`` (N, 2), ignoring the points that
    lie on the page border (where a seal is cut, not drawn)."""
    keep = ~_on_border(points, mask_shape)
    inner = points[keep].astype(np.float32)
    if len(inner) < 12:
        return None
    hull = cv2.convexHull(inner)
    rect = cv2.minAreaRect(inner)
    (rw, rh) = rect[1]
    if rw < 2 or rh < 2:
        return None
    touches_border = bool((~keep).any())
    if not touches_border:
        solidity = cv2.contourArea(hull) / (rw * rh)
        if solidity > 0.93 and max(rw, rh) / min(rw, rh) < 1.6:
            return Outline(rect[0][0], rect[0][1], rw / 2, rh / 2, rect[2], "square")
    return _ellipse_through(inner)


def square_through(points: np.ndarray, mask_shape: tuple[int, int]) -> Outline | None:
    """The square frame round the contour ``points`` (N, 2), whatever its hull's fullness: a
    worn square's hull loses its corners, and specks of print beside it spoil the hull, but
    its least rectangle is still the frame. None for a cluster cut by the page border (see
    ``cut_square``) or too far from square."""
    if _on_border(points, mask_shape).any() or len(points) < 4:
        return None
    (cx, cy), (rw, rh), angle = cv2.minAreaRect(points.astype(np.float32))
    if min(rw, rh) < 2 or max(rw, rh) / min(rw, rh) > 1.3:
        return None
    return Outline(cx, cy, rw / 2, rh / 2, angle, "square")


def refine_square(mask: np.ndarray, outline: Outline, hidden: np.ndarray | None = None) -> Outline:
    """The square frame near ``outline`` (at its angle) that the ink covers best: a frame
    fitted to a cluster's extent is pushed out by specks of print that joined it, so smaller
    and shifted frames (up to 12% of its half side off) are tried."""

    def margin(candidate: Outline) -> float:
        ring, outside, _ = ring_score(mask, candidate, hidden)
        return ring - outside

    side = (outline.a + outline.b) / 2
    best, best_margin = outline, margin(outline)
    step = max(1.0, 0.04 * side)
    for scale in (0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0):
        for dx in range(-3, 4):
            for dy in range(-3, 4):
                candidate = replace(
                    outline,
                    cx=outline.cx + dx * step,
                    cy=outline.cy + dy * step,
                    a=side * scale,
                    b=side * scale,
                )
                if (score := margin(candidate)) > best_margin:
                    best, best_margin = candidate, score
    return best


def cut_square(points: np.ndarray, mask_shape: tuple[int, int]) -> Outline | None:
    """A square frame cut by the page edge, through the contour ``points`` (N, 2): its sides
    lie along the longest side of the visible part that the edge does not cut, and its extent
    across the cut is made up to a square, on the side where the page ends."""
    on_border = _on_border(points, mask_shape)
    if not on_border.any() or on_border.all():
        return None
    hull = cv2.convexHull(points.astype(np.float32))
    polygon = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    # A side the page cuts, or that ends at the page edge, is no measure of the square.
    sides = [
        (float(np.hypot(*(end - start))), math.atan2(float(end[1] - start[1]), float(end[0] - start[0])))
        for start, end in zip(polygon, np.roll(polygon, -1, axis=0), strict=True)
        if not _on_border(np.array([start, end]), mask_shape, margin=4).any()
    ]
    if not sides:
        return None
    theta = max(sides)[1]
    c, s = math.cos(theta), math.sin(theta)
    u = points[:, 0] * c + points[:, 1] * s
    v = -points[:, 0] * s + points[:, 1] * c
    inner_u, inner_v = u[~on_border], v[~on_border]
    spans = []
    for along, inner in ((u, inner_u), (v, inner_v)):
        low, high = float(inner.min()), float(inner.max())
        spans.append([low, high, float(along[on_border].mean())])
    side = max(high - low for low, high, _ in spans)
    if side < 4:
        return None
    for span in spans:
        low, high, cut = span
        if high - low < side:
            # The page cuts the square on the side nearer its border points.
            span[0], span[1] = (high - side, high) if abs(cut - low) < abs(cut - high) else (low, low + side)
    uc, vc = (spans[0][0] + spans[0][1]) / 2, (spans[1][0] + spans[1][1]) / 2
    return Outline(uc * c - vc * s, uc * s + vc * c, side / 2, side / 2, math.degrees(theta), "square")


def solid(mask: np.ndarray, outline: Outline) -> bool:
    """A filled blob (a photo's shadow, a dark picture) is no seal: inside a seal's frame
    there is paper between the characters."""
    inner, _ = coverage(mask, outline, (0.35,))
    middle, _ = coverage(mask, outline, (0.7,))
    return inner > 0.9 and middle > 0.9


def refine(mask: np.ndarray, outline: Outline, band: tuple[float, float] = (0.75, 1.3)) -> Outline | None:
    """The ellipse through the ring's own ink near ``outline``, or None where too little of
    it is inked. An outline fitted to a cluster's hull, or proposed by the Hough transform, is
    pulled off the ring by what joined the cluster (a table rule, specks of text) or by the
    vote's coarse radius; the ring's outer edge is not. Along each ray from the centre the
    edge nearest the outline is taken (ink, then paper outward), then the ellipse is fitted
    to those edges twice, the second time without the edges far off the first fit."""
    if outline.shape == "square":
        return None
    height, width = mask.shape
    scales = np.linspace(band[0], band[1], 23)
    points = np.stack([outline_points(outline, float(s)) for s in scales])  # (scales, samples, 2)
    xs = np.round(points[:, :, 0]).astype(int)
    ys = np.round(points[:, :, 1]).astype(int)
    on_page = (xs >= max(0, outline.clip_x0)) & (xs < min(width, outline.clip_x1)) & (ys >= 0) & (ys < height)
    ink = np.zeros(xs.shape, dtype=bool)
    ink[on_page] = mask[ys[on_page], xs[on_page]] > 0
    outer_edge = ink[:-1] & ~ink[1:] & on_page[1:]
    distance = np.where(outer_edge, np.abs(scales[:-1, None] - 1.0), np.inf)
    nearest = np.argmin(distance, axis=0)
    found = np.isfinite(distance[nearest, np.arange(distance.shape[1])])
    if found.sum() < 0.4 * RING_SAMPLES:
        return None
    edges = points[nearest[found], np.flatnonzero(found)].astype(np.float32)
    first = _ellipse_through(edges, outline)
    if first is None:
        return None
    return _ellipse_through(edges[_near(edges, first)], outline) or first


def _near(points: np.ndarray, outline: Outline, tolerance: float = 0.06) -> np.ndarray:
    """Which points lie within ``tolerance`` (of the radius) of ``outline``."""
    rad = math.radians(outline.angle)
    dx, dy = points[:, 0] - outline.cx, points[:, 1] - outline.cy
    u = (dx * math.cos(rad) + dy * math.sin(rad)) / outline.a
    v = (-dx * math.sin(rad) + dy * math.cos(rad)) / outline.b
    return np.abs(np.hypot(u, v) - 1.0) < tolerance


def _on_border(points: np.ndarray, mask_shape: tuple[int, int], margin: int = 1) -> np.ndarray:
    """Which points (N, 2) lie within ``margin`` pixels of the page border, where a seal is
    cut, not drawn."""
    height, width = mask_shape
    x, y = points[:, 0], points[:, 1]
    return (x <= margin) | (x >= width - 1 - margin) | (y <= margin) | (y >= height - 1 - margin)


def _ellipse_through(points: np.ndarray, like: Outline | None = None) -> Outline | None:
    """The ellipse (round or oval) fitted to ``points``, cut where ``like`` is cut."""
    if len(points) < 12:
        return None
    try:
        (cx, cy), (d1, d2), angle = cv2.fitEllipse(points)
    except cv2.error:
        return None
    if not (math.isfinite(d1) and math.isfinite(d2)) or d1 < 2 or d2 < 2:
        return None
    shape: Shape = "round" if max(d1, d2) / min(d1, d2) < 1.15 else "oval"
    if like is None:
        return Outline(cx, cy, d1 / 2, d2 / 2, angle, shape)
    return Outline(cx, cy, d1 / 2, d2 / 2, angle, shape, clip_x0=like.clip_x0, clip_x1=like.clip_x1)
