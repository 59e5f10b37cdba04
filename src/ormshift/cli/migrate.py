"""``ormshift migrate`` and ``ormshift rollback``: move the data, or undo a run."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table as RichTable

from ormshift.cli.common import console, fail, handle_errors, out
from ormshift.cli.options import (
    ENVIRONMENT_HELP,
    TABLE_HELP,
    ReportOption,
    json_option,
    mapping_option,
    monitor_config_option,
    old_option,
    report_option,
    schema_option,
    source_option,
    table_names,
    target_option,
    target_schema_option,
    warn,
)
from ormshift.clock import utc_now
from ormshift.files import check_writable
from ormshift.monitor.thresholds import MAX_INTERVAL

if TYPE_CHECKING:
    from rich.progress import Progress

    from ormshift.transfer import Event, Health, Plan, RunReport


def _plan_table(plan: Plan) -> RichTable:
    table = RichTable(title="plan (in load order)", show_edge=False)
    for head, justify in (
        ("table", "left"),
        ("key", "left"),
        ("copy", "left"),
        ("after", "left"),
        ("est. rows", "right"),
        ("est. bytes", "right"),
    ):
        table.add_column(head, justify=justify)  # type: ignore[arg-type]
    for t in plan.tables:
        table.add_row(
            t.name,
            ", ".join(t.key) or "(none)",
            "binary" if t.binary else "text",
            ", ".join(t.depends_on),
            f"{t.est_rows:,}",
            f"{t.est_bytes:,}",
        )
    return table


def _summary(report: RunReport) -> RichTable:
    table = RichTable(title=f"run {report.run_id}: {report.status}", show_edge=False)
    for head in ("table", "read", "written", "rejected", "batches", "seconds", "rows/s"):
        table.add_column(head, justify="left" if head == "table" else "right")
    for t in report.tables:
        table.add_row(
            t.table,
            f"{t.read:,}",
            f"{t.written:,}",
            f"{t.rejected:,}",
            f"{t.batches:,}",
            f"{t.seconds:.2f}",
            f"{t.rows_per_second:,.0f}",
        )
    return table


class _Printer:
    """Renders engine events: JSON lines on stdout, or a rich progress bar per table."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self._progress: Progress | None = None
        self.tasks: dict[str, Any] = {}
        self.started_bars = False

    @property
    def progress(self) -> Progress:
        """The bars (rich.progress is imported for them alone: --json never loads it)."""
        if self._progress is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )
        return self._progress

    def stop(self) -> None:
        if self.started_bars:
            self.progress.stop()

    def __call__(self, event: Event) -> None:
        if self.as_json:  # one line per event, as is: no console rendering per line
            out.file.write(json.dumps(event.to_json(), default=str) + "\n")
            out.file.flush()  # a reader of the stream sees each event as it happens
            return
        data = event.data
        if event.kind == "run":
            word = (
                "joining"
                if data.get("joined")
                else "resuming"
                if data.get("resumed")
                else "starting"
            )
            console.print(f"{word} run [bold]{event.run_id}[/]")
        elif event.kind == "table" and event.table:
            if not self.started_bars:  # bars only once rows move: an early error stays one line
                self.progress.start()
                self.started_bars = True
            self.tasks[event.table] = self.progress.add_task(
                event.table,
                total=max(int(data.get("estimated_rows", 0)), 1),
                completed=int(data.get("read", 0)),
            )
        elif event.kind == "batch" and event.table in self.tasks:
            self.progress.advance(self.tasks[event.table], int(data.get("rows", 0)))
        elif event.kind == "table_done" and event.table in self.tasks:
            task = self.tasks[event.table]
            read = int(data.get("read", 0))
            self.progress.update(task, total=max(read, 1), completed=max(read, 1))
        elif event.kind == "joined_done":
            console.print(
                "no work of the run is left for this process; the process that started the "
                "run finishes it"
            )
        elif event.kind == "pause":
            console.print(f"[yellow]paused:[/] {data.get('reason')}", soft_wrap=True)
        elif event.kind == "resume":
            console.print("[green]resumed[/]")
        elif event.kind == "constraints":
            console.print(
                f"added back foreign keys and indexes: {', '.join(data.get('restored', []))}"
            )
        elif event.kind == "schema":
            console.print(f"created tables: {', '.join(data.get('created', []))}")
        elif event.kind == "warning":
            console.print(f"[yellow]warning:[/] {data.get('message')}", soft_wrap=True)


