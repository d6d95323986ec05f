"""The scanned pages benchmarks.ocr reads, with the truth of their text, and how a reading is scored.

Kept apart from the measurements so that tests score an engine the way the benchmark does.
Pages are the generator's native plans rendered with pypdfium2 and put through a flatbed
scanner (``fixtures.scan.degrade``); a page's truth is its text layer as pdfplumber reads it.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from extractors.normalize import fold_width

# (dpi, colour, skew in degrees, JPEG quality; 1-bit pages have no JPEG step, as scanners store them)
PROFILES: tuple[tuple[int, str, float, int], ...] = (
    (200, "gray", 0.8, 70),
    (300, "bw", -0.5, 70),
    (150, "gray", -1.2, 60),
    (300, "gray", 0.4, 85),
    (200, "bw", 1.0, 70),
    (150, "bw", -0.3, 70),
)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3007]")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ScannedPage:
    image: str  # file name in the work folder's pages/
    source: str  # the native plan it was made from
    page: int
    profile: str
    dpi: int
    truth: str


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, two rows at a time."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def comparable(text: str) -> str:
    """What a CER is computed on: full-width forms folded, whitespace removed."""
    return _WHITESPACE.sub("", fold_width(text))


def cjk_only(text: str) -> str:
    return "".join(_CJK.findall(text))


def errors(ocr: str, truth: str) -> tuple[int, int, int, int]:
    """(edit distance, truth length) on all characters and on CJK characters only."""
    ocr, truth = comparable(ocr), comparable(truth)
    return (
        edit_distance(ocr, truth),
        len(truth),
        edit_distance(cjk_only(ocr), cjk_only(truth)),
        len(cjk_only(truth)),
    )


def cer(ocr: str, truth: str) -> float:
    distance, length, _, _ = errors(ocr, truth)
    return distance / max(length, 1)


def _paper(rgb: np.ndarray, dpi: int, colour: str, skew: float, quality: int, seed: int) -> bytes:
    """The page through a flatbed scanner (fixtures.scan.degrade), as one-channel PNG bytes: the
    JPEG artefacts are already in the pixels, and lossless storage gives the PDF the very
    pixels the engines read raw."""
    from PIL import Image

    from fixtures.scan.degrade import ScanProfile, degrade

    profile = ScanProfile(dpi=dpi, color=colour, skew=skew, jpeg_quality=quality)
    scanned = degrade(rgb, profile, np.random.default_rng(seed))
    buffer = io.BytesIO()
    picture = Image.fromarray(np.ascontiguousarray(scanned[:, :, 0]))
    (picture.convert("1") if colour == "bw" else picture).save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def make_pages(work: Path, count: int, seed: int) -> list[ScannedPage]:
    """Generate plans, turn their first ``count`` pages into scans; write the image-only PDFs
    into ``work/scans`` and the page list into ``work/pages.json``."""
    import pdfplumber
    import pypdfium2 as pdfium
    from reportlab.pdfgen import canvas

    plans = work / "plans"
    subprocess.run(
        [sys.executable, "-m", "fixtures.generate", "--out", str(plans), "--seed", str(seed),
         "--count", str(max(1, (count + 2) // 3))],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    (work / "pages").mkdir(exist_ok=True)
    (work / "scans").mkdir(exist_ok=True)
    pages: list[ScannedPage] = []
    for plan in sorted(plans.glob("*.pdf")):
        if len(pages) >= count:
            break
        scan = canvas.Canvas(str(work / "scans" / plan.name))
        with pdfplumber.open(plan) as native:
            truths = [page.extract_text() or "" for page in native.pages]
        document = pdfium.PdfDocument(plan)
        for number, truth in enumerate(truths, start=1):
            if len(pages) >= count:
                break
            dpi, colour, skew, quality = PROFILES[len(pages) % len(PROFILES)]
            rgb = document[number - 1].render(scale=dpi / 72.0, rev_byteorder=True).to_numpy()[:, :, :3]
            encoded = _paper(np.ascontiguousarray(rgb), dpi, colour, skew, quality, seed + len(pages))
            name = f"{len(pages) + 1:03d}.png"
            (work / "pages" / name).write_bytes(encoded)
            height, width = rgb.shape[:2]
            scan.setPageSize((width / dpi * 72.0, height / dpi * 72.0))
            scan.drawImage(str(work / "pages" / name), 0, 0, width / dpi * 72.0, height / dpi * 72.0)
            scan.showPage()
            label = f"{dpi} dpi {colour}" + (f" JPEG {quality}" if colour != "bw" else "")
            pages.append(ScannedPage(name, plan.name, number, label, dpi, truth))
        document.close()
        scan.save()
    (work / "pages.json").write_text(json.dumps([asdict(p) for p in pages], ensure_ascii=False), "utf-8")
    return pages


def outside_scanned_pages(folder: Path, limit: int) -> list[tuple[Path, int]]:
    """(file, page) of pages that are a picture across most of the page, at most ``limit``."""
    import pdfplumber

    found: list[tuple[Path, int]] = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() != ".pdf" or len(found) >= limit:
            continue
        with pdfplumber.open(path) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                area = float(page.width * page.height)
                covered = max((float(i["width"] * i["height"]) for i in page.images), default=0.0)
                if covered >= 0.6 * area and len(found) < limit:
                    found.append((path, number))
    return found
