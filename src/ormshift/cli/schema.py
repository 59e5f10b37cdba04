"""``ormshift schema diff``: compare the schemas of two live databases."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ormshift.cli.common import console, fail, handle_errors, out
from ormshift.cli.options import (
    ENVIRONMENT_HELP,
    OLD_POSITIONALS,
    SOURCE_ENV,
    TABLE_HELP,
    TARGET_ENV,
    given,
    required_url,
    source_option,
    table_names,
    target_option,
    warn,
)

schema_app = typer.Typer(help="Inspect and compare database schemas.", no_args_is_help=True)


@schema_app.command("diff", epilog=ENVIRONMENT_HELP, context_settings=OLD_POSITIONALS)
@handle_errors
def diff(
    ctx: typer.Context,
    source: Annotated[str | None, source_option("PostgreSQL URL of the first database")] = None,
    target: Annotated[str | None, target_option("PostgreSQL URL of the second database")] = None,
    schema: Annotated[str, typer.Option(help="schema to compare in both")] = "public",
    tables: Annotated[
        list[str] | None,
        typer.Option("--table", help=f"compare only this table {TABLE_HELP}"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the differences as JSON on stdout")
    ] = False,
) -> None:
    """List every schema difference; exit 0 when equal, 1 when different, 2 on error."""
    # heavy imports here, so that other commands start fast
    from ormshift.dsn import POSTGRESQL, check_url
    from ormshift.schema import diff_databases, jsonable

    positional = list(ctx.args)
    if positional:  # the old spelling: `schema diff LEFT RIGHT`
        warn("schema diff LEFT RIGHT is deprecated; use --source LEFT --target RIGHT")
        if len(positional) != 2 or given(ctx, "source") or given(ctx, "target"):
            raise fail("give the two databases as --source URL --target URL")
        source, target = positional
    source = required_url(source, "--source", SOURCE_ENV)
    target = required_url(target, "--target", TARGET_ENV)
    check_url(source, (POSTGRESQL,), "--source")
    check_url(target, (POSTGRESQL,), "--target")
    differences = diff_databases(source, target, schema, table_names(tables) or ())
    if as_json:
        report = {"equal": not differences, "differences": [jsonable(d) for d in differences]}
        out.print(json.dumps(report, indent=2), markup=False, soft_wrap=True)
    else:
        for difference in differences:
            out.print(str(difference), markup=False, soft_wrap=True)
        console.print(
            f"{len(differences)} difference(s)" if differences else "the schemas are the same"
        )
    raise typer.Exit(1 if differences else 0)
