"""What a seal says: its ring text and its bottom line, read off the page image.

The institution's name runs round the top of a seal; unrolled by a polar transform it becomes
one line of text that tesseract reads with ``--psm 7``. The seal may be stamped at any angle,
so the strip starts in the gap where the ring text ends (its bottom), and both directions are
read. The line across the bottom (合同专用章, 教务处, 财务处 …) is read from the seal turned
upright. Whose seal the reading names is decided in ``seal_match``.
"""

from __future__ import annotations

import importlib.util
import math
import re
from dataclasses import dataclass

import cv2
import numpy as np
import pytesseract

from extractors.errors import OcrError
from extractors.vision.images import PageImage
from extractors.vision.seal_ink import flatten
from extractors.vision.seal_match import SealReading, cjk_only
from extractors.vision.seals import SealCandidate
from schemas.facts import Box

BOTTOM_ZOOM = 2.0
READ_RADIUS = 150  # the seal is scaled to this outer radius in pixels before reading
TEXT_HEIGHT = 40  # rows of the unrolled ring text: tesseract reads CJK best 30-40 px high
TEXT_DEPTH = 0.34  # how deep the ring text reaches inside the ring line, in outer radii
RING_COVER = 0.45  # share of the way round that a ring line is inked, at the least
_RAYS = 120
_PAD = 12
_CJK = re.compile(r"[\u4e00-\u9fff]")


