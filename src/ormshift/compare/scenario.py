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
``params``); a ``transaction`` operation takes a list of operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ormshift.errors import OrmshiftError
from ormshift.files import read_text, yaml_problem
from ormshift.orm import operators as ops

__all__ = ["Operation", "Scenario", "ScenarioFile", "decode_args", "load_scenarios"]


class ScenarioError(OrmshiftError):
    """A scenario file that cannot be read or is malformed."""


@dataclass(frozen=True)
class Operation:
    op: str
    entity: str | None
    args: list[Any]
    label: str

    @property
    def ordered(self) -> bool:
        """Whether result order is part of the result: only when the query orders."""
        first = self.args[0] if self.args else None
        return isinstance(first, Mapping) and bool(first.get("order"))

    @property
    def writes(self) -> bool:
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


def _operation(raw: Any, where: str) -> Operation:
    if not isinstance(raw, Mapping) or "op" not in raw:
        raise ScenarioError(f"{where}: an operation needs 'op' (and usually 'entity', 'args')")
    op = str(raw["op"])
    if op not in OPERATIONS:
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
        for i, step in enumerate(steps):
            _operation(step, f"{where} step {i + 1}")
    elif op != "query" and not raw.get("entity"):
        raise ScenarioError(f"{where}: operation {op!r} needs 'entity'")
    entity = raw.get("entity")
    label = str(raw.get("label") or f"{op} {entity or ''}".strip())
    return Operation(op, str(entity) if entity else None, args, label)


def _seed(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise ScenarioError(f"{where}: 'seed' must be a list of SQL statements")
    return tuple(raw)


def load_scenarios(path: Path) -> ScenarioFile:
    text = read_text(path, "scenario", ScenarioError)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path} is not valid YAML: {yaml_problem(exc)}") from exc
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
    value: Any = spec.get("value")
    if name in _SIMPLE:
        return _SIMPLE[name](value)
    if name == "Not":
        return ops.Not(decode_args(value))
    if name == "Between":
        return ops.Between(value[0], value[1])
    if name == "IsNull":
        return ops.IsNull()
    if name == "Raw":
        return ops.Raw(str(spec["sql"]), dict(spec.get("params") or {}))
    if name == "And":
        return ops.And(*(decode_args(v) for v in value))
    if name == "Or":
        return ops.Or(*(decode_args(v) for v in value))
    raise ScenarioError(f"unknown operator {name!r}")


def decode_args(value: Any) -> Any:
    """JSON arguments with ``{$op: ...}`` turned into `ormshift.orm` operators."""
    if isinstance(value, list):
        return [decode_args(v) for v in value]
    if isinstance(value, Mapping):
        if isinstance(value.get("$op"), str):
            return _operator(value)
        return {k: decode_args(v) for k, v in value.items()}
    return value
