"""Writes the JSON Schema files in ``schemas/json/`` from the pydantic models.

Run ``python -m schemas.jsonschema`` after changing a model; a test fails while the checked-in
files differ from what the models produce.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from schemas.annex1 import Annex1Data
from schemas.export import ExportFile
from schemas.finding import Finding
from schemas.plan import PlanData
from schemas.round_config import RoundConfig

SCHEMA_DIR = Path(__file__).parent / "json"

MODELS: dict[str, type[BaseModel]] = {
    "plan": PlanData,
    "annex1": Annex1Data,
    "finding": Finding,
    "round_config": RoundConfig,
    "export": ExportFile,
}


def render(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, model in MODELS.items():
        (SCHEMA_DIR / f"{name}.schema.json").write_text(render(model), encoding="utf-8")
        print(f"wrote schemas/json/{name}.schema.json")


if __name__ == "__main__":
    main()
