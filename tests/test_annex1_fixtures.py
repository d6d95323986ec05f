"""The generator writes the layouts schools send (vertical section labels, a shared header,
placeholder rows, 合计 at the top, zeros left blank, the school only in the title, a school off
the round's list) and the tables that are not Attachment 1; the reader reads every one
exactly, and the files really have the layout they claim."""

from __future__ import annotations

import random

import pytest

from extractors.annex1 import extract_annex1_document, find_bands
from extractors.plan_document import plan_extractor_for
from extractors.received import extract_received
from extractors.tables import read_tables
from fixtures.annex1 import (
    ANNEX1_FORMATS,
    UNRELATED_KINDS,
    UNRELATED_NAMES,
    make_annex1_data,
    render_annex1,
    render_unrelated,
    unlisted_school,
)
from fixtures.annex1.style import HINTS, make_style
from schemas.annex1 import Annex1Data, NewApplicationRow
from schemas.round_config import RoundConfig, load_round_config

CONFIG = load_round_config()


def _data(rng: random.Random, school: str, config: RoundConfig, variant: str = "clean") -> Annex1Data:
    certificates = rng.sample(config.certificate_names(), rng.randint(1, 4))
    rows = [
        NewApplicationRow(
            certificate=c, level=rng.choice(("初级", "中级", "高级")), scale=rng.randint(20, 90)
        )
        for c in certificates
    ]
    return make_annex1_data(rng, school, config, rows, variant)


def _round_trip(
    fmt: str, layout: dict[str, object], seed: int, config: RoundConfig = CONFIG, school: str | None = None
) -> bytes:
    rng = random.Random(f"layout-{fmt}-{sorted(layout.items())}-{seed}")
    data = _data(
        rng,
        school or rng.choice(config.schools).name,
        config,
        rng.choice(("clean", "totals_mismatch", "fee_overpaid")),
    )
    content = render_annex1(data, rng, fmt, layout=layout)
    result = extract_annex1_document(content, source=f"附件1.{fmt}", config=config)
    assert result.status == "ok", (layout, seed, result.errors)
    assert result.annex1 is not None and result.annex1.model_dump() == data.model_dump(), (fmt, layout, seed)
    return content


@pytest.mark.parametrize("fmt", ANNEX1_FORMATS)
@pytest.mark.parametrize("sections", ["vertical", "vertical_shared"])
def test_vertical_section_labels_round_trip_and_are_really_vertical(fmt: str, sections: str) -> None:
    for seed in range(6):
        content = _round_trip(fmt, {"sections": sections}, seed)
        tables = read_tables(content).tables
        assert len(tables) == 1
        assert len(find_bands(tables[0])) == 2, (fmt, sections, seed)


@pytest.mark.parametrize("fmt", ANNEX1_FORMATS)
@pytest.mark.parametrize("filler", ["hint", "dash", "none_text"])
def test_placeholder_rows_round_trip(fmt: str, filler: str) -> None:
    seen_marks = 0
    for seed in range(4):
        layout: dict[str, object] = {
            "filler": filler,
            "empty_rows": 2,
            "zero_blank": True,
            "total_first": seed % 2 == 1,
        }
        content = _round_trip(fmt, layout, seed)
        cells = {cell for table in read_tables(content).tables for row in table.rows for cell in row}
        seen_marks += bool(cells & {*HINTS, "无", "—", "/", "-"})
    assert seen_marks == 4


@pytest.mark.parametrize("fmt", ANNEX1_FORMATS)
@pytest.mark.parametrize("school_style", ["title", "label_cell", "label"])
def test_school_off_the_round_list_is_named_from_its_table(fmt: str, school_style: str) -> None:
    rng = random.Random(f"unlisted-{fmt}-{school_style}")
    for seed in range(3):
        school = unlisted_school(rng, CONFIG)
        assert CONFIG.school(school) is None
        content = _round_trip(
            fmt, {"school_style": school_style, "contact_style": "lead_cells"}, seed, school=school
        )
        if school_style == "title":
            book = read_tables(content)
            texts = {cell for t in book.tables for row in t.rows for cell in row} | set(
                book.text.splitlines()
            )
            named = {text for text in texts if school in text}
            assert named and all("统计表" in text for text in named), named


def test_random_styles_cover_every_layout() -> None:
    rng = random.Random(7)
    styles = [make_style(rng, "xlsx") for _ in range(300)]
    assert {s.sections for s in styles} == {"captions", "vertical", "vertical_shared"}
    assert {s.filler for s in styles} == {"blank", "hint", "dash", "none_text"}
    assert {s.school_style for s in styles} == {"label", "label_cell", "title"}
    assert (
        any(s.total_first for s in styles)
        and any(s.zero_blank for s in styles)
        and any(s.new_group for s in styles)
    )
    assert all(not s.two_sheets for s in styles if s.sections != "captions")
    with pytest.raises(ValueError):
        make_style(rng, "xlsx", {"no_such_choice": 1})


@pytest.mark.parametrize("fmt", ANNEX1_FORMATS)
@pytest.mark.parametrize("kind", UNRELATED_KINDS)
def test_unrelated_tables_are_kind_other(fmt: str, kind: str) -> None:
    rng = random.Random(f"{kind}-{fmt}")
    content = render_unrelated(kind, rng, fmt, CONFIG.certificate_names(), "长沙学院")
    name = rng.choice(UNRELATED_NAMES[kind]).replace(".xlsx", f".{fmt}")
    result = extract_received(
        content,
        source=f"m.eml/{name}",
        origin="mail",
        config=CONFIG,
        plan_extractor=plan_extractor_for(CONFIG),
    )
    assert (result.kind, result.status, result.annex1) == ("other", "ok", None)
    assert read_tables(content).tables, "the file must hold a table for the test to mean anything"
