"""--workers: which tables may load side by side, and the threads that work on them.

Tables load in *levels*: a table's level is one more than the highest level of the
parents it has earlier in the plan's order, so every parent is complete (and committed)
before a child's first batch. Within a level, every table and every key-range part of a
large table is an independent unit (claimed as `ormshift.transfer.claims` says); each
unit still commits one transaction and one ledger row per batch, on a connection pair of
its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from ormshift import graph
from ormshift.transfer.plan import Plan, TablePlan

T = TypeVar("T")


def levels(plan: Plan) -> list[list[TablePlan]]:
    """The plan's tables grouped so that each group depends only on earlier groups."""
    by_name = {t.name: t for t in plan.tables}
    return [
        [by_name[name] for name in layer]
        for layer in graph.layers({t.name: t.depends_on for t in plan.tables})
    ]


def run_each(items: Sequence[T], work: Callable[[T], None], stop: threading.Event) -> None:
    """Run ``work(item)`` for every item at once, one thread each.

    The first failure sets ``stop`` (the others check it between batches) and is raised
    once every thread has come back.
    """

    def one(item: T) -> None:
        try:
            work(item)
        except BaseException:
            stop.set()
            raise

    with ThreadPoolExecutor(max_workers=len(items), thread_name_prefix="ormshift") as ex:
        futures = [ex.submit(one, item) for item in items]
    errors = [e for f in futures if (e := f.exception()) is not None]
    if errors:
        raise errors[0]
