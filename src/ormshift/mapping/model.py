"""The mapping model: how a target table and its columns relate to the source's.

Small frozen dataclasses, no I/O (the file format is read by `ormshift.mapping.loader`).
A table or column the mapping does not name keeps its source name, or takes the name
the top-level naming rule gives it (``names: snake_case``, as TypeORM's
``SnakeNamingStrategy`` spells names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ormshift.errors import OrmshiftError

__all__ = [
    "NAME_RULES",
    "TRANSFORMS",
    "ColumnMapping",
    "Mapping",
    "MappingError",
    "NameRule",
    "TableMapping",
    "Transform",
    "apply_rule",
    "snake_case",
]

#: TypeORM's text encodings: ``simple-json`` (JSON text -> jsonb) and ``simple-array``
#: (comma-joined text -> text[], the empty string being the empty array).
Transform = Literal["simple-json", "simple-array"]
TRANSFORMS: tuple[Transform, ...] = ("simple-json", "simple-array")
NameRule = Literal["snake_case"]
NAME_RULES: tuple[NameRule, ...] = ("snake_case",)


class MappingError(OrmshiftError):
    """A mapping file is unreadable or does not have the expected shape."""


_UPPER_RUN = re.compile(r"([A-Z])([A-Z])([a-z])")
_LOWER_UPPER = re.compile(r"([a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """``createdAt`` -> ``created_at``, ``userID`` -> ``user_id``; TypeORM's ``snakeCase``."""
    return _LOWER_UPPER.sub(r"\1_\2", _UPPER_RUN.sub(r"\1_\2\3", name)).lower()


def apply_rule(rule: NameRule | None, name: str) -> str:
    return snake_case(name) if rule == "snake_case" else name


@dataclass(frozen=True)
class ColumnMapping:
    """One target column. ``source`` is the source column's name; for a computed column
    (``expression`` set) it is the key the mapping file used, not a source column.

    ``expression`` is SQL over the source table's columns, run on the source as written:
    a mapping file is trusted configuration, like a migration, never user input.
    """

    source: str
    target: str
    transform: Transform | None = None
    cast: str | None = None
    expression: str | None = None

    @property
    def computed(self) -> bool:
        return self.expression is not None


@dataclass(frozen=True)
class TableMapping:
    source: str
    target: str
    columns: tuple[ColumnMapping, ...] = ()
    ignore: tuple[str, ...] = ()  # left out of verify's comparison (either side's name)
    skip: tuple[str, ...] = ()  # source columns not copied at all
    names: NameRule | None = None

    def column(self, source: str) -> ColumnMapping:
        for c in self.columns:
            if c.source == source and not c.computed:
                return c
        return ColumnMapping(source, apply_rule(self.names, source))

    def computed(self) -> tuple[ColumnMapping, ...]:
        return tuple(c for c in self.columns if c.computed)


@dataclass(frozen=True)
class Mapping:
    tables: tuple[TableMapping, ...] = ()
    names: NameRule | None = None

    def table(self, source: str) -> TableMapping:
        for t in self.tables:
            if t.source == source:
                return t
        return TableMapping(source, apply_rule(self.names, source), names=self.names)

    @property
    def empty(self) -> bool:
        return not self.tables and self.names is None
