"""Facts gathered once per page, before any decision is taken.

Extractors fill these (text layer now; OCR words, seals and signatures by later extractors,
into the same lists), and every check reads them without touching the file again. Positions
are PDF points from the top-left corner of the page, as pdfplumber gives them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.common import StrictModel

PageKind = Literal["plan", "agreement", "other"]


class Box(StrictModel):
    x0: float
    top: float
    x1: float
    bottom: float


class Word(StrictModel):
    """One word or CJK run. ``source`` says where it came from; ``confidence`` is OCR's
    0-100 score and None for the text layer."""

    text: str
    box: Box
    source: Literal["text_layer", "ocr"] = "text_layer"
    confidence: float | None = None


class Cell(StrictModel):
    """A run of words on a line set apart from its neighbours by a wide gap: a table cell or
    a column of a form. Rows of a table are lines with several cells."""

    text: str
    box: Box


class Line(StrictModel):
    """Words on one visual line, left to right, joined with CJK-aware spacing; cells are
    separated by a tab in ``text`` and listed in ``cells`` with their boxes."""

    text: str
    box: Box
    source: Literal["text_layer", "ocr"] = "text_layer"
    cells: list[Cell] = Field(default_factory=list)


class SealFact(StrictModel):
    """A red seal found on a page (filled by the seal detector)."""

    box: Box
    text: str | None = None
    confidence: float | None = None


class SignatureFact(StrictModel):
    """Handwriting found in a signature block (filled by the signature detector)."""

    box: Box
    label: str | None = None
    confidence: float | None = None


class PageFacts(StrictModel):
    number: int
    width: float
    height: float
    rotation: int = 0
    has_text_layer: bool = False
    kind: PageKind = "other"
    words: list[Word] = Field(default_factory=list)
    lines: list[Line] = Field(default_factory=list)
    # Logical lines (extractors.layout): a paragraph wrapped over several visual lines is one
    # block, a table cell wrapped inside its column is joined into its row; page numbers dropped.
    blocks: list[Line] = Field(default_factory=list)
    seals: list[SealFact] = Field(default_factory=list)
    signatures: list[SignatureFact] = Field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)
