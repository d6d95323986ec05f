"""Tesseract through pytesseract: the OCR engine the office can rely on (Debian packages).

A thin wrapper in the manner of OCRmyPDF's ``_exec/tesseract.py``: it runs the binary with the
options this project needs and turns every way it can fail (no binary, no chi_sim data, a
crash, a time-out) into ``OcrError`` with a remedy, so callers see one exception type.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pytesseract

from extractors.errors import OcrError
from extractors.vision.engine import OcrWord

# Each page runs in its own tesseract process and pages run in parallel: tesseract's own
# OpenMP threads would only fight over the same cores.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

# Plans are printed horizontally: a list with a wide gap after its numbers must not be taken
# for a column of vertical text (then 1. 证书名称 / 2. 等级 is read top to bottom). Paper is not
# printed white on black: trying each unsure line inverted only costs time.
_CJK_CONFIG = "-c preserve_interword_spaces=1 -c textord_tabfind_vertical_text=0 -c tessedit_do_invert=0"


@dataclass(frozen=True)
class TesseractEngine:
    """chi_sim (with eng for Latin runs) in automatic page segmentation."""

    language: str = "chi_sim+eng"
    page_segmentation: int = 3
    timeout_seconds: float = 120.0
    name: str = "tesseract"

    def read(self, image: np.ndarray) -> list[OcrWord]:
        config = f"--psm {self.page_segmentation} {_CJK_CONFIG}"
        try:
            data = pytesseract.image_to_data(
                image,
                lang=self.language,
                config=config,
                output_type=pytesseract.Output.DICT,
                timeout=self.timeout_seconds,
            )
        except pytesseract.TesseractNotFoundError:
            raise OcrError("服务器上没有安装tesseract") from None
        except pytesseract.TesseractError as error:
            raise OcrError(f"tesseract识别失败（{str(error.message).strip()[:200]}）") from None
        except RuntimeError as error:  # pytesseract's time-out
            raise OcrError(f"tesseract识别超时（{self.timeout_seconds:.0f}秒）：{error}") from None
        words: list[OcrWord] = []
        for index, text in enumerate(data["text"]):
            text = str(text).strip()
            confidence = float(data["conf"][index])
            if not text or confidence < 0:
                continue
            left, top = float(data["left"][index]), float(data["top"][index])
            words.append(
                OcrWord(
                    text=text,
                    x0=left,
                    top=top,
                    x1=left + float(data["width"][index]),
                    bottom=top + float(data["height"][index]),
                    confidence=confidence,
                )
            )
        return words

    def read_line(self, image: np.ndarray) -> list[OcrWord]:
        """One line of text (a crop), read as a single line in Chinese only: the page pass,
        which mixes in the Latin model, sometimes reads a line of dates and digits as
        English letters (2022年10月 -> 2022 £10 A)."""
        single = TesseractEngine(
            language=self.language.split("+")[0], page_segmentation=7, timeout_seconds=self.timeout_seconds
        )
        return single.read(image)

    def read_block(self, image: np.ndarray) -> list[OcrWord]:
        """A small block (a table cell, one or a few lines) read in Chinese only."""
        single = TesseractEngine(
            language=self.language.split("+")[0], page_segmentation=6, timeout_seconds=self.timeout_seconds
        )
        return single.read(image)

    def orientation(self, image: np.ndarray) -> tuple[int, float]:
        """(degrees to rotate clockwise to make the page upright, confidence) from tesseract's
        OSD; (0, 0.0) when OSD cannot tell (too little text)."""
        try:
            result = pytesseract.image_to_osd(
                image,
                config="--psm 0 -c min_characters_to_try=20",
                output_type=pytesseract.Output.DICT,
                timeout=self.timeout_seconds,
            )
        except pytesseract.TesseractNotFoundError:
            raise OcrError("服务器上没有安装tesseract") from None
        except (pytesseract.TesseractError, RuntimeError):
            return 0, 0.0
        return int(result.get("rotate", 0)) % 360, float(result.get("orientation_conf", 0.0))
