"""The transfer engine: preflight, then keyset batches, one target transaction each.

Each batch reads a key range from the source inside one REPEATABLE READ snapshot and
writes it, together with its ledger row, in one target transaction. Work is resumed
from the ledger: a table continues after the last recorded key range, so after a crash
(even kill -9) running again gives the same result as an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ormshift.db import same_database
from ormshift.db.backends import Can
from ormshift.dsn import connect, redact
from ormshift.errors import OrmshiftError
from ormshift.files import check_writable
from ormshift.mapping import Mapping as MappingFile
from ormshift.monitor import Probe, bind_run_id
from ormshift.transfer import (
    claims,
    constraints,
    ledger,
    ownership,
    preflight,
    rejectlog,
    sequences,
)
from ormshift.transfer.create import create_missing
from ormshift.transfer.errors import PreflightError, RunNotFound, TransferAborted, TransferError
from ormshift.transfer.keyset import Key, qualified, sample_splits
from ormshift.transfer.ledger import Batch, Run, RunStatus
from ormshift.transfer.plan import (
    Plan,
    TablePlan,
    TargetCatalog,
    nonempty,
    plan_for_target,
    read_target,
)
from ormshift.transfer.rejects import Loaded, RejectFile, describe
from ormshift.transfer.report import RunReport, ThroughputRecorder, table_stats
from ormshift.transfer.sources import Ask, BatchRefused, BatchResult, Reader, open_reader
from ormshift.transfer.throttle import Health, ThrottleSettings
from ormshift.transfer.workers import levels, run_each

#: how the run sleeps while throttled or paused (a test watches the target meanwhile)
_sleep = time.sleep

#: seconds between looks at the ledger while the units left are leased by other workers
CLAIM_POLL = 0.25
#: seconds between looks for the run a --join names, until it exists and runs
JOIN_POLL = 1.0

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MigrateOptions:
    schema: str = "public"
    target_schema: str | None = None
    tables: tuple[str, ...] = ()
    batch_size: int = 50_000
    batch_bytes: int | None = None  # also cap a batch at about this many bytes
    truncate: bool = False
    append: bool = False
    resume: str | None = None
    allow_no_key: bool = False
    defer_constraints: bool = False
    defer_indexes: bool = False
    create_schema: bool = False
    workers: int = 1
    #: a shared run (--workers 2 or more): how many key ranges a large table is cut into
    #: (default: one per worker); more parts let more processes join the run
    parts: int | None = None
    #: the id of a new run (default: generated); a run of this id already in the ledger
    #: is resumed instead, so a restarted process carries on where it was
    run_id: str | None = None
    #: work on this shared run beside the process that started it (never starts a run)
    join: str | None = None
    #: how long --join waits for the run to exist and be running
    join_wait: float = 60.0
    max_rejects: int | None = None
    reject_file: Path | None = None
    mapping: MappingFile | None = None
    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)

    def stored(self) -> dict[str, Any]:
        """The options a resumed run keeps from its first start."""
        return {
            "truncate": self.truncate,
            "append": self.append,
            "tables": list(self.tables),
            "defer_constraints": self.defer_constraints,
            "defer_indexes": self.defer_indexes,
        }


@dataclass(frozen=True)
class Event:
    kind: str
    run_id: str
    table: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.kind, "run_id": self.run_id}
        if self.table is not None:
            out["table"] = self.table
        out.update(self.data)
        return out


EventSink = Callable[[Event], None]


class _StoppedElsewhere(TransferAborted):
    """Another process of a shared run stopped it (the ledger says so)."""


class _FinishedElsewhere(Exception):
    """The shared run this process joined is done: its starter finished it."""


def _ignore(_: Event) -> None:
    return None


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def _validate(options: MigrateOptions) -> None:
    if options.batch_size < 1:
        raise PreflightError("--batch-size must be at least 1")
    if options.batch_bytes is not None and options.batch_bytes < 1:
        raise PreflightError("--batch-bytes must be at least 1")
    if options.truncate and options.append:
        raise PreflightError("give --truncate or --append, not both")
    if options.workers < 1:
        raise PreflightError("--workers must be at least 1")
    if options.max_rejects is not None and options.max_rejects < 0:
        raise PreflightError("--max-rejects must be 0 or more")
    if options.parts is not None and options.parts < 2:
        raise PreflightError("--parts must be at least 2")
    if options.parts is not None and options.workers < 2 and options.join is None:
        raise PreflightError(
            "--parts cuts large tables for a shared run: give --workers 2 or more with it"
        )
    for name, value in (("--run-id", options.run_id), ("--join", options.join)):
        if value is not None and not _RUN_ID.fullmatch(value):
            raise PreflightError(
                f"{name} {value!r} is not a run id: use 1 to 64 letters, digits, '.', '_' "
                "or '-', starting with a letter or digit"
            )
    if options.join is not None:
        given = [
            flag
            for flag, on in (
                ("--resume", options.resume is not None),
                ("--run-id", options.run_id is not None),
                ("--truncate", options.truncate),
                ("--append", options.append),
                ("--create-schema", options.create_schema),
                ("--defer-constraints", options.defer_constraints),
                ("--defer-indexes", options.defer_indexes),
            )
            if on
        ]
        if given:
            raise PreflightError(
                f"--join works on a run as it was started and cannot take {given[0]}; give "
                "that to the process that starts the run"
            )
    if options.join_wait < 0:
        raise PreflightError("--join-wait must be 0 or more")


def _open(source_url: str, target_url: str) -> tuple[Reader, psycopg.Connection]:
    reader = open_reader(source_url)
    try:
        target = connect(target_url)
    except BaseException:
        reader.close()
        raise
    return reader, target


def _refuse_same_database(
    reader: Reader, target: psycopg.Connection, target_url: str, options: MigrateOptions
) -> None:
    """A run whose target is its own source (under any URL) would empty or reject it."""
    if not reader.backend.can(Can.CATALOG):
        return  # not a PostgreSQL server: it cannot be the target
    if (options.target_schema or options.schema) != options.schema:
        return  # one schema into another of the same database: a copy, not a loop
    if same_database(reader.conn, target):
        raise PreflightError(
            f"the source and the target are the same database ({redact(target_url)}, schema "
            f"{options.schema!r}), whatever their URLs say; give another --target, or "
            "--target-schema to copy into another schema of this database"
        )


def _plan(reader: Reader, target: psycopg.Connection, options: MigrateOptions) -> Plan:
    plan = _reader_plan(reader, target, options)
    source = reader.conn if reader.backend.can(Can.CATALOG) else None
    more = preflight.check(source, target, plan, truncate=options.truncate)
    return replace(plan, warnings=(*plan.warnings, *more)) if more else plan


class _Ahead:
    """The target's catalog read in a thread while this one reads the source's (two
    connections, two servers' work at once); `result` waits for it and returns it, or
    raises what reading it raised."""

    def __init__(self, target: psycopg.Connection, schema: str) -> None:
        self._found: TargetCatalog | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._read, args=(target, schema), name="ormshift-plan", daemon=True
        )
        self._thread.start()

    def _read(self, target: psycopg.Connection, schema: str) -> None:
        try:
            self._found = read_target(target, schema)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def join(self) -> None:
        self._thread.join()

    def result(self) -> TargetCatalog:
        self.join()
        if self._error is not None:
            raise self._error
        assert self._found is not None
        return self._found


def _reader_plan(reader: Reader, target: psycopg.Connection, options: MigrateOptions) -> Plan:
    target_schema = options.target_schema or options.schema
    ahead = _Ahead(target, target_schema)
    try:  # the target is used by `ahead` alone until it is joined
        schema, tables = reader.source_tables(options.schema)
        plan = plan_for_target(
            tables,
            target,
            schema=schema,
            target_schema=target_schema,
            allow_no_key=options.allow_no_key,
            mapping=options.mapping,
            only=options.tables or None,
            known=ahead.result,
        )
    finally:
        ahead.join()
    reader.planned(plan, target)
    return plan


def _create(
    reader: Reader, target: psycopg.Connection, options: MigrateOptions
) -> tuple[list[str], list[str]]:
    """--create-schema: the source's tables the target lacks; (created, warnings)."""
    if not options.create_schema:
        return [], []
    if not reader.backend.can(Can.CREATE_SCHEMA):
        raise PreflightError(
            "--create-schema reads the schema from a PostgreSQL source; for this source create "
            "the target tables first (ormshift generate, or your migrations)"
        )
    if options.mapping is not None and not options.mapping.empty:
        raise PreflightError(
            "--create-schema creates the source's tables as they are and cannot follow a "
            "--mapping; create the reshaped target tables first, then run with --mapping"
        )
    return create_missing(
        reader.conn,
        target,
        schema=options.schema,
        target_schema=options.target_schema or options.schema,
        only=options.tables,
    )


def _check_empty(
    target: psycopg.Connection,
    plan: Plan,
    run: Run | None,
    *,
    truncate: bool,
    append: bool,
) -> set[str]:
    """Refuse target tables with rows the run (``run``, when resumed) did not write;
    returns the tables the run has started. The tables' rows are looked at before the
    ledger: a batch another process of a shared run commits in between (its rows and its
    ledger row at once) is then seen in the ledger too, never taken for foreign rows."""
    named = {(t.schema, t.target): t.name for t in plan.tables}
    full = [] if truncate or append else nonempty(target, list(named))
    started = _started_tables(target, run) if run is not None else set()
    full = [f for f in full if named[f] not in started]
    if full:
        raise PreflightError(
            f"target table {full[0][1]!r} already has rows; pass --truncate to empty it first "
            "or --append to add to it"
        )
    return started


def dry_run(source_url: str, target_url: str, options: MigrateOptions) -> Plan:
    """Run the preflight and return the plan; nothing is written anywhere."""
    _validate(options)
    reader, target = _open(source_url, target_url)
    try:
        # --create-schema's tables exist only inside this transaction, for the preflight
        with target.transaction(force_rollback=True):
            _refuse_same_database(reader, target, target_url, options)
            return _dry_run(reader, target, source_url, options)
    except psycopg.Error as exc:
        raise TransferError(f"the preflight failed: {describe(exc)}") from exc
    finally:
        reader.close()
        target.close()


def _dry_run(
    reader: Reader, target: psycopg.Connection, source_url: str, options: MigrateOptions
) -> Plan:
    _create(reader, target, options)
    plan = _plan(reader, target, options)
    run = _existing_run(target, source_url, plan, options)
    stored = run.options if run else options.stored()
    if not stored.get("defer_constraints") and not options.defer_constraints:
        plan.refuse_cycles()
    _check_empty(
        target,
        plan,
        run,
        truncate=bool(stored.get("truncate")),
        append=bool(stored.get("append")),
    )
    return plan


def _existing_run(
    target: psycopg.Connection, source_url: str, plan: Plan, options: MigrateOptions
) -> Run | None:
    ledger.upgrade(target)
    if options.resume is not None:
        run = ledger.find_run(target, options.resume)
        if run is None:
            raise RunNotFound(
                f"the target's ledger has no run {options.resume!r}; check the id (it is printed "
                "when a run starts) or start a new run without --resume"
            )
        if run.status is RunStatus.ROLLED_BACK:
            raise RunNotFound(f"run {run.run_id!r} was rolled back; start a new run instead")
        if run.source != redact(source_url):
            raise PreflightError(
                f"run {run.run_id!r} copied from {run.source}, not from {redact(source_url)}; "
                "resume it with the same --source"
            )
        return run
    return ledger.find_unfinished(
        target, redact(source_url), plan.schema, [t.name for t in plan.tables]
    )


def _started_tables(target: psycopg.Connection, run: Run) -> set[str]:
    return {b.table for b in ledger.batches(target, run.run_id, keys=False)}


def migrate(
    source_url: str,
    target_url: str,
    options: MigrateOptions,
    on_event: EventSink = _ignore,
    extra_probes: tuple[Probe, ...] = (),
    health: Health | None = None,
) -> RunReport:
    """Move every planned table from source to target; resumes an unfinished run.

    ``health`` watches the run (built from ``options.throttle`` when not given; pass one
    to serve its monitor's metrics); ``extra_probes`` join its monitor's probes.
    """
    _validate(options)
    own = health is None
    if health is None:
        health = Health(options.throttle, target_url, extra_probes)
    try:
        reader, target = _open(source_url, target_url)
        try:
            return _Run(
                reader, target, (source_url, target_url), options, on_event, health
            ).execute()
        except psycopg.Error as exc:
            raise TransferError(f"the transfer stopped: {describe(exc)}") from exc
        finally:
            reader.close()
            target.close()
    finally:
        if own:
            health.close()


def _fast_commits(target: psycopg.Connection) -> psycopg.Connection:
    """Batches commit without waiting for their WAL to reach disk.

    Safe for the ledger: a batch's rows and its ledger row are one transaction, so a
    server crash loses the last few batches whole, and a resume copies them again. The
    run's final "done" is committed synchronously, which makes every batch durable.
    """
    target.execute("set synchronous_commit = off")
    return target


@dataclass
class _Conn:
    """One worker's source reader and target connection."""

    reader: Reader
    target: psycopg.Connection


@dataclass
class _Pending:
    """A small table's batch written in the open group, its ledger row not yet inserted."""

    table: TablePlan
    batch: Batch
    seconds: float


@dataclass
class _Group:
    """Consecutive small tables written in one target transaction (see `_Run._table`)."""

    tables: list[TablePlan] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    by_table: dict[str, list[Batch]] = field(default_factory=dict)  # pending's, by table
    events: list[Event] = field(default_factory=list)  # emitted once it is committed
    rows: int = 0


#: a group commits once it holds this many tables (or a batch's worth of rows)
GROUP_TABLES = 200


class _Run:
    def __init__(
        self,
        reader: Reader,
        target: psycopg.Connection,
        urls: tuple[str, str],
        options: MigrateOptions,
        on_event: EventSink,
        health: Health,
    ) -> None:
        self.reader = reader
        self.target = target
        self.source_url, self.target_url = urls
        self.options = options
        self.on_event = on_event
        self.throughput = ThroughputRecorder()
        self.health = health
        self.run_id = ""
        self.appending = options.append  # a resumed run: as it was first started
        self.started = time.monotonic()
        self.main = _Conn(reader, target)
        self.splits: dict[str, list[Key]] = {}  # --workers: key-range cuts per table
        self.stop = threading.Event()
        self._events = threading.Lock()
        #: tables with no ledger row in this run when it began (their ledger reads skipped)
        self.unstarted: set[str] = set()
        #: the batches this run recorded, by table (an unstarted table's whole ledger)
        self.recorded: dict[str, list[Batch]] = {}
        self.group: _Group | None = None  # small tables sharing the open target transaction
        #: a shared run: its units are claimed (see claims), other processes may join it
        self.shared = False
        #: this process started (or resumed) the run and finishes it; a --join does not
        self.coordinator = options.join is None

    def emit_sink(self, event: Event) -> None:
        """Hand ``event`` to the caller (a batch's as it is committed), recording the
        throughput of batches."""
        if event.kind == "batch" and event.table is not None:
            at = time.monotonic() - self.started
            rows, seconds = int(event.data["written"]), float(event.data["seconds"])
            self.throughput.record(at, event.table, rows, seconds)
        self.on_event(event)

    def emit(self, kind: str, table: str | None = None, **data: Any) -> None:
        with self._events:
            event = Event(kind, self.run_id, table, data)
            if self.group is not None:
                self.group.events.append(event)
            else:
                self.emit_sink(event)

    @property
    def workers(self) -> int:
        return self.options.workers if self.reader.backend.can(Can.PARALLEL_READERS) else 1

    def execute(self) -> RunReport:
        if self.options.join is not None:
            return self._join(self.options.join)
        opts = self.options
        if opts.run_id is not None and ledger.find_run(self.target, opts.run_id) is not None:
            opts = self.options = replace(opts, resume=opts.run_id)
        _refuse_same_database(self.reader, self.target, self.target_url, opts)
        # before anything is written: where the refused rows will go must be writable
        check_writable(opts.reject_file or Path("ormshift-rejects.jsonl"))
        created, warnings = _create(self.reader, self.target, opts)
        if opts.workers > self.workers:
            warnings.append("--workers applies to PostgreSQL sources; this one is read by one")
        for w in warnings:
            self.emit("warning", message=w)
        if created:
            self.emit("schema", created=created)
        plan = _plan(self.reader, self.target, opts)
        run = self._resolve(plan)
        bind_run_id(self.run_id)
        self._lock()
        _fast_commits(self.target)
        reject_path = opts.reject_file or Path(f"ormshift-rejects-{self.run_id}.jsonl")
        rejects = RejectFile(reject_path)
        for w in plan.warnings:
            self.emit("warning", message=w)
        if run is None:
            self.shared = self.workers > 1
            self._start(plan)
        else:
            self.shared = bool(run.options.get("shared"))
            with self.target.transaction():
                ledger.set_status(self.target, self.run_id, RunStatus.RUNNING)
            rejects.adopt(rejectlog.rebuild(self.target, self.run_id, reject_path))
        if self.shared:  # other processes may write any table's batches: read the ledger
            self.unstarted = set()
        self.emit("run", resumed=run is not None, plan=plan.to_json())
        log.info(
            "%s run %s: %d table(s), ~%d rows",
            "resuming" if run is not None else "starting",
            self.run_id,
            len(plan.tables),
            sum(t.est_rows for t in plan.tables),
        )
        self.reader.start()
        try:
            if self.shared or self.workers > 1:
                self._parallel(plan, rejects)
            else:
                for i, table in enumerate(plan.tables):
                    after = plan.tables[i + 1] if i + 1 < len(plan.tables) else None
                    self.reader.then(after, self._rows(after) if after else 0)
                    self._table(plan, table, rejects)
                self._flush()
                self.reader.then(None, 0)
            restored = constraints.restore(self.target, self.run_id)
            if restored:
                self.emit("constraints", restored=restored)
        except BaseException as exc:
            self._abandon()  # an uncommitted group: its tables have no ledger rows either
            error = self._failed(exc, plan, run is not None, reject_path)
            if error is exc:
                raise
            raise error from exc
        # a synchronous commit flushes the WAL of every batch before it: "done" is durable
        self.target.execute("set synchronous_commit = on")
        with self.target.transaction():
            ledger.set_status(self.target, self.run_id, RunStatus.DONE)
        # the file is the ledger's copy: rebuilt unless it is just as this run wrote it
        if not rejects.intact(ledger.total_rejected(self.target, self.run_id)):
            rejectlog.rebuild(self.target, self.run_id, reject_path)
        self.emit("done")
        done = self._report(self.target, plan, RunStatus.DONE, run is not None, reject_path, None)
        log.info(
            "run %s done: %d read, %d written, %d rejected in %.1f s",
            self.run_id, done.read, done.written, done.rejected, done.seconds,
        )  # fmt: skip
        return done

    def _failed(
        self, exc: BaseException, plan: Plan, resumed: bool, reject_path: Path
    ) -> BaseException:
        """The run stopped on ``exc``: record it, rebuild the reject file, and return the
        error to raise, carrying the report of what the run had done (when the ledger
        can still be read: on this connection, or on a new one if it broke)."""
        message = self._stopped(exc)
        if isinstance(exc, psycopg.Error):
            error: BaseException = TransferError(f"the transfer stopped: {describe(exc)}")
        else:
            error = exc
        if not isinstance(error, TransferError):
            return error
        try:
            if self.target.broken or self.target.closed:
                with connect(self.target_url) as conn:
                    with conn.transaction():
                        ledger.set_status(conn, self.run_id, RunStatus.ABORTED, message)
                    error.report = self._report(
                        conn, plan, RunStatus.ABORTED, resumed, reject_path, message
                    )
                    rejectlog.rebuild(conn, self.run_id, reject_path)
            else:
                error.report = self._report(
                    self.target, plan, RunStatus.ABORTED, resumed, reject_path, message
                )
                rejectlog.rebuild(self.target, self.run_id, reject_path)
        except (psycopg.Error, OrmshiftError):
            pass  # the target is gone: the ledger keeps the rejects for the resume
        return error

    def _resolve(self, plan: Plan) -> Run | None:
        """The unfinished run to resume (checked against the plan), or None for a new one."""
        opts = self.options
        run = _existing_run(self.target, self.source_url, plan, opts)
        if run is None:
            if not opts.defer_constraints:
                plan.refuse_cycles()
            _check_empty(self.target, plan, None, truncate=opts.truncate, append=opts.append)
            self.run_id = opts.run_id or new_run_id()
            self.unstarted = {t.name for t in plan.tables}
            return None
        self._adopt(run, plan)
        stored = run.options
        if not stored.get("defer_constraints") and not opts.defer_constraints:
            plan.refuse_cycles()
        started = _check_empty(
            self.target,
            plan,
            run,
            truncate=bool(stored.get("truncate")),
            append=bool(stored.get("append")),
        )
        self.unstarted = {t.name for t in plan.tables} - started
        return run

    def _adopt(self, run: Run, plan: Plan) -> None:
        """Take over ``run`` (resumed or joined) after checking it planned ``plan``."""
        planned = [t["table"] for t in run.plan.get("tables", [])]
        if planned != [t.name for t in plan.tables]:
            raise PreflightError(
                f"run {run.run_id!r} planned tables {', '.join(planned)}, the source now has "
                f"{', '.join(t.name for t in plan.tables)}; start a new run"
            )
        shape = [
            (t.get("target_table", t["table"]), t.get("outputs", [])) for t in run.plan["tables"]
        ]
        if shape != [(t.target, [o.to_json() for o in t.mapped]) for t in plan.tables]:
            raise PreflightError(
                f"run {run.run_id!r} was started with a different --mapping; resume or join it "
                "with the same mapping file, or roll it back and start a new run"
            )
        self.run_id = run.run_id
        self.appending = bool(run.options.get("append"))
        self.splits = {
            str(t["table"]): [tuple(str(v) for v in k) for k in t.get("splits", [])]
            for t in run.plan.get("tables", [])
        }

    def _join(self, run_id: str) -> RunReport:
        """--join: claim units of the shared run ``run_id`` until none is left, beside
        the process that started it (which restores constraints and finishes the run)."""
        opts = self.options
        run = self._await_run(run_id)
        if not opts.tables and run.options.get("tables"):
            opts = self.options = replace(opts, tables=tuple(run.options["tables"]))
        plan = _plan(self.reader, self.target, opts)
        self._adopt(run, plan)
        if not run.options.get("shared"):
            raise PreflightError(
                f"run {run_id!r} was started by one process and cannot be joined; start a run "
                "to share with --workers 2 or more"
            )
        if run.source != redact(self.source_url):
            raise PreflightError(
                f"run {run_id!r} copies from {run.source}, not from {redact(self.source_url)}; "
                "join it with the same --source"
            )
        bind_run_id(self.run_id)
        self._join_lock()
        self.shared = True
        reject_path = opts.reject_file or Path(
            f"ormshift-rejects-{self.run_id}-joined-{os.getpid()}.jsonl"
        )
        self.emit("run", resumed=True, joined=True, plan=plan.to_json())
        if run.status is RunStatus.DONE:  # finished before this process came: nothing to do
            self.emit("joined_done")
            return self._report(self.target, plan, RunStatus.DONE, True, reject_path, None)
        _fast_commits(self.target)
        rejects = RejectFile(reject_path)
        log.info("joining run %s", self.run_id)
        self.reader.start()
        try:
            self._parallel(plan, rejects)
        except BaseException as exc:
            error = self._failed(exc, plan, True, reject_path)
            if error is exc:
                raise
            raise error from exc
        found = claims.Claims(self.target, self.run_id)
        status = RunStatus.DONE
        with contextlib.suppress(claims.RunStopped):
            found.running()
            status = RunStatus.RUNNING
        self.emit("joined_done")
        return self._report(self.target, plan, status, True, reject_path, None)

    def _await_run(self, run_id: str) -> Run:
        """The run ``run_id`` once the ledger has it running (or done), waiting up to
        --join-wait seconds for the process that starts it."""
        deadline = time.monotonic() + self.options.join_wait
        while True:
            ledger.check_version(self.target)
            run = ledger.find_run(self.target, run_id)
            if run is not None and run.status is RunStatus.ROLLED_BACK:
                raise RunNotFound(f"run {run_id!r} was rolled back; there is nothing to join")
            if run is not None and run.status in (RunStatus.RUNNING, RunStatus.DONE):
                return run
            if time.monotonic() >= deadline:
                break
            _sleep(JOIN_POLL)
        if run is None:
            raise RunNotFound(
                f"the target's ledger has no run {run_id!r} (waited {self.options.join_wait:g} "
                f"s); start it with ormshift migrate --run-id {run_id} --workers 2 (or more)"
            )
        raise TransferAborted(
            f"run {run_id!r} is stopped ({run.message or run.status}); resume it with "
            f"ormshift migrate --resume {run_id}, then join it again"
        )

    def _report(
        self,
        conn: psycopg.Connection,
        plan: Plan,
        status: RunStatus,
        resumed: bool,
        reject_path: Path,
        message: str | None,
    ) -> RunReport:
        batches = ledger.batches(conn, self.run_id, keys=False)
        return RunReport(
            run_id=self.run_id,
            status=status,
            tables=table_stats([t.name for t in plan.tables], batches),
            seconds=time.monotonic() - self.started,
            resumed=resumed,
            reject_file=str(reject_path) if any(b.rows_rejected for b in batches) else None,
            warnings=plan.warnings,
            message=message,
            throughput=self.throughput.snapshot(),
        )

    def _lock(self) -> None:
        """One process per run: a session lock on the target, gone when the process is."""
        row = self.target.execute(
            "select pg_try_advisory_lock(hashtext('ormshift.run'), hashtext(%s))", [self.run_id]
        ).fetchone()
        if not (row and row[0]):
            raise TransferError(
                f"run {self.run_id} is being worked on by another process right now; wait for "
                "it to finish (or stop it) before resuming"
            )
        self._join_lock()

    def _join_lock(self) -> None:
        """Every process working on the run holds its worker lock (shared): a rollback
        (which takes it alone) waits for all of them, on every host."""
        if not claims.join_run(self.target, self.run_id):
            raise TransferError(
                f"run {self.run_id} is being rolled back right now; there is nothing to work on"
            )

    def _stopped(self, exc: BaseException) -> str:
        """Record that the run stopped (it stays resumable); the message recorded."""
        if isinstance(exc, _StoppedElsewhere):
            self.emit("abort", message=str(exc))
            return str(exc)  # the ledger already says who stopped it and why
        if isinstance(exc, OrmshiftError):
            message = redact(str(exc))
        elif isinstance(exc, psycopg.Error):
            message = f"the transfer stopped: {describe(exc)}"
        else:
            message = type(exc).__name__
        self.emit("abort", message=message)
        if self.target.broken or self.target.closed:
            return message
        try:
            with self.target.transaction():
                ledger.set_status(self.target, self.run_id, RunStatus.ABORTED, message)
        except psycopg.Error:
            pass
        return message

    def _split(self, plan: Plan) -> None:
        """Cut the large tables into key ranges, one per worker or --parts (sampled, see
        keyset)."""
        if self.workers < 2:  # one reader (or a source without parallel readers)
            return
        parts = self.options.parts or self.workers
        pinned = (
            set() if self.options.defer_constraints else {d.table for d in plan.self_references}
        )
        for t in plan.tables:
            if t.key and t.target not in pinned and t.est_rows > 2 * self._rows(t):
                self.splits[t.name] = sample_splits(
                    self.reader.conn, plan.schema, t.name, t.key, t.est_rows, parts
                )

    def _start(self, plan: Plan) -> None:
        ledger.ensure(self.target)
        self._split(plan)
        payload = plan.to_json()
        for entry in payload["tables"]:
            entry["splits"] = [list(k) for k in self.splits.get(entry["table"], [])]
        with self.target.transaction():
            ledger.create_run(
                self.target,
                self.run_id,
                redact(self.source_url),
                plan.schema,
                {**self.options.stored(), "shared": self.shared},
                payload,
            )
            for t in plan.tables:
                for ref in t.sequences:
                    ledger.save_sequence(
                        self.target,
                        self.run_id,
                        ref.sequence,
                        sequences.state(self.target, ref.sequence),
                    )
            dropped = list(plan.deferred)
            if self.options.defer_constraints:
                dropped += plan.self_references
            if self.options.defer_indexes:
                seen = {(d.table, d.name) for d in dropped}
                targets = [t.target for t in plan.tables]
                dropped += [
                    d
                    for d in constraints.for_load(self.target, plan.tables[0].schema, targets)
                    if (d.table, d.name) not in seen
                ]
            for deferred in dropped:
                constraints.drop(self.target, self.run_id, deferred)
            if self.options.truncate:
                self.target.execute(
                    sql.SQL("truncate {}").format(
                        sql.SQL(", ").join(qualified(t.schema, t.target) for t in plan.tables)
                    )
                )

    def _wait(self, conn: _Conn) -> None:
        def paused(why: str) -> None:
            self._flush()  # nor a target transaction
            conn.reader.release()  # no source transaction stays open while the run waits
            self.emit("pause", reason=why)

        def sleep(seconds: float) -> None:
            # a throttle's sleep (and each of a pause's): the open group of small tables
            # commits first, so that no target transaction holds its locks while idle
            self._flush()
            _sleep(seconds)

        try:
            self.health.wait(on_pause=paused, on_resume=lambda: self.emit("resume"), sleep=sleep)
        except TransferAborted:
            self._flush()  # a clean stop keeps what was written, as between batches
            raise

    def _groupable(self, conn: _Conn, table: TablePlan, lo: Key | None) -> bool:
        """A fresh table's first batch, streamed whole: it can share a transaction."""
        return (
            conn is self.main
            and self.workers == 1
            and lo is None
            and bool(table.key)
            and table.name in self.unstarted
            and self.reader.backend.can(Can.COPY)
            and self.reader.streams(table)
        )

    def _flush(self) -> None:
        """Commit the open group with its tables' ledger rows (one round trip), then
        report its batches."""
        group, self.group = self.group, None
        if group is None:
            return
        try:
            if group.pending:
                ledger.record_and_commit(self.target, self.run_id, [p.batch for p in group.pending])
            else:
                self.target.execute("commit")
        except BaseException:
            self._rollback()
            raise
        for p in group.pending:
            self.recorded.setdefault(p.table.name, []).append(p.batch)
            self.health.record_batch(p.batch.rows_written, p.seconds, 0)
        with self._events:
            for event in group.events:
                self.emit_sink(event)

    def _rollback(self) -> None:
        target = self.target
        if target.closed or target.broken:
            return
        if target.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            with contextlib.suppress(psycopg.Error):
                target.execute("rollback")

    def _abandon(self) -> _Group | None:
        """Roll the open group back: nothing of it was committed, ledger rows included."""
        group, self.group = self.group, None
        if group is not None:
            self._rollback()
        return group

    def _redo(self, conn: _Conn, plan: Plan, table: TablePlan, rejects: RejectFile) -> None:
        """``table``'s batch was refused inside a group: the group is rolled back, its
        other tables are written again each on its own, and ``table`` starts over."""
        group = self._abandon()
        for t in group.tables if group is not None else []:
            if t.name != table.name:
                self._table_start(t)
                for unit in self._units(t):
                    self._part(conn, plan, t, unit, rejects)
                self._table_done(t)
        self._table_start(table)

    def _table(self, plan: Plan, table: TablePlan, rejects: RejectFile) -> None:
        """A small table's first (and often only) batch joins the open group, if any, or
        opens one: its rows and ledger row commit with the group's, in one transaction
        (a BEGIN, a ledger INSERT and a COMMIT per table less). The group commits after a
        batch's worth of rows, `GROUP_TABLES` tables, before any other batch and before a
        pause; a refused batch rolls it back and its tables are written again one by one."""
        if self._groupable(self.main, table, None):
            if self.group is None:
                self.target.execute("begin")
                self.group = _Group()
            self.group.tables.append(table)
        self._table_start(table)
        for unit in self._units(table):
            self._part(self.main, plan, table, unit, rejects)
        self._table_done(table)

    def _table_start(self, table: TablePlan) -> None:
        if table.name in self.unstarted:
            read = 0
        else:
            done = ledger.batches(self.target, self.run_id, keys=False, table=table.name)
            read = sum(b.rows_read for b in done)
        self.emit("table", table.name, estimated_rows=table.est_rows, read=read)

    def _table_done(self, table: TablePlan) -> None:
        sequences.advance(self.target, table)
        if table.name in self.unstarted:  # no earlier ledger rows: what this run recorded
            done = self.recorded.get(table.name, [])
            if self.group is not None:
                done = done + self.group.by_table.get(table.name, [])
        else:
            done = ledger.batches(self.target, self.run_id, keys=False, table=table.name)
        stats = table_stats([table.name], done)[0]
        data = stats.to_json()
        del data["table"]
        self.emit("table_done", table.name, **data)

    def _rows(self, table: TablePlan) -> int:
        """Rows per batch: --batch-size, or fewer when --batch-bytes says so (the rows'
        average size from the source's table size and row estimate)."""
        size = self.options.batch_size
        if self.options.batch_bytes is not None and table.est_rows > 0 and table.est_bytes > 0:
            width = max(table.est_bytes / table.est_rows, 1.0)
            size = min(size, max(1, int(self.options.batch_bytes / width)))
        return size

    def _units(self, table: TablePlan) -> list[tuple[int, Key | None, Key | None]]:
        """(part, from, to) key ranges of ``table``: one, unless --workers cut it."""
        bounds: list[Key | None] = [None, *self.splits.get(table.name, []), None]
        return [(i, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]

    def _part(
        self,
        conn: _Conn,
        plan: Plan,
        table: TablePlan,
        unit: tuple[int, Key | None, Key | None],
        rejects: RejectFile,
    ) -> bool:
        """Batches over one key range, continuing after its last ledger row; whether
        the range was read to its end (not stopped first)."""
        part, start, limit = unit
        last = (
            None
            if table.name in self.unstarted
            else ledger.last_batch(conn.target, self.run_id, table.name, part)
        )
        if not table.key:
            if last is None:
                self._wait(conn)
                self._batch(conn, plan, table, 1, None, rejects)
            return True
        lo = last.key_to if last else start
        batch_no = last.batch_no + 1 if last else part * ledger.PART_STRIDE + 1
        first = True
        while not self.stop.is_set():
            self._wait(conn)
            if self.shared and not first:  # (the claim looked before the first batch)
                self._running(conn)
            first = False
            count = self._batch(conn, plan, table, batch_no, lo, rejects, limit)
            if count is None:
                return True
            lo, n = count
            batch_no += 1
            if n < self._rows(table):
                return True
        return False

    def _parallel(self, plan: Plan, rejects: RejectFile) -> None:
        """--workers N: the units of each level of tables, claimed by N connection
        pairs of this process (and those of the processes that joined the run, see
        claims); a level starts once every unit of the one before is done."""
        conns = [self.main]
        try:
            for _ in range(self.workers - 1):
                reader = open_reader(self.source_url)
                conns.append(_Conn(reader, _fast_commits(connect(self.target_url))))
                reader.start()
            for level in levels(plan):
                if self.coordinator:
                    for t in level:
                        self._table_start(t)
                self._claim_level(conns, plan, level, rejects)
                if self.coordinator:
                    for t in level:
                        self._table_done(t)
        except _FinishedElsewhere:
            pass  # (a joined process: every unit is done, and the run too)
        finally:
            for c in conns[1:]:
                c.reader.close()
                c.target.close()

    def _claim_level(
        self, conns: list[_Conn], plan: Plan, level: list[TablePlan], rejects: RejectFile
    ) -> None:
        """Each connection pair claims the level's units one after another until every
        one is done, here or in another process."""
        work = {claims.Unit(t.name, u[0]): (t, u) for t in level for u in self._units(t)}
        units = list(work)

        def claim_units(conn: _Conn) -> None:
            leases = claims.Claims(conn.target, self.run_id)
            seen: set[claims.Unit] = set()
            while not self.stop.is_set():
                self._wait(conn)  # a paused worker holds no lease while it waits
                try:
                    got = leases.claim(units, seen)
                except claims.RunStopped as exc:
                    raise self._stopped_elsewhere(conn, exc) from None
                if got == "done":
                    return
                if got == "wait":  # the rest is leased elsewhere: wait for it, or its lease
                    self.stop.wait(CLAIM_POLL)
                    continue
                table, unit = work[got]
                try:
                    finished = self._part(conn, plan, table, unit, rejects)
                except BaseException:
                    leases.release(got)
                    raise
                if finished:
                    leases.finish(got)
                    seen.add(got)
                else:
                    leases.release(got)

        run_each(conns, claim_units, self.stop)

    def _running(self, conn: _Conn) -> None:
        """A shared run goes on only while the ledger says it runs."""
        try:
            claims.Claims(conn.target, self.run_id).running()
        except claims.RunStopped as exc:
            raise self._stopped_elsewhere(conn, exc) from None

    def _stopped_elsewhere(
        self, conn: _Conn, exc: claims.RunStopped
    ) -> _StoppedElsewhere | _FinishedElsewhere:
        if exc.status is RunStatus.DONE and not self.coordinator:
            return _FinishedElsewhere()
        run = ledger.find_run(conn.target, self.run_id)
        why = run.message if run is not None and run.message else str(exc.status or "removed")
        return _StoppedElsewhere(
            f"run {self.run_id} was stopped by another of its processes: {why}; resume it "
            f"with --resume {self.run_id}"
        )

    def _preexisting(
        self, conn: _Conn, table: TablePlan, lo: Key | None, hi: Key | None, loaded: Loaded
    ) -> list[Key]:
        """The target's own rows inside this batch's range (see ownership): only an
        --append run can meet them, as every other run starts on empty tables."""
        if not self.appending:
            return []
        if loaded.preexisting is not None:
            return list(loaded.preexisting)
        return ownership.preexisting_keys(
            conn.target, table, lo, hi, loaded.copied.rows, loaded.written_keys
        )

    def _batch(
        self,
        conn: _Conn,
        plan: Plan,
        table: TablePlan,
        batch_no: int,
        lo: Key | None,
        rejects: RejectFile,
        limit: Key | None = None,
    ) -> tuple[Key, int] | None:
        """One batch after ``lo``; returns its last key and row count, or None when done."""
        t0 = time.perf_counter()
        try:
            if self.group is not None and self._groupable(conn, table, lo):
                try:
                    return self._grouped_batch(conn, plan, table, batch_no, t0)
                except BatchRefused:
                    self._redo(conn, plan, table, rejects)
                    t0 = time.perf_counter()
                result = self._write_batch(conn, plan, table, batch_no, lo, limit, t0)
            else:
                self._flush()
                try:
                    result = self._write_batch(conn, plan, table, batch_no, lo, limit, t0)
                except BatchRefused:  # rolled back whole: read again, sorted out this time
                    result = self._write_batch(conn, plan, table, batch_no, lo, limit, t0)
        except psycopg.Error as exc:
            what = "was refused by the target" if not table.key else "failed"
            raise TransferError(
                f"table {table.name!r}, batch {batch_no} {what}: {describe(exc)}"
            ) from exc
        if result is None:
            return None
        count, hi, loaded = result.count, result.hi, result.loaded
        written = loaded.copied.rows
        with self._events:
            rejects.write(loaded.rejects)
        self.health.record_batch(written, time.perf_counter() - t0, len(loaded.rejects))
        self._emit_batch(table, batch_no, count, written, len(loaded.rejects), t0)
        if loaded.rejects and self.options.max_rejects is not None:
            total = ledger.total_rejected(conn.target, self.run_id)
            if total > self.options.max_rejects:
                raise TransferAborted(
                    f"{total} rows rejected, more than --max-rejects {self.options.max_rejects}; "
                    f"see {rejects.path}, fix the data or the target, then resume with "
                    f"--resume {self.run_id}"
                )
        return (hi or (), count)

    def _grouped_batch(
        self, conn: _Conn, plan: Plan, table: TablePlan, batch_no: int, t0: float
    ) -> tuple[Key, int] | None:
        """The first batch of a small table, in the open group's transaction."""
        group = self.group
        assert group is not None
        result = conn.reader.read_batch(Ask(plan, table, None, self._rows(table), conn.target))
        if result is None:
            return None
        if result.loaded.rejects or result.loaded.copied.rows != result.count:
            raise TransferError(
                f"table {table.name!r}: read {result.count} rows but wrote "
                f"{result.loaded.copied.rows}; the batch was rolled back"
            )
        batch = self._ledger_row(conn, table, batch_no, None, result, t0)
        group.pending.append(_Pending(table, batch, time.perf_counter() - t0))
        group.by_table.setdefault(table.name, []).append(batch)
        group.rows += result.count
        self._emit_batch(table, batch_no, result.count, result.count, 0, t0)
        if group.rows >= self.options.batch_size or len(group.tables) >= GROUP_TABLES:
            self._flush()
        return (result.hi or (), result.count)

    def _emit_batch(
        self, table: TablePlan, batch_no: int, rows: int, written: int, rejected: int, t0: float
    ) -> None:
        seconds = round(time.perf_counter() - t0, 4)
        fields = {"rows": rows, "written": written, "rejected": rejected, "seconds": seconds}
        self.emit("batch", table.name, batch=batch_no, **fields)

    def _ledger_row(
        self,
        conn: _Conn,
        table: TablePlan,
        batch_no: int,
        lo: Key | None,
        result: BatchResult,
        t0: float,
    ) -> Batch:
        loaded = result.loaded
        return Batch(
            preexisting_keys=tuple(self._preexisting(conn, table, lo, result.hi, loaded)),
            table=table.name,
            batch_no=batch_no,
            key_from=lo,
            key_to=result.hi,
            rows_read=result.count,
            rows_written=loaded.copied.rows,
            rows_rejected=len(loaded.rejects),
            rejected_keys=tuple(loaded.rejected_keys),
            checksum=loaded.copied.checksum,
            format=loaded.copied.format,
            read_seconds=loaded.copied.read_seconds,
            write_seconds=loaded.copied.write_seconds,
            seconds=time.perf_counter() - t0,
        )

    def _write_batch(
        self,
        conn: _Conn,
        plan: Plan,
        table: TablePlan,
        batch_no: int,
        lo: Key | None,
        limit: Key | None,
        t0: float,
    ) -> BatchResult | None:
        """`_batch` in one target transaction: the rows, their ledger row, their rejects."""
        with conn.target.transaction():
            result = conn.reader.read_batch(
                Ask(plan, table, lo, self._rows(table), conn.target, limit)
            )
            if result is None:
                return None
            count, loaded = result.count, result.loaded
            written = loaded.copied.rows
            if written + len(loaded.rejects) != count:
                raise TransferError(
                    f"table {table.name!r}: read {count} rows but wrote {written} and "
                    f"rejected {len(loaded.rejects)}; the batch was rolled back"
                )
            batch = self._ledger_row(conn, table, batch_no, lo, result, t0)
            ledger.record(conn.target, self.run_id, batch)
            ledger.record_rejects(
                conn.target,
                self.run_id,
                table.name,
                batch_no,
                [r.to_json() for r in loaded.rejects],
            )
        with self._events:  # committed: the table's ledger rows now include it
            self.recorded.setdefault(table.name, []).append(batch)
        return result
