"""Which school sent a file, from every clue there is.

A plan names its school in its text; an e-mail has more clues and each can be wrong alone:
the table's 院校名称, the sender's domain, the subject (schools write abbreviations such as
长沙民政职院), the attachment names, the body's signature. ``identify_school`` tries them
from the most to the least reliable and says which clue decided, so a reviewer can see why.
A name that matches no configured school is returned as written (an unknown school is listed
in the report, never dropped).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from extractors.normalize import match_key
from schemas.round_config import RoundConfig, SchoolEntry

# How schools shorten their own names in subjects and file names: 湖南铁道职业技术学院 -> 湖南铁道职院.
_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("职业技术学院", "职院"),
    ("职业学院", "职院"),
    ("职业技术学院", "职业学院"),
    ("中等专业学校", "中专"),
    ("职业中专", "职专"),
)
_MIN_NAME_CHARS = 4


@dataclass(frozen=True)
class SchoolMatch:
    """``name`` is canonical when ``known``; otherwise as written. ``via`` says which clue."""

    name: str
    known: bool
    via: str


def school_names(entry: SchoolEntry) -> list[str]:
    """Every way the school may be written: its name, configured aliases, usual abbreviations."""
    names = [entry.name, *entry.aliases]
    for long, short in _ABBREVIATIONS:
        if long in entry.name:
            names.append(entry.name.replace(long, short))
    # 长沙市财经学校 is often written without 市.
    names.extend(name.replace("市", "", 1) for name in list(names) if "市" in name[:4])
    return list(dict.fromkeys(names))


def _written_names(config: RoundConfig) -> list[tuple[str, str]]:
    """(written key, canonical name), longest first, so 湖南工程职业技术学院 wins over 湖南工程学院."""
    pairs = [
        (match_key(written), entry.name)
        for entry in config.schools
        for written in school_names(entry)
        if len(written) >= 3
    ]
    return sorted(set(pairs), key=lambda pair: (-len(pair[0]), pair))


def school_in_text(text: str, config: RoundConfig) -> str | None:
    """The configured school whose name, alias or abbreviation appears in ``text``."""
    key = match_key(text)
    for written, canonical in _written_names(config):
        if written in key:
            return canonical
    return None


def canonical_school(name: str, config: RoundConfig) -> str | None:
    """The configured school this whole name denotes (exactly, up to spacing and brackets)."""
    key = match_key(name)
    for written, canonical in _written_names(config):
        if written == key:
            return canonical
    return None


def school_by_domain(address: str | None, config: RoundConfig) -> str | None:
    if not address or "@" not in address:
        return None
    domain = address.rsplit("@", 1)[1].lower()
    for entry in config.schools:
        for known in entry.email_domains:
            if domain == known or domain.endswith("." + known):
                return entry.name
    return None


_SCHOOL_SUFFIX = re.compile(r"([\u4e00-\u9fff]{2,20}?(?:大学|学院|学校|职院|中专|职专|技校))")


# What a subject or a file name says before the name: 关于报送邵阳市…学院, 转发：我校…
_LEAD_IN = re.compile(r"^(?:关于|报送|提交|上报|申报|呈报|转发|发送|回复|我校|本校|附件\d*|的)+")


def _unknown_name(texts: Iterable[str]) -> str | None:
    """A school-like name (ends in 学院/学校/…) in the first text that has one, without the
    words that lead into it."""
    for text in texts:
        found = _SCHOOL_SUFFIX.search(text)
        name = _LEAD_IN.sub("", found.group(1)) if found else ""
        if len(name) >= _MIN_NAME_CHARS:
            return name
    return None


def identify_school(
    config: RoundConfig,
    *,
    declared: Sequence[str] = (),
    sender: str | None = None,
    subject: str = "",
    file_names: Sequence[str] = (),
    body: str = "",
) -> SchoolMatch | None:
    """The school behind a submission. ``declared`` are names the documents state about
    themselves (the table's 院校名称, the plan's school line), which win over everything else."""
    for name in declared:
        canonical = canonical_school(name, config) or school_in_text(name, config)
        if canonical:
            return SchoolMatch(canonical, True, "表内院校名称")
    by_domain = school_by_domain(sender, config)
    if by_domain:
        return SchoolMatch(by_domain, True, "发件人邮箱域名")
    for via, texts in (("邮件主题", [subject]), ("附件文件名", list(file_names)), ("邮件正文", [body])):
        for text in texts:
            found = school_in_text(text, config)
            if found:
                return SchoolMatch(found, True, via)
    unknown = _unknown_name([*declared, subject, *file_names])
    if unknown:
        return SchoolMatch(unknown, False, "未在本轮学校名单中")
    return None


_HIGHER_VOCATIONAL = re.compile(r"(?:职业技术学院|职业学院|高等专科学校|职业技术大学|专科学校)$")
_SECONDARY = re.compile(
    r"(?:中等专业学校|中等职业学校|职业中专|中专|职专|职业学校|职业技术学校|技术学校|技工学校|职业高级中学|职高)$"
)
_UNIVERSITY = re.compile(r"(?:大学|学院)$")
_PLACE = re.compile(r"^([\u4e00-\u9fff]{2,9}?(?:市|自治州|州|地区))")


@dataclass(frozen=True)
class SchoolProfile:
    """What a school's name says of it when the round file does not list it."""

    type: str | None  # 高职 | 中职 | 本科, or None when the name does not say
    city: str | None
    review_authority: str  # province | city


def profile_from_name(name: str, config: RoundConfig) -> SchoolProfile:
    """Type from the name's ending (…职业技术学院 高职, …中等专业学校 中职, …大学 本科), city from
    a city it opens with (邵阳市…, or a city of the round's schools: 株洲…), and the authority
    the notice gives that type: 中职 to its city bureau when the city is known, everything
    else (and anything the name does not settle) to the province."""
    kind = None
    if _HIGHER_VOCATIONAL.search(name):
        kind = "高职"
    elif _SECONDARY.search(name):
        kind = "中职"
    elif _UNIVERSITY.search(name):
        kind = "本科"
    city = None
    cities = sorted({s.city for s in config.schools if s.city}, key=len, reverse=True)
    for known in cities:
        stem = re.sub(r"(?:市|自治州|州|地区)$", "", known)
        if name.startswith(known) or (len(stem) >= 2 and name.startswith(stem)):
            city = known
            break
    if city is None:
        place = _PLACE.match(name)
        city = place.group(1) if place and not place.group(1).endswith("县") else None
    authority = "city" if kind == "中职" and city else "province"
    return SchoolProfile(type=kind, city=city, review_authority=authority)