#: the panels of migrate's help, in the order a run meets them
_DATABASES, _WHAT, _SPEED = "Databases", "What to copy", "Batches and workers"
_RUNS, _THROTTLE, _OUTPUT = "Runs: resume, share, rejects", "Throttle and monitor", "Output"
_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2}


def _bytes(text: str) -> int:
    """``64MB`` -> 64000000; ``1048576`` -> 1048576."""
    raw = text.strip().lower().replace(" ", "")
    number = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = raw[len(number) :]
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if unit not in _UNITS or value <= 0:
        raise fail(f"--batch-bytes {text!r} is not a size; give bytes like 67108864 or 64MB")
    return int(value * _UNITS[unit])


def _write_report(
    path: Path,
    result: RunReport,
    printer: _Printer,
    health: Health,
    *,
    source: str,
    target: str,
    started: str,
) -> None:
    from ormshift.report import write
    from ormshift.report.builders import from_migrate

    report = from_migrate(
        result,
        source=source,
        target=target,
        started_at=started,
        health=list(health.monitor.history),
    )
    write(report, path)


@handle_errors
def migrate(
    source: Annotated[
        str | None, source_option("source URL: postgresql:// or mysql:// (MariaDB too)", _DATABASES)
    ] = None,
    target: Annotated[str | None, target_option(panel=_DATABASES)] = None,
    schema: Annotated[str, schema_option(_DATABASES)] = "public",
    target_schema: Annotated[str | None, target_schema_option(_DATABASES)] = None,
    table: Annotated[
        list[str] | None,
        typer.Option("--table", help=f"copy only this table {TABLE_HELP}", rich_help_panel=_WHAT),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="rows per batch", rich_help_panel=_SPEED)
    ] = 50_000,
    batch_bytes: Annotated[
        str | None,
        typer.Option(
            help="also cap each batch at about this size (bytes, or with kB/MB/GB), from "
            "each table's average row size",
            rich_help_panel=_SPEED,
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="connections loading at once: independent tables, and key ranges of large "
            "tables (PostgreSQL sources)",
            rich_help_panel=_SPEED,
        ),
    ] = 1,
    dry: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="run the preflight, print the plan, change nothing",
            rich_help_panel=_WHAT,
        ),
    ] = False,
    truncate: Annotated[
        bool,
        typer.Option("--truncate", help="empty the target tables first", rich_help_panel=_WHAT),
    ] = False,
    append: Annotated[
        bool, typer.Option("--append", help="add to non-empty target tables", rich_help_panel=_WHAT)
    ] = False,
    resume: Annotated[
        str | None, typer.Option(help="continue the run with this id", rich_help_panel=_RUNS)
    ] = None,
    run_id: Annotated[
        str | None,
        typer.Option(
            help="name a new run (default: generated); a run of this id in the ledger is "
            "resumed instead, so a restarted process carries on",
            rich_help_panel=_RUNS,
        ),
    ] = None,
    join: Annotated[
        str | None,
        typer.Option(
            help="work on this run (started with --workers 2 or more) beside the process "
            "that started it, from any host: claims its tables and key ranges until none is "
            "left; that process finishes the run",
            rich_help_panel=_RUNS,
        ),
    ] = None,
    parts: Annotated[
        int | None,
        typer.Option(
            min=2,
            help="cut each large table into this many key ranges (default: one per worker), "
            "so that the processes joining the run share it",
            rich_help_panel=_RUNS,
        ),
    ] = None,
    join_wait: Annotated[
        float,
        typer.Option(
            min=0,
            help="how long --join waits for the run to start (seconds)",
            rich_help_panel=_RUNS,
        ),
    ] = 60.0,
    allow_no_key: Annotated[
        bool,
        typer.Option(
            "--allow-no-key",
            help="copy tables without a primary key whole, in one transaction",
            rich_help_panel=_WHAT,
        ),
    ] = False,
    defer_constraints: Annotated[
        bool,
        typer.Option(
            "--defer-constraints",
            help="drop foreign keys in a cycle or to the same table on the target while "
            "the data moves, and add them back (validated) at the end",
            rich_help_panel=_SPEED,
        ),
    ] = False,
    defer_indexes: Annotated[
        bool,
        typer.Option(
            "--defer-indexes",
            help="drop the target tables' foreign keys and secondary (non-unique) indexes "
            "for the load and rebuild them at the end (recorded in the ledger)",
            rich_help_panel=_SPEED,
        ),
    ] = False,
    create_schema: Annotated[
        bool,
        typer.Option(
            "--create-schema",
            help="create the source tables the target lacks (PostgreSQL source, no --mapping)",
            rich_help_panel=_WHAT,
        ),
    ] = False,
    max_rejects: Annotated[
        int | None,
        typer.Option(
            min=0, help="abort once more rows than this are rejected", rich_help_panel=_RUNS
        ),
    ] = None,
    reject_file: Annotated[
        Path | None,
        typer.Option(
            help="JSON lines of rejected rows (default per run id)", rich_help_panel=_RUNS
        ),
    ] = None,
    mapping: Annotated[Path | None, mapping_option(_WHAT)] = None,
    pause_file: Annotated[
        Path | None,
        typer.Option(
            help="pause between batches while this file exists", rich_help_panel=_THROTTLE
        ),
    ] = None,
    max_cpu: Annotated[
        float | None, typer.Option(help="pause above this host CPU %", rich_help_panel=_THROTTLE)
    ] = None,
    critical_cpu: Annotated[
        float | None, typer.Option(help="abort above this CPU %", rich_help_panel=_THROTTLE)
    ] = None,
    max_memory: Annotated[
        float | None, typer.Option(help="pause above this memory %", rich_help_panel=_THROTTLE)
    ] = None,
    critical_memory: Annotated[
        float | None, typer.Option(help="abort above this memory %", rich_help_panel=_THROTTLE)
    ] = None,
    max_connections: Annotated[
        int | None,
        typer.Option(
            min=1, help="pause above this many active target connections", rich_help_panel=_THROTTLE
        ),
    ] = None,
    critical_connections: Annotated[
        int | None,
        typer.Option(
            min=1, help="abort above this many active target connections", rich_help_panel=_THROTTLE
        ),
    ] = None,
    poll_seconds: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=MAX_INTERVAL,
            help="seconds between health checks while paused (default: the config's)",
            rich_help_panel=_THROTTLE,
        ),
    ] = None,
    monitor_config: Annotated[Path | None, monitor_config_option(_THROTTLE)] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="serve Prometheus metrics on 127.0.0.1:PORT/metrics",
            rich_help_panel=_THROTTLE,
        ),
    ] = None,
    json_lines: Annotated[bool, json_option(_OUTPUT)] = False,
    report: Annotated[Path | None, report_option(_OUTPUT)] = None,
    old_log_json: Annotated[bool, old_option("--log-json")] = False,
) -> None:
    """Copy the data from --source to --target in keyset batches, resumable and reversible."""
    from ormshift.db.backends import Can, engines
    from ormshift.dsn import check_url

    source = source_option.required(source)
    target = target_option.required(target)
    check_url(source, engines(Can.TRANSFER_SOURCE), "--source", "a migrate source")
    check_url(target, engines(Can.TARGET), "--target", "a migrate target")
    tables = tuple(table_names(table) or ())
    if report is not None:
        check_writable(report)
    cap = _bytes(batch_bytes) if batch_bytes is not None else None
    # the stage is imported once the arguments parse: a bad one is answered fast
    from ormshift.mapping import load_mapping
    from ormshift.monitor import setup_logging
    from ormshift.transfer import Health, MigrateOptions, ThrottleSettings, TransferError, dry_run
    from ormshift.transfer import migrate as migrate_run

    if old_log_json:  # the old spelling of `ormshift --log-json migrate`
        warn("migrate --log-json is deprecated; use ormshift --log-json migrate")
        setup_logging(json_lines=True, level=logging.getLogger("ormshift").level)

    started = utc_now()
    options = MigrateOptions(
        schema=schema,
        target_schema=target_schema,
        tables=tables,
        batch_size=batch_size,
        workers=workers,
        batch_bytes=cap,
        truncate=truncate,
        append=append,
        resume=resume,
        run_id=run_id,
        join=join,
        parts=parts,
        join_wait=join_wait,
        allow_no_key=allow_no_key,
        defer_constraints=defer_constraints,
        defer_indexes=defer_indexes,
        create_schema=create_schema,
        max_rejects=max_rejects,
        reject_file=reject_file,
        mapping=load_mapping(mapping) if mapping is not None else None,
        throttle=ThrottleSettings(
            pause_file=pause_file,
            max_cpu=max_cpu,
            critical_cpu=critical_cpu,
            max_memory=max_memory,
            critical_memory=critical_memory,
            max_connections=max_connections,
            critical_connections=critical_connections,
            interval=poll_seconds,
            config=monitor_config,
        ),
    )
    if dry:
        plan = dry_run(source, target, options)
        if json_lines:
            payload = {"event": "plan", **plan.to_json()}
            out.print(json.dumps(payload), markup=False, soft_wrap=True)
        else:
            out.print(_plan_table(plan))
            for w in plan.warnings:
                console.print(f"[yellow]warning:[/] {w}", soft_wrap=True)
            console.print("dry run: preflight passed, nothing was written")
        return
    printer = _Printer(json_lines)
    health = Health(options.throttle, target)
    try:
        if metrics_port is not None:
            from ormshift.monitor import serve

            serve(health.monitor, metrics_port)
        try:
            result = migrate_run(source, target, options, on_event=printer, health=health)
        finally:
            printer.stop()
    except TransferError as exc:
        if report is not None and exc.report is not None:
            _write_report(report, exc.report, printer, health, source=source, target=target,
                          started=started)  # fmt: skip
        raise
    finally:
        health.close()
    if report is not None:
        _write_report(report, result, printer, health, source=source, target=target,
                      started=started)  # fmt: skip
    if json_lines:
        payload = {"event": "summary", **result.to_json()}
        out.print(json.dumps(payload, default=str), markup=False, soft_wrap=True)
    else:
        out.print(_summary(result))
        if result.reject_file:
            console.print(f"{result.rejected:,} rejected rows are in {result.reject_file}")
    if result.all_rejected:
        names = ", ".join(result.all_rejected)
        raise fail(
            f"the target refused every row of {names}; see {result.reject_file} for why, fix "
            f"the target (or copy the tables they reference too), then roll back run "
            f"{result.run_id} and run again",
            code=1,
        )


