"""--workers: which tables may load side by side, and a pool that runs units of work.

Tables load in *levels*: a table's level is one more than the highest level of the
parents it has earlier in the plan's order, so every parent is complete (and committed)
before a child's first batch. Within a level, every table and every key-range part of a
large table is an independent unit; each unit still commits one transaction and one
ledger row per batch, on a connection pair of its own.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from ormshift import graph
from ormshift.transfer.plan import Plan, TablePlan

T = TypeVar("T")
U = TypeVar("U")


def levels(plan: Plan) -> list[list[TablePlan]]:
    """The plan's tables grouped so that each group depends only on earlier groups."""
    by_name = {t.name: t for t in plan.tables}
    return [
        [by_name[name] for name in layer]
        for layer in graph.layers({t.name: t.depends_on for t in plan.tables})
    ]


class Pool(Generic[T]):
    """Connections (or anything) handed to one unit of work at a time."""

    def __init__(self, items: Sequence[T]) -> None:
        self.items = list(items)
        self._free: queue.SimpleQueue[T] = queue.SimpleQueue()
        for item in items:
            self._free.put(item)

    def run(self, units: Sequence[U], work: Callable[[T, U], None], stop: threading.Event) -> None:
        """Run ``work(item, unit)`` for every unit, as many at once as there are items.

        The first failure sets ``stop`` (units check it between batches) and is raised
        once every running unit has come back.
        """

        def one(unit: U) -> None:
            if stop.is_set():
                return
            item = self._free.get()
            try:
                work(item, unit)
            except BaseException:
                stop.set()
                raise
            finally:
                self._free.put(item)

        with ThreadPoolExecutor(max_workers=len(self.items), thread_name_prefix="ormshift") as ex:
            futures = [ex.submit(one, u) for u in units]
        errors = [e for f in futures if (e := f.exception()) is not None]
        if errors:
            raise errors[0]
