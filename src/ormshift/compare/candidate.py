"""One scenario operation run through `ormshift.orm`, its result as plain records.

One runner for both faces (`ormshift.compare.faces`): `run_operation` is a coroutine
that calls the method of TypeORM's name on the face's data source, manager, repository
or builder and passes its result through `settled` (awaited on the async face, as it
is on the sync face); a transaction is ``with`` or ``async with``, as the face's is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import inspect

from ormshift.compare.faces import settled
from ormshift.compare.normalize import typeorm_column_value
from ormshift.compare.qb_chain import EXTRAS, qb_args, relation_ids_text, run_chain
from ormshift.compare.scenario import Operation, ScenarioAbort, decode_args
from ormshift.orm import InsertResult
from ormshift.orm.errors import FindOptionsError
from ormshift.orm.manager import DeleteResult, UpdateResult
from ormshift.orm.metadata import entity_info

__all__ = ["FAILED_STEP", "Caught", "Hidden", "failed_step", "plain_result", "run_operation"]

_FIND_OPTIONS = {
    "find": "find",
    "findOne": "find_one",
    "findOneOrFail": "find_one_or_fail",
    "findAndCount": "find_and_count",
    "count": "count",
    "exists": "exists",
}
_FIND_WHERE = {
    "findBy": "find_by",
    "findOneBy": "find_one_by",
    "findOneByOrFail": "find_one_by_or_fail",
    "findAndCountBy": "find_and_count_by",
    "countBy": "count_by",
    "existsBy": "exists_by",
}
_PRIMITIVE = {
    "insert": "insert",
    "update": "update",
    "delete": "delete",
    "softDelete": "soft_delete",
    "restore": "restore",
    "increment": "increment",
    "decrement": "decrement",
}
#: TypeORM's aggregate methods: (column, where?)
_AGGREGATE = frozenset({"sum", "average", "minimum", "maximum"})
_ENTITY = {"save": "save", "remove": "remove", "softRemove": "soft_remove", "recover": "recover"}


@dataclass(frozen=True)
class Caught:
    """The error of a ``catch: true`` transaction step."""

    error: BaseException


#: table name -> database names of join columns TypeORM keeps behind their relation
Hidden = Mapping[str, frozenset[str]]


async def _execute(manager: Any, models: Mapping[str, type[Any]], op: Operation) -> Any:
    """``op`` on ``manager``: an `EntityManager`, or an `AsyncEntityManager`."""
    args = decode_args(op.args)
    if op.op == "query":
        return await settled(manager.query(args[0], args[1] if len(args) > 1 else None))
    if op.op == "qb" and op.entity is None:
        return await run_chain(manager, models, None, op.args[0])
    if op.entity is None or op.entity not in models:
        raise FindOptionsError(f"no model named {op.entity!r}; known: {', '.join(sorted(models))}")
    entity = models[op.entity]
    if op.op == "qb":
        return await run_chain(manager, models, op.entity, op.args[0])
    if op.op == "tree":
        return await _tree(manager.get_tree_repository(entity), args)
    repo = manager.get_repository(entity)
    if op.op in _FIND_OPTIONS:
        options = args[0] if args else {}
        return await settled(getattr(repo, _FIND_OPTIONS[op.op])(**(options or {})))
    if op.op in _FIND_WHERE:
        return await settled(getattr(repo, _FIND_WHERE[op.op])(args[0]))
    if op.op in _AGGREGATE:
        return await settled(getattr(repo, op.op)(*args))
    if op.op in _PRIMITIVE:
        return _identifiers(entity, await settled(getattr(repo, _PRIMITIVE[op.op])(*args)))
    if op.op == "upsert":
        conflict = args[1]
        skip = False
        if isinstance(conflict, Mapping):
            skip = bool(conflict.get("skipUpdateIfNoValuesChanged"))
            conflict = conflict["conflictPaths"]
        made = repo.upsert(args[0], conflict, skip_update_if_no_values_changed=skip)
        return _identifiers(entity, await settled(made))
    if op.op in _ENTITY:
        value = args[0]
        made = [repo.create(v) for v in value] if isinstance(value, list) else repo.create(value)
        return await settled(getattr(repo, _ENTITY[op.op])(made))
    raise FindOptionsError(f"unknown operation {op.op!r}")


#: TypeORM's TreeRepository methods -> ormshift's, by what their arguments are
_TREE_OPTIONS = {"findTrees": "find_trees", "findRoots": "find_roots"}
_TREE_ENTITY = {
    "findDescendants": "find_descendants",
    "findDescendantsTree": "find_descendants_tree",
    "findAncestors": "find_ancestors",
    "findAncestorsTree": "find_ancestors_tree",
    "countDescendants": "count_descendants",
    "countAncestors": "count_ancestors",
}
_TREE_BUILDERS = {
    "createDescendantsQueryBuilder": "create_descendants_query_builder",
    "createAncestorsQueryBuilder": "create_ancestors_query_builder",
}


async def _tree(repo: Any, args: list[Any]) -> Any:
    """``{op: tree, args: [call, ...]}`` as the sidecar runs it (`ops.js` ``tree``)."""
    call, rest = (args[0], args[1:]) if args else (None, [])
    if call in _TREE_OPTIONS:
        options = rest[0] if rest and rest[0] else {}
        return await settled(getattr(repo, _TREE_OPTIONS[call])(**options))
    if call in _TREE_ENTITY:
        options = rest[1] if len(rest) > 1 and rest[1] else {}
        return await settled(getattr(repo, _TREE_ENTITY[call])(repo.create(rest[0]), **options))
    if call in _TREE_BUILDERS:
        made = getattr(repo, _TREE_BUILDERS[call])(rest[0], rest[1], repo.create(rest[2]))
        return await settled(made.get_many())
    raise FindOptionsError(f"unknown tree call {call!r}")


def _identifiers(entity: type[Any], result: Any) -> Any:
    """An insert's identifiers keyed by TypeORM's names, each value in TypeORM's form."""
    if not isinstance(result, InsertResult):
        return result
    info = entity_info(entity)

    def typed(ids: dict[str, Any] | None) -> dict[str, Any] | None:
        if ids is None:
            return None
        out = {}
        for k, v in ids.items():
            key = info.attribute(k)
            col = info.columns.get(key)
            numbers = () if col is None else col.info.get("enum_numbers", ())
            out[info.property_of(key)] = (
                v if col is None else typeorm_column_value(v, col.type, numbers)
            )
        return out

    return replace(result, identifiers=[typed(ids) for ids in result.identifiers])


