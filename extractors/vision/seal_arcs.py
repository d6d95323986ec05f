"""Round, oval and square seals on a 1-bit page, where thresholding kept only parts of the red ink.

A red seal scanned in 1-bit survives where it was inked hardest: arcs of its ring, bits of
its text, the star. No ink cluster is a seal's outline any more and the Hough transform's
votes drown in the page's print. What is left is still a ring: along circles of a seal's
size, the ink lies on the circle far more than just outside it. That is measured at every
place and size at once (ink density convolved with thin rings, the long straight rules of
tables taken out first), and the best places are then measured closely: a ring shows long
inked arcs where the circle runs diagonally across the page, which print cannot make (its
strokes cross such a circle briefly; lines of text run along it only where it is level or
upright). Oval seals are proposed and measured the same way along ovals of their size, and
square seals along squares: a square stamped at a slant has four diagonal sides, one held
level shows nothing print could not, and is not found.
"""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np

from extractors.vision.seal_dashes import dash_margin, page_dashes, spend
from extractors.vision.seal_ink import mm_to_px, without_long_runs
from extractors.vision.seal_outline import Outline

PROPOSAL_DPI = 40.0
DIAMETERS_MM = tuple(float(d) for d in range(34, 52, 2))
RULE_MM = 25.0  # a straight run this long is a table rule: a seal's ring has none
PROPOSALS = 12
OVALS_MM = ((42.0, 29.0), (46.0, 31.0))  # oval seals' sizes the proposals look for
OVAL_DPI = 30.0
OVAL_PROPOSALS = 4
SQUARES_MM = (22.0, 27.0, 32.0)  # square seals' sides the proposals look for
SQUARE_TILTS = (22.5, 37.5, 52.5, 67.5)  # a square level to 15 degrees has no diagonal side
SQUARE_PROPOSALS = 4
ARC_MM = 4.5  # an inked arc this long is no stroke of print
BAND = 1.0  # pixels either side of the circle that count as on it
OUTSIDE = 1.14  # the circle just outside a ring, as a share of its radius
HOPELESS = 0.1  # a proposal this far under the floor after two searches is given up
MIN_VISIBLE = 0.45  # least share of a circle on the page (a 骑缝章 half shows one half)
# Least margin of a ring's diagonal arcs over the circle just outside it. On 1-bit pages made
# from the fixtures' plans, print reaches 0.25 and a ring whose arcs survived 0.3 to 0.9.
ARC_FLOOR = 0.3
OVAL_EXTRA = 0.05  # how much more an oval's arcs must stand out than a ring's
SQUARE_EXTRA = 0.05  # and a square's sides, straight as lines of print are
# Least margin of the dashes along an outline over those just inside and outside it: on the
# fixtures' 1-bit plan pages print away from a seal reaches 0.10, worn rings 0.16 to 0.75.
DASH_FLOOR = 0.16


def without_rules(ink: np.ndarray, dpi: float) -> np.ndarray:
    """``ink`` with its long horizontal and vertical rules taken out."""
    return without_long_runs(ink, dpi, RULE_MM)


@lru_cache(maxsize=128)
def _annulus(
    inner: float, outer: float, squash: float = 1.0, degrees: float = 0.0, square: bool = False
) -> np.ndarray:
    """A ring kernel from ``inner`` to ``outer`` pixels round its centre; with ``squash`` < 1
    an oval one, its short axis that share of its long one, turned by ``degrees``; with
    ``square`` a square frame's, its half side between the two."""
    reach = math.ceil(outer * (math.sqrt(2) if square else 1.0)) + 1
    y, x = np.mgrid[-reach : reach + 1, -reach : reach + 1].astype(np.float64)
    turn = math.radians(degrees)
    u = x * math.cos(turn) + y * math.sin(turn)
    v = (-x * math.sin(turn) + y * math.cos(turn)) / squash
    distance = np.maximum(np.abs(u), np.abs(v)) if square else np.hypot(u, v)
    return ((distance >= inner) & (distance <= outer)).astype(np.float32)


