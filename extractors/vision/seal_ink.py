"""Which pixels of a page are a seal's ink: red of any shade, the mid-gray a red seal turns in
a gray scan, black on a 1-bit page; the paper of a photo and the colour of the page. Pure
functions on numpy images, shared by the seal detector, the seal reader and the signature
finder (a seal's ink is never a signature's).
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

MM_PER_INCH = 25.4
PageColour = Literal["colour", "gray", "bw"]
FAINT_GRAY = 238


def mm_to_px(mm: float, dpi: float) -> float:
    return mm / MM_PER_INCH * dpi


def flatten(rgb: np.ndarray, dpi: float) -> np.ndarray:
    """The page with its paper made white: each channel divided by its background (the page
    closed with a kernel wider than any stroke), so shading in photos, yellowed paper and a
    scanner's colour cast do not read as ink."""
    size = max(5, int(mm_to_px(6.0, dpi)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    background = cv2.morphologyEx(rgb, cv2.MORPH_CLOSE, kernel)
    background = cv2.blur(background, (size, size))
    flat = rgb.astype(np.float32) * 255.0 / np.maximum(background.astype(np.float32), 1.0)
    return np.clip(flat, 0, 255).astype(np.uint8)


def paper_mask(gray: np.ndarray, dpi: float) -> np.ndarray | None:
    """The sheet of paper in a photo (the bright region), or None when the paper fills the
    image (a scan, a rendered PDF page). Seals are looked for on the paper only: a desk or a
    wall behind it can be any colour."""
    small = cv2.GaussianBlur(gray, (9, 9), 3)
    _, bright = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if bright.mean() > 0.97 or gray.mean() > 235:
        return None
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bright.astype(np.uint8), connectivity=4)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[largest, cv2.CC_STAT_AREA] > 0.97 * gray.size:
        return None
    # The hull of the region's outer contour is the region's hull, at a fraction of the cost.
    contours, _ = cv2.findContours(
        (labels == largest).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    hull = cv2.convexHull(np.concatenate(contours))
    region = np.zeros(gray.shape, np.uint8)
    cv2.fillPoly(region, [hull], 1)
    return region


def page_colour(rgb: np.ndarray) -> PageColour:
    """Colour when the page has any saturated ink; bw when its ink is almost all black and
    white (a 1-bit scan, maybe JPEG-smoothed); gray otherwise."""
    sample = rgb[::2, ::2]
    r, g, b = sample[:, :, 0], sample[:, :, 1], sample[:, :, 2]
    chroma = np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)  # uint8, no overflow
    # A faint pink seal is light: colour is counted wherever it is, not only on dark ink.
    if (chroma > 35).sum() > max(40, 0.0005 * chroma.size):
        return "colour"
    total = r.astype(np.int16) + g + b  # three times the gray level
    dark = (total < 3 * 200).sum()
    if dark == 0:
        return "gray"
    mid = ((total >= 3 * 70) & (total < 3 * 185)).sum()
    return "bw" if mid / dark < 0.22 else "gray"


def red_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels of red ink: red clearly above both green and blue, so that faint pink, dark
    crimson and the orange-red of some inks count, while black, blue and gray print do not."""
    r = rgb[:, :, 0].astype(np.int16)
    g = rgb[:, :, 1].astype(np.int16)
    b = rgb[:, :, 2].astype(np.int16)
    redness = r - np.maximum(g, b)
    return ((redness > 28) & (r > 110)).astype(np.uint8)


def seal_red_mask(rgb: np.ndarray) -> np.ndarray:
    """Red ink with the faint parts of a seal kept: pale red (as a worn, JPEG-washed ring
    is) counts where it joins clear red ink, as a hysteresis threshold does for edges, so
    that a faint frame holds together while a page's scattered tint stays out."""
    strong = red_mask(rgb)
    r = rgb[:, :, 0].astype(np.int16)
    weak = ((r - np.maximum(rgb[:, :, 1], rgb[:, :, 2]).astype(np.int16) > 14) & (r > 110)).astype(np.uint8)
    count, labels = cv2.connectedComponents(weak | strong, connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[np.unique(labels[strong > 0])] = True
    keep[0] = False
    return keep[labels].astype(np.uint8)


def gray_seal_mask(gray: np.ndarray, near_print: np.ndarray | None = None) -> np.ndarray:
    """Mid-gray ink that is not the blurred edge of black print: what a red seal becomes in a
    gray scan. ``near_print`` (from ``print_mask``) marks print told at a finer resolution,
    where thin strokes and table rules are still black, not the gray they shrink to."""
    mid = ((gray > 70) & (gray < 222)).astype(np.uint8)
    if near_print is None:
        near_print = cv2.dilate((gray <= 70).astype(np.uint8), np.ones((3, 3), np.uint8))
    return (mid & (near_print == 0)).astype(np.uint8)


def faint_seal_mask(gray: np.ndarray, near_print: np.ndarray) -> np.ndarray:
    """Any ink lighter than print, down to the palest gray a faint seal turns in a gray
    scan, where the paper has been made white (``flatten``)."""
    return ((gray > 70) & (gray < FAINT_GRAY) & (near_print == 0)).astype(np.uint8)


def print_mask(gray: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Where black print is, told on the page's own pixels ``gray`` and brought down to
    ``shape`` (height, width): a work pixel is print when any black lies within a pixel of it."""
    black = cv2.dilate((gray <= 70).astype(np.uint8), np.ones((3, 3), np.uint8))
    if black.shape == shape:
        return black
    small = cv2.resize(black * 255, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return (small > 40).astype(np.uint8)


def ink_mask(gray: np.ndarray) -> np.ndarray:
    return (gray < 150).astype(np.uint8)


def without_long_runs(mask: np.ndarray, dpi: float, run_mm: float, bridge: int = 1) -> np.ndarray:
    """``mask`` without its level and upright runs of at least ``run_mm``: table rules, and
    the shaded rows and thin rules that a gray scan makes gray, not black. Gaps of under
    ``bridge`` pixels (JPEG noise along a pale rule) do not end a run."""
    run = max(3, round(mm_to_px(run_mm, dpi)))
    runs = np.zeros_like(mask)
    for bridging, opening in (((1, bridge), (1, run)), ((bridge, 1), (run, 1))):
        closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones(bridging, np.uint8)) if bridge > 1 else mask
        runs = np.maximum(runs, cv2.morphologyEx(closed, cv2.MORPH_OPEN, np.ones(opening, np.uint8)))
    runs = cv2.dilate(runs, np.ones((3, 3), np.uint8))
    return (mask & (runs == 0)).astype(np.uint8)
