"""Accuracy of the whole intake on a round that the project did not write.

    python -m benchmarks.outside DIR [--db URL] [--show-errors] [--export FILE]

``DIR`` is shaped like ``../shared/samples/outside-round/``: ``uploads/``, ``inbox/``,
``round.toml`` and ``truth.json`` (its README describes the truth). The real flow runs over the
inbox and the upload folder with the round's own file, on a throw-away SQLite database unless
``--db`` is given; the JSON export is then scored against the truth and printed as tables:

- every Annex 2 field of design.md section 3, exact match per field, per way the PDF was made
  (native, mixed, scan, photo, app);
- Attachment 1 cells, per format the school sent (xlsx, pdf, jpg …);
- attachment names decoded exactly;
- every injected defect, found or missed;
- every error-level finding that the truth does not call for (a false error);
- the run's time, and pages per second next to raw pdfplumber on the same native PDFs.

The figures say how the extractors do on wording and layouts they were not written against;
the truth is read only here, never by the pipeline.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.intake import run_intake
from benchmarks.scoring import render_misses
from schemas.export import ExportDocument, ExportFile, ExportFinding

# Which rule each injected defect id should raise (the sample's README).
DEFECT_RULES: dict[str, tuple[str, ...]] = {
    "PLAN_NOFEE_MISSING": ("plan.no_fee_declaration",),
    "PLAN_NOFEE_NEGATED": ("plan.no_fee_declaration",),
    "PLAN_SESSION_SUM_MISMATCH": ("plan.sessions_sum",),
    "PLAN_EXAM_DATE_OUTSIDE_2022": ("plan.exam_outside_year",),
    "AGREEMENT_MISSING": ("plan.agreement_missing",),
    "PLAN_SEAL_MISSING": ("plan.seal_missing",),
    "SEAL_WRONG_INSTITUTION": ("plan.seal_mismatch",),
    "AGREEMENT_SEAL_MISSING": ("agreement.seal_missing",),
    "AGREEMENT_SIGNATURE_MISSING": ("agreement.signature_missing",),
    "PLAN_MISMATCH_ANNEX1": ("school.plan_mismatch", "school.plan_without_application"),
    "A1_TOTAL_MISMATCH": ("annex1.totals_mismatch",),
    "A1_PAID_EXCEEDS_DUE": ("annex1.fee_overpaid",),
    "A1_INVALID_BATCH": ("annex1.batch_invalid",),
    "A1_SEAL_MISSING": ("annex1.seal_missing",),
    "A1_SEAL_WRONG_INSTITUTION": ("annex1.seal_mismatch",),
    "A1_SIGNATURE_MISSING": ("annex1.signature_missing",),
    "A1_ROW_WITHOUT_PLAN": ("school.application_without_plan",),
    "A1_NOT_SUBMITTED": ("school.annex1_missing",),
    "FILE_ENCRYPTED": ("file.encrypted",),
    "FILE_TRUNCATED": ("file.unreadable",),
    "FILE_ZERO_BYTE": ("file.empty",),
}
# Defects that only seal and signature detection can see (a later issue): listed apart.
VISION_DEFECTS = {
    "PLAN_SEAL_MISSING",
    "SEAL_WRONG_INSTITUTION",
    "AGREEMENT_SEAL_MISSING",
    "AGREEMENT_SIGNATURE_MISSING",
    "A1_SEAL_MISSING",
    "A1_SEAL_WRONG_INSTITUTION",
    "A1_SIGNATURE_MISSING",
}
VISION_RULES = {rule for defect in VISION_DEFECTS for rule in DEFECT_RULES[defect]}
PLAN_FIELDS = (
    "school",
    "certificate",
    "level",
    "candidates",
    "completed_2019_2021",
    "exam_period.start",
    "exam_period.end",
    "sessions",
    "teachers.certified",
    "teachers.certified_count",
    "teachers.other",
    "teachers.other_count",
    "facilities.written",
    "facilities.computer",
    "facilities.practical",
    "funding.exam_fee_source",
    "funding.amount_wan",
    "funding.no_student_fee_declared",
    "funding.training_funding",
    "attachments.training_plan",
    "attachments.credit_exchange",
    "attachments.other",
    "agreement.present",
    "agreement.pages",
    "agreement.organization",
)
RENDERS = ("native", "mixed", "scan", "photo", "app")


def squeeze(text: Any) -> str:
    """A comparison form for free text: NFKC, no white space, no closing punctuation."""
    folded = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"[\s。；;，,]+$", "", re.sub(r"\s+", "", folded))


def _contains_either(got: Any, expected: str) -> bool:
    """Free text matches when one holds the other: a school's sentence may carry the value
    with a lead-in (经费来源为…) that the truth leaves out, or the reverse."""
    if not got or not expected:
        return bool(got) == bool(expected)
    a, b = squeeze(got), squeeze(expected)
    return bool(a) and (a in b or b in a)


def _names_in(got: Any, names: list[str]) -> bool:
    text = squeeze(got or "")
    return bool(text) and all(squeeze(name) in text for name in names)


def _attachments(annex2: dict[str, Any]) -> dict[str, bool] | None:
    """The three attachment flags from the listed items, by design.md's three kinds (or as
    the project's own generator states them)."""
    if isinstance(annex2.get("attachments"), dict):
        return {key: bool(value) for key, value in annex2["attachments"].items()}
    if annex2.get("attachments_section") not in ("listed", "none"):
        return None  # a section that repeats the template's wording says nothing checkable
    items = [squeeze(item) for item in annex2.get("attachments_listed") or []]
    training = [item for item in items if "培养方案" in item]
    credit = [item for item in items if re.search(r"学分|书证融通|课证融通|学习成果", item)]
    return {
        "training_plan": bool(training),
        "credit_exchange": bool(credit),
        "other": any(item not in training and item not in credit for item in items),
    }


