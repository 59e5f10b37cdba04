"""``ormshift verify``: prove that source and target hold the same data."""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table as RichTable

from ormshift.cli.common import console, fail, handle_errors, out
from ormshift.cli.options import (
    TABLE_HELP,
    json_option,
    mapping_option,
    old_option,
    renamed,
    report_option,
    schema_option,
    source_option,
    table_names,
    target_option,
    target_schema_option,
)

#: the panels of verify's help
_DATABASES, _WHAT, _HOW, _OUTPUT = "Databases", "What to check", "Bisection", "Output"


def _check_option(name: str, what: str) -> Any:
    """``--NAME/--no-NAME``: one of the checks on the target after the tables."""
    return typer.Option(
        f"--{name}/--no-{name}", help=f"check {what} on the target", rich_help_panel=_WHAT
    )


if TYPE_CHECKING:
    from ormshift.verify import Difference, Event, VerifyReport


def _line(record: dict[str, Any]) -> None:
    """One JSON line on stdout, written as it comes: no rendering (rich's costs more than
    the whole verification once there are 100,000 differences)."""
    sys.stdout.write(json.dumps(record, default=str) + "\n")


def _summary(report: VerifyReport) -> RichTable:
    table = RichTable(title="verify", show_edge=False)
    for head in ("table", "status", "source rows", "target rows", "missing", "extra", "changed"):
        table.add_column(head, justify="left" if head in ("table", "status") else "right")
    colour = {"identical": "green", "differs": "yellow", "error": "red", "skipped": "dim"}
    for t in report.tables:

        def n(v: int | None) -> str:
            return "" if v is None else f"{v:,}"

        table.add_row(
            t.table,
            f"[{colour[t.status]}]{t.status}[/]",
            n(t.source_rows),
            n(t.target_rows),
            n(t.missing),
            n(t.extra),
            n(t.changed_rows),
        )
    return table


def _quiet() -> AbstractContextManager[None]:
    return nullcontext()


