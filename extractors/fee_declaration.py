"""Does the plan declare that students pay no training or exam fee?

The notice requires every plan to state 不向学生收取任何培训、考核费用. Schools phrase it many
ways, and some write the opposite (费用由学生自行承担) or both (a declaration in one place, a
per-student charge in another). The verdict is "declared" only for an affirmative statement
with no contradiction anywhere in the plan; a statement whose negator is itself negated
(并非不向学生收取) counts as a contradiction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from extractors.normalize import matching_text

Polarity = Literal["affirmative", "negated", "contradiction"]

_NEGATOR = r"(?:不|不得|不会|不再|不予|无需|无须|不需|不需要|不用|免|免于|免除|严禁|禁止|杜绝|未|没有|拒绝)"
# A negator in front of a negator ("并非不收取") turns the statement around.
_DOUBLE_NEGATION = re.compile(r"(?:并非|并不是|不是|并不)\s*$")

# Affirmative statements: students pay nothing for training or exams.
_AFFIRMATIVE = [
    re.compile(p)
    for p in (
        r"(?:不|不得|严禁|禁止|杜绝|不会|不再|不予)(?:以任何(?:名义|形式|理由))?(?:向|对|从)?(?:参训|参考|参加考核的|参与试点的|试点)?学生(?:个人)?"
        r"(?:收取|收|征收|加收|摊派)",
        r"(?:不|不得|严禁|禁止)收取(?:参训|参考|试点)?学生(?:个人)?(?:的)?(?:任何)?.{0,10}费",
        r"学生(?:参加|参与|在)?.{0,14}(?:不|无需|无须|不需|不需要|不用|免)(?:再)?(?:缴纳|缴|交纳|交|支付|承担|负担|出)(?:任何)?.{0,10}(?:费|钱)",
        r"学生.{0,6}(?:免费|零费用|零收费)(?:参加|参与|接受)",
        r"(?:免费|零收费)(?:为|向|对)?(?:参训|参考)?学生(?:提供|开展|组织)",
        r"(?:培训|考核|考试)(?:和|及|、|与)?(?:培训|考核|考试)?(?:费用|费)?.{0,8}(?:学生|个人)(?:均|全部)?(?:免费|免交|免缴|无需缴纳|不缴纳|零收费)",
        r"对学生(?:实行|实施)?(?:免费|零收费)",
    )
]

# Statements that students do pay; each is checked for a negator just before it.
_CONTRADICTION = [
    re.compile(p)
    for p in (
        r"由(?:参训|参考)?学生(?:个人|本人)?(?:自行|自己|自主)?(?:承担|缴纳|交纳|支付|负担|自理|出资|自付|付费)",
        r"学生(?:个人|本人)?(?:需|须|应|需要|必须|要|自行|自己)+(?:缴纳|交纳|支付|承担|负担|缴费|交费|付费)",
        r"(?:向|对|从)(?:参训|参考|参加考核的)?学生(?:个人)?(?:收取|收|征收|加收|摊派)",
        r"(?:培训|考核|考试)(?:费用|费)(?:由学生)?(?:自理|自付|自费|自筹)",
        r"学生(?:自费|自理|自筹|缴费|交费)",
        r"(?:收取|收)(?:学生)?(?:培训|考核|考试)?(?:费用|费)?\d+(?:\.\d+)?元",
    )
]


@dataclass(frozen=True)
class FeeStatementMatch:
    text: str
    polarity: Polarity
    start: int
    end: int


def _sentences(text: str) -> list[tuple[int, str]]:
    """Split at sentence ends; line breaks are not sentence ends (the phrase often wraps)."""
    pieces = []
    start = 0
    for match in re.finditer(r"[。；;！!？?]", text):
        pieces.append((start, text[start : match.end()]))
        start = match.end()
    if start < len(text):
        pieces.append((start, text[start:]))
    return pieces


def _clause(sentence: str, position: int) -> str:
    """The evidence a reviewer reads: the clause holding the statement, from the last comma
    or colon before it to the sentence end, at most 80 characters."""
    starts = [sentence.rfind(mark, 0, position) for mark in "，,：:、"]
    start = max(starts) + 1 if max(starts) >= 0 else 0
    return sentence[start:].strip()[:80]


def _is_negated(sentence: str, position: int) -> bool:
    before = sentence[max(0, position - 8) : position]
    return re.search(_NEGATOR + r"$", before) is not None


def find_fee_statements(text: str) -> list[FeeStatementMatch]:
    """Every statement about student fees in ``text`` (the plan's text, lines joined without
    separators), with its polarity."""
    folded = re.sub(r"\s+", "", matching_text(text))
    statements: list[FeeStatementMatch] = []
    for offset, sentence in _sentences(folded):
        affirmed: list[re.Match[str]] = []
        for pattern in _AFFIRMATIVE:
            affirmed.extend(pattern.finditer(sentence))
        contradictions: list[re.Match[str]] = []
        for pattern in _CONTRADICTION:
            for match in pattern.finditer(sentence):
                if _is_negated(sentence, match.start()):
                    continue
                if any(a.start() <= match.start() < a.end() for a in affirmed):
                    continue
                # Two patterns often match one clause (由学生自行承担 / 学生自行承担): keep one.
                if any(c.start() < match.end() and match.start() < c.end() for c in contradictions):
                    continue
                contradictions.append(match)
        for match in affirmed:
            doubled = _DOUBLE_NEGATION.search(sentence[: match.start()]) is not None
            statements.append(
                FeeStatementMatch(
                    text=_clause(sentence, match.start()),
                    polarity="negated" if doubled else "affirmative",
                    start=offset + match.start(),
                    end=offset + match.end(),
                )
            )
        for match in contradictions:
            statements.append(
                FeeStatementMatch(
                    text=_clause(sentence, match.start()),
                    polarity="contradiction",
                    start=offset + match.start(),
                    end=offset + match.end(),
                )
            )
    statements.sort(key=lambda s: s.start)
    return statements


def no_student_fee_declared(statements: list[FeeStatementMatch]) -> bool:
    """Declared when at least one affirmative statement stands and nothing contradicts it."""
    has_affirmative = any(s.polarity == "affirmative" for s in statements)
    has_contrary = any(s.polarity in ("negated", "contradiction") for s in statements)
    return has_affirmative and not has_contrary
