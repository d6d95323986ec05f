"""One page image -> OCR facts in PDF points: words with boxes and confidence, table grid.

The page is prepared (``prepare``), skipped when blank, read by the engine, and turned a
quarter at a time when the reading says it lies sideways or upside down. Results are cached
on disk by the hash of the rendered pixels and the engine's settings, so that a rerun or a
resubmitted file re-reads no page it has seen.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import statistics
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from extractors.errors import OcrError
from extractors.layout import GridRow
from extractors.vision.engine import OcrEngine, OcrWord
from extractors.vision.grid import grid_rows
from extractors.vision.images import PageImage
from extractors.vision.prepare import Prepared, is_blank, prepare, quarter_turn
from extractors.vision.tesseract import TesseractEngine
from schemas.facts import Box, Word

# Bump when preparation or reading changes, so cached pages are read again.
_PIPELINE_VERSION = "12"
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Below this mean confidence, or with this little Chinese on an inked page, the page may lie
# sideways or upside down: ask the engine's orientation detector.
_DOUBTFUL_CONFIDENCE = 60.0
_MIN_CJK_SHARE = 0.3
# Fewer words than this on a page RapidOCR read is as likely an upside-down page whose lines
# it rejected as a nearly empty one: the orientation detector is asked.
_FEW_WORDS = 30


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


def _cjk_share(words: list[OcrWord]) -> float:
    text = "".join(word.text for word in words)
    return len(_CJK.findall(text)) / max(len(text), 1)


def _mean_confidence(words: list[OcrWord]) -> float:
    if not words:
        return 0.0
    weights = [max(len(word.text), 1) for word in words]
    return float(sum(word.confidence * w for word, w in zip(words, weights, strict=True)) / sum(weights))


def _doubtful(words: list[OcrWord]) -> bool:
    return (
        len(words) < 5 or _mean_confidence(words) < _DOUBTFUL_CONFIDENCE or _cjk_share(words) < _MIN_CJK_SHARE
    )


_LATIN = re.compile(r"[A-Za-z£€¥]")
_TRUSTED = 85.0


def _pixel_lines(words: list[OcrWord]) -> list[list[OcrWord]]:
    """Words grouped into visual lines by vertical overlap, top to bottom."""
    lines: list[list[OcrWord]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        height = max(word.bottom - word.top, 1.0)
        for line in reversed(lines[-3:]):
            top = min(w.top for w in line)
            bottom = max(w.bottom for w in line)
            if min(bottom, word.bottom) - max(top, word.top) >= 0.5 * min(height, bottom - top):
                line.append(word)
                break
        else:
            lines.append([word])
    return lines


def _stacked(words: list[OcrWord]) -> bool:
    """Most of the engine's lines run down the page: the words it cut one line into follow
    each other downwards in one column, not rightwards along one baseline."""
    down = along = 0
    for first, second in itertools.pairwise(words):
        if abs(first.x0 - second.x0) < 1 and abs(first.x1 - second.x1) < 1 and second.top > first.top:
            down += 1
        elif (
            abs(first.top - second.top) < 1 and abs(first.bottom - second.bottom) < 1 and second.x0 > first.x0
        ):
            along += 1
    return down > along


def _line_doubtful(line: list[OcrWord]) -> bool:
    """A line the page pass may have read in the wrong script: Latin letters among Chinese,
    or words it was unsure of."""
    latin = any(_LATIN.search(word.text) for word in line)
    unsure = any(word.confidence < _TRUSTED for word in line)
    return latin or _headless(line) or (unsure and _mean_confidence(line) < _TRUSTED)


def _headless(line: list[OcrWord]) -> bool:
    """The line opens with a mark of its own (、 ) ，): the number or word before it was lost."""
    return bool(line) and min(line, key=lambda w: w.x0).text[:1] in "、，,。.)）:："


_LIKE_ONE = re.compile(r"(?<=\d)[iIl|](?=[\d\-:：.年月日时点])|(?<=[\d\-:：.])[iIl|](?=\d)")
_LIKE_ZERO = re.compile(r"(?<=\d)[oO](?=[\d\-:：.年月日时点])|(?<=[\d\-:：.])[oO](?=\d)")
# 一 between two numbers is a dash OCR read as the character one (08:00一12:00, 2019年一2021年).
_DASH_AS_ONE = re.compile(r"(?<=[\d:：年月日])一(?=\d)")


# chi_sim reads the full-width brackets of 甲方（试点院校） as angle brackets more often than not;
# plans print no angle brackets.
_BRACKETS = str.maketrans({"〈": "（", "〉": "）"})


def _digit_fixes(text: str) -> str:
    return _DASH_AS_ONE.sub("—", _LIKE_ZERO.sub("0", _LIKE_ONE.sub("1", text))).translate(_BRACKETS)


def _fixed_confusions(words: list[OcrWord]) -> list[OcrWord]:
    """Letters OCR reads for digits inside numbers (2022-1i-06), and 一 for a dash between
    numbers, set right; a word that is only 一 between two numbers is a dash too. A speck
    read as a full stop or comma before a line's first Chinese character (.英语…) is left
    out: no line of Chinese prose opens with one."""
    fixed: list[OcrWord] = []
    for line in _pixel_lines(words):
        ordered = sorted(line, key=lambda w: w.x0)
        if len(ordered) > 1 and ordered[0].text in (".", ",", "·") and _CJK.match(ordered[1].text):
            ordered = ordered[1:]
        for index, word in enumerate(ordered):
            text = _digit_fixes(word.text)
            if text == "一" and 0 < index < len(ordered) - 1:
                before, after = ordered[index - 1].text, ordered[index + 1].text
                if before[-1:].isdigit() and after[:1].isdigit():
                    text = "—"
            fixed.append(
                word
                if text == word.text
                else OcrWord(text, word.x0, word.top, word.x1, word.bottom, word.confidence)
            )
    return fixed


def _without_tall_words(words: list[OcrWord]) -> list[OcrWord]:
    """Words taller than a few lines are misreadings of a column (the numbers 1. 2. 3. of a
    list read as one word): kept, they would glue the lines they span into one."""
    if len(words) < 5:
        return words
    median = statistics.median(w.bottom - w.top for w in words)
    return [w for w in words if w.bottom - w.top <= 2.5 * median]


def _latin_letters(words: list[OcrWord]) -> int:
    return sum(len(_LATIN.findall(w.text)) for w in words)


def _surer_or_cleaner(old: list[OcrWord], again: list[OcrWord]) -> bool:
    """A second reading beats the first when the engine is surer of it, or when it has fewer
    stray letters and is not far less sure: the page pass is sure of itself when it reads a
    line of dates in the Latin model (人数 -> AR)."""
    if _mean_confidence(again) > _mean_confidence(old) + 2:
        return True
    return (
        _latin_letters(again) < _latin_letters(old) and _mean_confidence(again) >= _mean_confidence(old) - 20
    )


def _reread_lines(image: np.ndarray, words: list[OcrWord], engine: OcrEngine) -> list[OcrWord]:
    """Doubtful lines read again one at a time; the new reading replaces the old where the
    engine is surer of it."""
    reread = getattr(engine, "read_line", None)
    if reread is None:
        return _without_tall_words(words)
    height, width = image.shape[:2]
    result: list[OcrWord] = []
    for line in _pixel_lines(_without_tall_words(words)):
        if not _line_doubtful(line):
            result.extend(line)
            continue
        pad = 0.4 * statistics.median(w.bottom - w.top for w in line)
        # What a headless line lost lies to its left: look a few characters further out.
        reach = 3 * statistics.median(w.bottom - w.top for w in line) if _headless(line) else pad
        x0 = int(max(min(w.x0 for w in line) - reach, 0))
        top = int(max(min(w.top for w in line) - pad, 0))
        x1 = int(min(max(w.x1 for w in line) + pad, width))
        bottom = int(min(max(w.bottom for w in line) + pad, height))
        again = [
            OcrWord(w.text, w.x0 + x0, w.top + top, w.x1 + x0, w.bottom + top, w.confidence)
            for w in reread(image[top:bottom, x0:x1])
        ]
        better = bool(again) and (
            (_headless(line) and not _headless(again))
            or _surer_or_cleaner(line, again)
            or (
                len(_CJK.findall("".join(w.text for w in again)))
                > len(_CJK.findall("".join(w.text for w in line)))
                and _mean_confidence(again) >= _mean_confidence(line) - 3
            )
        )
        result.extend(again if better else line)
    return result


def _inside(word: OcrWord, box: Box) -> bool:
    x, y = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
    return box.x0 <= x <= box.x1 and box.top <= y <= box.bottom


def _has_ink(image: np.ndarray, box: Box) -> bool:
    crop = image[int(box.top) + 3 : int(box.bottom) - 3, int(box.x0) + 3 : int(box.x1) - 3]
    return crop.size > 0 and float(np.count_nonzero(crop < 128)) / crop.size > 0.004


def _ink_after(image: np.ndarray, box: Box, words: list[OcrWord]) -> bool:
    """Print in the cell right after the last word read: a good part of the next few
    characters' width is inked."""
    if not words:
        return False
    size = statistics.median(w.bottom - w.top for w in words)
    top = int(min(w.top for w in words))
    bottom = int(max(w.bottom for w in words))
    start = int(max(w.x1 for w in words) + 0.5 * size)
    end = int(min(box.x1 - 3, start + 6 * size))
    if end - start < 2 * size or bottom <= top:
        return False
    inked = (image[top:bottom, start:end] < 128).any(axis=0)
    return int(np.count_nonzero(inked)) >= size and float(inked.mean()) > 0.25


