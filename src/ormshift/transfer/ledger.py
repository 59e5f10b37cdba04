"""The ledger on the target: one row per run and one per batch, in schema ``ormshift``.

A batch's rows and its ledger row are written in the same target transaction, so a key
range is either loaded and recorded, or neither. The unique index on (run, table, start
of range) guarantees each range is recorded once, even with two processes on one run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ormshift.db import catalog
from ormshift.transfer.errors import TransferError
from ormshift.transfer.keyset import Key

SCHEMA = "ormshift"

#: the ledger's layout, recorded in ``ormshift.meta``: 1 is every ledger written before
#: the version row (its missing parts are added by `ensure`), 2 adds the row itself, 3
#: the units of shared runs (see claims). A ledger of a higher version was written by a
#: newer ormshift: this one refuses it.
LEDGER_VERSION = 3

_DDL = (
    "create schema if not exists ormshift",
    """create table if not exists ormshift.meta (
        key text primary key,
        value text not null
    )""",
    """create table if not exists ormshift.runs (
        run_id text primary key,
        status text not null,
        source text not null,
        schema_name text not null,
        options jsonb not null,
        plan jsonb not null,
        started_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        message text
    )""",
    """create table if not exists ormshift.ledger (
        run_id text not null references ormshift.runs on delete cascade,
        table_name text not null,
        batch_no integer not null,
        key_from jsonb,
        key_to jsonb,
        rows_read integer not null,
        rows_written integer not null,
        rows_rejected integer not null,
        rejected_keys jsonb not null default '[]',
        preexisting_keys jsonb,
        checksum text not null,
        format text not null,
        read_seconds double precision not null,
        write_seconds double precision not null,
        seconds double precision not null,
        committed_at timestamptz not null default clock_timestamp(),
        rolled_back_at timestamptz,
        primary key (run_id, table_name, batch_no)
    )""",
    # ledgers written before 0.2 lack it: null means "not recorded" (see rollback)
    "alter table ormshift.ledger add column if not exists preexisting_keys jsonb",
    """create unique index if not exists ledger_range_once
        on ormshift.ledger (run_id, table_name, coalesce(key_from, 'null'::jsonb))""",
    # each refused row, written with its batch: the reject file is rebuilt from these
    """create table if not exists ormshift.rejects (
        run_id text not null references ormshift.runs on delete cascade,
        table_name text not null,
        batch_no integer not null,
        seq integer not null,
        line text not null,
        primary key (run_id, table_name, batch_no, seq)
    )""",
    """create table if not exists ormshift.sequences (
        run_id text not null references ormshift.runs on delete cascade,
        sequence_name text not null,
        last_value bigint not null,
        is_called boolean not null,
        primary key (run_id, sequence_name)
    )""",
    # the units of a shared run read to their end (see claims)
    """create table if not exists ormshift.units (
        run_id text not null references ormshift.runs on delete cascade,
        table_name text not null,
        part integer not null,
        done_at timestamptz not null default clock_timestamp(),
        primary key (run_id, table_name, part)
    )""",
    """create table if not exists ormshift.constraints (
        run_id text not null references ormshift.runs on delete cascade,
        schema_name text not null,
        table_name text not null,
        constraint_name text not null,
        definition text not null,
        restored_at timestamptz,
        primary key (run_id, schema_name, table_name, constraint_name)
    )""",
)


class RunStatus(StrEnum):
    """A run's state in ``ormshift.runs.status`` (the text stored is the value)."""

    RUNNING = "running"
    ABORTED = "aborted"  # stopped on purpose or by an error: it can be resumed
    DONE = "done"
    ROLLED_BACK = "rolled back"


@dataclass(frozen=True)
class Run:
    run_id: str
    status: RunStatus
    source: str
    schema: str
    options: dict[str, Any]
    plan: dict[str, Any]
    message: str | None = None  # why it stopped, when it did


@dataclass(frozen=True)
class Batch:
    table: str
    batch_no: int
    key_from: Key | None
    key_to: Key | None
    rows_read: int
    rows_written: int
    rows_rejected: int
    rejected_keys: tuple[Key, ...]
    checksum: str
    format: str
    read_seconds: float
    write_seconds: float
    seconds: float
    #: keys inside (key_from, key_to] that the target had before the batch and that the
    #: batch did not write; None when the ledger did not record them (older ledgers)
    preexisting_keys: tuple[Key, ...] | None = ()