@lru_cache(maxsize=128)
def _seen(
    shape: tuple[int, int],
    inner: float,
    outer: float,
    squash: float = 1.0,
    degrees: float = 0.0,
    square: bool = False,
) -> np.ndarray:
    """How much of a ring kernel lies on a page of ``shape`` at every centre (the pages of a
    document share a shape: it is worked out once)."""
    kernel = _annulus(inner, outer, squash, degrees, square)
    return cv2.filter2D(np.ones(shape, np.float32), -1, kernel, borderType=cv2.BORDER_CONSTANT)


def _ring_density(
    density: np.ndarray,
    inner: float,
    outer: float,
    squash: float = 1.0,
    degrees: float = 0.0,
    square: bool = False,
) -> np.ndarray:
    """Mean ink on the ring from ``inner`` to ``outer`` pixels round every pixel, over the
    part of the ring that lies on the page."""
    kernel = _annulus(inner, outer, squash, degrees, square)
    inked = cv2.filter2D(density, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    seen = _seen(density.shape, inner, outer, squash, degrees, square)
    return np.where(seen > 0.3 * kernel.sum(), inked / np.maximum(seen, 1e-6), 0.0).astype(np.float32)


def _proposals(
    ink: np.ndarray,
    dpi: float,
    at_dpi: float,
    kernels: list[tuple[float, float, float]],
    bands: tuple[float, float, float],
    spacing_mm: float,
    most: int,
    floor: float,
    square: bool = False,
) -> list[tuple[float, float, float, float, float]]:
    """Where, at ``at_dpi``, more ink lies on one of the ``kernels`` (half size in pixels,
    squash, tilt in degrees) than just outside it: ``bands`` are how far in pixels the kernel
    reaches either side of its line, and where the band outside it starts and ends. (x, y,
    half-axes a and b, all in ``ink``'s pixels, and tilt) of the ``most`` best places, at
    least ``spacing_mm`` apart, best first."""
    factor = at_dpi / dpi
    density = cv2.resize(ink.astype(np.float32), None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    best = np.full(density.shape, -1.0, np.float32)
    picked = np.zeros(density.shape, np.int32)
    near, away, far = bands
    for index, (r, squash, tilt) in enumerate(kernels):
        ring = _ring_density(density, r - near, r + near, squash, tilt, square)
        outside = _ring_density(density, r + away, r + far, squash, tilt, square)
        contrast = ring - outside
        better = contrast > best
        best[better] = contrast[better]
        picked[better] = index
    spacing = max(3, int(mm_to_px(spacing_mm, at_dpi)))
    found = []
    for x, y in _peaks(best, spacing, floor, most):
        # In float32, as when each pixel's best kernel was kept in a float32 map: the same
        # proposals to the last bit.
        r, squash, tilt = (float(np.float32(v)) for v in kernels[picked[y, x]])
        found.append((x / factor, y / factor, r / factor, r * squash / factor, tilt))
    return found


def ring_proposals(ink: np.ndarray, dpi: float, floor: float = 0.06) -> list[Outline]:
    """Circles of a seal's size where more ink lies on the circle than just outside it, in
    ``ink``'s pixels, best first."""
    kernels = [(mm_to_px(diameter / 2, PROPOSAL_DPI), 1.0, 0.0) for diameter in DIAMETERS_MM]
    places = _proposals(
        ink, dpi, PROPOSAL_DPI, kernels, (1.0, 2.0, 3.5), DIAMETERS_MM[0] / 2, PROPOSALS, floor
    )
    return [Outline(x, y, a, b, 0.0, "round") for x, y, a, b, _ in places]


def oval_proposals(ink: np.ndarray, dpi: float, floor: float = 0.06) -> list[Outline]:
    """Ovals of an oval seal's size (40-46 by 28-32 mm) at six tilts where more ink lies on
    the oval than just outside it, best first."""
    kernels = [
        (mm_to_px(long_mm / 2, OVAL_DPI), short_mm / long_mm, float(tilt))
        for long_mm, short_mm in OVALS_MM
        for tilt in range(0, 180, 30)
    ]
    places = _proposals(
        ink, dpi, OVAL_DPI, kernels, (1.2, 2.5, 4.5), OVALS_MM[0][1] / 2, OVAL_PROPOSALS, floor
    )
    return [Outline(x, y, a, b, tilt, "oval") for x, y, a, b, tilt in places]


def square_proposals(ink: np.ndarray, dpi: float, floor: float = 0.06) -> list[Outline]:
    """Squares of a square seal's size, at a slant, where more ink lies on the frame than
    just outside it, best first."""
    kernels = [
        (mm_to_px(side_mm / 2, OVAL_DPI), 1.0, tilt) for side_mm in SQUARES_MM for tilt in SQUARE_TILTS
    ]
    places = _proposals(
        ink, dpi, OVAL_DPI, kernels, (1.2, 2.5, 4.5), SQUARES_MM[0] / 2, SQUARE_PROPOSALS, floor, square=True
    )
    return [Outline(x, y, a, b, tilt, "square") for x, y, a, b, tilt in places]


def _peaks(score: np.ndarray, spacing: int, floor: float, most: int) -> list[tuple[int, int]]:
    """(x, y) of the ``most`` highest local maxima of ``score`` at least ``floor``, each the
    highest within ``spacing`` pixels, best first."""
    peaks = (score >= cv2.dilate(score, np.ones((spacing, spacing), np.uint8))) & (score >= floor)
    ys, xs = np.nonzero(peaks)
    order = np.argsort(-score[ys, xs])[:most]
    return [(int(xs[i]), int(ys[i])) for i in order]


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


@lru_cache(maxsize=16)
def _unit_frame(count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``count`` points evenly along each side of the square of half side 1, once round from
    (1, -1), as in ``arc_scores``'s parameter, and the frame's direction at each."""
    position = np.arange(count) * (4.0 / count)
    side, along = position.astype(int) % 4, position - np.floor(position)
    u = np.choose(side, [np.ones(count), 1 - 2 * along, -np.ones(count), -1 + 2 * along])
    v = np.choose(side, [-1 + 2 * along, np.ones(count), 1 - 2 * along, -np.ones(count)])
    du = np.choose(side, [0.0, -1.0, 0.0, 1.0]).astype(np.float64)
    dv = np.choose(side, [1.0, 0.0, -1.0, 0.0]).astype(np.float64)
    return u[None, :], v[None, :], du[None, :], dv[None, :]


def arc_scores(
    ink: np.ndarray, shapes: np.ndarray, dpi: float, square: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For circles (V, 3) of (cx, cy, r), ovals (V, 5) of (cx, cy, a, b, tilt in radians),
    or with ``square`` square frames (V, 5) of half sides a, b: the share of each one's
    diagonal parts (where its tangent is neither level nor upright, as lines of print are)
    lying in inked arcs at least ``ARC_MM`` long, the same share just outside it, and the
    share of it on the page. Print crosses such a curve in short strokes and runs along it
    only where it is level or upright; a seal's ring is long arcs all round."""
    if shapes.shape[1] == 3:
        shapes = np.concatenate([shapes, shapes[:, 2:3], np.zeros((len(shapes), 1))], axis=1)
    height, width = ink.shape
    count = max(90, int(2 * math.pi * float(shapes[:, 2:4].max()) / 0.7))
    t = np.linspace(0, 2 * math.pi, count, endpoint=False)[None, :]
    cx, cy, a, b, tilt = (shapes[:, k : k + 1] for k in range(5))
    cos_tilt, sin_tilt = np.cos(tilt), np.sin(tilt)
    if square:
        unit_u, unit_v, du, dv = _unit_frame(count)
        dx, dy = du * cos_tilt - dv * sin_tilt, du * sin_tilt + dv * cos_tilt
        spacing = 4 * (a + b) / count
    else:
        dx = -a * np.sin(t) * cos_tilt - b * np.cos(t) * sin_tilt
        dy = -a * np.sin(t) * sin_tilt + b * np.cos(t) * cos_tilt
        spacing = np.hypot(dx, dy).mean(axis=1, keepdims=True) * (2 * math.pi / count)
    diagonal = np.abs(np.sin(2 * np.arctan2(dy, dx))) > 0.5
    shortest = mm_to_px(ARC_MM, dpi) / spacing  # samples, per shape
    shares = []
    seen = np.ones((len(shapes), count), bool)
    for scale in (1.0, OUTSIDE):
        hit = np.zeros((len(shapes), count), bool)
        for offset in (-BAND, 0.0, BAND):
            if square:
                u, v = (a * scale + offset) * unit_u, (b * scale + offset) * unit_v
            else:
                u, v = (a * scale + offset) * np.cos(t), (b * scale + offset) * np.sin(t)
            xs = np.round(cx + u * cos_tilt - v * sin_tilt).astype(int)
            ys = np.round(cy + u * sin_tilt + v * cos_tilt).astype(int)
            on_page = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
            if scale == 1.0:
                seen &= on_page
            hit[on_page] |= ink[ys[on_page], xs[on_page]] > 0
        # Pinholes in a worn ring end its arcs, but bridging them bridges print too.
        arcs = (_run_lengths(hit & seen) >= shortest) & seen & diagonal
        zone = np.maximum((seen & diagonal).sum(axis=1), 1)
        shares.append(arcs.sum(axis=1) / zone)
    return shares[0], shares[1], seen.mean(axis=1)


def _search(
    ink: np.ndarray, start: np.ndarray, searches: tuple[np.ndarray, ...], dpi: float, square: bool = False
) -> tuple[np.ndarray, float, float]:
    """Coordinate search from the shape ``start`` (circle, oval or with ``square`` square
    frame, as ``arc_scores`` takes them): each of ``searches`` is a set of offsets tried round the best so far, whose
    diagonal arcs stand out most from the paper just outside it. (The shape, that margin,
    its visible share.)"""
    best, margin, visible = start, 0.0, 0.0
    for search, offsets in enumerate(searches):
        shapes = best + offsets
        ring, outside, seen = arc_scores(ink, shapes, dpi, square)
        margins = np.where(seen >= MIN_VISIBLE, ring - outside, 0.0)
        pick = int(np.argmax(margins))
        # Where no offset does better than staying, stay: a ring worn to dashes gives the
        # arcs nothing to go by, and the first offset tried would walk it off its ring.
        stay = int(np.flatnonzero(~offsets.any(axis=1))[0])
        if margins[pick] <= margins[stay]:
            pick = stay
        best, margin, visible = shapes[pick], float(margins[pick]), float(seen[pick])
        if search == 1 and margin < HOPELESS:
            break  # most proposals on a page of print: no arc worth refining
    return best, margin, visible


def refine_ring(ink: np.ndarray, outline: Outline, dpi: float) -> tuple[Outline, float, float]:
    """The circle near ``outline`` whose diagonal arcs stand out most from the paper just
    outside it: (the circle, that margin, its visible share). The radius is sought first,
    then the centre, then the radius again."""
    step = max(1.0, 0.03 * outline.a)
    radii, centres = _RADII * step, _CENTRES * step
    start = np.array([outline.cx, outline.cy, outline.a])
    best, margin, visible = _search(ink, start, (radii, centres, radii, centres, radii), dpi)
    cx, cy, r = (float(v) for v in best)
    return Outline(cx, cy, r, r, 0.0, "round"), margin, visible


_RADII = np.array([(0, 0, dr) for dr in range(-3, 4)], np.float64)
_CENTRES = np.array([(dx, dy, 0) for dx in range(-2, 3) for dy in range(-2, 3)], np.float64)


def refine_oval(ink: np.ndarray, oval: Outline, dpi: float) -> tuple[Outline, float, float]:
    """The oval near ``oval`` whose diagonal arcs stand out most from the paper just outside
    it: its place, then its axes, then its tilt, in turn."""
    step = np.array([*[max(1.0, 0.03 * oval.b)] * 4, 1.0])
    places, axes, tilts = _PLACES * step, _AXES * step, _TILTS * step
    start = np.array([oval.cx, oval.cy, oval.a, oval.b, math.radians(oval.angle)])
    best, margin, visible = _search(ink, start, (places, axes, tilts, places, axes), dpi)
    cx, cy, a, b, tilt = (float(v) for v in best)
    return Outline(cx, cy, a, b, math.degrees(tilt) % 180.0, "oval"), margin - OVAL_EXTRA, visible


_PLACES = np.array([(dx, dy, 0, 0, 0) for dx in range(-2, 3) for dy in range(-2, 3)], np.float64)
_AXES = np.array([(0, 0, da, db, 0) for da in range(-2, 3) for db in range(-2, 3)], np.float64)
_TILTS = np.array([(0, 0, 0, 0, math.radians(d)) for d in range(-12, 13, 4)], np.float64)


def refine_square(ink: np.ndarray, square: Outline, dpi: float) -> tuple[Outline, float, float]:
    """The square frame near ``square`` whose diagonal sides stand out most from the paper
    just outside it: its place, then its size, then its tilt, in turn."""
    step = np.array([*[max(1.0, 0.03 * square.a)] * 4, 1.0])
    places, sizes, tilts = _PLACES * step, _SIZES * step, _TILTS * step
    start = np.array([square.cx, square.cy, square.a, square.b, math.radians(square.angle)])
    best, margin, visible = _search(ink, start, (places, sizes, tilts, places, sizes), dpi, True)
    cx, cy, a, _, tilt = (float(v) for v in best)
    return Outline(cx, cy, a, a, math.degrees(tilt) % 90.0, "square"), margin - SQUARE_EXTRA, visible


_SIZES = np.array([(0, 0, d, d, 0) for d in range(-3, 4)], np.float64)


def _refine(ink: np.ndarray, proposed: Outline, dpi: float) -> tuple[Outline, float, float]:
    if proposed.shape == "oval":
        return refine_oval(ink, proposed, dpi)
    if proposed.shape == "square":
        return refine_square(ink, proposed, dpi)
    return refine_ring(ink, proposed, dpi)


def _wipe(ink: np.ndarray, outline: Outline) -> None:
    """Take the found seal's outline out of ``ink``, so that its arcs count for no other."""
    width = max(3, round(0.06 * outline.a))
    if outline.shape == "square":
        corners = cv2.boxPoints(((outline.cx, outline.cy), (2 * outline.a, 2 * outline.b), outline.angle))
        cv2.polylines(ink, [np.round(corners).astype(np.int32)], True, 0, 2 * width + 1)
        return
    centre, axes = (round(outline.cx), round(outline.cy)), (round(outline.a), round(outline.b))
    cv2.ellipse(ink, centre, axes, outline.angle, 0, 360, 0, 2 * width + 1)


def broken_rings(ink: np.ndarray, dpi: float) -> list[tuple[Outline, float, float]]:
    """Round, oval and slanted square seals in a 1-bit page's ``ink`` (work pixels at
    ``dpi``): (the outline, how sure, its visible share), for each whose ring shows as long
    arcs or, worn thinner, as a row of dashes along it (``seal_dashes``). An arc or a dash is
    one ring's: once the surest ring is taken, its ink no longer counts for another outline
    that crosses it. An oval or a square, having more ways to fit print, must show longer
    arcs than a ring."""
    clean = without_rules(ink, dpi)
    dashes = page_dashes(clean, dpi)

    def measured(outline: Outline, margin: float, visible: float) -> tuple[Outline, float, float]:
        """(The outline, how far the surer of the two measures is over its floor, its
        visible share.)"""
        over_dashes = dash_margin(dashes, outline, clean.shape) - DASH_FLOOR
        return outline, max(margin - ARC_FLOOR, over_dashes), visible

    proposals = ring_proposals(clean, dpi) + oval_proposals(clean, dpi) + square_proposals(clean, dpi)
    refined = [measured(*_refine(clean, proposed, dpi)) for proposed in proposals]
    found: list[tuple[Outline, float, float]] = []
    for outline, over, visible in sorted(refined, key=lambda item: -item[1]):
        if over < 0:
            break
        if found:
            outline, over, visible = measured(*_refine(clean, outline, dpi))
        if over < 0 or visible < MIN_VISIBLE:
            continue
        # Half a seal's evidence is gone with its colour: a person confirms the weaker ones.
        found.append((outline, round(min(0.85, 0.5 + 0.6 * over), 3), visible))
        _wipe(clean, outline)
        spend(dashes, outline)
    return found