def _plan_value(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def plan_field_checks(truth_document: dict[str, Any], school: str) -> Iterator[tuple[str, Any, Any]]:
    """(field, expected, comparer) for every field the truth states; the comparer takes the
    extracted value and says whether it is right."""
    annex2 = truth_document["annex2"]
    agreement = truth_document.get("agreement") or {}
    yield "school", school, None
    for name in ("certificate", "level", "candidates", "completed_2019_2021"):
        yield name, annex2.get(name), None
    yield "exam_period.start", (annex2.get("exam_period") or {}).get("start"), None
    yield "exam_period.end", (annex2.get("exam_period") or {}).get("end"), None
    yield "sessions", annex2.get("sessions"), None
    certified = annex2.get("teachers_certified") or {}
    other = annex2.get("teachers_other") or {}
    if certified.get("names"):
        yield "teachers.certified", certified["names"], _names_in
    yield "teachers.certified_count", certified.get("count"), None
    if other.get("names"):
        yield "teachers.other", other["names"], _names_in
    if other.get("count") is not None:
        yield "teachers.other_count", other.get("count"), None
    for kind, text in (annex2.get("facilities") or {}).items():
        yield f"facilities.{kind}", text, lambda got, want: squeeze(got or "") == squeeze(want)
    fee = annex2.get("fee") or {}
    yield "funding.exam_fee_source", fee.get("source_text"), _contains_either
    yield "funding.amount_wan", fee.get("amount_wan"), None
    yield "funding.no_student_fee_declared", annex2.get("no_fee_declared"), None
    if fee.get("training_funding_text"):
        yield "funding.training_funding", fee["training_funding_text"], _contains_either
    flags = _attachments(annex2)
    if flags is not None:
        for name, flag in flags.items():
            yield f"attachments.{name}", flag, None
    yield "agreement.present", bool(agreement.get("present")), None
    if agreement.get("present"):
        yield "agreement.pages", agreement.get("pages"), None
        yield (
            "agreement.organization",
            agreement.get("party_b"),
            lambda got, want: squeeze(got or "") == squeeze(want),
        )


@dataclass
class OutsideReport:
    fields_total: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    fields_right: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    plans: Counter[str] = field(default_factory=Counter)
    cells_total: Counter[str] = field(default_factory=Counter)
    cells_right: Counter[str] = field(default_factory=Counter)
    names_total: int = 0
    names_right: int = 0
    defects: list[tuple[str, str, bool, bool]] = field(default_factory=list)  # id, where, found, vision
    false_errors: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)


def _source_of_upload(path: str) -> str:
    return path.removeprefix("uploads/")


def _source_of_ref(ref: str) -> str:
    """``inbox/<mail>.eml#<attachment>[/<member>]`` -> the export's ``<mail>.eml/<attachment>…``."""
    mail, _, rest = ref.removeprefix("inbox/").partition("#")
    return f"{mail}/{rest}"


def _current(export: ExportFile) -> dict[str, ExportDocument]:
    return {d.source: d for d in export.documents if d.superseded_by is None}


