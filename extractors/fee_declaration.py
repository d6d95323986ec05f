"""Does the plan declare that students pay no training or exam fee, read as a reviewer reads it?

The notice requires every plan to state 不向学生收取任何培训、考核费用. Schools phrase it many
ways (学生不承担任何培训及考核费用, 培训、考核费用均不向学生收取, 学生免费参加培训和考核 …),
and a reviewer accepts only an *affirmative, unconditional* statement that covers *both* fees.
Everything else that talks about student fees falls short and must be quoted back to the school:

- weakened: a hedge in front of the negator (尽量/原则上/一般/力争/争取/暂 …不向学生收取);
- partial: the statement covers the training fee only, or the exam fee only (不向学生收取任何
  培训费用), where the union of the plan's firm statements is what has to cover both;
- conditional: a condition or an exception (如…则不收取, 在…的情况下, 除…外, …除外);
- negated: the negator is itself negated (并非不向学生收取, 不能保证不收取, 不得不收取);
- contradiction: students do pay (学生自行承担, 由学生缴纳, 收取…元/人).

A statement of who funds the exam (考核费用由学校统一支付) is not the declaration: schools that
never declare write it too. Only the plan's own statements count. When the cooperation
agreement's pages reach this text (page classification merged them into the plan), its clauses
(乙方不得向学生收取…, or an item under 甲方权利与义务) are recognised by their party subject and
left out, because the agreement binding the parties is not the plan telling the office.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from extractors.normalize import matching_text
from schemas.document import FeeStatement

# The schema's three verdicts (schemas.document.FeeStatement): every shortfall that is not a
# contradiction is a statement whose force is taken away, which the schema calls "negated".
Polarity = Literal["affirmative", "negated", "contradiction"]
Kind = Literal["declared", "partial", "weakened", "conditional", "negated", "contradiction"]

# Worst first: the finding quotes the statement that is furthest from the declaration.
KIND_ORDER: tuple[Kind, ...] = ("contradiction", "negated", "conditional", "weakened", "partial", "declared")

_NEG = (
    r"(?:一律不得|一律不|均不得|均不|都不|概不|绝不|决不|从不|坚决不|不得|不会|不再|不予|不能|不准|"
    r"不允许|不应|不需要|不需|无需|无须|不用|不必|严禁|禁止|杜绝|拒绝|没有|未|不)"
)
# Who the students are, as plans write them (参训学生, 参加考核的学生, 学生及家长, 考生, 学员).
_STUDENT = (
    r"(?:参加[^，。；,:：]{0,12}?的|参与[^，。；,:：]{0,12}?的)?"
    r"(?:参训|参考|参试|参评|应考|在校|在籍|试点|相关专业|本校|我校|全体|所有|广大)?"
    r"(?:学生|考生|学员)(?:及其?家长|和家长|或家长|家长|个人|本人)?"
)
_ANY_MANNER = r"(?:以任何(?:名义|形式|理由|方式|借口))?"
_EXTRA = r"(?:再|额外|另行|另外|另)?"
_CHARGE = r"(?:收取|收缴|征收|加收|摊派|索取|收费|收)"
# Single-character 缴/交 only before what is paid (学生不交流 is not a payment).
_PAY = (
    r"(?:缴纳|交纳|缴费|交费|支付|付费|承担|负担|出资|掏钱|花费|花钱|出钱|交钱|(?:缴|交)(?=任何|费|钱|一分))"
)
_FREE = r"(?:免费|全免|免交|免缴|免收|免除|零收费|零费用|零缴费|零成本|零负担)"
# A reduction is not a waiver: 对学生减免培训、考核费用 still lets the school charge something.
_REDUCED = r"(?:减免|减收|减半|少收|优惠)"

# Each pattern marks one statement that students are not charged; group "neg" is where its
# negation starts (hedges and double negation are looked for just before it).
_NO_FEE = [
    re.compile(p)
    for p in (
        # 不向学生收取…, 不得以任何名义向参训学生收取…, 对学生一律不收取…
        rf"(?P<neg>{_NEG}){_ANY_MANNER}{_EXTRA}(?:向|对|从){_STUDENT}{_EXTRA}{_ANY_MANNER}{_CHARGE}",
        rf"(?:向|对){_STUDENT}(?P<neg>{_NEG}){_EXTRA}{_CHARGE}",
        # 不由学生承担…, 无需学生缴纳…, 不要求学生支付…
        rf"(?P<neg>{_NEG})(?:由|让|要求|需要?)?{_STUDENT}(?:个人|自行|额外|另行)?{_PAY}",
        # 不收取学生任何费用, 免收学生…
        rf"(?P<neg>{_NEG}{_EXTRA}(?:收取|收)|免收|免除){_STUDENT}",
        # 学生参加培训和考核不缴纳任何费用, 学生不承担…, 学生免费参加…, 学生无需付费
        rf"{_STUDENT}(?P<gap>[^，。；,:：]{{0,24}}?)(?P<neg>{_NEG}{_EXTRA}(?:{_PAY}|收取|收)|{_FREE})",
        # 免除参加校外培训和考核学生的一切费用
        r"(?P<neg>免收|免除|免去)[^，。；,:：]{0,16}?(?:学生|考生|学员)[^，。；,:：]{0,16}?费",
        # 对学生实行免费, 培训和考核对学生免费, 免费为学生提供培训和考核
        rf"(?:对|向|为){_STUDENT}(?:实行|实施|一律|全部|均|完全)?(?P<neg>{_FREE}|不收费)",
        rf"(?P<neg>免费|无偿)(?:为|向|对){_STUDENT}(?:提供|开展|组织|进行)",
        rf"(?:对|向|为){_STUDENT}[^，。；,:：]{{0,6}}?(?P<neg>{_REDUCED})",
        rf"{_STUDENT}[^，。；,:：]{{0,12}}?(?P<neg>{_REDUCED})",
    )
]
# Without naming the students: 我校不收取任何培训、考核费用. An organisation's own promise
# (评价组织不收取任何费用) is not the school's declaration.
_NO_FEE_NAMELESS = re.compile(
    rf"(?P<neg>{_NEG}){_EXTRA}(?:收取|缴纳|交纳|收)(?:任何|一切|所有)[^，。；,:：]{{0,20}}?费"
)
_ORGANISATION = re.compile(r"组织|乙方|甲方|企业|公司|机构|中心|单位")
# 承担, 负担, 免除 speak of money only when a fee is named (学生不承担考务工作 is not about fees).
_MONEY_VERB = re.compile(r"收|缴|交|费|钱|付")
# The school bearing *all* of both fees says the students pay none; it counts only when it
# names both itself (考核费用共计1.5万元，全部由学校… is the template's exam-only funding line,
# and joining it to a training-only promise would pass a partial declaration).
_BOTH_FEES = r"(?:培训|考核|考试)(?:费用|费)?(?:、|和|及|与|以及)(?:培训|考核|考试)(?:等)?(?:的)?(?:全部|所有|一切)?(?:费用|费)"
_SCHOOL = r"(?:学校|我校|本校|学院)"
_SCHOOL_BEARS_ALL = re.compile(
    rf"(?P<neg>(?:全部|所有|一切)?{_BOTH_FEES}(?:全部|全额|均|一律)?由?{_SCHOOL}(?:全部|全额)?(?:承担|支付|负担|列支|解决)"
    rf"|{_SCHOOL}(?:全部|全额)?(?:承担|负担|支付)(?:全部|所有|一切)?{_BOTH_FEES})"
)
_ALL = re.compile(r"全部|全额|一切|所有")
# When the students do not pay because someone else "does not pay" (学校不承担补考费用), the
# subject right before the negator is that someone.
_OTHER_PAYER = re.compile(
    r"(?:学校|我校|本校|学院|院校|组织|乙方|甲方|企业|公司|单位|政府|财政|机构|中心)(?:均|都|也|将|会|一律|亦)?$"
)

# Statements that students do pay; each is dropped when a negator stands just before it.
_CONTRADICTION = [
    re.compile(p)
    for p in (
        rf"由{_STUDENT}(?:自行|自己|自主|全额|统一)?(?:承担|缴纳|交纳|支付|负担|自理|出资|自付|付费|缴费|交费)",
        rf"{_STUDENT}(?:每人|个人|本人)?(?:需|须|应|需要|必须|要|自行|自己|自愿|按标准|另行|仅|只)+"
        r"(?:缴纳|交纳|支付|承担|负担|缴费|交费|付费|缴|交)",
        rf"(?:向|对|从){_STUDENT}{_EXTRA}{_CHARGE}",
        r"(?:培训|考核|考试|考证|报名|补考|重考|资料|教材)(?:费用|费)(?:由)?(?:学生)?(?:个人|本人)?"
        r"(?:自理|自付|自费|自筹|自行承担|自行缴纳|个人承担|个人负担|个人缴纳)",
        rf"{_STUDENT}(?:自愿)?(?:自费|自理|自筹|缴费|交费|付费)",
        rf"{_STUDENT}(?:每人|个人)?(?:需|须|应)?(?:缴纳|交纳|缴|交|支付)[^，。；]{{0,10}}?\d+(?:\.\d+)?元",
        r"(?:费用|费)(?:由)?(?:个人|本人|家长)(?:自行)?(?:承担|负担|缴纳|支付|自理)",
        rf"(?:适当|酌情|少量|部分)(?:向{_STUDENT})?(?:收取|收费)",
    )
]
# 收取考核费260元/人 says students pay only when the sentence is about students and not about
# the school paying the organisation (学校按260元/人向评价组织支付).
_CHARGE_AMOUNT = re.compile(
    r"(?:收取|收)[^，。；]{0,12}?\d+(?:\.\d+)?(?:元|万元)|\d+(?:\.\d+)?元(?:/人|每人)?(?:的标准)?(?:向学生)?收取"
)
_ABOUT_STUDENTS = re.compile(r"学生|考生|学员|每生")
_SCHOOL_PAYS = re.compile(r"由学校|学校(?:统一)?(?:支付|承担|列支)|财政|专项资金|经费中列支")
# 学生个人负担：0元 is a zero, not a charge.
_ZERO_AFTER = re.compile(r"^[^，。；,]{0,6}?(?:：|:|为)(?:0|零|无|否)(?:元|。|，|,|；|;|$)|^(?:0|零)元")
# 是否向学生收取… is a question (a form's row), answered after it, not a charge.
_NEGATED_BEFORE = re.compile(
    r"(?:" + _NEG + r"|是否)" + _ANY_MANNER + _EXTRA + r"(?:由|向|对|从|让|要求|需要?)?$"
)
# A form's row: 是否向学生收取培训、考核费用：否. The answer decides; without one it says nothing.
_QUESTION = re.compile(
    rf"是否{_EXTRA}(?:向|对|由)?{_STUDENT}?{_EXTRA}(?:{_CHARGE}|{_PAY})(?P<object>[^，。；:：]{{0,24}}?费用?)"
    r"[:：]?(?P<answer>否|不收取|不收|不|无|没有|是|收取|有)"
)
_ZERO_AMOUNT = re.compile(r"(?<![\d.])0(?:\.0+)?万?元$")
# Costs outside the rule (travel, board): a plan may leave them to students.
_UNRELATED_COST = re.compile(r"交通|食宿|住宿|餐|生活|往返|差旅|伙食")

# Hedges that weaken a promise wherever they stand in its clause (原则上试点期间不向学生收取),
# and words that hedge only right before the negator (一般 is also 一般公共预算).
_HEDGE_IN_CLAUSE = re.compile(
    r"尽最大努力|尽量|尽可能|尽力|原则上|力争|力求|争取|努力|酌情|视情况|根据情况|基本上|大多数|可能|希望|逐步"
)
# 暂 also stands in 暂行办法 and 部分 in 第五部分, so they hedge only right before the negator.
_HEDGE_ADJACENT = re.compile(
    r"(?:一般|通常|基本|大体|多数|大多|暂时|暂且|暂|(?<![第一二三四五六七八九十\d])(?:大)?部分)"
    r"(?:情况下|来说|而言|上|学生)?(?:做到|实现|都|均|会|将|应|可)?$"
)
# Lines are joined without separators, so a form's cells make one long "clause": what qualifies
# a statement stands this close to it.
_REACH = 16
# A hedge that governs another verb (积极争取财政资金确保不向学生收取) leaves the promise firm.
_FIRM = re.compile(r"确保|保证|承诺|坚决|严格|坚持")
# A clause that ends in a hedge (原则上，不向学生收取…; a label or a form's cell may stand
# before it, the lines being joined).
_HEDGE_CLAUSE = re.compile(
    r"(?:" + _HEDGE_IN_CLAUSE.pattern + r"|一般情况下|一般来说|一般而言|通常情况下|通常|一般)$"
)
_DOUBLE_NEGATION = re.compile(
    r"(?:并非|并不是|不是|并不|未必|不一定|不可能|不能|不得|无法|未能|"
    r"(?:不能|无法|难以|不|未|没有|并未|不会)(?:保证|承诺|确保|做到|实现))$"
)
# Conditions standing before the statement in its sentence, and exceptions anywhere in it.
_CONDITION_BEFORE = re.compile(
    r"(?:如果|如若|假如|倘若|若(?!干)|一旦|(?<![例比诸假])如(?![下期实数今何同此上前所]))[^，。；,]{1,24}?(?:[，,]|则|时|的话)"
    r"|(?<!任何)(?<!各种)(?<!一切)(?<!一般)(?<!通常)(?:情况|前提|条件)下"
    r"|(?:经费|资金|财政|拨款)[^，。；,]{0,8}(?:到位|充足|允许|落实)(?:后|时|的话)"
    r"|视[^，。；,]{1,12}(?:而定|决定|确定)"
    r"|未经[^，。；,]{0,12}?(?:批准|同意|许可)"
)
_EXCEPTION = re.compile(r"(?<![免消排清解删剔])除[^，。；,]{1,20}?(?:外|以外|之外)|除外|另有规定|特殊情况")

_TRAINING = re.compile(r"培训|训练|教学|辅导|授课|课程|实训")
_EXAM = re.compile(r"考核|考试|考证|考评|鉴定|测评|认证|取证|报考|报名|补考|重考|证书费|发证")
# A fee that is neither (资料费): a statement about it alone covers neither.
_OTHER_FEE = re.compile(r"资料费|教材费|材料费|书费|住宿费|耗材费|场地费|设备费|押金|学费|保险费")
_FEE_WORD = re.compile(r"费|钱|款")
_FEE_ITEM = r"(?:培训|考核|考试|考证|考评|鉴定|认证|报名|资料|教材|相关|其他|任何|等|及|和|与|以及|或|、)"
_OBJECT = re.compile(r"[^，。；,:：]{0,24}?费用?")
_OBJECT_MORE = re.compile(rf"(?:{_FEE_ITEM}|的)+?费用?")
_TOPIC = re.compile(rf"(?:{_FEE_ITEM}|的|费用|费)+(?:均|全部|一律|都|也)?$")
_FEE_LIST = re.compile(rf"{_FEE_ITEM}+(?:费用|费)?[。；;]?$")
_ACTIVITY_LIST = re.compile(rf"(?:[\d]+[.．、])?{_FEE_ITEM}+$")

# Agreement clauses: a party subject in the sentence, or in the heading the item sits under.
_PARTY = re.compile(r"甲方|乙方|甲乙双方")
_HEADING = re.compile(
    r"(?:^|(?<=[。；;：:！!？?）)]))(?:[一二三四五六七八九十]{1,3}、|第[一二三四五六七八九十百\d]{1,4}[条章]"
    r"|[（(][一二三四五六七八九十]{1,3}[）)])"
)
_HEADING_REACH = 600
# The plan's own funding section or title after the agreement's last party mention: a plan that
# follows the agreement, its headings not recognised because the lines are joined.
_PLAN_SECTION = re.compile(r"经费保障|保障措施|经费来源|资金来源|经费预算|经费承诺|工作方案|实施方案")

_SENTENCE_END = re.compile(r"[。；;！!？?]")
# List items start a new statement even without a full stop (lines are joined without one).
_ITEM_START = re.compile(
    r"(?=[（(]\d{1,2}[）)]|(?<![\d.．])\d{1,2}[.．、](?!\d)|[①②③④⑤⑥⑦⑧⑨⑩]|[（(][一二三四五六七八九十]{1,3}[）)])"
)
_LEADING_ITEM = re.compile(
    r"^(?:[（(]\d{1,2}[）)]|\d{1,2}[.．、]|[①②③④⑤⑥⑦⑧⑨⑩]|[（(][一二三四五六七八九十]{1,3}[）)])"
)
_CLAUSE_MARK = "，,：:"
_QUOTE_LIMIT = 120


@dataclass(frozen=True)
class FeeStatementMatch:
    """One statement about students' fees, with what a reviewer would make of it."""

    text: str  # the words quoted to the school: the statement with its hedge or condition
    kind: Kind
    start: int  # offsets in the folded (width-folded, space-free) text
    end: int
    training: bool = False  # the statement covers the training fee
    exam: bool = False  # ... and the exam fee
    hedge: str | None = None
    condition: str | None = None

    @property
    def polarity(self) -> Polarity:
        if self.kind in ("declared", "partial"):
            # A partial statement is true as far as it goes: it is not against the declaration,
            # it just does not make it on its own.
            return "affirmative"
        if self.kind == "contradiction":
            return "contradiction"
        return "negated"


