"""Runtime settings: where the database, the raw archive and the round file are.

Built once from the command line and the environment (PILOT_INTAKE_DB_URL,
PILOT_INTAKE_ARCHIVE, PILOT_INTAKE_ROUND) and passed down; the embedded defaults keep
everything under ``out/`` so a first run needs nothing configured. The processing limits
(schemas/limits.py) ride along: ``PILOT_INTAKE_LIMIT_<NAME>`` (``PILOT_INTAKE_LIMIT_ROWS_PER_TABLE
=3000``) changes one of them without a code change.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from extractors.errors import ConfigurationError
from extractors.vision.ocr_page import OcrOptions
from schemas.limits import Limits

DEFAULT_OUT = Path("out")


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    db_url: str = f"sqlite:///{DEFAULT_OUT / 'review.sqlite3'}"
    archive_dir: Path = DEFAULT_OUT / "archive"
    cache_dir: Path = DEFAULT_OUT / "cache"
    round_file: Path | None = None
    limits: Limits = Limits()
    # OCR of scans: engine and the page cache (under cache_dir, so a rerun re-reads nothing).
    ocr: OcrOptions = OcrOptions(cache_dir=DEFAULT_OUT / "cache")

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
        values["limits"] = limits_from_environment()
        cache = values.get("cache_dir", DEFAULT_OUT / "cache")
        engine = os.environ.get("PILOT_INTAKE_OCR_ENGINE", "rapid").strip() or "rapid"
        if engine not in ("tesseract", "rapid"):
            raise ConfigurationError(
                f"未知的OCR引擎：PILOT_INTAKE_OCR_ENGINE={engine}", remedy="可用的引擎为 tesseract 和 rapid。"
            )
        values["ocr"] = OcrOptions(engine=engine, cache_dir=cache)
        return cls.model_validate(values)


LIMIT_PREFIX = "PILOT_INTAKE_LIMIT_"


def limits_from_environment(env: dict[str, str] | None = None) -> Limits:
    """The defaults, with any ``PILOT_INTAKE_LIMIT_<NAME>`` the environment sets."""
    source = os.environ if env is None else env
    changed: dict[str, str] = {}
    for key, value in source.items():
        if not key.startswith(LIMIT_PREFIX):
            continue
        name = key.removeprefix(LIMIT_PREFIX).lower()
        if name not in Limits.model_fields:
            known = "、".join(LIMIT_PREFIX + field.upper() for field in Limits.model_fields)
            raise ConfigurationError(f"未知的处理上限设置：{key}", remedy=f"可用的设置为：{known}。")
        changed[name] = value.strip()
    try:
        return Limits.model_validate(changed)
    except ValueError as error:
        raise ConfigurationError(
            f"处理上限设置无效：{'、'.join(LIMIT_PREFIX + n.upper() + '=' + v for n, v in changed.items())}",
            remedy="处理上限须为正数（字节数、页数、行数、秒数等）。",
        ) from error
