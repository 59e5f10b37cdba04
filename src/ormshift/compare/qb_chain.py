"""Query-builder chains in scenario files: ``{op: qb, entity: Post, alias: post, chain:
[[leftJoinAndSelect, post.author, author], [where, "author.name = :name", {name: ada}],
[getMany]]}``.

TypeORM's side (bridge/lib/sidecar/qb.js) calls the chain's methods in order on
``repository.createQueryBuilder(alias)`` (``via: manager`` / ``dataSource``: theirs;
no entity: the empty builder, for ``select``/``from``). ormshift's side calls the same
methods by one name mapping: camelCase -> snake_case, ``from`` -> ``from_``
(`python_name`). Arguments: ``{$entity: Author}`` is the model class,
``{$brackets: chain}`` / ``{$notBrackets: chain}`` are `Brackets` / `NotBrackets`
applying the chain, ``{$subquery: chain}`` a function applying it to the ``sub_query()``
it is given, ``{$qb: chain}`` a new builder with it applied (``whereExists``),
``{$subqueryWhere: [prefix, chain]}`` a condition function giving ``prefix`` + the
chain's subquery text (``"post.id IN " + qb.subQuery()...getQuery()``), a mapping
holding such a marker deeper down each of its values read so, the rest decoded as
other operations' arguments are.
``execute`` (the write builders) gives ``{identifiers, generatedMaps}`` for an insert,
``{affected, raw}`` for an update, delete, soft delete or restore.
The relation builder's ``add``/``remove``/``set``/``addAndRemove`` (writes) and
``loadMany``/``loadOne`` end a chain too (``[[relation, {$entity: Book}, categories],
[of, 1], [add, [2, 3]]]``).
``getManyAndCount`` gives ``[entities, count]``, ``getRawAndEntities``
``[raw, entities]``, on both sides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ormshift.compare.faces import settled
from ormshift.compare.normalize import typeorm_column_value

__all__ = ["TERMINALS", "python_name", "qb_args", "qb_ordered", "qb_writes", "run_chain"]

#: the methods that end a chain (and run it)
TERMINALS = frozenset(
    {
        "getMany",
        "getOne",
        "getOneOrFail",
        "getRawMany",
        "getRawOne",
        "getRawAndEntities",
        "getCount",
        "getManyAndCount",
        "getExists",
        "getSql",
        "getQuery",
        "getQueryAndParameters",
        "execute",
        "add",
        "remove",
        "set",
        "addAndRemove",
        "loadMany",
        "loadOne",
    }
)
#: terminals that write (the database state is compared after them)
WRITE_TERMINALS = frozenset({"execute", "add", "remove", "set", "addAndRemove"})
_VIAS = ("repository", "manager", "dataSource")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def python_name(method: str) -> str:
    """TypeORM's method name -> ormshift's (``leftJoinAndSelect`` -> ``left_join_and_select``)."""
    if method == "from":
        return "from_"
    return _CAMEL.sub("_", method).lower()


def _chain(chain: Any, where: str, error: type[Exception], *, terminal: bool) -> None:
    if not isinstance(chain, list) or not chain:
        raise error(f"{where}: 'chain' must be a non-empty list of [method, args...]")
    for i, call in enumerate(chain):
        if not isinstance(call, list) or not call or not isinstance(call[0], str):
            raise error(f"{where}: chain item {i + 1} must be [method, args...]")
        last = i == len(chain) - 1
        if terminal and last and call[0] not in TERMINALS:
            raise error(f"{where}: a chain ends with a terminal ({', '.join(sorted(TERMINALS))})")
        # ``set`` ends a relation builder's chain and is an update builder's step
        if call[0] in TERMINALS and call[0] != "set" and not (terminal and last):
            raise error(f"{where}: {call[0]!r} may only end the chain")


def qb_args(raw: Mapping[str, Any], where: str, error: type[Exception]) -> list[Any]:
    """A ``qb`` operation's arguments, checked: ``[{alias, chain, via}]``."""
    chain = raw.get("chain")
    _chain(chain, where, error, terminal=True)
    via = raw.get("via", "repository")
    if via not in _VIAS:
        raise error(f"{where}: 'via' is one of {', '.join(_VIAS)}")
    alias = raw.get("alias")
    if raw.get("entity") and not isinstance(alias, str):
        raise error(f"{where}: a qb operation on an entity needs 'alias'")
    return [{"alias": alias, "chain": chain, "via": via}]


def qb_ordered(args: list[Any]) -> bool:
    """A chain's result is ordered when it orders (``orderBy``/``addOrderBy``)."""
    spec = args[0] if args else {}
    chain = spec.get("chain", []) if isinstance(spec, Mapping) else []
    return any(call[0] in ("orderBy", "addOrderBy") for call in chain)


def qb_writes(args: list[Any]) -> bool:
    """A chain writes when it ends in ``execute`` (an insert/update/delete builder)."""
    spec = args[0] if args else {}
    chain = spec.get("chain", []) if isinstance(spec, Mapping) else []
    return bool(chain) and chain[-1][0] in WRITE_TERMINALS


