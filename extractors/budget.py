"""A time limit per received file.

One file must not hold up a batch for ever: a sheet of a million styled rows, a zip of twenty
thousand members or a PDF of many scanned pages is read in loops, and each loop asks its
``Deadline`` at every step. Past the limit the reader stops where it is and raises the
``TimeLimitError`` that becomes the file's ``file.timeout`` finding. The clock is the process's
monotonic clock, so a changed wall clock neither ends nor extends a file's time.
"""

from __future__ import annotations

import time

from extractors.errors import TimeLimitError
from schemas.limits import DEFAULT_LIMITS, Limits


class Deadline:
    """Started once per file with ``limits.seconds_per_file``; ``check`` raises past it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.ends = self.started + seconds

    @classmethod
    def start(cls, limits: Limits = DEFAULT_LIMITS) -> Deadline:
        return cls(limits.seconds_per_file)

    def remaining(self) -> float:
        return max(0.0, self.ends - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.ends

    def check(self, where: str) -> None:
        """Raise ``TimeLimitError`` when the file's time is up; ``where`` says what was being
        read (第3页, 第12000行, ZIP附件中的第800个文件), in the reviewer's words."""
        if self.expired():
            elapsed = time.monotonic() - self.started
            raise TimeLimitError(
                "处理时间",
                f"读取到{where}时已用{elapsed:.0f}秒",
                f"{self.seconds:g}秒",
                fix="该文件过大或过于复杂，未读完的部分未经自动检查",
            )
