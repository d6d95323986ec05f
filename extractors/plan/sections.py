"""The Annex 2 plan's sections, found by their headings in whatever numbering the school used.

The template numbers its parts 一、基本信息 … 五、经费保障, with 1. 2. items under them, but
schools renumber (（一）, 1、, 第一部分), merge two parts into one or drop the template's
wording, and write the content as a sentence, a list, a table or a paragraph below a short
sub-heading (1．笔试场地 / the text on the next line). So a field is looked for inside the
section whose heading names its subject, whatever its number, and its value is whatever the
school wrote under the sub-heading that names it: the rest of the heading line after a colon,
then every line down to the next heading of the same or a higher rank.

Pure functions on the plan's logical lines (``PlanLine``); no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from extractors.normalize import fold_width

# Heading numbering styles, highest rank first. A section ends at the next heading whose
# style ranks the same or higher.
_STYLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("part", re.compile(r"^\s*第[一二三四五六七八九十]+(?:部分|章|节)\s*[、.．:：]?\s*")),
    ("cn", re.compile(r"^\s*[一二三四五六七八九十]{1,3}\s*[、.．]\s*")),
    ("paren_cn", re.compile(r"^\s*[(（]\s*[一二三四五六七八九十]{1,3}\s*[)）]\s*[、.．]?\s*")),
    ("ar", re.compile(r"^\s*[0-9]{1,2}\s*[、.．](?![0-9])\s*")),
    ("paren_ar", re.compile(r"^\s*[(（]\s*[0-9]{1,2}\s*[)）]\s*[、.．]?\s*")),
    ("circled", re.compile(r"^\s*[①-⑳]\s*")),
)
_RANK = {name: rank for rank, (name, _pattern) in enumerate(_STYLES)}


@dataclass(frozen=True)
class PlanLine:
    """One logical line of the plan: its page, its text and, for a table row, its cells."""

    page: int
    text: str
    cells: tuple[str, ...] = ()


@dataclass(frozen=True)
class Heading:
    index: int
    rank: int
    title: str  # the heading's words, without its number and without what follows a colon
    rest: str  # what follows the colon on the heading's own line
    body: str = ""  # the whole heading line without its number


def heading_of(line: PlanLine, index: int) -> Heading | None:
    """The heading on ``line``, when it opens with a number; a long numbered sentence is an
    item of a list, which still bounds what comes before it."""
    if len(line.cells) >= 2:
        return None  # a table row (序号 1, 2 …), not a heading
    folded = fold_width(line.text)
    for name, pattern in _STYLES:
        match = pattern.match(folded)
        if match is None:
            continue
        body = line.text[match.end() :].strip()
        title, colon, rest = (
            re.split(r"([:：])", body, maxsplit=1) if re.search(r"[:：]", body) else (body, "", "")
        )
        return Heading(
            index=index, rank=_RANK[name], title=title.strip(), rest=rest.strip() if colon else "", body=body
        )
    return None


def headings(lines: Sequence[PlanLine]) -> list[Heading]:
    return [h for index, line in enumerate(lines) if (h := heading_of(line, index)) is not None]


@dataclass(frozen=True)
class Section:
    heading: Heading
    lines: tuple[PlanLine, ...]  # the lines below the heading, to the section's end
    page: int = 0  # the page the heading is on

    @property
    def text(self) -> str:
        """The school's words: the heading's rest and every line below, joined."""
        parts = [self.heading.rest] if self.heading.rest else []
        parts += [line.text for line in self.lines]
        return "".join(part.replace("\t", " ") for part in parts).strip()

    @property
    def item_text(self) -> str:
        """An item of a list: its whole first line (without the number) and what follows."""
        parts = [self.heading.body, *(line.text for line in self.lines)]
        return "".join(part.replace("\t", " ") for part in parts).strip()


def section_at(lines: Sequence[PlanLine], heading: Heading, all_headings: Sequence[Heading]) -> Section:
    end = len(lines)
    for other in all_headings:
        if other.index > heading.index and other.rank <= heading.rank:
            end = other.index
            break
    return Section(
        heading=heading, lines=tuple(lines[heading.index + 1 : end]), page=lines[heading.index].page
    )


def find_sections(
    lines: Sequence[PlanLine], title: re.Pattern[str], *, within: Section | None = None
) -> list[Section]:
    """Every section whose heading title matches ``title`` (inside ``within`` when given)."""
    offset = 0
    scope: Sequence[PlanLine] = lines
    if within is not None:
        offset = within.heading.index + 1
        scope = within.lines
    found_headings = headings(scope)
    sections = []
    for heading in found_headings:
        if title.search(fold_width(heading.title)):
            section = section_at(scope, heading, found_headings)
            shifted = Heading(
                index=heading.index + offset,
                rank=heading.rank,
                title=heading.title,
                rest=heading.rest,
                body=heading.body,
            )
            sections.append(Section(heading=shifted, lines=section.lines, page=section.page))
    return sections


def subsections(section: Section) -> list[Section]:
    """The numbered items or sub-headings directly inside ``section``."""
    inner = headings(section.lines)
    if not inner:
        return []
    top = min(h.rank for h in inner)
    return [section_at(section.lines, h, inner) for h in inner if h.rank == top]


def sentences(text: str) -> list[str]:
    """Sentences ending in 。！？ (kept), the last one possibly open."""
    return [part for part in re.findall(r"[^。！？!?]+[。！？!?]?", text) if part.strip()]
