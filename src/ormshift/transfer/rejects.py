"""Rows the target refuses: a failing batch is sorted out until the bad rows are isolated.

The good rows of the batch load inside the batch's transaction, each bad row is
recorded with the database's reason, and the batch's ledger row counts them, so that
``read = written + rejected`` always holds. A refused batch is first staged on the target
and sorted out there in one round trip (`ormshift.transfer.classify`); where that cannot
run, it is bisected from here, each half in a savepoint of its own (`bisect`), which
gives the same rows and reasons with a round trip per half.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from json.encoder import encode_basestring_ascii as _string
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from ormshift.dsn import redact
from ormshift.errors import OutputError
from ormshift.transfer.copy import (
    Copied,
    Span,
    checksum_range,
    copy_out,
    format_name,
    stream_range,
)
from ormshift.transfer.copyout import copy_out as read_copy
from ormshift.transfer.errors import ROW_ERRORS, TransferError
from ormshift.transfer.keyset import (
    Key,
    keys_in_range,
    qualified,
)
from ormshift.transfer.plan import TablePlan
from ormshift.transfer.sourcerows import RawJson, rows_at

if TYPE_CHECKING:  # imported when a batch is refused: a clean run never loads them
    from ormshift.transfer.classify import Classified
    from ormshift.transfer.shape import Shape

#: Errors after which a batch is bisected instead of sorted out on the target (a row
#: error outside the per-row tries, or no right to create temporary tables there).
_NOT_CLASSIFIED: tuple[type[psycopg.Error], ...] = (
    *ROW_ERRORS,
    psycopg.errors.InsufficientPrivilege,
)


@dataclass(frozen=True)
class Reject:
    table: str
    key: dict[str, str]
    row: Any
    error: str
    #: its line, when made with the rest of its batch's (`_lines`)
    text: str | None = field(default=None, compare=False, repr=False)

    @cached_property
    def line(self) -> str:
        """The reject as one JSON line (members sorted), made once: it goes into the
        ledger and into the file."""
        if self.text is not None:
            return self.text
        if isinstance(self.row, RawJson) and all(isinstance(v, str) for v in self.key.values()):
            # the row is the JSON text the database wrote: put in as it is, and the rest
            # encoded as json.dumps would (parsing the row and writing it back cost more
            # than the rest of a reject)
            if len(self.key) == 1:
                ((k, v),) = self.key.items()
                key = f"{_string(k)}: {_string(v)}"
            else:
                key = ", ".join(
                    [f"{_string(k)}: {_string(v)}" for k, v in sorted(self.key.items())]
                )
            return (
                f'{{"error": {_string(self.error)}, "key": {{{key}}}, "row": {self.row},'
                f' "table": {_string(self.table)}}}'
            )
        return json.dumps(
            {"table": self.table, "key": self.key, "row": self.row, "error": self.error},
            sort_keys=True,
            default=str,
        )

    def to_json(self) -> str:
        return self.line


def describe(exc: psycopg.Error) -> str:
    diag = exc.diag
    return reason(diag.message_primary or str(exc).strip().splitlines()[0], diag.message_detail)


def reason(message: str, detail: str | None) -> str:
    """A reject's reason: the database's message, its detail in parentheses."""
    text = f"{message} ({detail})" if detail else message
    # what `redact` replaces needs one of these; most reasons have neither (and redact
    # costs 0.1 ms on a long row's detail)
    if "://" in text or "password" in text.lower():
        return redact(text)
    return text


@dataclass
class Loaded:
    """What one batch wrote. Rollback needs to tell the run's rows from rows the target
    already had inside the batch's range: ``preexisting`` lists those when the batch
    read them before it wrote, else ``written_keys`` lists the keys of the rows written
    when some were refused (None means every row read was written)."""

    copied: Copied
    rejects: list[Reject]
    rejected_keys: list[Key]
    written_keys: list[Key] | None = None
    preexisting: list[Key] | None = None


def bisect(
    n: int,
    first: psycopg.Error,
    target: psycopg.Connection,
    load: Callable[[int, int], Copied],
    reject: Callable[[int, psycopg.Error], None],
) -> Copied:
    """Load items ``[0, n)`` that failed as a whole with ``first``, halving on errors.

    ``load(i, j)`` writes items i..j-1 (run here in a savepoint of its own);
    ``reject(i, error)`` records item i as refused. Returns the totals of what loaded.
    """
    written = 0
    read_s = write_s = 0.0
    fmt = ""

    def split(i: int, j: int, error: psycopg.Error) -> None:
        nonlocal written, read_s, write_s, fmt
        if j - i == 1:
            reject(i, error)
            return
        mid = (i + j) // 2
        for a, b in ((i, mid), (mid, j)):
            try:
                with target.transaction():
                    c = load(a, b)
                written += c.rows
                read_s += c.read_seconds
                write_s += c.write_seconds
                fmt = c.format
            except ROW_ERRORS as exc:
                split(a, b, exc)

    if n:
        split(0, n, first)
    return Copied(written, "", read_s, write_s, fmt)


def load_batch(span: Span) -> Loaded:
    """Load ``span`` in a savepoint; on a row error, bisect down to the bad rows."""
    try:
        with span.target.transaction():
            return Loaded(stream_range(span), [], [])
    except ROW_ERRORS as exc:
        if not span.table.key:
            raise
        return settle_batch(span, exc)


def settle_batch(span: Span, first: psycopg.Error | None) -> Loaded:
    """``span`` failed as a whole with ``first`` (None: expected to fail, not tried):
    sorted out on the target where it can be (`classified_batch`), bisected otherwise."""
    loaded = classified_batch(span)
    if loaded is not None:
        return loaded
    if first is None:
        try:
            with span.target.transaction():
                return Loaded(stream_range(span), [], [])
        except ROW_ERRORS as exc:
            first = exc
    return bisect_batch(span, first)


def classified_batch(span: Span) -> Loaded | None:
    """``span`` copied again into a staging table and sorted out there; None when the
    target table's shape does not allow it or a step failed (nothing is left written)."""
    from ormshift.transfer import predict  # noqa: PLC0415
    from ormshift.transfer.classify import classify  # noqa: PLC0415
    from ormshift.transfer.shape import shape_of  # noqa: PLC0415

    source, target, table, source_schema, lo, hi = span
    shape = shape_of(target, table)
    if shape is None:
        return None
    preexisting = (  # sorted as `ownership.preexisting_keys` lists them
        sorted(keys_in_range(target, table.schema, table.target, table.target_key, lo, hi))
        if hi is not None
        else []
    )
    fresh = _fresh(table, shape, preexisting)
    try:  # the rows it will refuse set aside, the rest straight in (`predict`)
        with target.transaction():
            predicted = predict.predicted_batch(span, shape, fresh)
    except _NOT_CLASSIFIED:
        predicted = None
    if predicted is not None:
        copied = Copied(
            predicted.written,
            predicted.checksum,
            predicted.read_seconds,
            predicted.write_seconds,
            format_name(table),
        )
        return _loaded(span, predicted.refused, copied, preexisting, predicted.held)
    digest = hashlib.sha1(usedforsecurity=False)
    out_query, params = copy_out(table, source_schema, lo, hi)
    t0 = time.perf_counter()
    staged = t0

    def write(sink: psycopg.Copy) -> None:
        nonlocal staged
        with read_copy(source, out_query, params, binary=table.binary) as stream:
            for chunk in stream:
                digest.update(chunk)
                sink.write(chunk)
        staged = time.perf_counter()

    try:
        with target.transaction():
            result = classify(target, shape, table.binary, write, fresh=fresh)
    except _NOT_CLASSIFIED:
        return None
    done = time.perf_counter()
    copied = Copied(
        result.written, digest.hexdigest(), staged - t0, done - staged, format_name(table)
    )
    return _loaded(span, result.refused, copied, preexisting)


