"""Facts -> findings: small pure rule functions in one registry, no I/O.

Importing the package registers every rule module, so ``REGISTRY`` is complete.
"""

from checks import file_rules, plan_rules
from checks.document import check_document
from checks.registry import REGISTRY, Rule, RuleHit, run_rules

__all__ = ["REGISTRY", "Rule", "RuleHit", "check_document", "file_rules", "plan_rules", "run_rules"]
