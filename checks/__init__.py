"""Facts -> findings: small pure rule functions in one registry, no I/O.

Importing the package registers every rule module, so ``REGISTRY`` is complete.
"""

from checks import annex1_copies, annex1_rules, file_rules, ocr_rules, plan_rules, school_rules
from checks.document import check_document, check_school
from checks.registry import REGISTRY, Rule, RuleHit, run_rules

__all__ = [
    "REGISTRY",
    "Rule",
    "RuleHit",
    "annex1_copies",
    "annex1_rules",
    "check_document",
    "check_school",
    "file_rules",
    "ocr_rules",
    "plan_rules",
    "run_rules",
    "school_rules",
]
