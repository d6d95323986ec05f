"""Round seals on a 1-bit page, where thresholding kept only parts of the red ink.

A red seal scanned in 1-bit survives where it was inked hardest: arcs of its ring, bits of
its text, the star. No ink cluster is a seal's outline any more and the Hough transform's
votes drown in the page's print. What is left is still a ring: along circles of a seal's
size, the ink lies on the circle far more than just outside it. That is measured at every
place and size at once (ink density convolved with thin rings, the long straight rules of
tables taken out first), and the best places are then measured closely: a ring shows long
inked arcs where the circle runs diagonally across the page, which print cannot make (its
strokes cross such a circle briefly; lines of text run along it only where it is level or
upright). Seals found so are round; a 1-bit oval or square with as little left is not found.
"""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np

from extractors.vision.seal_ink import mm_to_px, without_long_runs
from extractors.vision.seal_outline import Outline

PROPOSAL_DPI = 40.0
DIAMETERS_MM = tuple(float(d) for d in range(34, 52, 2))
RULE_MM = 25.0  # a straight run this long is a table rule: a seal's ring has none
PROPOSALS = 12
ARC_MM = 4.5  # an inked arc this long is no stroke of print
BAND = 1.0  # pixels either side of the circle that count as on it
OUTSIDE = 1.14  # the circle just outside a ring, as a share of its radius
MIN_VISIBLE = 0.45  # least share of a circle on the page (a 骑缝章 half shows one half)
# Least margin of a ring's diagonal arcs over the circle just outside it. On 1-bit pages made
# from the fixtures' plans, print reaches 0.25 and a ring whose arcs survived 0.3 to 0.9.
ARC_FLOOR = 0.3


def without_rules(ink: np.ndarray, dpi: float) -> np.ndarray:
    """``ink`` with its long horizontal and vertical rules taken out."""
    return without_long_runs(ink, dpi, RULE_MM)


def _annulus(inner: float, outer: float) -> np.ndarray:
    reach = math.ceil(outer) + 1
    y, x = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    distance = np.hypot(x, y)
    return ((distance >= inner) & (distance <= outer)).astype(np.float32)


@lru_cache(maxsize=32)
def _seen(shape: tuple[int, int], diameter: float, inner: float, outer: float) -> np.ndarray:
    """How much of a ring kernel lies on a page of ``shape`` at every centre (the pages of a
    document share a shape: it is worked out once)."""
    kernel = _annulus(inner, outer)
    return cv2.filter2D(np.ones(shape, np.float32), -1, kernel, borderType=cv2.BORDER_CONSTANT)


