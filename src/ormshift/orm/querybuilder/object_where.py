"""``where({...})`` / ``where([{...}, {...}])``: find-style conditions on a builder, as
TypeORM's ``QueryBuilder.getWhereCondition`` makes them.

Each mapping is the AND of its predicates, a list of mappings the OR of them. A key is
a column (in an embedded object: a nested mapping), a to-one relation given by its
referenced keys (``{author: {id: 2}}``: the foreign key), or a relation whose alias the
builder joined (``{author: {lastName: "x"}}`` needs ``left_join("post.author", ...)``;
without one it is TypeORM's ``Cannot find alias for relation at author``). A value is
compared with ``=`` as a parameter, or is a find operator (``MoreThan``, ``In``,
``Not``, ``Raw``, ``And``...) written as TypeORM writes it; every value is bound.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ormshift.orm.errors import UnknownProperty, UnsupportedFindOptions
from ormshift.orm.metadata import EntityInfo
from ormshift.orm.operators import FindOperator
from ormshift.orm.querybuilder.errors import QueryBuilderError
from ormshift.orm.querybuilder.names import property_path, replacements
from ormshift.orm.querybuilder.state import ExpressionMap, Where

__all__ = ["object_condition"]

_BINARY = {
    "lessThan": "<",
    "lessThanOrEqual": "<=",
    "moreThan": ">",
    "moreThanOrEqual": ">=",
    "notEqual": "!=",
    "equal": "=",
    "like": "LIKE",
    "ilike": "ILIKE",
    "arrayContains": "@>",
    "arrayContainedBy": "<@",
    "arrayOverlap": "&&",
}

Parameter = Callable[[Any], str]


def _paths(info: EntityInfo, where: Mapping[str, Any], prefix: str = "") -> list[str]:
    """``createPropertyPath``: the property paths a mapping's values stand at."""
    out: list[str] = []
    paths = [property_path(info, k) for k in info.columns]
    embedded = {p.rsplit(".", 1)[0] for p in paths if "." in p}
    for key, value in where.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if value is None or not isinstance(value, Mapping) or isinstance(value, FindOperator):
            out.append(path)
            continue
        if any(e == path or e.startswith(path + ".") for e in embedded):
            out += _paths(info, value, path)
            continue
        if not prefix and info.attribute(path) in info.relations:
            target = info.target(info.attribute(path))
            pairs = replacements(info.cls)
            refs = [k for k in pairs if k.startswith(path + ".")]
            many = info.is_many(info.attribute(path))
            if refs and all(r.split(".", 1)[1] in value for r in refs) and not many:
                out.append(path)
                continue
            keys = [property_path(target, k) for k in target.primary]
            if keys and all(value.get(k) is not None for k in keys):
                out += [f"{path}.{k}" for k in keys]
                continue
            out += [f"{path}.{p}" for p in _paths(target, value)]
            continue
        out.append(path)
    return out


def _dig(where: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(where, Mapping) or part not in where:
            return None
        where = where[part]
    return where


def _predicates(em: ExpressionMap, where: Mapping[str, Any]) -> list[tuple[str, Any]]:
    main = em.main
    assert main is not None and main.info is not None
    out = []
    for path in _paths(main.info, where):
        alias, info = main, main.info
        root: list[str] = []
        parts = path.split(".")
        while len(parts) > 1 and info.attribute(parts[0]) in info.relations:
            key = info.attribute(parts[0])
            join = next((j for j in em.joins if j.relation == key), None)
            if join is None or join.alias.info is None:
                if ".".join(parts) in replacements(info.cls):
                    break  # a to-one relation by its referenced key
                full = ".".join([*root, parts[0]])
                raise UnsupportedFindOptions(f"Cannot find alias for relation at {full}")
            alias, info = join.alias, join.alias.info
            root.append(parts.pop(0))
        rest = ".".join(parts)
        table = replacements(info.cls)
        if rest not in table:
            raise UnknownProperty(
                f'Property "{path}" was not found in "{info.name}". '
                "Make sure your query is correct."
            )
        if info.attribute(rest) in info.relations:
            # a to-one relation by its referenced key: that key's value
            ref = next(k for k in table if k.startswith(rest + ".")).split(".", 1)[1]
            value = _dig(where, [*root, rest, ref])
        else:
            value = _dig(where, [*root, *parts])
        out.append((f"{alias.name}.{rest}", value))
    return out


def _predicate(path: str, value: Any, parameter: Parameter, params: dict[str, Any]) -> str:
    """``getWherePredicateCondition`` and its ``createWhereConditionExpression``."""
    if not isinstance(value, FindOperator):
        return f"{path} = {parameter(value)}"
    kind = value.kind
    if kind == "raw":
        params.update(value.params)
        sql = value.sql
        if callable(sql):
            return sql(path)
        if sql is None:
            raise QueryBuilderError("Raw needs its SQL")
        return sql.replace("{alias}", path)
    if kind == "not":
        if isinstance(value.value, FindOperator):
            return f"NOT({_predicate(path, value.value, parameter, params)})"
        return f"{path} != {parameter(value.value)}"
    if kind in ("and", "or"):
        joined = f" {kind.upper()} ".join(
            _predicate(path, v, parameter, params) for v in value.value
        )
        return f"({joined})"
    if kind == "isNull":
        return f"{path} IS NULL"
    if kind == "in":
        items = list(value.value)
        if not items:
            return "0=1"
        return f"{path} IN ({', '.join(parameter(v) for v in items)})"
    if kind == "between":
        low, high = value.value
        return f"{path} BETWEEN {parameter(low)} AND {parameter(high)}"
    if kind == "any":
        # the array as given; anything else (a transformer's text) is sent as it is, for
        # the database to read as the array it is not (22P02), as TypeORM sends it
        given = value.value
        return f"{path} = ANY({parameter(list(given) if isinstance(given, tuple) else given)})"
    if kind == "jsonContains":
        item = value.value
        text = json.dumps(item) if isinstance(item, dict | list) else item
        return f"{path} ::jsonb @> {parameter(text)}"
    if kind in _BINARY:
        return f"{path} {_BINARY[kind]} {parameter(value.value)}"
    raise QueryBuilderError(f"Unsupported FindOperator {kind}")


def object_condition(
    em: ExpressionMap, where: Any, parameter: Parameter, params: dict[str, Any]
) -> Any:
    """The condition of a mapping or a list of mappings; ``parameter(value)`` adds a
    parameter and gives its ``:name``, ``params`` takes a ``Raw``'s own parameters."""
    main = em.main
    if main is None or main.info is None:
        raise QueryBuilderError("a where mapping needs an entity as the main alias")
    wheres = list(where) if isinstance(where, list | tuple) else [where]
    clauses = []
    for one in wheres:
        if not isinstance(one, Mapping):
            raise QueryBuilderError(f"a where list holds mappings, not {type(one).__name__}")
        conditions = [
            Where("and", _predicate(path, value, parameter, params))
            for path, value in _predicates(em, one)
        ]
        clauses.append(Where("or", ("list", conditions)))
    if len(clauses) == 1:
        return clauses[0].condition
    return ("list", clauses)