def _step(raw: Mapping[str, Any]) -> Operation:
    if raw.get("op") == "qb":
        args = qb_args(raw, "transaction step", ValueError)
        return Operation("qb", raw.get("entity"), args, "qb")
    return Operation(str(raw["op"]), raw.get("entity"), list(raw.get("args", [])), str(raw["op"]))


@asynccontextmanager
async def _entered(block: Any) -> AsyncIterator[Any]:
    """A face's transaction block: ``async with`` on the async face, ``with`` on the sync."""
    if hasattr(block, "__aenter__"):
        async with block as manager:
            yield manager
    else:
        with block as manager:
            yield manager


#: the attribute of an exception leaving a transaction's steps: where it was raised, the
#: step's index in each enclosing transaction, outermost first (none: the commit's or
#: the rollback's own), as the sidecar reports TypeORM's
FAILED_STEP = "ormshift_failed_step"


def failed_step(exc: BaseException) -> list[int] | None:
    """The steps `FAILED_STEP` names, or None."""
    step = getattr(exc, FAILED_STEP, None)
    return list(step) if isinstance(step, tuple) else None


async def _steps(manager: Any, models: Mapping[str, type[Any]], steps: list[Any]) -> list[Any]:
    out: list[Any] = []
    for index, raw in enumerate(steps):
        if raw.get("catch"):
            try:
                out.append(await _in_transaction(manager, models, _step(raw)))
            except Exception as exc:
                out.append(Caught(exc))
        else:
            try:
                out.append(await _in_transaction(manager, models, _step(raw)))
            except Exception as exc:
                setattr(exc, FAILED_STEP, (index, *getattr(exc, FAILED_STEP, ())))
                raise
    return out


async def _in_transaction(manager: Any, models: Mapping[str, type[Any]], op: Operation) -> Any:
    if op.op == "throw":
        raise ScenarioAbort("scenario step throws")
    if op.op == "transaction":
        async with _entered(manager.transaction()) as nested:
            return await _steps(nested, models, list(op.args[0]))
    return await _execute(manager, models, op)


async def run_operation(ds: Any, models: Mapping[str, type[Any]], op: Operation) -> Any:
    """The result of ``op`` on ``ds``, a `DataSource` or an `AsyncDataSource` (raises what
    `ormshift.orm` raises); run by the face's ``run``."""
    if op.op == "transaction":
        options = op.args[1] if len(op.args) > 1 else {}
        isolation = (options or {}).get("isolation")
        async with _entered(ds.transaction(isolation=isolation)) as manager:
            return await _steps(manager, models, list(op.args[0]))
    return await _execute(ds.manager, models, op)


def _record(entity: Any, hidden: Hidden, seen: frozenset[int]) -> dict[str, Any]:
    """Loaded columns and relations; a join column TypeORM has no property for is left out."""
    info = entity_info(type(entity))
    loaded = inspect(entity).dict
    behind = hidden.get(info.table.name, frozenset())
    out: dict[str, Any] = {}
    for key in info.columns:  # what the entity holds (a find holds its class's own columns)
        if key in loaded and info.columns[key].name not in behind:
            if key in info.primary and loaded[key] is None:
                continue  # a removed entity's key: TypeORM's undefined, Python's None
            col = info.columns[key]
            numbers = col.info.get("enum_numbers", ())
            out[info.property_of(key)] = typeorm_column_value(loaded[key], col.type, numbers)
    for name, relations in entity.__dict__.get(EXTRAS, {}).items():
        out[name] = relation_ids_text(info, relations, entity.__dict__[name])
    seen = seen | {id(entity)}
    for key in info.relations:
        if key not in loaded:
            continue
        value = loaded[key]
        name = info.property_of(key)
        if isinstance(value, list):
            out[name] = [_record(v, hidden, seen) for v in value if id(v) not in seen]
        elif value is None:
            out[name] = None
        elif id(value) not in seen:
            out[name] = _record(value, hidden, seen)
    return out


def plain_result(value: Any, hidden: Hidden | None = None, kind: Any = None) -> Any:
    """Entities as records, result objects as TypeORM shapes them; ``kind(exc)`` names a
    caught step's error."""
    hidden = hidden or {}
    if isinstance(value, Caught):
        return {"$error": kind(value.error) if kind else type(value.error).__name__}
    if isinstance(value, InsertResult):
        return {"identifiers": plain_result(value.identifiers, hidden, kind)}
    if isinstance(value, UpdateResult | DeleteResult):
        return {"affected": value.affected}
    if isinstance(value, list | tuple):
        return [plain_result(v, hidden, kind) for v in value]
    if isinstance(value, dict):
        return {k: plain_result(v, hidden, kind) for k, v in value.items()}
    if hasattr(value, "__mapper__"):
        return _record(value, hidden, frozenset())
    return value
