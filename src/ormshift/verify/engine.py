"""Verify a target against its source: every table, then foreign keys and sequences.

Each side is one connection in one read-only repeatable-read transaction, so every query
of a run sees one snapshot; the two sides' queries run at the same time on two threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass

import psycopg

from ormshift.db import catalog, mysql, same_database, sqlite
from ormshift.db.backends import MYSQL, POSTGRESQL, SQLITE, Backend, Can, backend_for
from ormshift.dsn import connect, redact
from ormshift.extract.database import reflect
from ormshift.manifest import Manifest
from ormshift.mapping import Mapping
from ormshift.verify.dbapi import Dialect
from ormshift.verify.model import (
    Options,
    OrphanCheck,
    TableResult,
    VerificationFailed,
    VerifyError,
)
from ormshift.verify.mysql import MYSQL_DIALECT
from ormshift.verify.orphans import find_orphans, references
from ormshift.verify.plan import (
    TablePair,
    pair_table,
    scope_problem,
    select_tables,
    target_only,
)
from ormshift.verify.report import Event, VerifyReport
from ormshift.verify.sequences import check_sequences
from ormshift.verify.sqlite import SQLITE_DIALECT
from ormshift.verify.tables import DB_ERRORS, ForeignConnection, TableVerifier, one_line

_SESSION = (
    "set datestyle = 'ISO, YMD'",
    "set intervalstyle = 'postgres'",
    "set timezone = 'UTC'",
    "set bytea_output = 'hex'",
    "set extra_float_digits = 1",
    # compiling the hash expressions costs seconds and saves little: they call functions
    "set jit = off",
)


@contextmanager
def _open(url: str) -> Iterator[psycopg.Connection]:
    conn = connect(url)
    try:
        for statement in _SESSION:
            conn.execute(statement)
        yield conn
    finally:
        conn.close()


def _snapshot(conn: psycopg.Connection) -> None:
    conn.autocommit = False
    POSTGRESQL.snapshot(conn)


def _need_schema(conn: psycopg.Connection, schema: str, side: str) -> None:
    """`VerificationFailed` when ``schema`` is not in the database: comparing nothing
    with nothing must not pass."""
    if not catalog.schema_exists(conn, schema):
        flag = "--schema" if side == "source" else "--target-schema"
        raise VerificationFailed(f"the {side} has no schema {schema!r}; check {flag} (and the URL)")


def _need_scope(src_m: Manifest, job: _Job, schema: str | None) -> None:
    problem = scope_problem(src_m, job.tables, schema)
    if problem is not None:
        raise VerificationFailed(problem)


#: a source without schemas: its whole database reflected, and how its queries are spelled
_FOREIGN: dict[Backend, tuple[Callable[[ForeignConnection], Manifest], Dialect]] = {
    MYSQL: (mysql.reflect, MYSQL_DIALECT),
    SQLITE: (sqlite.reflect, SQLITE_DIALECT),
}


@contextmanager
def _open_foreign(
    backend: Backend, url: str
) -> Iterator[tuple[ForeignConnection, Manifest, Dialect]]:
    """A source whose database is its schema: connection, reflected schema, dialect; in
    a snapshot from here on."""
    reflect_database, dialect = _FOREIGN[backend]
    with closing(backend.connect(url)) as conn:
        manifest = reflect_database(conn)
        backend.snapshot(conn)
        yield conn, manifest, dialect


def verify(
    source_url: str,
    target_url: str,
    *,
    tables: Sequence[str] | None = None,
    mapping: Mapping | None = None,
    options: Options | None = None,
    schema: str = "public",
    target_schema: str | None = None,
    on_event: Callable[[Event], None] | None = None,
    manifest: Manifest | None = None,
) -> VerifyReport:
    """Compare every (or each named) source table with its target; report as it goes.

    ``manifest`` (of the target schema) adds foreign keys to check for orphans where
    neither database declares them. Raises `ConnectionFailed` when a side cannot be
    reached; everything a single table can get wrong is that table's ``error`` status.
    """
    mapping = mapping or Mapping()
    options = options or Options()
    tschema = target_schema or schema
    report = VerifyReport()
    emit_event = on_event or (lambda _e: None)
    job = _Job(tables, mapping, options, schema, tschema, report, emit_event, manifest)
    try:
        _verify(source_url, target_url, job)
    except DB_ERRORS as exc:
        raise VerificationFailed(f"verification stopped: {one_line(exc)}") from exc
    return report


@dataclass(frozen=True)
class _Job:
    tables: Sequence[str] | None
    mapping: Mapping
    options: Options
    schema: str
    target_schema: str
    report: VerifyReport
    emit: Callable[[Event], None]
    manifest: Manifest | None


def _verify(source_url: str, target_url: str, job: _Job) -> None:
    if not backend_for(target_url).can(Can.TARGET):
        raise VerificationFailed(
            "the target must be PostgreSQL; MySQL/MariaDB and SQLite can only be sources"
        )
    backend = backend_for(source_url)
    if not backend.can(Can.SCHEMAS):
        with (
            _open_foreign(backend, source_url) as (conn, src_m, dialect),
            _open(target_url) as target,
        ):
            _need_scope(src_m, job, None)
            _need_schema(target, job.target_schema, "target")
            tgt_m = reflect(target, job.target_schema)
            # text keys of such a source are ordered by their bytes on both sides
            collations = dialect.name, catalog.database_collation(target)
            _snapshot(target)
            with target.transaction():
                _run_all(conn, target, src_m, tgt_m, collations, job, dialect)
        return
    with _open(source_url) as source, _open(target_url) as target:
        if job.schema == job.target_schema and same_database(source, target):
            raise VerificationFailed(
                f"the source and the target are the same database ({redact(target_url)}, "
                f"schema {job.schema!r}), whatever their URLs say: comparing it with itself "
                "proves nothing; give the --target the data was copied to"
            )
        _need_schema(source, job.schema, "source")
        _need_schema(target, job.target_schema, "target")
        src_m, tgt_m = reflect(source, job.schema), reflect(target, job.target_schema)
        _need_scope(src_m, job, job.schema)
        collations = catalog.database_collation(source), catalog.database_collation(target)
        _snapshot(source)
        _snapshot(target)
        with source.transaction(), target.transaction():
            _run_all(source, target, src_m, tgt_m, collations, job)


def _run_all(
    source: psycopg.Connection | ForeignConnection,
    target: psycopg.Connection,
    src_m: Manifest,
    tgt_m: Manifest,
    collations: tuple[str, str],
    job: _Job,
    dialect: Dialect | None = None,
) -> None:
    with ThreadPoolExecutor(2, thread_name_prefix="ormshift-verify") as executor:
        run = TableVerifier(
            executor,
            source,
            target,
            job.schema,
            job.target_schema,
            job.options,
            job.report,
            job.emit,
            dialect,
        )
        done = _tables(run, src_m, tgt_m, job.tables, job.mapping, collations)
        if not job.report.stopped:
            _checks(run, src_m, tgt_m, done, job.mapping, job.manifest)


def _tables(
    run: TableVerifier,
    src_m: Manifest,
    tgt_m: Manifest,
    names: Sequence[str] | None,
    mapping: Mapping,
    collations: tuple[str, str],
) -> list[str]:
    done: list[str] = []
    for name, src, tgt in select_tables(src_m, tgt_m, names, mapping):
        target_name = mapping.table(name).target
        result = TableResult(name, target_name)
        pair: TablePair | None = None
        if run.report.stopped:
            result.status = "skipped"
        elif src is None:
            result.status, result.error = "error", f"the source has no table {name!r}"
        elif tgt is None:
            result.status, result.only_in = "differs", "source"
            result.reason = (
                f"table {name} is only in the source: the target has no table "
                f"{target_name!r} (schema {run.target_schema!r}); create it, or map it "
                "with --mapping"
            )
        else:
            try:
                pair = pair_table(
                    src,
                    tgt,
                    mapping.table(name),
                    source_collation=collations[0],
                    target_collation=collations[1],
                )
                result.warnings.extend(pair.warnings)
            except VerifyError as exc:
                result.status, result.error = "error", str(exc)
        if pair is not None:
            run.run_table(name, pair, result)
            done.append(name)
        run.report.tables.append(result)
        run.on_event(result)
    if not names:  # the whole schema: a table the target has beyond the source differs too
        for name in target_only(src_m, tgt_m, mapping):
            result = TableResult(name, name, status="differs", only_in="target")
            result.reason = (
                f"table {name} is only in the target (schema {run.target_schema!r}): "
                "no source table is, or maps to, it"
            )
            run.report.tables.append(result)
            run.on_event(result)
    return done


def _checks(
    run: TableVerifier,
    src_m: Manifest,
    tgt_m: Manifest,
    done: Sequence[str],
    mapping: Mapping,
    manifest: Manifest | None,
) -> None:
    target_tables = {t.name: t for t in tgt_m.tables if t.kind == "table"}
    if run.options.check_orphans:
        for ref in references(src_m, tgt_m, done, mapping, manifest):
            try:
                with run.target.transaction():
                    check = find_orphans(run.target, run.target_schema, ref, target_tables)
            except DB_ERRORS as exc:
                check = _orphans_failed(ref.table, ref.key.name, one_line(exc))
            run.report.orphans.append(check)
            run.on_event(check)
    if run.options.check_sequences:
        with run.target.transaction():
            checks = check_sequences(
                run.target, run.target_schema, [mapping.table(n).target for n in done]
            )
        for s in checks:
            run.report.sequences.append(s)
            run.on_event(s)


def _orphans_failed(table: str, constraint: str, message: str) -> OrphanCheck:
    return OrphanCheck(table, constraint, (), "", (), 0, (), message)
