"""Seals and signatures of one document: every page that matters looked at once.

The seal rules decide from a ``SealReview`` (schemas.seal_review); this module gathers it.
Each plan, agreement or Attachment 1 page is rendered at the seal detector's resolution
(turned upright as OCR turned it, so that the words' boxes fall on the ink), its seals and
signature places are found, and the seals' ring text is read only while it can still change
a verdict: once a part of the document has a seal that reads as the school's, the others on
that part are not read (each reading is a tesseract call of a few tenths of a second). The
regions looked at become PNG crops, named by their content, for the reviewer to see.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from extractors.vision.images import PageImage
from extractors.vision.prepare import flatten, page_outline, rotate
from extractors.vision.seal_ink import page_colour
from extractors.vision.seal_match import SealMatch, SealReading, match_institution
from extractors.vision.seal_text import crop_png, read_seal
from extractors.vision.seals import WORK_DPI, SealCandidate, find_seals
from extractors.vision.signatures import SignatureCandidate, find_signatures
from schemas.facts import Box, PageFacts, SealFact, SignatureFact
from schemas.seal_review import PageSeen, Part, Party, SealReview, SealSeen, SignatureSeen

SEAL_DPI = WORK_DPI
# An OCR'd page whose size differs more than this from the render was cropped or flattened
# (a phone photo): its words do not fall on the render's pixels, so signatures are not judged.
_SIZE_TOLERANCE = 0.03
_PAGE_CROP_DPI = 50.0  # the whole-page evidence when no seal was found: small, still legible
_READABLE_CROP_DPI = 100.0  # a page whose words a person must read where OCR could not
UNSURE_ON_SCAN = 0.45  # under SURE_SIGNATURE: a doubt, never an error


@dataclass(frozen=True)
class SealNames:
    """Whose seal a seal may be: the school's own names, the round's other schools, and the
    training organisation of the agreement."""

    school: list[str]
    others: list[str]
    organisation: str | None = None


@dataclass(frozen=True)
class PageLook:
    """What the detectors returned for one page, for ``review_of``: the seals with their
    institution matches (same order) and the signature verdicts."""

    number: int
    part: Part
    bilevel: bool
    words_read: bool
    seals: tuple[SealCandidate, ...] = ()
    matches: tuple[SealMatch, ...] = ()
    signatures: tuple[SignatureCandidate, ...] = ()


CropWriter = Callable[[int, Box], str | None]  # (page, region in PDF points) -> archive path


def _seal_party(seal: SealCandidate, places: tuple[SignatureCandidate, ...]) -> Party | None:
    """The signature block a seal sits by: the party of the nearest signature label within
    about 60 mm of its centre. When that label's side is not known (OCR lost the 甲方/乙方
    before it) the seal sits by neither, and it is put on the organisation's side only when
    both sides' labels were read and the organisation's is the nearer."""
    cx, cy = (seal.box.x0 + seal.box.x1) / 2, (seal.box.top + seal.box.bottom) / 2
    best: tuple[float, Party] | None = None
    for verdict in places:
        label = verdict.place.label_box
        lx, ly = (label.x0 + label.x1) / 2, (label.top + label.bottom) / 2
        distance = ((cx - lx) ** 2 + (cy - ly) ** 2) ** 0.5
        if distance < 170 and (best is None or distance < best[0]):
            best = (distance, verdict.place.party)
    if best is None or best[1] == "leader":
        return None
    sides = {verdict.place.party for verdict in places}
    if best[1] == "org" and "school" not in sides:
        return None  # only one side's label read: the seal may be the other side's
    return best[1]


def review_of(
    looks: list[PageLook], crop: CropWriter | None = None, *, signed_copy: bool = True
) -> SealReview:
    """The ``SealReview`` of a document from its pages' detector results; ``crop`` writes a
    PNG of a region and returns its archive path."""
    write = crop or (lambda page, box: None)
    pages, seals, signatures = [], [], []
    for look in looks:
        pages.append(PageSeen(look.number, look.part, look.bilevel, look.words_read))
        for seal, match in zip(look.seals, look.matches, strict=True):
            seals.append(
                SealSeen(
                    look.number,
                    seal.box,
                    seal.confidence,
                    match.kind,
                    match.quoted,
                    _seal_party(seal, look.signatures) if look.part == "agreement" else None,
                    write(look.number, seal.box),
                    match.name,
                )
            )
        for verdict in look.signatures:
            region = verdict.box or verdict.place.region
            signatures.append(
                SignatureSeen(
                    look.number,
                    verdict.place.party,
                    verdict.verdict,
                    verdict.confidence,
                    region,
                    verdict.typed,
                    write(look.number, region),
                )
            )
    return SealReview(tuple(pages), tuple(seals), tuple(signatures), signed_copy)


@dataclass
class DocumentLook:
    """The review, the PNG crops it names (archive path -> bytes) and the page facts' seals
    and signatures, by page."""

    review: SealReview
    crops: dict[str, bytes] = field(default_factory=dict)
    seals: dict[int, list[SealFact]] = field(default_factory=dict)
    signatures: dict[int, list[SignatureFact]] = field(default_factory=dict)
    page_crops: dict[int, str] = field(default_factory=dict)  # page -> crop of the whole page


def crop_name(png: bytes) -> str:
    digest = hashlib.sha256(png).hexdigest()
    return f"crops/{digest[:2]}/{digest}.png"


def upright(image: PageImage, facts: PageFacts | None) -> PageImage:
    """The render made into the page OCR read: a photo's outline flattened, turned as OCR
    turned it (a clockwise quarter turn per 90°) and straightened by the same angle."""
    return upright_sheet(image, facts)[0]


def upright_sheet(image: PageImage, facts: PageFacts | None) -> tuple[PageImage, bool]:
    """``upright``, and whether the image is now the sheet alone (a photo cut to its
    outline)."""
    pixels, dpi = image.pixels, image.dpi
    turns = (facts.turned_degrees // 90) % 4 if facts is not None else 0
    sheet = False
    if facts is not None and facts.flattened:
        corners = page_outline(pixels)
        sheet = corners is not None
        if corners is not None:
            pixels = flatten(pixels, corners)
            # OCR stretched the flattened sheet to the picture's width: so is this image.
            width = pixels.shape[0] if turns % 2 else pixels.shape[1]
            dpi = width * 72.0 / facts.width
    if turns:
        pixels = np.rot90(pixels, k=-turns)
    if facts is not None and facts.skew_degrees:
        pixels = rotate(np.ascontiguousarray(pixels), facts.skew_degrees)  # as OCR straightened it
    if pixels is image.pixels:
        return image, sheet
    return PageImage(image.number, np.ascontiguousarray(pixels), dpi, image.bilevel), sheet


def _words_fit(image: PageImage, facts: PageFacts | None) -> bool:
    """The page's words are known and lie in the render's coordinates."""
    if facts is None or facts.text_source not in ("text_layer", "ocr"):
        return False
    height, width = image.pixels.shape[:2]
    width_pt, height_pt = width * image.points_per_pixel, height * image.points_per_pixel
    # A flattened photo keeps its width only (OCR scaled the sheet to it, not its height).
    return abs(width_pt - facts.width) <= _SIZE_TOLERANCE * facts.width and (
        facts.flattened or abs(height_pt - facts.height) <= _SIZE_TOLERANCE * facts.height
    )


def sides_by_position(verdicts: list[SignatureCandidate]) -> list[SignatureCandidate]:
    """On an agreement page, a signature place whose side OCR could not read takes it from
    the place beside it on the same line: the agreement's 甲方 (the school) signs on the
    left, the 乙方 on the right."""
    placed = []
    for verdict in verdicts:
        place = verdict.place
        if place.party == "leader":
            beside = [
                other.place
                for other in verdicts
                if other is not verdict and abs(other.place.label_box.top - place.label_box.top) < 20
            ]
            if any(other.label_box.x0 > place.label_box.x1 + 60 for other in beside):
                verdict = replace(verdict, place=replace(place, party="school"))
            elif any(other.label_box.x1 < place.label_box.x0 - 60 for other in beside):
                verdict = replace(verdict, place=replace(place, party="org"))
        placed.append(verdict)
    return placed


def _scanned(verdict: SignatureCandidate) -> SignatureCandidate:
    """On a scan a signature under a seal's ink is lost with the ink's colour (stamped over,
    JPEG-smeared, faint pencil), and OCR reads a clear hand as if it were print: a seal alone
    or a "typed" name at the place is not sure there. A blank place is as blank on a scan."""
    if verdict.verdict in ("seal_only", "typed_name"):
        return replace(verdict, confidence=min(verdict.confidence, UNSURE_ON_SCAN))
    return verdict


_UNREAD = SealMatch("unreadable", "", None, 0.0)
SealReader = Callable[[PageImage, SealCandidate], SealReading]


def _reading_order(looks: list[PageLook], part: Part) -> list[tuple[int, int]]:
    """(look index, seal index) of a part's seals, those most likely the school's first: on
    an agreement the seals by the 乙方 block last, then the surest first."""
    order = []
    for li, look in enumerate(looks):
        if look.part != part:
            continue
        for si, seal in enumerate(look.seals):
            party = _seal_party(seal, look.signatures) if part == "agreement" else None
            order.append((party == "org", -seal.confidence, li, si))
    return [(li, si) for _, _, li, si in sorted(order)]


def _read_matches(
    looks: list[PageLook], images: dict[int, PageImage], names: SealNames, read: SealReader
) -> list[PageLook]:
    """Each part's seals read until one is the school's; the rest stay unread (their verdict
    cannot change the part's)."""
    matches = [[_UNREAD] * len(look.seals) for look in looks]
    for part in ("plan", "agreement", "annex1"):
        for li, si in _reading_order(looks, part):
            look = looks[li]
            reading = read(images[look.number], look.seals[si])
            match = match_institution(reading, names.school, names.others, names.organisation)
            matches[li][si] = match
            if match.kind == "matched":
                break
    return [
        PageLook(
            look.number, look.part, look.bilevel, look.words_read, look.seals, tuple(found), look.signatures
        )
        for look, found in zip(looks, matches, strict=True)
    ]


def _page_png(image: PageImage, dpi: float = 0.0) -> bytes:
    """The whole page: in colour at ``_PAGE_CROP_DPI`` (where a seal should have been), or in
    gray at ``dpi`` (words to read, a third of the bytes)."""
    factor = min(1.0, (dpi or _PAGE_CROP_DPI) / image.dpi)
    small = cv2.resize(image.pixels, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    shown = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY if dpi else cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", shown)
    return bytes(encoded.tobytes()) if ok else b""


def look_at_document(
    images: Iterable[PageImage],
    pages: dict[int, PageFacts],
    parts: dict[int, Part],
    names: SealNames,
    *,
    signed_copy: bool = True,
    read: SealReader = read_seal,
    still_time: Callable[[], bool] = lambda: True,
    page_crops: frozenset[int] = frozenset(),
) -> DocumentLook | None:
    """Look at the ``parts`` pages among ``images`` (rendered at ``SEAL_DPI``); None when the
    time ran out before every page was looked at (nothing half-seen is decided on).
    ``page_crops`` are pages a person must read (OCR's doubts): each gets a legible crop."""
    looks: list[PageLook] = []
    kept: dict[int, PageImage] = {}
    for raw in images:
        part = parts.get(raw.number)
        if part is None:
            continue
        if not still_time():
            return None
        facts = pages.get(raw.number)
        image, sheet = upright_sheet(raw, facts)
        found = find_seals(image, whole_sheet=sheet)
        fits = _words_fit(image, facts)
        verdicts = find_signatures(image, facts, found) if fits and facts is not None else []
        if part == "agreement":
            verdicts = sides_by_position(verdicts)
        if facts is not None and facts.text_source == "ocr":
            verdicts = [_scanned(verdict) for verdict in verdicts]
        bilevel = raw.bilevel if raw.bilevel is not None else page_colour(image.pixels) == "bw"
        looks.append(PageLook(raw.number, part, bilevel, fits, tuple(found), (), tuple(verdicts)))
        kept[raw.number] = image
    looks = _read_matches(looks, kept, names, read)
    crops: dict[str, bytes] = {}

    def keep(png: bytes) -> str | None:
        """The crop stored under its name; None for a picture that could not be encoded."""
        if not png:
            return None
        name = crop_name(png)
        crops[name] = png
        return name

    review = review_of(looks, lambda number, box: keep(crop_png(kept[number], box)), signed_copy=signed_copy)
    # The last page of each part is the evidence of where was looked when nothing was found.
    last = {page.part: page.number for page in review.pages}
    with_crops = [
        replace(page, crop=keep(_page_png(kept[page.number]))) if last[page.part] == page.number else page
        for page in review.pages
    ]
    review = SealReview(tuple(with_crops), review.seals, review.signatures, review.signed_copy)
    look = DocumentLook(review, crops)
    for number in sorted(page_crops & kept.keys()):
        if (name := keep(_page_png(kept[number], _READABLE_CROP_DPI))) is not None:
            look.page_crops[number] = name
    for page_look in looks:
        look.seals[page_look.number] = [
            seal.to_fact(match.quoted or None)
            for seal, match in zip(page_look.seals, page_look.matches, strict=True)
        ]
        look.signatures[page_look.number] = [
            fact for verdict in page_look.signatures if (fact := verdict.to_fact()) is not None
        ]
    return look
