"""Rule precision and recall, shared by the benchmarks: one way to count and print them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

NOTE_PREFIX = "review."


@dataclass
class RuleScores:
    """True positives, false positives and false negatives per rule id."""

    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def score(self, subject: str, expected: set[str], found: set[str], misses: list[str]) -> None:
        """Count one subject (a file, a school); every disagreement goes into ``misses``.
        Notes for a person (``review.*``) are no defect of the school's: they are counted
        apart, in ``notes``."""
        for rule in sorted(found):
            if rule.startswith(NOTE_PREFIX):
                self.notes[rule] += 1
        expected = {rule for rule in expected if not rule.startswith(NOTE_PREFIX)}
        found = {rule for rule in found if not rule.startswith(NOTE_PREFIX)}
        for rule in sorted(expected | found):
            if rule in expected and rule in found:
                self.tp[rule] += 1
            elif rule in found:
                self.fp[rule] += 1
                misses.append(f"{subject}: {rule} raised but not expected")
            else:
                self.fn[rule] += 1
                misses.append(f"{subject}: {rule} expected but not raised")

    @property
    def perfect(self) -> bool:
        return not self.fp and not self.fn

    def table(self, width: int = 30) -> list[str]:
        lines = [f"{'rule':<{width}} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>10} {'recall':>8}"]
        for rule in sorted(set(self.tp) | set(self.fp) | set(self.fn)):
            tp, fp, fn = self.tp[rule], self.fp[rule], self.fn[rule]
            precision = tp / (tp + fp) if tp + fp else float("nan")
            recall = tp / (tp + fn) if tp + fn else float("nan")
            lines.append(f"{rule:<{width}} {tp:>4} {fp:>4} {fn:>4} {precision:>10.1%} {recall:>8.1%}")
        for rule, count in sorted(self.notes.items()):
            lines.append(f"{rule:<{width}} {count:>4} notes for a person (not scored)")
        return lines


def render_misses(misses: list[str]) -> str:
    """Every disagreement, grouped by what it is about (the text before the first colon)."""
    grouped: dict[str, list[str]] = {}
    for miss in misses:
        grouped.setdefault(miss.split(":")[0], []).append(miss)
    lines = ["", "misses:"]
    for key in sorted(grouped):
        lines += [f"  {miss}" for miss in grouped[key]]
    return "\n".join(lines)