class LedgerVersionError(TransferError):
    """The target's ledger was written by a newer ormshift."""


def exists(conn: psycopg.Connection) -> bool:
    return catalog.relation_exists(conn, "ormshift.runs")


def version(conn: psycopg.Connection) -> int | None:
    """The ledger's recorded layout version: None without a ledger, 1 for one written
    before the version row."""
    meta = catalog.relation_exists(conn, "ormshift.meta")
    if not meta:
        return 1 if exists(conn) else None
    found = conn.execute("select value from ormshift.meta where key = 'ledger_version'").fetchone()
    return int(found[0]) if found else 1


def check_version(conn: psycopg.Connection) -> None:
    """`LedgerVersionError` for a ledger this ormshift cannot read or write safely."""
    found = version(conn)
    if found is not None and found > LEDGER_VERSION:
        raise LedgerVersionError(
            f"the target's ledger (schema ormshift) was written by a newer ormshift (ledger "
            f"version {found}; this one knows up to {LEDGER_VERSION}); run that version, or a "
            "newer one, against this target"
        )


def ensure(conn: psycopg.Connection) -> None:
    """Create the ledger tables when missing and add what an older ledger lacks
    (idempotent); refuse a ledger of a newer version before changing anything."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('ormshift.ledger'))")
        check_version(conn)
        # one message (no parameters: the simple query protocol runs them in turn), not a
        # round trip per statement
        conn.execute(";\n".join(_DDL))
        conn.execute(
            "insert into ormshift.meta (key, value) values ('ledger_version', %s) "
            "on conflict (key) do update set value = excluded.value",
            [str(LEDGER_VERSION)],
        )


def upgrade(conn: psycopg.Connection) -> None:
    """Bring an existing ledger written by an older ormshift up to this one's columns."""
    if exists(conn):
        ensure(conn)


def _run(row: Sequence[Any]) -> Run:
    return Run(row[0], RunStatus(row[1]), row[2], row[3], row[4], row[5], row[6])


_RUN_COLUMNS = "run_id, status, source, schema_name, options, plan, message"


def find_run(conn: psycopg.Connection, run_id: str) -> Run | None:
    if not exists(conn):
        return None
    row = conn.execute(
        f"select {_RUN_COLUMNS} from ormshift.runs where run_id = %s", [run_id]
    ).fetchone()
    return _run(row) if row else None


def find_unfinished(
    conn: psycopg.Connection, source: str, schema: str, tables: Sequence[str]
) -> Run | None:
    """The latest unfinished run from the same source over the same tables, if any."""
    if not exists(conn):
        return None
    rows = conn.execute(
        f"select {_RUN_COLUMNS} from ormshift.runs where status in ('running', 'aborted') "
        "and source = %s and schema_name = %s order by started_at desc",
        [source, schema],
    ).fetchall()
    for row in rows:
        run = _run(row)
        if [t["table"] for t in run.plan.get("tables", [])] == list(tables):
            return run
    return None


def create_run(
    conn: psycopg.Connection,
    run_id: str,
    source: str,
    schema: str,
    options: dict[str, Any],
    plan: dict[str, Any],
) -> None:
    conn.execute(
        "insert into ormshift.runs (run_id, status, source, schema_name, options, plan) "
        "values (%s, 'running', %s, %s, %s, %s)",
        [run_id, source, schema, Jsonb(options), Jsonb(plan)],
    )


def set_status(
    conn: psycopg.Connection, run_id: str, status: RunStatus, message: str | None = None
) -> None:
    conn.execute(
        "update ormshift.runs set status = %s, message = %s, updated_at = now() where run_id = %s",
        [status, message, run_id],
    )


def _key(value: Any) -> Key | None:
    return None if value is None else tuple(str(v) for v in value)


_BATCH_COLUMNS = (
    "table_name, batch_no, key_from, key_to, rows_read, rows_written, rows_rejected,"
    " rejected_keys, checksum, format, read_seconds, write_seconds, seconds, preexisting_keys"
)


_COUNT_COLUMNS = _BATCH_COLUMNS.replace("rejected_keys", "'[]'::jsonb").replace(
    "preexisting_keys", "'[]'::jsonb"
)


#: With --workers, part ``p`` of a table numbers its batches from ``p * PART_STRIDE + 1``.
PART_STRIDE = 10_000_000