def crop_png(image: PageImage, box: Box, margin_pt: float = 12.0) -> bytes:
    """The region ``box`` (PDF points) of the page with a margin, as PNG bytes: the evidence
    a reviewer sees beside a seal or signature finding."""
    scale = 1.0 / image.points_per_pixel
    h, w = image.pixels.shape[:2]
    x0, y0 = int(max(0, (box.x0 - margin_pt) * scale)), int(max(0, (box.top - margin_pt) * scale))
    x1, y1 = int(min(w, (box.x1 + margin_pt) * scale)), int(min(h, (box.bottom + margin_pt) * scale))
    region = image.pixels[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1)]
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(region, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OcrError("印章区域图像无法保存")
    return bytes(encoded.tobytes())


@dataclass(frozen=True)
class _Ring:
    """The seal's outline in the scaled crop: centre, half-axes, rotation in degrees."""

    cx: float
    cy: float
    a: float
    b: float
    angle: float

    def points(self, phi: np.ndarray, depth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image (x, y) at parameter angle ``phi`` and ``depth`` pixels inside the outline."""
        x, y = (self.a - depth) * np.cos(phi), (self.b - depth) * np.sin(phi)
        rad = math.radians(self.angle)
        xs = self.cx + x * math.cos(rad) - y * math.sin(rad)
        ys = self.cy + x * math.sin(rad) + y * math.cos(rad)
        return xs.astype(np.float32), ys.astype(np.float32)

    def sample(self, image: np.ndarray, phi: np.ndarray, depth: np.ndarray) -> np.ndarray:
        """``image`` resampled on the grid rows ``phi`` x columns ``depth`` (zero outside)."""
        xs, ys = self.points(phi[:, None], depth[None, :])
        return cv2.remap(image, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _strength(image: PageImage, seal: SealCandidate) -> tuple[np.ndarray, _Ring]:
    """How strongly each pixel of the seal's crop (scaled so that its outline has the radius
    ``READ_RADIUS``) is the seal's ink, 0-1; off the page is paper. The scale of the ink is
    the seal's own (its brightest ink), so a faint or pink seal reads like a full one."""
    cx, cy = seal.centre_px
    radius = max(max(seal.radius_px), 1.0)
    pad = radius * 1.3
    h, w = image.pixels.shape[:2]
    x0, y0, x1, y1 = int(cx - pad), int(cy - pad), int(cx + pad) + 1, int(cy + pad) + 1
    crop = image.pixels[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)]
    margins = (max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w))
    crop = cv2.copyMakeBorder(crop, *margins, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    scale = READ_RADIUS / radius
    crop = cv2.resize(
        crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )
    flat = flatten(crop, image.dpi * scale).astype(np.float32)
    ring = _Ring(
        (cx - x0) * scale, (cy - y0) * scale, seal.radius_px[0] * scale, seal.radius_px[1] * scale, seal.angle
    )
    if seal.colour == "red":
        ink = cv2.GaussianBlur(flat[:, :, 0] - np.maximum(flat[:, :, 1], flat[:, :, 2]), (0, 0), 1.0)
    else:
        ink = cv2.GaussianBlur(255.0 - cv2.cvtColor(flat, cv2.COLOR_RGB2GRAY), (0, 0), 1.0)
        if seal.colour == "gray":
            ink = _without_print(ink, ring, scale)
    yy, xx = np.mgrid[0 : ink.shape[0], 0 : ink.shape[1]]
    inside = (xx - ring.cx) ** 2 + (yy - ring.cy) ** 2 < (1.05 * READ_RADIUS) ** 2
    top = float(np.percentile(ink[inside], 99.5)) if inside.any() else 0.0
    low = max(8.0, 0.15 * top) if seal.colour == "red" else max(25.0, 0.15 * top)
    high = max(low + 12.0, 0.55 * top if seal.colour == "red" else min(110.0, 0.55 * top))
    return np.clip((ink - low) / (high - low), 0.0, 1.0).astype(np.float32), ring


def _without_print(dark: np.ndarray, ring: _Ring, scale: float) -> np.ndarray:
    """A gray seal's darkness with the print under and around it taken out: print is much
    darker than the seal's own ink, measured on its ring line (its blurred edges go too)."""
    phi = np.linspace(0, 2 * math.pi, _RAYS, endpoint=False)
    depth = np.linspace(-0.04 * READ_RADIUS, 0.08 * READ_RADIUS, 13)
    level = float(np.median(ring.sample(dark, phi, depth).max(axis=1)))
    cut = level + max(30.0, 0.4 * (255.0 - level))
    if cut >= 235.0:
        return dark  # a seal as dark as print: nothing tells them apart
    size = 2 * max(1, round(1.5 * scale)) + 1
    near_print = cv2.dilate((dark > cut).astype(np.uint8), np.ones((size, size), np.uint8))
    return np.where(near_print > 0, 0.0, dark).astype(np.float32)


def seal_ink(image: PageImage, seal: SealCandidate) -> tuple[np.ndarray, float, float, float]:
    """The seal's ink as a mask scaled to ``READ_RADIUS``, with its centre and radius in the
    scaled crop."""
    strength, ring = _strength(image, seal)
    return (strength >= 0.5).astype(np.uint8), ring.cx, ring.cy, READ_RADIUS


def _fit_ring(strength: np.ndarray, ring: _Ring) -> _Ring:
    """The outline refitted to the ring's outer edge, found along rays from the centre: a
    centre or radius a few pixels off would put the ring line into the text band."""
    if ring.a < 10 or ring.b < 10:
        return ring
    phi = np.linspace(0, 2 * math.pi, _RAYS, endpoint=False)
    step = 0.01 * READ_RADIUS
    depth = np.arange(-0.18 * READ_RADIUS, 0.18 * READ_RADIUS, step)
    rays = ring.sample(strength, phi, depth)
    edges = []
    for i, ray in enumerate(rays):
        k = int(np.argmax(ray))
        if ray[k] < 0.4:
            continue
        j = k
        while j > 0 and ray[j - 1] >= 0.5 * ray[k]:
            j -= 1
        edges.append((phi[i], depth[j]))
    if len(edges) < _RAYS // 4:
        return ring
    angles, depths = np.array(edges).T
    for _ in range(2):
        xs, ys = ring.points(angles, depths)
        (cx, cy), (d1, d2), angle = cv2.fitEllipse(np.stack([xs, ys], axis=1))
        fitted = _Ring(float(cx), float(cy), d1 / 2, d2 / 2, float(angle))
        if not _close(fitted, ring):
            return ring
        # Rays that met something else (print under the seal, a stray mark): out, and refit.
        dx, dy = xs - fitted.cx, ys - fitted.cy
        rad = math.radians(fitted.angle)
        u = (dx * math.cos(rad) + dy * math.sin(rad)) / fitted.a
        v = (-dx * math.sin(rad) + dy * math.cos(rad)) / fitted.b
        off = np.abs(np.sqrt(u * u + v * v) - 1.0) * READ_RADIUS
        keep = off < 0.03 * READ_RADIUS
        if keep.sum() < _RAYS // 4:
            return ring
        angles, depths = angles[keep], depths[keep]
    return fitted


def _close(fitted: _Ring, ring: _Ring) -> bool:
    moved = math.hypot(fitted.cx - ring.cx, fitted.cy - ring.cy)
    sizes = sorted((fitted.a, fitted.b)), sorted((ring.a, ring.b))
    return moved < 0.2 * READ_RADIUS and all(0.85 < f / r < 1.15 for f, r in zip(*sizes, strict=True))


def _band(strength: np.ndarray, ring: _Ring) -> tuple[float, float]:
    """(outer, inner) depth in pixels of the ring text: inside the ring line (and an inner ring
    line, if any), as deep as the characters go."""
    phi = np.linspace(0, 2 * math.pi, 720, endpoint=False)
    depth = np.arange(0.0, 0.55 * READ_RADIUS, 1.0)
    cover = (ring.sample(strength, phi, depth) >= 0.5).mean(axis=0)
    near = cover[: int(0.08 * READ_RADIUS)]
    line = max(RING_COVER, 0.6 * float(near.max()))
    lines = np.nonzero(cover[: int(0.22 * READ_RADIUS)] >= line)[0]
    outer = float(lines[-1] + 1) if len(lines) else 0.0
    outer += 0.015 * READ_RADIUS
    return outer, outer + TEXT_DEPTH * READ_RADIUS


def _strip(strength: np.ndarray, ring: _Ring, outer: float, inner: float) -> tuple[np.ndarray, float]:
    """The ring text as one straight line (dark on white, tops of the characters up), from the
    gap under the text round to it again, and the parameter angle of that gap."""
    rows = TEXT_HEIGHT
    mid = READ_RADIUS - (outer + inner) / 2
    columns = int(2 * math.pi * mid * rows / (inner - outer))
    phi = np.linspace(0, 2 * math.pi, columns, endpoint=False)
    depth = np.linspace(outer, inner, rows)
    band = _own_contrast(ring.sample(strength, phi, depth))  # rows: angle, columns: depth
    ink = band >= 0.5
    # The gap is sought in the outer half of the band, which the bottom line never reaches.
    profile = cv2.blur(ink[:, : rows // 2].mean(axis=1).astype(np.float32).reshape(-1, 1), (1, rows // 2 | 1))
    gap = _gap_centre(profile.ravel())
    band = np.roll(band, -gap, axis=0).T  # rows: depth (outer edge up), columns: angle
    # What is left of a ring line (the outline a little off): long horizontal runs of ink.
    binary = (band >= 0.5).astype(np.uint8)
    lines = cv2.morphologyEx(
        binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (int(1.8 * rows), 1))
    )
    band = np.where(cv2.dilate(lines, np.ones((3, 3), np.uint8)) > 0, 0.0, band)
    used = np.nonzero((band >= 0.5).sum(axis=0) >= 2)[0]
    if len(used):
        band = band[:, max(0, used[0] - rows // 2) : used[-1] + rows // 2]
    strip = (255 - np.clip(band * 255, 0, 255)).astype(np.uint8)
    return strip, float(phi[gap])


def _gap_centre(profile: np.ndarray) -> int:
    """The middle of the longest run of angles with little ink (wraps round)."""
    low = profile < max(0.02, 0.25 * float(profile.mean()))
    if low.all() or not low.any():
        return int(np.argmin(profile))
    n = len(low)
    start = int(np.argmin(low))  # a position with ink: runs never wrap past it
    best_len, best_mid, run = 0, 0, 0
    for step in range(1, n + 1):
        i = (start + step) % n
        if low[i]:
            run += 1
            if run > best_len:
                best_len, best_mid = run, (i - run // 2) % n
        else:
            run = 0
    return best_mid


def _own_contrast(strength: np.ndarray) -> np.ndarray:
    """``strength`` rescaled so that its own strongest ink is full ink: a seal's text is often
    inked lighter than its ring, whose ink set the scale, and would read as half-strokes."""
    if not strength.size:
        return strength
    top = float(np.percentile(strength, 99.5))
    if top < 0.15 or top >= 0.9:
        return strength  # no ink to speak of, or ink as strong as the ring's
    return np.clip(strength * (0.95 / top), 0.0, 1.0).astype(np.float32)


def bottom_line(strength: np.ndarray, ring: _Ring, gap: float) -> np.ndarray:
    """The region under the star, turned so that the gap is straight down."""
    xs, ys = ring.points(np.array([gap, gap + math.pi / 2]), np.array([0.0, 0.0]))
    down, across = np.hypot(xs - ring.cx, ys - ring.cy)
    degrees = math.degrees(math.atan2(float(ys[0]) - ring.cy, float(xs[0]) - ring.cx))
    turn = cv2.getRotationMatrix2D((ring.cx, ring.cy), degrees - 90.0, 1.0)
    upright = cv2.warpAffine(strength, turn, (strength.shape[1], strength.shape[0]))
    # Within the ring's inner edge all across (at half the radius to either side the ring is
    # lower than 0.85 of it): a piece of the ring beside the line is read as a character. An
    # oval's ring is nearer below its centre than to the sides, or the other way round.
    y0, y1 = int(ring.cy + 0.34 * down), int(ring.cy + 0.76 * down)
    x0, x1 = int(ring.cx - 0.52 * across), int(ring.cx + 0.52 * across)
    region = _own_contrast(upright[max(0, y0) : y1, max(0, x0) : x1])
    line = (255 - np.clip(region * 255, 0, 255)).astype(np.uint8)
    # The line is small print: recognisers read it at the height they were trained on.
    return (
        cv2.resize(line, None, fx=BOTTOM_ZOOM, fy=BOTTOM_ZOOM, interpolation=cv2.INTER_CUBIC)
        if line.size
        else line
    )


def _ocr_line(strip: np.ndarray, psm: int = 7) -> tuple[str, float, float]:
    """(CJK text, mean confidence per character, share of the strip's inked columns that
    the characters read cover): ink that no character was read from is text missed."""
    if strip.size == 0 or (strip < 128).mean() < 0.01:
        return "", 0.0, 0.0
    padded = cv2.copyMakeBorder(strip, _PAD, _PAD, _PAD, _PAD, cv2.BORDER_CONSTANT, value=255)
    try:
        data = pytesseract.image_to_data(
            padded, lang="chi_sim", config=f"--psm {psm}", output_type=pytesseract.Output.DICT, timeout=20
        )
    except pytesseract.TesseractNotFoundError:
        raise OcrError("服务器上没有安装tesseract") from None
    except (pytesseract.TesseractError, RuntimeError) as error:
        raise OcrError(f"印章文字识别失败（{str(error)[:120]}）") from None
    inked = (strip < 128).any(axis=0)
    read = np.zeros_like(inked)
    words = []
    for text, conf, left, width in zip(data["text"], data["conf"], data["left"], data["width"], strict=False):
        chars = cjk_only(str(text))
        if chars and float(conf) >= 0:
            words.append((chars, float(conf)))
            read[max(0, int(left) - _PAD) : max(0, int(left) + int(width) - _PAD)] = True
    if not words:
        return "", 0.0, 0.0
    text = "".join(t for t, _ in words)
    confidence = sum(c * len(t) for t, c in words) / max(1, len(text))
    return text, confidence, float((read & inked).sum() / max(1, inked.sum()))


def _rapid_line(strip: np.ndarray) -> tuple[str, float, float] | None:
    """As ``_ocr_line``, by RapidOCR's recogniser alone (the strip is one line already), with
    its per-character probabilities as confidences; None when RapidOCR is not installed."""
    if importlib.util.find_spec("rapidocr_onnxruntime") is None:
        return None
    if strip.size == 0 or (strip < 128).mean() < 0.01:
        return "", 0.0, 0.0
    from extractors.vision.rapid import recognise_line

    padded = cv2.copyMakeBorder(strip, _PAD, _PAD, _PAD, _PAD, cv2.BORDER_CONSTANT, value=255)
    try:
        _text, info = recognise_line(cv2.cvtColor(padded, cv2.COLOR_GRAY2BGR))
    except OcrError:
        return None
    except Exception as error:  # onnxruntime and RapidOCR raise many types
        raise OcrError(f"印章文字识别失败（RapidOCR：{type(error).__name__}）") from None
    steps, words, positions, _, probabilities = info
    flat = [
        (c, col)
        for word, cols in zip(words, positions, strict=False)
        for c, col in zip(word, cols, strict=False)
    ]
    chars = [(c, float(p), col) for (c, col), p in zip(flat, probabilities, strict=False) if _CJK.match(c)]
    if not chars:
        return "", 0.0, 0.0
    inked = (strip < 128).any(axis=0)
    read = np.zeros_like(inked)
    width, half = padded.shape[1] / max(1.0, float(steps)), strip.shape[0] // 2
    for _, _, col in chars:
        x = int(col * width) - _PAD
        read[max(0, x - half) : max(0, x + half)] = True
    text = "".join(c for c, _, _ in chars)
    confidence = 100.0 * sum(p for _, p, _ in chars) / len(chars)
    return text, confidence, float((read & inked).sum() / max(1, inked.sum()))


def read_seal(image: PageImage, seal: SealCandidate) -> SealReading:
    """Read the ring text and, when the ring was read, the bottom line. Each tesseract call
    costs a few tenths of a second, so none is made that cannot change the verdict."""
    strength, ring = _strength(image, seal)
    ring = _fit_ring(strength, ring)
    outer, inner = _band(strength, ring)
    strip, gap = _strip(strength, ring, outer, inner)
    arc, confidence, covered = _rapid_line(strip) or _ocr_line(strip)
    # How sure the reading is the seal's whole text: characters missed or off the page lower it.
    confidence *= min(1.0, covered / 0.85) * min(1.0, seal.visible_fraction / 0.9)
    bottom = ""
    if len(arc) >= 5 and confidence >= 45:  # only a read name can be a department's
        line = bottom_line(strength, ring, gap)
        bottom = (_rapid_line(line) or _ocr_line(line))[0]
    return SealReading(
        arc=arc,
        bottom=bottom if len(bottom) >= 2 else "",
        confidence=round(confidence, 1),
        bottom_own_ink=seal.colour == "red",
    )
