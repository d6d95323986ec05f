"""Signatures: is there handwriting where the form asks for one?

A signature is looked for only in the signature places the page itself names (签名, 签字,
签章, 法定代表人或授权代表, 甲方代表, 负责人 …, found in the words of the text layer or of
OCR): to the right of the label, or under it when the label ends the line. What is ink there
and is not printed text (not under a word box that the text layer or a confident OCR gives),
not seal ink (red), not the ruled line to sign on, is handwriting, or a pasted signature
image. A typed name after the label, a seal alone and an empty line are told apart, because
the checks word their findings differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from extractors.vision.images import PageImage
from extractors.vision.seal_ink import flatten, mm_to_px, red_mask
from extractors.vision.seals import SealCandidate
from schemas.facts import Box, PageFacts, SignatureFact, Word
from schemas.seal_review import Party, SignatureVerdict

LABEL = re.compile(r"(签名|签字|签章|法定代表人|授权代表|甲方代表|乙方代表|负责人|主管领导)")
SIDE_A = re.compile(r"甲\s*方")
SIDE_B = re.compile(r"乙\s*方")
PRINTED_OCR_CONFIDENCE = 75.0  # OCR words at least this sure are print, not handwriting
INK_GRAY = 150  # darker than this and not red is ink (print, handwriting)
TRACE_SHARE = 0.25  # this share of a signature's ink under a seal leaves the verdict unsure
MIN_INK_MM2 = 6.0  # less ink than a few short strokes is dirt, a dot or a comma
WORK_DPI = 100.0

Verdict = SignatureVerdict


@dataclass(frozen=True)
class SignaturePlace:
    """A place on the page where a signature is asked for, in PDF points."""

    page: int
    label: str
    label_box: Box
    region: Box
    party: Party


@dataclass(frozen=True)
class SignatureCandidate:
    """What was found at one signature place. ``box`` (PDF points) bounds the ink when there
    is handwriting; ``confidence`` 0-1 is how sure the verdict is."""

    place: SignaturePlace
    verdict: Verdict
    confidence: float
    box: Box | None = None
    typed: str | None = None

    def to_fact(self) -> SignatureFact | None:
        if self.verdict != "handwriting" or self.box is None:
            return None
        return SignatureFact(box=self.box, label=self.place.label, confidence=round(self.confidence, 3))


def _side_of(word: Word, words: list[Word]) -> Party | None:
    """甲方 or 乙方 for a label: its own text, else the nearest 甲方/乙方 heading above it in
    the same column (the agreement's two signature blocks stand side by side)."""
    if SIDE_A.search(word.text):
        return "school"
    if SIDE_B.search(word.text):
        return "org"
    best: tuple[float, Party] | None = None
    for other in words:
        side: Party | None = (
            "school" if SIDE_A.search(other.text) else "org" if SIDE_B.search(other.text) else None
        )
        if side is None or len(other.text) > 16:
            continue
        above = word.box.top - other.box.top
        # A heading in the other column (its own heading misread) says nothing of this one.
        if not 0 <= above < 320 or abs(other.box.x0 - word.box.x0) > 150:
            continue
        # The block's heading is above the label and in its column: sideways distance weighs more.
        distance = abs(other.box.x0 - word.box.x0) + 0.5 * above
        if best is None or distance < best[0]:
            best = (distance, side)
    return best[1] if best else None


_LABEL_TAIL = "（）()：:　 "  # what closes a label: its bracket and colon
# A sentence, not a name: its punctuation, or more characters than a name and a title have.
_SENTENCE = re.compile(r"[，。；、,;]|^.{16,}$")


def _joined(words: list[Word]) -> Word:
    box = Box.around(w.box for w in words)
    confidences = [w.confidence for w in words if w.confidence is not None]
    return Word(
        text="".join(w.text for w in words),
        box=box,
        source=words[0].source,
        confidence=min(confidences) if confidences else None,
    )


def _phrases(words: list[Word]) -> list[list[Word]]:
    """OCR words on one line with no gap between them (an engine that gives one box per CJK
    character, RapidOCR, splits 签字 in two), left to right."""
    phrases: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (round(w.box.top / 4), w.box.x0)):
        if phrases:
            last = phrases[-1][-1]
            height = max(4.0, last.box.bottom - last.box.top)
            same_line = abs(word.box.top - last.box.top) < 0.5 * height
            if same_line and -0.2 * height <= word.box.x0 - last.box.x1 <= 0.35 * height:
                phrases[-1].append(word)
                continue
        phrases.append([word])
    return phrases


