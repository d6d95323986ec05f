"""Field and rule accuracy against the fixture generator's ground truth.

``python -m benchmarks.accuracy DIR`` on a folder of ``fixtures.round`` measures the whole
intake (see :mod:`benchmarks.intake`). On a folder of ``fixtures.generate`` it reads every
PDF that has a ground-truth JSON beside it, runs extraction and the checks exactly as the
pipeline does, and prints per-field exact match and per-rule precision / recall.
``--show-errors`` lists each miss.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.intake import is_round_folder
from benchmarks.intake import main as intake_main
from benchmarks.scoring import RuleScores, render_misses
from checks import check_document
from extractors.plan_document import extract_plan_document, plan_extractor_for
from schemas.round_config import RoundConfig, load_round_config

# Filled by the seal and signature detectors (a later issue); the text layer cannot know them.
VISION_FIELDS = ("seal.", "signature.", "agreement.signed")


def flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaves of the plan data as dotted paths; lists (sessions, pages) compare whole."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from flatten(value, f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), data


@dataclass
class AccuracyReport:
    documents: int = 0
    field_total: Counter[str] = field(default_factory=Counter)
    field_correct: Counter[str] = field(default_factory=Counter)
    rules: RuleScores = field(default_factory=RuleScores)
    clean_documents: int = 0
    clean_with_errors: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def exact_match(self) -> float:
        total = sum(self.field_total.values())
        return sum(self.field_correct.values()) / total if total else 0.0


def measure(folder: Path, config: RoundConfig) -> AccuracyReport:
    report = AccuracyReport()
    extractor = plan_extractor_for(config)
    for truth_path in sorted(folder.glob("*.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if not isinstance(truth, dict) or "data" not in truth:
            continue
        pdf = truth_path.with_suffix(".pdf")
        result = extract_plan_document(pdf.read_bytes(), source=pdf.name, extractor=extractor)
        findings = check_document(result, config)
        report.documents += 1
        got = result.plan.data.model_dump(mode="json") if result.plan else {}
        got_fields = dict(flatten(got))
        for name, expected in flatten(truth["data"]):
            if name == "kind" or name.startswith(VISION_FIELDS):
                continue
            report.field_total[name] += 1
            if got_fields.get(name) == expected:
                report.field_correct[name] += 1
            else:
                report.misses.append(
                    f"{pdf.name}: {name}: expected {expected!r}, got {got_fields.get(name)!r}"
                )
        expected_rules = set(truth.get("expected_rules", []))
        found_rules = {f.rule for f in findings}
        report.rules.score(pdf.name, expected_rules, found_rules, report.misses)
        if not expected_rules:
            report.clean_documents += 1
            if any(f.severity == "error" for f in findings):
                report.clean_with_errors += 1
    return report


def render(report: AccuracyReport) -> str:
    lines = [f"documents: {report.documents}", "", f"{'field':<32} {'correct':>8} {'total':>6} {'exact':>7}"]
    for name in sorted(report.field_total):
        total, correct = report.field_total[name], report.field_correct[name]
        lines.append(f"{name:<32} {correct:>8} {total:>6} {correct / total:>7.1%}")
    total = sum(report.field_total.values())
    lines.append(
        f"{'ALL FIELDS':<32} {sum(report.field_correct.values()):>8} {total:>6} {report.exact_match:>7.1%}"
    )
    lines += ["", *report.rules.table()]
    lines += [
        "",
        f"clean documents with an error-level finding: {report.clean_with_errors} of {report.clean_documents}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--round", type=Path, default=None)
    parser.add_argument("--show-errors", action="store_true")
    args, rest = parser.parse_known_args()
    if is_round_folder(args.folder):
        # A whole generated round (e-mails, Attachment 1, plans): measured through the real intake.
        intake_main([str(args.folder), *rest, *(["--show-errors"] if args.show_errors else [])])
        return
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    report = measure(args.folder, load_round_config(args.round))
    print(render(report))
    if args.show_errors:
        print(render_misses(report.misses))


if __name__ == "__main__":
    main()
