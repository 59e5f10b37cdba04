"""TypeORM's ``RelationQueryBuilder``: ``qb.relation(Post, "categories").of(post)
.add / remove / add_and_remove / set / load_many / load_one``.

As TypeORM's ``RelationUpdater`` / ``RelationRemover``: a to-one owner's foreign key is
set by an update builder ``where_in_ids(of)``; a one-to-many's (or an inverse
one-to-one's) related rows get their foreign key set to ``of`` (or cleared) by an update
builder; a many-to-many's junction rows are inserted or deleted, every ``of`` with every
value. Update builders broadcast their events as TypeORM's do. ``of`` and the values are
entities, maps of keys or bare keys; with composite keys (several join columns) ``of``
and the values are maps of the keys (``of({"orderId": ..., "lineNo": 1})``), and
``set`` / ``add`` on a relation with several join columns refuse a value that is not an
object with as many keys, as TypeORM's (a list counts its items, as JavaScript's
``Object.keys`` does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.orm import MANYTOMANY, MANYTOONE, ONETOMANY
from sqlalchemy.orm.attributes import instance_dict

from ormshift.orm.metadata import EntityInfo, entity_info, related_class
from ormshift.orm.querybuilder.errors import QueryBuilderError
from ormshift.orm.values import coerce_value

if TYPE_CHECKING:
    from ormshift.orm.querybuilder.builder import SelectQueryBuilder

__all__ = ["RelationQueryBuilder"]

_NOT_SET = (
    "Entity whose relation needs to be set is not set. "
    "Use .of method to define whose relation you want to set."
)


_NOT_A_MAP = (
    "Value to be set into the relation must be a map of relation ids, for example: "
    '.set({ firstName: "...", lastName: "..." })'
)
_ONE_KEY = (
    "Cannot load entity because only one primary key was specified, however entity "
    "contains multiple primary keys"
)


def _keys_count(value: Any) -> int | None:
    """JavaScript's ``Object.keys(value).length`` of an object (None: not an object)."""
    if isinstance(value, Mapping | list | tuple):
        return len(value)
    if hasattr(value, "__mapper__"):
        return len([k for k in instance_dict(value) if not k.startswith("_")])
    return None


def _rows(manager: Any, stmt: Any) -> list[Any]:
    with manager._scope() as session:
        return list(session.connection().execute(stmt).fetchall())


