"""One operation's outcome on both sides, compared: results whole, errors by kind.

Nothing either side returns is dropped, except the join columns TypeORM keeps behind
their relation (``authorId`` of a ``Post`` whose ``author`` TypeORM exposes instead),
which ormshift's models name as attributes: the sidecar says which those are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ormshift.compare.candidate import Hidden, failed_step, plain_result
from ormshift.compare.errors import error_kind, error_kind_typeorm
from ormshift.compare.normalize import canonical, normalize_value
from ormshift.compare.scenario import Operation

__all__ = ["Outcome", "diff_outcomes", "hidden_columns", "shape_typeorm"]

_INSERTS = frozenset({"insert", "upsert"})
_AFFECTS = frozenset({"update", "delete", "softDelete", "restore", "increment", "decrement"})
_COUNTED = frozenset({"findAndCount", "findAndCountBy"})


@dataclass(frozen=True)
class Outcome:
    """What one side did: a plain (normalised) result, or an error kind and its text."""

    result: Any = None
    error: str | None = None
    detail: Any = None
    #: a failed transaction's step where the error was raised (its index in each
    #: enclosing transaction, outermost first); None: not in a step (the commit's own, or
    #: no transaction). Compared with the kind: the same error one step earlier is a
    #: step the other side let through.
    step: list[int] | None = None


def hidden_columns(described: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """table -> join columns that no TypeORM entity of that table has as a property."""
    hidden: dict[str, set[str]] = {}
    props: dict[str, set[str]] = {}
    for ent in described.values():
        hidden.setdefault(ent["table"], set()).update(ent["joinColumns"])
        props.setdefault(ent["table"], set()).update(ent["properties"])
    return {t: frozenset(cols - props[t]) for t, cols in hidden.items()}


def shape_typeorm(raw: Mapping[str, Any] | Any, result: Any) -> Any:
    """TypeORM's result as ormshift shapes it: ``{identifiers}``, ``{affected}``, steps."""
    op = str(raw["op"])
    if op in _INSERTS and isinstance(result, Mapping):
        return {"identifiers": result.get("identifiers")}
    if op in _AFFECTS and isinstance(result, Mapping):
        return {"affected": result.get("affected")}
    if op == "transaction" and isinstance(result, list):
        out = []
        for step, item in zip(raw["args"][0], result, strict=False):
            if isinstance(item, Mapping) and set(item) == {"$error"}:
                out.append({"$error": error_kind_typeorm(item["$error"])})
            else:
                out.append(shape_typeorm(step, item))
        return out
    return result


def typeorm_outcome(
    op: Operation, ok: bool, result: Any, error: Any, volatile: frozenset[str]
) -> Outcome:
    if not ok:
        step = error.get("step") if isinstance(error, Mapping) else None
        return Outcome(
            error=error_kind_typeorm(error or {}),
            detail=error,
            step=list(step) if isinstance(step, list) else None,
        )
    shaped = shape_typeorm(op.message(), result)
    return Outcome(result=_normalized(op, shaped, volatile))


def ormshift_outcome(
    op: Operation,
    result: Any,
    exc: BaseException | None,
    hidden: Hidden,
    volatile: frozenset[str],
) -> Outcome:
    if exc is not None:
        return Outcome(
            error=error_kind(exc), detail=f"{type(exc).__name__}: {exc}", step=failed_step(exc)
        )
    plain = plain_result(result, hidden, error_kind)
    return Outcome(result=_normalized(op, plain, volatile))


def _normalized(op: Operation, value: Any, volatile: frozenset[str]) -> Any:
    """``value`` normalised, in its order where the operation orders: the entities of
    a ``findAndCount`` (its ``[entities, count]``) and the collections it orders."""
    if not op.ordered:
        return normalize_value(value, volatile, ordered=False)
    keep = op.order_tree
    if op.op in _COUNTED and isinstance(value, list) and len(value) == 2:
        rows, count = value
        return [normalize_value(rows, volatile, keep=keep), normalize_value(count, volatile)]
    return normalize_value(value, volatile, keep=keep)


def diff_outcomes(a: Outcome, b: Outcome) -> tuple[str, Any, Any] | None:
    """``(kind, typeorm, ormshift)`` when the outcomes differ, else None."""
    if a.error is not None or b.error is not None:
        if a.error == b.error and a.step == b.step:
            return None
        return ("error", _side(a), _side(b))
    if canonical(a.result) != canonical(b.result):
        return ("result", a.result, b.result)
    return None


def _side(o: Outcome) -> dict[str, Any]:
    """One side of an error divergence: its kind, text and failed step, or its result."""
    if o.error is None:
        return {"result": o.result}
    side: dict[str, Any] = {"kind": o.error, "error": o.detail}
    if o.step is not None:
        side["step"] = o.step
    return side


def differences(a: Any, b: Any, path: str = "", limit: int = 8) -> list[str]:
    """Where two normalised values differ: ``path: only TypeORM has key 'x'`` and the like."""
    out: list[str] = []
    _walk(a, b, path, out, limit)
    return out


def _walk(a: Any, b: Any, path: str, out: list[str], limit: int) -> None:
    if len(out) >= limit or canonical(a) == canonical(b):
        return
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for k in a:
            if k not in b:
                out.append(f"{path or '.'}: only TypeORM has {k!r}")
        for k in b:
            if k not in a:
                out.append(f"{path or '.'}: only ormshift has {k!r}")
        for k in a:
            if k in b:
                _walk(a[k], b[k], f"{path}.{k}", out, limit)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path or '.'}: {len(a)} item(s) in TypeORM, {len(b)} in ormshift")
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(x, y, f"{path}[{i}]", out, limit)
        return
    out.append(f"{path or '.'}: TypeORM {canonical(a)[:80]}, ormshift {canonical(b)[:80]}")
