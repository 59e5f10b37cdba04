"""``ormshift schema diff``: compare the schemas of two live databases."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ormshift.cli.common import console, fail, handle_errors, out
from ormshift.cli.options import (
    ENVIRONMENT_HELP,
    OLD_POSITIONALS,
    TABLE_HELP,
    ReportOption,
    given,
    json_option,
    schema_option,
    source_option,
    table_names,
    target_option,
    target_schema_option,
    warn,
)

schema_app = typer.Typer(help="Inspect and compare database schemas.", no_args_is_help=True)


@schema_app.command("diff", epilog=ENVIRONMENT_HELP, context_settings=OLD_POSITIONALS)
@handle_errors
def diff(
    ctx: typer.Context,
    source: Annotated[str | None, source_option("source URL: postgresql://")] = None,
    target: Annotated[str | None, target_option()] = None,
    schema: Annotated[str, schema_option()] = "public",
    target_schema: Annotated[str | None, target_schema_option()] = None,
    tables: Annotated[
        list[str] | None,
        typer.Option("--table", help=f"compare only this table {TABLE_HELP}"),
    ] = None,
    as_json: Annotated[bool, json_option()] = False,
    report: ReportOption = None,
) -> None:
    """List every schema difference; exit 0 when equal, 1 when different, 2 on error."""
    # heavy imports here, so that other commands start fast
    from ormshift.clock import utc_now
    from ormshift.dsn import POSTGRESQL, check_url
    from ormshift.files import check_writable
    from ormshift.report import write as write_report
    from ormshift.report.builders import from_schema_diff
    from ormshift.schema import diff_databases, jsonable

    positional = list(ctx.args)
    if positional:  # the old spelling: `schema diff LEFT RIGHT`
        warn("schema diff LEFT RIGHT is deprecated; use --source LEFT --target RIGHT")
        if len(positional) != 2 or given(ctx, "source") or given(ctx, "target"):
            raise fail("give the two databases as --source URL --target URL")
        source, target = positional
    source = source_option.required(source)
    target = target_option.required(target)
    check_url(source, (POSTGRESQL,), "--source")
    check_url(target, (POSTGRESQL,), "--target")
    names = table_names(tables) or ()
    if report is not None:
        check_writable(report)
    started = utc_now()
    differences = diff_databases(source, target, schema, names, target_schema)
    found = [jsonable(d) for d in differences]
    if report is not None:
        built = from_schema_diff(
            found,
            source=source,
            target=target,
            schema=schema,
            target_schema=target_schema or schema,
            started_at=started,
        )
        write_report(built, report)
    if as_json:
        document = {"equal": not differences, "differences": found}
        out.print(json.dumps(document, indent=2), markup=False, soft_wrap=True)
    else:
        for difference in differences:
            out.print(str(difference), markup=False, soft_wrap=True)
        console.print(
            f"{len(differences)} difference(s)" if differences else "the schemas are the same"
        )
    raise typer.Exit(1 if differences else 0)
