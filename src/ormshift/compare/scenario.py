"""Scenario files: operations in TypeORM's own argument shapes, with optional seeds.

```yaml
models: tests.models.blog        # importable module holding the SQLAlchemy models
seed:                            # SQL run once in a template both sides are cloned from
  - insert into "user" (email, username, "displayName", version) values ('a@x', 'a', 'A', 1)
scenarios:
  - name: find published posts
    seed: [...]                  # more SQL for this scenario only
    operations:
      - op: find
        entity: Post
        args: [{where: {viewCount: {$op: MoreThan, value: 5}}, order: {id: ASC}}]
```
Operators are ``{$op: Name, value: ...}`` (``Raw`` takes ``sql`` with ``{alias}`` and
``params``). JavaScript values JSON cannot spell: ``{$date: ISO}`` (a ``Date`` /
aware ``datetime``), ``{$bytes: hex}`` (a ``Buffer`` / ``bytes``), ``{$undefined: true}``
(a key set to ``undefined``; in Python the key is left out, as a port would write it).

A ``transaction`` operation takes a list of operations (and ``{isolation: ...}``). Among
its steps: a ``transaction`` is a nested transaction (a savepoint on both sides);
``{op: throw}`` throws (the transaction rolls back and fails with ``ScenarioAbort``); a
step with ``catch: true`` has its error caught, the transaction goes on, and its result
is ``{$error: kind}``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ormshift.compare.qb_chain import qb_args, qb_ordered, qb_writes
from ormshift.errors import OrmshiftError
from ormshift.files import read_data
from ormshift.orm import operators as ops

__all__ = [
    "UNDEFINED",
    "Operation",
    "Scenario",
    "ScenarioAbort",
    "ScenarioFile",
    "decode_args",
    "load_scenarios",
]


class ScenarioError(OrmshiftError):
    """A scenario file that cannot be read or is malformed."""


class ScenarioAbort(Exception):
    """What a ``{op: throw}`` step raises inside a transaction (the user's own error)."""


@dataclass(frozen=True)
class Operation:
    op: str
    entity: str | None
    args: list[Any]
    label: str
    #: a known divergence at this step: a note naming its issue-12 class; it is still
    #: compared and reported, but counted apart so that CI stays green
    known: str | None = None

    @property
    def ordered(self) -> bool:
        """Whether result order is part of the result: only when the query orders (a
        transaction's results are its steps', in step order)."""
        if self.op == "transaction":
            return True
        if self.op == "qb":
            return qb_ordered(self.args)
        first = self.args[0] if self.args else None
        return isinstance(first, Mapping) and bool(first.get("order"))

    @property
    def order_tree(self) -> Mapping[str, Any] | None:
        """The find's ``order`` where it orders loaded collections too: TypeORM reads a
        relation's rows from the join its order makes (``relations`` of the same path
        share it), so their order is part of the result; None otherwise."""
        first = self.args[0] if self.op != "qb" and self.args else None
        if not isinstance(first, Mapping) or first.get("relationLoadStrategy") == "query":
            return None
        order = first.get("order")
        return order if isinstance(order, Mapping) and order else None

    @property
    def writes(self) -> bool:
        if self.op == "qb":
            return qb_writes(self.args)
        return self.op not in READS

    def message(self) -> dict[str, Any]:
        return {"op": self.op, "entity": self.entity, "args": self.args}


READS = frozenset(
    {
        "find",
        "findBy",
        "findOne",
        "findOneBy",
        "findOneOrFail",
        "findOneByOrFail",
        "findAndCount",
        "findAndCountBy",
        "count",
        "countBy",
        "exists",
        "existsBy",
        "sum",
        "average",
        "minimum",
        "maximum",
        "qb",
        "tree",
    }
)
OPERATIONS = READS | {
    "save",
    "remove",
    "softRemove",
    "recover",
    "insert",
    "update",
    "upsert",
    "delete",
    "softDelete",
    "restore",
    "increment",
    "decrement",
    "query",
    "transaction",
}
#: only among a transaction's steps
STEP_ONLY = frozenset({"throw"})


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: tuple[str, ...]
    operations: tuple[Operation, ...]


@dataclass(frozen=True)
class ScenarioFile:
    path: Path
    models: str | None
    seed: tuple[str, ...]
    scenarios: tuple[Scenario, ...] = field(default_factory=tuple)
    #: attributes/columns whose values differ by nature (random, now()): compared null-or-not
    volatile: tuple[str, ...] = ()


def _operation(raw: Any, where: str, *, step: bool = False) -> Operation:
    if not isinstance(raw, Mapping) or "op" not in raw:
        raise ScenarioError(f"{where}: an operation needs 'op' (and usually 'entity', 'args')")
    op = str(raw["op"])
    if op in STEP_ONLY and not step:
        raise ScenarioError(f"{where}: {op!r} is a step of a transaction, not an operation")
    if op not in OPERATIONS and op not in STEP_ONLY:
        raise ScenarioError(
            f"{where}: unknown operation {op!r}; known: {', '.join(sorted(OPERATIONS))}"
        )
    args = raw.get("args", [])
    if not isinstance(args, list):
        raise ScenarioError(f"{where}: 'args' must be a list (the method's arguments)")
    if op == "transaction":
        steps = args[0] if args else []
        if not isinstance(steps, list):
            raise ScenarioError(f"{where}: a transaction's first argument is a list of operations")
        for i, item in enumerate(steps):
            _operation(item, f"{where} step {i + 1}", step=True)
    elif op == "qb":
        args = qb_args(raw, where, ScenarioError)
    elif op not in ("query", "throw", "qb") and not raw.get("entity"):
        raise ScenarioError(f"{where}: operation {op!r} needs 'entity'")
    entity = raw.get("entity")
    label = str(raw.get("label") or f"{op} {entity or ''}".strip())
    known = raw.get("known")
    if known is not None and (not isinstance(known, str) or not known.strip()):
        raise ScenarioError(f"{where}: 'known' is a note naming the divergence class")
    return Operation(op, str(entity) if entity else None, args, label, known)


def _seed(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise ScenarioError(f"{where}: 'seed' must be a list of SQL statements")
    return tuple(raw)


def load_scenarios(path: Path) -> ScenarioFile:
    data = read_data(path, "scenario", ScenarioError, "YAML")
    if not isinstance(data, Mapping) or not isinstance(data.get("scenarios"), list):
        raise ScenarioError(f"{path}: expected a mapping with a 'scenarios' list")
    scenarios = []
    for i, raw in enumerate(data["scenarios"]):
        if not isinstance(raw, Mapping):
            raise ScenarioError(
                f"{path.name}: scenario {i + 1} must be a mapping with 'name' and 'operations'"
            )
        name = str(raw.get("name") or f"scenario {i + 1}")
        where = f"{path.name}: {name}"
        operations = raw.get("operations")
        if not isinstance(operations, list) or not operations:
            raise ScenarioError(f"{where}: needs a non-empty 'operations' list")
        repeat = raw.get("repeat", 1)
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
            raise ScenarioError(f"{where}: 'repeat' must be a whole number of at least 1")
        ops = tuple(_operation(o, f"{where} op {j + 1}") for j, o in enumerate(operations))
        scenarios.append(Scenario(name, _seed(raw.get("seed"), where), ops * repeat))
    models = data.get("models")
    volatile = data.get("volatile") or []
    if not isinstance(volatile, list):
        raise ScenarioError(f"{path}: 'volatile' must be a list of attribute/column names")
    return ScenarioFile(
        path,
        str(models) if models else None,
        _seed(data.get("seed"), path.name),
        tuple(scenarios),
        tuple(str(v) for v in volatile),
    )


_SIMPLE = {
    "Equal": ops.Equal,
    "LessThan": ops.LessThan,
    "LessThanOrEqual": ops.LessThanOrEqual,
    "MoreThan": ops.MoreThan,
    "MoreThanOrEqual": ops.MoreThanOrEqual,
    "Like": ops.Like,
    "ILike": ops.ILike,
    "In": ops.In,
    "Any": ops.Any_,
    "ArrayContains": ops.ArrayContains,
    "ArrayContainedBy": ops.ArrayContainedBy,
    "ArrayOverlap": ops.ArrayOverlap,
    "JsonContains": ops.JsonContains,
}


def _operator(spec: Mapping[str, Any]) -> ops.FindOperator:
    name = str(spec["$op"])
    value: Any = decode_args(spec.get("value"))
    if name in _SIMPLE:
        return _SIMPLE[name](value)
    if name == "Not":
        return ops.Not(value)
    if name == "Between":
        return ops.Between(value[0], value[1])
    if name == "IsNull":
        return ops.IsNull()
    if name == "Raw":
        return ops.Raw(str(spec["sql"]), dict(spec.get("params") or {}))
    if name == "And":
        return ops.And(*value)
    if name == "Or":
        return ops.Or(*value)
    raise ScenarioError(f"unknown operator {name!r}")


def _special(value: Mapping[str, Any]) -> Any:
    if len(value) != 1:
        return value
    if isinstance(value.get("$date"), str):
        return datetime.datetime.fromisoformat(str(value["$date"]).replace("Z", "+00:00"))
    if isinstance(value.get("$bytes"), str):
        return bytes.fromhex(str(value["$bytes"]))
    if value.get("$undefined") is True:
        return UNDEFINED
    return value


class _Undefined:
    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Any = _Undefined()


def decode_args(value: Any) -> Any:
    """JSON arguments with ``{$op: ...}`` turned into `ormshift.orm` operators, ``$date``
    into ``datetime``, ``$bytes`` into ``bytes``; a key set to ``$undefined`` is left out
    (in a list, ``None``)."""
    if isinstance(value, list):
        return [None if v is UNDEFINED else v for v in (decode_args(v) for v in value)]
    if isinstance(value, Mapping):
        if isinstance(value.get("$op"), str):
            return _operator(value)
        made = _special(value)
        if made is not value:
            return made
        decoded = {k: decode_args(v) for k, v in value.items()}
        return {k: v for k, v in decoded.items() if v is not UNDEFINED}
    return value
