"""Seals and signatures measured against truth: the stamped fixtures and an outside round.

    python -m benchmarks.vision [--count 10] [--seed 7] [--mode colour|gray|bw] [--outside DIR | --no-outside]
                                [--no-text]

On ``fixtures.seals`` pages (generated plans stamped in several styles, scanned in colour,
gray and 1-bit): seal detection precision and recall per colour and per kind (shape, over
text, off the page, 骑缝章 half), seal-text match accuracy (and how often the verdict is a
wrong decision rather than "unreadable"), signature precision and recall, and seconds per
page. On an outside round (``../shared/samples/outside-round``): seals per page against its
truth.json, per way the file was made and per kind of seal; signatures on the pages whose
words the text layer gives; and the whole seal and signature step as the pipeline runs it,
in seconds per page. The truth is read here only, never by the code
measured.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from extractors.pdf_text import read_pdf_text
from extractors.plan_document import plan_extractor_for
from extractors.received import extract_received
from extractors.schools import school_names
from extractors.seals_in_document import with_seal_review
from extractors.vision.images import render_pdf
from extractors.vision.ocr_page import OcrOptions
from extractors.vision.seal_match import match_institution
from extractors.vision.seal_text import read_seal
from extractors.vision.seals import SealCandidate, find_seals
from extractors.vision.signatures import find_signatures
from fixtures.seals.pages import SealTruth, StampedPage, stamped_pages
from flows.settings import DEFAULT_OUT
from schemas.round_config import RoundConfig, load_round_config

OUTSIDE = Path(__file__).resolve().parents[2] / "shared" / "samples" / "outside-round"


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def _pair(
    found: list[SealCandidate], truth: list[SealTruth]
) -> tuple[list[tuple[SealCandidate, SealTruth]], list[SealCandidate], list[SealTruth]]:
    """Greedy one-to-one pairing by overlap (IoU >= 0.3)."""
    pairs, unmatched = [], list(truth)
    spare: list[SealCandidate] = []
    for candidate in found:
        best = max(unmatched, key=lambda t: _iou(candidate.box_px, t.box_px), default=None)
        if best is not None and _iou(candidate.box_px, best.box_px) >= 0.3:
            pairs.append((candidate, best))
            unmatched.remove(best)
        else:
            spare.append(candidate)
    return pairs, spare, unmatched


class Tally:
    def __init__(self) -> None:
        self.tp: dict[str, int] = defaultdict(int)
        self.fp: dict[str, int] = defaultdict(int)
        self.fn: dict[str, int] = defaultdict(int)

    def row(self, key: str) -> tuple[str, int, int, int, str, str]:
        tp, fp, fn = self.tp[key], self.fp[key], self.fn[key]
        precision = f"{100 * tp / (tp + fp):.1f}%" if tp + fp else "-"
        recall = f"{100 * tp / (tp + fn):.1f}%" if tp + fn else "-"
        return key, tp, fp, fn, precision, recall

    def labels(self) -> list[str]:
        return sorted(set(self.tp) | set(self.fp) | set(self.fn))


def _table(title: str, header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
    print(f"\n{title}")
    cells = [[str(c) for c in row] for row in rows]
    names = [str(h) for h in header]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(names)]
    print("  ".join(h.ljust(w) for h, w in zip(names, widths, strict=True)))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def _kinds(truth: SealTruth) -> list[str]:
    kinds: list[str] = [truth.shape]
    if truth.placement != "free":
        kinds.append(truth.placement)
    if truth.faint:
        kinds.append("faint")
    if truth.double:
        kinds.append("double")
    return kinds


COLOUR_OF_MODE = {"colour": "red", "gray": "gray", "bw": "bw"}


def fixtures_report(pages: list[StampedPage], config: RoundConfig, read_text: bool) -> None:
    colours, kinds = Tally(), Tally()
    signatures = Tally()
    vanished = 0
    detect_seconds = 0.0
    read_seconds = 0.0
    reads = 0
    text_rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # right, unreadable, wrong, total
    for page in pages:
        start = time.perf_counter()
        found = find_seals(page.image)
        verdicts = find_signatures(page.image, page.facts, found)
        detect_seconds += time.perf_counter() - start
        colour = COLOUR_OF_MODE[page.mode]
        visible = [t for t in page.seals if not t.vanished]
        vanished += len(page.seals) - len(visible)
        pairs, spare, missed = _pair(found, visible)
        # A candidate on a seal the 1-bit conversion wiped out is neither right nor wrong.
        spare = [
            c for c in spare if not any(_iou(c.box_px, t.box_px) >= 0.3 for t in page.seals if t.vanished)
        ]
        colours.tp[colour] += len(pairs)
        colours.fp[colour] += len(spare)
        colours.fn[colour] += len(missed)
        colours.tp["all"] += len(pairs)
        colours.fp["all"] += len(spare)
        colours.fn["all"] += len(missed)
        for _, truth in pairs:
            for kind in _kinds(truth):
                kinds.tp[kind] += 1
        for truth in missed:
            for kind in _kinds(truth):
                kinds.fn[kind] += 1
        for candidate in spare:
            kinds.fp[candidate.shape] += 1
        entry = config.school(page.school)
        own = school_names(entry) if entry else [page.school]
        others = [s.name for s in config.schools if s.name != page.school]
        if read_text:
            for candidate, truth in pairs:
                start = time.perf_counter()
                reading = read_seal(page.image, candidate)
                read_seconds += time.perf_counter() - start
                reads += 1
                said = match_institution(reading, own, others).kind
                row = text_rows[truth.expected]
                row[3] += 1
                if said == truth.expected:
                    row[0] += 1
                elif said == "unreadable":
                    row[1] += 1
                else:
                    row[2] += 1
        by_label = {(v.place.label_box.x0, v.place.label_box.top): v for v in verdicts}
        for truth_sig in page.signatures:
            verdict = by_label.get((truth_sig.label_box.x0, truth_sig.label_box.top))
            inked = verdict is not None and verdict.verdict == "handwriting"
            if truth_sig.kind == "ink":
                signatures.tp[colour] += inked
                signatures.fn[colour] += not inked
            else:
                signatures.fp[colour] += inked
    header = ("", "found", "false", "missed", "precision", "recall")
    _table(
        "Seal detection on the stamped fixtures, per colour",
        header,
        [colours.row(k) for k in colours.labels()],
    )
    _table("Seal detection per kind", header, [kinds.row(k) for k in kinds.labels()])
    print(f"(seals wiped out by the 1-bit conversion, not counted: {vanished})")
    if read_text:
        rows = []
        totals = [0, 0, 0, 0]
        for expected, (right, unreadable, wrong, total) in sorted(text_rows.items()):
            rows.append(
                (expected, total, right, unreadable, wrong, f"{100 * right / total:.1f}%" if total else "-")
            )
            totals = [a + b for a, b in zip(totals, (right, unreadable, wrong, total), strict=True)]
        right, unreadable, wrong, total = totals
        rows.append(("all", total, right, unreadable, wrong, f"{100 * right / total:.1f}%" if total else "-"))
        _table(
            "Seal text: whose seal (truth / verdict)",
            ("truth", "seals", "right", "unreadable", "wrong", "accuracy"),
            rows,
        )
    sig_rows = [signatures.row(k) for k in signatures.labels()]
    signatures_all = Tally()
    for k in signatures.labels():
        signatures_all.tp["all"] += signatures.tp[k]
        signatures_all.fp["all"] += signatures.fp[k]
        signatures_all.fn["all"] += signatures.fn[k]
    _table("Signatures at the signature places, per colour", header, [*sig_rows, signatures_all.row("all")])
    per_page = detect_seconds / max(1, len(pages))
    per_read = read_seconds / max(1, reads)
    seals_per_page = reads / max(1, len(pages))
    _table(
        "Seconds per page (one process)",
        ("pages", "detect seals+signatures", "read one seal's text", "seals read per page", "total per page"),
        [
            (
                len(pages),
                f"{per_page:.3f}",
                f"{per_read:.3f}",
                f"{seals_per_page:.2f}",
                f"{per_page + per_read * seals_per_page:.3f}",
            )
        ],
    )


def outside_report(folder: Path) -> None:
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    by_render, by_kind = Tally(), Tally()
    signatures = Tally()
    seconds, pages = 0.0, 0
    for document in truth["documents"]:
        if document["file_state"]["state"] != "ok":
            continue
        path = folder / document["path"]
        content = path.read_bytes()
        want: dict[int, list[dict[str, object]]] = defaultdict(list)
        for seal in document.get("seals", []):
            want[int(seal["page"])].append(seal)
        facts = read_pdf_text(content, ocr=None).pages if document["render"] == "native" else []
        for image in render_pdf(content):
            start = time.perf_counter()
            found = find_seals(image)
            seconds += time.perf_counter() - start
            pages += 1
            expected = want.get(image.number, [])
            hit = min(len(found), len(expected))
            render = document["render"]
            by_render.tp[render] += hit
            by_render.fp[render] += max(0, len(found) - len(expected))
            by_render.fn[render] += max(0, len(expected) - len(found))
            # Per kind: the page's seals in truth order, the first ``hit`` counted found.
            for index, seal in enumerate(expected):
                key = f"{seal['kind']}/{seal['color_in_file']}"
                (by_kind.tp if index < hit else by_kind.fn)[key] += 1
            if facts:
                page_facts = facts[image.number - 1]
                verdicts = find_signatures(image, page_facts, found)
                signed = {
                    str(s["party"]) for s in document.get("signatures", []) if int(s["page"]) == image.number
                }
                for party, truth_party in (
                    ("school", "school_rep"),
                    ("org", "org_rep"),
                    ("leader", "school_leader"),
                ):
                    places = [v for v in verdicts if v.place.party == party]
                    if not places:
                        continue
                    said = any(v.verdict == "handwriting" for v in places)
                    if truth_party in signed:
                        signatures.tp[party] += said
                        signatures.fn[party] += not said
                    else:
                        signatures.fp[party] += said
    header = ("", "found", "false", "missed", "precision", "recall")
    _table(
        f"Outside round ({folder.name}): seals per page, by how the file was made",
        header,
        [by_render.row(k) for k in by_render.labels()],
    )
    _table(
        "Outside round: seals by kind/colour in the file (recall only)",
        header,
        [by_kind.row(k) for k in by_kind.labels()],
    )
    _table(
        "Outside round: signatures by party (native PDFs, text-layer labels)",
        header,
        [signatures.row(k) for k in signatures.labels()],
    )
    print(f"\nseal detection: {seconds / max(1, pages):.3f} s per page over {pages} pages")


def pipeline_report(folder: Path) -> None:
    """The seal and signature step as the pipeline runs it (render, detect, read seal text
    until the school's is found, signatures, crops) on every readable upload of an outside
    round, timed apart from reading the text: seconds per page looked at."""
    config = load_round_config(folder / "round.toml")
    extractor = plan_extractor_for(config)
    ocr = OcrOptions(cache_dir=DEFAULT_OUT / "cache")  # the run's page cache: a rerun re-OCRs nothing
    truth = {
        document["path"]: document
        for document in json.loads((folder / "truth.json").read_text(encoding="utf-8"))["documents"]
    }
    by_render = Tally()
    seconds, pages, documents = 0.0, 0, 0
    for path in sorted((folder / "uploads").rglob("*.pdf")):
        content = path.read_bytes()
        source = path.relative_to(folder / "uploads").as_posix()
        result = extract_received(
            content, source=source, origin="upload", config=config, plan_extractor=extractor, ocr=ocr
        )
        if result.plan is None:
            continue
        result.plan.seal_review = None
        start = time.perf_counter()
        with_seal_review(result, content, config)
        seconds += time.perf_counter() - start
        review = result.plan.seal_review
        pages += len(review.pages) if review is not None else 0
        documents += 1
        document = truth.get(f"uploads/{source}")
        if review is None or document is None:
            continue
        # Per page looked at, as outside_report counts: the page turned and a photo cut to its
        # sheet as the pipeline does, which the raw render above is not.
        render = document["render"]
        for page in review.pages:
            found = sum(1 for seal in review.seals if seal.page == page.number)
            expected = sum(1 for seal in document.get("seals", []) if int(seal["page"]) == page.number)
            by_render.tp[render] += min(found, expected)
            by_render.fp[render] += max(0, found - expected)
            by_render.fn[render] += max(0, expected - found)
    _table(
        f"Outside round: the seal and signature step in the pipeline ({documents} plan PDFs)",
        ("pages looked at", "seconds", "seconds per page"),
        [(pages, f"{seconds:.1f}", f"{seconds / max(1, pages):.3f}")],
    )
    _table(
        "Outside round: seals per page the pipeline looked at (plan and agreement pages)",
        ("", "found", "false", "missed", "precision", "recall"),
        [by_render.row(k) for k in by_render.labels()],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.vision", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10, help="generated plans to stamp (default 10)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--outside", type=Path, default=OUTSIDE, help="an outside round with truth.json")
    parser.add_argument("--no-outside", action="store_true", help="the stamped fixtures only")
    parser.add_argument(
        "--mode",
        choices=("colour", "gray", "bw"),
        help="scan every page so (default: 3 colour, 2 gray, 1 1-bit)",
    )
    parser.add_argument("--no-text", action="store_true", help="skip reading seal text (tesseract)")
    args = parser.parse_args(argv)
    config = load_round_config()
    pages = stamped_pages(args.count, args.seed, config, args.mode)
    fixtures_report(pages, config, read_text=not args.no_text)
    if not args.no_outside and args.outside and (args.outside / "truth.json").exists():
        outside_report(args.outside)
        pipeline_report(args.outside)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
