"""A page image made ready for OCR: seal ink out, page outline flattened, upright, straight.

Every step is a pure function on numpy arrays and reports what it did, so the page facts can
say that a page was turned or straightened. Order matters: the red channel first (a seal over
the 落款 must not eat the text, and the seal detector works on the colour image anyway), then a
phone photo's page outline, then skew; orientation is decided with the OCR engine's help
(``ocr_page``), because only reading tells upside-down text from upright.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MAX_SKEW_DEGREES = 5.0
_BLANK_INK_SHARE = 0.0015  # dark pixels of a page that only carries scanner noise or show-through


@dataclass(frozen=True)
class Prepared:
    gray: np.ndarray  # (H, W) uint8, what OCR reads
    lines_removed: np.ndarray  # the same with ruling lines painted white
    rule_mask: np.ndarray  # the ruling lines themselves (255 on a line)
    skew_degrees: float
    flattened: bool


def without_red_ink(rgb: np.ndarray) -> np.ndarray:
    """Gray image in which red and pink ink is as light as the paper: the red channel, where
    red seal ink is bright and black or blue text stays dark."""
    if rgb.ndim == 2:
        return rgb
    red = rgb[:, :, 0].astype(np.int16)
    green = rgb[:, :, 1].astype(np.int16)
    blue = rgb[:, :, 2].astype(np.int16)
    # Where a pixel is not reddish, the ordinary luminance keeps faint gray text legible.
    luminance = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.int16)
    reddish = (red - np.maximum(green, blue)) > 40
    return np.where(reddish, red, luminance).astype(np.uint8)


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark ink as 255 on 0, robust to uneven lighting (adaptive threshold)."""
    block = max(15, (min(gray.shape) // 40) | 1)
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)


def is_blank(gray: np.ndarray) -> bool:
    """Nothing but paper, noise or faint show-through: no stroke-sized dark components."""
    small = _downscaled(gray, 1000)
    ink = ink_mask(small)
    ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    if float(np.count_nonzero(ink)) / ink.size < _BLANK_INK_SHARE:
        return True
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    strokes = [s for s in stats[1:] if s[cv2.CC_STAT_AREA] >= 12 and max(s[2], s[3]) >= 6]
    return len(strokes) < 8


def _downscaled(gray: np.ndarray, longest: int) -> np.ndarray:
    scale = longest / max(gray.shape)
    if scale >= 1:
        return gray
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def skew_angle(gray: np.ndarray) -> float:
    """The text's tilt in degrees (positive: counter-clockwise), by the angle at which the
    rows of ink line up best (the variance of the horizontal projection is largest)."""
    small = _downscaled(gray, 1200)
    ink = ink_mask(small)
    # Characters smeared into line-long blobs make the projection sharp even for sparse text.
    ink = cv2.dilate(ink, np.ones((1, 9), np.uint8))
    height, width = ink.shape
    centre = (width / 2, height / 2)

    def score(angle: float) -> float:
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        turned = cv2.warpAffine(ink, matrix, (width, height), flags=cv2.INTER_NEAREST)
        profile = turned.sum(axis=1, dtype=np.float64)
        return float(np.var(profile))

    coarse = np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 0.01, 0.5)
    best = max(coarse, key=score)
    fine = np.arange(best - 0.5, best + 0.51, 0.1)
    best = max(fine, key=score)
    return float(round(best, 2))


def rotate(image: np.ndarray, angle: float) -> np.ndarray:
    """Turn by ``angle`` degrees counter-clockwise about the centre, filling with white."""
    if abs(angle) < 0.05:
        return image
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    border = (255, 255, 255) if image.ndim == 3 else 255
    return cv2.warpAffine(
        image,
        matrix,
        (width, height),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=border,
    )


def quarter_turn(image: np.ndarray, clockwise_degrees: int) -> np.ndarray:
    turns = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    code = turns.get(clockwise_degrees % 360)
    return image if code is None else cv2.rotate(image, code)


def page_outline(rgb: np.ndarray) -> np.ndarray | None:
    """The four corners of a sheet of paper photographed on a darker background, or None when
    the image is the page itself (a flatbed scan or a rendered PDF page)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    small = _downscaled(gray, 800)
    scale = max(gray.shape) / max(small.shape)
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    _, paper = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    paper = cv2.morphologyEx(paper, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(paper, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    largest = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(largest) / float(small.shape[0] * small.shape[1])
    if not 0.3 <= area <= 0.93:
        return None
    polygon = cv2.approxPolyDP(largest, 0.02 * cv2.arcLength(largest, True), True)
    if len(polygon) != 4 or not cv2.isContourConvex(polygon):
        return None
    return (polygon.reshape(4, 2).astype(np.float32) * scale).astype(np.float32)


def flatten(rgb: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The photographed sheet warped to a straight rectangle of its own proportions."""
    ordered = _order_corners(corners)
    top = np.linalg.norm(ordered[1] - ordered[0])
    left = np.linalg.norm(ordered[3] - ordered[0])
    width = int(max(top, np.linalg.norm(ordered[2] - ordered[3])))
    height = int(max(left, np.linalg.norm(ordered[2] - ordered[1])))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(ordered, target)
    return cv2.warpPerspective(rgb, matrix, (width, height), borderValue=(255, 255, 255))


