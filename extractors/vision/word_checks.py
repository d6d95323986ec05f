"""What an OCR reading says of itself: how sure, how much of it Chinese, which way its lines
run, and the characters OCR confuses in numbers. Pure functions over the engine's words, so
that the page reader (``ocr_page``) and its second readings (``rereading``) decide alike.
"""

from __future__ import annotations

import itertools
import re
import statistics
from difflib import SequenceMatcher

from extractors.vision.engine import OcrWord

CJK = re.compile(r"[\u4e00-\u9fff]")
# Below this mean confidence, or with this little Chinese on an inked page, the page may lie
# sideways or upside down: ask the engine's orientation detector.
_DOUBTFUL_CONFIDENCE = 60.0
_MIN_CJK_SHARE = 0.3
# Fewer words than this on a page RapidOCR read is as likely an upside-down page whose lines
# it rejected as a nearly empty one: the orientation detector is asked.
FEW_WORDS = 30


def _cjk_share(words: list[OcrWord]) -> float:
    text = "".join(word.text for word in words)
    return len(CJK.findall(text)) / max(len(text), 1)


def mean_confidence(words: list[OcrWord]) -> float:
    if not words:
        return 0.0
    weights = [max(len(word.text), 1) for word in words]
    return float(sum(word.confidence * w for word, w in zip(words, weights, strict=True)) / sum(weights))


def doubtful(words: list[OcrWord]) -> bool:
    return (
        len(words) < 5 or mean_confidence(words) < _DOUBTFUL_CONFIDENCE or _cjk_share(words) < _MIN_CJK_SHARE
    )


LATIN = re.compile(r"[A-Za-z£€¥]")
TRUSTED = 85.0


def pixel_lines(words: list[OcrWord]) -> list[list[OcrWord]]:
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


def stacked(words: list[OcrWord]) -> bool:
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


def line_doubtful(line: list[OcrWord]) -> bool:
    """A line the page pass may have read in the wrong script: Latin letters among Chinese,
    or words it was unsure of."""
    latin = any(LATIN.search(word.text) for word in line)
    unsure = any(word.confidence < TRUSTED for word in line)
    return latin or headless(line) or (unsure and mean_confidence(line) < TRUSTED)


def headless(line: list[OcrWord]) -> bool:
    """The line opens with a mark of its own (、 ) ，): the number or word before it was lost."""
    return bool(line) and min(line, key=lambda w: w.x0).text[:1] in "、，,。.)）:："


_LIKE_ONE = re.compile(r"(?<=\d)[iIl|](?=[\d\-:：.年月日时点])|(?<=[\d\-:：.])[iIl|](?=\d)")
_LIKE_ZERO = re.compile(r"(?<=\d)[oO](?=[\d\-:：.年月日时点])|(?<=[\d\-:：.])[oO](?=\d)")
# 一 between two numbers is a dash OCR read as the character one (08:00一12:00, 2019年一2021年).
_DASH_AS_ONE = re.compile(r"(?<=[\d:：年月日])一(?=\d)")


# chi_sim reads the full-width brackets of 甲方（试点院校） as angle brackets more often than not;
# plans print no angle brackets.
_BRACKETS = str.maketrans({"〈": "（", "〉": "）"})


def digit_fixes(text: str) -> str:
    return _DASH_AS_ONE.sub("—", _LIKE_ZERO.sub("0", _LIKE_ONE.sub("1", text))).translate(_BRACKETS)


def fixed_confusions(words: list[OcrWord]) -> list[OcrWord]:
    """Letters OCR reads for digits inside numbers (2022-1i-06), and 一 for a dash between
    numbers, set right; a word that is only 一 between two numbers is a dash too. A speck
    read as a full stop or comma before a line's first Chinese character (.英语…) is left
    out: no line of Chinese prose opens with one."""
    fixed: list[OcrWord] = []
    for line in pixel_lines(words):
        ordered = sorted(line, key=lambda w: w.x0)
        if len(ordered) > 1 and ordered[0].text in (".", ",", "·") and CJK.match(ordered[1].text):
            ordered = ordered[1:]
        for index, word in enumerate(ordered):
            text = digit_fixes(word.text)
            # Between two Chinese characters a dot is a comma read small: Chinese prose ends
            # its sentences with 。
            if (
                text in (".", "．")
                and 0 < index < len(ordered) - 1
                and CJK.fullmatch(ordered[index - 1].text[-1:])
                and CJK.fullmatch(ordered[index + 1].text[:1])
            ):
                text = "，"
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


def without_tall_words(words: list[OcrWord]) -> list[OcrWord]:
    """Words taller than a few lines are misreadings of a column (the numbers 1. 2. 3. of a
    list read as one word): kept, they would glue the lines they span into one."""
    if len(words) < 5:
        return words
    median = statistics.median(w.bottom - w.top for w in words)
    return [w for w in words if w.bottom - w.top <= 2.5 * median]


def _latin_letters(words: list[OcrWord]) -> int:
    return sum(len(LATIN.findall(w.text)) for w in words)


def surer_or_cleaner(old: list[OcrWord], again: list[OcrWord]) -> bool:
    """A second reading beats the first when the engine is surer of it, or when it has fewer
    stray letters and is not far less sure: the page pass is sure of itself when it reads a
    line of dates in the Latin model (人数 -> AR)."""
    if mean_confidence(again) > mean_confidence(old) + 2:
        return True
    return _latin_letters(again) < _latin_letters(old) and mean_confidence(again) >= mean_confidence(old) - 20


def reads_more(old: list[OcrWord], again: list[OcrWord]) -> bool:
    """The second reading holds the first and more, as surely: its text runs on past where
    the first stopped."""
    before = "".join(w.text for w in sorted(old, key=lambda w: w.x0))
    after = "".join(w.text for w in sorted(again, key=lambda w: w.x0))
    return (
        len(after) > len(before)
        and mean_confidence(again) >= mean_confidence(old) - 5
        and SequenceMatcher(None, before, after[: len(before)]).ratio() >= 0.8
    )


def reads_better(new: list[OcrWord], old: list[OcrWord]) -> bool:
    """A turned page's reading is the upright one: lines that run across the page where the
    old ones ran down it, or, both running across, a surer reading."""
    if stacked(new):
        return False
    if stacked(old):
        return not doubtful(new)
    return mean_confidence(new) > mean_confidence(old)