def fold(text: str) -> str:
    """The form statements are matched in; offsets returned refer to it."""
    return re.sub(r"\s+", "", matching_text(text))


def _sentences(text: str) -> Iterator[tuple[int, str]]:
    """Split at sentence ends and list items; line breaks are not sentence ends (the phrase
    often wraps)."""
    start = 0
    cuts: list[int] = []
    for match in _SENTENCE_END.finditer(text):
        cuts.append(match.end())
    for match in _ITEM_START.finditer(text):
        cuts.append(match.start())
    for cut in sorted(set(cuts)):
        if cut > start:
            yield start, text[start:cut]
            start = cut
    if start < len(text):
        yield start, text[start:]


def _clause_start(sentence: str, position: int) -> int:
    return max(sentence.rfind(mark, 0, position) for mark in _CLAUSE_MARK) + 1


def _clause_end(sentence: str, position: int) -> int:
    ends = [sentence.find(mark, position) for mark in _CLAUSE_MARK]
    found = [end for end in ends if end >= 0]
    return min(found) if found else len(sentence)


def _coverage(scope: str) -> tuple[bool, bool]:
    """Which fees a statement covers: the ones it names, or all when it names no kind of fee
    (任何费用, 一切费用, 不向学生收费) and no activity restricts it."""
    training = _TRAINING.search(scope) is not None
    exam = _EXAM.search(scope) is not None
    if not training and not exam and _OTHER_FEE.search(scope) is None:
        return True, True
    return training, exam


