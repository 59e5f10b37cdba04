"""``ormshift generate``: SQLAlchemy models from a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ormshift.cli.common import console, fail, handle_errors
from ormshift.cli.options import TABLE_HELP, ReportOption, table_names
from ormshift.files import check_directory, check_writable
from ormshift.manifest import read, restrict


@handle_errors
def generate(
    manifest: Annotated[Path, typer.Argument(help="manifest JSON written by `ormshift extract`")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="package directory to create (e.g. app/models)")
    ],
    force: Annotated[
        bool, typer.Option("--force", help="replace OUTPUT even if it is not empty")
    ] = False,
    alembic: Annotated[
        bool,
        typer.Option(
            "--alembic",
            help="also write an Alembic environment and baseline revision in OUTPUT/migrations",
        ),
    ] = False,
    table: Annotated[
        list[str] | None,
        typer.Option(
            "--table",
            help=f"models of this table only {TABLE_HELP}, with the tables it references "
            "and the junction tables between those",
        ),
    ] = None,
    report: ReportOption = None,
    attribute_names: Annotated[
        str,
        typer.Option(
            "--attribute-names",
            help="python: attributes in snake case (view_count); "
            "typeorm: named as TypeORM's properties (viewCount)",
        ),
    ] = "python",
) -> None:
    """Generate a package of typed SQLAlchemy 2.x models whose schema is TypeORM's."""
    # heavy imports here, so that other commands start fast
    from ormshift.clock import utc_now
    from ormshift.codegen import ATTRIBUTE_NAMES, MIGRATIONS_DIR, render_package, write_package
    from ormshift.codegen.check import check_configures
    from ormshift.report import write as write_report
    from ormshift.report.builders import from_generate

    names = next((n for n in ATTRIBUTE_NAMES if n == attribute_names), None)
    if names is None:
        raise fail(
            f"--attribute-names {attribute_names!r}: choose one of {', '.join(ATTRIBUTE_NAMES)}"
        )
    tables = table_names(table)
    check_directory(output)
    if report is not None:
        check_writable(report)
    started = utc_now()
    schema = read(manifest)
    added: tuple[str, ...] = ()
    if tables is not None:
        subset = restrict(schema, tables, f"manifest {manifest}")
        schema, added = subset.manifest, subset.added
    package = render_package(schema, alembic=alembic, attribute_names=names)
    with console.status("importing the models and configuring their mappers ..."):
        configure_warnings = check_configures(package)
    write_package(package, output, force=force)
    if report is not None:
        write_report(from_generate(package, output, started_at=started), report)
    console.print(f"wrote {len(package.files)} files to {escape(str(output))}", soft_wrap=True)
    if added:
        console.print(
            f"--table: also generated {escape(', '.join(added))}: referenced by a table "
            "named, or joining tables named",
            soft_wrap=True,
        )
    if alembic:
        ini = escape(str(output / MIGRATIONS_DIR / "alembic.ini"))
        console.print(
            f"alembic: on the database TypeORM made, `alembic -c {ini} -x url=URL stamp head`; "
            "on an empty one, `... upgrade head` (or set ORMSHIFT_DATABASE_URL)",
            soft_wrap=True,
        )
    for finding in package.findings:
        console.print(f"[yellow]not carried over:[/] {escape(str(finding))}", soft_wrap=True)
    for message in configure_warnings:
        console.print(f"[yellow]warning:[/] SQLAlchemy: {escape(message)}", soft_wrap=True)
    console.print("the models import and configure_mappers() accepts them", soft_wrap=True)
