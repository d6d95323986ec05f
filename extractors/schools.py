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


def _unknown_name(texts: Iterable[str]) -> str | None:
    """A school-like name (ends in 学院/学校/…) in the first text that has one."""
    for text in texts:
        found = _SCHOOL_SUFFIX.search(text)
        if found and len(found.group(1)) >= _MIN_NAME_CHARS:
            return found.group(1)
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
