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
from extractors.vision.seal_arcs import broken_rings
from extractors.vision.seal_ink import (
    faint_seal_mask,
    flatten,
    gray_seal_mask,
    ink_mask,
    mm_to_px,
    page_colour,
    paper_mask,
    print_mask,
    red_mask,
    seal_red_mask,
    without_long_runs,
)
from extractors.vision.seal_outline import (
    Outline,
    Shape,
    cut_fits,
    cut_square,
    fit,
    outline_points,
    refine,
    refine_square,
    ring_score,
    solid,
    square_through,
)
from schemas.facts import Box, SealFact

WORK_DPI = 100.0
# Seal outer sizes the rules know (round 38-45 mm, oval 40x30 mm, square 20-40 mm), widened for
# shrinkage in scans and photos taken from a distance.
MIN_SIZE_MM = 17.0
MAX_SIZE_MM = 62.0
SHAPE_ONLY_FLOOR = 0.5  # least confidence for a seal found on a page without colour
# A refitted outline counts only on a ring this complete, with this little ink just outside.
REFIT_RING, REFIT_OUTSIDE = 0.8, 0.1
REFIT_FROM = 0.35  # least share of a proposed outline inked for it to be refitted
RUN_MM = 40.0  # a level or upright run of gray this long is a table's, longer than a seal's side
FINE_JOIN_MM = 1.2  # how near ink is joined when a cluster is too big for a seal
SQUARE_FROM = 0.15  # least share of a proposed square frame inked for it to be refitted
SQUARE_RING = 0.92  # least share of a refitted square frame inked
FAINT_FLOOR = 0.7  # least confidence for a ring judged on the palest gray, where scanned text is too

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


def _plausible_size(outline: Outline, dpi: float) -> bool:
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


