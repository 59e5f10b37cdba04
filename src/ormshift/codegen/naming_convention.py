"""TypeORM's constraint names as a naming convention.

TypeORM's ``DefaultNamingStrategy`` names a constraint a prefix and the SHA-1 (in hex,
27 digits for ``PK_``, ``FK_``, ``UQ_``, else 26) of ``<table>_<columns sorted, joined
by "_">``, ``_<where>`` added for a partial index; a check (``CHK_``) hashes
``<table>_<expression>``. The table is its name without the schema.

``NAMING_CONVENTION`` gives ``Base.metadata`` these rules, so ``name=`` is stated only
where TypeORM's name is not the rule's (the project's own, or a one-to-one's ``REL_``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import CheckConstraint, Index, Table, TextClause
from sqlalchemy.schema import ColumnCollectionConstraint


def typeorm_name(
    prefix: str,
    table: str,
    columns: Iterable[str],
    where: str | None = None,
) -> str:
    """The name TypeORM gives a ``PK_``, ``FK_``, ``UQ_``, ``IDX_`` or ``REL_`` on
    ``columns`` of ``table`` (a partial index's predicate: ``where``), or a ``CHK_``
    whose one "column" is its expression."""
    table = table.rsplit(".", maxsplit=1)[-1]  # as TypeORM's getTableName() takes it
    # JavaScript's sort: by UTF-16 code units
    ordered = sorted(columns, key=lambda c: c.encode("utf-16-be"))
    key = f"{table}_{'_'.join(ordered)}" + (f"_{where}" if where else "")
    digest = hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()
    return prefix + digest[: 27 if prefix in ("PK_", "FK_", "UQ_") else 26]


def _text(clause: object) -> str | None:
    if isinstance(clause, TextClause):
        return clause.text
    return None if clause is None else str(clause)


def _named(prefix: str) -> Callable[[Any, Table], str]:
    def name(item: object, table: Table) -> str:
        if isinstance(item, CheckConstraint):
            return typeorm_name(prefix, table.name, [_text(item.sqltext) or ""])
        where = None
        if isinstance(item, Index):
            where = _text(item.dialect_kwargs.get("postgresql_where"))
        columns: list[str] = []
        if isinstance(item, ColumnCollectionConstraint | Index):
            columns = [c.name for c in item.columns]
        return typeorm_name(prefix, table.name, columns, where)

    return name


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
    "typeorm_ck": _named("CHK_"),
}