def write_result(result: Any, info: Any = None) -> Any:
    """An ``execute()`` result as the sidecar shapes it: ``{identifiers, generatedMaps}``
    (insert), ``{affected, raw}`` (update, delete); an insert's maps (by attribute key)
    keyed by TypeORM's names when ``info``, the builder's entity, is known.

    TypeORM's generated maps hold the driver's values unhydrated
    (``PostgresDriver.createGeneratedMap``), and node-postgres leaves an array of an
    enum type as PostgreSQL's text: such a list in ormshift's map is compared as that
    text (docs/orm.md, "Intentional differences"); a ``bigint`` it gives as text, ormshift
    as ``int`` (docs/orm.md, "Values"): compared as text."""
    from ormshift.orm.manager import DeleteResult, InsertResult, UpdateResult  # noqa: PLC0415

    if isinstance(result, InsertResult):

        def named(row: Mapping[str, Any] | None) -> Any:
            if row is None or info is None:
                return row
            return {
                info.property_of(k): _driver_value(info, k, v)
                for k, v in _driver_text(info, row).items()
            }

        return {
            "identifiers": [named(r) for r in result.identifiers],
            "generatedMaps": [named(r) for r in result.generated_maps],
        }
    if isinstance(result, UpdateResult | DeleteResult):
        return {"affected": result.affected, "raw": result.raw}
    return result


def _arg(value: Any, models: Mapping[str, type[Any]], manager: Any) -> Any:
    from ormshift.compare.scenario import decode_args  # noqa: PLC0415 - cycle
    from ormshift.orm.querybuilder import Brackets, NotBrackets  # noqa: PLC0415

    if isinstance(value, Mapping) and len(value) == 1:
        if isinstance(value.get("$entity"), str):
            name = str(value["$entity"])
            if name not in models:
                raise ValueError(f"no model named {name!r}")
            return models[name]
        for key, cls in (("$brackets", Brackets), ("$notBrackets", NotBrackets)):
            inner = value.get(key)
            if isinstance(inner, list):
                return cls(_factory(inner, models, manager))
        if isinstance(value.get("$subquery"), list):
            return _factory(value["$subquery"], models, manager)
        if isinstance(value.get("$qb"), list):
            return _apply(manager.create_query_builder(), value["$qb"], models, manager)
        if isinstance(value.get("$subqueryWhere"), list):
            prefix, chain = value["$subqueryWhere"]
            return _where_factory(str(prefix), chain, models, manager)
    if (
        isinstance(value, Mapping)
        and not any(str(k).startswith("$") for k in value)
        and _holds_marker(value)
    ):
        return {k: _arg(v, models, manager) for k, v in value.items()}
    return decode_args(value)


_MARKERS = ("$brackets", "$notBrackets", "$subqueryWhere")


def _holds_marker(value: Any) -> bool:
    """A marker (``$brackets``...) somewhere inside ``value`` (``orUpdate``'s
    ``{overwriteCondition: {where: {$brackets: ...}}}``)."""
    if isinstance(value, list):
        return any(_holds_marker(v) for v in value)
    if isinstance(value, Mapping):
        return any(k in _MARKERS or _holds_marker(v) for k, v in value.items())
    return False


def _factory(chain: list[Any], models: Mapping[str, type[Any]], manager: Any) -> Any:
    def factory(qb: Any) -> Any:
        return _apply(qb, chain, models, manager)

    return factory


def _where_factory(
    prefix: str, chain: list[Any], models: Mapping[str, type[Any]], manager: Any
) -> Any:
    def factory(qb: Any) -> str:
        return prefix + str(_apply(qb.sub_query(), chain, models, manager).get_query())

    return factory


def _apply(qb: Any, chain: list[Any], models: Mapping[str, type[Any]], manager: Any) -> Any:
    current = qb
    for method, *args in chain:
        name = python_name(str(method))
        fn = getattr(current, name, None)
        if fn is None or name.startswith("_"):
            raise AttributeError(f"{type(current).__name__} has no method {name} ({method})")
        current = fn(*(_given(current, _arg(a, models, manager)) for a in args))
    return current


def _given(callee: Any, value: Any) -> Any:
    """An argument as ``callee`` takes it: a builder made on the async face (``$qb``) is
    given to a sync builder (what a condition function is called with) as its sync one."""
    from ormshift.orm.aio.faces import SelectQueryBuilderFace  # noqa: PLC0415

    if isinstance(value, SelectQueryBuilderFace) and not hasattr(callee, "sync"):
        return value.sync
    return value


#: the attribute naming an entity's ``load_relation_id_and_map`` properties (each with
#: the relations mapped onto it), for `ormshift.compare.candidate` to record beside its
#: columns (as qb.js marks TypeORM's)
EXTRAS = "_ormshift_extras"


