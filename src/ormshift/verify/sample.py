"""``--sample P``: a quick statistical check of a huge table, and the confidence it gives.

Counts are exact (one count per side); then a random P % of the source's rows (Bernoulli
sampling, repeatable) are looked up by key on both sides and compared value by value. If
``d`` rows of the table differ, a sample of fraction ``p`` misses all of them with
probability ``(1 - p) ** d``; so when the sample finds nothing, fewer than
``ln(0.05) / ln(1 - p)`` rows differ, with 95 % confidence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor

from ormshift.verify.model import Difference, TableResult
from ormshift.verify.pgside import PgTable
from ormshift.verify.rowdiff import diff_rows

CHUNK = 1000


def undetected_at_95(percent: float) -> int:
    """The number of differing rows a ``percent`` sample finds with 95 % probability."""
    p = percent / 100.0
    if p >= 1.0:
        return 1
    return max(1, math.ceil(math.log(0.05) / math.log(1.0 - p)))


def confidence(percent: float, sampled: int, total: int) -> str:
    bound = undetected_at_95(percent)
    return (
        f"sampled {sampled:,} of {total:,} rows ({percent:g} %): if {bound:,} or more rows "
        f"differed, a sample this size would have found one with 95 % probability"
    )


def sample_table(
    source: PgTable,
    target: PgTable,
    executor: Executor,
    percent: float,
    result: TableResult,
    emit: Callable[[Difference], bool],
    column_names: Sequence[str],
) -> None:
    a, b = executor.submit(source.count), executor.submit(target.count)
    result.source_rows, result.target_rows = a.result(), b.result()
    sampled = 0
    keys_names = source.table.key.columns
    for keys in source.sample_keys(percent, CHUNK):
        sampled += len(keys)
        fs, ft = executor.submit(source.rows_for, keys), executor.submit(target.rows_for, keys)
        src_rows, tgt_rows = fs.result(), ft.result()
        result.downloaded_rows += len(src_rows) + len(tgt_rows)
        result.segments += 1
        for d in diff_rows(result.table, keys_names, column_names, src_rows, tgt_rows):
            if not emit(d):
                return
    result.confidence = confidence(percent, sampled, result.source_rows)
