"""Whose seal it is, from what its text was read as: the school's, a department's, another
school's, the training organisation's, or too poor to say.

Pure functions on strings, apart from reading the seal (``seal_text``) so that the rules and
their tests need no OCR. OCR of a ring is rough: a name with characters missing must still
match, and text too poor to decide on is ``unreadable``, which the checks turn into a note
for a person, never into a mismatch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from extractors.normalize import match_key
from schemas.seal_review import MatchKind

_CJK = re.compile(r"[\u4e00-\u9fff]")

# What a department or a secondary college writes after (or instead of) the school's name.
DEPARTMENT_WORDS = (
    "教务处",
    "财务处",
    "办公室",
    "学生处",
    "科研处",
    "人事处",
    "招生就业处",
    "教学工作部",
    "党委",
    "团委",
    "工会",
    "委员会",
    "二级学院",
    "继续教育学院",
)
DEPARTMENT_STEMS = ("教务", "财务", "务处", "学生工作", "招生就业", "科研")
# How the name of an office ends (教务处, 后勤处, 办公室): a bottom line of a seal so is a department.
OFFICE_ENDS = ("处", "办公室")
ORGANISATION_WORDS = ("公司", "集团", "中心", "研究院", "有限", "协会", "基金会")
CONTRACT_WORDS = ("合同专用章", "合同章", "协议专用章")
# What a poor reading of a contract seal's line keeps.
CONTRACT_STEMS = ("合同", "协议")
CONTRACT_ENDS = ("用章", "同章")


@dataclass(frozen=True)
class SealReading:
    """The ring text and the bottom line as read (CJK characters only), with the mean
    confidence (0-100) of the ring text. ``bottom_own_ink`` says the bottom line was read on
    the seal's ink alone (told by its colour): on a gray or 1-bit page print under the seal
    is read with it, and an unknown bottom line says nothing."""

    arc: str
    bottom: str
    confidence: float
    bottom_own_ink: bool = True


@dataclass(frozen=True)
class SealMatch:
    """Whose seal it is. ``quoted`` is what the seal says, for the reviewer; ``name`` is the
    known institution it was matched to, if any; ``score`` the similarity 0-1."""

    kind: MatchKind
    quoted: str
    name: str | None
    score: float


def cjk_only(text: str) -> str:
    return "".join(_CJK.findall(text))


def shared_ratio(read: str, expected: str) -> float:
    """How much of ``expected`` the reading shows, in order (missing and wrong characters
    cost, extra ones at the ends do not): matched characters / len(expected)."""
    a, b = match_key(read), match_key(expected)
    if not a or not b:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched / len(b)


# The generic ends of school names: every 高职 shares 职业技术学院, so a reading is judged on
# what sets the name apart (株洲健康, 郴州软件), not on the suffix all of them have.
GENERIC_ENDS = (
    "职业技术学院",
    "职业技术学校",
    "中等职业学校",
    "中等专业学校",
    "职业学院",
    "职业学校",
    "职业中专",
    # Abbreviations the school's aliases use (株洲健康职院): as generic as the full endings.
    "职院",
    "职校",
    "中专",
    "学院",
    "学校",
    "大学",
)


def distinctive(name: str, common_starts: frozenset[str] = frozenset()) -> str:
    """What sets ``name`` apart: without its generic ending, nor a beginning that many of the
    round's names share (``common_starts``: 湖南 when most schools are 湖南某某)."""
    key = match_key(name)
    for end in GENERIC_ENDS:
        if key.endswith(end) and len(key) > len(end) + 1:
            key = key[: -len(end)]
            break
    for start in sorted(common_starts, key=len, reverse=True):
        if key.startswith(start) and len(key) >= len(start) + 2:
            return key[len(start) :]
    return key


def common_starts(names: list[str]) -> frozenset[str]:
    """Beginnings (one to three characters) that at least three and 30% of ``names`` share: a
    province's or a city's name, which tells none of them apart."""
    keys = [match_key(name) for name in names]
    if len(keys) < 6:
        return frozenset()
    starts = {key[:size] for key in keys for size in (1, 2, 3) if len(key) > size + 2}
    least = max(3, 0.3 * len(keys))
    return frozenset(start for start in starts if sum(key.startswith(start) for key in keys) >= least)


def _named_part(read: str) -> str:
    """The reading without the longest generic ending it has (职业技术学院, 学校 …)."""
    key = match_key(read)
    ends = [end for end in GENERIC_ENDS if key.endswith(end)]
    return key[: -len(max(ends, key=len))] if ends else key


def _best(
    read: str, names: list[str], starts: frozenset[str] = frozenset()
) -> tuple[str | None, float, float]:
    """(name, share of the whole name read, share of its distinctive part read), best first
    by the distinctive part."""
    best: tuple[str | None, float, float] = (None, 0.0, 0.0)
    for name in names:
        whole, own = shared_ratio(read, name), shared_ratio(read, distinctive(name, starts))
        # A reading much longer than the name (two names run together) is not that name.
        if len(read) > 1.6 * len(name) + 2:
            whole, own = whole * 0.8, own * 0.8
        if own + 0.5 * whole > best[2] + 0.5 * best[1]:
            best = (name, whole, own)
    return best


def _shows_apart(read: str, other: str, own_chars: set[str]) -> bool:
    """Whether the reading has a character of ``other``'s name that this school's names
    (``own_chars``, their characters) lack: what tells the other school's seal from a poor
    reading of this school's."""
    return any(char in match_key(other) and char not in own_chars for char in match_key(read))


def _reads_as(read: str, name: str) -> bool:
    """Whether the reading is ``name`` and nothing more."""
    return shared_ratio(read, name) >= 0.9 and shared_ratio(name, read) >= 0.85