def score_plans(truth: dict[str, Any], export: ExportFile, report: OutsideReport) -> None:
    documents = _current(export)
    schools = {s["id"]: s["name"] for s in truth["schools"]}
    for entry in truth["documents"]:
        if entry.get("file_state", {}).get("state") != "ok" or not entry.get("annex2"):
            continue
        render = entry["render"]
        source = _source_of_upload(entry["path"])
        document = documents.get(source)
        data = document.data.model_dump(mode="json") if document and document.data is not None else {}
        if data.get("kind") != "plan":
            data = {}
        report.plans[render] += 1
        for name, expected, comparer in plan_field_checks(entry, schools[entry["school_id"]]):
            got = _plan_value(data, name)
            right = comparer(got, expected) if comparer else got == expected
            report.fields_total[name][render] += 1
            if right:
                report.fields_right[name][render] += 1
            else:
                report.misses.append(
                    f"{entry['id']} ({render}) {source}: {name}: expected {expected!r}, got {got!r}"
                )


_A1_ROW_CELLS = ("batch", "certificate", "level", "scale", "completed", "fee_due_wan", "fee_paid_wan")
_A1_NEW_CELLS = ("certificate", "level", "scale")


def annex1_cells(school: dict[str, Any], final: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every cell of the authoritative Attachment 1 as the export names it."""
    yield "school", school["name"]
    for part in ("name", "phone"):
        if (school.get("contact") or {}).get(part):
            yield f"contact.{part}", school["contact"][part]
    yield "existing.count", len(final["existing_rows"])
    for index, row in enumerate(final["existing_rows"]):
        for cell in _A1_ROW_CELLS:
            # An invalid batch is truth ``None``; the reader keeps what the school wrote.
            value = row["batch_as_written"] if cell == "batch" else row[cell]
            yield f"existing.{index}.{cell}", value
    yield "new.count", len(final["new_rows"])
    for index, row in enumerate(final["new_rows"]):
        for cell in _A1_NEW_CELLS:
            yield f"new.{index}.{cell}", row[cell]
    for table, written in (
        ("existing_total", final.get("existing_totals_written")),
        ("new_total", final.get("new_totals_written")),
    ):
        for cell, value in (written or {}).items():
            yield f"{table}.{cell}", value
    yield "date", final.get("date")


def _annex1_value(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if part == "count":
            return len(value) if isinstance(value, list) else None
        if isinstance(value, list):
            index = int(part)
            value = value[index] if index < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def score_annex1(truth: dict[str, Any], export: ExportFile, report: OutsideReport) -> None:
    documents = _current(export)
    everything = {d.source: d for d in export.documents}
    for school in truth["schools"]:
        final = school["attachment1"].get("final")
        if not final:
            continue
        for file in final["files"]:
            source = _source_of_ref(file["ref"])
            fmt = file["format"]
            document = documents.get(source) or everything.get(source)
            data = document.data.model_dump(mode="json") if document and document.data is not None else {}
            if data.get("kind") != "annex1":
                data = {}
            for cell, expected in annex1_cells(school, final):
                got = _annex1_value(data, cell)
                if isinstance(expected, float) and isinstance(got, int | float):
                    right = abs(got - expected) < 0.00005
                else:
                    right = got == expected
                report.cells_total[fmt] += 1
                if right:
                    report.cells_right[fmt] += 1
                else:
                    report.misses.append(
                        f"A1 {school['id']} {source}: {cell}: expected {expected!r}, got {got!r}"
                    )


def score_names(truth: dict[str, Any], export: ExportFile, report: OutsideReport) -> None:
    sources = {d.source for d in export.documents}
    for mail in truth["emails"]:
        message = mail["path"].removeprefix("inbox/")
        for attachment in mail.get("attachments") or []:
            expected = [f"{message}/{attachment['filename']}"]
            members = [m["name"] if isinstance(m, dict) else m for m in attachment.get("members") or []]
            expected += [f"{message}/{attachment['filename']}/{member}" for member in members]
            for path in expected:
                report.names_total += 1
                if path in sources:
                    report.names_right += 1
                else:
                    report.misses.append(f"name {path!r} not listed")


def _school_findings(export: ExportFile, name: str) -> list[ExportFinding]:
    findings = [f for s in export.schools if s.name == name for f in s.findings]
    findings += [
        f for d in _current(export).values() if d.school == name and d.kind != "plan" for f in d.findings
    ]
    return findings


def score_defects(truth: dict[str, Any], export: ExportFile, report: OutsideReport) -> None:
    """Each injected defect found or missed, then every error-level finding not called for."""
    documents = _current(export)
    schools = {s["id"]: s["name"] for s in truth["schools"]}
    called_for: dict[str, set[str]] = defaultdict(set)  # document source or school name -> rules
    for defect in truth["defects"]:
        if not defect.get("observable", True):
            continue
        # The project's own rounds (fixtures.outside_truth) name the rule itself.
        rules = DEFECT_RULES.get(defect["id"], (defect["id"],))
        school = schools.get(defect.get("school_id") or "", "")
        on_document = (
            defect["scope"] == "plan" and defect.get("path") and not defect["id"].startswith("PLAN_MISMATCH")
        )
        if on_document or defect["id"].startswith("FILE_"):
            source = _source_of_upload(defect["path"])
            document = documents.get(source)
            found_rules = {f.rule for f in document.findings} if document else set()
            where = source
            called_for[source].update(rules)
        else:
            found_rules = {f.rule for f in _school_findings(export, school)}
            # A plan's mismatch may be reported on the plan's school or on the plan itself.
            if defect.get("path"):
                plan = documents.get(_source_of_upload(defect["path"]))
                found_rules |= {f.rule for f in plan.findings} if plan else set()
            where = school
            called_for[school].update(rules)
        found = bool(found_rules & set(rules))
        vision = defect["id"] in VISION_DEFECTS or defect["id"] in VISION_RULES
        report.defects.append((defect["id"], where, found, vision))
    for document in documents.values():
        for finding in document.findings:
            if finding.severity != "error":
                continue
            allowed = called_for.get(document.source, set())
            if document.kind != "plan" and document.school:
                allowed = allowed | called_for.get(document.school, set())
            if finding.rule not in allowed:
                report.false_errors.append(
                    f"{document.source}: {finding.rule} (p.{finding.page}): {finding.message}"
                )
    for school in export.schools:
        for finding in school.findings:
            if finding.severity == "error" and finding.rule not in called_for.get(school.name, set()):
                report.false_errors.append(f"{school.name}: {finding.rule}: {finding.message}")


def _rate(right: int, total: int) -> str:
    return f"{right / total:7.1%}" if total else "      -"


def _cell(right: int, total: int) -> str:
    """``right/total rate`` in a fixed width of 16."""
    return f"{right:>4}/{total:<4}{right / total:>7.1%}" if total else f"{'-':>16}"


def render(report: OutsideReport) -> str:
    renders = [r for r in RENDERS if report.plans[r]]
    head = f"{'Annex 2 field':<32}" + "".join(f" {r:>16}" for r in renders) + f" {'all':>16}"
    lines = [
        "plans with a readable file: " + ", ".join(f"{r} {report.plans[r]}" for r in renders),
        "",
        head,
    ]
    totals: Counter[str] = Counter()
    rights: Counter[str] = Counter()
    for name in PLAN_FIELDS:
        if name not in report.fields_total:
            continue
        row = f"{name:<32}"
        for r in renders:
            total, right = report.fields_total[name][r], report.fields_right[name][r]
            totals[r] += total
            rights[r] += right
            row += f" {_cell(right, total)}"
        all_total = sum(report.fields_total[name].values())
        all_right = sum(report.fields_right[name].values())
        row += f" {_cell(all_right, all_total)}"
        lines.append(row)
    row = f"{'ALL FIELDS':<32}"
    for r in renders:
        row += f" {_cell(rights[r], totals[r])}"
    row += f" {_cell(sum(rights.values()), sum(totals.values()))}"
    lines.append(row)

    lines += ["", f"{'Attachment 1 cells, by format':<32} {'right':>6} {'total':>6} {'rate':>7}"]
    for fmt in sorted(report.cells_total):
        lines.append(
            f"{fmt:<32} {report.cells_right[fmt]:>6} {report.cells_total[fmt]:>6} {_rate(report.cells_right[fmt], report.cells_total[fmt])}"
        )
    lines += [
        "",
        f"attachment names decoded exactly: {report.names_right}/{report.names_total} {_rate(report.names_right, report.names_total).strip()}",
        "",
        f"{'injected defect':<34} {'found':>5}  where",
    ]
    for defect, where, found, by_vision in sorted(report.defects, key=lambda d: (d[3], d[0], d[1])):
        mark = "yes" if found else "MISS"
        lines.append(
            f"{defect:<34} {mark:>5}  {where}{'  (seal/signature: vision issue)' if by_vision else ''}"
        )
    text = [d for d in report.defects if not d[3]]
    vision = [d for d in report.defects if d[3]]
    lines += [
        f"text and file defects found: {sum(d[2] for d in text)}/{len(text)}; "
        f"seal and signature defects found: {sum(d[2] for d in vision)}/{len(vision)}",
        "",
        f"false error-level findings: {len(report.false_errors)}"
        f" ({len(report.false_errors) / max(sum(report.plans.values()), 1):.2f} per readable plan)",
        *[f"  {line}" for line in report.false_errors],
    ]
    return "\n".join(lines)


def pdfplumber_pages_per_second(pdfs: list[Path]) -> tuple[int, float]:
    """Raw pdfplumber word extraction over the same files: the yardstick for our reading speed."""
    import pdfplumber

    pages = 0
    started = time.perf_counter()
    for pdf in pdfs:
        try:
            with pdfplumber.open(pdf) as document:
                for page in document.pages:
                    page.extract_words()
                    pages += 1
        except Exception:  # the damaged files of the round; we only time what opens
            continue
    return pages, time.perf_counter() - started


def our_pages_per_second(pdfs: list[Path], round_file: Path) -> tuple[int, float]:
    """The project's own reading (text layer, classification, fields, checks) on the same files."""
    from checks import check_document
    from extractors.plan_document import extract_plan_document, plan_extractor_for
    from schemas.round_config import load_round_config

    config = load_round_config(round_file)
    extractor = plan_extractor_for(config)
    pages = 0
    started = time.perf_counter()
    for pdf in pdfs:
        result = extract_plan_document(pdf.read_bytes(), source=pdf.name, extractor=extractor)
        check_document(result, config)
        pages += result.page_count
    return pages, time.perf_counter() - started


def measure(folder: Path, export: ExportFile) -> OutsideReport:
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    report = OutsideReport()
    score_plans(truth, export, report)
    score_annex1(truth, export, report)
    score_names(truth, export, report)
    score_defects(truth, export, report)
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="uploads/, inbox/, round.toml and truth.json")
    parser.add_argument("--db", help="review database URL (default: a throw-away SQLite file)")
    parser.add_argument("--show-errors", action="store_true", help="list every field and cell missed")
    parser.add_argument(
        "--engine",
        choices=("tesseract", "rapid"),
        default="rapid",
        help="OCR engine (default rapid, as the pipeline)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="OCR every page afresh (a throw-away page cache), not from out/cache",
    )
    parser.add_argument("--export", type=Path, help="also write the round's JSON export to this file")
    args = parser.parse_args(argv)
    folder: Path = args.folder
    round_file = folder / "round.toml"
    with tempfile.TemporaryDirectory(prefix="pilot-intake-outside-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        export = run_intake(
            folder,
            args.db or f"sqlite:///{work / 'review.sqlite3'}",
            work,
            round_file=round_file,
            engine=args.engine,
            cold=args.cold,
        )
        seconds = time.perf_counter() - started
    if args.export:
        args.export.write_text(export.model_dump_json(indent=1), encoding="utf-8")
    report = measure(folder, export)
    print(render(report))
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    native = [
        folder / d["path"]
        for d in truth["documents"]
        if d["render"] in ("native", "mixed") and d.get("file_state", {}).get("state") == "ok"
    ]
    raw_pages, raw_seconds = pdfplumber_pages_per_second(native)
    our_pages, our_seconds = our_pages_per_second(native, round_file)
    print(
        f"\nintake run: {seconds:.1f} s for {len(export.documents)} documents"
        f" (Prefect's temporary server start included; OCR {args.engine}, page cache "
        f"{'cold' if args.cold else 'out/cache'})"
    )
    print(f"{'reading native and mixed PDFs':<32} {'pages':>6} {'seconds':>8} {'pages/s':>8}")
    print(
        f"{'raw pdfplumber extract_words':<32} {raw_pages:>6} {raw_seconds:>8.2f} {raw_pages / max(raw_seconds, 1e-9):>8.1f}"
    )
    print(
        f"{'pilot-intake extract + checks':<32} {our_pages:>6} {our_seconds:>8.2f} {our_pages / max(our_seconds, 1e-9):>8.1f}"
    )
    if args.show_errors and report.misses:
        print(render_misses(report.misses))


if __name__ == "__main__":
    main()
