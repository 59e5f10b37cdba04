"""The value transformers of hooks, ported by hand from src/transformer/transformers.ts."""

from __future__ import annotations

import json
from typing import Any

from .js import js_string, js_text_method


class TrimTransformer:
    """Trims the text on its way to the database; reads it back as it is."""

    def to_database(self, value: Any) -> Any:
        return value if value is None else js_text_method(value, "trim").strip()

    def from_database(self, value: Any) -> Any:
        return value


class JsonTextTransformer:
    """Any JSON value stored as text (as JavaScript's ``JSON.stringify`` writes it)."""

    def to_database(self, value: Any) -> Any:
        if value is None:
            return value
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def from_database(self, value: Any) -> Any:
        return None if value is None else json.loads(value)


class SuffixTransformer:
    """Appends ``-a`` on the way in, takes it off on the way out."""

    def to_database(self, value: Any) -> Any:
        return value if value is None else js_string(value) + "-a"

    def from_database(self, value: Any) -> Any:
        if value is None:
            return value
        return value[:-2] if value.endswith("-a") else "BAD:" + value


class UpperTransformer:
    """Upper case in the database, lower case in the entity."""

    def to_database(self, value: Any) -> Any:
        return value if value is None else js_text_method(value, "toUpperCase").upper()

    def from_database(self, value: Any) -> Any:
        return value if value is None else value.lower()
