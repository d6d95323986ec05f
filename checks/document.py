"""All checks for one document result: its ``file.*`` errors, then its plan rules."""

from __future__ import annotations

from checks.registry import run_rules
from schemas.document import DocumentResult
from schemas.finding import Finding
from schemas.round_config import RoundConfig


def check_document(result: DocumentResult, config: RoundConfig) -> list[Finding]:
    findings = run_rules("file", result.errors, config, document=result.source)
    if result.plan is not None:
        findings += run_rules("plan", result.plan, config, document=result.source)
    return findings