def _ring_density(density: np.ndarray, diameter: float, inner: float, outer: float) -> np.ndarray:
    """Mean ink on the ring from ``inner`` to ``outer`` pixels round every pixel, over the
    part of the ring that lies on the page."""
    kernel = _annulus(inner, outer)
    inked = cv2.filter2D(density, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    seen = _seen(density.shape, diameter, inner, outer)
    return np.where(seen > 0.3 * kernel.sum(), inked / np.maximum(seen, 1e-6), 0.0).astype(np.float32)


def ring_proposals(ink: np.ndarray, dpi: float, floor: float = 0.06) -> list[Outline]:
    """Circles of a seal's size where more ink lies on the circle than just outside it, in
    ``ink``'s pixels, best first."""
    factor = PROPOSAL_DPI / dpi
    density = cv2.resize(ink.astype(np.float32), None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    best = np.full(density.shape, -1.0, np.float32)
    radius = np.zeros(density.shape, np.float32)
    for diameter in DIAMETERS_MM:
        r = mm_to_px(diameter / 2, PROPOSAL_DPI)
        ring = _ring_density(density, diameter, r - 1.0, r + 1.0)
        outside = _ring_density(density, diameter, r + 2.0, r + 3.5)
        contrast = ring - outside
        better = contrast > best
        best[better] = contrast[better]
        radius[better] = r
    spacing = max(3, int(mm_to_px(DIAMETERS_MM[0] / 2, PROPOSAL_DPI)))
    peaks = (best >= cv2.dilate(best, np.ones((spacing, spacing), np.uint8))) & (best >= floor)
    ys, xs = np.nonzero(peaks)
    order = np.argsort(-best[ys, xs])[:PROPOSALS]
    return [
        Outline(
            float(xs[i]) / factor, float(ys[i]) / factor, float(r) / factor, float(r) / factor, 0.0, "round"
        )
        for i in order
        for r in (radius[ys[i], xs[i]],)
    ]


def _run_lengths(hit: np.ndarray) -> np.ndarray:
    """For rows of circular boolean samples (V, N): the length of the run of True each
    sample lies in (0 where False), runs that wrap round the end of a row counted whole."""
    rows, count = hit.shape
    doubled = np.concatenate([hit, hit], axis=1)
    starts = doubled & ~np.concatenate([np.zeros((rows, 1), bool), doubled[:, :-1]], axis=1)
    run = np.cumsum(starts, axis=1) + (np.arange(rows) * (2 * count + 1))[:, None]
    lengths = np.bincount(run[doubled], minlength=rows * (2 * count + 1))
    per_sample = np.where(doubled, lengths[run], 0)
    return np.minimum(np.maximum(per_sample[:, :count], per_sample[:, count:]), count)


def arc_scores(ink: np.ndarray, circles: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For circles (V, 3) of (cx, cy, r): the share of each circle's diagonal quarters (where
    its tangent is neither level nor upright, as lines of print are) lying in inked arcs at
    least ``ARC_MM`` long, the same share just outside it, and the share of it on the page.
    Print crosses a circle in short strokes and runs along it only where the circle is level
    or upright; a seal's ring is long arcs all round."""
    height, width = ink.shape
    count = max(90, int(2 * math.pi * float(circles[:, 2].max()) / 0.7))
    angles = np.linspace(0, 2 * math.pi, count, endpoint=False)
    diagonal = np.abs(np.sin(2 * angles)) > 0.5
    cos, sin = np.cos(angles), np.sin(angles)
    cx, cy, r = circles[:, 0:1], circles[:, 1:2], circles[:, 2:3]
    shortest = mm_to_px(ARC_MM, dpi) / (2 * math.pi * r / count)  # samples, per circle
    shares = []
    seen = np.ones((len(circles), count), bool)
    for scale in (1.0, OUTSIDE):
        hit = np.zeros((len(circles), count), bool)
        for offset in (-BAND, 0.0, BAND):
            radius = r * scale + offset
            xs = np.round(cx + radius * cos).astype(int)
            ys = np.round(cy + radius * sin).astype(int)
            on_page = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
            if scale == 1.0:
                seen &= on_page
            hit[on_page] |= ink[ys[on_page], xs[on_page]] > 0
        # Pinholes in a worn ring end its arcs, but bridging them bridges print too.
        arcs = (_run_lengths(hit & seen) >= shortest) & seen & diagonal
        zone = np.maximum((seen & diagonal).sum(axis=1), 1)
        shares.append(arcs.sum(axis=1) / zone)
    return shares[0], shares[1], seen.mean(axis=1)


def refine_ring(ink: np.ndarray, outline: Outline, dpi: float) -> tuple[Outline, float, float]:
    """The circle near ``outline`` whose diagonal arcs stand out most from the paper just
    outside it: (the circle, that margin, its visible share). The radius is sought first,
    then the centre, then the radius again."""
    step = max(1.0, 0.03 * outline.a)
    best = np.array([outline.cx, outline.cy, outline.a])
    margin = visible = 0.0
    for offsets in (_RADII, _CENTRES, _RADII, _CENTRES, _RADII):
        circles = best + offsets * step
        ring, outside, seen = arc_scores(ink, circles, dpi)
        margins = np.where(seen >= MIN_VISIBLE, ring - outside, 0.0)
        pick = int(np.argmax(margins))
        best, margin, visible = circles[pick], float(margins[pick]), float(seen[pick])
    cx, cy, r = (float(v) for v in best)
    return Outline(cx, cy, r, r, 0.0, "round"), margin, visible


_RADII = np.array([(0, 0, dr) for dr in range(-3, 4)], np.float64)
_CENTRES = np.array([(dx, dy, 0) for dx in range(-2, 3) for dy in range(-2, 3)], np.float64)


def broken_rings(ink: np.ndarray, dpi: float) -> list[tuple[Outline, float, float]]:
    """Round seals in a 1-bit page's ``ink`` (work pixels at ``dpi``): (the circle, how
    sure, its visible share), for each circle whose ring shows as long arcs. An arc is one
    ring's: once the surest ring is taken, its ink no longer counts for another circle that
    crosses it."""
    clean = without_rules(ink, dpi)
    refined = [refine_ring(clean, proposed, dpi) for proposed in ring_proposals(clean, dpi)]
    found: list[tuple[Outline, float, float]] = []
    for outline, margin, visible in sorted(refined, key=lambda item: -item[1]):
        if margin < ARC_FLOOR:
            break
        if found:
            outline, margin, visible = refine_ring(clean, outline, dpi)
        if margin < ARC_FLOOR or visible < MIN_VISIBLE:
            continue
        # Half a seal's evidence is gone with its colour: a person confirms the weaker ones.
        found.append((outline, round(min(0.85, 0.5 + 0.6 * (margin - ARC_FLOOR)), 3), visible))
        width = max(3, round(0.06 * outline.a))
        cv2.circle(clean, (round(outline.cx), round(outline.cy)), round(outline.a), 0, 2 * width + 1)
    return found
