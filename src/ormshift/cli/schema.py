"""``ormshift schema diff``: compare the schemas of two live databases."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ormshift.cli.common import console, handle_errors, out

schema_app = typer.Typer(help="Inspect and compare database schemas.", no_args_is_help=True)


@schema_app.command("diff")
@handle_errors
def diff(
    left: Annotated[str, typer.Argument(help="DSN of the first database")],
    right: Annotated[str, typer.Argument(help="DSN of the second database")],
    schema: Annotated[str, typer.Option(help="schema to compare in both")] = "public",
    as_json: Annotated[bool, typer.Option("--json", help="print the differences as JSON")] = False,
) -> None:
    """List every schema difference; exit 0 when equal, 1 when different, 2 on error."""
    # heavy imports here, so that other commands start fast
    from ormshift.dsn import POSTGRESQL, check_url
    from ormshift.schema import diff_databases, jsonable

    check_url(left, (POSTGRESQL,), "LEFT")
    check_url(right, (POSTGRESQL,), "RIGHT")
    differences = diff_databases(left, right, schema)
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
