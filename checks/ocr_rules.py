"""``file.ocr_low_confidence``: what OCR could not make out, for a person to read.

The readers note it (a required field not found on a scanned plan, a value read from words
OCR was unsure of, a declaration in a part OCR could not read); here the note becomes a
warning, with the page's crop as evidence where the page was rendered. It is never an
error: nothing is known to be wrong, only unread.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.registry import RuleHit, rule
from schemas.document import DocumentResult
from schemas.finding import Severity
from schemas.round_config import RoundConfig

RULE_ID = "file.ocr_low_confidence"


@rule(RULE_ID, Severity.WARNING, "OCR识别把握不足", "file")
def ocr_low_confidence(result: DocumentResult, config: RoundConfig) -> Iterator[RuleHit]:
    for error in result.errors:
        if error.code == RULE_ID:
            yield RuleHit(message=error.message, page=error.page, evidence=error.evidence)
