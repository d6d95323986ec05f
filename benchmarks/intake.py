"""Accuracy of the whole intake against a generated round (``python -m fixtures.round``).

    python -m benchmarks.intake DIR [--db URL] [--show-errors]

Runs the real flow (folder inbox ``DIR/inbox``, upload folder ``DIR/uploads``, a throw-away
SQLite database unless ``--db`` is given), reads the JSON export and prints: attachment names
decoded exactly (per name encoding), Attachment 1 cells matching the ground truth, and per
rule the precision and recall of the ``annex1.*`` and ``school.*`` findings per school, plus
the clean schools that got an error-level finding anyway.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from benchmarks.scoring import RuleScores, render_misses
from schemas.export import ExportFile

RULE_PREFIXES = ("annex1.", "school.", "plan.")


def cells(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaves of Attachment 1 data: one per table cell (rows numbered), plus contact and date."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("kind", "signature", "seal"):  # vision decides these, not the table reader
                continue
            yield from cells(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        yield f"{prefix}count", len(data)
        for index, item in enumerate(data):
            yield from cells(item, f"{prefix}{index}.")
    else:
        yield prefix.rstrip("."), data


@dataclass
class IntakeReport:
    messages: int = 0
    names_total: Counter[str] = field(default_factory=Counter)
    names_exact: Counter[str] = field(default_factory=Counter)
    cells_total: int = 0
    cells_correct: int = 0
    tables: int = 0
    rules: RuleScores = field(default_factory=RuleScores)
    clean_schools: int = 0
    clean_with_errors: list[str] = field(default_factory=list)
    unknown_schools_listed: int = 0
    unknown_schools: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def cell_accuracy(self) -> float:
        return self.cells_correct / self.cells_total if self.cells_total else 0.0


def compare(manifest: dict[str, Any], export: ExportFile) -> IntakeReport:
    """Score an export against the round's ground truth."""
    report = IntakeReport()
    documents = {d.source: d for d in export.documents}
    schools = {s.name: s for s in export.schools}
    for entry in manifest["schools"]:
        name = entry["school"]
        message = entry["message"]
        if message is not None:
            report.messages += 1
            encoding = message["name_encoding"]
            prefix = f"{message['file']}/"
            got = sorted(source.removeprefix(prefix) for source in documents if source.startswith(prefix))
            for path in message["expected_paths"]:
                report.names_total[encoding] += 1
                if path in got:
                    report.names_exact[encoding] += 1
                else:
                    report.misses.append(f"{message['file']}: attachment {path!r} not listed (got {got})")
            table = documents.get(message["annex1_source"])
            report.tables += 1
            got_cells = dict(cells(table.data.model_dump(mode="json"))) if table and table.data else {}
            for cell, expected in cells(entry["annex1"]):
                report.cells_total += 1
                if got_cells.get(cell) == expected:
                    report.cells_correct += 1
                else:
                    report.misses.append(
                        f"{message['annex1_source']}: {cell}: expected {expected!r}, got {got_cells.get(cell)!r}"
                    )
        if not entry["known"]:
            report.unknown_schools += 1
            report.unknown_schools_listed += int(name in schools)
        school_documents = [d for d in export.documents if d.school == name and d.superseded_by is None]
        findings = list(schools[name].findings) if name in schools else []
        findings += [f for d in school_documents for f in d.findings]
        found = {f.rule for f in findings if f.rule.startswith(RULE_PREFIXES)}
        expected = set(entry["expected_rules"])
        expected |= {rule for plan in entry["plans"] for rule in plan.get("expected_rules") or []}
        report.rules.score(f"{name}（{entry['variant']}）", expected, found, report.misses)
        if not expected:
            report.clean_schools += 1
            errors = sorted({f.rule for f in findings if f.severity == "error"})
            if errors:
                report.clean_with_errors.append(f"{name}: {', '.join(errors)}")
    return report


def render(report: IntakeReport) -> str:
    lines = [
        f"messages: {report.messages}",
        "",
        f"{'name encoding':<28} {'exact':>6} {'total':>6} {'rate':>7}",
    ]
    for encoding in sorted(report.names_total):
        total, exact = report.names_total[encoding], report.names_exact[encoding]
        lines.append(f"{encoding:<28} {exact:>6} {total:>6} {exact / total:>7.1%}")
    all_total, all_exact = sum(report.names_total.values()), sum(report.names_exact.values())
    lines.append(f"{'ALL NAMES':<28} {all_exact:>6} {all_total:>6} {all_exact / max(all_total, 1):>7.1%}")
    lines += [
        "",
        f"Attachment 1 cells: {report.cells_correct}/{report.cells_total} ({report.cell_accuracy:.2%}) in {report.tables} tables",
        "",
        *report.rules.table(width=34),
    ]
    lines += [
        "",
        f"clean schools with an error-level finding: {len(report.clean_with_errors)} of {report.clean_schools}",
        *[f"  {line}" for line in report.clean_with_errors],
        f"unknown schools listed in the export: {report.unknown_schools_listed} of {report.unknown_schools}",
    ]
    return "\n".join(lines)


def run_intake(
    folder: Path,
    db_url: str,
    work: Path,
    round_file: Path | None = None,
    *,
    engine: Literal["tesseract", "rapid"] = "rapid",
    cold: bool = False,
) -> ExportFile:
    """The real flow over the round's inbox and uploads, then the export, as a user runs them.
    OCR'd pages come from the run's usual page cache (``out/cache``) unless ``cold``."""
    import os

    from extractors.vision.ocr_page import OcrOptions
    from flows.settings import DEFAULT_OUT, Settings

    pages = (work if cold else DEFAULT_OUT) / "cache"
    settings = Settings(
        db_url=db_url,
        archive_dir=work / "archive",
        cache_dir=work / "cache",
        round_file=round_file,
        ocr=OcrOptions(engine=engine, cache_dir=pages),
    )
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(settings.cache_dir.resolve()))
    # As the command line does: a first start on a busy machine migrates Prefect's database.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    from flows.process import intake

    intake(settings, uploads=str(folder / "uploads"), inbox=str(folder / "inbox"))
    return export_of(db_url, round_file)


def export_of(db_url: str, round_file: Path | None = None) -> ExportFile:
    """The JSON export of a review database, as ``pilot-intake export`` builds it."""
    from review.db import make_engine, session_factory
    from review.export_json import build_export
    from schemas.round_config import load_round_config

    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return build_export(session, load_round_config(round_file))
    finally:
        engine.dispose()


def is_round_folder(folder: Path) -> bool:
    """A folder written by ``python -m fixtures.round`` (rather than ``fixtures.generate``)."""
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return False
    return bool(json.loads(manifest.read_text(encoding="utf-8")).get("generator") == "fixtures.round")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder written by python -m fixtures.round")
    parser.add_argument("--db", help="review database URL (default: a throw-away SQLite file)")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args(argv)
    manifest = json.loads((args.folder / "manifest.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="pilot-intake-bench-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        export = run_intake(args.folder, args.db or f"sqlite:///{work / 'review.sqlite3'}", work)
        seconds = time.perf_counter() - started
    report = compare(manifest, export)
    print(render(report))
    print(
        f"\nintake run: {seconds:.1f} s for {report.messages} e-mails and "
        f"{len(export.documents)} documents ({len(export.documents) / seconds:.1f} documents/s, "
        "Prefect's temporary server start included)"
    )
    if args.show_errors and report.misses:
        print(render_misses(report.misses))


if __name__ == "__main__":
    main()