def _candidate_outlines(mask: np.ndarray, dpi: float, join_mm: float = 3.0) -> list[Outline]:
    """Outlines of the ink clusters of a seal's size. A cluster is ink within ``join_mm`` of
    other ink (a ring broken by wear, with its text and star); its outline is fitted to the
    convex hull of its ink, which is the frame of a seal whatever lies inside it. A cluster
    too big for a seal is split again, joining only nearer ink: a faint seal beside gray
    print joins the print at 3 mm, its frame holds together at less."""
    group = max(3, round(mm_to_px(join_mm, dpi)))
    joined = cv2.dilate(mask, np.ones((group, group), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    low = mm_to_px(MIN_SIZE_MM, dpi) * 0.3
    high = mm_to_px(MAX_SIZE_MM, dpi) * 1.25
    outlines: list[Outline] = []
    too_big: list[int] = []
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        if max(w, h) < low:
            continue
        if max(w, h) > high:
            too_big.append(label)
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
        for outline in (
            fit(points, mask.shape),
            square_through(points, mask.shape),
            cut_square(points, mask.shape),
            *cut_fits(points, mask.shape, dpi),
        ):
            if outline is not None:
                outlines.append(outline)
        if min(w, h) > mm_to_px(MIN_SIZE_MM, dpi) and (
            max(w, h) > 1.25 * min(w, h) or max(w, h) > mm_to_px(50, dpi)
        ):
            # Two seals stamped over each other make one cluster: look for both rings in it.
            outlines += _mask_circles(mask, dpi, (x, y, w, h))
    if too_big and join_mm > FINE_JOIN_MM:
        part = (np.isin(labels, too_big) & (mask > 0)).astype(np.uint8)
        outlines += _candidate_outlines(part, dpi, FINE_JOIN_MM)
    return outlines


HOUGH_DPI = 50.0


def _hough_outlines(gray: np.ndarray, dpi: float, votes: int = 30) -> list[Outline]:
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
        Outline(float(x) / factor, float(y) / factor, float(r) / factor, float(r) / factor, 0.0, "round")
        for x, y, r in circles[0][:30]
    ]


def _mask_circles(mask: np.ndarray, dpi: float, region: tuple[int, int, int, int]) -> list[Outline]:
    """Circles in the seal-ink mask within ``region`` (x, y, w, h)."""
    x, y, w, h = region
    crop = 255 - mask[y : y + h, x : x + w] * 255
    return [Outline(o.cx + x, o.cy + y, o.a, o.b, 0.0, "round") for o in _hough_outlines(crop, dpi, votes=25)]


def _overlap(a: Outline, b: Outline, page_shape: tuple[int, int] | None = None) -> bool:
    """One seal twice: centres close, one outline inside the other (the ring of a seal's
    text, which a faint seal shows as clearly as its frame), or, on a page of ``page_shape``
    (height, width), two outlines over the same visible ink (a seal cut by the page edge
    fits a circle and, through its cut, a square)."""
    distance = math.hypot(a.cx - b.cx, a.cy - b.cy)
    small, big = sorted((max(a.a, a.b), max(b.a, b.b)))
    if distance < 0.6 * big or distance + small <= 1.1 * big:
        return True
    if page_shape is None:
        return False
    boxes = [_visible_box(outline, page_shape) for outline in (a, b)]
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = boxes
    shared = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    smaller = min((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in boxes)
    return smaller > 0 and shared / smaller > 0.6


def _visible_box(outline: Outline, page_shape: tuple[int, int]) -> tuple[float, float, float, float]:
    height, width = page_shape
    reach = max(outline.a, outline.b)
    return (
        max(0.0, outline.clip_x0, outline.cx - reach),
        max(0.0, outline.cy - reach),
        min(float(width), outline.clip_x1, outline.cx + reach),
        min(float(height), outline.cy + reach),
    )


def _edge(outline: Outline, width: int, height: int) -> Edge | None:
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
    # Without colour a ring is all the evidence: text under a circle must not pass.
    shape_floor = max(min_confidence, SHAPE_ONLY_FLOOR)
    passes: list[tuple[Colour, np.ndarray, np.ndarray | None, list[Outline], float]] = []
    if kind == "colour":
        red = seal_red_mask(work)
        dark = cv2.dilate(((gray < 120) & (red == 0)).astype(np.uint8), np.ones((3, 3), np.uint8))
        outlines = _candidate_outlines(red, dpi)
        clear = red_mask(work)
        if not np.array_equal(clear, red):
            # Two seals struck over each other join through their faint ink into one blot
            # that fits neither: the clear ink alone keeps them apart.
            outlines += _candidate_outlines(clear, dpi)
        passes.append(("red", red, dark, outlines, min_confidence))
    else:
        ink = ink_mask(gray)
        if kind == "gray":
            own = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY) if paper is None else gray
            near_print = print_mask(own, gray.shape)
            # A red seal turns mid-gray, print stays black: the seal is judged on the mid-gray
            # ink alone, so that a paragraph of black text cannot pass for its ring. Shaded
            # rows and thin rules scan to gray too, and would join a seal over a table.
            mid = without_long_runs(gray_seal_mask(gray, near_print), dpi, RUN_MM, bridge=5)
            rings = _hough_outlines(gray, dpi)
            passes.append(("gray", mid, near_print, _candidate_outlines(mid, dpi) + rings, shape_floor))
            # A faint seal turns a gray so light that most of its ring is above the mid-gray
            # band: the rings the transform found, and the clusters of pale ink (a faint
            # square has no ring to vote for), are judged again on any ink but print.
            faint = without_long_runs(faint_seal_mask(gray, near_print), dpi, RUN_MM, bridge=5)
            passes.append(("gray", faint, near_print, rings + _candidate_outlines(faint, dpi), FAINT_FLOOR))
            # A JPEG-smoothed 1-bit scan looks gray: its seals are black rings.
            passes.append(("black", ink, None, rings, shape_floor))
        else:
            passes.append(("black", ink, None, _hough_outlines(gray, dpi), shape_floor))
    scored: list[tuple[Outline, Colour, float, float]] = []
    if kind == "bw":
        # Thresholding keeps only the hardest-inked parts of a red seal: arcs of its ring.
        scored += [
            (outline, "black", confidence, visible)
            for outline, confidence, visible in broken_rings(ink, dpi)
            if confidence >= shape_floor
        ]
    for colour, mask, hidden, outlines, floor in passes:
        for proposed in outlines:
            if not _plausible_size(proposed, dpi):
                continue
            measured = ring_score(mask, proposed, hidden)
            tried = (
                [(proposed, colour, *score)] if (score := _score(mask, proposed, measured, colour)) else []
            )
            # Only an outline with some of a ring under it is worth refitting (most proposals
            # on a page of print have none).
            if proposed.shape == "square":
                refitted = refine_square(mask, proposed, hidden) if measured[0] >= SQUARE_FROM else None
            else:
                refitted = refine(mask, proposed) if measured[0] >= REFIT_FROM else None
            if refitted is not None and _plausible_size(refitted, dpi):
                remeasured = ring_score(mask, refitted, hidden)
                # A square moved onto a block of print finds its edges in the lines' ends:
                # a frame's straight sides are inked nearly whole.
                ragged = refitted.shape == "square" and remeasured[0] < SQUARE_RING
                if not ragged and (score := _score(mask, refitted, remeasured, colour, clean_only=True)):
                    tried.append((refitted, colour, *score))
            best = max(tried, key=lambda item: item[2], default=None)
            if best is not None and best[2] >= floor:
                scored.append(best)
    # Surest first, so that a seal's whole frame wins over the smaller rings its text and
    # parts of its frame make, whichever was proposed first.
    found: list[tuple[Outline, Colour, float, float]] = []
    for item in sorted(scored, key=lambda item: -item[2]):
        if not any(_overlap(item[0], other, gray.shape) for other, _, _, _ in found):
            found.append(item)
    height, width = gray.shape
    candidates = [
        _candidate(image, outline, colour, confidence, visible, factor, width, height)
        for outline, colour, confidence, visible in found
    ]
    return candidates


def _score(
    mask: np.ndarray,
    outline: Outline,
    measured: tuple[float, float, float],
    colour: Colour,
    *,
    clean_only: bool = False,
) -> tuple[float, float] | None:
    """(confidence, visible share) of a seal with ``outline``, whose ``ring_score`` is
    ``measured``, or None. ``clean_only`` takes only a ring inked nearly all round with clean
    paper outside: an outline refitted to the ink's own edges fits blurred text well too, a
    seal's frame alone fits it that well with nothing beside it."""
    ring, outside, visible = measured
    if visible < 0.25 or solid(mask, outline):
        return None
    if clean_only and (ring < REFIT_RING or outside > REFIT_OUTSIDE):
        return None
    return _confidence(ring, outside, visible, colour), visible


def _candidate(
    image: PageImage,
    outline: Outline,
    colour: Colour,
    confidence: float,
    visible: float,
    factor: float,
    width: int,
    height: int,
) -> SealCandidate:
    points = outline_points(outline, 1.04)
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
