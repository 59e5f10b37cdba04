"""``ormshift compare``: run scenarios through TypeORM and ormshift.orm, diff, time."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from ormshift.cli.common import console, fail, handle_errors, out
from ormshift.cli.options import (
    data_source_option,
    db_option,
    json_option,
    old_option,
    one_database,
    project_argument,
    project_option,
    project_path,
    renamed,
    report_option,
)

if TYPE_CHECKING:
    from ormshift.compare.fuzz import FuzzReport
    from ormshift.compare.runner import CompareReport

#: the panels of compare's help
_RUN, _FUZZ, _OUTPUT = "What to run", "Fuzz", "Output"


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


def _print_fuzz(report: FuzzReport) -> None:
    table = RichTable(title="divergences by class", show_edge=False)
    for head in ("n", "class", "shrunk", "scenario"):
        table.add_column(head, justify="right" if head in ("n", "shrunk") else "left")
    files = {f.signature: f for f in report.findings}
    for signature, count in report.classes.most_common():
        f = files.get(signature)
        shrunk = f"{len(f.operations)}/{f.original_length}" if f else "-"
        table.add_row(str(count), signature, shrunk, str(f.file) if f and f.file else "-")
    out.print(table)
    if report.known:
        known = RichTable(title="known differences (documented)", show_edge=False)
        for head in ("n", "class", "documented in"):
            known.add_column(head, justify="right" if head == "n" else "left")
        for signature, count in report.known.most_common():
            known.add_row(str(count), signature, report.known_notes.get(signature, "-"))
        out.print(known)
    refs = sorted(set(report.known_notes.values()))
    out.print(
        f"{report.operations} operation(s) in {report.sequences} sequence(s) "
        f"({report.face} face), "
        f"{report.ops_per_second:.0f} ops/s; {report.divergences} divergence(s) "
        f"in {len(report.classes)} class(es)"
        + (
            f"; {report.known_differences} known difference(s) in {len(report.known)} "
            f"class(es) ({'; '.join(refs)})"
            if report.known
            else ""
        ),
        soft_wrap=True,
    )


def _fuzz(
    project: Path,
    dsn: str,
    n: int,
    seed: int,
    ops_per_scenario: int,
    models: str | None,
    data_source: Path | None,
    out_dir: Path,
    as_json: bool,
    shrink_runs: int,
    query_builder: bool = False,
    face: str = "sync",
) -> None:
    from ormshift.compare.fuzz import fuzz

    report = fuzz(
        project,
        dsn,
        operations=n,
        seed=seed,
        ops_per_scenario=ops_per_scenario,
        models=models,
        data_source=data_source,
        out_dir=out_dir,
        shrink_runs=shrink_runs,
        query_builder=query_builder,
        face=face,
    )
    if as_json:
        out.print_json(json.dumps(report.to_json()))
    else:
        _print_fuzz(report)
    if report.divergences:
        raise typer.Exit(1)


@handle_errors
def compare(
    ctx: typer.Context,
    project: Annotated[Path | None, project_argument()] = None,
    project_flag: Annotated[Path | None, project_option(_RUN)] = None,
    db: Annotated[
        str | None, db_option("PostgreSQL URL; scratch databases are made on its server", _RUN)
    ] = None,
    scenario: Annotated[
        Path | None, typer.Option(help="scenario YAML file (or --fuzz N)", rich_help_panel=_RUN)
    ] = None,
    fuzz_ops: Annotated[
        int | None,
        typer.Option(
            "--fuzz",
            min=1,
            help="fuzz: run N random operations generated from the project's manifest",
            rich_help_panel=_FUZZ,
        ),
    ] = None,
    seed: Annotated[
        int,
        typer.Option(help="fuzz: the random seed (same seed, same run)", rich_help_panel=_FUZZ),
    ] = 1,
    ops_per_scenario: Annotated[
        int,
        typer.Option(
            min=1,
            help="fuzz: operations per sequence (one sidecar round trip)",
            rich_help_panel=_FUZZ,
        ),
    ] = 20,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="fuzz: where the shrunk scenario files of divergences go "
            "(default: fuzz-divergences)",
            rich_help_panel=_FUZZ,
        ),
    ] = None,
    shrink_runs: Annotated[
        int,
        typer.Option(
            min=0,
            help="fuzz: runs allowed to shrink each divergence class (0: none)",
            rich_help_panel=_FUZZ,
        ),
    ] = 60,
    models: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy models: a module or a .py file (default: the file's 'models')",
            rich_help_panel=_RUN,
        ),
    ] = None,
    data_source: Annotated[Path | None, data_source_option(_RUN)] = None,
    as_json: Annotated[bool, json_option(_OUTPUT)] = False,
    fuzz_qb: Annotated[
        bool,
        typer.Option(
            "--fuzz-qb", help="fuzz: query-builder chains (op: qb) instead", rich_help_panel=_FUZZ
        ),
    ] = False,
    face: Annotated[
        str,
        typer.Option(
            metavar="sync|async",
            help="the face of ormshift.orm to run: sync (DataSource) or async "
            "(ormshift.orm.aio.AsyncDataSource, each call awaited on an event loop); "
            "for --scenario and --fuzz",
            rich_help_panel=_RUN,
        ),
    ] = "sync",
    report_file: Annotated[Path | None, report_option(_OUTPUT)] = None,
    old_dsn: Annotated[str | None, old_option("--dsn")] = None,
    old_out: Annotated[Path | None, old_option("--out")] = None,
) -> None:
    """Run each scenario through TypeORM and through ormshift.orm; report every difference.

    PROJECT's entities run in the TypeORM sidecar.
    With --fuzz N: N random operations instead, each divergence class shrunk to a scenario.
    With --face async: ormshift's side runs on the asyncio face (ormshift.orm.aio)."""
    from ormshift.compare.faces import FACES
    from ormshift.dsn import POSTGRESQL, check_url
    from ormshift.files import check_writable

    given_project = project_path(ctx, project, project_flag)
    if given_project is None:
        raise fail("give the TypeORM project directory: compare PROJECT (or --project PROJECT)")
    project = given_project

    dsn = one_database(renamed(ctx, db, old_dsn, new="--db", old="--dsn"))
    out_dir = renamed(ctx, output, old_out, new="--output", old="--out")
    out_dir = out_dir if out_dir is not None else Path("fuzz-divergences")
    check_url(dsn, (POSTGRESQL,), "--db")
    if face not in FACES:
        raise fail(f"--face {face}: no such face; give one of {', '.join(FACES)}")
    if report_file is not None:
        check_writable(report_file)
    if fuzz_ops is not None:
        if scenario is not None:
            raise fail("give --scenario or --fuzz, not both")
        _fuzz(
            project,
            dsn,
            fuzz_ops,
            seed,
            ops_per_scenario,
            models,
            data_source,
            out_dir,
            as_json,
            shrink_runs,
            fuzz_qb,
            face,
        )
        return
    if scenario is None:
        raise fail("say what to run: --scenario FILE, or --fuzz N")
    # heavy imports here (once the arguments parse), so that other commands start fast
    from ormshift.clock import utc_now
    from ormshift.compare.diff import differences
    from ormshift.compare.runner import run_compare
    from ormshift.monitor import watching
    from ormshift.report import write as write_report
    from ormshift.report.builders import from_compare

    started = utc_now()
    with watching(dsn) as monitor:
        report = run_compare(
            project, scenario, dsn, models=models, data_source=data_source, face=face
        )
    if report_file is not None:
        title = f"compare: {scenario.name} on {project.name} ({report.face} face)"
        health = list(monitor.history)
        built = from_compare(report, title=title, target=dsn, started_at=started, health=health)
        write_report(built, report_file)
    if as_json:
        data = asdict(report)
        data.pop("samples", None)
        out.print_json(json.dumps(data, default=str))
    else:
        for m in report.mismatches:
            head = (
                f"[yellow]known {m.kind} divergence[/]" if m.known else f"[red]{m.kind} mismatch[/]"
            )
            console.print(f"{head} {m.scenario} #{m.index} {m.label}", soft_wrap=True)
            if m.known:
                console.print(f"  known: {m.known}", soft_wrap=True)
            for where in differences(m.typeorm, m.ormshift, limit=4):
                console.print(f"  {where}", soft_wrap=True)
            console.print(f"  TypeORM : {json.dumps(m.typeorm, default=str)[:400]}", soft_wrap=True)
            console.print(
                f"  ormshift: {json.dumps(m.ormshift, default=str)[:400]}", soft_wrap=True
            )
        out.print(_latency_table(report))
        out.print(
            f"{report.scenarios} scenario(s), {report.operations} operation(s) "
            f"({report.face} face): "
            f"{report.count('result')} result, {report.count('error')} error and "
            f"{report.count('state')} state mismatch(es)"
            + (f", {len(report.known)} known divergence(s)" if report.known else ""),
            soft_wrap=True,
        )
    if not report.ok:
        raise typer.Exit(1)
