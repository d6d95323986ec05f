"""Small value types used by several schemas."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Base for every schema: unknown keys are an error, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