def _reads_more(old: list[OcrWord], again: list[OcrWord]) -> bool:
    """The second reading holds the first and more, as surely: its text runs on past where
    the first stopped."""
    before = "".join(w.text for w in sorted(old, key=lambda w: w.x0))
    after = "".join(w.text for w in sorted(again, key=lambda w: w.x0))
    return (
        len(after) > len(before)
        and _mean_confidence(again) >= _mean_confidence(old) - 5
        and SequenceMatcher(None, before, after[: len(before)]).ratio() >= 0.8
    )


def _reread_cells(
    image: np.ndarray, words: list[OcrWord], grid: list[GridRow], engine: OcrEngine
) -> list[OcrWord]:
    """Table cells whose reading is doubtful (stray Latin letters, unsure, or nothing read
    where there is ink) read again one cell at a time: the page pass mistakes bold or
    two-line headers (试点规模（人）) for English, and a cell alone is read as Chinese."""
    reread = getattr(engine, "read_block", None)
    if reread is None or not grid:
        return words
    cells = [box for row in grid for box in row if box is not None]
    taken: set[int] = set()
    replaced: list[OcrWord] = []
    for box in cells:
        inside = [i for i, word in enumerate(words) if i not in taken and _inside(word, box)]
        taken.update(inside)
        old = [words[i] for i in inside]
        # A word running over the cell's border was read across an erased rule (450|399).
        across = any(w.x1 > box.x1 + 4 or w.x0 < box.x0 - 4 for w in old)
        if isinstance(engine, TesseractEngine):
            doubtful = (
                across
                or any(_LATIN.search(w.text) for w in old)
                or (old and _mean_confidence(old) < _TRUSTED)
                or (not old and _has_ink(image, box))
            )
        else:
            # RapidOCR reads what it finds well; what it misses is text its detector cut
            # short where a stamp's ring crosses the line (日期：2022年 | 4月23日).
            doubtful = across or _ink_after(image, box, old)
        if not doubtful:
            replaced.extend(old)
            continue
        x0, top = int(box.x0) + 2, int(box.top) + 2
        crop = image[top : int(box.bottom) - 2, x0 : int(box.x1) - 2]
        again = [
            OcrWord(w.text, w.x0 + x0, w.top + top, w.x1 + x0, w.bottom + top, w.confidence)
            for w in (reread(crop) if crop.size else [])
        ]
        if isinstance(engine, TesseractEngine):
            better = bool(again) and (not old or _surer_or_cleaner(old, again))
        else:
            better = _reads_more(old, again)
        replaced.extend(again if better else old)
    replaced.extend(word for i, word in enumerate(words) if i not in taken)
    return replaced


