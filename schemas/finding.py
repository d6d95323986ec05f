"""A finding: one rule break (or one unreadable file) that a reviewer must act on."""

from __future__ import annotations

from enum import StrEnum

from schemas.common import StrictModel


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Finding(StrictModel):
    """Rule id and severity from the catalogue (design.md section 4); the message is Chinese
    and says what to do; ``page`` is 1-based; ``evidence`` is a text snippet or the path of a
    cropped image."""

    rule: str
    severity: Severity
    message: str
    document: str | None = None
    page: int | None = None
    evidence: str | None = None
