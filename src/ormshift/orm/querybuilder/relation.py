"""TypeORM's ``RelationQueryBuilder``: ``qb.relation(Post, "categories").of(post)
.add / remove / add_and_remove / set / load_many / load_one``.

As TypeORM's ``RelationUpdater`` / ``RelationRemover``: a to-one owner's foreign key is
set by an update builder ``where_in_ids(of)``; a one-to-many's (or an inverse
one-to-one's) related rows get their foreign key set to ``of`` (or cleared) by an update
builder; a many-to-many's junction rows are inserted or deleted, every ``of`` with every
value. Update builders broadcast their events as TypeORM's do. ``of`` and the values are
entities, maps of keys or bare keys. Relations with composite keys are not supported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.orm import MANYTOMANY, MANYTOONE, ONETOMANY

from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.querybuilder.errors import QueryBuilderError

__all__ = ["RelationQueryBuilder"]

_NOT_SET = (
    "Entity whose relation needs to be set is not set. "
    "Use .of method to define whose relation you want to set."
)


def _rows(manager: Any, stmt: Any) -> list[Any]:
    with manager._scope() as session:
        return list(session.connection().execute(stmt).fetchall())


def _id_maps(info: EntityInfo, rows: list[Any]) -> list[dict[str, Any]]:
    keys = [info.mapper.get_property_by_column(c).key for c in info.table.primary_key.columns]
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _many(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _key(value: Any, info: EntityInfo, column: Any) -> Any:
    """The value of ``column`` (of ``info``'s table) in an entity, a map, or a bare key."""
    key = info.mapper.get_property_by_column(column).key
    if isinstance(value, Mapping):
        return value.get(info.property_of(key))
    if isinstance(value, info.cls):
        return getattr(value, key)
    return value


class RelationQueryBuilder:
    def __init__(self, source: Any, entity: Any, path: str) -> None:
        self.source = source
        self.manager = source.manager
        self.info = entity_info(entity)
        self.key = self.info.attribute(path)
        if self.key not in self.info.relations:
            raise QueryBuilderError(
                f"Relation {path} was not found in entity {self.info.table.name}"
            )
        self.path = path
        self.rel = self.info.relations[self.key]
        self.target = entity_info(self.rel.mapper.class_)
        if len(self.rel.local_remote_pairs or []) != 1 and self.rel.direction != MANYTOMANY:
            raise QueryBuilderError("relations with composite keys are not supported")
        self.of_value: Any = None
        self.has_of = False

    @property
    def kind(self) -> str:
        rel = self.rel
        if rel.direction == MANYTOMANY:
            return "many-to-many"
        if rel.direction == ONETOMANY:
            return "one-to-many" if rel.uselist else "one-to-one"
        back = self.target.relations.get(rel.back_populates) if rel.back_populates else None
        return "one-to-one" if back is not None and not back.uselist else "many-to-one"

    def of(self, entity: Any) -> RelationQueryBuilder:
        self.of_value = entity
        self.has_of = True
        return self

    def _of(self) -> None:
        # TypeORM's ``!of``: no of, or a falsy one (an empty list is not falsy in JS)
        value = self.of_value
        if not self.has_of or value is None or (not isinstance(value, list | tuple) and not value):
            raise QueryBuilderError(_NOT_SET)

    # -- writes ----------------------------------------------------------------------

    def _only(self, to_one: bool, operation: str, instead: str) -> None:
        """TypeORM's refusal of an operation on the other kind of relation, in its words
        (``remove`` says "Add operation", as TypeORM's does)."""
        self._of()
        if (self.kind in ("many-to-one", "one-to-one")) != to_one:
            kinds = "many-to-one and one-to-one" if to_one else "many-to-many and one-to-many"
            raise QueryBuilderError(
                f"{operation} operation is only supported for {kinds} relations. However "
                f'given "{self.path}" has {self.kind} relation. Use {instead} method instead.'
            )

    def set(self, value: Any) -> None:
        self._only(True, "Set", ".add()")
        self._update(value)

    def add(self, value: Any) -> None:
        if isinstance(value, list | tuple) and not value:
            return
        self._only(False, "Add", ".set()")
        self._update(value)

    def remove(self, value: Any) -> None:
        if isinstance(value, list | tuple) and not value:
            return
        self._only(False, "Add", ".set(null)")
        if self.rel.direction == MANYTOMANY:
            self._junction_delete(value)
            return
        owner_col, fk_col = self.rel.local_remote_pairs[0]
        target = self.target
        pk = target.table.primary_key.columns
        conditions = []
        for of in _many(self.of_value):
            for item in _many(value):
                parts = [fk_col == _key(of, self.info, owner_col)]
                parts += [c == _key(item, target, c) for c in pk]
                conditions.append(and_(*parts))
        self._fk_update(or_(*conditions), None)

    def add_and_remove(self, added: Any, removed: Any) -> None:
        self.remove(removed)
        self.add(added)

    def _update(self, value: Any) -> None:
        rel = self.rel
        from ormshift.orm.querybuilder.update import UpdateQueryBuilder  # noqa: PLC0415

        if rel.direction == MANYTOONE:
            if isinstance(self.of_value, list | tuple) and not self.of_value:
                return
            owner_col, remote = rel.local_remote_pairs[0]
            ref = self.target.mapper.get_property_by_column(remote).key
            given = (
                value
                if not isinstance(value, Mapping | self.target.cls)
                else _key(value, self.target, remote)
            )
            sets = {
                self.info.property_of(self.key): None
                if given is None
                else {self.target.property_of(ref): given}
            }
            qb = UpdateQueryBuilder(self.source, self.info.cls, sets)
            qb.where_in_ids(self.of_value)
            qb.execute()
            return
        if rel.direction == ONETOMANY:
            owner_col, fk_col = rel.local_remote_pairs[0]
            if value is None:
                ofs = [_key(of, self.info, owner_col) for of in _many(self.of_value)]
                self._fk_update(or_(*(fk_col == v for v in ofs)), None)
                return
            if isinstance(self.of_value, list | tuple):
                raise QueryBuilderError(
                    "You cannot update relations of multiple entities with the same related "
                    "object. Provide a single entity into .of method."
                )
            if isinstance(value, list | tuple) and not value:
                return
            of = _key(self.of_value, self.info, owner_col)
            pk = self.target.table.primary_key.columns
            conds = [and_(*(c == _key(v, self.target, c) for c in pk)) for v in _many(value)]
            self._fk_update(or_(*conds), of)
            return
        self._junction_insert(value)

    def _fk_update(self, condition: Any, value: Any) -> None:
        """The related rows matching ``condition`` get their foreign key ``value``, by
        an update builder (its events, version bump and update date)."""
        from ormshift.orm.querybuilder.update import UpdateQueryBuilder  # noqa: PLC0415

        _, fk_col = self.rel.local_remote_pairs[0]
        target = self.target
        back = self.rel.back_populates
        if back and back in target.relations:
            ref_key = self.info.mapper.get_property_by_column(self.rel.local_remote_pairs[0][0]).key
            sets: dict[str, Any] = {
                target.property_of(back): None
                if value is None
                else {self.info.property_of(ref_key): value}
            }
        else:
            fk_key = target.mapper.get_property_by_column(fk_col).key
            sets = {target.property_of(fk_key): value}
        qb = UpdateQueryBuilder(self.source, target.cls, sets)
        ids = _rows(self.manager, select(*target.table.primary_key.columns).where(condition))
        if not ids:
            return
        qb.where_in_ids(_id_maps(target, ids))
        qb.execute()

    def _pairs(self, value: Any) -> list[dict[str, Any]]:
        rel = self.rel
        rows = []
        for of in _many(self.of_value):
            for item in _many(value):
                row = {}
                for local, col in rel.synchronize_pairs:
                    row[col.name] = _key(of, self.info, local)
                for remote, col in rel.secondary_synchronize_pairs or ():
                    row[col.name] = _key(item, self.target, remote)
                rows.append(row)
        return rows

    def _junction_insert(self, value: Any) -> None:
        rows = self._pairs(value)
        if rows:
            with self.manager._scope() as session:
                session.connection().execute(insert(self._secondary()), rows)

    def _secondary(self) -> Any:
        table = self.rel.secondary
        assert table is not None
        return table

    def _junction_delete(self, value: Any) -> None:
        table = self._secondary()
        rows = self._pairs(value)
        condition = or_(*(and_(*(table.c[k] == v for k, v in r.items())) for r in rows))
        with self.manager._scope() as session:
            session.connection().execute(delete(table).where(condition))

    # -- reads -----------------------------------------------------------------------

    def load_many(self) -> list[Any]:
        rel = self.rel
        info, target = self.info, self.target
        pk = list(target.table.primary_key.columns)
        ofs = _many(self.of_value)
        if isinstance(self.of_value, list | tuple):
            # TypeORM reads each item of a list as an entity: a bare key names nothing
            ofs = [o if isinstance(o, Mapping | info.cls) else None for o in ofs]
        if rel.direction == MANYTOMANY:
            table = self._secondary()
            ((local, own),) = rel.synchronize_pairs
            stmt = (
                select(*pk)
                .join(table, and_(*(r == c for r, c in rel.secondary_synchronize_pairs or ())))
                .where(own.in_([_key(o, info, local) for o in ofs]))
            )
        elif rel.direction == ONETOMANY:
            local, fk = rel.local_remote_pairs[0]
            stmt = select(*pk).where(fk.in_([_key(o, info, local) for o in ofs]))
        else:
            fk, remote = rel.local_remote_pairs[0]
            owner_pk = next(iter(info.table.primary_key.columns))
            inner = select(fk).where(owner_pk.in_([_key(o, info, owner_pk) for o in ofs]))
            stmt = select(*pk).where(remote.in_(inner))
        rows = _rows(self.manager, stmt)
        if not rows:
            return []
        qb = self.manager.create_query_builder(target.cls, "target")
        return list(qb.where_in_ids(_id_maps(target, rows)).get_many())

    def load_one(self) -> Any:
        found = self.load_many()
        return found[0] if found else None