def _is_agreement_clause(text: str, sentence_start: int, position: int) -> bool:
    """A clause of the agreement: a party is its subject (乙方不得向学生收取…), or it is an item
    under a heading that names a party (二、甲方权利与义务 … 4.不得向学生收取…); unless the plan
    starts again after the party's last mention."""
    window_start = max(0, position - _HEADING_REACH)
    headings = [m.start() for m in _HEADING.finditer(text, window_start, position)]
    region_start = min(headings[-1] if headings else max(0, position - 200), sentence_start)
    parties = list(_PARTY.finditer(text, region_start, position))
    return bool(parties) and _PLAN_SECTION.search(text, parties[-1].end(), position) is None


def _hedge(sentence: str, clause_start: int, negator: int) -> tuple[str | None, int]:
    """The hedge weakening a statement whose negation starts at ``negator``, and where it is."""
    if re.match(_REDUCED, sentence[negator:]):
        return sentence[negator : negator + 2], negator
    near = max(clause_start, negator - _REACH)
    before = sentence[near:negator]
    found = _HEDGE_IN_CLAUSE.search(before)
    if found and not _FIRM.search(before, found.end()):
        return found.group(), near + found.start()
    adjacent = _HEDGE_ADJACENT.search(before)
    if adjacent:
        return adjacent.group(), near + adjacent.start()
    if 0 < clause_start == near:
        # 原则上，试点期间不向学生收取…: the hedge ends the clause before.
        hedge = _HEDGE_CLAUSE.search(sentence, _clause_start(sentence, clause_start - 1), clause_start - 1)
        if hedge:
            return hedge.group(), hedge.start()
    return None, negator


