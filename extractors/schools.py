"""Which school a file belongs to when its content does not say (an unreadable PDF, a scan):
the school's name or an alias in the file's path, longest match first."""

from __future__ import annotations

from schemas.round_config import RoundConfig


def school_in_text(text: str, config: RoundConfig) -> str | None:
    names: list[tuple[str, str]] = []
    for school in config.schools:
        names.append((school.name, school.name))
        names.extend((alias, school.name) for alias in school.aliases)
    for written, canonical in sorted(names, key=lambda pair: -len(pair[0])):
        if len(written) >= 3 and written in text:
            return canonical
    return None