def _reads_better(new: list[OcrWord], old: list[OcrWord]) -> bool:
    """A turned page's reading is the upright one: lines that run across the page where the
    old ones ran down it, or, both running across, a surer reading."""
    if _stacked(new):
        return False
    if _stacked(old):
        return not _doubtful(new)
    return _mean_confidence(new) > _mean_confidence(old)


def _upright_reading(
    rgb: np.ndarray, prepared: Prepared, words: list[OcrWord], engine: OcrEngine
) -> tuple[Prepared, list[OcrWord], int]:
    """The page turned as it reads best, and by how much. Tesseract's orientation detector
    serves every engine but costs a fifth of a page's time, so it is asked only when the
    reading is in doubt: garbage or next to nothing read (an upside-down page), or, for
    RapidOCR, lines that run down the page (it reads a sideways page fluently, turning each
    line). Where the detector is unsure of a sideways page, both quarter turns are tried."""
    rapid = not isinstance(engine, TesseractEngine)
    stacked = rapid and _stacked(words)
    if not (_doubtful(words) or stacked or (rapid and len(words) < _FEW_WORDS)):
        return prepared, words, 0
    orienter = engine if isinstance(engine, TesseractEngine) else TesseractEngine()
    rotate_by, confidence = orienter.orientation(prepared.gray)
    turns = [rotate_by] if rotate_by and confidence >= 1.0 else []
    if stacked:
        turns += [turn for turn in (90, 270) if turn not in turns]
    best = (prepared, words, 0)
    for turn in turns:
        turned_prepared = prepare(quarter_turn(rgb, turn), flatten_photo=False)
        turned_words = _reread_lines(
            turned_prepared.lines_removed, engine.read(turned_prepared.lines_removed), engine
        )
        if _reads_better(turned_words, best[1]):
            best = (turned_prepared, turned_words, turn)
            if not _doubtful(turned_words):
                break
    return best


def read_page_image(image: PageImage, engine: OcrEngine, page_width: float, page_height: float) -> OcrPage:
    """OCR one page; ``page_width``/``page_height`` are the page's size in points as it lies
    in the file (for a picture, its size at its dpi)."""
    rgb = image.pixels
    prepared = prepare(rgb)
    if is_blank(prepared.gray):
        return OcrPage(image.number, page_width, page_height, blank=True, engine=engine.name)
    words = _reread_lines(prepared.lines_removed, engine.read(prepared.lines_removed), engine)
    prepared, words, turned = _upright_reading(rgb, prepared, words, engine)
    width, height = (page_height, page_width) if turned in (90, 270) else (page_width, page_height)
    pixel_grid = grid_rows(prepared.rule_mask, 1.0, min_cell=8.0 * prepared.gray.shape[1] / width)
    words = _fixed_confusions(_reread_cells(prepared.lines_removed, words, pixel_grid, engine))
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
        mean_confidence=round(_mean_confidence(words), 1) if words else None,
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
