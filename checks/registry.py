"""The rule registry: one table of (id, severity, description, subject, function).

Rule ids and severities are the stable catalogue of design.md section 4. A rule function
takes the facts of its subject and the round configuration and yields ``RuleHit``s; the
registry turns hits into ``Finding``s, so a rule never builds a Finding or does I/O itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from schemas.finding import Finding, Severity
from schemas.round_config import RoundConfig

Subject = Literal["plan", "file", "annex1", "school"]


@dataclass(frozen=True)
class RuleHit:
    """One rule break. ``document`` names the file it concerns when the rule looks at several
    (the school-level rules); otherwise the document being checked is meant."""

    message: str
    page: int | None = None
    evidence: str | None = None
    document: str | None = None


RuleFunction = Callable[[Any, RoundConfig], Iterable[RuleHit]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    description: str
    subject: Subject
    function: RuleFunction


REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str, severity: Severity, description: str, subject: Subject
) -> Callable[[RuleFunction], RuleFunction]:
    """Register a rule function under its catalogue id."""

    def register(function: RuleFunction) -> RuleFunction:
        if rule_id in REGISTRY:
            raise ValueError(f"rule {rule_id} registered twice")
        REGISTRY[rule_id] = Rule(rule_id, severity, description, subject, function)
        return function

    return register


# Rules of the catalogue that one subject cannot decide alone are also run on another: an
# Attachment 1 sent only as a spreadsheet lacks its seal and signature, which only the school's
# documents together show. Same id, severity and description; another function.
ALSO: list[Rule] = []


def also_for(rule_id: str, subject: Subject) -> Callable[[RuleFunction], RuleFunction]:
    """Run ``rule_id`` (already registered) on ``subject`` too, with this function."""

    def register(function: RuleFunction) -> RuleFunction:
        entry = REGISTRY[rule_id]
        if entry.subject == subject or any(r.id == rule_id and r.subject == subject for r in ALSO):
            raise ValueError(f"rule {rule_id} registered twice for {subject}")
        ALSO.append(Rule(rule_id, entry.severity, entry.description, subject, function))
        return function

    return register


def run_rules(
    subject: Subject, facts: Any, config: RoundConfig, *, document: str | None = None
) -> list[Finding]:
    """Every registered rule of ``subject`` on ``facts``, in registry order."""
    findings = []
    for entry in [*REGISTRY.values(), *ALSO]:
        if entry.subject != subject:
            continue
        for hit in entry.function(facts, config):
            findings.append(
                Finding(
                    rule=entry.id,
                    severity=entry.severity,
                    message=hit.message,
                    document=hit.document or document,
                    page=hit.page,
                    evidence=hit.evidence,
                )
            )
    return findings
