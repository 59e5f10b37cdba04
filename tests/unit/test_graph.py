"""Dependency order (graphlib underneath): layers, ties by name, one cycle named the same
way everywhere, and the Alembic baseline's creation order with a cycle cut."""

from __future__ import annotations

import itertools
import random

import pytest

from ormshift import graph
from ormshift.codegen.migration import _creation_order
from ormshift.manifest import ForeignKey, Table


def test_layers_reference_only_earlier_layers() -> None:
    rng = random.Random(5)
    for _ in range(200):
        names = [f"t{i}" for i in range(rng.randint(1, 25))]
        # edges only to a smaller index: acyclic, plus self references and strangers
        deps = {
            n: {names[j] for j in range(i) if rng.random() < 0.2} | {n, "elsewhere"}
            for i, n in enumerate(names)
        }
        layers = graph.layers(deps)
        assert sorted(n for layer in layers for n in layer) == sorted(names)
        seen: set[str] = set()
        for layer in layers:
            assert layer == sorted(layer)
            for n in layer:
                assert deps[n] - {n, "elsewhere"} <= seen
            seen |= set(layer)
        # each table sits in the first layer it can: one of its parents is just before
        for depth, layer in enumerate(layers[1:], 1):
            assert all(deps[n] & set(layers[depth - 1]) for n in layer)


def test_a_cycle_is_named_in_reference_order() -> None:
    deps = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    with pytest.raises(graph.Cycle) as caught:
        graph.order(deps)
    cycle = caught.value.nodes
    assert cycle[0] == cycle[-1] and len(cycle) == 4
    for here, there in itertools.pairwise(cycle):
        assert there in deps[here]  # each references the next
    assert str(caught.value) == graph.describe(cycle)
    assert graph.find_cycle({"a": {"a"}, "b": {"a"}}) is None


def _table(name: str, *refs: str) -> Table:
    fks = tuple(ForeignKey(name=f"fk_{name}_{r}", columns=(f"{r}_id",), referenced_table=r,
                           referenced_columns=("id",)) for r in refs)  # fmt: skip
    return Table(name=name, columns=(), foreign_keys=fks)


def test_creation_order_cuts_a_cycle_and_defers_only_that_key() -> None:
    tables = [_table("a", "b"), _table("b", "c"), _table("c", "a"), _table("d", "a", "d")]
    order, deferred = _creation_order(tables)
    assert sorted(t.name for t in order) == ["a", "b", "c", "d"]
    assert len(deferred) == 1
    created: set[str] = set()
    for t in order:
        for fk in t.foreign_keys:  # what stays inline references a table made before
            assert fk.referenced_table in created | {t.name}
        created.add(t.name)
    table, fk = deferred[0]
    assert (table.name, fk.referenced_table) in {("a", "b"), ("b", "c"), ("c", "a")}
