"""OCR of the pages of a PDF (or of a picture) that carry no usable text, both cores busy.

Pages are rendered one at a time in the calling thread (pdfium is not thread-safe) and read
in a small thread pool: the engines run as separate processes (tesseract) or release the GIL
(onnxruntime, OpenCV), so threads keep both cores busy without pickling page images, and the
same code runs unchanged inside a Prefect task on any task runner. At most ``workers + 1``
rendered pages are held at once, so a long scan costs the memory of a few pages.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from extractors.budget import Deadline
from extractors.errors import OcrError
from extractors.vision.images import PageImage, render_pdf
from extractors.vision.ocr_page import OcrOptions, OcrPage, cached_read

# Documents are extracted in parallel too (the flow's task runner): one gate per process keeps
# the number of pages being read at once at ``workers``, whatever the number of documents.
_GATE_LOCK = threading.Lock()
_GATES: dict[int, threading.BoundedSemaphore] = {}


def _gate(workers: int) -> threading.BoundedSemaphore:
    with _GATE_LOCK:
        return _GATES.setdefault(workers, threading.BoundedSemaphore(workers))


def _read(image: PageImage, options: OcrOptions) -> OcrPage:
    with _gate(max(1, options.workers)):
        return _read_now(image, options)


def _read_now(image: PageImage, options: OcrOptions) -> OcrPage:
    return cached_read(
        image, options, image.pixels.shape[1] * 72.0 / image.dpi, image.pixels.shape[0] * 72.0 / image.dpi
    )


def ocr_images(
    images: Iterable[PageImage], options: OcrOptions, deadline: Deadline | None = None
) -> Iterator[tuple[int, OcrPage | OcrError]]:
    """(page number, what OCR read or why it failed), in page order; past the file's
    ``deadline`` no further page is started (``TimeLimitError``)."""
    workers = max(1, options.workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr") as pool:
        pending: list[tuple[int, Future[OcrPage]]] = []
        for image in images:
            if deadline is not None:
                deadline.check(f"第{image.number}页（OCR）")
            pending.append((image.number, pool.submit(_read, image, options)))
            while len(pending) > workers:
                yield _result(*pending.pop(0))
        for number, future in pending:
            yield _result(number, future)


def _result(number: int, future: Future[OcrPage]) -> tuple[int, OcrPage | OcrError]:
    try:
        return number, future.result()
    except OcrError as error:
        return number, error


def ocr_pdf_pages(
    content: bytes, numbers: list[int], options: OcrOptions, deadline: Deadline | None = None
) -> dict[int, OcrPage | OcrError]:
    """OCR the given 1-based pages of a PDF at their scan resolution (at most ``max_dpi``)."""
    if not numbers:
        return {}
    return dict(ocr_images(render_pdf(content, numbers, max_dpi=options.max_dpi), options, deadline))
