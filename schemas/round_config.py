"""The round configuration the office edits: year, dates, valid batches, certificates, schools.

Loaded once from a TOML file and passed down; nothing else in the code knows which round it
is. ``schemas/rounds/hunan-2022.toml`` is the shipped 2022 Hunan round.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from schemas.common import StrictModel

SchoolType = Literal["高职", "中职", "本科"]

DEFAULT_ROUND_FILE = Path(__file__).parent / "rounds" / "hunan-2022.toml"


class CertificateEntry(StrictModel):
    name: str
    organization: str | None = None
    aliases: list[str] = Field(default_factory=list)


class SchoolEntry(StrictModel):
    name: str
    type: SchoolType
    city: str
    aliases: list[str] = Field(default_factory=list)
    email_domains: list[str] = Field(default_factory=list)

    @property
    def review_authority(self) -> Literal["province", "city"]:
        """中职 applications go to the city bureau; 高职 and 本科 to the province."""
        return "city" if self.type == "中职" else "province"


class RoundConfig(StrictModel):
    name: str
    year: int
    window_start: dt.date
    deadline: dt.datetime
    valid_batches: list[str]
    carryover_batches: list[str] = Field(default_factory=list)
    certificates: list[CertificateEntry]
    schools: list[SchoolEntry]

    @model_validator(mode="after")
    def _check_dates(self) -> RoundConfig:
        if self.window_start.year != self.year:
            raise ValueError(f"window_start {self.window_start} is not in round year {self.year}")
        if self.deadline.date() < self.window_start:
            raise ValueError("deadline is before window_start")
        unknown = set(self.carryover_batches) - set(self.valid_batches)
        if unknown:
            raise ValueError(f"carryover_batches not among valid_batches: {sorted(unknown)}")
        return self

    def certificate_names(self) -> list[str]:
        return [c.name for c in self.certificates]

    def school(self, name: str) -> SchoolEntry | None:
        for entry in self.schools:
            if name == entry.name or name in entry.aliases:
                return entry
        return None


def load_round_config(path: Path | None = None) -> RoundConfig:
    """Read a round file; the shipped 2022 Hunan round when no path is given."""
    source = path or DEFAULT_ROUND_FILE
    with source.open("rb") as handle:
        raw = tomllib.load(handle)
    return RoundConfig.model_validate(raw)
