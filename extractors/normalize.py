"""Normalisation of what schools really write.

Full-width digits and colons, 二〇二二年 and 2022.10.15 dates, 人 or 名, stray spaces between
CJK characters in PDF text, certificate names with or without brackets. The width folding is
length-preserving on purpose: field extraction matches on the folded text and slices the
original with the same indices, so free-text values keep the school's own characters.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# Tabs mark cell and column gaps (see pdf_text.group_lines) and are never collapsed.
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \u00a0]+(?=[{_CJK}])")
_SPACE_AFTER_CJK_BEFORE_DIGIT = re.compile(rf"(?<=[{_CJK}])[ \u00a0]+(?=[0-9０-９])")
_SPACE_AFTER_DIGIT_BEFORE_CJK = re.compile(rf"(?<=[0-9０-９])[ \u00a0]+(?=[{_CJK}])")


def fold_width(text: str) -> str:
    """Full-width ASCII forms (Ｆ, １, ：, （) to their ASCII twins, ideographic space to a
    space; one character in, one character out."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif code == 0x3000:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def collapse_cjk_spaces(text: str) -> str:
    """Remove the spaces PDF text extraction puts between CJK characters (and between CJK
    and digits), keep single spaces elsewhere."""
    text = _SPACE_BETWEEN_CJK.sub("", text)
    text = _SPACE_AFTER_CJK_BEFORE_DIGIT.sub("", text)
    text = _SPACE_AFTER_DIGIT_BEFORE_CJK.sub("", text)
    text = re.sub(r"[ \u00a0]{2,}", " ", text)
    return re.sub(r" *\t[ \t]*", "\t", text).strip()


def clean_line(text: str) -> str:
    return collapse_cjk_spaces(text.replace("\u3000", " "))


def match_key(text: str) -> str:
    """A comparison key: NFKC, no spaces or brackets, lower case. For names only."""
    folded = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s()（）【】\[\]《》<>\"'“”‘’·]", "", folded).lower()


_QUALIFIER = re.compile(r"\s*[（(][^（()）]*[）)]\s*")


def name_keys(names: Iterable[str]) -> dict[str, str]:
    """Comparison key -> name, for each name and for its short form without a bracketed
    qualifier (汽车运用与维修 for 汽车运用与维修（含智能新能源汽车）, as schools write it and OCR
    reads it), where that short form is no other name's and stands for one name only."""
    names = list(names)
    keys = {match_key(name): name for name in names}
    short: dict[str, set[str]] = {}
    for name in names:
        stripped = _QUALIFIER.sub("", name)
        if stripped != name and len(match_key(stripped)) >= 2:
            short.setdefault(match_key(stripped), set()).add(name)
    for key, full in short.items():
        if key not in keys and len(full) == 1:
            keys[key] = next(iter(full))
    return keys


_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "Ｏ": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def chinese_number(text: str) -> int | None:
    """一 .. 九十九 as written in dates (十五, 二十, 三十一); None when it is not one."""
    if not text:
        return None
    if all(ch in _CN_DIGITS for ch in text):
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGITS[ch]
        return value
    if "十" in text:
        tens_text, _, units_text = text.partition("十")
        tens = 1 if tens_text == "" else _CN_DIGITS.get(tens_text)
        units = 0 if units_text == "" else _CN_DIGITS.get(units_text)
        if tens is None or units is None or len(tens_text) > 1 or len(units_text) > 1:
            return None
        return tens * 10 + units
    return None


# OCR reads the round 〇 of a written year as the letter O or the digit 0 (二O二二年).
_CN_DATE = re.compile(
    r"([〇零○Oo0一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日"
)


def arabicise_chinese_dates(text: str) -> str:
    """二〇二二年十月十五日 -> 2022年10月15日, leaving everything else alone."""

    def replace(match: re.Match[str]) -> str:
        year = chinese_number(re.sub("[Oo0]", "〇", match.group(1)))
        month = chinese_number(match.group(2))
        day = chinese_number(match.group(3))
        if year is None or month is None or day is None:
            return match.group(0)
        return f"{year}年{month}月{day}日"

    return _CN_DATE.sub(replace, text)