@handle_errors
def rollback(
    run_id: Annotated[str, typer.Argument(help="the run to undo")],
    target: Annotated[str | None, target_option()] = None,
    json_lines: Annotated[bool, json_option()] = False,
    report: ReportOption = None,
) -> None:
    """Remove exactly what a run wrote to the target and restore its sequences."""
    from ormshift.db.backends import Can, engines
    from ormshift.dsn import check_url
    from ormshift.report import write as write_report
    from ormshift.report.builders import from_rollback
    from ormshift.transfer import rollback as rollback_run

    target = target_option.required(target)
    check_url(target, engines(Can.TARGET), "--target", "the target")
    if report is not None:
        check_writable(report)
    started = utc_now()
    result = rollback_run(target, run_id)
    if report is not None:
        write_report(from_rollback(result, target=target, started_at=started), report)
    if json_lines:
        payload = {
            "event": "rollback",
            "run_id": result.run_id,
            "deleted": result.deleted,
            "sequences_restored": result.sequences_restored,
            "warnings": list(result.warnings),
        }
        out.print(json.dumps(payload), markup=False, soft_wrap=True)
        return
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {w}", soft_wrap=True)
    for name, count in result.deleted.items():
        console.print(f"{name}: deleted {count:,} rows")
    console.print(
        f"run {result.run_id} rolled back; {result.sequences_restored} sequences restored"
    )


def register(app: typer.Typer, panel: str) -> None:
    """migrate, verify and rollback, in that order, in the help's ``panel``."""
    from ormshift.cli.verify import verify

    for command in (migrate, verify, rollback):
        app.command(epilog=ENVIRONMENT_HELP, rich_help_panel=panel)(command)
