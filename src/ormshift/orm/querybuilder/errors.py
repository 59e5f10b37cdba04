"""The query builder's errors, each of the kind TypeORM's failure has (so that results
compare): what TypeORM refuses itself is a `QueryBuilderError` (its ``TypeORMError``);
a name TypeORM would leave in the SQL for PostgreSQL to refuse is refused here, before
anything is sent, with PostgreSQL's SQLSTATE (`UnknownAliasProperty`: 42703, undefined
column; `UnknownAlias`: 42P01, no FROM-clause entry)."""

from __future__ import annotations

from ormshift.orm.errors import FindOptionsError, QueryFailed

__all__ = ["QueryBuilderError", "UnknownAlias", "UnknownAliasProperty"]


class QueryBuilderError(FindOptionsError):
    """A builder call TypeORM refuses with a ``TypeORMError``."""


class UnknownAliasProperty(QueryFailed):
    """``alias.path`` where the alias's entity has no such property."""

    def __init__(self, alias: str, entity: str, path: str, known: list[str]) -> None:
        super().__init__(
            f'Property "{path}" was not found in "{entity}" (alias "{alias}"); '
            f"known properties: {', '.join(sorted(known))}",
            sqlstate="42703",
        )
        self.alias = alias
        self.path = path


class UnknownAlias(QueryFailed):
    """``alias.path`` naming an alias the builder does not have."""

    def __init__(self, alias: str, known: list[str]) -> None:
        super().__init__(
            f'"{alias}" alias was not found; known aliases: {", ".join(known) or "none"}',
            sqlstate="42P01",
        )
        self.alias = alias
