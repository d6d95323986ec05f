"""OCR accuracy and speed: ``python -m benchmarks.ocr [--pages N] [--engines tesseract,rapid,rapid-onnxruntime]``.

Decides which OCR engine is the default and whether the pipeline beats OCRmyPDF, on the same
scanned pages in one run. The pages are the generator's native plans (``python -m
fixtures.generate --seed 7``) rendered with pypdfium2 at 150/200/300 dpi and put through a
flatbed scanner (``fixtures.scan.degrade``: gray or 1-bit, skew, noise, JPEG); the truth of
each page is its text layer (pdfplumber); see ``benchmarks.ocr_pages``. It prints, side by side:

- each engine raw (the grayscale image straight in) and, when ``extractors.vision.prepare``
  exists, after its preparation: character error rate (edit distance over the truth's length,
  whitespace removed, full-width forms folded as the extractors fold them), the same on CJK
  characters only, seconds per page;
- the whole pipeline: ``pilot-intake process`` on a folder of the image-only PDFs with a fresh
  SQLite database (triage, OCR, extraction, checks, database): CER on the page text it stored
  in the review database, seconds per scanned page, also net of a run on an empty folder
  (Prefect's start-up); once per engine when ``process`` takes ``--ocr-engine``;
- OCRmyPDF doing OCR alone (``ocrmypdf -l chi_sim --force-ocr --output-type pdf --sidecar``),
  when installed (``pip install -e '.[bench]'``);
- peak memory of each measurement (each runs in a child process; ``ru_maxrss`` of that child
  and the processes it waited for, such as tesseract);
- when ``../shared/samples/outside-round`` exists, each engine's seconds per page on its
  scanned pages (no CER there: those pages have no text truth).

Timings share the machine with whatever else runs on it: compare rows of one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.ocr_pages import ScannedPage, errors, make_pages, outside_scanned_pages

# rapid-onnxruntime: RapidOCR on its own runtime, beside the OpenVINO one the pipeline uses.
ENGINES = ("tesseract", "rapid", "rapid-onnxruntime")
PIPELINE_ENGINES = ("tesseract", "rapid")
OUTSIDE_ROUND = Path(__file__).resolve().parents[2] / "shared" / "samples" / "outside-round"


# -- measurements, each in a child process ------------------------------------------------------


def _engine(name: str) -> Any:
    if name in ("rapid", "rapid-onnxruntime"):
        from extractors.vision.rapid import RapidOcrEngine

        return RapidOcrEngine(runtime="onnxruntime" if name == "rapid-onnxruntime" else "openvino")
    from extractors.vision.tesseract import TesseractEngine

    return TesseractEngine()


def _images(work: Path, kind: str, limit: int) -> list[np.ndarray]:
    """Grayscale images of the row's pages: the benchmark's scans, or the outside round's."""
    from PIL import Image

    if kind != "outside":
        pages = json.loads((work / "pages.json").read_text("utf-8"))
        return [np.asarray(Image.open(work / "pages" / p["image"]).convert("L")) for p in pages]
    from extractors.vision.images import render_pdf

    images = []
    for path, number in outside_scanned_pages(OUTSIDE_ROUND / "uploads", limit):
        (page,) = render_pdf(path.read_bytes(), [number])
        images.append(np.asarray(Image.fromarray(page.pixels).convert("L")))
    return images


def worker(kind: str, engine_name: str, work: Path, limit: int, result: Path) -> None:
    """Read the row's pages with one engine; write texts and seconds to ``result``."""
    engine = _engine(engine_name)
    engine.read(np.full((64, 64), 255, np.uint8))  # load the engine before the clock starts
    prepare: Callable[[np.ndarray], Any] | None = None
    if kind == "prepared":
        from extractors.vision import prepare as preparation

        prepare = preparation.prepare
    texts: list[str] = []
    seconds: list[float] = []
    for gray in _images(work, kind, limit):
        started = time.perf_counter()
        if prepare is not None:
            gray = prepare(np.dstack([gray] * 3)).gray
        words = engine.read(gray)
        seconds.append(time.perf_counter() - started)
        texts.append("".join(word.text for word in words))
    result.write_text(json.dumps({"texts": texts, "seconds": seconds}, ensure_ascii=False), "utf-8")


# Runs the command and writes the peak resident size of its process tree. A process that
# exec()s starts with its parent's peak on record (Linux keeps it across exec), so measuring
# from this small process, not from the benchmark that holds the page images, keeps that out.
_PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