def _mark_extras(value: Any, names: Mapping[str, list[str]], seen: set[int]) -> None:
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, list | tuple):
        for item in value:
            _mark_extras(item, names, seen)
        return
    if not hasattr(value, "__mapper__"):
        return
    held = {n: r for n, r in names.items() if n in value.__dict__}
    if held:
        setattr(value, EXTRAS, held)
    for item in list(value.__dict__.values()):
        if isinstance(item, list) or hasattr(item, "__mapper__"):
            _mark_extras(item, names, seen)


def relation_ids_text(info: Any, names: list[str], value: Any) -> Any:
    """Loaded relation ids (`_mark_extras`) of an entity of ``info`` as TypeORM gives
    them: each related key in its column's TypeORM form (a ``bigint`` as text)."""
    from sqlalchemy.orm import MANYTOONE  # noqa: PLC0415

    from ormshift.orm.metadata import entity_info  # noqa: PLC0415
    from ormshift.orm.querybuilder.names import property_path, relations  # noqa: PLC0415

    found = relations(info)
    rel = next((found[k] for n in names if (k := info.attribute(n)) in found), None)
    if rel is None:
        return value
    target = entity_info(rel.mapper.class_)
    if rel.direction is MANYTOONE:
        columns = [remote for _, remote in rel.local_remote_pairs or []]
    elif rel.secondary is not None:
        columns = [own for own, _ in rel.secondary_synchronize_pairs or []]
    else:
        columns = list(target.table.primary_key.columns)
    keys = [target.mapper.get_property_by_column(c).key for c in columns]
    by_path = {property_path(target, k): k for k in keys}

    def text(key: str, item: Any) -> Any:
        col = target.columns[key]
        return typeorm_column_value(item, col.type, col.info.get("enum_numbers", ()))

    def one(item: Any) -> Any:
        if isinstance(item, Mapping):
            return {p: text(by_path[p], v) if p in by_path else v for p, v in item.items()}
        return text(keys[0], item) if len(keys) == 1 else item

    return [one(v) for v in value] if isinstance(value, list) else one(value)


def _driver_text(info: Any, made: Mapping[str, Any]) -> dict[str, Any]:
    """``made`` with each enum array as PostgreSQL's text of it (``{a,"b c"}``)."""
    from sqlalchemy import ARRAY, Enum  # noqa: PLC0415

    columns = info.columns
    out = dict(made)
    for key, value in made.items():
        col = columns.get(key)
        if (
            col is not None
            and isinstance(col.type, ARRAY)
            and isinstance(col.type.item_type, Enum)
            and isinstance(value, list)
        ):
            out[key] = "{" + ",".join(_array_item(str(v)) for v in value) + "}"
    return out


def _driver_value(info: Any, key: str, value: Any) -> Any:
    """A generated value as node-postgres gives it: a ``bigint`` (``int`` in Python) as
    text."""
    col = info.columns.get(key)
    return value if col is None else typeorm_column_value(value, col.type)


def _array_item(text: str) -> str:
    """An element of PostgreSQL's array output: quoted when it must be."""
    if text and not re.search(r'[\s{},"\\]', text) and text.upper() != "NULL":
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def run_chain(
    manager: Any, models: Mapping[str, type[Any]], entity: str | None, spec: Any
) -> Any:
    """The chain's result through ormshift's builder, of either face (shaped as the
    sidecar's): the terminal's result awaited when it is awaitable."""
    from ormshift.orm.manager import InsertResult  # noqa: PLC0415
    from ormshift.orm.querybuilder import QueryBuilderError  # noqa: PLC0415

    if entity is not None:
        if entity not in models:
            raise ValueError(f"no model named {entity!r}")
        cls = models[entity]
        if spec.get("via", "repository") == "repository":
            qb = manager.get_repository(cls).create_query_builder(spec["alias"])
        else:
            qb = manager.create_query_builder(cls, spec["alias"])
    else:
        qb = manager.create_query_builder()
    chain = list(spec["chain"])
    builder = _apply(qb, chain[:-1], models, manager)
    result = await settled(_apply(builder, chain[-1:], models, manager))
    extras: dict[str, list[str]] = {}
    for call in spec["chain"]:
        if call[0] == "loadRelationIdAndMap" and len(call) > 1 and "." in str(call[1]):
            relation = str(call[2]).partition(".")[2] if len(call) > 2 else ""
            extras.setdefault(str(call[1]).split(".", 1)[1], []).append(relation)
    if extras:
        _mark_extras(result, extras, set())
    terminal = spec["chain"][-1][0]
    if terminal == "getRawAndEntities":
        raw, found = result
        return [raw, found]
    if terminal == "getManyAndCount":
        return list(result)
    if terminal == "execute":
        try:
            # the write builder's entity (on the async face: its sync builder's)
            info = (
                getattr(builder, "sync", builder).info if isinstance(result, InsertResult) else None
            )
        except QueryBuilderError:  # no entity to name the keys by: as they are
            info = None
        return write_result(result, info)
    return result
