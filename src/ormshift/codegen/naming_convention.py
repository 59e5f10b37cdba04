"""TypeORM's constraint names as a naming convention.

TypeORM's ``DefaultNamingStrategy`` names a constraint after its table and columns:
a prefix and the SHA-1 of ``<table>_<columns sorted, joined by "_">`` in hex, cut to
27 digits (``PK_``, ``FK_``, ``UQ_``) or 26 (``IDX_``, ``REL_``); a partial index adds
``_<where>`` to what it hashes, a check hashes ``<table>_<expression>`` (``CHK_``).
The table is its name without the schema.

``NAMING_CONVENTION`` gives ``Base.metadata`` these rules, so a constraint states
``name=`` only where TypeORM's name is not the rule's (a name the project chose).
A ``UniqueConstraint`` is named ``UQ_``; a one-to-one's ``REL_`` is always stated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import CheckConstraint, Index, Table, TextClause
from sqlalchemy.schema import ColumnCollectionConstraint


def _sorted(names: Iterable[str]) -> list[str]:
    # JavaScript's default sort: by UTF-16 code units
    return sorted(names, key=lambda name: name.encode("utf-16-be"))


def _table(name: str) -> str:
    # the name without its schema, as TypeORM's getTableName() takes it
    return name.rsplit(".", maxsplit=1)[-1]


def _hash(key: str, digits: int) -> str:
    return hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:digits]


def typeorm_name(
    prefix: str,
    table: str,
    columns: Iterable[str],
    where: str | None = None,
) -> str:
    """The name TypeORM gives a ``PK_``, ``FK_``, ``UQ_``, ``IDX_`` or ``REL_`` on
    ``columns`` of ``table``; ``where``: a partial index's predicate."""
    key = f"{_table(table)}_{'_'.join(_sorted(columns))}"
    if where:
        key += f"_{where}"
    digits = 26 if prefix in ("IDX_", "REL_") else 27
    return prefix + _hash(key, digits)


def typeorm_check_name(table: str, expression: str) -> str:
    """The name TypeORM gives a check constraint of ``table``."""
    return "CHK_" + _hash(f"{_table(table)}_{expression}", 26)


def _columns(item: object) -> list[str]:
    if isinstance(item, ColumnCollectionConstraint | Index):
        return [column.name for column in item.columns]
    return []


def _text(clause: object) -> str | None:
    if isinstance(clause, TextClause):
        return clause.text
    return None if clause is None else str(clause)


def _named(prefix: str) -> Callable[[Any, Table], str]:
    def name(item: object, table: Table) -> str:
        where = None
        if isinstance(item, Index):
            where = _text(item.dialect_kwargs.get("postgresql_where"))
        return typeorm_name(prefix, table.name, _columns(item), where)

    return name


def _check(item: object, table: Table) -> str:
    sqltext = item.sqltext if isinstance(item, CheckConstraint) else None
    return typeorm_check_name(table.name, _text(sqltext) or "")


NAMING_CONVENTION: dict[str, str | Callable[[Any, Table], str]] = {
    "pk": "%(typeorm_pk)s",
    "fk": "%(typeorm_fk)s",
    "uq": "%(typeorm_uq)s",
    "ix": "%(typeorm_ix)s",
    "ck": "%(typeorm_ck)s",
    "typeorm_pk": _named("PK_"),
    "typeorm_fk": _named("FK_"),
    "typeorm_uq": _named("UQ_"),
    "typeorm_ix": _named("IDX_"),
    "typeorm_ck": _check,
}
