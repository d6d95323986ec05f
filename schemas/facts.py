"""Facts gathered once per page, before any decision is taken.

Extractors fill these (text layer now; OCR words, seals and signatures by later extractors,
into the same lists), and every check reads them without touching the file again. Positions
are PDF points from the top-left corner of the page, as pdfplumber gives them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field, model_validator

from schemas.common import StrictModel

PageKind = Literal["plan", "agreement", "other"]
# Where a page's words came from: its text layer, OCR of its image, nothing (a blank page),
# or not read at all (a scan whose OCR failed or was not run).
TextSource = Literal["text_layer", "ocr", "blank", "unread"]


class Box(StrictModel):
    x0: float
    top: float
    x1: float
    bottom: float

    @classmethod
    def around(cls, boxes: Iterable[Box]) -> Box:
        """The smallest box that holds every one of ``boxes`` (at least one)."""
        listed = list(boxes)
        return cls(
            x0=min(b.x0 for b in listed),
            top=min(b.top for b in listed),
            x1=max(b.x1 for b in listed),
            bottom=max(b.bottom for b in listed),
        )


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
    text_source: TextSource = "unread"
    # OCR only: the mean confidence of the page's words (0-100), the skew straightened and
    # the clockwise quarter turn applied to make the page upright.
    ocr_confidence: float | None = None
    skew_degrees: float = 0.0
    turned_degrees: int = 0
    # A photo whose page outline OCR found and flattened: its words lie in the flattened page.
    flattened: bool = False
    kind: PageKind = "other"
    words: list[Word] = Field(default_factory=list)
    lines: list[Line] = Field(default_factory=list)
    # Logical lines (extractors.layout): a paragraph wrapped over several visual lines is one
    # block, a table cell wrapped inside its column is joined into its row; page numbers dropped.
    blocks: list[Line] = Field(default_factory=list)
    seals: list[SealFact] = Field(default_factory=list)
    signatures: list[SignatureFact] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _text_layer_is_a_source(cls, values: Any) -> Any:
        # Facts built before text_source existed (stored results, tests) say it by the flag.
        if isinstance(values, dict) and "text_source" not in values and values.get("has_text_layer"):
            return {**values, "text_source": "text_layer"}
        return values

    @property
    def readable(self) -> bool:
        """Its words are known (text layer or OCR), or it is known to hold none (blank)."""
        return self.text_source != "unread"

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)
