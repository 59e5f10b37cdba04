"""One scenario operation run through `ormshift.orm`, its result as plain records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ormshift.compare.scenario import Operation, decode_args
from ormshift.orm import DataSource, EntityManager, InsertResult, to_record
from ormshift.orm.errors import FindOptionsError
from ormshift.orm.manager import DeleteResult, UpdateResult

__all__ = ["plain_result", "run_operation"]

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
_ENTITY = {"save": "save", "remove": "remove", "softRemove": "soft_remove", "recover": "recover"}


def _execute(manager: EntityManager, models: Mapping[str, type[Any]], op: Operation) -> Any:
    args = decode_args(op.args)
    if op.op == "query":
        return manager.query(args[0], args[1] if len(args) > 1 else None)
    if op.op == "transaction":
        raise FindOptionsError("a transaction runs from the data source")
    if op.entity is None or op.entity not in models:
        raise FindOptionsError(f"no model named {op.entity!r}; known: {', '.join(sorted(models))}")
    entity = models[op.entity]
    repo = manager.get_repository(entity)
    if op.op in _FIND_OPTIONS:
        options = args[0] if args else {}
        return getattr(repo, _FIND_OPTIONS[op.op])(**(options or {}))
    if op.op in _FIND_WHERE:
        return getattr(repo, _FIND_WHERE[op.op])(args[0])
    if op.op in _PRIMITIVE:
        return getattr(repo, _PRIMITIVE[op.op])(*args)
    if op.op == "upsert":
        conflict = args[1]
        skip = False
        if isinstance(conflict, Mapping):
            skip = bool(conflict.get("skipUpdateIfNoValuesChanged"))
            conflict = conflict["conflictPaths"]
        return repo.upsert(args[0], conflict, skip_update_if_no_values_changed=skip)
    if op.op in _ENTITY:
        value = args[0]
        made = [repo.create(v) for v in value] if isinstance(value, list) else repo.create(value)
        return getattr(repo, _ENTITY[op.op])(made)
    raise FindOptionsError(f"unknown operation {op.op!r}")


def run_operation(ds: DataSource, models: Mapping[str, type[Any]], op: Operation) -> Any:
    """The result of ``op`` (raises what `ormshift.orm` raises)."""
    if op.op == "transaction":
        steps = [
            Operation(str(s["op"]), s.get("entity"), list(s.get("args", [])), str(s["op"]))
            for s in op.args[0]
        ]
        options = op.args[1] if len(op.args) > 1 else {}
        with ds.transaction(isolation=(options or {}).get("isolation")) as manager:
            return [_execute(manager, models, step) for step in steps]
    return _execute(ds.manager, models, op)


def plain_result(value: Any) -> Any:
    """Entities as records, result objects as TypeORM shapes them."""
    if isinstance(value, InsertResult):
        return {"identifiers": value.identifiers}
    if isinstance(value, UpdateResult | DeleteResult):
        return {"affected": value.affected}
    if isinstance(value, list | tuple):
        return [plain_result(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_result(v) for k, v in value.items()}
    if hasattr(value, "__mapper__"):
        return to_record(value)
    return value
