"""How a transformed target relates to its source: renamed tables and columns, transforms.

A mapping file is YAML (or JSON, which YAML reads too)::

    tables:
      user:                      # source table
        target: app_user         # optional: the target table's name
        columns:
          fullName: full_name    # a renamed column
          tags: {target: tags, transform: simple-array}   # "a,b" text -> text[]
          settings: {transform: simple-json}               # JSON text -> jsonb
        ignore: [legacy]         # columns left out of the comparison (either side's name)

Kept small and frozen so that it can be unified with the transfer's mapping later.
"""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from ormshift.errors import OrmshiftError

Transform = Literal["simple-json", "simple-array"]
TRANSFORMS: tuple[Transform, ...] = ("simple-json", "simple-array")


class MappingError(OrmshiftError):
    """A mapping file is unreadable or does not have the expected shape."""


@dataclass(frozen=True)
class ColumnMapping:
    source: str
    target: str
    transform: Transform | None = None


@dataclass(frozen=True)
class TableMapping:
    source: str
    target: str
    columns: tuple[ColumnMapping, ...] = ()
    ignore: tuple[str, ...] = ()

    def column(self, source: str) -> ColumnMapping:
        for c in self.columns:
            if c.source == source:
                return c
        return ColumnMapping(source, source)


@dataclass(frozen=True)
class Mapping:
    tables: tuple[TableMapping, ...] = ()

    def table(self, source: str) -> TableMapping:
        for t in self.tables:
            if t.source == source:
                return t
        return TableMapping(source, source)


def _column(table: str, name: str, spec: Any) -> ColumnMapping:
    if isinstance(spec, str):
        return ColumnMapping(name, spec)
    if not isinstance(spec, AbcMapping):
        raise MappingError(
            f"mapping of column {table}.{name} must be a target name or "
            "{target: ..., transform: ...}"
        )
    target = spec.get("target", name)
    transform = spec.get("transform")
    if transform is not None and transform not in TRANSFORMS:
        raise MappingError(
            f"mapping of column {table}.{name}: unknown transform {transform!r}; "
            f"use one of {', '.join(TRANSFORMS)}"
        )
    return ColumnMapping(name, str(target), cast("Transform | None", transform))


def parse_mapping(data: Any) -> Mapping:
    """A `Mapping` from the parsed YAML/JSON document, or `MappingError` saying what is wrong."""
    if data is None:
        return Mapping()
    if not isinstance(data, AbcMapping) or not isinstance(data.get("tables", {}), AbcMapping):
        raise MappingError("a mapping file holds one key, 'tables', mapping source table names")
    tables: list[TableMapping] = []
    for name, raw in (data.get("tables") or {}).items():
        spec = raw or {}
        if not isinstance(spec, AbcMapping):
            raise MappingError(f"mapping of table {name!r} must be a mapping with target/columns")
        columns = spec.get("columns") or {}
        ignore = spec.get("ignore") or []
        if not isinstance(columns, AbcMapping) or not isinstance(ignore, list):
            raise MappingError(
                f"mapping of table {name!r}: 'columns' must be a mapping and 'ignore' a list"
            )
        tables.append(
            TableMapping(
                source=str(name),
                target=str(spec.get("target", name)),
                columns=tuple(_column(str(name), str(c), s) for c, s in columns.items()),
                ignore=tuple(str(i) for i in ignore),
            )
        )
    return Mapping(tuple(tables))


def load_mapping(path: Path) -> Mapping:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"cannot read the mapping file {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"the mapping file {path} is not valid YAML/JSON: {exc}") from exc
    return parse_mapping(data)
