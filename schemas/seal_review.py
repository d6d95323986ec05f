"""What the seal and signature detectors saw on one document, as the seal rules read it.

A ``SealReview`` is gathered at extraction (``extractors.vision.document_look``) and carried
on the plan's facts and on the Attachment 1 data, beside the coarse ``seal``/``signature``
fields of the export; the rules in ``checks.seal_rules`` decide from it. It holds no pixels:
crops are PNGs in the archive, named here by their archive path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.facts import Box

Part = Literal["plan", "agreement", "annex1", "other"]
Party = Literal["school", "org", "leader"]
SignatureVerdict = Literal["handwriting", "typed_name", "seal_only", "empty"]
# Whose seal its text says it is (extractors.vision.seal_match.match_institution).
MatchKind = Literal["matched", "other_institution", "department", "organisation", "unreadable"]

# A seal or a signature verdict found with less is a doubt, never the ground for an error (the
# seal rules), and no seal in the export's short fields (the extraction).
SURE_SEAL = 0.6
SURE_SIGNATURE = 0.6


@dataclass(frozen=True)
class Evidence:
    """What a reviewer looks at: the page, the region in PDF points, the crop's archive path
    (a PNG the pipeline writes; None until it has)."""

    page: int
    box: Box | None = None
    crop: str | None = None

    def text(self) -> str:
        if self.crop:
            return self.crop
        if self.box is None:
            return f"第{self.page}页"
        b = self.box
        return f"第{self.page}页（{b.x0:.0f},{b.top:.0f}）-（{b.x1:.0f},{b.bottom:.0f}）"


@dataclass(frozen=True)
class SealSeen:
    """One seal as the rules see it. ``party`` is the signature block it sits by on an
    agreement page (None elsewhere or when it sits by neither)."""

    page: int
    box: Box
    confidence: float
    match: MatchKind
    quoted: str = ""
    party: Party | None = None
    crop: str | None = None
    institution: str | None = None  # the known institution its text was matched to

    @property
    def evidence(self) -> Evidence:
        return Evidence(self.page, self.box, self.crop)


@dataclass(frozen=True)
class SignatureSeen:
    """The verdict at one signature place."""

    page: int
    party: Party
    verdict: SignatureVerdict
    confidence: float
    box: Box | None = None
    typed: str | None = None
    crop: str | None = None

    @property
    def evidence(self) -> Evidence:
        return Evidence(self.page, self.box, self.crop)


@dataclass(frozen=True)
class PageSeen:
    """A page that was looked at: which part of the document it is, whether it is a 1-bit
    scan (red seals may vanish in one), whether its words were read (no words, no labels),
    and the crop of the whole page or of its 落款 for evidence when nothing is found."""

    number: int
    part: Part
    bilevel: bool = False
    words_read: bool = True
    crop: str | None = None


@dataclass(frozen=True)
class SealReview:
    """Everything seen on one document. ``signed_copy`` is False for an Attachment 1 sent as
    a spreadsheet with no signed, stamped scan beside it."""

    pages: tuple[PageSeen, ...] = ()
    seals: tuple[SealSeen, ...] = ()
    signatures: tuple[SignatureSeen, ...] = ()
    signed_copy: bool = True
