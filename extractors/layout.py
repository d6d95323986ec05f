"""Visual lines -> logical lines: what a reader sees as one sentence or one table row.

A PDF (or an OCR pass) gives one line per printed row of text. Schools' plans wrap their
sentences at the right margin and their table cells inside the column, so a certificate name,
a teacher list or a facilities paragraph arrives cut into pieces, and the piece after the cut
looks like a line of its own. This module joins them once, where the page facts are made, so
that every field reader works on whole sentences and whole rows:

- a paragraph line that runs to the right edge of the text is continued by the next line when
  that line starts no further right and carries no heading or item number of its own;
- a line that starts inside a table's column (not in its first column) and lies under a row is
  that row's cell text wrapping: it is appended to the cell it sits under;
- a piece of a ruled cell's text that fell across the cell's rule (a skewed scan) is put back
  into the cell it overlaps most;
- page numbers (第1页共4页, - 1 -) are left out.

Ruled tables come first: where the page draws a grid (the text layer's ruling lines, or the
grid an OCR pass finds), each row is one logical line whose cells hold all the words inside
their borders, however the cell's text wrapped or was centred (``table_rows``).

It works on boxes only, so text layer and OCR lines are joined the same way.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable

from extractors.normalize import fold_width
from schemas.facts import Box, Cell, Line, Word

# A grid row: the boxes of its cells left to right (None where a merged cell covers it).
GridRow = list[Box | None]

PAGE_FOOTER = re.compile(
    r"^\s*(?:第\s*\d+\s*页\s*[,，/]?\s*(?:共\s*\d+\s*页)?|[-—–]\s*\d+\s*[-—–]|\d+\s*/\s*\d+|共\s*\d+\s*页\s*第\s*\d+\s*页)\s*$"
)
# What opens a new item rather than continuing a sentence: 一、 （一） 1. 1、 (1) ① 第一条 ● 附件
ITEM_START = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百]+(?:部分|章|节|条)|[一二三四五六七八九十]{1,3}\s*[、.．]"
    r"|[(（]\s*[一二三四五六七八九十0-9]{1,3}\s*[)）]|[0-9]{1,2}\s*[、.．)）](?![0-9])|[①-⑳]|[●•◆■□☑☐☒√✓✔\-*]"
    r"|\[\s*[√✓✔xX×]?\s*\]|[(（]\s*[√✓✔xX×]?\s*[)）]"
    r"|附件\s*[0-9]*\s*[:：]?\s*$)"
)


_FORM_LABEL = re.compile(r"^[^，。；,;:：\s]{2,12}(?:[(（][^()（）]{0,10}[)）])?\s*[:：]")


def _merge_box(a: Box, b: Box) -> Box:
    return Box.around((a, b))


def _glue(left: str, right: str) -> str:
    """Join two pieces of one sentence: no space between CJK, one between Latin words."""
    if (
        left
        and right
        and left[-1].isascii()
        and left[-1].isalnum()
        and right[0].isascii()
        and right[0].isalnum()
    ):
        return f"{left} {right}"
    return left + right


def _cells(line: Line) -> list[Cell]:
    return line.cells or [Cell(text=line.text, box=line.box)]


def _char_size(lines: list[Line]) -> float:
    heights = [line.box.bottom - line.box.top for line in lines if line.box.bottom > line.box.top]
    return statistics.median(heights) if heights else 10.0


def text_right_edge(lines: list[Line], page_width: float | None = None) -> float:
    """Where the document's paragraphs end: the right edge that the long lines reach, taken
    over every page (a page of short lines never reaches it), but not beyond the mirror of the
    left margin (a wide table or a stray line sticks out further than the text's margin)."""
    ends = sorted(line.box.x1 for line in lines if len(line.text) >= 8)
    edge = ends[int(0.95 * (len(ends) - 1))] if ends else max((line.box.x1 for line in lines), default=0.0)
    if page_width and lines:
        left = min(line.box.x0 for line in lines)
        edge = min(edge, page_width - left)
    return edge


def _is_row(line: Line) -> bool:
    return len(line.cells) >= 2


def _continues_cell(row: Line, line: Line, char: float) -> bool:
    """``line`` is wrapped cell text under ``row``: every piece of it lies under one of the
    row's cells, and it either starts right of the first cell or, under the first cell, fits
    inside that cell's width and opens with no item number (a new row or paragraph would)."""
    if line.box.top - row.box.bottom > 1.6 * char:
        return False
    if not all(_cell_under(row, cell) is not None for cell in _cells(line)):
        return False
    first = row.cells[0]
    if line.box.x0 > first.box.x1 + 0.5 * char:
        return True
    inside_first = line.box.x0 >= first.box.x0 - 0.5 * char and line.box.x1 <= first.box.x1 + 0.5 * char
    return (
        len(_cells(line)) == 1
        and inside_first
        and line.box.top - row.box.bottom <= 1.2 * char
        and ITEM_START.match(fold_width(line.text)) is None
    )


def _cell_under(row: Line, cell: Cell) -> int | None:
    for index, candidate in enumerate(row.cells):
        overlap = min(candidate.box.x1, cell.box.x1) - max(candidate.box.x0, cell.box.x0)
        if overlap > 0.5 * min(cell.box.x1 - cell.box.x0, candidate.box.x1 - candidate.box.x0):
            return index
    return None


def _continues_paragraph(
    previous: Line, line: Line, right_edge: float, char: float, so_far: str | None = None
) -> bool:
    """``line`` goes on with the sentence whose last printed line is ``previous`` (``so_far``
    is the whole block up to there)."""
    if _is_row(previous) or _is_row(line):
        return False
    if line.box.top - previous.box.bottom > 1.6 * char:
        return False
    centre = (line.box.x0 + line.box.x1) / 2
    if (
        abs(centre - (previous.box.x0 + previous.box.x1) / 2) <= 1.5 * char
        and line.box.x1 - line.box.x0 < 0.4 * (previous.box.x1 - previous.box.x0)
        and right_edge - previous.box.x1 <= 2.5 * char
        and not re.search(r"[。；;：:]$", previous.text.strip())
    ):
        return True  # a centred title that wrapped: its rest is centred under it
    if line.box.x0 > previous.box.x0 + 0.6 * char:
        return False  # indented: a new paragraph
    if not _same_size(previous, line):
        return False  # another font size: a title above its text
    if ITEM_START.match(fold_width(line.text)) is not None:
        return False
    if _FORM_LABEL.match(fold_width(line.text)):
        return False  # 其他教师: … opens a form line of its own
    if _open_brackets(so_far if so_far is not None else previous.text):
        return True  # 《…（试 / 行）》: a bracket left open is closed on the next line
    short_by = right_edge - previous.box.x1
    # Latin words (and what may not start a line after them) move to the next line whole:
    # "安装VS" / "Code、HBuilderX…" ends far from the edge and still goes on.
    if re.search(r"[A-Za-z0-9]$", previous.text) and re.match(r"[A-Za-z]", line.text) and short_by < 8 * char:
        return True
    # An unbreakable run at the start of the next line (（ABB、 / Windows) did not fit: the line
    # above ended early by as much as that run is wide.
    run = re.match(r"[（(“\"《]?[A-Za-z0-9][A-Za-z0-9.+#_-]*[、，,）)]*", line.text)
    if re.search(r"[A-Za-z0-9]$", previous.text) and re.match(r"[A-Za-z]", line.text):
        # Broken inside a Latin list (安装VS / Code、HBuilderX、Chrome…): some renderers keep
        # the whole list of names together as one unbreakable run.
        run = re.match(r"(?:[A-Za-z0-9][A-Za-z0-9.+#_-]*[、，,/）) ]*)+", line.text)
    if run and line.text:
        short_by -= (line.box.x1 - line.box.x0) * len(run.group(0)) / len(line.text)
    if short_by > 2.5 * char:
        return False  # the line above ended early: its sentence or its heading is complete
    # A sentence that ended before the edge: line breaking leaves no such gap.
    return not (short_by > 1.0 * char and re.search(r"[。：:；;！？]$", previous.text.strip()))


def _pitch(line: Line) -> float | None:
    """Points per character across the line (a Latin letter or digit counts half)."""
    text = re.sub(r"\s+", "", line.text)
    width = sum(0.5 if ch.isascii() else 1.0 for ch in text)
    return (line.box.x1 - line.box.x0) / width if width >= 2 else None


def _same_size(previous: Line, line: Line) -> bool:
    """Both lines in one font size: their heights agree, or, for OCR lines (whose boxes grow
    with a low 。 or a seal's edge), the width of their characters does."""
    previous_size = previous.box.bottom - previous.box.top
    size = line.box.bottom - line.box.top
    if abs(previous_size - size) <= 0.15 * max(previous_size, size):
        return True
    if previous.source != "ocr" or line.source != "ocr":
        return False
    above, below = _pitch(previous), _pitch(line)
    if above is None or below is None:
        return False
    return abs(above - below) <= 0.15 * max(above, below)


def _open_brackets(text: str) -> bool:
    folded = fold_width(text)
    return any(folded.count(o) > folded.count(c) for o, c in (("《", "》"), ("(", ")"), ("“", "”")))


def _append_to_row(row: Line, line: Line) -> Line:
    cells = [cell.model_copy() for cell in row.cells]
    for piece in _cells(line):
        index = _cell_under(row, piece)
        if index is None:
            continue
        cells[index] = Cell(
            text=_glue(cells[index].text, piece.text), box=_merge_box(cells[index].box, piece.box)
        )
    return Line(
        text="\t".join(cell.text for cell in cells),
        box=_merge_box(row.box, line.box),
        source=row.source,
        cells=cells,
    )


def _append_to_paragraph(paragraph: Line, line: Line) -> Line:
    text = _glue(paragraph.text, line.text)
    box = _merge_box(paragraph.box, line.box)
    return Line(text=text, box=box, source=paragraph.source, cells=[Cell(text=text, box=box)])


def logical_lines(lines: list[Line], right_edge: float | None = None) -> list[Line]:
    """The page's visual lines (top to bottom) joined into sentences and table rows;
    ``right_edge`` is the document's (``text_right_edge`` over all its pages)."""
    body = [line for line in lines if not PAGE_FOOTER.match(fold_width(line.text))]
    if not body:
        return []
    char = _char_size(body)
    # The page's own frame where it has enough text to show it: a merged PDF's parts (the
    # plan, the agreement) come from different documents with different margins.
    long_lines = [line for line in body if len(line.text) >= 8]
    page_edge = text_right_edge(body) if len(long_lines) >= 5 else None
    if right_edge is None:
        right_edge = page_edge if page_edge is not None else text_right_edge(body)
    elif page_edge is not None and page_edge >= 0.85 * right_edge:
        # (a page of short form lines has no margin of its own to go by: keep the document's)
        right_edge = min(right_edge, page_edge)
    blocks: list[Line] = []
    last_visual: list[Line] = []  # the last printed line of each block decides how it ends
    for line in body:
        previous = blocks[-1] if blocks else None
        if previous is not None and _is_row(previous) and _continues_cell(previous, line, char):
            blocks[-1] = _append_to_row(previous, line)
        elif previous is not None and _continues_paragraph(
            last_visual[-1], line, right_edge, char, previous.text
        ):
            blocks[-1] = _append_to_paragraph(previous, line)
        else:
            blocks.append(line)
            last_visual.append(line)
            continue
        last_visual[-1] = line
    return blocks


def _inside(word: Word, box: Box) -> bool:
    x = (word.box.x0 + word.box.x1) / 2
    y = (word.box.top + word.box.bottom) / 2
    return box.x0 <= x <= box.x1 and box.top <= y <= box.bottom


def table_rows(
    words: list[Word], grid: list[GridRow], group: Callable[[list[Word]], list[Line]]
) -> tuple[list[Line], list[Word]]:
    """The rows of a ruled table as logical lines, and the words outside every cell.

    ``group`` makes visual lines of a cell's words (the reader's own line grouping); a cell's
    visual lines are joined into one text, since a cell is one value that wrapped."""
    taken: set[int] = set()
    rows: list[Line] = []
    for row in grid:
        cells: list[Cell] = []
        for box in row:
            if box is None:
                continue
            inside = [i for i, word in enumerate(words) if i not in taken and _inside(word, box)]
            taken.update(inside)
            text = ""
            for visual in group([words[i] for i in inside]):
                text = _glue(text, visual.text.replace("\t", " "))
            cells.append(Cell(text=text, box=box))
        if any(cell.text for cell in cells):
            box = cells[0].box
            for cell in cells[1:]:
                box = _merge_box(box, cell.box)
            rows.append(Line(text="\t".join(cell.text for cell in cells), box=box, cells=cells))
    rest = [word for i, word in enumerate(words) if i not in taken]
    return rows, rest


def _cell_wrapped_into(line: Line, rows: list[Line]) -> tuple[int, int] | None:
    """The (row, cell) of a ruled table whose text ``line`` is a part of that fell outside the
    cell's border: a skewed scan's wrapped second line (汽车运用与维修（含智能新能源 / 汽车）)
    straddles the rule under its row. It must lie within one cell's width and overlap that
    row by a good part of its own height, more than any other row."""
    if len(line.cells) > 1 or not line.text.strip():
        return None
    height = max(line.box.bottom - line.box.top, 1.0)
    slack = 0.5 * height
    best: tuple[float, int, int] | None = None
    for row_index, row in enumerate(rows):
        overlap = min(row.box.bottom, line.box.bottom) - max(row.box.top, line.box.top)
        if overlap < 0.3 * height:
            continue
        for cell_index, cell in enumerate(row.cells):
            within = cell.box.x0 - slack <= line.box.x0 and line.box.x1 <= cell.box.x1 + slack
            if within and (best is None or overlap > best[0]):
                best = (overlap, row_index, cell_index)
    return None if best is None else (best[1], best[2])


def _with_wrapped_cells(free: list[Line], rows: list[Line]) -> tuple[list[Line], list[Line]]:
    """The free lines that are no cell's spill-over, and the rows with their spill-over glued
    on: above the cell's text when the piece starts higher, else below it."""
    rows = list(rows)
    rest: list[Line] = []
    for line in free:
        place = _cell_wrapped_into(line, rows)
        if place is None:
            rest.append(line)
            continue
        row_index, cell_index = place
        row = rows[row_index]
        cells = [cell.model_copy() for cell in row.cells]
        cell = cells[cell_index]
        text = _glue(line.text, cell.text) if line.box.top < cell.box.top else _glue(cell.text, line.text)
        cells[cell_index] = Cell(text=text, box=cell.box)
        rows[row_index] = row.model_copy(update={"text": "\t".join(c.text for c in cells), "cells": cells})
    return rest, rows


def with_table_rows(free: list[Line], rows: list[Line], right_edge: float | None = None) -> list[Line]:
    """A page's logical lines: its table rows and its other lines joined, top to bottom."""
    free, rows = _with_wrapped_cells(free, rows)
    return sorted([*logical_lines(free, right_edge), *rows], key=lambda line: (line.box.top, line.box.x0))


def continues_on_next_page(last: Line, first: Line, right_edge: float) -> bool:
    """The page's last sentence goes on at the top of the next page: it stops at a comma (or
    runs to the edge without a full stop) and the next page opens with no item of its own."""
    if len(last.cells) >= 2 or len(first.cells) >= 2:
        return False
    text = fold_width(last.text).strip()
    if not text or ITEM_START.match(fold_width(first.text)) is not None:
        return False
    char = max(last.box.bottom - last.box.top, 1.0)
    if re.search(r"[，、,；;（(“《]$", text):
        return True
    return (
        bool(re.search(r"[\u4e00-\u9fffA-Za-z0-9]$", text))
        and last.box.x1 >= right_edge - 2.5 * char
        and len(text) > 20
    )
