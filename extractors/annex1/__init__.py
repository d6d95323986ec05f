"""Attachment 1 (院校试点信息统计表) cell grids -> :class:`Annex1Data`.

Every school fills the office's template its own way: headers on one or two rows, letter-spaced
(试 点 规 模), with units (应缴费用（万元）) or synonyms (级别, 拟申报人数), an extra 序号 column,
columns moved, both tables on one sheet or on two, section labels as caption rows or as a merged
vertical column, 合计 rows anywhere, placeholder rows （可加行）, notes. So the two tables are found
by their header labels and the shape of the grid, never by fixed cells, and every value is
normalised the way a reviewer would read it. What cannot be read is reported in ``problems``
rather than guessed, and where each value came from is kept in ``evidence`` for the reviewer's
screen. A workbook that is not an Attachment 1 at all comes back as kind ``other``.

The package is split by concern: ``values`` (cell normalisation), ``headers`` (what a row is),
``sections`` (where the tables are), ``form`` (school, contact, date lines) and ``document``
(the entry points); everything public is importable from here.
"""

from extractors.annex1.document import (
    Annex1Parse,
    extract_annex1_document,
    has_annex1_table,
    has_annex1_title,
    parse_annex1,
)
from extractors.annex1.form import find_contact, find_date, find_school, is_annex1_title, labelled_value
from extractors.annex1.headers import (
    COUNT_FIELDS,
    EXISTING_FIELDS,
    EXISTING_ONLY,
    MONEY_FIELDS,
    NEW_FIELDS,
    SectionKind,
    header_field,
    is_foreign_label,
    is_header_row,
    is_note_row,
    is_total_row,
    label_key,
)
from extractors.annex1.sections import Band, Section, body_rows, find_bands, find_sections
from extractors.annex1.values import (
    carryover,
    certificate_lookup,
    is_placeholder,
    normalise_batch,
    normalise_certificate,
    normalise_level,
    parse_count_cell,
    parse_money_cell,
)

__all__ = [
    "COUNT_FIELDS",
    "EXISTING_FIELDS",
    "EXISTING_ONLY",
    "MONEY_FIELDS",
    "NEW_FIELDS",
    "Annex1Parse",
    "Band",
    "Section",
    "SectionKind",
    "body_rows",
    "carryover",
    "certificate_lookup",
    "extract_annex1_document",
    "find_bands",
    "find_contact",
    "find_date",
    "find_school",
    "find_sections",
    "has_annex1_table",
    "has_annex1_title",
    "header_field",
    "is_annex1_title",
    "is_foreign_label",
    "is_header_row",
    "is_note_row",
    "is_placeholder",
    "is_total_row",
    "label_key",
    "labelled_value",
    "normalise_batch",
    "normalise_certificate",
    "normalise_level",
    "parse_annex1",
    "parse_count_cell",
    "parse_money_cell",
]
