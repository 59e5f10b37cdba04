"""``ormshift compare``: run scenarios through TypeORM and ormshift.orm, diff, time."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from ormshift.cli.common import console, handle_errors, out

if TYPE_CHECKING:
    from ormshift.compare.runner import CompareReport


def _latency_table(report: CompareReport) -> RichTable:
    table = RichTable(title="latency (ms)", show_edge=False)
    for head in (
        "operation",
        "n",
        "TypeORM p50",
        "p95",
        "p99",
        "ops/s",
        "ormshift p50",
        "p95",
        "p99",
        "ops/s",
    ):
        table.add_column(head, justify="left" if head == "operation" else "right")
    for op, sides in report.latency.items():
        row = [op, str(max(s.count for s in sides.values()))]
        for side in ("typeorm", "ormshift"):
            s = sides.get(side)
            row += (
                [f"{s.p50:.2f}", f"{s.p95:.2f}", f"{s.p99:.2f}", f"{s.ops_per_second:.0f}"]
                if s
                else ["-"] * 4
            )
        table.add_row(*row)
    return table


@handle_errors
def compare(
    project: Annotated[
        Path, typer.Option(help="The TypeORM project (its entities run in the sidecar).")
    ],
    scenario: Annotated[Path, typer.Option(help="Scenario YAML file.")],
    dsn: Annotated[
        str, typer.Option(help="A PostgreSQL URL; scratch databases are made on its server.")
    ],
    models: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy models: a module or a .py file (default: the file's 'models')."
        ),
    ] = None,
    data_source: Annotated[Path | None, typer.Option(help="The project's DataSource file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    report_file: Annotated[
        Path | None, typer.Option("--report", help="also write a JSON report here")
    ] = None,
) -> None:
    """Run each scenario through TypeORM and through ormshift.orm; report every difference."""
    from ormshift.dsn import POSTGRESQL, check_url, connect
    from ormshift.files import check_writable

    check_url(dsn, (POSTGRESQL,), "--dsn")
    if report_file is not None:
        check_writable(report_file)
    # heavy imports here (once the arguments parse), so that other commands start fast
    from ormshift.clock import utc_now
    from ormshift.compare.runner import run_compare
    from ormshift.monitor import HostProbe, Monitor, PostgresProbe, Sampler, log_alert
    from ormshift.report import write as write_report
    from ormshift.report.builders import from_compare

    connect(dsn).close()  # one clear error for an unreachable server, before the monitor
    started = utc_now()
    probe = PostgresProbe(dsn)
    monitor = Monitor([HostProbe(), probe], sinks=(log_alert,))
    try:
        with Sampler(monitor):
            report = run_compare(project, scenario, dsn, models=models, data_source=data_source)
    finally:
        probe.close()
    if report_file is not None:
        title = f"compare: {scenario.name} on {project.name}"
        health = list(monitor.history)
        built = from_compare(report, title=title, target=dsn, started_at=started, health=health)
        write_report(built, report_file)
    if as_json:
        data = asdict(report)
        data.pop("samples", None)
        out.print_json(json.dumps(data, default=str))
    else:
        for m in report.mismatches:
            console.print(
                f"[red]{m.kind} mismatch[/] {m.scenario} #{m.index} {m.label}", soft_wrap=True
            )
            console.print(f"  TypeORM : {json.dumps(m.typeorm, default=str)[:400]}", soft_wrap=True)
            console.print(
                f"  ormshift: {json.dumps(m.ormshift, default=str)[:400]}", soft_wrap=True
            )
        out.print(_latency_table(report))
        out.print(
            f"{report.scenarios} scenario(s), {report.operations} operation(s): "
            f"{report.count('result')} result, {report.count('error')} error and "
            f"{report.count('state')} state mismatch(es)"
        )
    if not report.ok:
        raise typer.Exit(1)
