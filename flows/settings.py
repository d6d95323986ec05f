"""Runtime settings: where the database, the raw archive and the round file are.

Built once from the command line and the environment (PILOT_INTAKE_DB_URL,
PILOT_INTAKE_ARCHIVE, PILOT_INTAKE_ROUND) and passed down; the embedded defaults keep
everything under ``out/`` so a first run needs nothing configured.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict

DEFAULT_OUT = Path("out")


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    db_url: str = f"sqlite:///{DEFAULT_OUT / 'review.sqlite3'}"
    archive_dir: Path = DEFAULT_OUT / "archive"
    cache_dir: Path = DEFAULT_OUT / "cache"
    round_file: Path | None = None

    @classmethod
    def from_environment(
        cls, *, db_url: str | None = None, archive_dir: str | None = None, round_file: str | None = None
    ) -> Settings:
        values: dict[str, object] = {}
        url = db_url or os.environ.get("PILOT_INTAKE_DB_URL")
        if url:
            values["db_url"] = url
        archive = archive_dir or os.environ.get("PILOT_INTAKE_ARCHIVE")
        if archive:
            values["archive_dir"] = Path(archive)
            values["cache_dir"] = Path(archive).parent / "cache"
        round_path = round_file or os.environ.get("PILOT_INTAKE_ROUND")
        if round_path:
            values["round_file"] = Path(round_path)
        return cls.model_validate(values)