def _loaded(
    span: Span,
    refused: Sequence[tuple[int, str, str]],
    copied: Copied,
    preexisting: list[Key],
    held: Sequence[tuple[int, Key, RawJson]] | None = None,
) -> Loaded:
    """A sorted-out batch with its rejects: the refused rows taken from the source
    (``held``: rows of the batch read already, the refused ones among them)."""
    table = span.table
    positions = [i for i, _, _ in refused]
    if held is None:
        found = rows_at(span, positions)
    else:
        wanted = set(positions)
        found = [r for r in held if r[0] in wanted]
    if [p for p, _, _ in found] != positions:
        raise TransferError(
            f"table {table.name!r}: the rows the target refused in the batch after {span.lo} are "
            "not where the batch had them on the source; the batch was rolled back"
        )
    rejects = _rejects(table, found, refused)
    return Loaded(copied, rejects, [k for _, k, _ in found], preexisting=preexisting)


def _rejects(
    table: TablePlan,
    found: Sequence[tuple[int, Key, RawJson]],
    refused: Sequence[tuple[int, str, str]],
) -> list[Reject]:
    """The rejects of rows read from the source (`rows_at`) with the target's reasons,
    each line made as `Reject.line` makes it, all in one loop (a batch can have
    thousands)."""
    name = _string(table.name)
    names = table.key
    # members sorted by name, as json.dumps(sort_keys=True) has them
    order = sorted(range(len(names)), key=lambda i: names[i])
    shown = [_string(names[i]) for i in order]
    out: list[Reject] = []
    for (_, k, row), (_, message, detail) in zip(found, refused, strict=True):
        error = reason(message, detail)
        if len(k) == 1:
            key = f"{shown[0]}: {_string(k[0])}"
        else:
            key = ", ".join([f"{n}: {_string(k[i])}" for n, i in zip(shown, order, strict=True)])
        line = f'{{"error": {_string(error)}, "key": {{{key}}}, "row": {row}, "table": {name}}}'
        out.append(Reject(table.name, dict(zip(names, k, strict=True)), row, error, line))
    return out


