"""The transfer engine: preflight, then keyset batches, one target transaction each.

Each batch reads a key range from the source inside one REPEATABLE READ snapshot and
writes it, together with its ledger row, in one target transaction. Work is resumed
from the ledger: a table continues after the last recorded key range, so after a crash
(even kill -9) running again gives the same result as an uninterrupted run.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ormshift.dsn import connect, redact
from ormshift.errors import OrmshiftError
from ormshift.transfer import constraints, ledger, sequences
from ormshift.transfer.errors import PreflightError, RunNotFound, TransferAborted, TransferError
from ormshift.transfer.keyset import Key, qualified
from ormshift.transfer.ledger import Batch, Run
from ormshift.transfer.plan import Plan, TablePlan, is_empty, source_tables_only
from ormshift.transfer.rejects import RejectFile, describe
from ormshift.transfer.report import RunReport, table_stats
from ormshift.transfer.sources import Reader, open_reader
from ormshift.transfer.throttle import Probe, Throttle, ThrottleSettings


@dataclass(frozen=True)
class MigrateOptions:
    schema: str = "public"
    target_schema: str | None = None
    tables: tuple[str, ...] = ()
    batch_size: int = 10_000
    truncate: bool = False
    append: bool = False
    resume: str | None = None
    allow_no_key: bool = False
    defer_constraints: bool = False
    max_rejects: int | None = None
    reject_file: Path | None = None
    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)

    def stored(self) -> dict[str, Any]:
        """The options a resumed run keeps from its first start."""
        return {
            "truncate": self.truncate,
            "append": self.append,
            "tables": list(self.tables),
            "defer_constraints": self.defer_constraints,
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


def _ignore(_: Event) -> None:
    return None


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def _validate(options: MigrateOptions) -> None:
    if options.batch_size < 1:
        raise PreflightError("--batch-size must be at least 1")
    if options.truncate and options.append:
        raise PreflightError("give --truncate or --append, not both")
    if options.max_rejects is not None and options.max_rejects < 0:
        raise PreflightError("--max-rejects must be 0 or more")


def _open(source_url: str, target_url: str) -> tuple[Reader, psycopg.Connection]:
    reader = open_reader(source_url)
    try:
        target = connect(target_url)
    except BaseException:
        reader.close()
        raise
    return reader, target


def _plan(reader: Reader, target: psycopg.Connection, options: MigrateOptions) -> Plan:
    plan = reader.plan(
        target,
        schema=options.schema,
        target_schema=options.target_schema,
        allow_no_key=options.allow_no_key,
    )
    return source_tables_only(plan, options.tables) if options.tables else plan


def _check_empty(
    target: psycopg.Connection, plan: Plan, started: set[str], *, truncate: bool, append: bool
) -> None:
    if truncate or append:
        return
    for t in plan.tables:
        if t.name not in started and not is_empty(target, t.schema, t.name):
            raise PreflightError(
                f"target table {t.name!r} already has rows; pass --truncate to empty it first "
                "or --append to add to it"
            )


def dry_run(source_url: str, target_url: str, options: MigrateOptions) -> Plan:
    """Run the preflight and return the plan; nothing is written anywhere."""
    _validate(options)
    reader, target = _open(source_url, target_url)
    try:
        plan = _plan(reader, target, options)
        run = _existing_run(target, source_url, plan, options)
        started = _started_tables(target, run) if run else set()
        stored = run.options if run else options.stored()
        if not stored.get("defer_constraints") and not options.defer_constraints:
            plan.refuse_cycles()
        _check_empty(
            target,
            plan,
            started,
            truncate=bool(stored.get("truncate")),
            append=bool(stored.get("append")),
        )
        return plan
    except psycopg.Error as exc:
        raise TransferError(f"the preflight failed: {describe(exc)}") from exc
    finally:
        reader.close()
        target.close()


def _existing_run(
    target: psycopg.Connection, source_url: str, plan: Plan, options: MigrateOptions
) -> Run | None:
    if options.resume is not None:
        run = ledger.find_run(target, options.resume)
        if run is None:
            raise RunNotFound(
                f"the target's ledger has no run {options.resume!r}; check the id (it is printed "
                "when a run starts) or start a new run without --resume"
            )
        if run.status == "rolled back":
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
    return {b.table for b in ledger.batches(target, run.run_id)}


def migrate(
    source_url: str,
    target_url: str,
    options: MigrateOptions,
    on_event: EventSink = _ignore,
    extra_probes: tuple[Probe, ...] = (),
) -> RunReport:
    """Move every planned table from source to target; resumes an unfinished run."""
    _validate(options)
    reader, target = _open(source_url, target_url)
    try:
        return _Run(reader, target, source_url, options, on_event, extra_probes).execute()
    except psycopg.Error as exc:
        raise TransferError(f"the transfer stopped: {describe(exc)}") from exc
    finally:
        reader.close()
        target.close()


class _Run:
    def __init__(
        self,
        reader: Reader,
        target: psycopg.Connection,
        source_url: str,
        options: MigrateOptions,
        on_event: EventSink,
        extra_probes: tuple[Probe, ...],
    ) -> None:
        self.reader = reader
        self.target = target
        self.source_url = source_url
        self.options = options
        self.emit_sink = on_event
        self.extra_probes = extra_probes
        self.run_id = ""
        self.started = time.monotonic()

    def emit(self, kind: str, table: str | None = None, **data: Any) -> None:
        self.emit_sink(Event(kind, self.run_id, table, data))

    def execute(self) -> RunReport:
        opts = self.options
        plan = _plan(self.reader, self.target, opts)
        run = self._resolve(plan)
        self._lock()
        reject_path = opts.reject_file or Path(f"ormshift-rejects-{self.run_id}.jsonl")
        rejects = RejectFile(reject_path)
        for w in plan.warnings:
            self.emit("warning", message=w)
        if run is None:
            self._start(plan)
        else:
            with self.target.transaction():
                ledger.set_status(self.target, self.run_id, "running")
        self.emit("run", resumed=run is not None, plan=plan.to_json())
        throttle = Throttle(
            [*opts.throttle.probes(self.target), *self.extra_probes],
            interval=opts.throttle.interval,
            on_pause=lambda why: self.emit("pause", reason=why),
            on_resume=lambda: self.emit("resume"),
        )
        self.reader.start()
        try:
            for table in plan.tables:
                self._table(plan, table, throttle, rejects)
            restored = constraints.restore(self.target, self.run_id)
            if restored:
                self.emit("constraints", restored=restored)
        except BaseException as exc:
            message = self._stopped(exc)
            if isinstance(exc, TransferError) and not self.target.broken:
                exc.report = self._report(plan, "aborted", run is not None, reject_path, message)
            raise
        with self.target.transaction():
            ledger.set_status(self.target, self.run_id, "done")
        self.emit("done")
        return self._report(plan, "done", run is not None, reject_path, None)

    def _resolve(self, plan: Plan) -> Run | None:
        """The unfinished run to resume (checked against the plan), or None for a new one."""
        opts = self.options
        run = _existing_run(self.target, self.source_url, plan, opts)
        if run is None:
            if not opts.defer_constraints:
                plan.refuse_cycles()
            _check_empty(self.target, plan, set(), truncate=opts.truncate, append=opts.append)
            self.run_id = new_run_id()
            return None
        planned = [t["table"] for t in run.plan.get("tables", [])]
        if planned != [t.name for t in plan.tables]:
            raise PreflightError(
                f"run {run.run_id!r} planned tables {', '.join(planned)}, the source now has "
                f"{', '.join(t.name for t in plan.tables)}; start a new run"
            )
        self.run_id = run.run_id
        stored = run.options
        if not stored.get("defer_constraints") and not opts.defer_constraints:
            plan.refuse_cycles()
        _check_empty(
            self.target,
            plan,
            _started_tables(self.target, run),
            truncate=bool(stored.get("truncate")),
            append=bool(stored.get("append")),
        )
        return run

    def _report(
        self, plan: Plan, status: str, resumed: bool, reject_path: Path, message: str | None
    ) -> RunReport:
        batches = ledger.batches(self.target, self.run_id)
        return RunReport(
            run_id=self.run_id,
            status=status,
            tables=table_stats([t.name for t in plan.tables], batches),
            seconds=time.monotonic() - self.started,
            resumed=resumed,
            reject_file=str(reject_path) if any(b.rows_rejected for b in batches) else None,
            warnings=plan.warnings,
            message=message,
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

    def _stopped(self, exc: BaseException) -> str:
        """Record that the run stopped (it stays resumable); the message recorded."""
        message = redact(str(exc)) if isinstance(exc, OrmshiftError) else type(exc).__name__
        self.emit("abort", message=message)
        if self.target.broken or self.target.closed:
            return message
        try:
            with self.target.transaction():
                ledger.set_status(self.target, self.run_id, "aborted", message)
        except psycopg.Error:
            pass
        return message

    def _start(self, plan: Plan) -> None:
        ledger.ensure(self.target)
        payload = plan.to_json()
        with self.target.transaction():
            ledger.create_run(
                self.target,
                self.run_id,
                redact(self.source_url),
                plan.schema,
                self.options.stored(),
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
            for deferred in dropped:
                constraints.drop(self.target, self.run_id, deferred)
            if self.options.truncate:
                self.target.execute(
                    sql.SQL("truncate {}").format(
                        sql.SQL(", ").join(qualified(t.schema, t.name) for t in plan.tables)
                    )
                )

    def _table(self, plan: Plan, table: TablePlan, throttle: Throttle, rejects: RejectFile) -> None:
        last = ledger.last_batch(self.target, self.run_id, table.name)
        done = ledger.batches(self.target, self.run_id)
        read = sum(b.rows_read for b in done if b.table == table.name)
        self.emit("table", table.name, estimated_rows=table.est_rows, read=read)
        if not table.key:
            if last is None:
                throttle.wait()
                self._batch(plan, table, 1, None, rejects)
        else:
            lo = last.key_to if last else None
            batch_no = last.batch_no + 1 if last else 1
            while True:
                throttle.wait()
                count = self._batch(plan, table, batch_no, lo, rejects)
                if count is None:
                    break
                lo, n = count
                batch_no += 1
                if n < self.options.batch_size:
                    break
        sequences.advance(self.target, table)
        stats = table_stats([table.name], ledger.batches(self.target, self.run_id))[0]
        data = stats.to_json()
        del data["table"]
        self.emit("table_done", table.name, **data)

    def _batch(
        self,
        plan: Plan,
        table: TablePlan,
        batch_no: int,
        lo: Key | None,
        rejects: RejectFile,
    ) -> tuple[Key, int] | None:
        """One batch after ``lo``; returns its last key and row count, or None when done."""
        t0 = time.perf_counter()
        try:
            with self.target.transaction():
                result = self.reader.read_batch(
                    plan, table, lo, self.options.batch_size, self.target
                )
                if result is None:
                    return None
                count, hi, loaded = result.count, result.hi, result.loaded
                written = loaded.copied.rows
                if written + len(loaded.rejects) != count:
                    raise TransferError(
                        f"table {table.name!r}: read {count} rows but wrote {written} and "
                        f"rejected {len(loaded.rejects)}; the batch was rolled back"
                    )
                ledger.record(
                    self.target,
                    self.run_id,
                    Batch(
                        table=table.name,
                        batch_no=batch_no,
                        key_from=lo,
                        key_to=hi,
                        rows_read=count,
                        rows_written=written,
                        rows_rejected=len(loaded.rejects),
                        rejected_keys=tuple(loaded.rejected_keys),
                        checksum=loaded.copied.checksum,
                        format=loaded.copied.format,
                        read_seconds=loaded.copied.read_seconds,
                        write_seconds=loaded.copied.write_seconds,
                        seconds=time.perf_counter() - t0,
                    ),
                )
        except psycopg.Error as exc:
            what = "was refused by the target" if not table.key else "failed"
            raise TransferError(
                f"table {table.name!r}, batch {batch_no} {what}: {describe(exc)}"
            ) from exc
        rejects.write(loaded.rejects)
        self.emit(
            "batch",
            table.name,
            batch=batch_no,
            rows=count,
            written=written,
            rejected=len(loaded.rejects),
            seconds=round(time.perf_counter() - t0, 4),
        )
        if loaded.rejects and self.options.max_rejects is not None:
            total = ledger.total_rejected(self.target, self.run_id)
            if total > self.options.max_rejects:
                raise TransferAborted(
                    f"{total} rows rejected, more than --max-rejects {self.options.max_rejects}; "
                    f"see {rejects.path}, fix the data or the target, then resume with "
                    f"--resume {self.run_id}"
                )
        return (hi or (), count)