def _id_maps(info: EntityInfo, rows: list[Any]) -> list[dict[str, Any]]:
    keys = [info.mapper.get_property_by_column(c).key for c in info.table.primary_key.columns]
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _many(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _key(value: Any, info: EntityInfo, column: Any) -> Any:
    """The value of ``column`` (of ``info``'s table) in an entity, a map, or a bare key,
    as the column takes it (``"2"`` for a ``bigint`` is 2: `coerce_value`)."""
    key = info.mapper.get_property_by_column(column).key
    if isinstance(value, Mapping):
        found = value.get(info.property_of(key))
    elif isinstance(value, info.cls):
        found = getattr(value, key)
    else:
        found = value
    return coerce_value(found, column)


class RelationQueryBuilder:
    def __init__(self, source: SelectQueryBuilder[object], entity: type[object], path: str) -> None:
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
        self.target = entity_info(related_class(self.rel))
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

    def of(self, entity: object) -> RelationQueryBuilder:
        self.of_value = entity
        self.has_of = True
        return self

    def _of(self) -> None:
        # TypeORM's ``!of``: no of, or one JavaScript finds falsy (undefined, null, false,
        # 0, ""); a list or an object is never falsy there, empty or not
        value = self.of_value
        if (
            not self.has_of
            or value is None
            or (not isinstance(value, list | tuple | Mapping) and not value)
        ):
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

    def _join_columns(self) -> int:
        """How many join columns TypeORM's relation has (``relation.joinColumns``): a
        many-to-one's foreign key columns, an owning many-to-many's junction columns to
        this side; none on the inverse sides."""
        rel = self.rel
        if rel.direction == MANYTOONE:
            return len(rel.local_remote_pairs or [])
        if rel.direction == MANYTOMANY and self._owning():
            return len(rel.synchronize_pairs or [])
        return 0

    def _owning(self) -> bool:
        """A many-to-many's owning side (TypeORM's ``@JoinTable``): the side whose
        junction columns come first in the junction table, as TypeORM creates it."""
        table = self._secondary()
        first = next(iter(table.columns), None)
        return any(col is first for _, col in self.rel.synchronize_pairs or ())

    def _map_needed(self, value: Any) -> None:
        joins = self._join_columns()
        if joins > 1:
            count = _keys_count(value)
            if count is None or count < joins:
                raise QueryBuilderError(_NOT_A_MAP)

    def set(self, value: object) -> None:
        self._only(True, "Set", ".add()")
        self._write(value)

    def add(self, value: object) -> None:
        if not _none(value):
            self._only(False, "Add", ".set()")
            self._write(value)

    def remove(self, value: object) -> None:
        if _none(value):
            return
        self._only(False, "Add", ".set(null)")
        if self.rel.direction == MANYTOMANY:
            self._junction_delete(value)
            return
        pairs = list(self.rel.local_remote_pairs or [])
        target = self.target
        pk = target.table.primary_key.columns
        conditions = []
        for of in _many(self.of_value):
            for item in _many(value):
                parts = [fk == _key(of, self.info, own) for own, fk in pairs]
                parts += [c == _key(item, target, c) for c in pk]
                conditions.append(and_(*parts))
        self._fk_update(or_(*conditions), None)

    def add_and_remove(self, added: object, removed: object) -> None:
        self.remove(removed)
        self.add(added)

    def _write(self, value: Any) -> None:
        self._map_needed(value)
        self._update(value)

    def _update(self, value: Any) -> None:
        rel = self.rel
        from ormshift.orm.querybuilder.update import UpdateQueryBuilder  # noqa: PLC0415

        if rel.direction == MANYTOONE:
            if isinstance(self.of_value, list | tuple) and not self.of_value:
                return
            refs: dict[str, Any] = {}
            for _, remote in rel.local_remote_pairs or []:
                ref = self.target.mapper.get_property_by_column(remote).key
                refs[self.target.property_of(ref)] = (
                    value
                    if not isinstance(value, Mapping | self.target.cls)
                    else _key(value, self.target, remote)
                )
            empty = value is None or all(v is None for v in refs.values())
            sets = {self.info.property_of(self.key): None if empty else refs}
            # TypeORM updates ``relation.entityMetadata``: the class that declares the
            # relation, so a single-table child's inherited relation is set on the
            # parent's rows by key alone, without the child's discriminator
            owner = self.info.cls if rel.info.get("sti_owner") else rel.parent.class_
            qb = UpdateQueryBuilder(self.source, owner, sets)
            qb.where_in_ids(self.of_value)
            qb.execute()
            return
        if rel.direction == ONETOMANY:
            pairs = list(rel.local_remote_pairs or [])
            if value is None:
                conds = [
                    and_(*(fk == _key(of, self.info, own) for own, fk in pairs))
                    for of in _many(self.of_value)
                ]
                self._fk_update(or_(*conds), None)
                return
            if isinstance(self.of_value, list | tuple):
                raise QueryBuilderError(
                    "You cannot update relations of multiple entities with the same related "
                    "object. Provide a single entity into .of method."
                )
            if isinstance(value, list | tuple) and not value:
                return
            pk = self.target.table.primary_key.columns
            if len(pk) > 1:
                # TypeORM's ``whereInIds(value)``: an object is matched on every
                # property it holds, so ``{lineNo: 1}`` moves every order's line 1
                self._fk_update(None, self.of_value, value)
                return
            conds = [and_(*(c == _key(v, self.target, c) for c in pk)) for v in _many(value)]
            self._fk_update(or_(*conds), self.of_value)
            return
        self._junction_insert(value)

    def _fk_update(self, condition: Any, of: Any, in_ids: Any = None) -> None:
        """The related rows matching ``condition`` (or, when it is None, the builder's
        ``where_in_ids(in_ids)``) get their foreign key pointed at ``of`` (None:
        cleared), by an update builder (its events, version bump and update date)."""
        from ormshift.orm.querybuilder.update import UpdateQueryBuilder  # noqa: PLC0415

        pairs = list(self.rel.local_remote_pairs or [])
        target = self.target
        back = self.rel.back_populates
        sets: dict[str, Any]
        if back and back in target.relations:
            refs = {
                self.info.property_of(self.info.mapper.get_property_by_column(own).key): _key(
                    of, self.info, own
                )
                for own, _ in pairs
            }
            sets = {target.property_of(back): None if of is None else refs}
        else:
            sets = {
                target.property_of(target.mapper.get_property_by_column(fk).key): None
                if of is None
                else _key(of, self.info, own)
                for own, fk in pairs
            }
        qb = UpdateQueryBuilder(self.source, target.cls, sets)
        if condition is None:
            qb.where_in_ids(in_ids)
            qb.execute()
            return
        ids = _rows(self.manager, select(*target.table.primary_key.columns).where(condition))
        # TypeORM's UPDATE runs whether or not a row matches (its events with it)
        if ids:
            qb.where_in_ids(_id_maps(target, ids))
        else:
            qb.where("0=1")  # no row: an UPDATE matching none, as TypeORM's does
        qb.execute()

    def _pairs(self, value: Any) -> list[dict[str, Any]]:
        """The junction rows of every ``of`` with every value, in TypeORM's order: the
        owning side's keys in the outer loop."""
        rel = self.rel

        def row(of: Any, item: Any) -> dict[str, Any]:
            out = {}
            for local, col in rel.synchronize_pairs:
                out[col.name] = _key(of, self.info, local)
            for remote, col in rel.secondary_synchronize_pairs or ():
                out[col.name] = _key(item, self.target, remote)
            return out

        ofs, values = _many(self.of_value), _many(value)
        if self._owning():
            return [row(of, item) for of in ofs for item in values]
        return [row(of, item) for item in values for of in ofs]

    def _junction_insert(self, value: Any) -> None:
        # one INSERT of every row, as TypeORM's: PostgreSQL checks a row's unique key as
        # it inserts it and foreign keys at the statement's end
        rows = self._pairs(value)
        if rows:
            with self.manager._scope() as session:
                session.connection().execute(insert(self._secondary()).values(rows))

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

    def load_many(self) -> list[object]:
        rel = self.rel
        info, target = self.info, self.target
        pk = list(target.table.primary_key.columns)
        if (
            not isinstance(self.of_value, Mapping | list | tuple | info.cls)
            and len(info.primary) > 1
        ):
            raise QueryBuilderError(_ONE_KEY)
        ofs = _many(self.of_value)
        if isinstance(self.of_value, list | tuple):
            # TypeORM reads each item of a list as an entity: a bare key names nothing
            ofs = [o if isinstance(o, Mapping | info.cls) else None for o in ofs]
        if rel.direction == MANYTOMANY:
            table = self._secondary()
            pairs = list(rel.synchronize_pairs or [])
            stmt = (
                select(*pk)
                .join(table, and_(*(r == c for r, c in rel.secondary_synchronize_pairs or ())))
                .where(
                    or_(*(and_(*(own == _key(o, info, loc) for loc, own in pairs)) for o in ofs))
                )
            )
        elif rel.direction == ONETOMANY:
            pairs = list(rel.local_remote_pairs or [])
            stmt = select(*pk).where(
                or_(*(and_(*(fk == _key(o, info, loc) for loc, fk in pairs)) for o in ofs))
            )
        else:
            owner = info.table.alias("of_owner")
            owner_pk = [owner.c[c.name] for c in info.table.primary_key.columns]
            link = and_(
                *(owner.c[fk.name] == remote for fk, remote in rel.local_remote_pairs or [])
            )
            chosen = or_(
                *(and_(*(c == _key(o, info, info.table.c[c.name]) for c in owner_pk)) for o in ofs)
            )
            stmt = select(*pk).select_from(target.table.join(owner, link)).where(chosen)
            if info.delete_date is not None:
                # TypeORM inner-joins the owner, and a join leaves soft-deleted rows out
                stmt = stmt.where(owner.c[info.columns[info.delete_date].name].is_(None))
        rows = _rows(self.manager, stmt)
        if not rows:
            return []
        # TypeORM's RelationLoader reads them with its eager relations joined, as find does
        return list(self.manager.find(target.cls, where=_id_maps(target, rows)))

    def load_one(self) -> object:
        found = self.load_many()
        return found[0] if found else None


def _none(value: object) -> bool:
    """An empty list or tuple: nothing to add or remove (TypeORM returns at once)."""
    return isinstance(value, list | tuple) and not value
