"""A divergence that is only the order of rows a query without an order returned.

PostgreSQL gives the rows of a query without ``ORDER BY`` in whatever order its plan
makes (a query builder's select chain without ``orderBy`` too), and the two sides'
queries differ in shape: TypeORM's find filters through a
relation with LEFT JOINs and collapses the joined rows, ormshift's with an ``EXISTS``
(docs/orm.md, "Intentional differences"). The same rows come back, as results compared
without order show, but listeners that write (an ``afterLoad`` subscriber logging each
entity) see them in another order, and so do the keys of what they wrote.

Told apart by experiment, not by guess: the sequence up to the divergent step is run
again with each find that has no order given its entity's primary key as order (a
select chain an ``addOrderBy`` of it before its terminal). When
both sides then agree at every step, the sequence's divergences were the unordered
queries' row order only; when anything still differs, they all count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ormshift.compare.fuzz.execute import Divergence, Executor
from ormshift.compare.fuzz.generate import merge, nest
from ormshift.compare.fuzz.schema import FuzzSchema

__all__ = ["UNORDERED", "order_note", "ordered_loads"]

#: where the documentation explains it
UNORDERED = 'docs/orm.md, "Intentional differences": the order of rows of a find without an order'

#: operations whose first argument is find options with an ``order``
_LOADS = ("find", "findAndCount", "findOne")

#: a query-builder chain's terminals that load rows (and so tell ``afterLoad``)
_QB_LOADS = frozenset(
    {"getMany", "getOne", "getOneOrFail", "getManyAndCount", "getRawMany", "getRawOne",
     "getRawAndEntities"}
)  # fmt: skip

#: chain calls that order (or say the order in find options)
_QB_ORDERS = frozenset({"orderBy", "addOrderBy"})


def primary_orders(schema: FuzzSchema) -> dict[str, dict[str, Any]]:
    """Each entity's ``order`` option by its primary key, ascending."""
    out: dict[str, dict[str, Any]] = {}
    for name, ent in schema.entities.items():
        order: dict[str, Any] = {}
        for prop in ent.primary:
            order = merge(order, nest(prop.path, "ASC"))
        if order:
            out[name] = order
    return out


def ordered_loads(
    ops: Sequence[Mapping[str, Any]], orders: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]] | None:
    """``ops`` with every find that has no order (in transactions too) ordered by its
    entity's primary key; None when no find changed."""
    changed = False

    def visit(op: Mapping[str, Any]) -> dict[str, Any]:
        nonlocal changed
        args = list(op.get("args") or [])
        if op.get("op") == "transaction" and args and isinstance(args[0], list):
            return {**op, "args": [[visit(o) for o in args[0]], *args[1:]]}
        order = orders.get(str(op.get("entity")))
        if op.get("op") == "qb" and order is not None:
            made = _ordered_chain(op, order)
            if made is not None:
                changed = True
                return made
            return dict(op)
        if op.get("op") not in _LOADS or order is None:
            return dict(op)
        opts = dict(args[0]) if args and isinstance(args[0], Mapping) else {}
        if opts.get("order"):
            return dict(op)
        opts["order"] = dict(order)
        changed = True
        return {**op, "args": [opts, *args[1:]]}

    out = [visit(o) for o in ops]
    return out if changed else None


def _ordered_chain(op: Mapping[str, Any], order: Mapping[str, Any]) -> dict[str, Any] | None:
    """A select chain on ``op``'s entity that loads rows without an order, ordered by
    the entity's primary key (in its ``setFindOptions``, else an ``addOrderBy`` before
    its terminal); None otherwise."""
    chain = op.get("chain")
    alias = op.get("alias")
    if not isinstance(chain, list) or not chain or not isinstance(alias, str):
        return None
    calls = [c for c in chain if isinstance(c, list) and c]
    last = calls[-1][0] if calls else None
    if last not in _QB_LOADS or len(calls) != len(chain):
        return None
    for call in calls:
        if call[0] in _QB_ORDERS:
            return None
        if call[0] == "setFindOptions" and any(
            isinstance(a, Mapping) and a.get("order") for a in call[1:]
        ):
            return None
    found = [i for i, call in enumerate(calls) if call[0] == "setFindOptions"]
    if found:
        # a call after set_find_options is refused on such a builder: the order goes
        # into its find options, as TypeORM's order there
        at = found[-1]
        options = calls[at][1] if len(calls[at]) > 1 and isinstance(calls[at][1], Mapping) else {}
        made = [*calls[at][:1], {**options, "order": dict(order)}, *calls[at][2:]]
        return {**op, "chain": [*chain[:at], made, *chain[at + 1 :]]}
    added = [["addOrderBy", f"{alias}.{path}", "ASC"] for path in _paths(order)]
    return {**op, "chain": [*chain[:-1], *added, chain[-1]]}


def _paths(order: Mapping[str, Any], prefix: str = "") -> list[str]:
    """The property paths of a nested ``order`` mapping."""
    out: list[str] = []
    for key, value in order.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        out += _paths(value, path) if isinstance(value, Mapping) else [path]
    return out


def order_note(
    executor: Executor,
    ops: Sequence[Mapping[str, Any]],
    found: Sequence[Divergence],
    orders: Mapping[str, Mapping[str, Any]],
) -> bool:
    """Whether the divergences ``found`` in ``ops`` are the unordered finds' row order
    only: the operations up to the last divergent step, their finds ordered
    (`ordered_loads`), run on both sides without a divergence. The experiment's
    operations are not counted as fuzzed ones."""
    last = max((d.index for d in found), default=-1)
    again = ordered_loads(ops[: last + 1], orders)
    if again is None:
        return False
    ops_run, seconds = executor.ops_run, executor.seconds
    try:
        return not executor.run(again)
    finally:
        executor.ops_run, executor.seconds = ops_run, seconds
