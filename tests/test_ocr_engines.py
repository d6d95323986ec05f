"""Both OCR engines read a rendered page of Chinese into words with boxes, in reading order.

The page is drawn with reportlab in a real CJK font and rendered with pypdfium2, so the text
is known exactly; the engines themselves are real (tesseract with chi_sim, RapidOCR's own
models). How well they do on real scans is benchmarks.ocr's business, not these tests'.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from benchmarks.ocr_pages import cer
from extractors.errors import OcrError
from extractors.vision.engine import OcrWord
from extractors.vision.rapid import RapidOcrEngine, split_line, tokens
from extractors.vision.rereading import reread_cells
from extractors.vision.tesseract import TesseractEngine
from schemas.facts import Box

LINES = (
    "学校名称：常德财经中等专业学校",
    "证书名称：传感网应用开发",
    "报考人数：106名，考核时间09:00-11:30",
    "不向学生收取任何培训、考核费用",
)
DPI = 200
FONT_SIZE = 14
LEFT, FIRST_BASELINE, LEADING = 72.0, 120.0, 36.0  # points, from the top of the page


@pytest.fixture(scope="module")
def chinese_lines_page() -> np.ndarray:
    """Four lines of Chinese with digits and a time span, as a 200 dpi grayscale image."""
    pdfmetrics.registerFont(
        TTFont("WQYZenHeiTest", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", subfontIndex=0)
    )
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("WQYZenHeiTest", FONT_SIZE)
    for index, line in enumerate(LINES):
        page.drawString(LEFT, A4[1] - FIRST_BASELINE - index * LEADING, line)
    page.save()
    document = pdfium.PdfDocument(buffer.getvalue())
    try:
        rgb = document[0].render(scale=DPI / 72.0).to_numpy()[:, :, :3]
    finally:
        document.close()
    return np.asarray(rgb.mean(axis=2), dtype=np.uint8)


def line_of(word: OcrWord) -> int:
    """Which of LINES a word's vertical centre falls on."""
    centre_points = (word.top + word.bottom) / 2 * 72.0 / DPI
    baselines = [FIRST_BASELINE + index * LEADING for index in range(len(LINES))]
    return int(np.argmin([abs(centre_points - (baseline - FONT_SIZE * 0.35)) for baseline in baselines]))


def assert_read_well(words: list[OcrWord], image: np.ndarray) -> None:
    height, width = image.shape
    joined = "".join(word.text for word in words)
    assert cer(joined, "".join(LINES)) < 0.08, joined
    for word in words:
        assert 0 <= word.x0 < word.x1 <= width and 0 <= word.top < word.bottom <= height, word
        assert 0 <= word.confidence <= 100, word
    order = [(line_of(word), word.x0) for word in words]
    assert order == sorted(order), "words are not in reading order"
    assert {line for line, _ in order} == set(range(len(LINES)))


def test_tesseract_reads_chinese_lines_in_order(chinese_lines_page: np.ndarray) -> None:
    assert_read_well(TesseractEngine().read(chinese_lines_page), chinese_lines_page)


def test_rapid_reads_chinese_lines_in_order(chinese_lines_page: np.ndarray) -> None:
    # RapidOCR is the default engine and a main dependency: it must be installed.
    from extractors.vision.rapid import RapidOcrEngine

    words = RapidOcrEngine().read(chinese_lines_page)
    assert_read_well(words, chinese_lines_page)
    # Lines are cut into characters and runs, not handed on whole.
    assert "学" in [word.text for word in words] and "106" in "".join(word.text for word in words)
    assert max(len(word.text) for word in words) <= len("09:00-11:30")


def test_tesseract_without_the_language_raises_ocr_error(chinese_lines_page: np.ndarray) -> None:
    with pytest.raises(OcrError, match="tesseract"):
        TesseractEngine(language="xxx").read(chinese_lines_page)


def test_a_line_is_cut_into_characters_and_runs() -> None:
    assert [token for token, _, _ in tokens("考核时间 09:00-11:30，共2场")] == [
        "考", "核", "时", "间", "09:00-11:30", "，", "共", "2", "场",
    ]  # fmt: skip


def test_cut_words_lie_along_the_line_box_in_proportion_to_their_width() -> None:
    # 人数 (two wide characters) then 106 (three narrow ones: 1.5 wide) over 350 px.
    words = split_line("人数106", [(100, 50), (450, 50), (450, 90), (100, 90)], 87.5)
    assert [word.text for word in words] == ["人", "数", "106"]
    assert [round(word.x0) for word in words] == [100, 200, 300]
    assert round(words[-1].x1) == 450
    assert all(word.top == 50 and word.bottom == 90 and word.confidence == 87.5 for word in words)


