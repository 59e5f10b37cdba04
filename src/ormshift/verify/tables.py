"""One table, verified: by segment checksums and a merge of the differing segments' row
hashes (two PostgreSQL sides), by bisection of segment checksums (another source), by a
sample, by an ordered hash (no key), or row by row (a MySQL/MariaDB or SQLite source with
values that SQL cannot render alike on both sides)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeAlias

import psycopg
import pymysql

from ormshift.dsn import redact
from ormshift.verify.bisect import Bisection
from ormshift.verify.checksum import INTEGERS, NOT_PORTABLE
from ormshift.verify.dbapi import DbApiTable, DbKey, DbTableSpec, Dialect
from ormshift.verify.locate import Locate
from ormshift.verify.model import Difference, Options, TableResult, VerifyError
from ormshift.verify.pgside import PgTable, SideTable
from ormshift.verify.plan import TablePair
from ormshift.verify.report import Event, VerifyReport
from ormshift.verify.rowdiff import diff_streams
from ormshift.verify.sample import sample_table
from ormshift.verify.streams import diff_keyed_streams

DB_ERRORS = (psycopg.Error, pymysql.Error, sqlite3.Error)
#: a DB-API connection of a MySQL/MariaDB or SQLite source
ForeignConnection: TypeAlias = Any


def one_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return redact(lines[0] if lines else exc.__class__.__name__)


@dataclass
class TableVerifier:
    """Verifies one table after another on the two connections of a run."""

    executor: Executor
    source: psycopg.Connection | ForeignConnection
    target: psycopg.Connection
    schema: str
    target_schema: str
    options: Options
    report: VerifyReport
    on_event: Callable[[Event], None]
    dialect: Dialect | None = None  # None: the source is PostgreSQL

    def emitter(self, result: TableResult) -> Callable[[Difference], bool]:
        last_changed: list[object] = [None]

        def emit(d: Difference) -> bool:
            if d.kind == "missing":
                result.missing += 1
            elif d.kind == "extra":
                result.extra += 1
            elif d.key != last_changed[0]:
                result.changed_rows += 1
                last_changed[0] = d.key
            self.report.differences += 1
            self.on_event(d)
            limit = self.options.max_diffs
            if limit is not None and self.report.differences >= limit:
                self.report.stopped = True
                return False
            return True

        return emit

    def sides(self, pair: TablePair) -> tuple[PgTable | DbApiTable, PgTable]:
        portable = self.dialect is not None
        tgt = PgTable(
            self.target,
            SideTable(
                self.target_schema,
                pair.target.name,
                pair.target_key,
                pair.target_columns,
                portable=portable,
            ),
        )
        if self.dialect is None:
            spec = SideTable(self.schema, pair.source.name, pair.source_key, pair.source_columns)
            return PgTable(self.source, spec), tgt
        integer = tuple(pair.source.column(c).type in INTEGERS for c in pair.source_key.columns)
        key = DbKey(pair.source_key.columns, integer, self.dialect)
        spec_ = DbTableSpec(pair.source.name, key, pair.source_columns)
        return DbApiTable(self.source, spec_), tgt

    def table(self, pair: TablePair, result: TableResult) -> None:
        src, tgt = self.sides(pair)
        emit = self.emitter(result)
        names = [v.name for v in pair.source_columns]
        if isinstance(src, DbApiTable):
            self.table_from_dbapi(pair, src, tgt, result, emit)
        elif self.options.sample is not None and pair.keyed:
            sample_table(src, tgt, self.executor, self.options.sample, result, emit, names)
        elif pair.keyed:
            self.bisect(pair, src, tgt, result, emit)
        else:
            a = self.executor.submit(src.checksums, None, None, [])
            b = self.executor.submit(tgt.checksums, None, None, [])
            (sc, ssum), (tc, tsum) = a.result()[0], b.result()[0]
            result.source_rows, result.target_rows = sc, tc
            result.segments = 1
            if (sc, ssum) != (tc, tsum):
                for d in diff_streams(
                    result.table, names, src.stream_ordered(), tgt.stream_ordered()
                ):
                    if not emit(d):
                        break
        differs = result.missing or result.extra or result.changed_rows
        if differs or result.source_rows != result.target_rows:
            result.status = "differs"

    def bisect(
        self,
        pair: TablePair,
        src: PgTable | DbApiTable,
        tgt: PgTable,
        result: TableResult,
        emit: Callable[[Difference], bool],
    ) -> None:
        if isinstance(src, PgTable) and src.sorts_as_python and tgt.sorts_as_python:
            Locate(
                src,
                tgt,
                executor=self.executor,
                result=result,
                key_names=pair.source_key.columns,
                column_names=[v.name for v in pair.source_columns],
                emit=emit,
            ).run()
            return
        Bisection(
            src,
            tgt,
            executor=self.executor,
            options=self.options,
            result=result,
            key_names=pair.source_key.columns,
            column_names=[v.name for v in pair.source_columns],
            emit=emit,
        ).run(src.first_split(self.options.factor))

    def table_from_dbapi(
        self,
        pair: TablePair,
        src: DbApiTable,
        tgt: PgTable,
        result: TableResult,
        emit: Callable[[Difference], bool],
    ) -> None:
        if not pair.keyed:
            raise VerifyError(
                f"table {pair.name} has no primary key; a {src.d.name} table without one "
                "cannot be verified yet"
            )
        if self.options.sample is not None:
            result.warnings.append("--sample is for PostgreSQL sources: verified in full")
        loose = [v.name for v in pair.source_columns if v.kind in NOT_PORTABLE]
        if not loose:
            self.bisect(pair, src, tgt, result, emit)
            return
        result.warnings.append(
            f"table {pair.name}: column(s) {', '.join(loose)} (JSON, float or simple-array) "
            "have no common SQL text on both sides; compared row by row in key order"
        )
        counts = [0, 0]

        def counted(side: int, rows: Iterator[Any]) -> Iterator[Any]:
            for row in rows:
                counts[side] += 1
                yield row

        integer = src.table.key.integer
        for d in diff_keyed_streams(
            result.table,
            pair.source_key.columns,
            integer,
            pair.source_columns,
            counted(0, src.stream_keyed()),
            counted(1, tgt.stream_keyed()),
        ):
            if not emit(d):
                break
        result.source_rows, result.target_rows = counts
        result.segments = 1

    def savepoints(self) -> AbstractContextManager[Any]:
        if self.dialect is None:
            return self.source.transaction()
        return nullcontext()

    def run_table(self, name: str, pair: TablePair | None, result: TableResult) -> None:
        started = time.perf_counter()
        try:
            if pair is not None:
                with self.savepoints(), self.target.transaction():
                    self.table(pair, result)
        except DB_ERRORS as exc:
            result.status = "error"
            result.error = f"table {name}: {one_line(exc)}"
        except VerifyError as exc:
            result.status, result.error = "error", str(exc)
        result.seconds = time.perf_counter() - started
