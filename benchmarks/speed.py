"""Extraction speed and memory: ``python -m benchmarks.speed [--count N] [--seed S]``.

Generates N sample plans in a temporary folder, then times reading, page classification,
field extraction and the checks per document (the work a pipeline task does) in one pass and the heap in a second, and prints
pages per second and peak memory as a table. Generation time is not counted.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from checks import check_document
from extractors.plan_document import extract_plan_document, plan_extractor_for
from fixtures.generate import generate
from schemas.round_config import load_round_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    config = load_round_config()
    extractor = plan_extractor_for(config)
    with tempfile.TemporaryDirectory() as folder:
        generate(Path(folder), seed=args.seed, count=args.count, verify=False)
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


if __name__ == "__main__":
    main()
