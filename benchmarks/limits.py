"""Peak memory and time of a run over hostile files next to a run over normal ones.

    python -m benchmarks.limits [--schools K] [--keep DIR]

Builds, in a temporary folder, an upload folder and a folder inbox of hostile files (three
PDFs whose content stream inflates to 1 GB, a PDF whose image claims ten billion pixels, a
600-page PDF; e-mails carrying a million-row xlsx named 附件1.xlsx, a zip bomb of a 1 GB
member, zips nested five deep, a zip of 20,001 members with Attachment 1 last, a pixel-bomb PNG
named as a scan of Attachment 1, random bytes and a zip of random bytes named 附件1.xlsx), and a
normal round (``fixtures.round --seed 7``). Each is processed by ``pilot-intake process`` in a
child process with the default limits; the table shows files, findings, seconds and the peak
resident memory of the run (``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of a wrapper process
whose only child is the run). The target is a hostile peak within twice the normal one; the
figures are printed, not asserted. A second table says what each hostile file became.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.hostile import (
    inflating_pdf,
    mail_with,
    many_rows_xlsx,
    nested_zip,
    pdf_with_huge_image,
    pdf_with_objects,
    png_header,
    random_bytes,
    stream_object,
    zip_bomb,
    zip_of,
)

GIB = 1024 * 1024 * 1024


def build_hostile(folder: Path, *, scale: int = GIB) -> dict[str, str]:
    """Write the hostile uploads and e-mails; returns source -> what it is."""
    uploads, inbox = folder / "uploads" / "长沙学院", folder / "inbox"
    uploads.mkdir(parents=True)
    inbox.mkdir(parents=True)
    cases: dict[str, str] = {}
    bomb_pdf = inflating_pdf(scale)
    for number in range(1, 4):  # three of them: a different trailing comment, a different file
        name = f"物流管理试点方案{number}.pdf"
        (uploads / name).write_bytes(bomb_pdf + b"%" * number + b"\n")
        cases[f"长沙学院/{name}"] = f"PDF，内容流解压为{scale // (1024 * 1024)}MB"
    (uploads / "像素炸弹方案.pdf").write_bytes(pdf_with_huge_image(100_000, 100_000))
    cases["长沙学院/像素炸弹方案.pdf"] = "PDF，图片声明100亿像素"
    (uploads / "六百页方案.pdf").write_bytes(pdf_with_objects([stream_object(b"q Q", b"")], page_count=600))
    cases["长沙学院/六百页方案.pdf"] = "PDF，600页"
    mails: dict[str, tuple[str, list[tuple[str, bytes]]]] = {
        "rows.eml": ("一百万行", [("附件1.xlsx", many_rows_xlsx(1_000_000))]),
        "bomb.eml": ("压缩炸弹", [("材料.zip", zip_bomb(scale))]),
        "deep.eml": ("五层压缩包", [("材料.zip", nested_zip(5, [("附件1.xlsx", b"never reached")]))]),
        "many.eml": (
            "20001个文件的压缩包",
            [
                (
                    "全部材料.zip",
                    zip_of([(f"照片/{n:05d}.txt", b"x") for n in range(20_000)] + [("附件1.xlsx", b"PK")]),
                )
            ],
        ),
        "pixels.eml": ("像素炸弹", [("附件1扫描件.png", png_header(100_000, 100_000))]),
        "random.eml": ("随机字节", [("附件1.xlsx", random_bytes(1024 * 1024))]),
        "randomzip.eml": (
            "随机字节的压缩包",
            [("附件1.xlsx", zip_of([("数据.bin", random_bytes(1024 * 1024))]))],
        ),
    }
    for file, (what, attachments) in mails.items():
        (inbox / file).write_bytes(mail_with(attachments, subject=f"长沙学院 {what}"))
        cases[file] = f"邮件：{what}"
        for name, _ in attachments:
            cases[f"{file}/{name}"] = f"{what}的附件"
    return cases


def build_normal(folder: Path, schools: int) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "fixtures.round",
            "--out",
            str(folder),
            "--seed",
            "7",
            "--schools",
            str(schools),
        ],
        check=True,
        capture_output=True,
    )


def _child(args: list[str]) -> int:
    """Run ``pilot-intake ARGS`` and print its time and peak memory as JSON (the wrapper's
    only child is the run, so RUSAGE_CHILDREN is the run's)."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "returncode": done.returncode,
                "seconds": seconds,
                "peak_kib": peak_kib,
                "tail": done.stdout[-600:],
            }
        )
    )
    return 0


def run(folder: Path, work: Path) -> dict[str, Any]:
    """Process ``folder`` (uploads/ and inbox/) in a child process; its figures and export."""
    work.mkdir(parents=True, exist_ok=True)
    db = ["--db", f"sqlite:///{work / 'review.sqlite3'}"]
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect-home")}
    env.pop("PREFECT_API_URL", None)
    env.pop("PILOT_INTAKE_DB_URL", None)
    process = [
        "process",
        str(folder / "uploads"),
        "--inbox",
        str(folder / "inbox"),
        *db,
        "--archive",
        str(work / "archive"),
    ]
    wrapper = subprocess.run(
        [sys.executable, "-m", "benchmarks.limits", "--child", "--", *process],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        check=True,
    )
    figures: dict[str, Any] = json.loads(wrapper.stdout.strip().splitlines()[-1])
    export = work / "export.json"
    subprocess.run(
        [sys.executable, "-m", "flows.cli", "export", "--json", str(export), *db],
        env=env,
        cwd=work,
        check=True,
        capture_output=True,
    )
    figures["documents"] = json.loads(export.read_text(encoding="utf-8"))["documents"]
    return figures


def _row(name: str, figures: dict[str, Any]) -> str:
    documents = figures["documents"]
    severities = Counter(f["severity"] for d in documents for f in d["findings"])
    return (
        f"| {name} | {len(documents)} | {severities['error']} | {severities['warning']} | "
        f"{figures['seconds']:.1f} | {figures['peak_kib'] / 1024:.0f} | {figures['returncode']} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.limits", description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=8, help="schools in the normal round (default 8)")
    parser.add_argument(
        "--keep", type=Path, help="build and keep the folders here instead of a temporary one"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child([a for a in args.rest if a != "--"])
    with tempfile.TemporaryDirectory(prefix="limits-") as temporary:
        root = args.keep or Path(temporary)
        cases = build_hostile(root / "hostile")
        build_normal(root / "normal", args.schools)
        normal = run(root / "normal", root / "work-normal")
        hostile = run(root / "hostile", root / "work-hostile")
    print("| run | files | errors | warnings | seconds | peak RSS (MB) | exit |")
    print("|---|---|---|---|---|---|---|")
    print(_row(f"normal ({args.schools} schools)", normal))
    print(_row("hostile", hostile))
    ratio = hostile["peak_kib"] / normal["peak_kib"]
    print(f"\nhostile peak / normal peak = {ratio:.2f} (target ≤ 2)\n")
    print("| hostile file | what it is | findings |")
    print("|---|---|---|")
    by_source = {d["source"]: d for d in hostile["documents"]}
    for source, what in cases.items():
        document = by_source.get(source)
        rules = "、".join(sorted({f["rule"] for f in document["findings"]})) if document else "（未列出）"
        print(f"| {source} | {what} | {rules or '（无）'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
