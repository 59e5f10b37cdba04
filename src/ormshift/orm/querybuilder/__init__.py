"""TypeORM's query builder on `ormshift.orm`: ``create_query_builder(Post, "post")`` on a
data source, manager or repository; `SelectQueryBuilder` with TypeORM's semantics.

Modules, one job each: `names` (what ``alias.path`` may name, from the mapper),
`expressions` (fragments rewritten and their parameters bound), `joins`, `sql` (the
SELECT text), `hydrate` (rows to entities), `run` (execution, raw values), `builder`
(the fluent API and its terminals); the write builders `write` (what they share),
`insert`, `update` (and soft delete / restore), `delete`, and `relation` (TypeORM's
``RelationQueryBuilder``), reached from a builder's ``insert()``, ``update()``,
``delete()``, ``soft_delete()``, ``restore()`` and ``relation()``.
"""

from ormshift.orm.querybuilder.builder import SelectQueryBuilder
from ormshift.orm.querybuilder.errors import QueryBuilderError, UnknownAlias, UnknownAliasProperty
from ormshift.orm.querybuilder.state import Brackets, NotBrackets

__all__ = [
    "Brackets",
    "NotBrackets",
    "QueryBuilderError",
    "SelectQueryBuilder",
    "UnknownAlias",
    "UnknownAliasProperty",
    "create_query_builder",
]


def create_query_builder(
    manager: object, entity: type[object] | None = None, alias: str | None = None
) -> SelectQueryBuilder[object]:
    """A builder on ``manager``: ``select(alias).from_(entity, alias)`` when both are
    given, else an empty one."""
    from ormshift.orm.manager import EntityManager  # noqa: PLC0415 - cycle

    assert isinstance(manager, EntityManager)
    qb: SelectQueryBuilder[object] = SelectQueryBuilder(manager)
    if entity is not None:
        if alias is None:
            raise QueryBuilderError("create_query_builder(entity, alias) needs the alias")
        qb.select(alias).from_(entity, alias)
    return qb