#: key types whose values order the same on every server (no collation, no time zone)
_ORDERED_ALIKE = frozenset(
    ("smallint", "integer", "bigint", "numeric", "uuid", "date", "timestamp without time zone",
     "timestamp with time zone")
)  # fmt: skip


def _fresh(table: TablePlan, shape: Shape, preexisting: Sequence[Key]) -> bool:
    """No target row can share a key with the batch: the target has none in the batch's
    range, and the key is of the same type on both sides, one that orders alike (so a
    key in the source's range is in the target's)."""
    if preexisting or not shape.unique_key or len(table.key_types) != len(table.key):
        return False
    by_name = {c.name: c for c in shape.columns}
    return all(
        by_name[t].fmt == src and by_name[t].base in _ORDERED_ALIKE
        for src, t in zip(table.key_types, table.target_key, strict=True)
    )


def classified_rows(
    target: psycopg.Connection, table: TablePlan, rows: Sequence[Sequence[Any]]
) -> Classified | None:
    """Python rows (a MySQL batch) sorted out on the target as `classified_batch` does."""
    from ormshift.transfer.classify import classify  # noqa: PLC0415
    from ormshift.transfer.shape import shape_of  # noqa: PLC0415

    shape = shape_of(target, table)
    if shape is None:
        return None

    def write(sink: psycopg.Copy) -> None:
        for r in rows:
            sink.write_row(r)

    try:
        with target.transaction():
            return classify(target, shape, False, write)
    except _NOT_CLASSIFIED:
        return None


def bisect_batch(span: Span, first: psycopg.Error) -> Loaded:
    """``span`` failed as a whole with ``first``: load its good rows, reject the bad."""
    source, target, table, source_schema, lo, _ = span
    keys = keys_in_range(source, source_schema, table.name, table.key, lo, span.hi)
    rejects: list[Reject] = []
    bad: list[Key] = []

    def load(i: int, j: int) -> Copied:
        return stream_range(span._replace(lo=keys[i - 1] if i > 0 else lo, hi=keys[j - 1]))

    def reject(i: int, error: psycopg.Error) -> None:
        bad.append(keys[i])
        rejects.append(_reject(source, table, source_schema, keys[i], error))

    copied = bisect(len(keys), first, target, load, reject)
    checksum = checksum_range(span)
    refused = set(bad)
    return Loaded(
        Copied(
            copied.rows, checksum, copied.read_seconds, copied.write_seconds, format_name(table)
        ),
        rejects,
        bad,
        [k for k in keys if k not in refused],
    )


def _reject(
    source: psycopg.Connection, table: TablePlan, source_schema: str, key: Key, error: psycopg.Error
) -> Reject:
    cond = sql.SQL(" and ").join(
        sql.SQL("{}::text = %s").format(sql.Identifier(k)) for k in table.key
    )
    query = sql.SQL("select row_to_json(s) from (select {cols} from {t} where {cond}) s").format(
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in table.columns),
        t=qualified(source_schema, table.name),
        cond=cond,
    )
    row = source.execute(query, list(key)).fetchone()
    return Reject(
        table=table.name,
        key=dict(zip(table.key, key, strict=True)),
        row=row[0] if row else None,
        error=describe(error),
    )


class RejectFile:
    """Appends rejects as JSON lines, opened only when there is a first one; remembers
    what the file should be after its last append (`intact`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self.baseline = 0  # lines the file held when this run took it over (a resume)
        self._seen: tuple[int, int, int] | None = None
        self._foreign = path.exists()  # lines in it are not this run's until rebuilt

    def adopt(self, lines: int) -> None:
        """The file was just rebuilt with ``lines`` lines."""
        self.baseline, self.count = lines, 0
        self._seen = self._stat()
        self._foreign = False

    def write(self, rejects: Sequence[Reject]) -> None:
        if not rejects:
            return
        try:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.writelines(r.line + "\n" for r in rejects)
        except OSError as exc:
            raise OutputError(f"cannot write the reject file {self.path}: {exc.strerror}") from exc
        self.count += len(rejects)
        self._seen = self._stat()

    def intact(self, total: int) -> bool:
        """The file holds the run's ``total`` rejects as this process wrote them (same
        file, same size since its last append): no rebuild needed."""
        if self._foreign:
            return False
        if total == 0:
            return self._seen is None and not self.path.exists()
        return self.baseline + self.count == total and self._seen == self._stat()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_dev, st.st_ino, st.st_size)