def last_batch(conn: psycopg.Connection, run_id: str, table: str, part: int = 0) -> Batch | None:
    """The table's last recorded batch (of key-range part ``part``)."""
    row = conn.execute(
        f"select {_BATCH_COLUMNS} from ormshift.ledger"
        " where run_id = %s and table_name = %s and batch_no between %s and %s"
        " order by batch_no desc limit 1",
        [run_id, table, part * PART_STRIDE, (part + 1) * PART_STRIDE - 1],
    ).fetchone()
    return _batch(row) if row else None


def _batch(row: Sequence[Any]) -> Batch:
    return Batch(
        table=row[0],
        batch_no=row[1],
        key_from=_key(row[2]),
        key_to=_key(row[3]),
        rows_read=row[4],
        rows_written=row[5],
        rows_rejected=row[6],
        rejected_keys=tuple(tuple(str(v) for v in k) for k in row[7]),
        checksum=row[8],
        format=row[9],
        read_seconds=row[10],
        write_seconds=row[11],
        seconds=row[12],
        preexisting_keys=None
        if row[13] is None
        else tuple(tuple(str(v) for v in k) for k in row[13]),
    )


def batches(
    conn: psycopg.Connection,
    run_id: str,
    *,
    live_only: bool = False,
    keys: bool = True,
    table: str | None = None,
) -> list[Batch]:
    """The run's batches (of one ``table``, when given), by table and batch number;
    ``keys=False``: for their counts only (``rejected_keys`` and ``preexisting_keys``
    left empty: a run with many rejects has many of them)."""
    live = " and rolled_back_at is null" if live_only else ""
    one = " and table_name = %s" if table is not None else ""
    columns = _BATCH_COLUMNS if keys else _COUNT_COLUMNS
    rows = conn.execute(
        f"select {columns} from ormshift.ledger"
        f" where run_id = %s{live}{one} order by table_name, batch_no",
        [run_id] if table is None else [run_id, table],
    ).fetchall()
    return [_batch(r) for r in rows]


_INSERT = (
    "insert into ormshift.ledger (run_id, table_name, batch_no, key_from, key_to,"
    " rows_read, rows_written, rows_rejected, rejected_keys, checksum, format,"
    " read_seconds, write_seconds, seconds, preexisting_keys) values "
)
_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
_RECORD = _INSERT + _ROW


def record(conn: psycopg.Connection, run_id: str, batch: Batch) -> None:
    """Insert the batch's ledger row; call inside the batch's own target transaction."""
    conn.execute(_RECORD, _record_params(run_id, batch))


def record_and_commit(conn: psycopg.Connection, run_id: str, batches: Sequence[Batch]) -> None:
    """Insert the ledger rows of ``batches`` (one statement) and COMMIT the transaction
    that wrote their rows (opened by the caller), pipelined: one round trip."""
    params = [v for b in batches for v in _record_params(run_id, b)]
    with conn.pipeline(), conn.cursor() as cur:
        if batches:
            # one multi-row INSERT: one statement for the server to plan and run, not one
            # per table (a group holds at most engine.GROUP_TABLES rows: 3,000 parameters)
            cur.execute(_INSERT + ", ".join([_ROW] * len(batches)), params)
        cur.execute("commit")


def _record_params(run_id: str, batch: Batch) -> list[Any]:
    return [
        run_id,
        batch.table,
        batch.batch_no,
        None if batch.key_from is None else Jsonb(list(batch.key_from)),
        None if batch.key_to is None else Jsonb(list(batch.key_to)),
        batch.rows_read,
        batch.rows_written,
        batch.rows_rejected,
        Jsonb([list(k) for k in batch.rejected_keys]),
        batch.checksum,
        batch.format,
        batch.read_seconds,
        batch.write_seconds,
        batch.seconds,
        None
        if batch.preexisting_keys is None
        else Jsonb([list(k) for k in batch.preexisting_keys]),
    ]


def record_rejects(
    conn: psycopg.Connection, run_id: str, table: str, batch_no: int, lines: Sequence[str]
) -> None:
    """Keep a batch's refused rows (as reject-file lines); call inside its transaction."""
    if not lines:
        return
    copy_sql = "copy ormshift.rejects (run_id, table_name, batch_no, seq, line) from stdin"
    # COPY's text format written at once (a row at a time through psycopg took longer
    # than the rest of a refused batch's client work)
    head = f"{_copy_text(run_id)}\t{_copy_text(table)}\t{int(batch_no)}\t"
    # the lines escaped at once, joined by a character no text value holds
    fields = _copy_text("\x00".join(lines)).split("\x00")
    if len(fields) != len(lines):  # a line held one after all: the server says no
        fields = [_copy_text(line) for line in lines]
    data = "".join([f"{head}{i}\t{f}\n" for i, f in enumerate(fields)])
    with conn.cursor().copy(copy_sql) as copy:
        copy.write(data)


