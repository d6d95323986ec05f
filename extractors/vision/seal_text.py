"""What a seal says, and whether it is the school's.

The institution's name runs round the top of a seal; unrolled by a polar transform it becomes
one line of text that tesseract reads with ``--psm 7``. The seal may be stamped at any angle,
so the strip starts in the gap where the ring text ends (its bottom), and both directions are
read. The line across the bottom (合同专用章, 教务处, 财务处 …) is read from the seal turned
upright. OCR of a ring is rough: a name with characters missing must still match, and text
too poor to decide on is ``unreadable``, which the checks turn into a note for a person,
never into a mismatch.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

import cv2
import numpy as np
import pytesseract

from extractors.errors import OcrError
from extractors.normalize import match_key
from extractors.vision.images import PageImage
from extractors.vision.seals import SealCandidate, flatten, gray_seal_mask, ink_mask, red_mask
from schemas.facts import Box
from schemas.seal_review import MatchKind

READ_RADIUS = 150  # the seal is scaled to this outer radius in pixels before reading
_CJK = re.compile(r"[\u4e00-\u9fff]")
# What a department or a secondary college writes after (or instead of) the school's name.
DEPARTMENT_WORDS = (
    "教务处",
    "财务处",
    "办公室",
    "学生处",
    "科研处",
    "人事处",
    "招生就业处",
    "教学工作部",
    "党委",
    "团委",
    "工会",
    "委员会",
    "二级学院",
    "继续教育学院",
)
ORGANISATION_WORDS = ("公司", "集团", "中心", "研究院", "有限", "协会", "基金会")
CONTRACT_WORDS = ("合同专用章", "合同章", "协议专用章")


@dataclass(frozen=True)
class SealReading:
    """The ring text and the bottom line as read (CJK characters only), with tesseract's
    mean confidence (0-100) of the ring text."""

    arc: str
    bottom: str
    confidence: float


@dataclass(frozen=True)
class SealMatch:
    """Whose seal it is. ``quoted`` is what the seal says, for the reviewer; ``name`` is the
    known institution it was matched to, if any; ``score`` the similarity 0-1."""

    kind: MatchKind
    quoted: str
    name: str | None
    score: float


def cjk_only(text: str) -> str:
    return "".join(_CJK.findall(text))


def shared_ratio(read: str, expected: str) -> float:
    """How much of ``expected`` the reading shows, in order (missing and wrong characters
    cost, extra ones at the ends do not): matched characters / len(expected)."""
    a, b = match_key(read), match_key(expected)
    if not a or not b:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched / len(b)


# The generic ends of school names: every 高职 shares 职业技术学院, so a reading is judged on
# what sets the name apart (株洲健康, 郴州软件), not on the suffix all of them have.
GENERIC_ENDS = (
    "职业技术学院",
    "职业技术学校",
    "中等职业学校",
    "中等专业学校",
    "职业学院",
    "职业学校",
    "学院",
    "学校",
    "大学",
)


def distinctive(name: str) -> str:
    key = match_key(name)
    for end in GENERIC_ENDS:
        if key.endswith(end) and len(key) > len(end) + 1:
            return key[: -len(end)]
    return key


def _best(read: str, names: list[str]) -> tuple[str | None, float, float]:
    """(name, share of the whole name read, share of its distinctive part read), best first
    by the distinctive part."""
    best: tuple[str | None, float, float] = (None, 0.0, 0.0)
    for name in names:
        whole, own = shared_ratio(read, name), shared_ratio(read, distinctive(name))
        # A reading much longer than the name (two names run together) is not that name.
        if len(read) > 1.6 * len(name) + 2:
            whole, own = whole * 0.8, own * 0.8
        if own + 0.5 * whole > best[2] + 0.5 * best[1]:
            best = (name, whole, own)
    return best


def _after_name(read: str, name: str) -> str:
    """What the reading says after the (approximately matched) ``name``."""
    a, b = match_key(read), match_key(name)
    blocks = [
        block for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() if block.size
    ]
    if not blocks:
        return a
    return a[blocks[-1].a + blocks[-1].size :]


def match_institution(
    reading: SealReading,
    school_names: list[str],
    other_names: list[str],
    organisation: str | None = None,
) -> SealMatch:
    """Decide whose seal ``reading`` is: the school's (any of ``school_names``), a department
    or secondary college of the school, another known institution (``other_names``: the
    round's other schools), the training organisation, or unreadable."""
    arc = reading.arc
    quoted = arc + (f"（{reading.bottom}）" if reading.bottom else "")
    if len(arc) < 3:
        return SealMatch("unreadable", quoted, None, 0.0)
    own_name, own_whole, own = _best(arc, school_names)
    other_name, other_whole, other = _best(arc, other_names)
    org = shared_ratio(arc, organisation) if organisation else 0.0
    whole = arc + reading.bottom
    clear_own = own >= 0.6 and (own_whole >= 0.6 or own >= 0.9) and own - other >= 0.15
    # As for another school below: half of this school's own part and most of its name read.
    poor_own = own >= 0.5 and other <= 0.25 and own_whole >= 0.65 and own_whole - other_whole >= 0.15
    if clear_own or (poor_own and reading.confidence >= 40):
        rest = _after_name(arc, own_name or "")
        department = [w for w in DEPARTMENT_WORDS if w in reading.bottom or w in rest]
        if len(rest) >= 3 and rest.endswith("学院"):
            department.append("学院")  # a secondary college: 某某职业技术学院信息工程学院
        # Only a clear reading makes a department: a misread bottom line must not accuse.
        if department and reading.confidence >= 60 and not any(w in whole for w in CONTRACT_WORDS):
            return SealMatch("department", quoted, own_name, own)
        return SealMatch("matched", quoted, own_name, own)
    if organisation and org >= 0.6 and org > own:
        return SealMatch("organisation", quoted, organisation, org)
    if other_whole >= 0.5 and other >= 0.75 and other - own >= 0.5:
        return SealMatch("other_institution", quoted, other_name, other)
    # A poor reading still names another school when half of what sets that school's name
    # apart is read, nothing of this school's, and most of that whole name is read in order.
    poorly_read_other = (
        other >= 0.5 and own == 0.0 and other_whole >= 0.65 and other_whole - own_whole >= 0.15
    )
    if poorly_read_other and reading.confidence >= 40:
        return SealMatch("other_institution", quoted, other_name, other)
    clearly_read = len(arc) >= 6 and reading.confidence >= 60
    if clearly_read and own < 0.35 and other < 0.5:
        if any(w in arc for w in ORGANISATION_WORDS):
            return SealMatch("organisation", quoted, None, org)
        if arc.endswith(("学院", "学校", "大学", "中学", "职校")):
            return SealMatch("other_institution", quoted, None, 0.0)
    return SealMatch("unreadable", quoted, None, max(own, other))


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


def seal_ink(image: PageImage, seal: SealCandidate) -> tuple[np.ndarray, float, float, float]:
    """The seal's ink as a mask scaled to ``READ_RADIUS``, with its centre and radius in the
    scaled crop."""
    cx, cy = seal.centre_px
    radius = max(seal.radius_px)
    pad = radius * 1.15
    h, w = image.pixels.shape[:2]
    x0, y0 = int(max(0, cx - pad)), int(max(0, cy - pad))
    x1, y1 = int(min(w, cx + pad)), int(min(h, cy + pad))
    crop = image.pixels[y0:y1, x0:x1]
    scale = READ_RADIUS / max(radius, 1.0)
    crop = cv2.resize(
        crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )
    dpi = image.dpi * scale
    flat = flatten(crop, dpi)
    if seal.colour == "red":
        mask = red_mask(flat)
    else:
        gray = cv2.cvtColor(flat, cv2.COLOR_RGB2GRAY)
        mask = gray_seal_mask(gray) | ink_mask(gray) if seal.colour == "gray" else ink_mask(gray)
    return mask, (cx - x0) * scale, (cy - y0) * scale, READ_RADIUS


def unwrap_ring(mask: np.ndarray, cx: float, cy: float, radius: float) -> tuple[np.ndarray, float]:
    """The ring text as a straight strip (dark text on white, outer edge up), starting in the
    gap under the text, and the angle in degrees (image coordinates) of that gap."""
    angles = int(2 * math.pi * radius * 0.75)
    polar = cv2.warpPolar(
        mask * 255, (int(radius), angles), (cx, cy), radius, cv2.WARP_POLAR_LINEAR + cv2.INTER_LINEAR
    )
    band = polar[:, int(radius * 0.52) : int(radius * 0.9)]  # rows: angle, columns: radius
    profile = cv2.blur(band.mean(axis=1).astype(np.float32).reshape(-1, 1), (1, 31)).ravel()
    gap = _gap_centre(profile)
    band = np.roll(band, -gap, axis=0)
    strip = cv2.flip(band.T, 0)  # outer edge (top of the characters) up, angle along x
    return 255 - strip, gap * 360.0 / angles


def _gap_centre(profile: np.ndarray) -> int:
    """The middle of the longest run of angles with little ink (wraps round)."""
    low = profile < max(8.0, 0.25 * float(profile.mean()))
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


def bottom_line(mask: np.ndarray, cx: float, cy: float, radius: float, gap_degrees: float) -> np.ndarray:
    """The region under the star, turned so that the gap is straight down."""
    turn = cv2.getRotationMatrix2D((cx, cy), gap_degrees - 90.0, 1.0)
    upright = cv2.warpAffine(mask * 255, turn, (mask.shape[1], mask.shape[0]))
    y0, y1 = int(cy + 0.32 * radius), int(cy + 0.78 * radius)
    x0, x1 = int(cx - 0.62 * radius), int(cx + 0.62 * radius)
    return 255 - upright[max(0, y0) : y1, max(0, x0) : x1]


def _ocr_line(strip: np.ndarray) -> tuple[str, float]:
    if strip.size == 0 or (strip < 128).mean() < 0.01:
        return "", 0.0
    padded = cv2.copyMakeBorder(strip, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)
    try:
        data = pytesseract.image_to_data(
            padded, lang="chi_sim", config="--psm 7", output_type=pytesseract.Output.DICT, timeout=20
        )
    except pytesseract.TesseractNotFoundError:
        raise OcrError("服务器上没有安装tesseract") from None
    except (pytesseract.TesseractError, RuntimeError) as error:
        raise OcrError(f"印章文字识别失败（{str(error)[:120]}）") from None
    words = [(cjk_only(str(t)), float(c)) for t, c in zip(data["text"], data["conf"], strict=False)]
    words = [(t, c) for t, c in words if t and c >= 0]
    if not words:
        return "", 0.0
    text = "".join(t for t, _ in words)
    confidence = sum(c * len(t) for t, c in words) / max(1, len(text))
    return text, confidence


def read_seal(image: PageImage, seal: SealCandidate) -> SealReading:
    """Read the ring text (the other direction too when the first reading is poor) and, when
    the ring was read, the bottom line. Each tesseract call costs a few tenths of a second,
    so none is made that cannot change the verdict."""
    mask, cx, cy, radius = seal_ink(image, seal)
    strip, gap = unwrap_ring(mask, cx, cy, radius)
    best = _ocr_line(strip)
    if len(best[0]) < 4 or best[1] < 40:
        backward = _ocr_line(cv2.rotate(strip, cv2.ROTATE_180))
        if backward[1] * len(backward[0]) > best[1] * len(best[0]):
            best = backward
    bottom = ""
    if len(best[0]) >= 5 and best[1] >= 45:  # only a read name can be a department's
        bottom, _ = _ocr_line(bottom_line(mask, cx, cy, radius, gap))
    return SealReading(arc=best[0], bottom=bottom if len(bottom) >= 2 else "", confidence=round(best[1], 1))
