"""Column types that keep what was received on both backends.

PostgreSQL's TEXT and JSONB cannot hold U+0000, which a school's file name, an e-mail subject
or a PDF's text layer may carry; SQLite can. The review database must keep what arrived (the
display filter in ``review.display`` makes it safe to show), so these types store NUL
reversibly on PostgreSQL and leave SQLite as it is. The DDL is plain TEXT / VARCHAR / JSONB.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, String, Text, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

# On PostgreSQL every string is stored with NUL written as ESC "0" and ESC itself as ESC ESC,
# so what was received is kept exactly and read back as it came. ESC is the noncharacter
# U+FFFF, which no text is meant to carry (and which round-trips if one does).
NUL_ESCAPE = "\uffff"
_ESCAPED = re.compile(NUL_ESCAPE + "(.)", re.DOTALL)


def escape_nul(text: str) -> str:
    if "\x00" not in text and NUL_ESCAPE not in text:
        return text
    return text.replace(NUL_ESCAPE, NUL_ESCAPE * 2).replace("\x00", NUL_ESCAPE + "0")


def unescape_nul(text: str) -> str:
    if NUL_ESCAPE not in text:
        return text
    return _ESCAPED.sub(lambda m: "\x00" if m.group(1) == "0" else m.group(1), text)


def _map_strings(value: Any, convert: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return convert(value)
    if isinstance(value, dict):
        return {
            convert(key) if isinstance(key, str) else key: _map_strings(item, convert)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_map_strings(item, convert) for item in value]
    return value


class _NulSafe(TypeDecorator[str]):
    """A string type that holds NUL on PostgreSQL too."""

    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or dialect.name != "postgresql":
            return value
        return escape_nul(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or dialect.name != "postgresql":
            return value
        return unescape_nul(value)


class SafeText(_NulSafe):
    """TEXT that holds NUL on PostgreSQL too."""

    impl = Text
    cache_ok = True


class SafeString(_NulSafe):
    """VARCHAR(n) that holds NUL on PostgreSQL too (n counts the stored, escaped characters)."""

    impl = String
    cache_ok = True


class SafeJson(TypeDecorator[Any]):
    """JSON on SQLite, JSONB on PostgreSQL (indexable, and compared by value), with NUL in its
    strings kept as ``SafeText`` keeps it."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if dialect.name != "postgresql":
            return value
        return _map_strings(value, escape_nul)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if dialect.name != "postgresql":
            return value
        return _map_strings(value, unescape_nul)


JsonType = SafeJson()