def _copy_text(value: str) -> str:
    """``value`` as a field of COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def has_rejects(conn: psycopg.Connection, run_id: str) -> bool:
    row = conn.execute(
        "select exists (select 1 from ormshift.rejects where run_id = %s)", [run_id]
    ).fetchone()
    return bool(row and row[0])


def reject_lines(conn: psycopg.Connection, run_id: str) -> Iterator[str]:
    """Every refused row of the run, in the order its batches committed."""
    with conn.transaction(), conn.cursor(name="ormshift_reject_lines") as cur:
        cur.execute(
            "select r.line from ormshift.rejects r join ormshift.ledger l using"
            " (run_id, table_name, batch_no) where r.run_id = %s"
            " order by l.committed_at, r.table_name, r.batch_no, r.seq",
            [run_id],
        )
        for (line,) in cur:
            yield str(line)


def mark_rolled_back(conn: psycopg.Connection, run_id: str, table: str, batch_no: int) -> None:
    conn.execute(
        "update ormshift.ledger set rolled_back_at = clock_timestamp()"
        " where run_id = %s and table_name = %s and batch_no = %s",
        [run_id, table, batch_no],
    )


def total_rejected(conn: psycopg.Connection, run_id: str) -> int:
    row = conn.execute(
        "select coalesce(sum(rows_rejected), 0) from ormshift.ledger where run_id = %s", [run_id]
    ).fetchone()
    return int(row[0]) if row else 0


def save_sequence(
    conn: psycopg.Connection, run_id: str, name: str, state: tuple[int, bool]
) -> None:
    """Remember a sequence's state before the run first touches it (for rollback)."""
    conn.execute(
        "insert into ormshift.sequences (run_id, sequence_name, last_value, is_called)"
        " values (%s, %s, %s, %s) on conflict do nothing",
        [run_id, name, state[0], state[1]],
    )


def saved_sequences(conn: psycopg.Connection, run_id: str) -> list[tuple[str, int, bool]]:
    rows = conn.execute(
        "select sequence_name, last_value, is_called from ormshift.sequences where run_id = %s",
        [run_id],
    ).fetchall()
    return [(r[0], int(r[1]), bool(r[2])) for r in rows]


def save_constraint(
    conn: psycopg.Connection, run_id: str, schema: str, table: str, name: str, definition: str
) -> None:
    conn.execute(
        "insert into ormshift.constraints (run_id, schema_name, table_name, constraint_name,"
        " definition) values (%s, %s, %s, %s, %s)",
        [run_id, schema, table, name, definition],
    )


def _constraints(
    conn: psycopg.Connection, run_id: str, restored: bool
) -> list[tuple[str, str, str, str]]:
    rows = conn.execute(
        "select schema_name, table_name, constraint_name, definition from ormshift.constraints"
        " where run_id = %s and (restored_at is not null) = %s"
        " order by table_name, constraint_name",
        [run_id, restored],
    ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def pending_constraints(conn: psycopg.Connection, run_id: str) -> list[tuple[str, str, str, str]]:
    """Constraints the run dropped and has not added back: (schema, table, name, definition)."""
    return _constraints(conn, run_id, restored=False)


def restored_constraints(conn: psycopg.Connection, run_id: str) -> list[tuple[str, str, str, str]]:
    """Constraints the run dropped and added back: (schema, table, name, definition)."""
    return _constraints(conn, run_id, restored=True)


def _mark_constraint(
    conn: psycopg.Connection, run_id: str, schema: str, table: str, name: str, restored: bool
) -> None:
    conn.execute(
        "update ormshift.constraints"
        " set restored_at = case when %s then clock_timestamp() end where run_id = %s"
        " and schema_name = %s and table_name = %s and constraint_name = %s",
        [restored, run_id, schema, table, name],
    )


def mark_constraint_restored(
    conn: psycopg.Connection, run_id: str, schema: str, table: str, name: str
) -> None:
    _mark_constraint(conn, run_id, schema, table, name, restored=True)


def mark_constraint_dropped(
    conn: psycopg.Connection, run_id: str, schema: str, table: str, name: str
) -> None:
    _mark_constraint(conn, run_id, schema, table, name, restored=False)
