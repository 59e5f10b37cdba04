"""``ormshift extract``: a manifest from a TypeORM project or from a live database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from ormshift.cli.common import console, fail, handle_errors, out
from ormshift.cli.options import (
    DATABASE_ENV,
    TABLE_HELP,
    ReportOption,
    data_source_option,
    libpq_database,
    old_option,
    project_argument,
    project_option,
    project_path,
    renamed,
    table_names,
)
from ormshift.dsn import POSTGRESQL, check_url
from ormshift.files import check_writable

if TYPE_CHECKING:
    from ormshift.manifest import Manifest


def summary(manifest: Manifest) -> RichTable:
    table = RichTable(title="manifest", show_edge=False)
    for head in ("entities", "tables", "columns", "relations", "indices", "enums"):
        table.add_column(head, justify="right")
    table.add_row(
        str(len(manifest.entities)),
        str(len(manifest.tables)),
        str(sum(len(t.columns) for t in manifest.tables)),
        str(sum(len(e.relations) for e in manifest.entities)),
        str(sum(len(t.indices) for t in manifest.tables)),
        str(len(manifest.enums)),
    )
    return table


@handle_errors
def extract(
    ctx: typer.Context,
    project: Annotated[Path | None, project_argument()] = None,
    project_flag: Annotated[Path | None, project_option()] = None,
    data_source: Annotated[Path | None, data_source_option()] = None,
    entities: Annotated[
        str | None, typer.Option("--entities", help="glob of entity files, relative to PROJECT")
    ] = None,
    typeorm_package: Annotated[
        str,
        typer.Option(
            "--typeorm-package",
            help="the package the project imports TypeORM as, for forks (e.g. @n8n/typeorm)",
        ),
    ] = "typeorm",
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="reflect this live PostgreSQL database instead (with no PROJECT, "
            f"{DATABASE_ENV} too, or libpq's PGHOST/PGDATABASE/PGSERVICE)",
        ),
    ] = None,
    schema: Annotated[str, typer.Option(help="schema to reflect with --db")] = "public",
    table: Annotated[
        list[str] | None,
        typer.Option(
            "--table",
            help=f"extract only this table {TABLE_HELP}, with the tables it references "
            "and, from a PROJECT, the junction tables between those",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write the manifest here (else stdout)")
    ] = None,
    report: ReportOption = None,
    old_from_db: Annotated[str | None, old_option("--from-db")] = None,
) -> None:
    """Extract the schema exactly as TypeORM builds it, into a versioned JSON manifest."""
    import os

    from ormshift.extract import extract_project
    from ormshift.extract.database import reflect_url
    from ormshift.manifest import dump, restrict, write
    from ormshift.report import write as write_report
    from ormshift.report.builders import from_extract

    project = project_path(ctx, project, project_flag)
    from_db = renamed(ctx, db, old_from_db, new="--db", old="--from-db")
    if project is None and from_db is None:
        from_db = os.environ.get(DATABASE_ENV) or libpq_database()
    if (project is None) == (from_db is None):
        raise fail(
            f"give either a PROJECT directory or --db URL (or set {DATABASE_ENV}), just one of them"
        )
    if from_db is not None and (data_source or entities):
        raise fail("--data-source and --entities go with a PROJECT, not with --db")
    if data_source and entities:
        raise fail("give --data-source or --entities, not both")
    if from_db is not None:
        check_url(from_db, (POSTGRESQL,), "--db")
    tables = table_names(table)
    for path in (output, report):
        if path is not None:
            check_writable(path)
    if from_db is not None:
        manifest = reflect_url(from_db, schema)
    else:
        assert project is not None
        with console.status(f"building TypeORM metadata for {project} ..."):
            manifest = extract_project(
                project, data_source=data_source, entities=entities, typeorm_package=typeorm_package
            )
    added: tuple[str, ...] = ()
    if tables is not None:
        where = (
            f"schema {schema!r} of that database"
            if from_db is not None
            else f"the project {project}"
        )
        every = 'extracted without --table, the manifest lists them all under "tables"'
        subset = restrict(manifest, tables, where, every)
        manifest, added = subset.manifest, subset.added
    if output is None:
        out.print(dump(manifest), end="", markup=False, soft_wrap=True)
    else:
        write(manifest, output)
        console.print(f"wrote {output}")
    console.print(summary(manifest))
    if added:
        console.print(
            f"--table: also extracted {', '.join(added)}: referenced by a table named, "
            "or joining tables named",
            soft_wrap=True,
            markup=False,
        )
    if report is not None:
        write_report(from_extract(manifest, project or Path(from_db or "")), report)
    for w in manifest.warnings:
        where = f"{w.entity}.{w.property}" if w.property else w.entity
        console.print(f"[yellow]warning:[/] {where}: {w.feature}: {w.message}", soft_wrap=True)