def _condition(sentence: str, negator: int, scope_end: int) -> tuple[str | None, int]:
    """A condition in the statement's clause or the one before it (如财政经费到位，则不…), or an
    exception next to it (除教材费外，…; …（补考费用除外）)."""
    clause_start = _clause_start(sentence, negator)
    region_start = _clause_start(sentence, clause_start - 1) if clause_start > 0 else 0
    region_start = max(region_start, clause_start - 3 * _REACH, 0)
    conditions = list(_CONDITION_BEFORE.finditer(sentence, region_start, negator))
    if conditions:
        first = conditions[0]
        return _display(first.group().rstrip(",，")), first.start()
    after_end = _clause_end(sentence, scope_end + 1) if scope_end < len(sentence) else scope_end
    exception = _EXCEPTION.search(sentence, region_start, min(after_end, scope_end + 3 * _REACH))
    if exception:
        return _display(exception.group()), min(exception.start(), negator)
    return None, negator


# The folded text has ASCII punctuation; the school wrote (and the reviewer reads) full width.
_FULL_WIDTH = str.maketrans({",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"})


def _display(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def _quote(sentence: str, start: int, end: int | None = None) -> str:
    """The words from ``start`` to the sentence's end, or, in a form's joined cells where the
    "sentence" runs on, to the end of the clause after ``end``."""
    stop = len(sentence)
    if end is not None and stop - end > 3 * _REACH:
        stop = min(_clause_end(sentence, end + 1), end + 3 * _REACH)
    quote = _display(_LEADING_ITEM.sub("", sentence[start:stop].strip()))
    if len(quote) > _QUOTE_LIMIT:
        quote = quote[:_QUOTE_LIMIT] + "…"
    return quote


def _no_fee_statements(sentence: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, negator position) of each no-fee statement, overlapping ones merged."""
    found: list[tuple[int, int, int]] = []
    for pattern in _NO_FEE:
        for match in pattern.finditer(sentence):
            gap = match.groupdict().get("gap")
            if gap is not None and _OTHER_PAYER.search(gap):
                continue
            found.append((match.start(), match.end(), match.start("neg")))
    for match in _NO_FEE_NAMELESS.finditer(sentence):
        subject = sentence[_clause_start(sentence, match.start()) : match.start()]
        if not _ORGANISATION.search(subject):
            found.append((match.start(), match.end(), match.start("neg")))
    for match in _SCHOOL_BEARS_ALL.finditer(sentence):
        clause = sentence[_clause_start(sentence, match.start()) : _clause_end(sentence, match.end())]
        if _ALL.search(clause) and _TRAINING.search(clause) and _EXAM.search(clause):
            found.append((match.start(), match.end(), match.start()))
    found.sort()
    merged: list[tuple[int, int, int]] = []
    for start, end, negator in found:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), min(last[2], negator))
            continue
        merged.append((start, end, negator))
    yield from merged


def _object_end(sentence: str, end: int) -> int:
    """Where the fees a statement names end: at the fee word after the verb and the list that
    goes on from it (任何培训费、考核费及其他费用), else at its clause's end."""
    clause_end = _clause_end(sentence, end)
    fee = _OBJECT.match(sentence, end, clause_end)
    if fee is None:
        return min(clause_end, end + 2 * _REACH)
    position = fee.end()
    while (more := _OBJECT_MORE.match(sentence, position, clause_end)) is not None:
        position = more.end()
    return position


def _scope(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Where a statement's object may be named: next to it in its clause, and the clauses next
    to it that only carry on its fee list."""
    clause_start = _clause_start(sentence, start)
    window_start = max(clause_start, start - _REACH)
    topic = _TOPIC.search(sentence, window_start, start)  # 培训、考核费用均不向学生收取
    named = topic is not None and (_TRAINING.search(topic.group()) or _EXAM.search(topic.group()))
    scope_start = topic.start() if topic and named else start
    scope_end = _object_end(sentence, end)
    if (
        _FEE_WORD.search(sentence[scope_start:scope_end]) is None
        and clause_start > 0
        and scope_start <= clause_start
    ):
        # 培训、考核费用，均不向学生收取: the fee is named in the clause before.
        scope_start = max(_clause_start(sentence, clause_start - 1), clause_start - 2 * _REACH)
    elif scope_start == clause_start > 0 and _ACTIVITY_LIST.match(
        sentence[_clause_start(sentence, scope_start - 1) : scope_start - 1]
    ):
        # 培训，考核费用均不向学生收取 (a comma for 、, typed or read so)
        scope_start = _clause_start(sentence, scope_start - 1)
    while (
        scope_end < len(sentence)
        and sentence[scope_end] in _CLAUSE_MARK
        and _FEE_LIST.match(sentence[scope_end + 1 : _clause_end(sentence, scope_end + 1)])
    ):
        scope_end = _clause_end(sentence, scope_end + 1)  # 不向学生收取任何培训，考核费用
    return scope_start, scope_end


def _judge(
    sentence: str, start: int, end: int, negator: int
) -> tuple[Kind, str, bool, bool, str | None, str | None] | None:
    """The verdict on one statement, or None when it turns out not to be about fees."""
    clause_start = _clause_start(sentence, start)
    scope_start, scope_end = _scope(sentence, start, end)
    scope = sentence[scope_start:scope_end]
    if not _MONEY_VERB.search(sentence[start:end]) and not _FEE_WORD.search(scope):
        return None
    training, exam = _coverage(scope)
    hedge, hedge_at = _hedge(sentence, clause_start, negator)
    condition, condition_at = _condition(sentence, negator, scope_end)
    doubled = _DOUBLE_NEGATION.search(sentence[clause_start:negator]) is not None
    kind: Kind
    if doubled:
        kind = "negated"
    elif condition:
        kind = "conditional"
    elif hedge:
        kind = "weakened"
    elif not (training and exam):
        kind = "partial"
    else:
        kind = "declared"
    quote = _quote(sentence, min(scope_start, hedge_at, condition_at), scope_end)
    return kind, quote, training, exam, hedge, condition


def find_fee_statements(text: str) -> list[FeeStatementMatch]:
    """Every statement of the plan about student fees in ``text`` (the plan's lines joined
    without separators), judged; agreement clauses that reached the text are left out."""
    folded = fold(text)
    statements: list[FeeStatementMatch] = []
    for offset, sentence in _sentences(folded):
        spans: list[tuple[int, int]] = []
        for start, end, negator in _no_fee_statements(sentence):
            spans.append((start, end))
            if sentence[max(0, start - 2) : start] == "是否":
                continue  # a form's question, answered after it: _answer reads it
            if _is_agreement_clause(folded, offset, offset + start):
                continue
            verdict = _judge(sentence, start, end, negator)
            if verdict is None:
                continue
            kind, quote, training, exam, hedge, condition = verdict
            statements.append(
                FeeStatementMatch(
                    text=quote,
                    kind=kind,
                    start=offset + start,
                    end=offset + end,
                    training=training,
                    exam=exam,
                    hedge=hedge,
                    condition=condition,
                )
            )
        for question in _QUESTION.finditer(sentence):
            spans.append((question.start(), question.end()))
            if not _is_agreement_clause(folded, offset, offset + question.start()):
                statements.append(_answer(sentence, offset, question))
        statements.extend(_contradictions(folded, offset, sentence, spans))
    statements.sort(key=lambda s: s.start)
    return statements


def _answer(sentence: str, offset: int, question: re.Match[str]) -> FeeStatementMatch:
    """是否向学生收取培训、考核费用：否 declares as much as its object names; 是 charges."""
    charged = question.group("answer") in ("是", "收取", "有")
    training, exam = _coverage(question.group("object"))
    kind: Kind = "contradiction" if charged else ("declared" if training and exam else "partial")
    return FeeStatementMatch(
        text=_quote(sentence, _clause_start(sentence, question.start())),
        kind=kind,
        start=offset + question.start(),
        end=offset + question.end(),
        training=training and not charged,
        exam=exam and not charged,
    )


def _contradictions(
    folded: str, offset: int, sentence: str, no_fee: list[tuple[int, int]]
) -> Iterator[FeeStatementMatch]:
    matches: list[re.Match[str]] = []
    for pattern in _CONTRADICTION:
        matches.extend(pattern.finditer(sentence))
    if _ABOUT_STUDENTS.search(sentence) and not _SCHOOL_PAYS.search(sentence):
        matches.extend(_CHARGE_AMOUNT.finditer(sentence))
    kept: list[re.Match[str]] = []
    for match in sorted(matches, key=lambda m: m.start()):
        if any(start <= match.start() < end for start, end in no_fee):
            continue
        if _NEGATED_BEFORE.search(sentence[max(0, match.start() - 10) : match.start()]):
            continue
        if _ZERO_AFTER.search(sentence[match.end() : match.end() + 8]) or _ZERO_AMOUNT.search(match.group()):
            continue
        clause = sentence[_clause_start(sentence, match.start()) : _clause_end(sentence, match.end())]
        if _UNRELATED_COST.search(clause) and not (_TRAINING.search(clause) or _EXAM.search(clause)):
            continue
        # Two patterns often match one clause (由学生自行承担 / 学生自行承担): keep one.
        if any(k.start() < match.end() and match.start() < k.end() for k in kept):
            continue
        if _is_agreement_clause(folded, offset, offset + match.start()):
            continue
        kept.append(match)
    for match in kept:
        yield FeeStatementMatch(
            text=_quote(
                sentence, max(_clause_start(sentence, match.start()), match.start() - _REACH), match.end()
            ),
            kind="contradiction",
            start=offset + match.start(),
            end=offset + match.end(),
        )


def no_student_fee_declared(statements: list[FeeStatementMatch]) -> bool:
    """Declared when the plan's firm statements together cover the training and the exam fee
    and nothing weakens, conditions, negates or contradicts them."""
    if any(s.kind in ("weakened", "conditional", "negated", "contradiction") for s in statements):
        return False
    firm = [s for s in statements if s.kind in ("declared", "partial")]
    return any(s.training for s in firm) and any(s.exam for s in firm)


def worst_statement(statements: list[FeeStatementMatch]) -> FeeStatementMatch | None:
    """The statement a finding should quote: the one furthest from the declaration."""
    ranked = sorted(statements, key=lambda s: (KIND_ORDER.index(s.kind), s.start))
    return ranked[0] if ranked else None


def shortfall(statement: FeeStatementMatch) -> str:
    """What the statement lacks, in the reviewers' Chinese."""
    parts: list[str] = []
    if statement.kind == "contradiction":
        return "写明了由学生缴纳或承担费用"
    if statement.kind == "negated":
        parts.append("对不收费的说法作了否定")
    if statement.condition:
        parts.append(f"附有条件或例外（“{statement.condition}”）")
    if statement.hedge:
        parts.append(f"使用了“{statement.hedge}”这样的保留措辞，不是明确的承诺")
    if statement.training and not statement.exam:
        parts.append("只涉及培训费用，没有声明不收取考核费用")
    elif statement.exam and not statement.training:
        parts.append("只涉及考核费用，没有声明不收取培训费用")
    elif not statement.training and not statement.exam:
        parts.append("既没有涉及培训费用，也没有涉及考核费用")
    return "，且".join(parts) if parts else "不是明确的不收费声明"


def explain(text: str) -> tuple[Kind, str] | None:
    """The kind and shortfall of the worst statement in ``text`` (a quote kept in the facts),
    or None when it holds no statement about student fees."""
    statement = worst_statement(find_fee_statements(text))
    if statement is None:
        return None
    return statement.kind, shortfall(statement)


def statement_fact(statement: FeeStatementMatch, page: int) -> FeeStatement:
    """The statement as the plan's facts keep it: quote, verdict and what it lacks."""
    return FeeStatement(
        page=page,
        text=statement.text,
        polarity=statement.polarity,
        kind=statement.kind,
        lacking="" if statement.kind == "declared" else shortfall(statement),
    )
