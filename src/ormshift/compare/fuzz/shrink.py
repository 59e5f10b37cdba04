"""A divergence shrunk to a minimal sequence: delta debugging over the operations
(Zeller's ddmin), then over each operation's option subtrees (a key of a mapping left
out, a list cut to one item), keeping every cut after which the same class still shows."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["shrink"]

Ops = list[dict[str, Any]]


def _ddmin(ops: Ops, test: Callable[[Ops], bool], budget: list[int]) -> Ops:
    n = 2
    while len(ops) >= 2 and budget[0] > 0:
        size = max(1, len(ops) // n)
        chunks = [ops[i : i + size] for i in range(0, len(ops), size)]
        reduced = False
        for i in range(len(chunks)):
            complement = [op for j, c in enumerate(chunks) if j != i for op in c]
            if complement and budget[0] > 0 and test(complement):
                ops, n, reduced = complement, max(n - 1, 2), True
                break
        if not reduced:
            if n >= len(ops):
                break
            n = min(len(ops), n * 2)
    return ops


_KEEP = frozenset({"op", "entity", "$op", "args", "catch"})


def _cuts(value: Any, *, positional: bool = False) -> Iterator[Any]:
    """Smaller variants of ``value``, one cut each, biggest cuts first. An operation keeps
    its name, entity and argument positions; an operator keeps its ``value``."""
    if isinstance(value, dict):
        keep = _KEEP | ({"value"} if "$op" in value else set())
        for k in list(value):
            if k not in keep:
                yield {kk: vv for kk, vv in value.items() if kk != k}
        for k, v in value.items():
            if k in ("op", "entity", "$op"):
                continue
            for smaller in _cuts(v, positional=k == "args"):
                yield {**value, k: smaller}
    elif isinstance(value, list):
        if len(value) > 1 and not positional:
            for i in range(len(value)):
                yield value[:i] + value[i + 1 :]
        for i, v in enumerate(value):
            for smaller in _cuts(v):
                yield [*value[:i], smaller, *value[i + 1 :]]


def _subtrees(ops: Ops, test: Callable[[Ops], bool], budget: list[int]) -> Ops:
    changed = True
    while changed and budget[0] > 0:
        changed = False
        for i in reversed(range(len(ops))):
            for smaller in _cuts(ops[i]):
                if budget[0] <= 0:
                    return ops
                candidate = [*ops[:i], smaller, *ops[i + 1 :]]
                if test(candidate):
                    ops, changed = candidate, True
                    break
    return ops


def shrink(ops: Ops, reproduces: Callable[[Ops], bool], *, max_runs: int = 200) -> Ops:
    """The smallest sequence found (within ``max_runs`` runs) that still ``reproduces``."""
    budget = [max_runs]

    def test(candidate: Ops) -> bool:
        budget[0] -= 1
        try:
            return reproduces(copy.deepcopy(candidate))
        except Exception:
            return False

    # most divergences need only the operation that shows them: try that first
    alone = len(ops) > 1 and test(ops[-1:])
    ops = ops[-1:] if alone else _ddmin(list(ops), test, budget)
    return _subtrees(ops, test, budget)
