"""Dependency order between tables — parents before the tables that reference them —
for the transfer's load order, its parallel levels and the Alembic baseline's creation
order: the standard library's `graphlib.TopologicalSorter`, ties broken by name, and one
way of naming a cycle."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from graphlib import CycleError, TopologicalSorter


class Cycle(Exception):
    """Tables that reference each other in a cycle; ``nodes`` is ``a -> b -> ... -> a``,
    each referencing the next. Callers turn it into their own error."""

    def __init__(self, nodes: Iterable[str]) -> None:
        self.nodes = tuple(nodes)
        super().__init__(describe(self.nodes))


def describe(cycle: Iterable[str]) -> str:
    """The one wording of a cycle, for every command that meets one."""
    return "tables reference each other in a cycle (" + " -> ".join(cycle) + ")"


def _sorter(deps: Mapping[str, Iterable[str]]) -> TopologicalSorter[str]:
    """References to a table outside ``deps`` and to the table itself are not edges."""
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for name in sorted(deps):
        sorter.add(name, *sorted({d for d in deps[name] if d != name and d in deps}))
    return sorter


def layers(deps: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The tables in layers, each referencing only tables of earlier layers (a layer is
    sorted by name): the first layer references nothing. Raises `Cycle`."""
    sorter = _sorter(deps)
    try:
        sorter.prepare()
    except CycleError as exc:
        # graphlib walks from a table to those that reference it: reversed, each
        # references the next
        raise Cycle(reversed(exc.args[1])) from None
    out: list[list[str]] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        out.append(ready)
        sorter.done(*ready)
    return out


def order(deps: Mapping[str, Iterable[str]]) -> list[str]:
    """Parents first, layer by layer, ties by name. Raises `Cycle`."""
    return [name for layer in layers(deps) for name in layer]


def find_cycle(deps: Mapping[str, Iterable[str]]) -> tuple[str, ...] | None:
    """One cycle among ``deps`` (``a -> b -> a``), or None when there is none."""
    try:
        _sorter(deps).prepare()
    except CycleError as exc:
        return tuple(reversed(exc.args[1]))
    return None
