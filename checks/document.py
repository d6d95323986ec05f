"""The entry points of the checks: one document's findings, one school's findings."""

from __future__ import annotations

from checks.registry import run_rules
from schemas.document import DocumentResult
from schemas.finding import Finding
from schemas.round_config import RoundConfig
from schemas.school import SchoolFacts


def check_document(result: DocumentResult, config: RoundConfig) -> list[Finding]:
    """Its ``file.*`` errors, then the rules of what it turned out to be (plan or Attachment 1)."""
    findings = run_rules("file", result, config, document=result.source)
    if result.plan is not None:
        findings += run_rules("plan", result.plan, config, document=result.source)
    if result.annex1 is not None:
        findings += run_rules("annex1", result.annex1, config, document=result.source)
    return findings


def check_school(facts: SchoolFacts, config: RoundConfig) -> list[Finding]:
    """The cross-document rules over a school's current documents."""
    return run_rules("school", facts, config)