def label_words(words: list[Word]) -> list[Word]:
    """The page's words as its labels are written: the text layer's and tesseract's as they
    are, OCR characters joined into phrases, and a phrase that holds a label cut after it
    (its bracket and colon included), so that what follows stays what was written there."""
    if not any(w.source == "ocr" and len(w.text) == 1 for w in words):
        return words
    result: list[Word] = []
    for phrase in _phrases(words):
        text = "".join(w.text for w in phrase)
        match = LABEL.search(text) if len(phrase) > 1 else None
        if match is None:
            result.append(_joined(phrase) if len(phrase) > 1 else phrase[0])
            continue
        end, offset = match.end(), 0
        while end < len(text) and text[end] in _LABEL_TAIL:
            end += 1
        cut = 0
        for index, word in enumerate(phrase):
            offset += len(word.text)
            if offset >= end:
                cut = index + 1
                break
        result.append(_joined(phrase[:cut]))
        result.extend(phrase[cut:])
    return result


def signature_places(facts: PageFacts) -> list[SignaturePlace]:
    """The signature places named on the page. A label in running text (a sentence that
    mentions 签字) is no place: labels are short."""
    places: list[SignaturePlace] = []
    words = label_words(facts.words)
    for word in words:
        text = word.text.strip()
        if not LABEL.search(text) or len(text) > 18:
            continue
        height = max(8.0, word.box.bottom - word.box.top)
        right_room = facts.width - 36 - word.box.x1
        if right_room >= 60:
            # Up to the next label on the line (the other party's block), at most 180 pt.
            limit = word.box.x1 + min(180.0, right_room)
            for other in words:
                same_line = abs(other.box.top - word.box.top) < height * 0.6
                if same_line and other.box.x0 > word.box.x1 + 20 and LABEL.search(other.text):
                    limit = min(limit, other.box.x0 - 6)
            region = Box(
                x0=word.box.x1,
                top=word.box.top - 1.2 * height,
                x1=limit,
                bottom=word.box.bottom + 1.0 * height,
            )
        else:
            region = Box(
                x0=word.box.x0 - 20,
                top=word.box.bottom,
                x1=facts.width - 20,
                bottom=word.box.bottom + 3.5 * height,
            )
        places.append(
            SignaturePlace(
                page=facts.number,
                label=text,
                label_box=word.box,
                region=region,
                party=_side_of(word, words) or "leader",
            )
        )
    return places


