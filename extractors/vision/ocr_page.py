"""One page image -> OCR facts in PDF points: words with boxes and confidence, table grid.

The page is prepared (``prepare``), skipped when blank, read by the engine, and turned a
quarter at a time when the reading says it lies sideways or upside down. Results are cached
on disk by the hash of the rendered pixels and the engine's settings, so that a rerun or a
resubmitted file re-reads no page it has seen.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from extractors.errors import OcrError
from extractors.layout import GridRow
from extractors.vision.engine import OcrEngine
from extractors.vision.grid import grid_rows
from extractors.vision.images import PageImage
from extractors.vision.prepare import is_blank, prepare
from extractors.vision.rereading import reread_cells, reread_lines, upright_reading
from extractors.vision.tesseract import TesseractEngine
from extractors.vision.word_checks import fixed_confusions, mean_confidence
from schemas.facts import Box, Word

# Bump when preparation or reading changes, so cached pages are read again.
_PIPELINE_VERSION = "13"


class OcrOptions(BaseModel):
    """How scanned pages are read; part of the run's settings."""

    model_config = ConfigDict(frozen=True)

    # RapidOCR reads scans far better than tesseract on benchmarks.outside and benchmarks.ocr
    # (README, "Scans and photos"); tesseract stays selectable (PILOT_INTAKE_OCR_ENGINE).
    engine: Literal["tesseract", "rapid"] = "rapid"
    language: str = "chi_sim+eng"
    max_dpi: float = 200.0
    workers: int = 2
    cache_dir: Path | None = None
    # A word read with less confidence is not trusted for a rule (file.ocr_low_confidence).
    low_confidence: float = 50.0


def engine_for(options: OcrOptions) -> OcrEngine:
    if options.engine == "rapid":
        from extractors.vision.rapid import RapidOcrEngine  # optional extra: imported only when chosen

        return RapidOcrEngine()
    return TesseractEngine(language=options.language)


@dataclass
class OcrPage:
    """What OCR found on one page. Boxes are PDF points of the upright page."""

    number: int
    width: float
    height: float
    words: list[Word] = field(default_factory=list)
    grid: list[GridRow] = field(default_factory=list)
    blank: bool = False
    skew_degrees: float = 0.0
    turned_degrees: int = 0  # clockwise quarter turns applied to make the page upright
    flattened: bool = False
    mean_confidence: float | None = None
    engine: str = ""


def read_page_image(image: PageImage, engine: OcrEngine, page_width: float, page_height: float) -> OcrPage:
    """OCR one page; ``page_width``/``page_height`` are the page's size in points as it lies
    in the file (for a picture, its size at its dpi)."""
    rgb = image.pixels
    prepared = prepare(rgb)
    if is_blank(prepared.gray):
        return OcrPage(image.number, page_width, page_height, blank=True, engine=engine.name)
    words = reread_lines(prepared.lines_removed, engine.read(prepared.lines_removed), engine)
    prepared, words, turned = upright_reading(rgb, prepared, words, engine)
    width, height = (page_height, page_width) if turned in (90, 270) else (page_width, page_height)
    pixel_grid = grid_rows(prepared.rule_mask, 1.0, min_cell=8.0 * prepared.gray.shape[1] / width)
    words = fixed_confusions(reread_cells(prepared.lines_removed, words, pixel_grid, engine))
    scale = width / prepared.gray.shape[1]
    facts = [
        Word(
            text=word.text,
            box=Box(x0=word.x0 * scale, top=word.top * scale, x1=word.x1 * scale, bottom=word.bottom * scale),
            source="ocr",
            confidence=round(word.confidence, 1),
        )
        for word in words
    ]
    return OcrPage(
        number=image.number,
        width=width,
        height=height,
        words=facts,
        grid=[[_scaled(box, scale) if box else None for box in row] for row in pixel_grid],
        skew_degrees=prepared.skew_degrees,
        turned_degrees=turned,
        flattened=prepared.flattened,
        mean_confidence=round(mean_confidence(words), 1) if words else None,
        engine=engine.name,
    )


def _scaled(box: Box, scale: float) -> Box:
    return Box(x0=box.x0 * scale, top=box.top * scale, x1=box.x1 * scale, bottom=box.bottom * scale)


def _cache_key(image: PageImage, options: OcrOptions, page_width: float, page_height: float) -> str:
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(image.pixels).tobytes())
    digest.update(repr(image.pixels.shape).encode())
    digest.update(
        f"{options.engine}|{options.language}|{page_width:.1f}|{page_height:.1f}|{_PIPELINE_VERSION}".encode()
    )
    return digest.hexdigest()


def _to_json(page: OcrPage) -> str:
    return json.dumps(
        {
            "width": page.width,
            "height": page.height,
            "words": [word.model_dump() for word in page.words],
            "grid": [[box.model_dump() if box else None for box in row] for row in page.grid],
            "blank": page.blank,
            "skew_degrees": page.skew_degrees,
            "turned_degrees": page.turned_degrees,
            "flattened": page.flattened,
            "mean_confidence": page.mean_confidence,
            "engine": page.engine,
        },
        ensure_ascii=False,
    )


def _from_json(number: int, text: str) -> OcrPage:
    data = json.loads(text)
    return OcrPage(
        number=number,
        width=data["width"],
        height=data["height"],
        words=[Word.model_validate(word) for word in data["words"]],
        grid=[[Box.model_validate(box) if box else None for box in row] for row in data["grid"]],
        blank=data["blank"],
        skew_degrees=data["skew_degrees"],
        turned_degrees=data["turned_degrees"],
        flattened=data["flattened"],
        mean_confidence=data["mean_confidence"],
        engine=data["engine"],
    )


def cached_read(image: PageImage, options: OcrOptions, page_width: float, page_height: float) -> OcrPage:
    """``read_page_image`` through the on-disk cache of ``options.cache_dir`` (if any)."""
    path: Path | None = None
    if options.cache_dir is not None:
        key = _cache_key(image, options, page_width, page_height)
        path = options.cache_dir / "ocr" / key[:2] / f"{key}.json"
        try:
            return _from_json(image.number, path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError):
            pass  # not cached yet, or a damaged entry: read again
    page = read_page_image(image, engine_for(options), page_width, page_height)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp")
            temporary.write_text(_to_json(page), encoding="utf-8")
            temporary.replace(path)
        except OSError:
            pass  # a full disk costs a re-read next time, nothing else
    return page


__all__ = ["OcrError", "OcrOptions", "OcrPage", "cached_read", "engine_for", "read_page_image"]
