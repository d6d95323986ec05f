"""The ruled tables of a page image, as the grid rows the text layer's tables give.

A scanned table's ruling lines (``prepare.ruling_lines``) enclose its cells: each hole of the
line mask is a cell. Cells are grouped into rows by their top edge, so that
``extractors.layout.table_rows`` joins a cell's OCR words exactly as it joins a native
table's, however the cell's text wrapped.
"""

from __future__ import annotations

import cv2
import numpy as np

from extractors.layout import GridRow
from schemas.facts import Box

_MIN_CELL_POINTS = 8.0  # a cell is at least a character high and wide
_MAX_CELL_SHARE = 0.4  # a hole taller than this share of the page is a frame, not a cell


def grid_rows(rule_mask: np.ndarray, points_per_pixel: float, min_cell: float | None = None) -> list[GridRow]:
    """Rows of cell boxes enclosed by the mask's lines, top to bottom, in PDF points (pixels
    times ``points_per_pixel``); ``min_cell`` is the smallest cell side in those units."""
    smallest = _MIN_CELL_POINTS if min_cell is None else min_cell
    contours, hierarchy = cv2.findContours(rule_mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    height = rule_mask.shape[0]
    boxes: list[Box] = []
    for index, contour in enumerate(contours):
        if hierarchy[0][index][3] < 0:  # an outer contour: the lines themselves
            continue
        x, y, w, h = cv2.boundingRect(contour)
        if w * points_per_pixel < smallest or h * points_per_pixel < smallest:
            continue
        if h > _MAX_CELL_SHARE * height:
            continue
        # A hole that is mostly not filled by its bounding box is the gap between two tables.
        if cv2.contourArea(contour) < 0.7 * w * h:
            continue
        boxes.append(
            Box(
                x0=x * points_per_pixel,
                top=y * points_per_pixel,
                x1=(x + w) * points_per_pixel,
                bottom=(y + h) * points_per_pixel,
            )
        )
    if len(boxes) < 2:
        return []
    return _rows(boxes)


def _rows(boxes: list[Box]) -> list[GridRow]:
    rows: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b.top, b.x0)):
        if rows and abs(rows[-1][0].top - box.top) <= 0.5 * min(
            box.bottom - box.top, rows[-1][0].bottom - rows[-1][0].top
        ):
            rows[-1].append(box)
        else:
            rows.append([box])
    grid: list[GridRow] = []
    for row in rows:
        row.sort(key=lambda b: b.x0)
        grid.append(list(row))
    return grid