def _order_corners(corners: np.ndarray) -> np.ndarray:
    sums = corners.sum(axis=1)
    diffs = np.diff(corners, axis=1).ravel()
    return np.array(
        [
            corners[np.argmin(sums)],
            corners[np.argmin(diffs)],
            corners[np.argmax(sums)],
            corners[np.argmax(diffs)],
        ],
        np.float32,
    )


def ruling_lines(gray: np.ndarray) -> np.ndarray:
    """Long horizontal and vertical strokes (table rules, underlines) as a 255 mask. A stroke
    counts as a rule when it is longer than any stroke of a character: a vertical one over
    about one and a half lines of text (a short row's cell border is no longer than that), a
    horizontal one over four characters."""
    ink = ink_mask(gray)
    height = text_height(gray) or gray.shape[0] / 60
    vertical_length = int(max(1.6 * height, 15))
    horizontal_length = int(max(4 * height, gray.shape[1] // 40, 25))
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (horizontal_length, 1))
    )
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, vertical_length))
    )
    vertical = _meeting(vertical, horizontal, reach=max(4, int(0.3 * height)))
    mask = cv2.bitwise_or(horizontal, vertical)
    return cv2.dilate(mask, np.ones((3, 3), np.uint8))


def _meeting(vertical: np.ndarray, horizontal: np.ndarray, reach: int) -> np.ndarray:
    """The vertical strokes that end on a horizontal rule: a cell border meets the row rules
    above or below it, a character's stroke (业, 书 in a large title) meets none."""
    near = cv2.dilate(horizontal, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(vertical, connectivity=8)
    keep = np.zeros(count, bool)
    for index in range(1, count):
        x, y, w, h = (int(v) for v in stats[index][:4])
        top_touch = near[y : y + reach + 1, x : x + w].any()
        bottom_touch = near[max(y + h - reach - 1, 0) : y + h, x : x + w].any()
        keep[index] = bool(top_touch or bottom_touch)
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def flat_field(gray: np.ndarray) -> np.ndarray:
    """Paper made white and ink kept dark under uneven light (a phone's shadow, a gray scan
    background): each pixel divided by the paper's brightness around it."""
    small = _downscaled(gray, 600)
    kernel = max(15, (max(small.shape) // 30) | 1)
    background = cv2.morphologyEx(
        small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (kernel, kernel))
    )
    background = cv2.resize(background, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    flattened = cv2.divide(gray, np.maximum(background, 1), scale=255)
    return np.asarray(flattened, dtype=np.uint8)


def text_height(gray: np.ndarray) -> float | None:
    """Median height in pixels of character-sized ink blobs, None on a page without text."""
    ink = ink_mask(gray)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = [
        int(s[cv2.CC_STAT_HEIGHT])
        for s in stats[1:]
        if 4 <= s[cv2.CC_STAT_HEIGHT] <= 120 and s[cv2.CC_STAT_AREA] >= 8
    ]
    if len(heights) < 20:
        return None
    return float(np.median(heights))


_OCR_TEXT_HEIGHT = 28.0  # tesseract reads Chinese best with characters about this tall


def enlarged_for_ocr(gray: np.ndarray) -> np.ndarray:
    """Small print (a photo taken from afar, a low-resolution picture) enlarged for OCR."""
    height = text_height(gray)
    if height is None or height >= 0.7 * _OCR_TEXT_HEIGHT:
        return gray
    factor = min(_OCR_TEXT_HEIGHT / height, 3.0)
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def prepare(rgb: np.ndarray, *, flatten_photo: bool = True) -> Prepared:
    """Seal ink out, photo flattened, skew corrected, ruling lines found and erased."""
    flattened = False
    if flatten_photo:
        corners = page_outline(rgb)
        if corners is not None:
            rgb = flatten(rgb, corners)
            flattened = True
    gray = enlarged_for_ocr(flat_field(without_red_ink(rgb)))
    angle = skew_angle(gray)
    gray = rotate(gray, angle)
    mask = ruling_lines(gray)
    cleaned = gray.copy()
    cleaned[mask > 0] = 255
    return Prepared(gray=gray, lines_removed=cleaned, rule_mask=mask, skew_degrees=angle, flattened=flattened)
