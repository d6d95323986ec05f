"""What every OCR engine gives back, so that the pipeline and the benchmark can swap them.

An engine reads one prepared page image (upright, deskewed, seal ink suppressed) and returns
words with pixel boxes and a 0-100 confidence. CJK engines often return whole lines: they
split them into characters or runs themselves, so that downstream code sees one shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class OcrWord:
    """One recognised word or CJK run; box in pixels of the image that was read."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float  # 0-100

    def moved(self, dx: float, dy: float) -> OcrWord:
        """The same word in the pixels of a larger image, where the one read was a crop of it
        at (``dx``, ``dy``)."""
        return OcrWord(
            self.text, self.x0 + dx, self.top + dy, self.x1 + dx, self.bottom + dy, self.confidence
        )


class OcrEngine(Protocol):
    """An OCR engine: ``name`` goes into cache keys and benchmark tables."""

    @property
    def name(self) -> str: ...

    def read(self, image: np.ndarray) -> list[OcrWord]:
        """Words of a grayscale (H, W) uint8 image. Raises ``extractors.errors.OcrError``
        when the engine itself fails (missing binary or language, crash, time-out)."""
        ...


class LineRereader(Protocol):
    """An engine that can read a single line again more carefully (optional)."""

    def read_line(self, image: np.ndarray) -> list[OcrWord]: ...
