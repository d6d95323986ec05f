"""Second readings of a page: turned a quarter at a time when it lies sideways or upside down,
doubtful lines read again alone, table cells read again one at a time.

Each second reading replaces the first only where ``word_checks`` says it reads better.
"""

from __future__ import annotations

import statistics

import numpy as np

from extractors.layout import GridRow
from extractors.vision.engine import OcrEngine, OcrWord
from extractors.vision.prepare import Prepared, prepare, quarter_turn
from extractors.vision.tesseract import TesseractEngine
from extractors.vision.word_checks import (
    CJK,
    FEW_WORDS,
    LATIN,
    TRUSTED,
    doubtful,
    headless,
    line_doubtful,
    mean_confidence,
    pixel_lines,
    reads_better,
    reads_more,
    stacked,
    surer_or_cleaner,
    without_tall_words,
)
from schemas.facts import Box


def reread_lines(image: np.ndarray, words: list[OcrWord], engine: OcrEngine) -> list[OcrWord]:
    """Doubtful lines read again one at a time; the new reading replaces the old where the
    engine is surer of it."""
    reread = getattr(engine, "read_line", None)
    if reread is None:
        return without_tall_words(words)
    height, width = image.shape[:2]
    result: list[OcrWord] = []
    for line in pixel_lines(without_tall_words(words)):
        if not line_doubtful(line):
            result.extend(line)
            continue
        pad = 0.4 * statistics.median(w.bottom - w.top for w in line)
        # What a headless line lost lies to its left: look a few characters further out.
        reach = 3 * statistics.median(w.bottom - w.top for w in line) if headless(line) else pad
        x0 = int(max(min(w.x0 for w in line) - reach, 0))
        top = int(max(min(w.top for w in line) - pad, 0))
        x1 = int(min(max(w.x1 for w in line) + pad, width))
        bottom = int(min(max(w.bottom for w in line) + pad, height))
        again = [word.moved(x0, top) for word in reread(image[top:bottom, x0:x1])]
        better = bool(again) and (
            (headless(line) and not headless(again))
            or surer_or_cleaner(line, again)
            or (
                len(CJK.findall("".join(w.text for w in again)))
                > len(CJK.findall("".join(w.text for w in line)))
                and mean_confidence(again) >= mean_confidence(line) - 3
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


def reread_cells(
    image: np.ndarray, words: list[OcrWord], grid: list[GridRow], engine: OcrEngine
) -> list[OcrWord]:
    """Table cells whose reading is doubtful read again one cell at a time. Tesseract's page
    pass mistakes bold or two-line headers (试点规模（人）) for English, is unsure, or reads
    nothing where there is ink: a cell alone is read as Chinese, and the surer or cleaner
    reading kept. RapidOCR's detector cuts a line short where a stamp's ring crosses it: a cell
    whose print goes on after its last word is read again, and kept when it reads on."""
    reread = getattr(engine, "read_block", None)
    if reread is None or not grid:
        return words
    careful = isinstance(engine, TesseractEngine)
    cells = [box for row in grid for box in row if box is not None]
    taken: set[int] = set()
    replaced: list[OcrWord] = []
    for box in cells:
        inside = [i for i, word in enumerate(words) if i not in taken and _inside(word, box)]
        taken.update(inside)
        old = [words[i] for i in inside]
        # A word running over the cell's border was read across an erased rule (450|399).
        across = any(w.x1 > box.x1 + 4 or w.x0 < box.x0 - 4 for w in old)
        if careful:
            doubtful = (
                across
                or any(LATIN.search(w.text) for w in old)
                or (old and mean_confidence(old) < TRUSTED)
                or (not old and _has_ink(image, box))
            )
        else:
            doubtful = across or _ink_after(image, box, old)  # 日期：2022年 | 4月23日
        if not doubtful:
            replaced.extend(old)
            continue
        x0, top = int(box.x0) + 2, int(box.top) + 2
        crop = image[top : int(box.bottom) - 2, x0 : int(box.x1) - 2]
        again = [word.moved(x0, top) for word in (reread(crop) if crop.size else [])]
        if careful:
            better = bool(again) and (not old or surer_or_cleaner(old, again))
        else:
            better = reads_more(old, again)
        replaced.extend(again if better else old)
    replaced.extend(word for i, word in enumerate(words) if i not in taken)
    return replaced


def upright_reading(
    rgb: np.ndarray, prepared: Prepared, words: list[OcrWord], engine: OcrEngine
) -> tuple[Prepared, list[OcrWord], int]:
    """The page turned as it reads best, and by how much. Tesseract's orientation detector
    serves every engine but costs a fifth of a page's time, so it is asked only when the
    reading is in doubt: garbage or next to nothing read (an upside-down page), or, for
    RapidOCR, lines that run down the page (it reads a sideways page fluently, turning each
    line). Where the detector is unsure of a sideways page, both quarter turns are tried."""
    rapid = not isinstance(engine, TesseractEngine)
    sideways = rapid and stacked(words)
    if not (doubtful(words) or sideways or (rapid and len(words) < FEW_WORDS)):
        return prepared, words, 0
    orienter = engine if isinstance(engine, TesseractEngine) else TesseractEngine()
    rotate_by, confidence = orienter.orientation(prepared.gray)
    turns = [rotate_by] if rotate_by and confidence >= 1.0 else []
    if sideways:
        turns += [turn for turn in (90, 270) if turn not in turns]
    best = (prepared, words, 0)
    for turn in turns:
        turned_prepared = prepare(quarter_turn(rgb, turn), flatten_photo=False)
        turned_words = reread_lines(
            turned_prepared.lines_removed, engine.read(turned_prepared.lines_removed), engine
        )
        if reads_better(turned_words, best[1]):
            best = (turned_prepared, turned_words, turn)
            if not doubtful(turned_words):
                break
    return best
