"""Seals (公章) on a page image: where they are, what shape and colour, how sure we are.

A seal is found by what it is, not by one colour: on a colour page by its red ink (any shade,
faint or uneven, the red of an electronic seal on a native PDF too); on a gray page by its
mid-gray ink, which is neither paper nor the near-black of print; on a 1-bit page, where the
red has turned black, by its shape alone: a ring of a seal's size. Every candidate must show
its outline (a ring, an oval or a square frame) along most of the part that lies on the page,
so that red headings, tables and paragraphs of text are not seals; a seal cut by the page
edge (one half of a 骑缝章, a stamp that slipped) is measured on its visible part only.

Pages are examined at ``WORK_DPI``: a 40 mm seal is still 160 pixels across, and a page costs
a few tens of milliseconds. Boxes are returned in the image's own pixels and in PDF points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from extractors.vision.images import PageImage
from extractors.vision.seal_ink import (
    flatten,
    gray_seal_mask,
    ink_mask,
    mm_to_px,
    page_colour,
    paper_mask,
    print_mask,
    red_mask,
    seal_red_mask,
)
from schemas.facts import Box, SealFact

WORK_DPI = 100.0
# Seal outer sizes the rules know (round 38-45 mm, oval 40x30 mm, square 20-40 mm), widened for
# shrinkage in scans and photos taken from a distance.
MIN_SIZE_MM = 17.0
MAX_SIZE_MM = 62.0
RING_SAMPLES = 120
SHAPE_ONLY_FLOOR = 0.5  # least confidence for a seal found on a page without colour

Shape = Literal["round", "oval", "square"]
Colour = Literal["red", "gray", "black"]
Edge = Literal["left", "right", "top", "bottom"]


@dataclass(frozen=True)
class SealCandidate:
    """One seal on a page. ``box_px`` is (x0, top, x1, bottom) in the page image's pixels,
    ``box`` the same in PDF points; both cover the whole seal, the off-page part included
    (clipped to the page), so a crop shows what is there."""

    page: int
    box_px: tuple[int, int, int, int]
    box: Box
    centre_px: tuple[float, float]
    radius_px: tuple[float, float]  # half-axes of the outline (for a square: half sides)
    angle: float  # degrees, the outline's rotation
    shape: Shape
    colour: Colour
    confidence: float
    off_page: bool
    edge: Edge | None
    visible_fraction: float

    def to_fact(self, text: str | None = None) -> SealFact:
        return SealFact(box=self.box, text=text, confidence=round(self.confidence, 3))


@dataclass(frozen=True)
class _Outline:
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


def _outline_points(outline: _Outline, scale: float, samples: int = RING_SAMPLES) -> np.ndarray:
    """Points (x, y) on the outline scaled by ``scale`` (1.0 = the outline itself)."""
    t = np.linspace(0, 2 * math.pi, samples, endpoint=False)
    if outline.shape == "square":
        # A square frame: a superellipse of high power is close enough to sample along.
        c, s = np.cos(t), np.sin(t)
        power = 0.1
        x = np.sign(c) * np.abs(c) ** power
        y = np.sign(s) * np.abs(s) ** power
    else:
        x, y = np.cos(t), np.sin(t)
    x = x * outline.a * scale
    y = y * outline.b * scale
    rad = math.radians(outline.angle)
    xr = outline.cx + x * math.cos(rad) - y * math.sin(rad)
    yr = outline.cy + x * math.sin(rad) + y * math.cos(rad)
    return np.stack([xr, yr], axis=1)


def _coverage(
    mask: np.ndarray, outline: _Outline, scales: tuple[float, ...], hidden: np.ndarray | None = None
) -> tuple[float, float]:
    """(share of the outline's on-page samples that have ink at any of ``scales``, share of
    samples that lie on the page). Samples without ink where ``hidden`` is set (print, which
    hides the seal's ink under it) are left out of the share when at least half are seen."""
    height, width = mask.shape
    hits = np.zeros(RING_SAMPLES, dtype=bool)
    inside = np.zeros(RING_SAMPLES, dtype=bool)
    covered = np.zeros(RING_SAMPLES, dtype=bool)
    for scale in scales:
        points = _outline_points(outline, scale)
        xs = np.round(points[:, 0]).astype(int)
        ys = np.round(points[:, 1]).astype(int)
        on_page = (
            (xs >= max(0, outline.clip_x0)) & (xs < min(width, outline.clip_x1)) & (ys >= 0) & (ys < height)
        )
        if scale == 1.0:
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


def _ring_score(
    mask: np.ndarray, outline: _Outline, hidden: np.ndarray | None = None
) -> tuple[float, float, float]:
    """(coverage on the outline, coverage just outside it, visible share). A seal's frame is
    inked nearly all round while the paper just outside is mostly clean; text under a seal
    raises the outside figure a little, a paragraph mistaken for a ring raises it as much."""
    ring, visible = _coverage(mask, outline, (0.94, 0.97, 1.0, 1.03), hidden)
    outside, _ = _coverage(mask, outline, (1.12, 1.16))
    return ring, outside, visible


def _circle_through(points: np.ndarray) -> tuple[float, float, float] | None:
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


def _cut_fits(points: np.ndarray, mask_shape: tuple[int, int], dpi: float) -> list[_Outline]:
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
    outlines: list[_Outline] = []
    for cut_side, cut in (("left", x_min), ("right", x_max)):
        arc = points[np.abs(xs - cut) > max(3.0, 0.12 * (x_max - x_min))]
        circle = _circle_through(arc) if len(arc) >= 12 else None
        if circle is None:
            continue
        cx, cy, r = circle
        if cut_side == "right" and cx - r < cut - 0.2 * r:
            outlines.append(_Outline(cx, cy, r, r, 0.0, "round", clip_x1=cut + 1))
        elif cut_side == "left" and cx + r > cut + 0.2 * r:
            outlines.append(_Outline(cx, cy, r, r, 0.0, "round", clip_x0=cut - 1))
    return outlines


def _fit(points: np.ndarray, mask_shape: tuple[int, int]) -> _Outline | None:
    """An ellipse or a square through the contour ``points`` (N, 2), ignoring the points that
    lie on the page border (where a seal is cut, not drawn)."""
    height, width = mask_shape
    keep = (points[:, 0] > 1) & (points[:, 0] < width - 2) & (points[:, 1] > 1) & (points[:, 1] < height - 2)
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
            return _Outline(rect[0][0], rect[0][1], rw / 2, rh / 2, rect[2], "square")
    try:
        (cx, cy), (d1, d2), angle = cv2.fitEllipse(inner)
    except cv2.error:
        return None
    if not (math.isfinite(d1) and math.isfinite(d2)) or d1 < 2 or d2 < 2:
        return None
    shape: Shape = "round" if max(d1, d2) / min(d1, d2) < 1.15 else "oval"
    return _Outline(cx, cy, d1 / 2, d2 / 2, angle, shape)


def _solid(mask: np.ndarray, outline: _Outline) -> bool:
    """A filled blob (a photo's shadow, a dark picture) is no seal: inside a seal's frame
    there is paper between the characters."""
    inner, _ = _coverage(mask, outline, (0.35,))
    middle, _ = _coverage(mask, outline, (0.7,))
    return inner > 0.9 and middle > 0.9


def _plausible_size(outline: _Outline, dpi: float) -> bool:
    low, high = mm_to_px(MIN_SIZE_MM, dpi), mm_to_px(MAX_SIZE_MM, dpi)
    big, small = 2 * max(outline.a, outline.b), 2 * min(outline.a, outline.b)
    return low <= big <= high and small >= 0.45 * big


def _confidence(ring: float, outside: float, visible: float, colour: Colour) -> float:
    """0-1: the outline's ink (the more complete, the surer), less the ink beside it; a
    shape found without colour and a seal mostly off the page count for less."""
    contrast = ring - outside
    score = min(1.0, max(0.0, (ring - 0.45) / 0.4)) * min(1.0, max(0.0, contrast / 0.35))
    if colour != "red":
        score *= 0.92
    if visible < 0.6:
        score *= 0.75 + 0.25 * visible / 0.6
    return round(score, 3)


def _candidate_outlines(mask: np.ndarray, dpi: float) -> list[_Outline]:
    """Outlines of the ink clusters of a seal's size. A cluster is ink within 3 mm of other
    ink (a ring broken by wear, with its text and star); its outline is fitted to the convex
    hull of its ink, which is the frame of a seal whatever lies inside it."""
    group = max(3, round(mm_to_px(3.0, dpi)))
    joined = cv2.dilate(mask, np.ones((group, group), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    low = mm_to_px(MIN_SIZE_MM, dpi) * 0.3
    high = mm_to_px(MAX_SIZE_MM, dpi) * 1.25
    outlines: list[_Outline] = []
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        if max(w, h) < low:
            continue
        if max(w, h) > high:
            if max(w, h) <= 2.2 * high and min(w, h) >= mm_to_px(MIN_SIZE_MM, dpi):
                # Two seals side by side or one above the other, touching: one cluster too
                # long for a seal, whose rings are found one by one.
                outlines += _mask_circles(mask, dpi, (x, y, w, h))
            continue
        ink = ((labels[y : y + h, x : x + w] == label) & (mask[y : y + h, x : x + w] > 0)).astype(np.uint8)
        pieces, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not pieces or int(ink.sum()) < 20:
            continue
        hull = cv2.convexHull(np.concatenate(pieces).reshape(-1, 2))
        canvas = np.zeros((h, w), np.uint8)
        cv2.fillPoly(canvas, [hull], 1)
        contours, _ = cv2.findContours(canvas, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        if not contours:
            continue
        points = max(contours, key=len).reshape(-1, 2) + np.array([x, y])
        for outline in (_fit(points, mask.shape), *_cut_fits(points, mask.shape, dpi)):
            if outline is not None:
                outlines.append(outline)
        if min(w, h) > mm_to_px(MIN_SIZE_MM, dpi) and (
            max(w, h) > 1.25 * min(w, h) or max(w, h) > mm_to_px(50, dpi)
        ):
            # Two seals stamped over each other make one cluster: look for both rings in it.
            outlines += _mask_circles(mask, dpi, (x, y, w, h))
    return outlines


HOUGH_DPI = 50.0


def _hough_outlines(gray: np.ndarray, dpi: float, votes: int = 30) -> list[_Outline]:
    """Round rings by the Hough transform, at ``HOUGH_DPI`` (a ring is still 80 pixels
    across and the transform costs a sixteenth of full resolution)."""
    factor = min(1.0, HOUGH_DPI / dpi)
    small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else gray
    blurred = cv2.GaussianBlur(small, (3, 3), 1.0)
    min_r = int(mm_to_px(MIN_SIZE_MM, dpi * factor) / 2)
    max_r = int(mm_to_px(MAX_SIZE_MM, dpi * factor) / 2)
    circles = cv2.HoughCircles(
        blurred,
        cv2.HOUGH_GRADIENT,
        dp=1.0,
        minDist=min_r,
        param1=100,
        param2=votes,
        minRadius=min_r,
        maxRadius=max_r,
    )
    if circles is None:
        return []
    return [
        _Outline(float(x) / factor, float(y) / factor, float(r) / factor, float(r) / factor, 0.0, "round")
        for x, y, r in circles[0][:30]
    ]


def _mask_circles(mask: np.ndarray, dpi: float, region: tuple[int, int, int, int]) -> list[_Outline]:
    """Circles in the seal-ink mask within ``region`` (x, y, w, h)."""
    x, y, w, h = region
    crop = 255 - mask[y : y + h, x : x + w] * 255
    return [
        _Outline(o.cx + x, o.cy + y, o.a, o.b, 0.0, "round") for o in _hough_outlines(crop, dpi, votes=25)
    ]


def _overlap(a: _Outline, b: _Outline) -> bool:
    distance = math.hypot(a.cx - b.cx, a.cy - b.cy)
    return distance < 0.6 * max(a.a, a.b, b.a, b.b)


def _edge(outline: _Outline, width: int, height: int) -> Edge | None:
    reach = max(outline.a, outline.b)
    gaps = {
        "left": outline.cx - reach,
        "right": width - (outline.cx + reach),
        "top": outline.cy - reach,
        "bottom": height - (outline.cy + reach),
    }
    side, gap = min(gaps.items(), key=lambda item: item[1])
    if gap >= -0.06 * reach and (outline.clip_x0 > 0 or outline.clip_x1 < width):
        # Cut inside the page (a 骑缝章 strip): at the side its visible part is nearer.
        left, right = max(outline.cx - reach, outline.clip_x0), min(outline.cx + reach, outline.clip_x1)
        return "left" if left < width - right else "right"
    return side if gap < -0.06 * reach else None  # type: ignore[return-value]


def find_seals(
    image: PageImage, min_confidence: float = 0.3, *, whole_sheet: bool = False
) -> list[SealCandidate]:
    """Every seal on the page, surest first. Candidates under ``min_confidence`` are
    dropped; those kept but under about 0.7 are for a person to confirm. ``whole_sheet``
    says the image is the sheet and nothing else (a photo cut to its outline): a shadow
    across it must not be taken for the desk around the paper."""
    pixels = image.pixels
    full_h, full_w = pixels.shape[:2]
    factor = min(1.0, WORK_DPI / image.dpi)
    work = (
        cv2.resize(
            pixels, (max(1, int(full_w * factor)), max(1, int(full_h * factor))), interpolation=cv2.INTER_AREA
        )
        if factor < 1.0
        else pixels
    )
    dpi = image.dpi * factor
    paper = None if whole_sheet else paper_mask(cv2.cvtColor(work, cv2.COLOR_RGB2GRAY), dpi)
    work = flatten(work, dpi)
    if paper is not None:
        work = np.where(paper[:, :, None] > 0, work, 255).astype(np.uint8)
    gray = cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
    # Told on the page's own pixels: resampling would put gray edges on a 1-bit scan.
    kind = page_colour(pixels if paper is None else work)
    passes: list[tuple[Colour, np.ndarray, np.ndarray | None, list[_Outline]]] = []
    if kind == "colour":
        red = seal_red_mask(work)
        dark = cv2.dilate(((gray < 120) & (red == 0)).astype(np.uint8), np.ones((3, 3), np.uint8))
        outlines = _candidate_outlines(red, dpi)
        clear = red_mask(work)
        if not np.array_equal(clear, red):
            # Two seals struck over each other join through their faint ink into one blot
            # that fits neither: the clear ink alone keeps them apart.
            outlines += _candidate_outlines(clear, dpi)
        passes.append(("red", red, dark, outlines))
    else:
        ink = ink_mask(gray)
        if kind == "gray":
            own = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY) if paper is None else gray
            near_print = print_mask(own, gray.shape)
            mid = gray_seal_mask(gray, near_print)
            # A red seal turns mid-gray, print stays black: the seal is judged on the mid-gray
            # ink alone, so that a paragraph of black text cannot pass for its ring.
            rings = _hough_outlines(gray, dpi)
            passes.append(("gray", mid, near_print, _candidate_outlines(mid, dpi) + rings))
            # A JPEG-smoothed 1-bit scan looks gray: its seals are black rings.
            passes.append(("black", ink, None, rings))
        else:
            passes.append(("black", ink, None, _hough_outlines(gray, dpi)))
    found: list[tuple[_Outline, Colour, float, float]] = []
    for colour, mask, hidden, outlines in passes:
        for outline in outlines:
            if not _plausible_size(outline, dpi):
                continue
            ring, outside, visible = _ring_score(mask, outline, hidden)
            if visible < 0.25 or _solid(mask, outline):
                continue
            confidence = _confidence(ring, outside, visible, colour)
            # Without colour a ring is all the evidence: text under a circle must not pass.
            if confidence < (min_confidence if colour == "red" else max(min_confidence, SHAPE_ONLY_FLOOR)):
                continue
            if any(_overlap(outline, other) for other, _, _, _ in found):
                continue
            found.append((outline, colour, confidence, visible))
    found.sort(key=lambda item: -item[2])
    height, width = gray.shape
    candidates = [
        _candidate(image, outline, colour, confidence, visible, factor, width, height)
        for outline, colour, confidence, visible in found
    ]
    return candidates


def _candidate(
    image: PageImage,
    outline: _Outline,
    colour: Colour,
    confidence: float,
    visible: float,
    factor: float,
    width: int,
    height: int,
) -> SealCandidate:
    points = _outline_points(outline, 1.04)
    x0, y0 = points.min(axis=0) / factor
    x1, y1 = points.max(axis=0) / factor
    full_h, full_w = image.pixels.shape[:2]
    box_px = (
        int(max(0, math.floor(x0))),
        int(max(0, math.floor(y0))),
        int(min(full_w, math.ceil(x1))),
        int(min(full_h, math.ceil(y1))),
    )
    ppp = image.points_per_pixel
    edge = _edge(outline, width, height)
    return SealCandidate(
        page=image.number,
        box_px=box_px,
        box=Box(x0=box_px[0] * ppp, top=box_px[1] * ppp, x1=box_px[2] * ppp, bottom=box_px[3] * ppp),
        centre_px=(outline.cx / factor, outline.cy / factor),
        radius_px=(outline.a / factor, outline.b / factor),
        angle=outline.angle,
        shape=outline.shape,
        colour=colour,
        confidence=confidence,
        off_page=edge is not None,
        edge=edge,
        visible_fraction=round(visible, 3),
    )
