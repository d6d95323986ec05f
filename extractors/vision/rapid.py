"""RapidOCR (PP-OCRv4 models, run on OpenVINO, or on ONNX Runtime): the default OCR engine.

Its models ship inside the ``rapidocr-onnxruntime`` wheel (a main dependency), so nothing is
fetched at run time. On the outside round it reads scanned plans far better than tesseract
(README, "Scans and photos"); tesseract stays selectable and serves page orientation. The
package is imported only when the engine first reads a page. Its two networks run on
OpenVINO where it is installed (a main dependency; ``openvino_session``), which reads the
same text at a fraction of the CPU; ``runtime="onnxruntime"`` keeps RapidOCR's own.

RapidOCR finds text lines and reads each as one string with one score. The pipeline wants
what tesseract gives, words with their own boxes, so each line is cut into CJK characters and
Latin/digit runs, and their boxes are placed along the line's quadrilateral in proportion to
how wide such characters print (a CJK character is square, an ASCII one about half as wide).
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np

from extractors.errors import OcrError
from extractors.vision.engine import OcrWord
from extractors.vision.openvino_session import run_on_openvino

_INSTALL = "make setup"

Point = tuple[float, float]
Runtime = Literal["openvino", "onnxruntime"]
_log = logging.getLogger(__name__)

# One loaded RapidOCR per setting and thread: loading the three models takes longer than
# reading a small page, and RapidOCR keeps per-call state on the instance, so threads that
# read pages in parallel (onnxruntime releases the GIL) must not share one.
_loaded = threading.local()


@dataclass(frozen=True)
class RapidOcrEngine:
    """RapidOCR with the wheel's Chinese models. ``threads`` is per page: pages run in
    parallel, so one thread each keeps the cores from being fought over (as with tesseract).
    ``max_side`` is the longest side, in pixels, that a page is shrunk to before detection: an
    A4 page at about 140 dpi, which read generated scans at 150-300 dpi better than RapidOCR's
    own 2000 and faster (benchmarks.ocr). ``min_score`` drops lines the recogniser itself
    rejects (RapidOCR's default), mostly signature strokes and seal fragments."""

    threads: int = 1
    max_side: int = 1600
    min_score: float = 0.5
    runtime: Runtime = "openvino"
    name: str = "rapid"

    def read(self, image: np.ndarray) -> list[OcrWord]:
        model = _model(self.threads, self.max_side, self.min_score, self.runtime)
        try:
            # Without its line classifier: it would read an upside-down page as well as an
            # upright one, leaving the page's orientation (and reading order) untold.
            result, _elapsed = model(image, use_cls=False)
        except Exception as error:  # onnxruntime, OpenCV and RapidOCR raise many types
            raise OcrError(f"RapidOCR识别失败（{type(error).__name__}：{str(error)[:200]}）") from None
        words: list[OcrWord] = []
        for line in result or ():
            quad, text, score = line[0], str(line[1]), float(line[2])
            words += split_line(text, [(float(x), float(y)) for x, y in quad], score * 100.0)
        return words

    def read_block(self, image: np.ndarray) -> list[OcrWord]:
        """A small block (a table cell) read alone: cut to its ink, on the white margin the
        detector needs around text (in a long, thin crop of a wide cell it finds nothing)."""
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        columns = np.flatnonzero((gray < 160).any(axis=0))
        if columns.size == 0:
            return []
        pad = max(8, image.shape[0] // 4)
        left = max(0, int(columns[0]) - pad)
        right = min(image.shape[1], int(columns[-1]) + pad + 1)
        padded = cv2.copyMakeBorder(
            np.ascontiguousarray(image[:, left:right]),
            pad,
            pad,
            pad,
            pad,
            cv2.BORDER_CONSTANT,
            value=(255, 255, 255),
        )
        return [word.moved(left - pad, -pad) for word in self.read(padded)]


def recognise_line(image: np.ndarray) -> tuple[str, Any]:
    """RapidOCR's recogniser alone (no text detection) on an image that is one line of text
    (BGR): the text and RapidOCR's details of it (steps, words, their positions, per-character
    probabilities). Raises ``OcrError`` when RapidOCR cannot be loaded; its own errors pass."""
    engine = RapidOcrEngine()
    model = _model(engine.threads, engine.max_side, engine.min_score, engine.runtime)
    [(text, _, info)] = model.text_rec([image], True)[0]
    return text, info


def _model(threads: int, max_side: int, min_score: float, runtime: Runtime) -> Any:
    models: dict[tuple[int, int, float, str], Any] = _loaded.__dict__.setdefault("models", {})
    key = (threads, max_side, min_score, runtime)
    if key not in models:
        models[key] = _load(threads, max_side, min_score, runtime)
    return models[key]


def _load(threads: int, max_side: int, min_score: float, runtime: Runtime) -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        raise OcrError(f"服务器上没有安装RapidOCR（可运行 {_INSTALL} 安装，或改用tesseract）") from None
    try:
        model = RapidOCR(
            intra_op_num_threads=threads,
            inter_op_num_threads=1,
            max_side_len=max_side,
            text_score=min_score,
        )
    except Exception as error:  # a damaged model file or an onnxruntime that will not load
        raise OcrError(f"RapidOCR无法加载模型（{type(error).__name__}：{str(error)[:200]}）") from None
    if runtime == "openvino":
        try:
            run_on_openvino(model, threads)
        except OcrError as error:
            # Only slower, never worse: ONNX Runtime reads the same text.
            _log.warning("RapidOCR继续使用ONNX Runtime：%s", error)
    return model


def _width(char: str) -> float:
    """How wide a character prints, in CJK character widths."""
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.5


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) character offsets: each wide (CJK) character alone, runs of narrow
    ones (Latin letters, digits, half-width punctuation) together, whitespace dropped."""
    found: list[tuple[str, int, int]] = []
    start: int | None = None
    for index, char in enumerate(text):
        if char.isspace() or _width(char) == 1.0:
            if start is not None:
                found.append((text[start:index], start, index))
                start = None
            if not char.isspace():
                found.append((char, index, index + 1))
        elif start is None:
            start = index
    if start is not None:
        found.append((text[start:], start, len(text)))
    return found


def split_line(text: str, quad: Sequence[Point], confidence: float) -> list[OcrWord]:
    """The words of one recognised line whose quadrilateral is ``quad`` (top-left, top-right,
    bottom-right, bottom-left, as RapidOCR gives it). A line much taller than wide is vertical
    text, which RapidOCR reads top to bottom."""
    if len(quad) != 4 or not text.strip():
        return []
    top_left, top_right, bottom_right, bottom_left = (np.asarray(point, dtype=float) for point in quad)
    height = max(np.linalg.norm(top_left - bottom_left), np.linalg.norm(top_right - bottom_right))
    width = max(np.linalg.norm(top_left - top_right), np.linalg.norm(bottom_left - bottom_right))
    if width > 0 and height / width >= 1.5:
        # Vertical: the left and right sides run along the text.
        side_a, side_b = (top_left, bottom_left), (top_right, bottom_right)
    else:
        side_a, side_b = (top_left, top_right), (bottom_left, bottom_right)
    offsets = np.concatenate([[0.0], np.cumsum([_width(char) for char in text])])
    total = float(offsets[-1])
    words: list[OcrWord] = []
    for token, start, end in tokens(text):
        begin, finish = float(offsets[start]) / total, float(offsets[end]) / total
        corners = np.array(
            [
                side_a[0] + (side_a[1] - side_a[0]) * begin,
                side_a[0] + (side_a[1] - side_a[0]) * finish,
                side_b[0] + (side_b[1] - side_b[0]) * begin,
                side_b[0] + (side_b[1] - side_b[0]) * finish,
            ]
        )
        words.append(
            OcrWord(
                text=token,
                x0=float(corners[:, 0].min()),
                top=float(corners[:, 1].min()),
                x1=float(corners[:, 0].max()),
                bottom=float(corners[:, 1].max()),
                confidence=confidence,
            )
        )
    return words