def measured(
    command: Sequence[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    fine: tuple[int, ...] = (0,),
) -> tuple[float, int, float]:
    """Run ``command``: (seconds, exit code, peak resident MiB of it and its children). What it
    wrote to stderr is shown when its exit code is not one of ``fine``."""
    with tempfile.TemporaryDirectory() as scratch:
        peak_file, errors_file = Path(scratch) / "peak", Path(scratch) / "stderr"
        started = time.perf_counter()
        with errors_file.open("wb") as errors_out:  # a file: OCRmyPDF talks a lot
            code = subprocess.call(
                [sys.executable, "-c", _PEAK, str(peak_file), *command],
                cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors_out,
            )  # fmt: skip
        seconds = time.perf_counter() - started
        if code not in fine:
            sys.stderr.write(errors_file.read_text("utf-8", "replace")[-2000:])
        peak = float(peak_file.read_text()) / 1024.0 if peak_file.exists() else float("nan")
    return seconds, code, peak


@dataclass
class Row:
    label: str
    engine: str
    pages: int
    seconds: float | None = None  # per page
    peak_mib: float | None = None
    cer: float | None = None
    cer_cjk: float | None = None
    note: str = ""


def score(row: Row, texts: Sequence[str], truths: Sequence[str]) -> list[float]:
    """Set the row's CERs (all pages pooled); returns each page's CER."""
    counts = [errors(ocr, truth) for ocr, truth in zip(texts, truths, strict=True)]
    row.cer = sum(c[0] for c in counts) / max(sum(c[1] for c in counts), 1)
    row.cer_cjk = sum(c[2] for c in counts) / max(sum(c[3] for c in counts), 1)
    return [c[0] / max(c[1], 1) for c in counts]


def engine_row(kind: str, engine: str, work: Path, truths: list[str], limit: int) -> tuple[Row, list[float]]:
    result = work / f"result-{kind}-{engine}.json"
    _, code, peak = measured(
        [sys.executable, "-m", "benchmarks.ocr", "--worker", kind, "--engines", engine, "--work", str(work),
         "--outside-pages", str(limit), "--result", str(result)]
    )  # fmt: skip
    label = {
        "raw": "engine, raw image",
        "prepared": "engine after prepare()",
        "outside": "outside round, raw",
    }[kind]
    if code:
        return Row(label, engine, 0, note=f"failed (exit {code})"), []
    data = json.loads(result.read_text("utf-8"))
    row = Row(label, engine, len(data["seconds"]), sum(data["seconds"]) / max(len(data["seconds"]), 1), peak)
    if kind == "outside" or not truths:
        return row, []
    return row, score(row, data["texts"], truths)


def _pipeline_texts(database: Path, pages: Sequence[ScannedPage]) -> list[str] | None:
    """The text the pipeline stored for each scanned page (its ``pages`` table), or None when
    a page is not there."""
    if not database.exists():
        return None
    with closing(sqlite3.connect(database)) as connection:
        stored = {
            (source, number): text or ""
            for source, number, text in connection.execute(
                "SELECT d.source, p.number, p.text FROM pages p JOIN documents d ON d.id = p.document_id"
            )
        }
    texts = [stored.get((page.source, page.page)) for page in pages]
    return None if None in texts else [text or "" for text in texts]


def pipeline_rows(work: Path, scanned: Sequence[ScannedPage], engines: Sequence[str]) -> list[Row]:
    """``pilot-intake process`` on the scans with a fresh SQLite database, after one run on an
    empty folder that both starts Prefect's database and measures the fixed cost. Its CER is
    on the page text it stored in the review database."""
    pages = len(scanned)
    beside = Path(sys.executable).with_name("pilot-intake")
    command = [str(beside)] if beside.exists() else [sys.executable, "-m", "flows.cli"]
    helped = subprocess.run([*command, "process", "--help"], capture_output=True, text=True).stdout
    named = [engine for engine in engines if engine in PIPELINE_ENGINES]
    choices: list[str | None] = list(named) if "--ocr-engine" in helped else [None]
    home = work / "pipeline"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PILOT_INTAKE_"))}
    env["PILOT_INTAKE_PREFECT_HOME"] = str(home / "prefect")
    (home / "empty").mkdir(parents=True, exist_ok=True)
    rows = []
    for engine in choices:
        chosen = [] if engine is None else ["--ocr-engine", engine]

        def run(folder: Path, tag: str, chosen: list[str] = chosen) -> tuple[float, int, float]:
            return measured(
                [*command, "process", str(folder), "--db", f"sqlite:///{home / f'{tag}.sqlite3'}",
                 "--archive", str(home / f"archive-{tag}"), *chosen],
                cwd=home, env=env, fine=(0, 5),  # 5: processed, some file.* findings
            )  # fmt: skip

        tag = engine or "default"
        empty_seconds, _, _ = run(home / "empty", f"empty-{tag}")
        seconds, code, peak = run(work / "scans", tag)
        note = f"{(seconds - empty_seconds) / pages:.2f} s/page net of an empty run ({empty_seconds:.1f} s)"
        if code:
            note = f"exit {code}{' (processed; a file.* finding)' if code == 5 else ''}; " + note
        row = Row(
            "pipeline: pilot-intake process", engine or "its default", pages, seconds / pages, peak, note=note
        )
        texts = _pipeline_texts(home / f"{tag}.sqlite3", scanned)
        if texts is None:
            row.note += "; page texts not all in its database"
        else:
            score(row, texts, [page.truth for page in scanned])
        rows.append(row)
    return rows


def ocrmypdf_row(work: Path, truths: list[str]) -> Row:
    binary = next(
        (
            str(path)
            for path in (Path(sys.executable).with_name("ocrmypdf"), Path("out/bench-venv/bin/ocrmypdf"))
            if path.exists()
        ),
        shutil.which("ocrmypdf"),
    )
    if binary is None:
        return Row(
            "OCRmyPDF, OCR alone",
            "tesseract",
            0,
            note="not installed: pip install -c constraints.txt -e '.[bench]'",
        )
    texts: list[str] = []
    total, peak, failed = 0.0, 0.0, 0
    for scan in sorted((work / "scans").glob("*.pdf")):
        sidecar = work / "ocrmypdf" / f"{scan.stem}.txt"
        sidecar.parent.mkdir(exist_ok=True)
        seconds, code, memory = measured(
            [binary, "-l", "chi_sim", "--force-ocr", "--output-type", "pdf", "--sidecar", str(sidecar),
             str(scan), str(sidecar.with_suffix(".pdf"))]
        )  # fmt: skip
        total, peak, failed = total + seconds, max(peak, memory), failed + (code != 0)
        texts += sidecar.read_text("utf-8").split("\f")[: _page_count(scan)] if sidecar.exists() else []
    row = Row("OCRmyPDF, OCR alone", "tesseract", len(truths), total / max(len(truths), 1), peak)
    row.note = f"{failed} files failed" if failed else f"{os.cpu_count()} jobs (its default)"
    if len(texts) == len(truths):
        score(row, texts, truths)
    return row


def _page_count(pdf: Path) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


# -- printing --------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in (header, *rows)
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ocr", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12, help="scanned pages to make (default 12)")
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help="comma-separated (default tesseract,rapid,rapid-onnxruntime)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--outside-pages", type=int, default=8, help="outside-round scanned pages to time")
    parser.add_argument("--work", type=Path, help="keep the pages and results in this folder")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    if unknown := [name for name in engines if name not in ENGINES]:
        parser.error(f"unknown engine(s) {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    if args.worker:
        worker(args.worker, engines[0], args.work, args.outside_pages, args.result)
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="benchmark-ocr-"))
    work.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    if "rapid" in engines and importlib.util.find_spec("rapidocr_onnxruntime") is None:
        engines.remove("rapid")
        notes.append("rapid: not installed (pip install -c constraints.txt -e '.[rapid]')")
    pages = make_pages(work, args.pages, args.seed)
    truths = [page.truth for page in pages]
    print(
        f"{len(pages)} scanned pages from {len({p.source for p in pages})} generated plans (seed {args.seed}) in {work}"
    )
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average before measuring: {load} on {os.cpu_count()} cores (timings are shared with it)")
    rows: list[Row] = []
    per_page: dict[str, list[float]] = {}
    for engine in engines:
        row, cers = engine_row("raw", engine, work, truths, args.outside_pages)
        rows.append(row)
        per_page[engine] = cers
    if importlib.util.find_spec("extractors.vision.prepare") is None:
        notes.append("engine after prepare(): skipped, extractors.vision.prepare does not exist yet")
    else:
        rows += [engine_row("prepared", engine, work, truths, args.outside_pages)[0] for engine in engines]
    rows += pipeline_rows(work, pages, engines)
    rows.append(ocrmypdf_row(work, truths))
    if OUTSIDE_ROUND.is_dir():
        rows += [engine_row("outside", engine, work, [], args.outside_pages)[0] for engine in engines]
    else:
        notes.append(f"outside round: {OUTSIDE_ROUND} not found")
    print()
    print(
        "CER: edit distance / truth length, whitespace removed, full-width forms folded; CJK: ideographs only"
    )
    print(
        table(
            ("measurement", "engine", "pages", "CER", "CER CJK", "s/page", "peak MiB", "note"),
            [
                (
                    r.label,
                    r.engine,
                    str(r.pages),
                    _fmt(r.cer, ".3f"),
                    _fmt(r.cer_cjk, ".3f"),
                    _fmt(r.seconds, ".2f"),
                    _fmt(r.peak_mib, ".0f"),
                    r.note,
                )
                for r in rows
            ],
        )
    )
    if per_page and all(per_page.values()):
        print("\nraw CER by scan profile (mean of the pages' CER)")
        profiles = sorted({p.profile for p in pages})
        print(
            table(
                ("profile", "pages", *per_page),
                [
                    (
                        profile,
                        str(sum(p.profile == profile for p in pages)),
                        *(
                            f"{np.mean([c for c, p in zip(cers, pages, strict=True) if p.profile == profile]):.3f}"
                            for cers in per_page.values()
                        ),
                    )
                    for profile in profiles
                ],
            )
        )
    for note in notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