def matching_text(text: str) -> str:
    """The form patterns are matched on: width folded, Chinese dates in digits."""
    return arabicise_chinese_dates(fold_width(text))


DATE_PATTERN = re.compile(
    r"(?:(?P<year>(?:19|20)\d{2})\s*(?:年|[./\-])\s*)?"
    r"(?P<month>\d{1,2})\s*(?:月|[./\-])\s*(?P<day>\d{1,2})\s*日?"
)


_TIME_START = frozenset("0123456789:：")
# The same date with a one-digit day, for a day run into the time after it.
_SHORT_DAY_DATE = re.compile(DATE_PATTERN.pattern.replace(r"(?P<day>\d{1,2})", r"(?P<day>\d)"))


def parse_date(text: str, default_year: int | None = None) -> dt.date | None:
    """The first date in ``text``; a date without a year takes ``default_year``."""
    found = find_dates(matching_text(text), default_year)
    return found[0][0] if found else None


# A date whose separator between month and day OCR lost: 2022-0423.
_RUN_ON_MONTH_DAY = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d{2})\s*[./\-]\s*(?P<month>\d{2})(?P<day>\d{2})(?!\d)"
)


def find_dates(text: str, default_year: int | None = None) -> list[tuple[dt.date, int, int]]:
    """Every date in an already matching_text()-ed string, with its span. A day that is no
    day (2022/11/608:00, OCR having lost the space before 08:00) is tried as its first digit;
    a month and day run together (2022-0423) are read apart."""
    found = []
    run_on = [
        (date, match.start(), match.end())
        for match in _RUN_ON_MONTH_DAY.finditer(text)
        if (date := _date_from_match(match, default_year)) is not None
    ]
    for match in DATE_PATTERN.finditer(text):
        date = _date_from_match(match, default_year)
        end = match.end()
        runs_on = match.end("day") == match.end() and text[match.end() : match.end() + 1] in _TIME_START
        if date is None and len(match.group("day")) == 2 and runs_on:
            short = _SHORT_DAY_DATE.match(text, match.start())
            if short is not None and short.group("day") == match.group("day")[0]:
                date, end = _date_from_match(short, default_year), short.end()
        if date is not None:
            found.append((date, match.start(), end))
    found += [item for item in run_on if not any(item[1] < e and s < item[2] for _, s, e in found)]
    return sorted(found, key=lambda item: item[1])


def _date_from_match(match: re.Match[str], default_year: int | None) -> dt.date | None:
    year_text = match.group("year")
    if year_text is None:
        # A bare "10.15" or "10-15" is too easily a number range; only 10月15日 stands alone.
        if "月" not in match.group(0) or default_year is None:
            return None
        year = default_year
    else:
        year = int(year_text)
    try:
        return dt.date(year, int(match.group("month")), int(match.group("day")))
    except ValueError:
        return None


TIME_RANGE_PATTERN = re.compile(
    r"(?P<p1>上午|下午|晚上|中午)?\s*(?P<h1>\d{1,2})\s*(?:[:：]|时|点)\s*(?P<m1>\d{2})?\s*分?\s*"
    r"(?:[-—–~～至到－]+|—+)\s*"
    r"(?P<p2>上午|下午|晚上|中午)?\s*(?P<h2>\d{1,2})\s*(?:[:：]|时|点)\s*(?P<m2>\d{2})?\s*分?"
)


def _clock(period: str | None, hour: int, minute: int) -> str | None:
    if period in ("下午", "晚上") and hour < 12:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{hour:02d}:{minute:02d}"


