"""`SelectQueryBuilder`: TypeORM's ``SelectQueryBuilder`` in snake case.

``manager.create_query_builder(Post, "post")`` (or a repository's, a data source's, a
transaction's manager's) starts one on an entity; ``create_query_builder()`` with
``select(...)`` and ``from_(Entity, "alias")`` builds one up. Every method but the
terminals returns the builder itself, as in TypeORM; terminals run one statement (two
for a page of entities with joins, as TypeORM: the page's distinct keys first) in the
manager's session.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Self, TypeAlias, TypeVar, cast, overload

from ormshift.orm import hooks
from ormshift.orm.errors import (
    EntityNotFound,
    NoVersionOrUpdateDateColumn,
    OptimisticLockCanNotBeUsed,
    OptimisticLockVersionMismatch,
    PessimisticLockTransactionRequired,
)
from ormshift.orm.guard import hooks_apply
from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.querybuilder import query_relations, relation_ids
from ormshift.orm.querybuilder.errors import QueryBuilderError
from ormshift.orm.querybuilder.expressions import Binds, render
from ormshift.orm.querybuilder.find_merge import merge_find_options
from ormshift.orm.querybuilder.find_options import (
    FindOptionsCombined,
    alone,
    checked,
    run_found,
)
from ormshift.orm.querybuilder.hydrate import entities
from ormshift.orm.querybuilder.joins import add_join
from ormshift.orm.querybuilder.names import property_path
from ormshift.orm.querybuilder.object_where import object_condition
from ormshift.orm.querybuilder.pages import (
    count_map,
    exists_text,
    keys_condition,
    keys_map,
    lazy_count,
)
from ormshift.orm.querybuilder.run import Fetched, Run, fetch, reader, stream
from ormshift.orm.querybuilder.schemas import in_force
from ormshift.orm.querybuilder.sql import query_text
from ormshift.orm.querybuilder.state import Alias, Brackets, ExpressionMap, Selection, Where
from ormshift.orm.querybuilder.text_cache import rendered

if TYPE_CHECKING:
    from ormshift.orm.manager import EntityManager
    from ormshift.orm.querybuilder.delete import DeleteQueryBuilder
    from ormshift.orm.querybuilder.insert import InsertQueryBuilder
    from ormshift.orm.querybuilder.relation import RelationQueryBuilder
    from ormshift.orm.querybuilder.update import SoftDeleteQueryBuilder, UpdateQueryBuilder
    from ormshift.orm.types import FindManyOptions, Row, WhereOption

__all__ = ["SelectQueryBuilder"]

#: the entity a builder's ``get_many`` / ``get_one`` give (the main alias's)
T_co = TypeVar("T_co", covariant=True)
E = TypeVar("E")
#: a builder function: TypeORM's ``qb => qb.subQuery()...`` (its result is checked)
SubQuery: TypeAlias = "Callable[[SelectQueryBuilder[object]], object]"
#: what ``from_`` and the joins take: a mapped class, a ``"alias.relation"`` path or a
#: subquery (its text in parentheses, or a builder function)
Target: TypeAlias = "type[object] | str | SubQuery"
B = TypeVar("B")
#: a condition: SQL text, `Brackets` / `NotBrackets`, a where object (a list: OR), or a
#: function of the builder giving SQL text
Condition: TypeAlias = "str | Brackets | WhereOption | Callable[[B], str]"

_KEY = re.compile(r"^[A-Za-z0-9_.]+$")
_ORDERS = ("ASC", "DESC")
_NULLS = ("NULLS FIRST", "NULLS LAST")
_PESSIMISTIC = ("pessimistic_read", "pessimistic_write", "for_no_key_update", "for_key_share")
_PYFORMAT = re.compile(r"%\(([^()]+)\)s|%%")


def _number(label: str, value: Any) -> int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if math.isnan(number):
        raise QueryBuilderError(
            f'Provided "{label}" value is not a number. Please provide a numeric value.'
        )
    return int(number)


def numbered(sql: str, values: Mapping[str, Any]) -> tuple[str, list[object]]:
    """Driver SQL (``%(name)s``, ``%%``) as TypeORM's PostgreSQL driver sends it: ``$1``,
    ``$2``... numbered by first use, and the values in that order."""
    order: list[Any] = []
    numbers: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        name = match.group(1)
        if name not in numbers:
            order.append(values[name])
            numbers[name] = len(order)
        return f"${numbers[name]}"

    return _PYFORMAT.sub(number, sql), order


class SelectQueryBuilder(Generic[T_co]):
    """A SELECT built call by call; see docs/orm.md for the name table."""

    def __init__(self, manager: EntityManager, em: ExpressionMap | None = None) -> None:
        self.manager = manager
        self.em = em if em is not None else ExpressionMap()
        self._param_index = 0
        #: the builder whose ``sub_query()`` this is: parameters set here are set there
        self._parent: SelectQueryBuilder[object] | None = None
        #: TypeORM's builder fields ``joins`` and ``selects``, which ``applyFindOptions``
        #: keeps from one ``setFindOptions`` to the next (`find_merge`); not cloned
        self._find_joins: list[Any] = []
        self._find_selects: list[str] = []

    # -- building -------------------------------------------------------------------

    def clone(self) -> SelectQueryBuilder[T_co]:
        return SelectQueryBuilder(self.manager, self.em.copy())

    def sub_query(self) -> SelectQueryBuilder[object]:
        """TypeORM's ``subQuery()``: an empty builder whose ``get_query()`` is its text in
        parentheses; parameters set on it are set on this builder too."""
        child: SelectQueryBuilder[object] = SelectQueryBuilder(
            self.manager, ExpressionMap(sub_query=True)
        )
        child._parent = self
        return child

    def _subquery_text(self, factory: Callable[[SelectQueryBuilder[object]], object]) -> str:
        made = factory(self.sub_query())
        if not isinstance(made, SelectQueryBuilder):
            raise QueryBuilderError("a subquery function must return the builder it was given")
        self.set_parameters(made.get_parameters())
        return made.get_query()

    def _from(self, entity: Any, alias: str) -> Alias:
        if callable(entity) and not isinstance(entity, type):
            entity = self._subquery_text(entity)
        if isinstance(entity, type):
            made = Alias(alias, "from", entity_info(entity))
        elif isinstance(entity, str) and entity.startswith("(") and entity.endswith(")"):
            made = Alias(alias, "from", subquery=entity)
        else:
            raise QueryBuilderError(
                f"from_ takes a mapped class or a subquery in parentheses, not {entity!r}"
            )
        self.em.aliases.append(made)
        return made

    @overload
    def from_(self, entity: type[E], alias: str) -> SelectQueryBuilder[E]: ...
    @overload
    def from_(self, entity: str | SubQuery, alias: str) -> Self: ...
    def from_(self, entity: Target, alias: str) -> object:
        self.em.main = self._from(entity, alias)
        return self

    @overload
    def add_from(self, entity: type[E], alias: str) -> SelectQueryBuilder[E]: ...
    @overload
    def add_from(self, entity: str | SubQuery, alias: str) -> Self: ...
    def add_from(self, entity: Target, alias: str) -> object:
        made = self._from(entity, alias)
        if self.em.main is None:
            self.em.main = made
        return self

    def select(
        self, selection: str | Sequence[str] | None = None, alias_name: str | None = None
    ) -> Self:
        if isinstance(selection, list | tuple):
            self.em.selects = [Selection(str(s)) for s in selection]
        elif callable(selection):
            self.em.selects.append(Selection(self._subquery_text(selection), alias_name))
        elif selection:
            self.em.selects = [Selection(str(selection), alias_name)]
        return self

    def add_select(
        self, selection: str | Sequence[str] | None, alias_name: str | None = None
    ) -> Self:
        if not selection:
            return self
        if isinstance(selection, list | tuple):
            self.em.selects += [Selection(str(s)) for s in selection]
        elif callable(selection):
            self.em.selects.append(Selection(self._subquery_text(selection), alias_name))
        else:
            self.em.selects.append(Selection(str(selection), alias_name))
        return self

    def distinct(self, distinct: bool = True) -> Self:
        self.em.distinct = distinct
        return self

    def distinct_on(self, distinct_on: Sequence[str]) -> Self:
        self.em.distinct_on = list(distinct_on)
        return self

    def with_deleted(self) -> Self:
        self.em.with_deleted = True
        return self

    def call_listeners(self, enabled: bool) -> Self:
        """TypeORM's ``callListeners``: with False the entities loaded get no
        ``after_load`` (listeners, subscribers)."""
        self.em.call_listeners = bool(enabled)
        return self

    def set_find_options(self, options: FindManyOptions) -> Self:
        """TypeORM's ``setFindOptions``: ``where``, ``relations``, ``order``, ``select``,
        ``skip``, ``take``, ``withDeleted``, ``lock``... On a builder holding nothing
        else, run by the terminal through the Repository's find-options compiler
        (`find_options`); on one holding its own calls, merged into them now, as
        TypeORM's ``applyFindOptions`` (`find_merge`)."""
        found = checked(self.em, options)
        earlier = self.em.find_options
        if alone(self.em) and earlier is None:
            self.em.find_options = found
            return self
        if earlier is not None:
            # TypeORM applied the earlier options to the builder when they were set
            if not alone(self.em):
                raise FindOptionsCombined(
                    "set_find_options again after other calls on a builder holding find "
                    "options is not supported"
                )
            self.em.find_options = None
            merge_find_options(self, earlier)
        # TypeORM's applyFindOptions: the options become this builder's calls now
        merge_find_options(self, found)
        return self

    def set_parameter(self, key: str, value: object) -> Self:
        if callable(value):
            raise QueryBuilderError(
                f"Function parameter isn't supported in the parameters. "
                f'Please check "{key}" parameter.'
            )
        if not _KEY.match(str(key)):
            raise QueryBuilderError(
                "QueryBuilder parameter keys may only contain numbers, letters, "
                "underscores, or periods."
            )
        if self._parent is not None:
            self._parent.set_parameter(key, value)
        self.em.parameters[str(key)] = value
        return self

    def set_parameters(self, parameters: Mapping[str, object]) -> Self:
        for key, value in parameters.items():
            self.set_parameter(key, value)
        return self

    def get_parameters(self) -> dict[str, object]:
        return self._params(self.em)

    def _parameter(self, value: Any) -> str:
        while True:
            name = f"orm_param_{self._param_index}"
            self._param_index += 1
            if name not in self.em.parameters:
                break
        self.set_parameter(name, value)
        return f":{name}"

    # -- conditions -----------------------------------------------------------------

    def _condition(self, where: Any) -> Any:
        if isinstance(where, str):
            return where
        if isinstance(where, Brackets):
            inner = ExpressionMap(
                main=self.em.main,
                aliases=self.em.aliases,
                joins=self.em.joins,
                parameters=self.em.parameters,
            )
            child: SelectQueryBuilder[object] = SelectQueryBuilder(self.manager, inner)
            child._param_index = self._param_index
            where.factory(child)
            self._param_index = child._param_index
            return ("not" if where.negated else "brackets", inner.wheres)
        if isinstance(where, Mapping | list | tuple):
            params: dict[str, Any] = {}
            made_condition = object_condition(self.em, where, self._parameter, params)
            self.set_parameters(params)
            return made_condition
        if callable(where):
            made = where(self)
            if not isinstance(made, str):
                raise QueryBuilderError("a condition function must return the condition's text")
            return made
        raise QueryBuilderError(
            f"a condition is a string or Brackets/NotBrackets, not {type(where).__name__}"
        )

    def where(self, where: Condition[Self], parameters: Mapping[str, object] | None = None) -> Self:
        self.em.wheres = []
        condition = self._condition(where)
        if condition:
            self.em.wheres = [Where("simple", condition)]
        if parameters:
            self.set_parameters(parameters)
        return self

    def and_where(
        self, where: Condition[Self], parameters: Mapping[str, object] | None = None
    ) -> Self:
        self.em.wheres.append(Where("and", self._condition(where)))
        if parameters:
            self.set_parameters(parameters)
        return self

    def or_where(
        self, where: Condition[Self], parameters: Mapping[str, object] | None = None
    ) -> Self:
        self.em.wheres.append(Where("or", self._condition(where)))
        if parameters:
            self.set_parameters(parameters)
        return self

    def _in_ids(self, ids: Any) -> Any:
        main = self.em.main
        if main is None or main.info is None:
            # TypeORM reads the main alias's metadata: a TypeError where there is none
            raise TypeError(
                "where_in_ids needs an entity as the main alias (TypeORM: Cannot read "
                "properties of undefined (reading 'metadata'))"
            )
        info = main.info
        items = list(ids) if isinstance(ids, list | tuple) else [ids]
        rows = [self._id_map(info, item) for item in items]
        if len(info.primary) == 1:
            key = info.primary[0]
            path = f"{main.name}.{property_path(info, key)}"
            values = [row[key] for row in rows]
            if not values:
                return "0=1"
            if len(values) == 1:
                return f"{path} = {self._parameter(values[0])}"
            return f"{path} IN ({', '.join(self._parameter(v) for v in values)})"
        branches = []
        for item, row in zip(items, rows, strict=True):
            if isinstance(item, Mapping):
                # TypeORM's id map of an object is the object itself: ``where(data)``
                # with every property it holds, keys or not (``{lineNo: 1}`` is every
                # line 1 of every order)
                branches.append(Where("or", ("brackets", [Where("and", self._condition(item))])))
                continue
            parts = [
                f"{main.name}.{property_path(info, k)} = {self._parameter(row[k])}"
                for k in info.primary
            ]
            branches.append(Where("or", ("brackets", [Where("and", " AND ".join(parts))])))
        return ("brackets", branches)

    @staticmethod
    def _id_map(info: EntityInfo, value: Any) -> dict[str, Any]:
        if isinstance(value, Mapping):
            out = {}
            for key in info.primary:
                prop = property_path(info, key)
                found = value.get(prop, value.get(key))
                if found is None and "." in prop:  # an embedded key, nested
                    held: Any = value
                    for part in prop.split("."):
                        held = held.get(part) if isinstance(held, Mapping) else None
                    found = held
                out[key] = found
            return out
        if hasattr(value, "__mapper__"):
            return {k: getattr(value, k) for k in info.primary}
        return {info.primary[0]: value}

    def _exists(self, sub: SelectQueryBuilder[object]) -> str:
        em = sub.em.copy()
        em.order_bys = {}
        em.group_bys = []
        em.offset = em.limit = em.skip = em.take = None
        em.selects = [Selection("1")]
        self.set_parameters(em.parameters)
        return f"EXISTS ({SelectQueryBuilder(sub.manager, em).get_query()})"

    def where_exists(self, sub: SelectQueryBuilder[object]) -> Self:
        return self.where(self._exists(sub))

    def and_where_exists(self, sub: SelectQueryBuilder[object]) -> Self:
        return self.and_where(self._exists(sub))

    def or_where_exists(self, sub: SelectQueryBuilder[object]) -> Self:
        return self.or_where(self._exists(sub))

    def where_in_ids(self, ids: object) -> Self:
        self.em.wheres = [Where("simple", self._in_ids(ids))]
        return self

    def and_where_in_ids(self, ids: object) -> Self:
        self.em.wheres.append(Where("and", self._in_ids(ids)))
        return self

    def or_where_in_ids(self, ids: object) -> Self:
        self.em.wheres.append(Where("or", self._in_ids(ids)))
        return self

    def having(self, having: str, parameters: Mapping[str, object] | None = None) -> Self:
        self.em.havings.append(Where("simple", having))
        if parameters:
            self.set_parameters(parameters)
        return self

    def and_having(self, having: str, parameters: Mapping[str, object] | None = None) -> Self:
        self.em.havings.append(Where("and", having))
        if parameters:
            self.set_parameters(parameters)
        return self

    def or_having(self, having: str, parameters: Mapping[str, object] | None = None) -> Self:
        self.em.havings.append(Where("or", having))
        if parameters:
            self.set_parameters(parameters)
        return self

    # -- joins ----------------------------------------------------------------------

    def _join(
        self,
        direction: str,
        target: Any,
        alias: str,
        condition: str | None,
        parameters: Mapping[str, object] | None,
        select: bool,
    ) -> Self:
        if select:
            self.add_select(alias)
        if parameters:
            self.set_parameters(parameters)
        if callable(target) and not isinstance(target, type):
            target = self._subquery_text(target)
        add_join(self.em, direction, target, alias, condition)
        return self

    def left_join(
        self,
        target: Target,
        alias: str,
        condition: str | None = None,
        parameters: Mapping[str, object] | None = None,
    ) -> Self:
        return self._join("LEFT", target, alias, condition, parameters, False)

    def inner_join(
        self,
        target: Target,
        alias: str,
        condition: str | None = None,
        parameters: Mapping[str, object] | None = None,
    ) -> Self:
        return self._join("INNER", target, alias, condition, parameters, False)

    def left_join_and_select(
        self,
        target: Target,
        alias: str,
        condition: str | None = None,
        parameters: Mapping[str, object] | None = None,
    ) -> Self:
        return self._join("LEFT", target, alias, condition, parameters, True)

    def inner_join_and_select(
        self,
        target: Target,
        alias: str,
        condition: str | None = None,
        parameters: Mapping[str, object] | None = None,
    ) -> Self:
        return self._join("INNER", target, alias, condition, parameters, True)

    def _map(
        self,
        direction: str,
        many: bool,
        map_to: str,
        target: Any,
        alias: str,
        condition: str | None,
        parameters: Mapping[str, object] | None,
    ) -> Self:
        self.add_select(alias)
        if parameters:
            self.set_parameters(parameters)
        join = add_join(self.em, direction, target, alias, condition)
        join.map_to = map_to
        join.map_many = many
        return self

    def left_join_and_map_one(
        self,
        map_to: str,
        target: Target,
        alias: str,
        condition: str | None = None,
        parameters: Mapping[str, object] | None = None,
    ) -> Self:
        return self._map("LEFT", False, map_to, target, alias, condition, parameters)

    def left_join_and_map_many(
        self,
        map_to: str,
        target: Target,
        alias: str,
        condition: str | None = None,
        parameters: Mapping[str, object] | None = None,
    ) -> Self:
        return self._map("LEFT", True, map_to, target, alias, condition, parameters)

    def inner_join_and_map_one(
        self,
        map_to: str,
        target: Target,
        alias: str,
        condition: str | None = None,
        parameters: Mapping[str, object] | None = None,
    ) -> Self:
        return self._map("INNER", False, map_to, target, alias, condition, parameters)

    def inner_join_and_map_many(
        self,
        map_to: str,
        target: Target,
        alias: str,
        condition: str | None = None,
        parameters: Mapping[str, object] | None = None,
    ) -> Self:
        return self._map("INNER", True, map_to, target, alias, condition, parameters)

    def load_relation_id_and_map(
        self,
        map_to: str,
        relation: str,
        alias_or_options: str | Mapping[str, object] | None = None,
        factory: Callable[[SelectQueryBuilder[object]], object] | None = None,
    ) -> Self:
        """TypeORM's ``loadRelationIdAndMap("post.categoryIds", "post.categories")``:
        the relation's ids set on each entity of the alias after loading
        (`relation_ids`); ``{"disableMixedMap": True}`` gives maps even for one key."""
        self.em.relation_ids.append(
            relation_ids.asked(self.em, map_to, relation, alias_or_options, factory)
        )
        return self

    # -- grouping, order, pages -------------------------------------------------------

    def group_by(self, group_by: str | None = None) -> Self:
        self.em.group_bys = [group_by] if group_by else []
        return self

    def add_group_by(self, group_by: str) -> Self:
        self.em.group_bys.append(group_by)
        return self

    @staticmethod
    def _order_entry(key: str, order: Any, nulls: Any) -> str | tuple[str, str]:
        if order not in _ORDERS:
            raise QueryBuilderError(
                f'Invalid order direction "{order}" for "{key}". Allowed values: ASC, DESC.'
            )
        if nulls is None:
            return str(order)
        if nulls not in _NULLS:
            raise QueryBuilderError(
                f'Invalid nulls option "{nulls}" for "{key}". '
                "Allowed values: NULLS FIRST, NULLS LAST."
            )
        return (str(order), str(nulls))

    def order_by(
        self,
        sort: str | Mapping[str, object] | None = None,
        order: str = "ASC",
        nulls: str | None = None,
    ) -> Self:
        if not sort:
            self.em.order_bys = {}
            return self
        if isinstance(sort, Mapping):
            entries: dict[str, str | tuple[str, str]] = {}
            for key, value in sort.items():
                if isinstance(value, Mapping):
                    entries[key] = self._order_entry(key, value.get("order"), value.get("nulls"))
                else:
                    entries[key] = self._order_entry(key, value, None)
            self.em.order_bys = entries
            return self
        self.em.order_bys = {sort: self._order_entry(sort, order, nulls)}
        return self

    def add_order_by(self, sort: str, order: str = "ASC", nulls: str | None = None) -> Self:
        self.em.order_bys[sort] = self._order_entry(sort, order, nulls)
        return self

    def limit(self, limit: int | None = None) -> Self:
        self.em.limit = _number("limit", limit)
        return self

    def offset(self, offset: int | None = None) -> Self:
        self.em.offset = _number("offset", offset)
        return self

    def take(self, take: int | None = None) -> Self:
        self.em.take = _number("take", take)
        return self

    def skip(self, skip: int | None = None) -> Self:
        self.em.skip = _number("skip", skip)
        return self

    def set_lock(
        self,
        mode: str,
        version: int | datetime.datetime | None = None,
        tables: Sequence[str] | None = None,
    ) -> Self:
        self.em.lock_mode = mode
        self.em.lock_version = version
        self.em.lock_tables = None if tables is None else list(tables)
        return self

    def set_on_locked(self, on_locked: str) -> Self:
        """``"nowait"`` or ``"skip_locked"``."""
        self.em.on_locked = on_locked
        return self

    # -- SQL --------------------------------------------------------------------------

    @staticmethod
    def _params(em: ExpressionMap) -> dict[str, Any]:
        """``em``'s parameters and, for a single-table child, its discriminator values."""
        params = dict(em.parameters)
        main = em.main
        if main is not None and main.info is not None:
            info = main.info
            if info.discriminator is not None and info.mapper.inherits is not None:
                params["discriminatorColumnValues"] = [
                    m.polymorphic_identity for m in info.mapper.self_and_descendants
                ]
        return params

    def _in_force(self, em: ExpressionMap) -> ExpressionMap:
        """``em`` with the ``schema_translate_map`` its statement runs with
        (`schemas`): ``em`` itself when it has it already, else a copy."""
        found = in_force(self.manager)
        if em.schemas == found:
            return em
        em = em.copy()
        em.schemas = found
        return em

    def _rendered(self, em: ExpressionMap, text: str | None = None) -> tuple[str, dict[str, Any]]:
        params = self._params(em)
        if text is not None:
            binds = Binds()
            return render(text, em.entity_aliases(), params, binds), binds.values
        return rendered(
            "query", em, params, lambda b: render(query_text(em), em.entity_aliases(), params, b)
        )

    def get_query_and_parameters(self) -> tuple[str, list[object]]:
        """The SQL as TypeORM's PostgreSQL driver sends it (``$1``, ``$2``...) and the
        values in order."""
        self._no_find_options("get_query_and_parameters")
        return numbered(*self._rendered(self._in_force(self.em)))

    def get_sql(self) -> str:
        return self.get_query_and_parameters()[0]

    def get_query(self) -> str:
        """The SQL with property paths rewritten and parameters still ``:name`` (in
        parentheses for a ``sub_query()``), as TypeORM's ``getQuery``."""
        self._no_find_options("get_query")
        text = query_text(self._in_force(self.em))
        if self.em.sub_query:
            text = f"({text})"
        return render(text, self.em.entity_aliases(), {}, Binds(), bind=False)

    # -- write builders -------------------------------------------------------------

    def insert(self) -> InsertQueryBuilder:
        """TypeORM's ``insert()``: an `InsertQueryBuilder` (``into(...).values(...)``)."""
        from ormshift.orm.querybuilder.insert import InsertQueryBuilder  # noqa: PLC0415

        return InsertQueryBuilder(self)

    def update(
        self,
        entity: type[object] | Mapping[str, object] | None = None,
        values: Mapping[str, object] | None = None,
    ) -> UpdateQueryBuilder:
        """``update()``, ``update(values)``, ``update(Entity)``, ``update(Entity, values)``."""
        from ormshift.orm.querybuilder.update import UpdateQueryBuilder  # noqa: PLC0415

        if isinstance(entity, Mapping):
            entity, values = None, entity
        made = UpdateQueryBuilder(self, entity, values)
        made.info  # noqa: B018 - raises without a main entity
        return made

    def relation(self, entity: type[object] | str, path: str | None = None) -> RelationQueryBuilder:
        """TypeORM's ``relation(Entity, "path")`` / ``relation("path")`` (the main
        alias's entity): a `RelationQueryBuilder`."""
        from ormshift.orm.querybuilder.relation import RelationQueryBuilder  # noqa: PLC0415

        if path is None:
            main = self.em.main
            if main is None or main.info is None:
                raise QueryBuilderError("relation(path) needs an entity as the main alias")
            entity, path = main.info.cls, str(entity)
        elif not isinstance(entity, type):
            raise QueryBuilderError(f"relation(entity, path) takes a mapped class, not {entity!r}")
        return RelationQueryBuilder(self, entity, path)

    def delete(self) -> DeleteQueryBuilder:
        from ormshift.orm.querybuilder.delete import DeleteQueryBuilder  # noqa: PLC0415

        return DeleteQueryBuilder(self)

    def soft_delete(self) -> SoftDeleteQueryBuilder:
        from ormshift.orm.querybuilder.update import SoftDeleteQueryBuilder  # noqa: PLC0415

        return SoftDeleteQueryBuilder(self)

    def restore(self) -> SoftDeleteQueryBuilder:
        from ormshift.orm.querybuilder.update import SoftDeleteQueryBuilder  # noqa: PLC0415

        return SoftDeleteQueryBuilder(self, restore=True)

    # -- terminals --------------------------------------------------------------------

    def _fetch(self, em: ExpressionMap, text: str | None = None) -> Fetched:
        sql, values = self._rendered(em, text)
        return fetch(self.manager, sql, values)

    def _no_optimistic(self) -> None:
        if self.em.lock_mode == "optimistic":
            raise OptimisticLockCanNotBeUsed(
                "The optimistic lock can be used only with get_one (TypeORM's getOne())."
            )

    def _no_find_options(self, terminal: str) -> None:
        if self.em.find_options is not None:
            self._found(terminal)  # refuses it

    def _found(self, terminal: str) -> Any:
        return run_found(self.manager, self.em, terminal)

    def get_raw_many(self) -> list[Row]:
        if self.em.find_options is not None:
            return self._found("get_raw_many")  # type: ignore[no-any-return]
        self._no_optimistic()
        em = self._in_force(self.em.copy())
        em.query_entity = False
        return self._fetch(em).raw()

    def stream(self, batch: int = 1000) -> Generator[Row]:
        """TypeORM's ``stream()``: the raw rows one by one, read from a server-side
        cursor ``batch`` rows at a time; the connection is held until the iterator is
        exhausted or closed."""
        self._no_find_options("stream")
        self._no_optimistic()
        em = self._in_force(self.em.copy())
        em.query_entity = False
        sql, values = self._rendered(em)
        return stream(self.manager, sql, values, batch)

    def get_raw_one(self) -> Row | None:
        rows = self.get_raw_many()
        return rows[0] if rows else None

    def _entities_and_raw(self) -> tuple[list[Any], list[dict[str, Any]]]:
        found, fetched = self._entities_and_fetched()
        return found, [] if fetched is None else fetched.raw()

    def _entities(self) -> list[Any]:
        return self._entities_and_fetched()[0]

    def _entities_and_fetched(self) -> tuple[list[Any], Fetched | None]:
        """The entities and the rows they came from (None: no rows), whose raw values
        are made only when asked for."""
        em = self._in_force(self.em.copy())
        em.query_entity = True
        main = em.main
        if main is None or main.info is None:
            raise QueryBuilderError('Alias is not set. Use "from" method to set an alias.')
        if em.lock_mode in _PESSIMISTIC and not self.manager.in_transaction:
            raise PessimisticLockTransactionRequired(
                "Transaction is required to perform a pessimistic lock: "
                "run the query inside DataSource.transaction"
            )
        if em.lock_mode == "optimistic":
            info = main.info
            if info.version is None and info.update_date is None:
                raise NoVersionOrUpdateDateColumn(info.name)
        paged = bool((em.skip or em.take) and em.joins)
        # the (first) statement is written before a connection is taken: a bad name in
        # it is refused with nothing sent
        first = self._page_keys(em) if paged else self._rendered(em)
        with reader(self.manager) as run:
            if paged:
                fetched = self._page(em, first, run)
                if fetched is None:
                    return [], None
            else:
                fetched = run(*first)
        if not fetched.rows:
            return [], fetched
        found = entities(em, fetched.rows, fetched.processor)
        if em.relation_ids:
            relation_ids.load(self.manager, em, found)
        if em.query_relations:
            query_relations.load(
                self.manager,
                main.info,
                found,
                em.query_relations,
                em.query_options or {},
                em.call_listeners,
            )
        # TypeORM's executeEntitiesAndRawResults: "after load" for every entity of the
        # rows (a getOne's too), what was joined with them first, unless callListeners(false)
        if em.call_listeners and hooks_apply(main.info, self.manager.subscribers):
            hooks.loaded(self.manager, main.info.cls, found)
        return found, fetched

    def _page_keys(self, em: ExpressionMap) -> tuple[str, dict[str, Any]]:
        """The first step of a page with joins: its distinct keys (`pages.keys_map`)."""
        aliases = {**em.entity_aliases(), "distinctAlias": None}
        params = self._params(em)
        return rendered(
            "page keys", em, params, lambda b: render(query_text(keys_map(em)), aliases, params, b)
        )

    def _page(
        self, em: ExpressionMap, first: tuple[str, dict[str, Any]], run: Run
    ) -> Fetched | None:
        """A page of entities with joins, in TypeORM's two steps (`pages`) on one
        connection: ``first`` (`_page_keys`), then the rows of the keys it found."""
        keys = run(*first).rows
        if not keys:
            return None
        second = em.copy()
        # the keys are bound (TypeORM writes numbers into the text): the text is the
        # page's shape for as many keys, written once (`text_cache`)
        second.extra_where = keys_condition(second, keys)
        return run(*self._rendered(second))

    def get_raw_and_entities(self) -> tuple[list[Row], list[T_co]]:
        """``{raw, entities}`` as the pair (raw, entities)."""
        if self.em.find_options is not None:
            return self._found("get_raw_and_entities")  # type: ignore[no-any-return]
        found, raw = self._entities_and_raw()
        return raw, found

    def get_many(self) -> list[T_co]:
        if self.em.find_options is not None:
            return self._found("get_many")  # type: ignore[no-any-return]
        self._no_optimistic()
        return self._entities()

    def get_one(self) -> T_co | None:
        if self.em.find_options is not None:
            return cast("T_co | None", self._found("get_one"))
        found = self._entities()
        result = found[0] if found else None
        em = self.em
        if result is not None and em.lock_mode == "optimistic" and em.lock_version:
            info = em.main.info  # type: ignore[union-attr]
            assert info is not None
            key = info.update_date if not isinstance(em.lock_version, int) else info.version
            actual = getattr(result, key) if key else None
            if actual != em.lock_version:
                raise OptimisticLockVersionMismatch(
                    f"The optimistic lock on entity {info.name} failed, version "
                    f"{em.lock_version} was expected, but is actually {actual}."
                )
        return result

    def get_one_or_fail(self) -> T_co:
        if self.em.find_options is not None:
            return cast("T_co", self._found("get_one_or_fail"))
        found = self.get_one()
        if found is None:
            main = self.em.main
            name = main.info.name if main is not None and main.info is not None else "?"
            raise EntityNotFound(name, self.em.parameters)
        return found

    def get_count(self) -> int:
        if self.em.find_options is not None:
            return int(self._found("get_count"))
        self._no_optimistic()
        rows = self._fetch(count_map(self._in_force(self.em))).rows
        value = rows[0].get("cnt") if rows else None
        return int(value) if value else 0

    def get_many_and_count(self) -> tuple[list[T_co], int]:
        if self.em.find_options is not None:
            return self._found("get_many_and_count")  # type: ignore[no-any-return]
        self._no_optimistic()
        found = self._entities()
        count = lazy_count(self.em, len(found))
        if count is None:
            count = self.get_count()
        return found, count

    def get_exists(self) -> bool:
        if self.em.find_options is not None:
            return bool(self._found("get_exists"))
        self._no_optimistic()
        sub, text = exists_text(self._in_force(self.em))
        return bool(self._fetch(sub, text).rows)