class _Printer:
    """Differences are always JSON lines on stdout; with --json, everything else too.
    The first differences are also kept for ``--report``."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.kept: list[Difference] = []
        from ormshift.report.builders import MAX_DIFFERENCES

        self.max_kept = MAX_DIFFERENCES

    def __call__(self, event: Event) -> None:
        from ormshift.verify import Difference, OrphanCheck, SequenceCheck, TableResult

        if isinstance(event, Difference) and len(self.kept) < self.max_kept:
            self.kept.append(event)
        if isinstance(event, Difference) or self.as_json:
            _line(event.to_json())
            return
        if isinstance(event, TableResult):
            if event.error:
                console.print(f"[red]error:[/] {event.error}", soft_wrap=True, markup=True)
            if event.reason:
                console.print(f"[yellow]differs:[/] {event.reason}", soft_wrap=True)
            for w in event.warnings:
                console.print(f"[yellow]warning:[/] {w}", soft_wrap=True)
            if event.confidence:
                console.print(f"{event.table}: {event.confidence}", soft_wrap=True)
        elif isinstance(event, OrphanCheck):
            if event.error:
                console.print(f"[red]error:[/] {event.error}", soft_wrap=True)
            elif event.count:
                sample = json.dumps(list(event.samples), default=str)
                console.print(
                    f"[yellow]orphans:[/] {event.table}.{', '.join(event.columns)} -> "
                    f"{event.references}: {event.count:,} row(s) point at nothing "
                    f"({event.constraint}); e.g. {sample}",
                    soft_wrap=True,
                    markup=True,
                    highlight=False,
                )
        elif isinstance(event, SequenceCheck) and event.behind:
            console.print(
                f"[yellow]sequence behind:[/] {event.sequence} gives {event.next_value:,} next "
                f"but {event.table}.{event.column} already holds {event.max_value:,}",
                soft_wrap=True,
            )


@handle_errors
def verify(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        source_option(
            "source URL: postgresql://, mysql:// (MariaDB too) or sqlite:///", _DATABASES
        ),
    ] = None,
    target: Annotated[str | None, target_option(panel=_DATABASES)] = None,
    table: Annotated[
        list[str] | None,
        typer.Option(
            "--table",
            help=f"verify only this source table {TABLE_HELP}",
            rich_help_panel=_WHAT,
        ),
    ] = None,
    old_tables: Annotated[list[str] | None, old_option("--tables")] = None,
    mapping: Annotated[Path | None, mapping_option(_WHAT)] = None,
    max_diffs: Annotated[
        int | None,
        typer.Option(
            "--max-diffs", min=1, help="stop after this many differences", rich_help_panel=_HOW
        ),
    ] = None,
    factor: Annotated[
        int, typer.Option(min=2, help="segments per bisection step", rich_help_panel=_HOW)
    ] = 32,
    threshold: Annotated[
        int,
        typer.Option(
            min=1, help="rows at or below which a differing segment is read", rich_help_panel=_HOW
        ),
    ] = 1000,
    sample: Annotated[
        float | None,
        typer.Option(
            "--sample",
            help="compare a random PERCENT of rows only (statistical)",
            rich_help_panel=_WHAT,
        ),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            help="manifest of the target: more foreign keys to check",
            rich_help_panel=_WHAT,
        ),
    ] = None,
    schema: Annotated[str, schema_option(_DATABASES)] = "public",
    target_schema: Annotated[str | None, target_schema_option(_DATABASES)] = None,
    orphans: Annotated[bool, _check_option("orphans", "foreign keys")] = True,
    sequences: Annotated[bool, _check_option("sequences", "sequences")] = True,
    as_json: Annotated[bool, json_option(_OUTPUT)] = False,
    report_file: Annotated[Path | None, report_option(_OUTPUT)] = None,
) -> None:
    """Compare source and target; exit 0 identical, 1 differences, 2 error.

    Counts, segment checksums bisected down to the rows, orphaned foreign keys and
    sequences behind their columns."""
    from ormshift.db.backends import BACKENDS, Can, engines
    from ormshift.dsn import check_url

    tables = renamed(ctx, table, old_tables, new="--table", old="--tables")
    source = source_option.required(source)
    target = target_option.required(target)
    check_url(source, tuple(BACKENDS), "--source", "a verify source")
    check_url(target, engines(Can.TARGET), "--target", "the target")
    if sample is not None and not 0 < sample <= 100:
        raise fail("--sample is a percentage: give a number above 0 and at most 100")
    names = table_names(tables)
    # the stage is imported once the arguments parse: a bad one is answered fast
    from ormshift.clock import utc_now
    from ormshift.files import check_writable
    from ormshift.manifest import read as read_manifest
    from ormshift.report import write as write_report
    from ormshift.report.builders import from_verify
    from ormshift.verify import Mapping, Options, load_mapping
    from ormshift.verify import verify as run_verify

    options = Options(
        factor=factor,
        threshold=threshold,
        max_diffs=max_diffs,
        sample=sample,
        check_orphans=orphans,
        check_sequences=sequences,
    )
    loaded = load_mapping(mapping) if mapping is not None else Mapping()
    schema_manifest = read_manifest(manifest) if manifest is not None else None
    if report_file is not None:
        check_writable(report_file)
    started = utc_now()
    printer = _Printer(as_json)
    with console.status("verifying ...") if not as_json else _quiet():
        report = run_verify(
            source,
            target,
            tables=names or None,
            mapping=loaded,
            options=options,
            schema=schema,
            target_schema=target_schema,
            on_event=printer,
            manifest=schema_manifest,
        )
    if report_file is not None:
        write_report(
            from_verify(report, printer.kept, source=source, target=target, started_at=started),
            report_file,
        )
    if as_json:
        _line(report.to_json())
    else:
        out.print(_summary(report))  # the results on stdout, as migrate's
        if report.stopped:
            console.print(f"stopped after {report.differences:,} difference(s) (--max-diffs)")
    raise typer.Exit(report.exit_code)
