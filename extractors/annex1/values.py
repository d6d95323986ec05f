"""Attachment 1 cell values as a reviewer reads them, whatever the school typed.

Counts come as 50, ５０, 50人, 五十人; money as 1.2, 1.2万元, 12000元; batches as 2019-1 or
2019 第一批; certificates with or without brackets and the 职业技能等级证书 suffix. And cells that
hold no value at all come as —, 无, /, （可加行）, 以下空白. Each normaliser returns the canonical
value, None for such a placeholder, or (counts and money) raises ValueError so the caller can
report the cell instead of guessing.
"""

from __future__ import annotations

import re

from extractors.normalize import chinese_number, clean_line, fold_width, match_key, parse_amount_wan
from schemas.round_config import RoundConfig

_CN_ORDINALS = "〇一二三四五六七八九十"
PLACEHOLDERS = frozenset(
    {"", "/", "-", "—", "——", "－", "无", "\\", "空", "略", "暂无", "空白", "×", "x", "X"}
)
# Template hints and "nothing here" remarks that schools leave in the rows they did not fill.
_FILLER_WORDS = re.compile(
    r"可加行|可续行|可增行|可增加行|可自行加行|加行|续行|增行|以下空白|以下无|此栏|此行|此处空白|空白|暂无|"
    r"没有|不够|自行添加|自行增加|如有|请填写|无已有|无新申报|未开展"
)
_BRACKETED = re.compile(r"^[(（\[【<《].*[)）\]】>》]$")


def is_placeholder(text: str) -> bool:
    """A cell that holds no value: blank, a dash or 无, a template hint such as （可加行）, or a
    remark wholly in brackets; a number is never a placeholder."""
    folded = re.sub(r"\s+", "", fold_width(text))
    if folded in PLACEHOLDERS:
        return True
    if re.search(r"\d", folded) and not _FILLER_WORDS.search(folded):
        return False
    return _BRACKETED.match(folded) is not None or _FILLER_WORDS.search(folded) is not None


def carryover(batch: str | None, scale: int | None, completed: int | None, config: RoundConfig) -> int | None:
    """Places that carry into this round: unexamined places of a carry-over batch (2021), none
    for the other valid batches, unknown for an invalid or unreadable batch."""
    if batch is None or batch not in config.valid_batches:
        return None
    if batch not in config.carryover_batches:
        return 0
    if scale is None:
        return None
    return max(scale - (completed or 0), 0)


def parse_count_cell(text: str) -> int | None:
    """50 / ５０ / 50人 / 50 名 / 五十人 -> 50; None for blanks and placeholders. Raises
    ValueError for text that is not a count, so the caller can report it."""
    folded = re.sub(r"[\s,，]", "", fold_width(text))
    if folded in PLACEHOLDERS:
        return None
    folded = re.sub(r"(?:人次|人|名|位|个)$", "", folded)
    if re.fullmatch(r"\d+", folded):
        return int(folded)
    if re.fullmatch(r"\d+\.0*", folded):
        return int(float(folded))
    number = chinese_number(folded)
    if number is not None:
        return number
    if is_placeholder(text):
        return None
    raise ValueError(f"不是人数：{text}")


def parse_money_cell(text: str, *, header_says_yuan: bool = False) -> float | None:
    """Fee in 万元: 1.2 / 1.2万元 / 12000元 / 12,000 -> 1.2. A bare number is in the header's
    unit (万元 in the template). Raises ValueError for text that is not an amount."""
    folded = re.sub(r"[\s,，]", "", fold_width(text))
    if folded in PLACEHOLDERS:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(万元|万|元)?", folded)
    if match is None:
        amount = parse_amount_wan(text)
        if amount is None:
            if is_placeholder(text):
                return None
            raise ValueError(f"不是金额：{text}")
        return amount
    value = float(match.group(1))
    unit = match.group(2) or ("元" if header_says_yuan else "万元")
    if unit == "元":
        value = value / 10000
    return round(value, 6)


_BATCH = re.compile(
    r"^第?(?P<year>20\d{2})年?度?(?:[-—–_.、/]|\s)*第?(?P<number>[一二三四五六七八九十]|\d{1,2})批?次?$"
)


def normalise_batch(text: str, config: RoundConfig) -> str | None:
    """2019年第一批 / 2019 第一批 / 2019年第1批 / 2019-1 -> 2019年第一批 when that is a valid
    batch of the round; anything else is kept as written for the batch check to flag."""
    written = clean_line(text)
    if not written or written in PLACEHOLDERS:
        return None
    compact = re.sub(r"\s+", "", fold_width(written))
    # Excel turns a typed 2019-1 into the date 2019-01-01; in the batch column that is batch 1.
    excel_date = re.fullmatch(r"(?P<year>20\d{2})-(?P<number>0?[1-9])-01(?:00:00)?", compact)
    match = excel_date or _BATCH.match(compact)
    if match is None:
        return written
    number_text = match.group("number").lstrip("0")
    number = int(number_text) if number_text.isdigit() else chinese_number(number_text)
    if number is None or not 1 <= number <= 10:
        return written
    canonical = f"{match.group('year')}年第{_CN_ORDINALS[number]}批"
    return canonical if canonical in config.valid_batches else written


def normalise_level(text: str) -> str | None:
    written = clean_line(text)
    if not written or written in PLACEHOLDERS:
        return None
    match = re.fullmatch(r"([初中高])级?(?:证书)?", re.sub(r"\s+", "", written))
    return f"{match.group(1)}级" if match else written


def certificate_lookup(config: RoundConfig) -> dict[str, str]:
    """match_key of every certificate name and alias -> the round's canonical name."""
    lookup: dict[str, str] = {}
    for entry in config.certificates:
        for written in (entry.name, *entry.aliases):
            lookup.setdefault(match_key(written), entry.name)
    return lookup


def normalise_certificate(text: str, lookup: dict[str, str]) -> str | None:
    """建筑信息模型(BIM) / BIM / 物流管理职业技能等级证书 -> the round's name; else as written."""
    written = clean_line(text)
    if not written or written in PLACEHOLDERS:
        return None
    bare = re.sub(r"(?:职业技能等级证书|等级证书|证书)$", "", written).strip() or written
    return lookup.get(match_key(bare)) or lookup.get(match_key(written)) or written