def test_a_skewed_line_gives_boxes_that_follow_it() -> None:
    # The line climbs 20 px over its length: the last character sits higher than the first.
    words = split_line("一二三四", [(0, 40), (400, 20), (400, 60), (0, 80)], 90.0)
    assert words[0].bottom > words[-1].bottom and words[0].top > words[-1].top
    assert words[0].x0 == 0 and words[-1].x1 == 400


def test_a_tall_line_is_vertical_text_read_top_to_bottom() -> None:
    words = split_line("试点方案", [(10, 0), (50, 0), (50, 400), (10, 400)], 90.0)
    assert [word.text for word in words] == ["试", "点", "方", "案"]
    assert [round(word.top) for word in words] == [0, 100, 200, 300]
    assert all(word.x0 == 10 and word.x1 == 50 for word in words)


def test_rapid_reads_a_cell_again_where_its_print_goes_on_after_the_last_word(
    chinese_lines_page: np.ndarray,
) -> None:
    # RapidOCR's detector cuts a line short where a seal's ring crosses it (日期：2022年 |
    # 4月23日): the cell is read again alone, and the fuller reading kept.
    engine = RapidOcrEngine()
    words = engine.read(chinese_lines_page)
    third = sorted((w for w in words if line_of(w) == 2), key=lambda w: w.x0)
    others = [w for w in words if line_of(w) != 2]
    box = Box(
        x0=min(w.x0 for w in third) - 20,
        top=min(w.top for w in third) - 12,
        x1=max(w.x1 for w in third) + 60,
        bottom=max(w.bottom for w in third) + 12,
    )
    cut = third[:4]  # 报考人数 read, the rest of the line lost
    reread = reread_cells(chinese_lines_page, [*others, *cut], [[box]], engine)
    in_cell = sorted((w for w in reread if line_of(w) == 2), key=lambda w: w.x0)
    assert cer("".join(w.text for w in in_cell), LINES[2]) < 0.08
    assert len(reread) == len(others) + len(in_cell)
    # A cell read whole is left as it was.
    again = reread_cells(chinese_lines_page, words, [[box]], engine)
    assert len(again) == len(words) and set(again) == set(words)


def test_rapid_on_openvino_reads_what_it_reads_on_onnx_runtime(chinese_lines_page: np.ndarray) -> None:
    # The same models on the faster runtime: the same words in the same places.
    from extractors.vision.openvino_session import OpenVinoSession
    from extractors.vision.rapid import _model

    fast = RapidOcrEngine(runtime="openvino")
    plain = RapidOcrEngine(runtime="onnxruntime")
    model = _model(fast.threads, fast.max_side, fast.min_score, fast.runtime)
    assert isinstance(model.text_det.infer, OpenVinoSession)
    assert isinstance(model.text_rec.session, OpenVinoSession)
    on_openvino, on_onnx = fast.read(chinese_lines_page), plain.read(chinese_lines_page)
    assert [word.text for word in on_openvino] == [word.text for word in on_onnx]
    assert all(
        abs(a.x0 - b.x0) < 2 and abs(a.top - b.top) < 2 for a, b in zip(on_openvino, on_onnx, strict=True)
    )
    assert_read_well(on_openvino, chinese_lines_page)


def test_a_model_openvino_cannot_read_is_an_ocr_error(tmp_path: Path) -> None:
    from extractors.vision.openvino_session import compile_session

    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(OcrError, match="OpenVINO"):
        compile_session(broken, threads=1)


def test_without_openvino_rapid_reads_on_onnx_runtime_and_says_so(
    chinese_lines_page: np.ndarray, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    from extractors.vision import rapid
    from extractors.vision.openvino_session import OpenVinoSession

    monkeypatch.setitem(sys.modules, "openvino", None)  # a real ImportError, as on a machine without it
    monkeypatch.setattr(rapid._loaded, "models", {}, raising=False)
    engine = RapidOcrEngine(runtime="openvino")
    with caplog.at_level("WARNING", logger="extractors.vision.rapid"):
        words = engine.read(chinese_lines_page)
    model = rapid._model(engine.threads, engine.max_side, engine.min_score, engine.runtime)
    assert not isinstance(model.text_rec.session, OpenVinoSession)
    assert "ONNX Runtime" in caplog.text and "OpenVINO" in caplog.text
    assert_read_well(words, chinese_lines_page)