def parse_time_range(text: str) -> tuple[str, str, int, int] | None:
    """09:00-11:30, 9：00—11：30, 下午2:00至4:00 -> ("09:00", "11:30", span start, span end)
    on the matching_text() of ``text``."""
    folded = matching_text(text)
    position = 0
    # A range run into the date before it (OCR lost the space: 2022/11/269:00-11:00) first
    # matches as 69:00; the next try, a digit further on, finds 9:00.
    while (match := TIME_RANGE_PATTERN.search(folded, position)) is not None:
        period_1 = match.group("p1")
        period_2 = match.group("p2") or period_1
        start = _clock(period_1, int(match.group("h1")), int(match.group("m1") or 0))
        end = _clock(period_2, int(match.group("h2")), int(match.group("m2") or 0))
        if start is not None and end is not None:
            return start, end, match.start(), match.end()
        position = match.start() + 1
    return None


_COUNT_PATTERN = re.compile(r"(\d+)\s*(?:人|名|位)")


def parse_count(text: str) -> int | None:
    """120人 / １２０名 / 120 -> 120: the first count, else the first bare number."""
    folded = matching_text(text)
    match = _COUNT_PATTERN.search(folded)
    if match:
        return int(match.group(1))
    bare = re.search(r"\d+", folded)
    return int(bare.group(0)) if bare else None


_AMOUNT_PATTERN = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(万元|万|元)")


def parse_amount_wan(text: str) -> float | None:
    """3.6万元 / 36000元 / 36,000 元 -> 3.6 (万元)."""
    match = _AMOUNT_PATTERN.search(matching_text(text))
    if match is None:
        return None
    value = float(match.group(1).replace(",", ""))
    if match.group(2) == "元":
        value = value / 10000
    return round(value, 4)


def closest(name: str, candidates: Iterable[str]) -> tuple[str | None, float]:
    """The candidate most like ``name`` (by match_key), with its similarity 0..1."""
    key = match_key(name)
    best: str | None = None
    best_ratio = 0.0
    for candidate in candidates:
        ratio = SequenceMatcher(None, key, match_key(candidate)).ratio()
        if ratio > best_ratio:
            best, best_ratio = candidate, ratio
    return best, best_ratio


def misread_name(name: str, known: Iterable[str], similarity: float = 0.8) -> str | None:
    """The known name that an OCR reading stands for, or None: the one known name the reading
    contains (等级:初级 幼儿照护 -> 幼儿照护), else the one clearly closest to it (麓山 read as
    莫山). OCR text only: a name a school typed is never changed."""
    names = list(dict.fromkeys(known))
    key = match_key(name)
    if not key or not names:
        return None
    contained = [
        candidate for candidate in names if len(match_key(candidate)) >= 3 and match_key(candidate) in key
    ]
    if contained:
        longest = max(contained, key=lambda candidate: len(match_key(candidate)))
        others = [c for c in contained if c != longest and match_key(c) not in match_key(longest)]
        return None if others else longest
    ranked = sorted(
        ((SequenceMatcher(None, key, match_key(candidate)).ratio(), candidate) for candidate in names),
        reverse=True,
    )
    best_ratio, best = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    if best_ratio >= similarity and best_ratio - runner_up >= 0.1:
        return best
    return None


_SCHOOL_IN_NAME = re.compile(r"[\u4e00-\u9fff]{2,24}?(?:职业技术学院|职业学院|学院|学校|大学|中专)")


def schools_named_in(path: str) -> list[str]:
    """School names a person typed into a file's path (the zip, the file, the folder)."""
    return list(dict.fromkeys(_SCHOOL_IN_NAME.findall(path)))


def typed_school(read: str | None, path: str) -> str | None:
    """An OCR'd school name replaced by the one typed in the file's path when they are the
    same name with a character or two misread (用德 read for 舜德), or when only its end was
    read; else as read."""
    if not read:
        return read
    named = schools_named_in(path)
    typed = misread_name(read, named, 0.75)
    if typed is None:
        # Only the name's end was read (业技术学校 for 石门县机电职业技术学校: the start lost
        # under a stamp or off the scan's edge): the one typed name it ends is the school.
        key = match_key(read)
        ends = [name for name in named if len(key) >= 4 and match_key(name).endswith(key)]
        typed = ends[0] if len(set(ends)) == 1 else None
    return typed or read