def _to_px(box: Box, scale: float, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    h, w = shape
    return (
        int(max(0, box.x0 * scale)),
        int(max(0, box.top * scale)),
        int(min(w, box.x1 * scale)),
        int(min(h, box.bottom * scale)),
    )


def _overlaps(a: Box, b: Box) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.top < b.bottom and b.top < a.bottom


def _is_print(word: Word) -> bool:
    return word.source == "text_layer" or (word.confidence or 0.0) >= PRINTED_OCR_CONFIDENCE


def find_signatures(
    image: PageImage, facts: PageFacts, seals: list[SealCandidate] | None = None
) -> list[SignatureCandidate]:
    """One verdict per signature place on the page."""
    places = signature_places(facts)
    if not places:
        return []
    factor = min(1.0, WORK_DPI / image.dpi)
    pixels = image.pixels
    work = (
        cv2.resize(pixels, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else pixels
    )
    dpi = image.dpi * factor
    flat = flatten(work, dpi)
    gray = cv2.cvtColor(flat, cv2.COLOR_RGB2GRAY)
    ink = ((gray < INK_GRAY) & (red_mask(flat) == 0)).astype(np.uint8)
    # The ruled line to sign on is no signature: long thin horizontal runs are taken out.
    run = max(5, int(mm_to_px(12, dpi)))
    lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, run), np.uint8))
    ink &= (cv2.dilate(lines, np.ones((3, 1), np.uint8)) == 0).astype(np.uint8)
    scale = dpi / 72.0  # pixels of the work image per PDF point
    pad = max(1, round(mm_to_px(0.4, dpi)))
    for word in facts.words:
        if _is_print(word):
            x0, y0, x1, y1 = _to_px(word.box, scale, ink.shape)
            ink[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad] = 0
    seal_boxes = [seal.box for seal in seals or []]
    min_ink = mm_to_px(1, dpi) ** 2 * MIN_INK_MM2
    results: list[SignatureCandidate] = []
    for place in places:
        x0, y0, x1, y1 = _to_px(place.region, scale, ink.shape)
        region = ink[y0:y1, x0:x1]
        found = _handwriting(region, min_ink, dpi)
        if found is not None:
            (bx0, by0, bx1, by1), confidence = found
            box = Box(
                x0=(x0 + bx0) / scale,
                top=(y0 + by0) / scale,
                x1=(x0 + bx1) / scale,
                bottom=(y0 + by1) / scale,
            )
            results.append(SignatureCandidate(place, "handwriting", confidence, box))
            continue
        typed = [
            w.text
            for w in facts.words
            if _is_print(w)
            and w is not None
            and _overlaps(w.box, place.region)
            and not LABEL.search(w.text)
            and w.box.x0 >= place.label_box.x1 - 2
        ]
        written = "".join(typed).strip("：:_ ")
        if typed and _SENTENCE.search(written):
            continue  # running text after the label: a sentence that mentions 签字, no place
        if typed and any(len(t.strip("：:_ ")) >= 2 for t in typed):
            results.append(SignatureCandidate(place, "typed_name", 0.8, typed="".join(typed)))
        elif any(_overlaps(box, place.region) for box in seal_boxes):
            # Some dark ink that is neither print nor the seal's, too little to call a
            # signature: a signature under the seal's ink may be what is left of it.
            trace = float(region.sum()) >= TRACE_SHARE * min_ink
            results.append(SignatureCandidate(place, "seal_only", 0.45 if trace else 0.7))
        else:
            results.append(SignatureCandidate(place, "empty", 0.85))
    return results


def _handwriting(
    region: np.ndarray, min_ink: float, dpi: float
) -> tuple[tuple[int, int, int, int], float] | None:
    """The box of the handwriting in ``region`` and how sure, or None. Specks (scanner dust,
    JPEG noise) are dropped; what is left must be ink enough and spread over a few mm."""
    if region.size == 0:
        return None
    count, _, stats, _ = cv2.connectedComponentsWithStats(region, connectivity=8)
    speck = mm_to_px(0.5, dpi) ** 2
    keep = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= speck]
    if not keep:
        return None
    area = float(sum(stats[i, cv2.CC_STAT_AREA] for i in keep))
    x0 = min(stats[i, cv2.CC_STAT_LEFT] for i in keep)
    y0 = min(stats[i, cv2.CC_STAT_TOP] for i in keep)
    x1 = max(stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH] for i in keep)
    y1 = max(stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] for i in keep)
    width, height = x1 - x0, y1 - y0
    if area < min_ink or max(width, height) < mm_to_px(4, dpi):
        return None
    confidence = min(1.0, 0.55 + 0.45 * min(1.0, area / (3 * min_ink)) * min(1.0, width / mm_to_px(12, dpi)))
    return (int(x0), int(y0), int(x1), int(y1)), round(confidence, 3)
