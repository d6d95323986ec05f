"""Formula cells that carry no computed value, computed from the grid as Excel would.

A file written by a library and never opened in Excel has ``=SUM(E5:E9)`` in its 合计 row and
no value beside it. The simple formulas Attachment 1 uses (SUM over ranges, + and -, nested
SUMs) are computed here from the table's own cells; anything else is left alone, and the
parser then ignores the cell rather than guess.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extractors.tables import Table

_REF = r"\$?([A-Z]{1,3})\$?(\d{1,7})"
_TOKEN = re.compile(rf"\s*(?:(SUM)\(|{_REF}(?::{_REF})?|(\d+(?:\.\d+)?)|([-+,()]))", re.IGNORECASE)


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def formula_value(table: Table, row: int, column: int) -> float | None:
    """The value of a simple formula cell (``=SUM(E5:E9)``, ``=E5+E6-E7``, nested SUMs) computed
    from the grid, as Excel would show it; None for anything else (the parser then ignores the
    cell rather than guess)."""
    return _evaluate_cell(table, row, column, depth=0)


def _evaluate_cell(table: Table, row: int, column: int, depth: int) -> float | None:
    text = table.cell(row, column)
    if (row, column) in table.formulas:
        if depth > 20:  # a circular reference
            return None
        return _evaluate(table, text.lstrip("="), depth + 1)
    if not text:
        return 0.0
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _evaluate(table: Table, expression: str, depth: int) -> float | None:
    tokens = _tokens(expression)
    if tokens is None:
        return None
    position = 0

    def sum_of_terms(stop: set[str]) -> float | None:
        nonlocal position
        total = 0.0
        sign = 1.0
        while position < len(tokens):
            token = tokens[position]
            if token[0] in stop:
                return total
            position += 1
            if token[0] in "+-":
                sign = -1.0 if token[0] == "-" else 1.0
                continue
            value = term(token)
            if value is None:
                return None
            total += sign * value
            sign = 1.0
        return total

    def term(token: tuple[str, ...]) -> float | None:
        nonlocal position
        if token[0] == "SUM(":
            total = 0.0
            while True:
                value = sum_of_terms({",", ")"})
                if value is None or position >= len(tokens):
                    return None
                total += value
                position += 1
                if tokens[position - 1][0] == ")":
                    return total
        if token[0] == "ref":
            _, top, left, bottom, right = token
            many = (top, left) != (bottom, right)
            total = 0.0
            for r in range(int(top), int(bottom) + 1):
                for c in range(int(left), int(right) + 1):
                    value = _evaluate_cell(table, r, c, depth)
                    if value is None:
                        if many and (r, c) not in table.formulas:
                            # As in Excel, SUM over a range skips text: the （可加行） or 无
                            # a school left in its unused template rows.
                            continue
                        return None
                    total += value
            return total
        if token[0] == "num":
            return float(token[1])
        return None

    result = sum_of_terms(set())
    return result if position == len(tokens) else None


def _tokens(expression: str) -> list[tuple[str, ...]] | None:
    tokens: list[tuple[str, ...]] = []
    position = 0
    expression = expression.strip()
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None:
            return None
        position = match.end()
        sum_open, col1, row1, col2, row2, number, symbol = match.groups()
        if sum_open:
            tokens.append(("SUM(",))
        elif col1:
            top, left = int(row1) - 1, _column_index(col1)
            bottom, right = (int(row2) - 1, _column_index(col2)) if col2 else (top, left)
            tokens.append(("ref", str(top), str(left), str(bottom), str(right)))
        elif number:
            tokens.append(("num", number))
        elif symbol:
            tokens.append((symbol,))
        if position < len(expression) and expression[position:].strip() == "":
            break
    return tokens
