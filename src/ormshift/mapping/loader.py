"""Reading a mapping file: TOML (``.toml``) or YAML (``.yaml``/``.yml``; JSON is YAML too).

The format, the same in both syntaxes (a superset of verify's first mapping files)::

    names: snake_case              # optional: unnamed tables/columns -> snake_case
    tables:
      user:                        # source table
        target: app_user           # optional: the target table's name
        columns:
          fullName: full_name      # a renamed column
          tags: {target: tags, transform: simple-array}   # "a,b" text -> text[]
          settings: {transform: simple-json}               # JSON text -> jsonb
          score: {cast: numeric(10,2)}                     # cast in the source SELECT
          label: {expression: "upper(\\"firstName\\")"}      # computed from source columns
        skip: [legacy]             # source columns not copied
        ignore: [audit]            # columns verify leaves out of its comparison

``skip`` leaves source columns out of the transfer; ``ignore`` only tells verify what not
to compare. A column mapped to an ``expression`` is named by its key; the expression is
SQL run on the source as written (trusted configuration, like a migration).

Every mistake is one `MappingError` line naming the file and the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping as AbcMapping
from pathlib import Path
from typing import Any, cast

from ormshift.files import parse, read_text
from ormshift.mapping.model import (
    NAME_RULES,
    TRANSFORMS,
    ColumnMapping,
    Mapping,
    MappingError,
    NameRule,
    TableMapping,
    Transform,
    apply_rule,
)

_TOP_KEYS = ("tables", "names")
_TABLE_KEYS = ("target", "columns", "ignore", "skip")
_COLUMN_KEYS = ("target", "transform", "cast", "expression")


def _spec(where: str, spec: Any, known: tuple[str, ...], shape: str) -> AbcMapping[Any, Any]:
    """``spec``, a mapping of ``known`` keys; else a `MappingError` (``shape``: what it is)."""
    if not isinstance(spec, AbcMapping):
        raise MappingError(f"{where}: {shape}")
    extra = sorted(str(k) for k in spec if k not in known)
    if extra:
        raise MappingError(f"{where}: unknown key {extra[0]!r}; expected one of {', '.join(known)}")
    return spec


def _choice(where: str, what: str, value: Any, choices: tuple[str, ...]) -> Any:
    if value is not None and value not in choices:
        raise MappingError(f"{where}: unknown {what} {value!r}; use one of {', '.join(choices)}")
    return value


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _names(where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MappingError(f"{where}: expected a list of column names")
    return [_text(where, v) for v in value]


def _column(table: str, name: str, spec: Any, rule: NameRule | None) -> ColumnMapping:
    where = f"column {table}.{name}"
    if isinstance(spec, str):
        return ColumnMapping(name, spec)
    shape = "expected a target name or {target: ..., transform: ..., cast: ..., expression: ...}"
    spec = _spec(where, spec, _COLUMN_KEYS, shape)
    transform = _choice(where, "transform", spec.get("transform"), TRANSFORMS)
    expression = spec.get("expression")
    if expression is not None and transform is not None:
        raise MappingError(f"{where}: give an expression or a transform, not both")
    target = spec.get("target", apply_rule(rule, name))
    return ColumnMapping(
        source=name,
        target=_text(f"{where}.target", target),
        transform=cast("Transform | None", transform),
        cast=None if spec.get("cast") is None else _text(f"{where}.cast", spec["cast"]),
        expression=None if expression is None else _text(f"{where}.expression", expression),
    )


def parse_mapping(data: Any, where: str = "mapping") -> Mapping:
    """A `Mapping` from a parsed TOML/YAML document, or a `MappingError` saying what is wrong."""
    if data is None:
        return Mapping()
    shape = "a mapping file holds one key, 'tables' (and optionally 'names'), at the top level"
    data = _spec(where, data, _TOP_KEYS, shape)
    rule = _choice(where, "names rule", data.get("names"), NAME_RULES)
    raw_tables = data.get("tables") or {}
    if not isinstance(raw_tables, AbcMapping):
        raise MappingError(f"{where}: 'tables' must map source table names to their mappings")
    tables: list[TableMapping] = []
    for name, raw in raw_tables.items():
        at = f"{where}: table {name}"
        spec = _spec(
            at, raw or {}, _TABLE_KEYS, f"must be a mapping with keys {', '.join(_TABLE_KEYS)}"
        )
        columns = spec.get("columns") or {}
        if not isinstance(columns, AbcMapping):
            raise MappingError(f"{at}: 'columns' must map column names to their mappings")
        tables.append(
            TableMapping(
                source=str(name),
                target=_text(f"{at}.target", spec.get("target", apply_rule(rule, str(name)))),
                columns=tuple(
                    _column(f"{where}: {name}", str(c), s, rule) for c, s in columns.items()
                ),
                ignore=tuple(_names(f"{at}.ignore", spec.get("ignore"))),
                skip=tuple(_names(f"{at}.skip", spec.get("skip"))),
                names=rule,
            )
        )
    return Mapping(tuple(tables), rule)


def _parse_text(text: str, path: Path) -> Any:
    import yaml  # noqa: PLC0415  (on first use: only mapping files need it)

    suffix = path.suffix.lower()
    if suffix == ".toml":
        return parse(text, "TOML", str(path), MappingError)
    if suffix in (".yaml", ".yml", ".json"):
        return parse(text, "YAML", str(path), MappingError)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        pass
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: neither TOML nor YAML; check its syntax") from exc
    if data is not None and not isinstance(data, AbcMapping):
        raise MappingError(f"{path}: neither TOML nor YAML with a 'tables' key")
    return data


def load_mapping(path: Path) -> Mapping:
    """Read ``path`` (TOML by its ``.toml`` suffix, YAML otherwise) into a `Mapping`."""
    text = read_text(path, "mapping", MappingError)
    return parse_mapping(_parse_text(text, path), str(path))