def _after_name(read: str, name: str) -> str:
    """What the reading says after the (approximately matched) ``name``."""
    a, b = match_key(read), match_key(name)
    blocks = [
        block for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() if block.size
    ]
    if not blocks:
        return a
    return a[blocks[-1].a + blocks[-1].size :]


def _school_seal_kind(reading: SealReading, rest: str) -> MatchKind:
    """Whether the seal whose ring names the school is its own seal, a department's, or for a
    person to look at, by its bottom line and what the ring says after the name (``rest``)."""
    department = [w for w in DEPARTMENT_WORDS if w in reading.bottom or w in rest]
    # The bottom line is small print: its first two characters read are enough for the
    # common offices (教务处 read as 教务, 财务处 as 财务外).
    department += [w for w in DEPARTMENT_STEMS if w in reading.bottom]
    # On a gray page print under the seal (此处, 之处) is read with its bottom line.
    if reading.bottom_own_ink and len(reading.bottom) >= 2 and reading.bottom.endswith(OFFICE_ENDS):
        department.append(reading.bottom)  # 总务处, 保卫处: an office, whatever its first word
    if len(rest) >= 3 and rest.endswith("学院"):
        department.append("学院")  # a secondary college: 某某职业技术学院信息工程学院
    contract = any(w in reading.arc + reading.bottom for w in CONTRACT_WORDS)
    # Only a clear reading makes a department: a misread bottom line must not accuse. Nor
    # may it pass: a school's 公章 has no bottom line, so one in its own ink that says
    # something else than 合同专用章, or a department read unclearly, is for a person.
    if department and reading.confidence >= 60 and not contract:
        return "department"
    contract_like = any(w in reading.bottom for w in CONTRACT_STEMS) or reading.bottom.endswith(CONTRACT_ENDS)
    if contract or (contract_like and not department):
        return "matched"
    if department or (reading.bottom and reading.bottom_own_ink):
        return "unreadable"
    return "matched"


def match_institution(
    reading: SealReading,
    school_names: list[str],
    other_names: list[str],
    organisation: str | None = None,
) -> SealMatch:
    """Decide whose seal ``reading`` is: the school's (any of ``school_names``), a department
    or secondary college of the school, another known institution (``other_names``: the
    round's other schools), the training organisation, or unreadable."""
    arc = reading.arc
    quoted = arc + (f"（{reading.bottom}）" if reading.bottom else "")
    if len(arc) < 3:
        return SealMatch("unreadable", quoted, None, 0.0)
    starts = common_starts(school_names[:1] + other_names)
    own_name, own_whole, own = _best(arc, school_names, starts)
    # Another school is a rival only on what the reading shows of it and not of this school:
    # 长沙学院 is all in 长沙市财经学校, so a reading of 长沙市财经学校 is no evidence for it, and
    # a poor reading of this school's seal that kept 长沙 and 学院 no 长沙学院 seal, unless
    # that name, and nothing more, is read clearly.
    own_chars = set("".join(match_key(name) for name in school_names))
    rivals = [
        name
        for name in other_names
        if _shows_apart(arc, name, own_chars) or (reading.confidence >= 60 and _reads_as(arc, name))
    ]
    other_name, other_whole, other = _best(arc, rivals, starts)
    org = shared_ratio(arc, organisation) if organisation else 0.0
    clear_own = own >= 0.6 and (own_whole >= 0.6 or own >= 0.9) and own - other >= 0.15
    # As for another school below: half of this school's own part and most of its name read.
    poor_own = own >= 0.5 and other <= 0.25 and own_whole >= 0.65 and own_whole - other_whole >= 0.15
    if clear_own or (poor_own and reading.confidence >= 40):
        kind = _school_seal_kind(reading, _after_name(arc, own_name or ""))
        return SealMatch(kind, quoted, own_name, own)
    if organisation and org >= 0.6 and org > own:
        return SealMatch("organisation", quoted, organisation, org)
    if other_whole >= 0.5 and other >= 0.75 and other - own >= 0.5:
        return SealMatch("other_institution", quoted, other_name, other)
    # Another school's whole name read clearly, and none of this school's: 长沙航空职业技术学院
    # holds 长沙学院's 长沙, but is not a reading of 长沙学院.
    if reading.confidence >= 60 and not any(_reads_as(arc, name) for name in school_names):
        named = [name for name in rivals if _reads_as(arc, name) and _shows_apart(arc, name, own_chars)]
        if named:
            return SealMatch("other_institution", quoted, named[0], 1.0)
    # A poor reading still names another school when half of what sets that school's name
    # apart is read, nothing of this school's, and most of that whole name is read in order.
    poorly_read_other = (
        other >= 0.5 and own == 0.0 and other_whole >= 0.65 and other_whole - own_whole >= 0.15
    )
    if poorly_read_other and reading.confidence >= 40:
        return SealMatch("other_institution", quoted, other_name, other)
    # A name is read only when more than its generic ending is: 职业技术学院 alone is anybody's.
    clearly_read = len(arc) >= 6 and reading.confidence >= 60 and len(_named_part(arc)) >= 3
    # Whose seal it is not can be said only when whose it should be is known.
    if clearly_read and school_names and own < 0.35 and other < 0.5:
        # A company's name has nothing of the school's in order (海县程业中心 is a poor reading
        # of 岳阳县职业中专, not a 中心's seal).
        if any(w in arc for w in ORGANISATION_WORDS) and own_whole < 0.4:
            return SealMatch("organisation", quoted, None, org)
        if arc.endswith(("学院", "学校", "大学", "中学", "职校")):
            return SealMatch("other_institution", quoted, None, 0.0)
    return SealMatch("unreadable", quoted, None, max(own, other))
