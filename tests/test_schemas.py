"""Schemas: checked-in JSON Schema files are current; the round file loads and is validated."""

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from schemas.jsonschema import MODELS, SCHEMA_DIR, render
from schemas.round_config import RoundConfig, load_round_config


@pytest.mark.parametrize("name", sorted(MODELS))
def test_json_schema_files_are_current(name: str) -> None:
    checked_in = (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
    assert checked_in == render(MODELS[name]), f"run: python -m schemas.jsonschema ({name} changed)"


def test_shipped_round_is_2022_hunan() -> None:
    config = load_round_config()
    assert config.year == 2022
    assert config.window_start == dt.date(2022, 4, 14)
    assert config.deadline.date() == dt.date(2022, 4, 28)
    assert len(config.valid_batches) == 6
    school = config.school("长沙民政职院")
    assert school is not None and school.name == "长沙民政职业技术学院"
    assert school.review_authority == "province"
    secondary = next(s for s in config.schools if s.type == "中职")
    assert secondary.review_authority == "city"


def test_round_file_errors_are_caught(tmp_path: Path) -> None:
    bad = tmp_path / "round.toml"
    bad.write_text(
        'name = "x"\nyear = 2022\nwindow_start = 2021-04-14\ndeadline = 2022-04-28T23:59:59+08:00\n'
        "valid_batches = []\ncertificates = []\nschools = []\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match="window_start"):
        load_round_config(bad)
    with pytest.raises(ValidationError):
        RoundConfig.model_validate({"name": "x"})
