"""Speed: ``python -m benchmarks.speed [--section extraction|startup|all]``.

``extraction`` generates N sample plans in a temporary folder, then times reading, page
classification, field extraction and the checks per document (the work a pipeline task does)
in one pass and the heap in a second, and prints pages per second and peak memory as a table.
Generation time is not counted.

``startup`` measures the fixed cost of a run: real ``pilot-intake process`` subprocesses, as a
user starts them, on an upload folder with nothing new and on one with one new generated plan
(``python -m fixtures.generate --seed 1 --count 1``). Each is run with a new ``PREFECT_HOME``
and a new ``out/`` (a first run on a fresh machine), with a new ``PREFECT_HOME`` and the
``out/`` of an earlier run, and with both kept from the run before. For the one-PDF runs the
review database, archive and cache are removed first (as ``make demo`` does), so the plan is
new every time. ``--busy N`` keeps N busy-loop processes running meanwhile (a loaded machine).
It prints the seconds until the flow begins (Prefect's start-up) and the whole run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# (label, new PREFECT_HOME, new out/)
STATES = (
    ("first run: new PREFECT_HOME, new out/", True, True),
    ("new PREFECT_HOME, out/ of an earlier run", True, False),
    ("PREFECT_HOME and out/ of the run before", False, False),
)
KINDS = ("nothing new", "one new PDF")
FLOW_BEGINS = "Beginning flow run"


def extraction(count: int, seed: int) -> None:
    from checks import check_document
    from extractors.plan_document import extract_plan_document, plan_extractor_for
    from fixtures.generate import generate
    from schemas.round_config import load_round_config

    config = load_round_config()
    extractor = plan_extractor_for(config)
    with tempfile.TemporaryDirectory() as folder:
        generate(Path(folder), seed=seed, count=count, verify=False)
        files = sorted(Path(folder).glob("*.pdf"))
        contents = [path.read_bytes() for path in files]
    durations: list[float] = []
    pages = 0
    started = time.perf_counter()
    for path, content in zip(files, contents, strict=True):
        begin = time.perf_counter()
        result = extract_plan_document(content, source=path.name, extractor=extractor)
        check_document(result, config)
        durations.append(time.perf_counter() - begin)
        pages += result.page_count
    elapsed = time.perf_counter() - started
    # A second pass measures the heap; tracemalloc would distort the timings above.
    tracemalloc.start()
    for path, content in zip(files, contents, strict=True):
        check_document(extract_plan_document(content, source=path.name, extractor=extractor), config)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("documents", f"{len(files)}"),
        ("pages", f"{pages}"),
        ("total seconds", f"{elapsed:.2f}"),
        ("pages per second", f"{pages / elapsed:.1f}"),
        ("seconds per document (median)", f"{statistics.median(durations):.3f}"),
        ("seconds per document (max)", f"{max(durations):.3f}"),
        ("peak Python heap (MiB, tracemalloc)", f"{traced_peak / 2**20:.1f}"),
        ("peak resident memory (MiB)", f"{max_rss_mib:.1f}"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  value")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


@dataclass
class Cell:
    """The runs of one state and kind: seconds until the flow began, and in all."""

    startup: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def render(self) -> tuple[str, str]:
        if self.failures:
            return f"{len(self.failures)} of {len(self.failures) + len(self.total)} failed", ""
        return _seconds(self.startup), _seconds(self.total)


def _seconds(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{statistics.median(values):.1f} ({max(values):.1f})"


def _command() -> list[str]:
    beside = Path(sys.executable).with_name("pilot-intake")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "flows.cli"]


def _user_environment(home: Path) -> dict[str, str]:
    """The environment of a user who configured nothing: no Prefect or pilot-intake settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PILOT_INTAKE_"))}
    env["PREFECT_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def timed_run(uploads: Path, work: Path, home: Path) -> tuple[float | None, float, int, str]:
    """One ``pilot-intake process`` in ``work``: (seconds until the flow began, in all, exit code, tail)."""
    began: float | None = None
    tail: list[str] = []
    start = time.perf_counter()
    with subprocess.Popen(
        [*_command(), "process", str(uploads)],
        cwd=work,
        env=_user_environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as run:
        assert run.stdout is not None
        for line in run.stdout:
            if began is None and FLOW_BEGINS in line:
                began = time.perf_counter() - start
            tail = [*tail[-4:], line.rstrip()]
        code = run.wait()
    return began, time.perf_counter() - start, code, " | ".join(tail)[-600:]


@contextmanager
def busy(count: int) -> Iterator[None]:
    """``count`` processes that spin on a core each, until the block ends."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
        for spinner in spinners:
            spinner.wait(timeout=10)


def startup(repeat: int, busy_count: int) -> None:
    cells = {(state[0], kind): Cell() for state in STATES for kind in KINDS}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        empty, one = scratch / "empty", scratch / "one"
        empty.mkdir()
        plans = scratch / "generated"
        subprocess.run(
            [sys.executable, "-m", "fixtures.generate", "--out", str(plans), "--seed", "1", "--count", "1"],
            check=True,
            capture_output=True,
        )
        one.mkdir()
        for pdf in plans.glob("*.pdf"):
            shutil.copy(pdf, one / pdf.name)
        work = scratch / "work"
        home = scratch / "home-0"
        homes = 0
        with busy(busy_count):
            for _ in range(repeat):
                for kind in KINDS:
                    for label, new_home, new_out in STATES:
                        if new_home:
                            homes += 1
                            home = scratch / f"home-{homes}"
                            home.mkdir()
                        if new_out:
                            shutil.rmtree(work, ignore_errors=True)
                            work.mkdir()
                        if kind == "one new PDF":
                            for name in ("review.sqlite3", "archive", "cache"):
                                target = work / "out" / name
                                if target.is_dir():
                                    shutil.rmtree(target)
                                elif target.exists():
                                    target.unlink()
                        began, total, code, tail = timed_run(
                            one if kind == "one new PDF" else empty, work, home
                        )
                        cell = cells[(label, kind)]
                        if code != 0 or began is None:
                            cell.failures.append(f"exit {code}: {tail}")
                        else:
                            cell.startup.append(began)
                            cell.total.append(total)
    load = f"{busy_count} busy-loop processes running" if busy_count else "no busy-loop processes"
    print(
        f"fixed cost of `pilot-intake process` in seconds ({os.cpu_count()} cores, {load}, load average "
        f"{load_before:.1f} before and {os.getloadavg()[0]:.1f} after; median of {repeat}, max in brackets)"
    )
    print("'flow begins': until Prefect's flow run began (imports and the temporary API server)")
    width = max(len(label) for label, *_ in STATES)
    print(f"{'':<{width}}" + "".join(f" | {kind:<27}" for kind in KINDS))
    print(f"{'state':<{width}}" + " | flow begins   total        " * len(KINDS))
    for label, *_ in STATES:
        row = "".join(f" | {a:<13} {b:<13}" for a, b in (cells[(label, kind)].render() for kind in KINDS))
        print(f"{label:<{width}}{row}")
    for (label, kind), cell in cells.items():
        for failure in cell.failures:
            print(f"FAILED {label}, {kind}: {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--section", choices=("all", "extraction", "startup"), default="all")
    parser.add_argument("--count", type=int, default=40, help="plans for the extraction section")
    parser.add_argument("--seed", type=int, default=11, help="seed for the extraction section")
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell of the startup section")
    parser.add_argument("--busy", type=int, default=0, help="busy-loop processes during the startup section")
    args = parser.parse_args()
    if args.section in ("all", "extraction"):
        extraction(args.count, args.seed)
    if args.section == "all":
        print()
    if args.section in ("all", "startup"):
        startup(args.repeat, args.busy)


if __name__ == "__main__":
    main()
